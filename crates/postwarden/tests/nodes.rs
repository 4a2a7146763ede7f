//! Two nodes, one store, one broker: two `postwarden run` processes with the filter (on
//! different ports, as if on different machines) share one PostgreSQL database and one
//! RabbitMQ vhost. A real Postfix sends mail from `a.example` through node a and from
//! `b.example` through node b; every copy for alice goes to her one worker, and each reply
//! must come back to the node that asked. Midway node a is killed with SIGKILL and started
//! again: Postfix keeps what it could not hand over, and nothing is lost.

use postwarden_store::Backend;
use postwarden_testkit::daemons::free_port;
use postwarden_testkit::database::TestDatabase;
use postwarden_testkit::postfix::Postfix;
use postwarden_testkit::rabbit::Vhost;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PER_NODE: usize = 1000;

struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    fn start(config: &Path, verb: &str, log: PathBuf) -> Process {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .arg("--config")
            .arg(config)
            .arg(verb)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Process { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for(&mut self, text: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.log().matches(text).count() < times {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) before `{text}`: {}", self.log());
            }
            assert!(Instant::now() < deadline, "no `{text}` in: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_config(
    dir: &Path,
    name: &str,
    db: &str,
    vhost: &Vhost,
    listen: u16,
    reinject: u16,
) -> PathBuf {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
[database]
url = "{db}"
[run]
components = ["filter"]
[filter]
listen = "127.0.0.1:{listen}"
next_hop = "127.0.0.1:{reinject}"
[mq]
url = "{url}"
node = "{name}"
"#,
            data = dir.join(format!("data-{name}")).display(),
            url = vhost.url(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    config
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `smtp-source`: `count` messages from `sender` to alice over `sessions` connections.
fn inject(port: u16, sender: &str, count: usize, sessions: usize) -> Child {
    Command::new("/usr/sbin/smtp-source")
        .args([
            "-s",
            &sessions.to_string(),
            "-m",
            &count.to_string(),
            "-l",
            "2000",
            "-f",
            sender,
            "-t",
            "alice@corp.example",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

#[test]
fn two_nodes_share_one_store_and_broker_and_a_killed_node_loses_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(TestDatabase::create(Backend::Postgres));
    let vhost = Vhost::create();
    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b, reinject) = (free_port(), free_port(), free_port());
    let config_a = node_config(dir.path(), "a", &database.url, &vhost, port_a, reinject);
    let config_b = node_config(dir.path(), "b", &database.url, &vhost, port_b, reinject);

    let mut node_a = Process::start(&config_a, "run", dir.path().join("a.log"));
    node_a.wait_for("connected to the broker", 1);
    wait_listening(port_a);
    let mut node_b = Process::start(&config_b, "run", dir.path().join("b.log"));
    node_b.wait_for("connected to the broker", 1);
    wait_listening(port_b);

    let out = Command::new(env!("CARGO_BIN_EXE_postwarden"))
        .arg("--config")
        .arg(&config_a)
        .args(["users", "add", "alice@corp.example"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"a long enough password\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_postwarden"))
        .arg("--config")
        .arg(&config_b)
        .args(["users", "route", "alice@corp.example", "--timeout", "30s"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let settings: HashMap<String, String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let worker_file = dir.path().join("worker.toml");
    std::fs::write(
        &worker_file,
        format!(
            "[worker]\nbroker = \"{}\"\nqueue = \"{}\"\nprefetch = 20\n",
            settings["broker_url"], settings["queue"]
        ),
    )
    .unwrap();
    let mut worker = Process::start(&worker_file, "worker", dir.path().join("worker.log"));
    worker.wait_for("worker ready", 1);

    let postfix_root = dir.path().join("postfix");
    std::fs::create_dir_all(postfix_root.join("etc")).unwrap();
    std::fs::write(
        postfix_root.join("etc/senders"),
        format!("b.example FILTER postwarden:[127.0.0.1]:{port_b}\n"),
    )
    .unwrap();
    let postfix = Postfix::start_with(
        &postfix_root,
        port_a,
        reinject,
        &["corp.example"],
        "smtpd_sender_restrictions = check_sender_access texthash:{etc}/senders\n\
         minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n\
         smtp_connect_timeout = 2s\n",
    );

    let mut from_a = inject(postfix.port, "sender@a.example", PER_NODE, 5);
    let mut from_b = inject(postfix.port, "sender@b.example", PER_NODE, 5);
    // Kill node a once it has handled a good part of its share, then start it again.
    postfix.wait_until("node a's first 300", |p| handed_to(p, port_a) >= 300);
    node_a.child.kill().unwrap();
    node_a.child.wait().unwrap();
    postfix.wait_until("node b to carry on", |p| {
        handed_to(p, port_b) >= PER_NODE / 2
    });
    let _node_a_again = {
        let mut node = Process::start(&config_a, "run", dir.path().join("a.log"));
        node.wait_for("connected to the broker", 2);
        node
    };
    assert!(from_a.wait().unwrap().success());
    assert!(from_b.wait().unwrap().success());
    // Distinct messages, not copies: a duplicate (allowed below) must not end the wait
    // while a message Postfix deferred during the kill is still on its way.
    let distinct = |p: &Postfix| {
        p.delivered()
            .iter()
            .filter_map(|m| header(m, "Message-Id").or_else(|| header(m, "Message-ID")))
            .map(str::to_owned)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    postfix.wait_until("every message delivered", |p| distinct(p) >= 2 * PER_NODE);

    let delivered = postfix.delivered();
    // Message-Id → the refs of its delivered copies.
    let mut ids: HashMap<String, Vec<String>> = HashMap::new();
    for message in &delivered {
        let id = header(message, "Message-Id")
            .or_else(|| header(message, "Message-ID"))
            .expect("smtp-source gives each message an id");
        let reference = header(message, "X-Postwarden-Id").expect("filtered");
        ids.entry(id.to_owned())
            .or_default()
            .push(reference.to_owned());
    }
    assert_eq!(ids.len(), 2 * PER_NODE, "every message delivered");
    let twice = ids.values().filter(|refs| refs.len() > 1).count();
    // The one duplicate SMTP allows: node a had relayed a copy and was killed before it
    // could answer Postfix, which then (rightly) sent it again. At most one per session
    // Postfix had open to node a.
    assert!(twice <= 4, "{twice} messages delivered twice");

    let counts = runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
        let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&pool)
            .await
            .unwrap();
        let by_node: Vec<(String, i64)> = sqlx::query_as(
            "SELECT node, CAST(COUNT(*) AS BIGINT) FROM mail_status WHERE state = 'answered' \
             GROUP BY node ORDER BY node",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        // A message is recorded when one of its delivered copies is. The killed node may
        // have relayed a copy and died before recording it: Postfix then sent the message
        // again, and that transaction is recorded.
        let mut missing = 0;
        let mut unrecorded_copies = 0;
        for refs in ids.values() {
            let mut recorded = 0;
            for reference in refs {
                let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE id = $1")
                    .bind(reference)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                recorded += found;
            }
            if recorded == 0 {
                missing += 1;
            }
            unrecorded_copies += refs.len() as i64 - recorded;
        }
        assert!(
            unrecorded_copies <= twice as i64,
            "only a duplicate's first copy may be unrecorded"
        );
        pool.close().await;
        (messages, by_node, missing)
    });
    let (messages, by_node, missing) = counts;
    assert_eq!(
        missing, 0,
        "every delivered message is recorded in the one store"
    );
    assert!(messages >= (2 * PER_NODE) as i64, "{messages} records");
    let nodes: Vec<&str> = by_node.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        nodes,
        ["a", "b"],
        "each node got its own replies: {by_node:?}"
    );
    assert!(
        by_node.iter().map(|(_, n)| n).sum::<i64>() >= (2 * PER_NODE) as i64,
        "{by_node:?}"
    );
    assert!(worker.log().matches("answered").count() >= 2 * PER_NODE);
    drop(postfix);
    drop(worker);
    drop(node_b);
    runtime.block_on(database.drop_database());
}

/// Messages Postfix handed to the filter on `port` so far (its log's `status=sent` lines).
fn handed_to(postfix: &Postfix, port: u16) -> usize {
    let relay = format!("relay=127.0.0.1[127.0.0.1]:{port},");
    postfix
        .log()
        .lines()
        .filter(|l| l.contains(&relay) && l.contains("status=sent"))
        .count()
}
