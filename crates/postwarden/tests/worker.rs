//! Per-user processing as an administrator and a mailbox owner set it up: `postwarden users
//! route` provisions the real broker (in a vhost of the test's own) and prints the worker's
//! settings; the owner runs `postwarden worker --config worker.toml` (or the Python example
//! worker); `postwarden run` with the filter asks it about every copy of theirs. A worker
//! killed mid-message leaves it to the next; `users unroute` removes it all.

use postwarden_testkit::daemons::{Daemon, dumped, free_port, smtp_sink};
use postwarden_testkit::rabbit::Vhost;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

fn postwarden(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postwarden"))
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(config: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = postwarden(config, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A process whose stderr goes to a file the test can read.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn start(command: &mut Command, log: PathBuf) -> Running {
        let file = std::fs::File::create(&log).unwrap();
        let child = command.stdout(Stdio::null()).stderr(file).spawn().unwrap();
        Running { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log says `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.log().contains(text) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) before `{text}`: {}", self.log());
            }
            assert!(Instant::now() < deadline, "no `{text}` in: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: &str) {
        Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// Waits for the process to end; its exit status.
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
    filter: String,
    vhost: Vhost,
    _sink: Daemon,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let sink = smtp_sink(&dir.path().join("sink"));
        let vhost = Vhost::create();
        let filter = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("postwarden.toml");
        std::fs::write(
            &config,
            format!(
                r#"data_dir = "{data}"
[run]
components = ["filter"]
[filter]
listen = "{filter}"
next_hop = "{next_hop}"
[mq]
url = "{url}"
node = "node-a"
"#,
                data = dir.path().join("data").display(),
                next_hop = sink.address(),
                url = vhost.url(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        Site {
            dir,
            config,
            filter,
            vhost,
            _sink: sink,
        }
    }

    /// `postwarden run`, once its filter listens and it reached the broker.
    fn run(&self) -> Running {
        let mut run = Running::start(
            Command::new(env!("CARGO_BIN_EXE_postwarden"))
                .arg("--config")
                .arg(&self.config)
                .arg("run"),
            self.dir.path().join("run.log"),
        );
        run.wait_for("connected to the broker");
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(&self.filter).is_err() {
            assert!(Instant::now() < deadline, "the filter did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        run
    }

    /// `users add` and `users route`: the printed settings.
    fn route(&self, address: &str, extra: &[&str]) -> HashMap<String, String> {
        ok(
            &self.config,
            &["users", "add", address, "--role", "user"],
            Some("a long enough password\n"),
        );
        let mut args = vec!["users", "route", address];
        args.extend_from_slice(extra);
        let out = ok(&self.config, &args, None);
        out.lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// `postwarden worker` for `settings` with `processors`.
    fn worker(&self, name: &str, settings: &HashMap<String, String>, processors: &str) -> Running {
        let file = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &file,
            format!(
                "[worker]\nbroker = \"{}\"\nqueue = \"{}\"\n{processors}",
                settings["broker_url"], settings["queue"]
            ),
        )
        .unwrap();
        let mut worker = Running::start(
            Command::new(env!("CARGO_BIN_EXE_postwarden"))
                .arg("--config")
                .arg(&file)
                .arg("worker"),
            self.dir.path().join(format!("{name}.log")),
        );
        worker.wait_for("worker ready");
        worker
    }

    fn deliver(&self, from: &str, to: &str, subject: &str) -> String {
        deliver(&self.filter, from, to, subject)
    }

    fn delivered(&self) -> Vec<String> {
        dumped(&self.dir.path().join("sink"))
    }
}

/// Hands the filter at `filter` one message, as Postfix would; its reply to the data.
fn deliver(filter: &str, from: &str, to: &str, subject: &str) -> String {
    let stream = TcpStream::connect(filter).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut reply = || {
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    };
    reply();
    let message = format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello.\r\n.\r\n");
    let mut last = String::new();
    for command in [
        "EHLO postfix.test\r\n".to_string(),
        format!("MAIL FROM:<{from}>\r\n"),
        format!("RCPT TO:<{to}>\r\n"),
        "DATA\r\n".into(),
        message,
    ] {
        writer.write_all(command.as_bytes()).unwrap();
        last = reply();
    }
    writer.write_all(b"QUIT\r\n").unwrap();
    last
}

/// The message's ref at the end of a filter reply.
fn reference(reply: &str) -> String {
    reply
        .trim_end()
        .trim_end_matches(')')
        .rsplit([' ', '('])
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn an_admin_routes_a_user_whose_worker_refuses_their_copy_and_survives_a_killed_worker() {
    let site = Site::new();
    let settings = site.route("alice@corp.example", &["--timeout", "60s"]);
    for key in ["broker_url", "queue", "broker_user", "user", "on_timeout"] {
        assert!(settings.contains_key(key), "`{key}` printed: {settings:?}");
    }
    assert!(settings["broker_url"].starts_with("amqp://postwarden-worker-"));
    assert!(
        !settings["broker_url"].contains("guest"),
        "the worker gets its own credentials"
    );
    assert_eq!(settings["on_timeout"], "tempfail");
    assert_eq!(site.vhost.users(), [settings["broker_user"].clone()]);
    let listed = ok(&site.config, &["users", "list"], None);
    assert!(
        listed.contains(&format!(
            "route: {} (timeout 1m, on_timeout tempfail)",
            settings["queue"]
        )),
        "{listed}"
    );

    let mut worker = site.worker(
        "lists",
        &settings,
        "[[worker.processors]]\ntype = \"lists\"\nblock_senders = [\"@pushy.example\"]\n",
    );
    let _run = site.run();
    let refused = site.deliver("sales@pushy.example", "alice@corp.example", "offer");
    assert!(refused.starts_with("554"), "{refused}");
    let status = ok(
        &site.config,
        &["mail", "status", &reference(&refused)],
        None,
    );
    assert!(
        status.contains("state=answered") && status.contains("action=reject"),
        "{status}"
    );
    assert!(status.contains("alice@corp.example"), "{status}");
    let accepted = site.deliver("friend@partner.example", "alice@corp.example", "lunch");
    assert!(accepted.starts_with("250"), "{accepted}");
    assert_eq!(site.delivered().len(), 1);
    assert!(worker.log().contains("answered"), "one line per message");

    // SIGTERM: the worker finishes and exits cleanly.
    worker.signal("-TERM");
    assert!(worker.wait().success(), "{}", worker.log());

    // A worker killed while it holds a request: the next worker gets it.
    let mut slow = site.worker(
        "slow",
        &settings,
        "[[worker.processors]]\ntype = \"command\"\nprogram = \"/bin/sleep\"\nargs = [\"60\"]\ntimeout = \"90s\"\n",
    );
    let sending = {
        let filter = site.filter.clone();
        std::thread::spawn(move || {
            deliver(
                &filter,
                "late@partner.example",
                "alice@corp.example",
                "redelivered",
            )
        })
    };
    let deadline = Instant::now() + WAIT;
    while site.vhost.unacked(&settings["queue"]) != Some(1) {
        assert!(
            Instant::now() < deadline,
            "the slow worker took the request"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    slow.signal("-KILL");
    slow.wait();
    let _next = site.worker(
        "next",
        &settings,
        "[[worker.processors]]\ntype = \"lists\"\nblock_senders = [\"@pushy.example\"]\n",
    );
    let reply = sending.join().unwrap();
    assert!(
        reply.starts_with("250"),
        "redelivered and answered: {reply}"
    );
    assert_eq!(site.delivered().len(), 2);
    let listed = ok(&site.config, &["users", "list"], None);
    assert!(
        listed.contains("24 h: 3 requests, 0 timed out, 0 failed, p50 "),
        "the route's figures: {listed}"
    );

    ok(
        &site.config,
        &["users", "unroute", "alice@corp.example"],
        None,
    );
    assert!(site.vhost.users().is_empty(), "the broker user is gone");
    assert_eq!(site.vhost.depth(&settings["queue"]), None, "and the queue");
}

#[test]
fn the_python_example_worker_speaks_the_protocol() {
    let site = Site::new();
    let settings = site.route("bob@corp.example", &["--timeout", "30s"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mq-worker.py");
    let mut worker = Running::start(
        Command::new("python3").arg(&script).args([
            "--broker",
            &settings["broker_url"],
            "--queue",
            &settings["queue"],
            "--block",
            "@pushy.example",
            "--tag-subject-word",
            "invoice",
        ]),
        site.dir.path().join("python.log"),
    );
    worker.wait_for("worker ready");
    let _run = site.run();
    let refused = site.deliver("sales@pushy.example", "bob@corp.example", "offer");
    assert!(refused.starts_with("554"), "{refused}: {}", worker.log());
    let tagged = site.deliver(
        "billing@partner.example",
        "bob@corp.example",
        "Your invoice",
    );
    assert!(tagged.starts_with("250"), "{tagged}");
    let delivered = site.delivered();
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0].contains("Subject: [invoice] Your invoice"),
        "{}",
        delivered[0]
    );
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn the_filters_memory_stays_flat_while_requests_pile_up_for_an_offline_worker() {
    let site = Site::new();
    let settings = site.route("carol@corp.example", &["--timeout", "300ms"]);
    let run = site.run();
    // 20 sessions at a time, as Postfix's transport would open them; nobody answers.
    let send = |count: usize| {
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let filter = site.filter.clone();
                std::thread::spawn(move || {
                    for _ in 0..count / 20 {
                        let reply =
                            deliver(&filter, "x@sender.example", "carol@corp.example", "away");
                        assert!(reply.starts_with("451"), "{reply}");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    };
    send(400);
    let before = rss_kib(run.child.id());
    send(1000);
    let after = rss_kib(run.child.id());
    assert!(
        after < before + 16 * 1024,
        "memory stays flat: {before} KiB before, {after} KiB after 1,000 more"
    );
    assert!(site.delivered().is_empty());
    let _ = settings;
}
