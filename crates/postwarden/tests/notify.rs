//! The notification commands as an administrator runs them: `events ingest`, `dispatch
//! --once`, `notify send|test|render|log`, with several dispatcher processes at once on
//! PostgreSQL and MariaDB, and a dispatcher killed with SIGKILL in the middle of a batch.
//! SMS go to the ClickSend test double, e-mail to Postfix's smtp-sink.

use postwarden_store::Backend;
use postwarden_testkit::clicksend::ClickSend;
use postwarden_testkit::daemons::{dumped, smtp_sink};
use postwarden_testkit::database::TestDatabase;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "apiuser";
const KEY: &str = "s3cret-api-key";
const PHONE: &str = "+12345678901";

/// A configuration file and data directory for one test.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(database_url: &str, config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = \"{}\"\n[database]\nurl = \"{database_url}\"\n{config}",
            dir.path().join("data").display()
        );
        let site = Site { dir };
        site.write("postwarden.toml", &text);
        site
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postwarden"));
        cmd.env_remove("RUST_LOG")
            .arg("--config")
            .arg(self.dir.path().join("postwarden.toml"))
            .args(args);
        cmd
    }

    fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "postwarden {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        self.ok(&[
            "notify", "log", "--since", "30d", "--limit", "100000", "--json",
        ])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
    }

    /// Writes a file readable by its owner only, as configuration holding secrets must be.
    fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }
}

fn sms_config(clicksend: &ClickSend, extra: &str) -> String {
    format!(
        r#"
[notify]
batch_size = 3
claim_timeout = "2s"
{extra}

[channels.ops_sms]
type = "clicksend"
username = "{USER}"
api_key = "{KEY}"
api_base = "{}"

[[rules]]
name = "per-ip"
match = {{ kind = "auth.bruteforce" }}
receivers = [{{ channel = "ops_sms", to = ["{PHONE}"] }}]
group_by = ["ip"]
group_wait = "0s"
"#,
        clicksend.base_url()
    )
}

/// `n` brute-force events from different IPs, as a JSON-lines file.
fn events_file(site: &Site, n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "{{\"kind\":\"auth.bruteforce\",\"severity\":\"warning\",\"ip\":\"203.0.{}.{}\",\"summary\":\"brute force from 203.0.{}.{}\"}}\n",
            i / 200,
            i % 200 + 1,
            i / 200,
            i % 200 + 1
        ));
    }
    site.write("events.jsonl", &text).display().to_string()
}

