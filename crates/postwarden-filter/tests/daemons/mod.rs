//! Real daemons for the filter's tests, each a child process on its own port, killed on
//! drop: Postfix's smtp-sink (the next hop, dumping each message to a file), SpamAssassin's
//! spamd and ClamAV's clamd (with a signature database the test writes). Readiness is
//! waited for by connecting, never by sleeping a fixed time.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The EICAR test file (68 bytes) and its MD5, for a clamd `.hdb` signature.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
/// SpamAssassin's GTUBE string: spamd scores it 1000.
pub const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

pub struct Daemon {
    child: Child,
    pub port: u16,
    name: &'static str,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Daemon {
    fn start(name: &'static str, command: &mut Command, port: u16, within: Duration) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} (scripts/test installs it): {e}"));
        let mut daemon = Self { child, port, name };
        daemon.wait_ready(within);
        daemon
    }

    /// Waits until the port accepts a connection; panics if the daemon exits or is late.
    fn wait_ready(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited before listening: {status}", self.name);
            }
            assert!(
                Instant::now() < deadline,
                "{} not listening on {} within {within:?}",
                self.name,
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// smtp-sink dumping each transaction into `dir` (runs as `postfix`, so `dir` is 0777).
pub fn smtp_sink(dir: &Path) -> Daemon {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let port = free_port();
    let template = format!("{}/%H%M%S.", dir.display());
    Daemon::start(
        "smtp-sink",
        Command::new("/usr/sbin/smtp-sink").args([
            "-u",
            "postfix",
            "-d",
            &template,
            &format!("127.0.0.1:{port}"),
            "100",
        ]),
        port,
        Duration::from_secs(10),
    )
}

/// The transactions smtp-sink dumped: (its envelope and message, LF line ends).
pub fn dumped(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

/// spamd with local tests only (no network), as `nobody`.
pub fn spamd() -> Daemon {
    let port = free_port();
    Daemon::start(
        "spamd",
        Command::new("spamd").args([
            "-L",
            "-x",
            &format!("--listen=127.0.0.1:{port}"),
            "-u",
            "nobody",
            "--max-children=2",
            "--syslog=stderr",
        ]),
        port,
        Duration::from_secs(120),
    )
}

/// clamd with only an EICAR hash signature, and a 1 MiB stream limit.
pub fn clamd(dir: &Path) -> Daemon {
    let port = free_port();
    let db = dir.join("clamdb");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("test.hdb"),
        format!("{EICAR_MD5}:{}:Eicar-Test-Signature\n", EICAR.len()),
    )
    .unwrap();
    let config = dir.join("clamd.conf");
    std::fs::write(
        &config,
        format!(
            "Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\nStreamMaxLength 1M\nUser root\nLogFile {}\nPidFile {}\n",
            db.display(),
            dir.join("clamd.log").display(),
            dir.join("clamd.pid").display()
        ),
    )
    .unwrap();
    Daemon::start(
        "clamd",
        Command::new("clamd").args(["-c", config.to_str().unwrap()]),
        port,
        Duration::from_secs(60),
    )
}
