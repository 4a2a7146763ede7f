//! `postwarden setup` as a new administrator runs it: a dry run that writes nothing, a real
//! run whose configuration passes `config check` and whose unit systemd accepts, no file
//! replaced without `--force`, the generated configuration started as `postwarden run`
//! under the systemd notify protocol, and hostile flag values refused or escaped.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_postwarden");
const WAIT: Duration = Duration::from_secs(30);

/// `postwarden setup --non-interactive ARGS…`, without a terminal.
fn setup(args: &[&str]) -> Output {
    Command::new(BIN)
        .env_remove("POSTWARDEN_CONFIG")
        .env_remove("POSTWARDEN_DATA_DIR")
        .env_remove("RUST_LOG")
        .args(["setup", "--non-interactive"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The paths of one installation inside a temporary directory, and the user the service
/// runs as (root unless the test makes its own).
struct Layout {
    config: PathBuf,
    unit_dir: PathBuf,
    data: PathBuf,
    user: String,
}

/// A system user name no one has, removed (with its group) when the test ends: the machine
/// is left as it was.
struct FreshUser(String);

impl FreshUser {
    fn new() -> FreshUser {
        let name = format!("pwsetup{}", std::process::id());
        assert!(
            !id(&["-u", &name]).status.success(),
            "{name} exists already"
        );
        FreshUser(name)
    }
}

impl Drop for FreshUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.0).output();
        let _ = Command::new("groupdel").arg(&self.0).output();
    }
}

fn id(args: &[&str]) -> Output {
    Command::new("id").args(args).output().unwrap()
}

impl Layout {
    fn new(dir: &Path, config_dir: &str) -> Layout {
        Layout {
            config: dir.join(config_dir).join("postwarden.toml"),
            unit_dir: dir.join("systemd"),
            data: dir.join("data"),
            user: "root".into(),
        }
    }

    fn unit(&self) -> PathBuf {
        self.unit_dir.join("postwarden.service")
    }

    fn args(&self) -> Vec<String> {
        [
            "--config-out",
            s(&self.config),
            "--unit-dir",
            s(&self.unit_dir),
            "--data-dir",
            s(&self.data),
            "--user",
            &self.user,
        ]
        .map(str::to_owned)
        .to_vec()
    }
}

