//! The probes against the real things they watch: a private Postfix instance (stopped and
//! started, its queue filled and held), spamd, clamd, smtp-sink, certificates made by
//! openssl, and the store. Every probe is also shown failing.

use chrono::Utc;
use postwarden_core::Secret;
use postwarden_core::config::{QueueProbeConfig, TlsCertProbeConfig};
use postwarden_health::{Monitor, Probe, Reading};
use postwarden_testkit::daemons::{free_port, smtp_sink};
use postwarden_testkit::postfix::Postfix;
use postwarden_testkit::scanners::{clamd, spamd};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn read(probe: &Probe) -> Reading {
    probe.check(TIMEOUT).await
}

/// Reads `probe` until `done` holds (up to 60 s), returning that reading.
async fn read_until(probe: &Probe, what: &str, done: impl Fn(&Reading) -> bool) -> Reading {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reading = read(probe).await;
        if done(&reading) {
            return reading;
        }
        assert!(
            Instant::now() < deadline,
            "waited 60 s for {what}: {reading:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}: {status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_down_and_up_and_a_held_queue() {
    let dir = tempfile::tempdir().unwrap();
    // The content filter's port is dead: submitted mail stays in the queue.
    let postfix = Postfix::start(
        &dir.path().join("pf"),
        free_port(),
        free_port(),
        &["test.example"],
    );
    let config_dir = postfix.config_dir();
    let dir_text = config_dir.display().to_string();
    let master = Probe::Postfix {
        config_dir: config_dir.clone(),
    };
    let queue = |max_messages| {
        Probe::Queue(QueueProbeConfig {
            config_dir: Some(config_dir.clone()),
            max_messages,
            max_age: None,
        })
    };
    let mut monitor = Monitor::new(1, Duration::from_secs(3600));

    let up = read(&master).await;
    assert!(up.ok, "{up:?}");
    assert!(
        up.detail.starts_with("master running (pid "),
        "{}",
        up.detail
    );
    assert!(monitor.observe(&up, Utc::now()).is_none());
    let empty = read(&queue(2)).await;
    assert!(empty.ok && empty.detail == "queue empty", "{empty:?}");

    run(
        "/usr/sbin/smtp-source",
        &[
            "-m",
            "3",
            "-f",
            "a@test.example",
            "-t",
            "b@test.example",
            &format!("127.0.0.1:{}", postfix.port),
        ],
    );
    read_until(&queue(2), "3 messages queued", |r| r.figures["total"] == 3).await;
    run("postsuper", &["-c", &dir_text, "-h", "ALL"]);
    let held = read_until(&queue(2), "3 messages held", |r| r.figures["hold"] == 3).await;
    assert!(!held.ok, "{held:?}");
    assert!(
        held.detail.starts_with("3 messages (3 hold), oldest "),
        "{}",
        held.detail
    );
    assert!(held.detail.ends_with("more than 2"), "{}", held.detail);
    let alert = monitor.observe(&held, Utc::now()).expect("queue alert");
    assert_eq!(alert.kind, "health.queue");
    assert_eq!(alert.attributes["status"], "firing");
    assert_eq!(alert.attributes["hold"], 3);
    assert!(read(&queue(3)).await.ok, "3 is not more than 3");

    assert!(postfix.command("stop").success());
    // `postfix stop` signals the master, which exits a moment later.
    let down = read_until(&master, "postfix down", |r| !r.ok).await;
    assert!(
        down.detail.starts_with("master not running"),
        "{}",
        down.detail
    );
    let fired = monitor.observe(&down, Utc::now()).expect("postfix alert");
    assert_eq!(fired.kind, "health.postfix");

    assert!(postfix.command("start").success());
    let back = read_until(&master, "postfix back", |r| r.ok).await;
    let resolved = monitor.observe(&back, Utc::now()).expect("recovery notice");
    assert_eq!(resolved.attributes["status"], "resolved");
}

#[tokio::test(flavor = "multi_thread")]
async fn spamd_clamd_and_smtp_answer_and_dead_ports_fail() {
    let dir = tempfile::tempdir().unwrap();
    let spamd = spamd();
    let clamd = clamd(dir.path());
    let sink = smtp_sink(&dir.path().join("sink"));
    let dead = format!("127.0.0.1:{}", free_port());

    let ok = read(&Probe::Spamd {
        address: spamd.address(),
    })
    .await;
    assert!(ok.ok, "{ok:?}");
    let ok = read(&Probe::Clamd {
        address: clamd.address(),
    })
    .await;
    assert!(ok.ok, "{ok:?}");
    // Each daemon's PING is not the other's: spamd does not PONG clamd's zPING.
    let wrong = read(&Probe::Clamd {
        address: spamd.address(),
    })
    .await;
    assert!(!wrong.ok, "{wrong:?}");
    let greeted = read(&Probe::Smtp {
        addresses: vec![sink.address()],
    })
    .await;
    assert!(greeted.ok, "{greeted:?}");

    for probe in [
        Probe::Spamd {
            address: dead.clone(),
        },
        Probe::Clamd {
            address: dead.clone(),
        },
        Probe::Smtp {
            addresses: vec![sink.address(), dead.clone()],
        },
    ] {
        let reading = read(&probe).await;
        assert!(!reading.ok, "{reading:?}");
        assert!(reading.detail.contains(&dead), "{}", reading.detail);
    }
}

fn certificate(dir: &Path, name: &str, days: u32) -> std::path::PathBuf {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            &days.to_string(),
            "-subj",
            "/CN=mx.test.example",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    cert
}

#[tokio::test]
async fn certificates_close_to_expiry_fail() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = certificate(dir.path(), "fresh", 400);
    let expiring = certificate(dir.path(), "expiring", 5);
    let probe = |files| {
        Probe::TlsCert(TlsCertProbeConfig {
            files,
            min_days: 14,
        })
    };

    let ok = read(&probe(vec![fresh.clone()])).await;
    assert!(ok.ok, "{ok:?}");
    let days = ok.figures[&fresh.display().to_string()].as_i64().unwrap();
    assert!((398..=400).contains(&days), "{days}");
    let soon = read(&probe(vec![fresh.clone(), expiring.clone()])).await;
    assert!(!soon.ok);
    assert!(
        soon.detail.contains("expiring.pem expires")
            && soon.detail.ends_with("fewer than min_days 14"),
        "{}",
        soon.detail
    );
    let not_pem = dir.path().join("fresh.key");
    let bad = read(&probe(vec![not_pem])).await;
    assert!(
        !bad.ok && bad.detail.contains("fresh.key: no PEM certificate"),
        "{}",
        bad.detail
    );
}

#[tokio::test]
async fn the_store_answers_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let url = Secret::new(format!("sqlite://{}/pw.db", dir.path().display()));
    let store = postwarden_store::Store::connect(&url, 1).await.unwrap();
    let ok = read(&Probe::Database(Ok(store))).await;
    assert!(
        ok.ok && ok.detail.starts_with("SQLite answers in "),
        "{ok:?}"
    );
    let down = read(&Probe::Database(Err("connection refused".into()))).await;
    assert!(!down.ok && down.detail == "connection refused", "{down:?}");
}
