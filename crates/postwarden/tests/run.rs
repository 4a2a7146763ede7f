//! `postwarden run` as an administrator runs it under systemd: the health monitor and the
//! dispatcher in one process, a real Postfix stopped and started (an SMS each way through
//! the ClickSend double) and its queue filled past the threshold, the metrics scraped, the
//! database taken away (the alert still goes out), an invalid configuration on SIGHUP kept
//! out, SIGTERM with an SMTP session in flight losing nothing — and the API key written in
//! the configuration never in its logs.

use postwarden_store::Backend;
use postwarden_testkit::clicksend::{ClickSend, Sms};
use postwarden_testkit::daemons::{dumped, free_port, smtp_sink};
use postwarden_testkit::database::TestDatabase;
use postwarden_testkit::postfix::Postfix;
use postwarden_testkit::proxy::TcpProxy;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "apiuser";
const KEY: &str = "planted-api-key-5c1e";
const WAIT: Duration = Duration::from_secs(30);

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `postwarden run` under a fake systemd: its notify socket and its log.
struct Daemon {
    child: Child,
    notify: UnixDatagram,
    log_path: PathBuf,
    config_path: PathBuf,
}

impl Daemon {
    /// Writes `config` (mode 0600) and starts the daemon on it; returns once it is ready.
    fn start(dir: &Path, config: &str) -> Daemon {
        let config_path = dir.join("postwarden.toml");
        write_private(&config_path, config);
        let notify_path = dir.join("notify.sock");
        // A daemon started before in the same directory left its socket file.
        let _ = std::fs::remove_file(&notify_path);
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify.set_read_timeout(Some(WAIT)).unwrap();
        let log_path = dir.join("postwarden.log");
        let child = Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .args(["--config", config_path.to_str().unwrap(), "-v", "run"])
            .env("RUST_LOG", "debug")
            .env("NOTIFY_SOCKET", &notify_path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        let daemon = Daemon {
            child,
            notify,
            log_path,
            config_path,
        };
        assert_eq!(daemon.notified(), "READY=1", "{}", daemon.log());
        daemon
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the ClickSend double has `n` messages (the daemon's log on failure);
    /// returns the `n`th.
    fn sms(&self, clicksend: &ClickSend, n: usize) -> Sms {
        clicksend
            .wait_accepted_blocking(n, WAIT)
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        clicksend.accepted().swap_remove(n - 1)
    }

    /// The next state the daemon reported on its notify socket.
    fn notified(&self) -> String {
        let mut buf = [0u8; 256];
        let n = self
            .notify
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no systemd notification within 30 s: {e}\n{}", self.log()));
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until the log contains `needle`, the daemon running all along.
    fn wait_log(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` logged:\n{}",
                self.log()
            );
            self.assert_running();
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("the daemon died ({status}):\n{}", self.log());
        }
    }

    /// SIGTERM; checks that it says it is stopping and exits 0; returns its log.
    fn stop(self) -> String {
        self.signal("TERM");
        assert_eq!(self.notified(), "STOPPING=1");
        self.wait_stopped()
    }

    /// Waits for the process to exit after a stop; checks it exited 0 with no secret in its
    /// log; returns the log.
    fn wait_stopped(mut self) -> String {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = self.log();
        assert!(status.success(), "{status}\n{log}");
        assert!(log.contains("postwarden stopped"), "{log}");
        assert!(!log.contains(KEY), "the API key is in the log:\n{log}");
        log
    }
}

/// The response to `GET /metrics` at `address`, or why there is none.
fn scrape(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: postwarden\r\n\r\n")?;
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response)?;
    Ok(response)
}

/// Scrapes `address` until the metrics contain `line` (at most [`WAIT`]; the endpoint may
/// not be listening yet).
fn scrape_until(address: &str, line: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let scraped = scrape(address);
        if let Ok(response) = &scraped {
            assert!(response.starts_with("HTTP/1.0 200"), "{response}");
            if response.contains(line) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "no `{line}` in:\n{scraped:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The SMS channel and a `health.*` rule to it, resolved alerts included.
fn sms_rule(clicksend: &ClickSend) -> String {
    format!(
        r#"[notify]
interval = "100ms"
[channels.ops_sms]
type = "clicksend"
username = "{USER}"
api_key = "{KEY}"
api_base = "{base}"
[[rules]]
name = "health"
match = {{ kind = "health.*" }}
receivers = [{{ channel = "ops_sms", to = ["+12345678901"] }}]
group_wait = "0s"
group_interval = "1s"
send_resolved = true
"#,
        base = clicksend.base_url(),
    )
}

#[test]
fn postfix_down_and_back_reaches_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let postfix = Postfix::start(
        &dir.path().join("pf"),
        free_port(),
        free_port(),
        &["test.example"],
    );
    let clicksend = ClickSend::start_in_background(USER, KEY);
    let metrics = format!("127.0.0.1:{}", free_port());
    let config = format!(
        r#"data_dir = "{data}"
[run]
components = ["health", "notify"]
shutdown_timeout = "10s"
[health]
interval = "200ms"
[health.postfix]
config_dir = "{postfix}"
[metrics]
listen = "{metrics}"
{sms}"#,
        data = dir.path().join("data").display(),
        postfix = postfix.config_dir().display(),
        sms = sms_rule(&clicksend),
    );
    let mut daemon = Daemon::start(dir.path(), &config);

    assert!(postfix.command("stop").success());
    let stopped = Instant::now();
    let down = daemon.sms(&clicksend, 1);
    println!("postfix down → SMS in {:?}", stopped.elapsed());
    assert!(down.body.contains("postfix"), "{}", down.body);
    assert!(down.body.contains("master not running"), "{}", down.body);
    // The counters move right after the send: wait for them.
    scrape_until(&metrics, "postwarden_probe_up{probe=\"postfix\"} 0");
    scrape_until(
        &metrics,
        "postwarden_notifications_total{channel=\"ops_sms\",status=\"sent\"} 1",
    );

    assert!(postfix.command("start").success());
    let started = Instant::now();
    let up = daemon.sms(&clicksend, 2);
    println!("postfix up → SMS in {:?}", started.elapsed());
    assert!(up.body.contains("recovered"), "{}", up.body);

    // An invalid configuration on SIGHUP is refused; the daemon keeps running the old one.
    write_private(
        &daemon.config_path,
        &config.replace("interval = \"200ms\"", "interval = 5"),
    );
    daemon.signal("HUP");
    daemon.wait_log("configuration not reloaded, keeping the running one");
    assert!(
        daemon.log().contains("interval = 5"),
        "the error shows the line:\n{}",
        daemon.log()
    );
    // A valid one is taken: the components restart with it, the queue probe added.
    let with_queue = config.replace("[metrics]", "[health.queue]\nmax_messages = 2\n[metrics]");
    write_private(&daemon.config_path, &with_queue);
    daemon.signal("HUP");
    assert_eq!(daemon.notified(), "RELOADING=1");
    assert_eq!(daemon.notified(), "READY=1");

    // Three messages held in the queue, past its threshold of two: an alert.
    let sent = Command::new("/usr/sbin/smtp-source")
        .args(["-m", "3", "-f", "a@test.example", "-t", "b@test.example"])
        .arg(format!("127.0.0.1:{}", postfix.port))
        .status()
        .unwrap();
    assert!(sent.success());
    let held = Command::new("postsuper")
        .args(["-c", postfix.config_dir().to_str().unwrap(), "-h", "ALL"])
        .status()
        .unwrap();
    assert!(held.success());
    let queue = daemon.sms(&clicksend, 3);
    assert!(queue.body.contains("queue"), "{}", queue.body);
    assert!(queue.body.contains("more than 2"), "{}", queue.body);
    scrape_until(&metrics, "postwarden_probe_up{probe=\"queue\"} 0");

    // A reload while the alert fires neither pages again nor forgets it: the queue emptied
    // after the reload gives its recovery notice.
    daemon.signal("HUP");
    assert_eq!(daemon.notified(), "RELOADING=1");
    assert_eq!(daemon.notified(), "READY=1");
    let deleted = Command::new("postsuper")
        .args(["-c", postfix.config_dir().to_str().unwrap(), "-d", "ALL"])
        .status()
        .unwrap();
    assert!(deleted.success());
    let recovered = daemon.sms(&clicksend, 4);
    assert!(recovered.body.contains("queue: recovered"), "{recovered:?}");
    assert_eq!(clicksend.accepted().len(), 4, "{:?}", clicksend.accepted());
    daemon.stop();
}

/// The database goes away under the running daemon: the "database down" alert still reaches
/// the phone (straight from the health component, with a ticket made without the store),
/// and once the database is back the alert is stored as already sent, so the dispatcher
/// does not send it a second time, and the recovery goes out the normal way.
#[test]
fn database_down_alert_reaches_the_phone_without_the_store() {
    let site = StoreDownSite::new();
    let (proxy, clicksend) = (&site.proxy, &site.clicksend);
    let daemon = site.start();

    proxy.cut();
    let cut = Instant::now();
    let down = daemon.sms(clicksend, 1);
    println!("database down → SMS in {:?}", cut.elapsed());
    assert!(down.body.contains("database"), "{}", down.body);
    assert!(
        down.custom_string.contains("-D"),
        "a ticket made without the store: {}",
        down.custom_string
    );

    proxy.restore();
    let restored = Instant::now();
    let up = daemon.sms(clicksend, 2);
    println!("database back → SMS in {:?}", restored.elapsed());
    assert!(up.body.contains("recovered"), "{}", up.body);

    assert!(!up.custom_string.contains("-D"), "{}", up.custom_string);
    daemon.stop();

    // The alert sent during the outage is in the store, marked routed and carrying its
    // ticket; no directive was ever made of it, so it was sent once.
    let rows: Vec<(String, i64, String, i64)> = site.rows(
        "SELECT e.kind, e.routed::bigint, e.attributes, \
         (SELECT COUNT(*) FROM directives d WHERE d.event_id = e.id) \
         FROM events e WHERE e.kind = 'health.database' ORDER BY e.id",
    );
    assert_eq!(rows.len(), 2, "firing and resolved: {rows:?}");
    let (_, routed, attributes, directives) = &rows[0];
    assert_eq!(*routed, 1, "{rows:?}");
    assert!(attributes.contains(&down.custom_string), "{attributes}");
    assert_eq!(*directives, 0, "the dispatcher never routed it: {rows:?}");
    assert!(attributes.contains("firing"), "{attributes}");
    assert_eq!(
        rows[1].3, 1,
        "the recovery went through the dispatcher: {rows:?}"
    );
    assert_eq!(clicksend.accepted().len(), 2);
    site.finish();
}

/// A PostgreSQL store behind a proxy the test can cut, health and notify on it probing
/// every 200 ms, alerts by SMS to the ClickSend double.
struct StoreDownSite {
    runtime: tokio::runtime::Runtime,
    database: TestDatabase,
    proxy: TcpProxy,
    clicksend: ClickSend,
    dir: tempfile::TempDir,
    config: String,
}

impl StoreDownSite {
    fn new() -> StoreDownSite {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let database = runtime.block_on(TestDatabase::create(Backend::Postgres));
        let (user, server, name) = split_server(&database.url);
        let proxy = TcpProxy::start(server);
        let url = format!("{user}127.0.0.1:{}{name}", proxy.port());
        let dir = tempfile::tempdir().unwrap();
        let clicksend = ClickSend::start_in_background(USER, KEY);
        let config = format!(
            r#"data_dir = "{data}"
[database]
url = "{url}"
[run]
components = ["health", "notify"]
shutdown_timeout = "10s"
[health]
interval = "200ms"
timeout = "1s"
{sms}"#,
            data = dir.path().join("data").display(),
            sms = sms_rule(&clicksend),
        );
        StoreDownSite {
            runtime,
            database,
            proxy,
            clicksend,
            dir,
            config,
        }
    }

    fn start(&self) -> Daemon {
        Daemon::start(self.dir.path(), &self.config)
    }

    /// Rows of `sql`, read straight from the database (not through the proxy).
    fn rows<T>(&self, sql: &'static str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        self.runtime.block_on(async {
            let pool = sqlx::PgPool::connect(&self.database.url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        })
    }

    fn finish(self) {
        self.runtime.block_on(self.database.drop_database());
    }
}

/// Waits until `ready` (at most [`WAIT`]).
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The daemon stopped while the store is down, after the alert went out directly: the
/// outbox kept on disk is taken over by the next start, which stores the alert as sent
/// once the store answers; nobody is paged twice.
#[test]
fn alerts_sent_while_the_store_is_down_survive_a_restart() {
    let site = StoreDownSite::new();
    let (proxy, clicksend) = (&site.proxy, &site.clicksend);
    let spool = site.dir.path().join("data").join("health-outbox.json");
    let spooled = || std::fs::read_to_string(&spool).unwrap_or_default();

    let daemon = site.start();
    proxy.cut();
    let ticket = daemon.sms(clicksend, 1).custom_string;
    wait_until("the sent alert kept on disk", || {
        spooled().contains(&ticket)
    });
    daemon.stop();
    assert!(spooled().contains(&ticket), "the outbox survives the stop");

    proxy.restore();
    let daemon = site.start();
    wait_until("the alert stored after the restart", || {
        site.rows::<(String,)>(
            "SELECT attributes FROM events WHERE kind = 'health.database' AND routed = 1",
        )
        .iter()
        .any(|(attributes,)| attributes.contains(&ticket))
    });
    wait_until("the outbox file removed once empty", || !spool.exists());
    assert_eq!(clicksend.accepted().len(), 1, "{:?}", clicksend.accepted());
    daemon.stop();
    site.finish();
}

/// A `scheme://user@host:port/db` URL in three: up to the `@`, the server, the rest.
fn split_server(url: &str) -> (&str, SocketAddr, &str) {
    let at = url.find('@').expect("a user in the test database's URL") + 1;
    let end = url[at..].find('/').map_or(url.len(), |i| at + i);
    let server = url[at..end]
        .parse()
        .expect("host:port of the test database");
    (&url[..at], server, &url[end..])
}

/// A plain SMTP client, as Postfix's `smtp` talks to the filter.
struct SmtpClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl SmtpClient {
    fn connect(address: &str) -> SmtpClient {
        let stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        SmtpClient {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Reads a whole reply; checks that it starts with `code`; returns its last line.
    fn expect(&mut self, code: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        line
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    /// QUIT: 221, or 421 when the server, stopping, closed the session first.
    fn quit(&mut self) {
        self.send("QUIT\r\n");
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("221") || line.starts_with("421"),
            "{line:?}"
        );
    }

    /// Greeting, EHLO, one sender and recipient, up to DATA's 354.
    fn start_message(&mut self) {
        self.expect("220");
        for (command, code) in [
            ("EHLO postfix.test\r\n", "250"),
            ("MAIL FROM:<sender@example.org>\r\n", "250"),
            ("RCPT TO:<admin@example.org>\r\n", "250"),
            ("DATA\r\n", "354"),
        ] {
            self.send(command);
            self.expect(code);
        }
    }
}

/// The filter alone, relaying to smtp-sink dumping into `sink_dir`.
fn filter_config(dir: &Path, listen: &str, next_hop: &str) -> String {
    format!(
        r#"data_dir = "{data}"
[run]
components = ["filter"]
shutdown_timeout = "20s"
[filter]
listen = "{listen}"
next_hop = "{next_hop}"
"#,
        data = dir.join("data").display(),
    )
}

/// SIGTERM while Postfix is in the middle of handing the filter a message: the daemon stops
/// accepting, the session finishes, the message reaches the next hop, and only then does the
/// process exit.
#[test]
fn sigterm_during_an_smtp_session_loses_no_message() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let listen = format!("127.0.0.1:{}", free_port());
    let daemon = Daemon::start(
        dir.path(),
        &filter_config(dir.path(), &listen, &sink.address()),
    );
    let mut smtp = SmtpClient::connect(&listen);
    smtp.start_message();
    smtp.send("Subject: in flight\r\nMessage-ID: <inflight@example.org>\r\n\r\nfirst half\r\n");
    // Another client sits between commands: it is told to come back later.
    let mut idle = SmtpClient::connect(&listen);
    idle.expect("220");
    idle.send("EHLO idle.test\r\n");
    idle.expect("250");

    daemon.signal("TERM");
    let stopping = Instant::now();
    assert_eq!(daemon.notified(), "STOPPING=1");
    idle.expect("421");
    smtp.send("second half\r\n.\r\n");
    let accepted = smtp.expect("250");
    smtp.quit();
    println!("accepted after SIGTERM: {accepted:?}");
    let log = daemon.wait_stopped();
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "the idle session held the stop up to shutdown_timeout:\n{log}"
    );
    assert!(log.contains("postwarden stopped"), "{log}");
    let relayed = dumped(&sink_dir);
    assert_eq!(relayed.len(), 1, "{log}");
    assert!(
        relayed[0].contains("first half\nsecond half"),
        "{}",
        relayed[0]
    );
    assert!(
        TcpStream::connect(&listen).is_err(),
        "still listening after the stop"
    );
}

/// SIGHUP restarts the filter with the new configuration, but the process holds its socket:
/// Postfix connecting during the reload waits in the backlog and is served by the new
/// filter, instead of being refused (and deferring the mail for minutes). The metrics count
/// the message, the processor's time and the verdict.
#[test]
fn a_reload_never_refuses_postfix() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics = format!("127.0.0.1:{}", free_port());
    let config = filter_config(dir.path(), &listen, &sink.address())
        + &format!(
            "[[filter.processors]]\ntype = \"attachments\"\n[metrics]\nlisten = \"{metrics}\"\n"
        );
    let daemon = Daemon::start(dir.path(), &config);
    daemon.signal("HUP");
    assert_eq!(daemon.notified(), "RELOADING=1");
    // The old filter may still take it (its sessions finish before the reload completes),
    // or it waits for the new one: either way it is served, never refused.
    let mut smtp = SmtpClient::connect(&listen);
    smtp.start_message();
    smtp.send("Subject: during a reload\r\n\r\nbody\r\n.\r\n");
    smtp.expect("250");
    smtp.quit();
    assert_eq!(daemon.notified(), "READY=1");
    assert_eq!(dumped(&sink_dir).len(), 1);
    // The filter's work in the metrics.
    for line in [
        "postwarden_filter_messages_total{result=\"accepted\"} 1",
        "postwarden_filter_verdicts_total{action=\"pass\"} 1",
        "postwarden_processor_duration_seconds_count{processor=\"attachments\"} 1",
    ] {
        scrape_until(&metrics, line);
    }
    daemon.stop();
}

/// The `logs` component follows the configured log as `logs follow` does: lines appended
/// to it while the daemon runs are read, classified and counted in the metrics.
#[test]
fn the_logs_component_follows_the_mail_log() {
    let dir = tempfile::tempdir().unwrap();
    let log_file = dir.path().join("mail.log");
    std::fs::write(&log_file, "").unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    let config = format!(
        r#"data_dir = "{data}"
[run]
components = ["logs"]
[logs]
files = ["{log}"]
timezone = "UTC"
[metrics]
listen = "{metrics}"
"#,
        data = dir.path().join("data").display(),
        log = log_file.display(),
    );
    let daemon = Daemon::start(dir.path(), &config);
    let line = "Jan  1 00:02:51 mx1 postfix/smtps/smtpd[1002]: warning: \
        host-171-205-42-33.example.net[171.205.42.33]:64247: SASL CRAM-MD5 authentication \
        failed: authentication failure, sasl_username=bob@example.org\n";
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log_file)
        .unwrap();
    file.write_all(line.repeat(3).as_bytes()).unwrap();
    file.write_all(b"not a syslog line\n").unwrap();
    scrape_until(
        &metrics,
        "postwarden_log_lines_total{kind=\"auth_failed\"} 3",
    );
    scrape_until(&metrics, "postwarden_log_lines_total{kind=\"unparsed\"} 1");
    daemon.stop();
}

/// A component that fails (here the metrics endpoint, its port taken) is logged and started
/// again with backoff; the process and the other components keep running, and once the
/// port is free the endpoint comes up by itself.
#[test]
fn a_failing_component_is_restarted_and_never_takes_the_process_down() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics = taken.local_addr().unwrap().to_string();
    let config = format!(
        r#"data_dir = "{data}"
[run]
components = ["health"]
[health]
interval = "200ms"
[metrics]
listen = "{metrics}"
"#,
        data = dir.path().join("data").display(),
    );
    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_log("metrics failed: cannot listen on");
    daemon.wait_log("starting it again in 2s");
    drop(taken);
    scrape_until(&metrics, "postwarden_probe_up{probe=\"database\"} 1");
    daemon.stop();
}

/// A CEO impostor through the filter pages the on-call with examples/notify-openefa.toml's
/// rules as shipped (the `mail.bec` rule asks `confidence >= 0.8`): the phishing processor's
/// event carries the score and reasons, the dispatcher sends the SMS through the ClickSend
/// double and the mail copy, and the message itself is quarantined, not delivered.
#[test]
fn a_ceo_impostor_pages_the_on_call_through_the_openefa_rules() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let clicksend = ClickSend::start_in_background(USER, KEY);
    let listen = format!("127.0.0.1:{}", free_port());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = std::fs::read_to_string(repo.join("examples/notify-openefa.toml")).unwrap();
    let rules = example
        .replace("https://rest.clicksend.com", &clicksend.base_url())
        .replace("username = \"apiuser\"", &format!("username = \"{USER}\""))
        .replace("127.0.0.1:25", &sink.address());
    let config = format!(
        r#"{filter}
[[filter.processors]]
type = "phishing"
vips = ["Jane Doe <ceo@example.org>"]
own_domains = ["example.org"]
{rules}"#,
        filter = filter_config(dir.path(), &listen, &sink.address()),
    );
    let daemon = Daemon::start(dir.path(), &config);
    let mut smtp = SmtpClient::connect(&listen);
    smtp.expect("220");
    for (command, code) in [
        ("EHLO postfix.test\r\n", "250"),
        ("MAIL FROM:<jane.doe.office@gmail.com>\r\n", "250"),
        ("RCPT TO:<cfo@example.org>\r\n", "250"),
        ("DATA\r\n", "354"),
    ] {
        smtp.send(command);
        smtp.expect(code);
    }
    smtp.send(
        "From: \"Jane Doe\" <jane.doe.office@gmail.com>\r\nTo: cfo@example.org\r\n\
         Subject: Urgent request\r\nMessage-ID: <imp-1@gmail.com>\r\n\r\n\
         John, are you available? I need you to buy gift cards for a client today.\r\n\
         Keep this confidential, I am in a meeting. Send me the codes.\r\n.\r\n",
    );
    smtp.expect("250");
    smtp.quit();

    let site = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .arg("--config")
            .arg(dir.path().join("postwarden.toml"))
            .args(args)
            .env("CLICKSEND_API_KEY", KEY)
            .output()
            .unwrap()
    };
    // The rules wait 30 s to group: the dispatcher is asked as if a minute had passed
    // since the last time, until the filter's recorder has stored the event and the group
    // is due.
    let deadline = Instant::now() + WAIT;
    let mut minutes = 0;
    while clicksend.accepted().is_empty() {
        minutes += 1;
        let at = (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339();
        let out = site(&["dispatch", "--once", "--at", &at]);
        let last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{last}");
        assert!(
            Instant::now() < deadline,
            "no SMS; the dispatcher said:\n{last}\nthe daemon:\n{}",
            daemon.log()
        );
    }
    let sms = clicksend.accepted();
    assert_eq!(sms.len(), 1, "{sms:#?}");
    assert!(
        sms[0].body.contains("business e-mail compromise"),
        "{}",
        sms[0].body
    );
    let mails = dumped(&sink_dir);
    assert_eq!(
        mails.len(),
        1,
        "the mail copy to the admin, and no delivery: {mails:#?}"
    );
    assert!(mails[0].contains("admin@example.org"), "{}", mails[0]);
    let log = daemon.stop();
    assert!(!log.contains(KEY));
}

/// `postwarden run` with the `milter` component behind a real Postfix (`smtpd_milters`, as
/// `postfix-config --milter` prints): a blocked sender hears 554 in its own session and
/// nothing is delivered or bounced; a clean message is delivered with our headers; SIGTERM
/// stops the component cleanly.
#[test]
fn the_milter_component_answers_in_the_senders_session() {
    let dir = tempfile::tempdir().unwrap();
    let milter_port = free_port();
    let postfix = Postfix::start_with(
        &dir.path().join("pf"),
        free_port(),
        free_port(),
        &["ok.example"],
        &format!(
            "content_filter =\nsmtpd_milters = inet:127.0.0.1:{milter_port}\n\
             milter_default_action = tempfail\nmilter_end_of_data_macros = i\n"
        ),
    );
    let config = format!(
        r#"data_dir = "{data}"
[run]
components = ["milter"]
shutdown_timeout = "20s"
[milter]
listen = "127.0.0.1:{milter_port}"
[[filter.processors]]
type = "lists"
block_senders = ["@blocked.example"]
"#,
        data = dir.path().join("data").display(),
    );
    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_log("milter listening");
    let listen = format!("127.0.0.1:{}", postfix.port);
    // The blocked sender is refused at RCPT already.
    let mut smtp = SmtpClient::connect(&listen);
    smtp.expect("220");
    smtp.send("EHLO client.sender.example\r\n");
    smtp.expect("250");
    smtp.send("MAIL FROM:<spam@blocked.example>\r\n");
    smtp.expect("250");
    smtp.send("RCPT TO:<a@ok.example>\r\n");
    let refused = smtp.expect("550");
    assert!(refused.contains("blocked"), "{refused}");
    smtp.quit();
    let mut smtp = SmtpClient::connect(&listen);
    smtp.expect("220");
    for (command, reply) in [
        ("EHLO client.sender.example\r\n", "250"),
        ("MAIL FROM:<friend@sender.example>\r\n", "250"),
        ("RCPT TO:<a@ok.example>\r\n", "250"),
        ("DATA\r\n", "354"),
    ] {
        smtp.send(command);
        smtp.expect(reply);
    }
    smtp.send(
        "From: friend@sender.example\r\nTo: a@ok.example\r\nSubject: hello\r\n\r\nHello.\r\n.\r\n",
    );
    smtp.expect("250");
    smtp.quit();
    postfix.wait_until("the clean message delivered", |p| !p.delivered().is_empty());
    let delivered = postfix.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:#?}");
    assert!(
        delivered[0].contains("X-Postwarden-Verdict: pass"),
        "{}",
        delivered[0]
    );
    assert!(delivered[0].contains("friend@sender.example"));
    let log = daemon.stop();
    assert!(log.contains("postwarden stopped"), "{log}");
}