fn finish(children: Vec<Child>) {
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "dispatcher failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Two dispatcher processes at once: every notification goes out exactly once; then with
/// a limit of 5 per hour, exactly 5 go out and the rest are recorded as rate limited.
async fn parallel_dispatchers_never_double_send_and_keep_limits(backend: Backend) {
    let clicksend = ClickSend::start(USER, KEY).await;
    clicksend.set_delay(Duration::from_millis(20));
    let database = TestDatabase::create(backend).await;
    let site = Site::new(&database.url, &sms_config(&clicksend, ""));
    site.ok(&["events", "ingest", &events_file(&site, 24)]);
    let both = vec![
        site.spawn(&["dispatch", "--once"]),
        site.spawn(&["dispatch", "--once"]),
    ];
    finish(both);
    let tickets: BTreeSet<String> = clicksend
        .accepted()
        .into_iter()
        .map(|s| s.custom_string)
        .collect();
    assert_eq!(
        clicksend.accepted().len(),
        24,
        "each notification sent once"
    );
    assert_eq!(tickets.len(), 24);
    database.drop_database().await;

    let limited = ClickSend::start(USER, KEY).await;
    limited.set_delay(Duration::from_millis(20));
    let database = TestDatabase::create(backend).await;
    let site = Site::new(
        &database.url,
        &sms_config(&limited, "").replace(
            "[channels.ops_sms]",
            "[limits]\nmax_per_hour = 5\n\n[channels.ops_sms]",
        ),
    );
    site.ok(&["events", "ingest", &events_file(&site, 20)]);
    let both = vec![
        site.spawn(&["dispatch", "--once"]),
        site.spawn(&["dispatch", "--once"]),
    ];
    finish(both);
    assert_eq!(
        limited.accepted().len(),
        5,
        "the limit holds across processes"
    );
    let audit = site.audit();
    let count = |status: &str| audit.iter().filter(|a| a["status"] == status).count();
    assert_eq!((count("sent"), count("rate_limited")), (5, 15));
    database.drop_database().await;
}

postwarden_testkit::on_server_backends!(
    parallel_dispatchers_never_double_send_and_keep_limits,
    a_dispatcher_killed_mid_batch_loses_and_repeats_nothing,
);

/// SIGKILL while ClickSend holds a request: the restarted dispatchers find the messages
/// ClickSend accepted in its history, send the rest, and every notification arrives once.
async fn a_dispatcher_killed_mid_batch_loses_and_repeats_nothing(backend: Backend) {
    let clicksend = ClickSend::start(USER, KEY).await;
    clicksend.set_delay(Duration::from_millis(300));
    let database = TestDatabase::create(backend).await;
    let site = Site::new(&database.url, &sms_config(&clicksend, ""));
    site.ok(&["events", "ingest", &events_file(&site, 15)]);
    let mut victim = site.spawn(&["dispatch", "--once"]);
    // Kill it while a request it made is being answered: ClickSend has the messages,
    // the dispatcher never records them.
    clicksend
        .wait_accepted(4, Duration::from_secs(30))
        .await
        .unwrap();
    victim.kill().unwrap();
    victim.wait().unwrap();
    let accepted_before = clicksend.accepted().len();
    assert!(accepted_before < 15, "killed before the end of the batch");
    clicksend.set_delay(Duration::ZERO);
    // Claims of the dead dispatcher expire after claim_timeout (2 s); run passes until
    // everything is recorded as sent.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        site.ok(&["dispatch", "--once"]);
        let sent = site
            .audit()
            .iter()
            .filter(|a| a["status"] == "sent")
            .count();
        if sent == 15 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {sent} of 15 sent after 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let tickets: BTreeSet<String> = clicksend
        .accepted()
        .into_iter()
        .map(|s| s.custom_string)
        .collect();
    assert_eq!(tickets.len(), 15, "none lost");
    assert_eq!(clicksend.accepted().len(), 15, "none sent twice");
    database.drop_database().await;
}

/// `postwarden dispatch` without `--once` keeps going: an event stored while it runs goes
/// out within a few intervals; SIGINT stops it cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn the_dispatcher_loop_picks_up_new_events_and_stops_on_sigint() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let database = TestDatabase::create(Backend::Sqlite).await;
    let site = Site::new(
        &database.url,
        &sms_config(&clicksend, "interval = \"100ms\""),
    );
    site.ok(&["db", "migrate"]);
    let mut dispatcher = site.spawn(&["dispatch"]);
    site.ok(&["events", "ingest", &events_file(&site, 1)]);
    clicksend
        .wait_accepted(1, Duration::from_secs(20))
        .await
        .unwrap();
    let pid = dispatcher.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = dispatcher.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(
        clicksend.accepted()[0].body,
        "WARNING brute force from 203.0.0.1 [".to_owned()
            + &clicksend.accepted()[0].custom_string
            + "]"
    );
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_checks_every_line_then_dispatch_mails_and_logs() {
    let dumps = tempfile::tempdir().unwrap();
    let sink = smtp_sink(dumps.path());
    let database = TestDatabase::create(Backend::Sqlite).await;
    let config = format!(
        r#"
[channels.ops_mail]
type = "email"
smtp = "{}"
security = "none"
from = "postwarden@example.org"
"#,
        sink.address()
    );
    let site = Site::new(&database.url, &config);
    let line = |asn: u32, ip: &str| {
        format!(
            r#"{{"kind":"abuse.bruteforce","time":"2026-11-21T10:00:00Z","severity":"warning","attributes":{{"source.ip":"{ip}","source.asn":{asn},"user":"admin"}},"directives":[{{"channel":"ops_mail","recipient":"abuse@as{asn}.example","template":"abuse_report","format":"csv","aggregate":["source.asn"],"interval":"1h"}}]}}"#
        )
    };
    let bad = site.write(
        "bad.jsonl",
        &format!(
            "{}\n{{\"kind\":\"x\",\"severity\":\"loud\"}}\nnot json\n",
            line(64500, "203.0.113.7")
        ),
    );
    let out = site.output(&["events", "ingest", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("2 bad lines; nothing was stored"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 2: unknown severity `loud`"),
        "{stderr}"
    );
    assert!(stderr.contains("line 3:"), "{stderr}");
    let mut good = String::new();
    for (asn, ip) in [
        (64500, "203.0.113.7"),
        (64500, "203.0.113.8"),
        (64501, "198.51.100.1"),
    ] {
        good.push_str(&line(asn, ip));
        good.push('\n');
    }
    // `-` reads standard input.
    let mut ingest = site
        .command(&["events", "ingest", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    ingest
        .stdin
        .take()
        .unwrap()
        .write_all(good.as_bytes())
        .unwrap();
    let out = ingest.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "stored 3 events with 3 directives"
    );
    let pass = site.ok(&["dispatch", "--once"]);
    assert!(pass.contains("2 notifications; sent 2"), "{pass}");
    let mails = dumped(dumps.path());
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().any(|m| m.contains("abuse@as64500.example")
        && m.contains("Abuse report: 2 events source.asn=64500")));
    let test = site.ok(&["notify", "test", "ops_mail"]);
    assert_eq!(
        test.trim(),
        format!("ops_mail: ok: SMTP server {} answers", sink.address())
    );
    let log = site.ok(&["notify", "log", "--since", "1h"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.lines().all(|l| l.contains(" sent ")), "{log}");
    drop(sink);
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn send_test_and_render_say_what_happened() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let database = TestDatabase::create(Backend::Sqlite).await;
    let site = Site::new(
        &database.url,
        &sms_config(&clicksend, "").replace(
            "[channels.ops_sms]",
            "[limits]\nduplicate_window = \"30m\"\n\n[channels.ops_sms]",
        ),
    );
    let sent = site.ok(&[
        "notify",
        "send",
        "--channel",
        "ops_sms",
        "--to",
        PHONE,
        "Postfix is down on mx1",
    ]);
    assert!(sent.starts_with("sent: ticket "), "{sent}");
    let again = site.output(&[
        "notify",
        "send",
        "--channel",
        "ops_sms",
        "--to",
        PHONE,
        "Postfix is down on mx1",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("duplicate"));
    clicksend.reject_recipient("+19998887777", "INVALID_RECIPIENT");
    let refused = site.output(&[
        "notify",
        "send",
        "--channel",
        "ops_sms",
        "--to",
        "+19998887777",
        "x",
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("failed: ClickSend refused"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let not_e164 = site.output(&[
        "notify",
        "send",
        "--channel",
        "ops_sms",
        "--to",
        "0171 555",
        "x",
    ]);
    assert!(String::from_utf8_lossy(&not_e164.stderr).contains("not an E.164 number"));
    assert_eq!(clicksend.accepted().len(), 1);

    let test = site.ok(&["notify", "test", "ops_sms"]);
    assert!(
        test.contains("ops_sms: ok: ClickSend account `apiuser`: balance"),
        "{test}"
    );
    let wrong = Site::new(
        &database.url,
        &sms_config(&clicksend, "").replace(KEY, "wrong-key"),
    );
    let failed = wrong.output(&["notify", "test"]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stdout).contains("ops_sms: FAILED: UNAUTHORIZED"));

    let event = r#"{"kind":"auth.failure","severity":"warning","ip":"203.0.113.7","user":"admin\r\nBcc: x@example.net","summary":"SASL failure"}"#;
    let sms = site.ok(&[
        "notify", "render", "sms", "--format", "sms", "--event", event, "--event", event,
    ]);
    assert!(
        sms.starts_with("2 auth failures from 203.0.113.7 in 0 s ["),
        "{sms}"
    );
    assert!(sms.contains("GSM-7, 1 part)"), "{sms}");
    let mail = site.ok(&["notify", "render", "email", "--event", event]);
    assert!(
        mail.starts_with("Subject: [postwarden] WARNING: SASL failure\n"),
        "{mail}"
    );
    assert!(mail.contains("User: admin Bcc: x@example.net"), "{mail}");
    let missing = site.output(&["notify", "render", "nope", "--event", event]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("template `nope` not found"));
    database.drop_database().await;
}

/// examples/notify-openefa.toml as shipped, pointed at the test double and smtp-sink:
/// OpenEFA's triggers fire for what they should and only that, one SMS per minute
/// (cooldown), a copy by mail, the health alert with its recovery.
#[tokio::test(flavor = "multi_thread")]
async fn the_openefa_example_sends_what_openefa_would() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let dumps = tempfile::tempdir().unwrap();
    let sink = smtp_sink(dumps.path());
    let database = TestDatabase::create(Backend::Sqlite).await;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = std::fs::read_to_string(repo.join("examples/notify-openefa.toml")).unwrap();
    let config = example
        .replace("https://rest.clicksend.com", &clicksend.base_url())
        .replace("username = \"apiuser\"", &format!("username = \"{USER}\""))
        .replace("127.0.0.1:25", &sink.address());
    let site = Site::new(&database.url, &config);
    let events = [
        r#"{"kind":"mail.virus","severity":"critical","summary":"virus Eicar-Signature from x@example.net"}"#,
        r#"{"kind":"mail.bec","severity":"warning","summary":"BEC likely","attributes":{"confidence":0.85}}"#,
        r#"{"kind":"mail.bec","severity":"warning","summary":"BEC unlikely","attributes":{"confidence":0.5}}"#,
        r#"{"kind":"mail.spam","severity":"notice","summary":"spam scored 85","attributes":{"score":85}}"#,
        r#"{"kind":"mail.spam","severity":"notice","summary":"spam scored 50","attributes":{"score":50}}"#,
        r#"{"kind":"health.postfix","severity":"critical","summary":"postfix is down","attributes":{"status":"firing"}}"#,
        r#"{"kind":"health.postfix","severity":"warning","summary":"postfix is up again","attributes":{"status":"resolved"}}"#,
        r#"{"kind":"report.daily","severity":"info","summary":"Daily: 1200 processed, 310 spam blocked, 2 threats, 4 quarantined"}"#,
    ];
    let t = "2026-11-29T10:00:00Z";
    let lines: Vec<String> = events
        .iter()
        .map(|e| e.replacen('{', &format!("{{\"time\":\"{t}\","), 1))
        .collect();
    let file = site.write("events.jsonl", &(lines.join("\n") + "\n"));
    site.ok(&["events", "ingest", file.to_str().unwrap()]);
    let mut passes = Vec::new();
    for minute in 0..6 {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z").unwrap()
            + chrono::Duration::seconds(61 * minute + 75);
        let mut cmd = site.command(&["dispatch", "--once", "--at", &at.to_rfc3339()]);
        let out = cmd.env("CLICKSEND_API_KEY", KEY).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        passes.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let sms: Vec<String> = clicksend.accepted().into_iter().map(|s| s.body).collect();
    assert_eq!(
        sms.len(),
        5,
        "one per minute, five groups: {sms:#?}\n{passes:#?}"
    );
    for expected in [
        "virus Eicar",
        "BEC likely",
        "spam scored 85",
        "RECOVERED postfix: postfix is down (failing since 10:00:00 UTC, recovered 10:00:00 UTC",
        "Daily: 1200",
    ] {
        assert!(
            sms.iter().any(|b| b.contains(expected)),
            "{expected}: {sms:#?}"
        );
    }
    assert!(
        !sms.iter()
            .any(|b| b.contains("unlikely") || b.contains("scored 50"))
    );
    let mails = dumped(dumps.path());
    assert_eq!(mails.len(), 4, "virus, BEC, system, daily by mail too");
    let audit = site.audit();
    assert!(audit.iter().any(|a| a["status"] == "cooldown"));
    drop(sink);
    database.drop_database().await;
}

#[test]
fn the_example_configurations_pass_config_check() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for example in [
        "examples/notify-openefa.toml",
        "examples/notify-mailgen.toml",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .current_dir(&repo)
            .args(["--config", example, "config", "check"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `report daily --send`: the summary by SMS and the digest (HTML, CSV attached) by mail,
/// each under its own ticket in the audit; `--send` belongs to `daily` only.
#[tokio::test(flavor = "multi_thread")]
async fn report_daily_send_reaches_phone_and_mailbox() {
    let dumps = tempfile::tempdir().unwrap();
    let sink = smtp_sink(dumps.path());
    let clicksend = ClickSend::start(USER, KEY).await;
    let database = TestDatabase::create(Backend::Sqlite).await;
    let config = format!(
        r#"
[report]
server_name = "mx1.example.org"
[channels.ops_sms]
type = "clicksend"
username = "{USER}"
api_key = "{KEY}"
api_base = "{base}"
[channels.ops_mail]
type = "email"
smtp = "{smtp}"
security = "none"
from = "postwarden@example.org"
[reports.daily]
at = "08:00"
receivers = [{{ channel = "ops_sms", to = ["{PHONE}"] }}, {{ channel = "ops_mail", to = ["admin@example.org"] }}]
"#,
        base = clicksend.base_url(),
        smtp = sink.address(),
    );
    let site = Site::new(&database.url, &config);
    let out = site.output(&["report", "daily", "--send", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["filter"]["processed"], 0, "{json}");
    assert_eq!(stderr.matches(": ops_").count(), 2, "{stderr}");
    assert_eq!(stderr.matches(" — sent").count(), 2, "{stderr}");
    let sms = clicksend.accepted();
    assert_eq!(sms.len(), 1);
    assert!(
        sms[0].body.starts_with("mx1.example.org ") && sms[0].body.contains("0 processed"),
        "{}",
        sms[0].body
    );
    let mails = dumped(dumps.path());
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("Subject: postwarden daily report for mx1.example.org"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("text/html") && mails[0].contains("text/csv"));
    let audit = site.ok(&["notify", "log", "--json"]);
    assert_eq!(audit.matches("\"sent\"").count(), 2, "{audit}");

    let out = site.output(&["report", "auth", "--send"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--send goes with `report daily` only"));
}