fn setup_in(layout: &Layout, extra: &[&str]) -> Output {
    let mut args = layout.args();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    setup(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn config_check(config: &Path) -> Output {
    Command::new(BIN)
        .env_remove("RUST_LOG")
        .args(["--config", s(config), "config", "check"])
        .output()
        .unwrap()
}

#[test]
fn dry_run_prints_config_unit_and_postfix_lines_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(dir.path(), "etc");
    let out = setup_in(
        &layout,
        &[
            "--dry-run",
            "--components",
            "health,notify,filter",
            "--filter-listen",
            "127.0.0.1:10026",
            "--mail-to",
            "ops@example.org",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "# ==> {} (mode 0640) <==",
            layout.config.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("data_dir = \"{}\"", layout.data.display())));
    assert!(stdout.contains("components = [\"health\", \"notify\", \"filter\"]"));
    assert!(stdout.contains("[channels.ops_mail]"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "# ==> {} (mode 0644) <==",
            layout.unit().display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Type=notify\n"), "{stdout}");
    assert!(stdout.contains("\nUser=root\nGroup=root\n"), "{stdout}");
    assert!(
        stdout.contains("content_filter = postwarden:[127.0.0.1]:10026"),
        "{stdout}"
    );
    assert!(stdout.contains("127.0.0.1:10025 inet"), "{stdout}");
    assert!(text(&out.stderr).contains("nothing was written"));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "the dry run wrote {left:?}");
}

/// The real run also makes the service's system user (in the groups that read the mail log
/// and run postqueue) and gives it the data directory; the configuration stays root's, read
/// by the user's group.
#[test]
fn writes_a_checked_config_and_unit_and_replaces_them_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let user = FreshUser::new();
    // A space and a `%` in the configuration's directory: the unit must quote and escape them.
    let mut layout = Layout::new(dir.path(), "etc 50%");
    layout.user = user.0.clone();
    let key = dir.path().join("clicksend.key");
    std::fs::write(&key, "key\n").unwrap();
    let receivers = [
        "--sms-to",
        "+4915112345678",
        "--sms-to",
        "+1 555 123 4567",
        "--sms-username",
        "apiuser",
        "--sms-api-key-file",
        s(&key),
        "--mail-to",
        "ops@example.org",
        "--mail-to",
        "admin@example.org",
        "--mail-smtp",
        "127.0.0.1:25",
        "--mail-from",
        "postwarden@example.org",
        "--timezone",
        "America/New_York",
    ];
    let out = setup_in(&layout, &receivers);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("systemctl daemon-reload && systemctl enable --now postwarden"));

    assert!(
        stdout.contains(&format!("created system user and group {}", user.0)),
        "{stdout}"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&layout.config), 0o640);
    assert_eq!(mode(&layout.data), 0o750);
    let number = |args: &[&str]| -> u32 { text(&id(args).stdout).trim().parse().unwrap() };
    let (uid, gid) = (number(&["-u", &user.0]), number(&["-g", &user.0]));
    let owner = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).unwrap();
        (m.uid(), m.gid())
    };
    assert_eq!(owner(&layout.data), (uid, gid));
    assert_eq!(owner(&layout.config), (0, gid));
    let groups = text(&id(&["-nG", &user.0]).stdout);
    assert!(groups.split_whitespace().any(|g| g == "adm"), "{groups}");
    // The shell of a system user: none.
    let passwd = text(
        &Command::new("getent")
            .args(["passwd", &user.0])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        passwd.trim_end().ends_with(":/usr/sbin/nologin"),
        "{passwd}"
    );
    let check = config_check(&layout.config);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(
        text(&check.stdout).contains("(2 channels, 1 rules)"),
        "{}",
        text(&check.stdout)
    );
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(&layout.config).unwrap()).unwrap();
    assert_eq!(
        config["rules"][0]["receivers"][0]["to"],
        toml::Value::Array(vec!["+4915112345678".into(), "+15551234567".into()])
    );
    assert_eq!(
        config["rules"][0]["send_resolved"],
        toml::Value::Boolean(true)
    );
    assert_eq!(
        config["channels"]["ops_sms"]["api_key_file"].as_str(),
        Some(s(&key))
    );
    // Every morning at 08:00 in New York, to both receivers.
    let daily = &config["reports"]["daily"];
    assert_eq!(daily["at"].as_str(), Some("08:00"));
    assert_eq!(daily["timezone"].as_str(), Some("America/New_York"));
    assert_eq!(daily["receivers"].as_array().unwrap().len(), 2, "{daily:?}");

    let unit = std::fs::read_to_string(layout.unit()).unwrap();
    assert!(unit.contains("\nType=notify\n"), "{unit}");
    assert!(
        unit.contains(&format!("\nUser={0}\nGroup={0}\n", user.0)),
        "{unit}"
    );
    let exec = format!(
        "\nExecStart={} --config \"{}\" run\n",
        std::fs::canonicalize(BIN).unwrap().display(),
        layout.config.display().to_string().replace('%', "%%")
    );
    assert!(unit.contains(&exec), "no {exec:?} in\n{unit}");
    assert!(
        unit.contains(&format!("\nReadWritePaths={}\n", layout.data.display())),
        "{unit}"
    );
    verify_unit(&layout.unit());

    let before = std::fs::read_to_string(&layout.config).unwrap();
    let again = setup_in(&layout, &receivers);
    let stderr = text(&again.stderr);
    assert!(!again.status.success());
    assert!(
        stderr.contains(&layout.config.display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&layout.config).unwrap(), before);

    let forced = setup_in(
        &layout,
        &[
            "--sms-to",
            "+4915112345678",
            "--sms-username",
            "apiuser",
            "--sms-api-key-file",
            s(&key),
            "--mail-to",
            "ops@example.org",
            "--mail-from",
            "alerts@example.org",
            "--force",
        ],
    );
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert_eq!(mode(&layout.config), 0o640);
    assert!(!text(&forced.stdout).contains("created system user"));
    let after = std::fs::read_to_string(&layout.config).unwrap();
    assert!(after.contains("from = \"alerts@example.org\""), "{after}");
    assert!(config_check(&layout.config).status.success());
}

/// `systemd-analyze verify` the unit where systemd's tools are installed.
fn verify_unit(unit: &Path) {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("systemd-analyze is not installed: the unit is not verified by systemd");
        return;
    }
    // `Documentation=man:postwarden(1)` exists once the package is installed (its own test
    // verifies that); a binary installed by hand has no manual page.
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no", s(unit)])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify:\n{stderr}");
    // Unknown keys and bad values are only warnings; none may concern the unit.
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("postwarden.service"))
        .collect();
    assert!(about_unit.is_empty(), "systemd-analyze verify:\n{stderr}");
}

