//! Real daemons for tests, each a child process on its own port, killed on drop. Readiness
//! is waited for by connecting, never by sleeping a fixed time.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process listening on `port`.
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

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Daemon {
    /// Starts `command` and waits until `port` accepts connections.
    pub fn start(name: &'static str, command: &mut Command, port: u16, within: Duration) -> Self {
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

/// The transactions smtp-sink dumped (its envelope and message, LF line ends), in no
/// particular order: file names are the second plus a random suffix.
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
