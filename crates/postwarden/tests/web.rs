//! The web console as an administrator sets it up: `postwarden users add` (password on
//! stdin) and `users token` from the shell, `postwarden run` with the `filter` and `web`
//! components, the API answering the token — and a real browser (headless Chromium through
//! chromedriver) in which a mailbox owner signs in, finds the message the filter held for
//! her, releases it, and it reaches the next hop. The browser saves a screenshot of each
//! main page in `target/screenshots/`.

use fantoccini::{ClientBuilder, Locator};
use postwarden_testkit::daemons::{Daemon, dumped, free_port, smtp_sink};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "a long enough password";

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

/// A site: the filter (lists processor holding mail from @spam.example) relaying to
/// smtp-sink, and the console, on one SQLite store.
struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
    web: String,
    filter: String,
    sink_dir: PathBuf,
    _sink: Daemon,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let sink_dir = dir.path().join("sink");
        let sink = smtp_sink(&sink_dir);
        let web = format!("127.0.0.1:{}", free_port());
        let filter = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("postwarden.toml");
        std::fs::write(
            &config,
            format!(
                r#"data_dir = "{data}"
[run]
components = ["filter", "web"]
[filter]
listen = "{filter}"
next_hop = "{next_hop}"
[[filter.processors]]
type = "lists"
block_senders = ["@spam.example"]
[filter.policy]
blocked = "quarantine"
[web]
listen = "{web}"
public_url = "http://{web}"
"#,
                data = dir.path().join("data").display(),
                next_hop = sink.address(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        Site {
            dir,
            config,
            web,
            filter,
            sink_dir,
            _sink: sink,
        }
    }

    /// `postwarden run`, returned once the console answers.
    fn run(&self) -> Child {
        let log = std::fs::File::create(self.dir.path().join("run.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(&self.web).is_err() || TcpStream::connect(&self.filter).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("postwarden run exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the console did not listen: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("run.log")).unwrap_or_default()
    }

    /// Hands the filter one message, as Postfix would; returns its reply to the data.
    fn deliver(&self, from: &str, to: &str, subject: &str) -> String {
        let stream = TcpStream::connect(&self.filter).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
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
        let message = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nA message held for you.\r\n.\r\n"
        );
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

    /// `GET path` on the console with `token`: (status, body).
    fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.web).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n",
            self.web
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "postwarden run did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn users_and_tokens_from_the_shell_open_the_api_of_the_running_daemon() {
    let site = Site::new();
    let config = &site.config;
    ok(
        config,
        &["users", "add", "Admin@Corp.Example", "--role", "admin"],
        Some(&format!("{PASSWORD}\n")),
    );
    let short = postwarden(
        config,
        &["users", "add", "bob@corp.example"],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("shorter than"),
        "{short:?}"
    );
    let bad_role = postwarden(
        config,
        &["users", "add", "bob@corp.example", "--role", "root"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("domain-admin"));
    let again = postwarden(
        config,
        &["users", "add", "admin@corp.example"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{again:?}"
    );
    ok(
        config,
        &[
            "users",
            "add",
            "postmaster@corp.example",
            "--role",
            "domain-admin",
            "--domain",
            "corp.example",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let list = ok(config, &["users", "list"], None);
    assert!(
        list.contains("admin@corp.example") && list.contains("domains: corp.example"),
        "{list}"
    );
    assert!(!list.contains("argon2"), "no hash in the listing");

    let token = ok(
        config,
        &["users", "token", "admin@corp.example", "--expires", "1h"],
        None,
    );
    assert_eq!(token.lines().count(), 1, "only the token: {token}");
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let daemon = site.run();
    let (status, body) = site.get("/api/v1/health", Some(token));
    assert_eq!(status, 200, "{body}\n{}", site.log());
    assert!(body.contains("\"status\""), "{body}");
    assert_eq!(site.get("/api/v1/health", None).0, 401);
    let (status, me) = site.get("/api/v1/me", Some(token));
    assert_eq!(status, 200);
    assert!(me.contains("\"role\":\"admin\""), "{me}");

    ok(config, &["users", "disable", "admin@corp.example"], None);
    assert_eq!(
        site.get("/api/v1/me", Some(token)).0,
        401,
        "a disabled user's token stops at once"
    );
    let short_lived = postwarden(config, &["users", "token", "admin@corp.example"], None);
    assert!(
        !short_lived.status.success(),
        "no token for a disabled user"
    );
    stop(daemon);
    assert!(
        !site.log().contains(token),
        "the token never reaches the log"
    );
    assert!(!site.log().contains(PASSWORD));
}

/// chromedriver on its own port, killed on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; scripts/test installs it)");
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        ChromeDriver { child, port }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_a_real_browser_a_mailbox_owner_signs_in_and_releases_her_held_message() {
    let site = Site::new();
    ok(
        &site.config,
        &["users", "add", "alice@corp.example", "--name", "Alice"],
        Some(&format!("{PASSWORD}\n")),
    );
    let daemon = site.run();
    let reply = site.deliver(
        "deals@spam.example",
        "alice@corp.example",
        "Held <b>for</b> Alice",
    );
    assert!(reply.starts_with("250"), "{reply}");
    assert!(dumped(&site.sink_dir).is_empty(), "held, not delivered");

    let driver = ChromeDriver::start();
    let profile = site.dir.path().join("chromium");
    let mut capabilities = serde_json::Map::new();
    let mut chrome = serde_json::json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
    });
    if Path::new("/usr/lib/chromium/chromium").exists() {
        chrome["binary"] = "/usr/lib/chromium/chromium".into();
    }
    capabilities.insert("goog:chromeOptions".into(), chrome);
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let base = format!("http://{}", site.web);

    browser.goto(&format!("{base}/quarantine")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/login"),
        "signed out: to the sign-in page"
    );
    std::fs::write(shots.join("login.png"), browser.screenshot().await.unwrap()).unwrap();
    browser
        .find(Locator::Id("address"))
        .await
        .unwrap()
        .send_keys("alice@corp.example")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action='/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/quarantine",
        "back where she wanted to go"
    );
    std::fs::write(
        shots.join("quarantine.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();

    let link = browser
        .find(Locator::LinkText("Held <b>for</b> Alice"))
        .await
        .expect("the held message, its subject as text");
    link.click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("pre.body"))
        .await
        .unwrap();
    std::fs::write(
        shots.join("held-message.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    browser
        .find(Locator::XPath(
            "//button[starts-with(normalize-space(.), 'Release')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    let notice = browser
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "Released.");

    let deadline = Instant::now() + WAIT;
    let delivered = loop {
        let dumps = dumped(&site.sink_dir);
        if let Some(d) = dumps.into_iter().next() {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "the released message did not reach smtp-sink: {}",
            site.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        delivered.contains("X-Rcpt-Args: <alice@corp.example>"),
        "{delivered}"
    );
    assert!(delivered.contains("Subject: Held <b>for</b> Alice"));

    for (page, file) in [
        ("/", "dashboard.png"),
        ("/messages", "messages.png"),
        ("/settings", "settings.png"),
        ("/lists", "lists.png"),
    ] {
        browser.goto(&format!("{base}{page}")).await.unwrap();
        browser
            .wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap();
        std::fs::write(shots.join(file), browser.screenshot().await.unwrap()).unwrap();
    }
    browser.close().await.unwrap();
    drop(driver);
    stop(daemon);
}