/// The next state on the notify socket other than a watchdog ping; counts the pings.
fn notified(socket: &UnixDatagram, pings: &mut u32) -> String {
    let mut buf = [0u8; 256];
    loop {
        let n = socket
            .recv(&mut buf)
            .expect("a systemd notification within 30 s");
        let state = String::from_utf8_lossy(&buf[..n]).into_owned();
        if state == "WATCHDOG=1" {
            *pings += 1;
        } else {
            return state;
        }
    }
}

#[test]
fn generated_configuration_runs_under_the_notify_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(dir.path(), "etc");
    let missing_postfix = dir.path().join("no-postfix");
    let out = setup_in(
        &layout,
        &[
            "--components",
            "health,notify",
            "--probes",
            "disk",
            "--postfix-config-dir",
            s(&missing_postfix),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(WAIT)).unwrap();
    let log_path = dir.path().join("postwarden.log");
    let mut daemon = Command::new(BIN)
        .args(["--config", s(&layout.config), "run"])
        .env_remove("RUST_LOG")
        .env("NOTIFY_SOCKET", &notify_path)
        // As WatchdogSec would: the daemon pings at half of it.
        .env("WATCHDOG_USEC", "400000")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut pings = 0;
    assert_eq!(notified(&notify, &mut pings), "READY=1", "{}", log());
    let deadline = Instant::now() + WAIT;
    while pings == 0 {
        assert!(Instant::now() < deadline, "no watchdog ping:\n{}", log());
        let mut buf = [0u8; 64];
        let n = notify.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        pings += 1;
    }

    assert!(
        Command::new("kill")
            .args(["-TERM", &daemon.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(notified(&notify, &mut pings), "STOPPING=1", "{}", log());
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running:\n{}", log());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}\n{}", log());
    assert!(layout.data.join("postwarden.db").exists(), "{}", log());
}

#[test]
fn hostile_or_incomplete_values_are_refused_or_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(dir.path(), "etc");
    let key = dir.path().join("clicksend.key");
    let refused = |extra: &[&str], flag: &str| {
        let out = setup_in(&layout, extra);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{extra:?} was accepted");
        assert!(stderr.contains(flag), "{extra:?}: {stderr}");
        assert!(!layout.config.exists(), "{extra:?} wrote the configuration");
    };
    refused(
        &[
            "--mail-to",
            "ops@example.org",
            "--mail-from",
            "a\"b@example.org\n[x]",
        ],
        "--mail-from",
    );
    refused(&["--mail-to", "ops@example.org\nbcc = 1"], "--mail-to");
    refused(&["--sms-to", "015112345678"], "--sms-to");
    refused(
        &[
            "--sms-to",
            "+4915112345678",
            "--sms-username",
            "u\"\n[x]\nk = 1",
            "--sms-api-key-file",
            s(&key),
        ],
        "--sms-username",
    );
    refused(&["--sms-to", "+4915112345678"], "--sms-username");
    refused(
        &["--mail-to", "ops@example.org", "--mail-smtp", "smtp"],
        "--mail-smtp",
    );
    refused(&["--store-url", "oracle://db"], "--store-url");
    refused(
        &["--mail-to", "ops@example.org", "--report-at", "25:00"],
        "--report-at",
    );
    // `{ file = … }` secrets are read whenever the configuration loads: they must exist.
    let missing = dir.path().join("missing-password");
    refused(
        &[
            "--mail-to",
            "ops@example.org",
            "--mail-username",
            "u",
            "--mail-password-file",
            s(&missing),
        ],
        "--mail-password-file",
    );

    // What a value may hold is escaped, never taken as TOML.
    let username = "we\"ird\\ = [x]";
    let out = setup_in(
        &layout,
        &[
            "--sms-to",
            "+4915112345678",
            "--sms-username",
            username,
            "--sms-api-key-file",
            s(&key),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(config_check(&layout.config).status.success());
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(&layout.config).unwrap()).unwrap();
    let mut keys: Vec<&str> = config.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["channels", "data_dir", "health", "reports", "rules", "run"]
    );
    assert_eq!(
        config["channels"]["ops_sms"]["username"].as_str(),
        Some(username)
    );
    assert_eq!(
        config["channels"]["ops_sms"].as_table().unwrap().len(),
        3,
        "{config:?}"
    );
}
