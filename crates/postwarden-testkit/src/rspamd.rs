//! A private, real rspamd for tests: its own configuration, files and ports in a temporary
//! directory, killed on drop. Its normal worker (`POST /checkv2`) is [`Rspamd::url`], its
//! controller (`/stat`, …; no password from 127.0.0.1) [`Rspamd::controller_url`].
//!
//! Decisions (measured with Debian's rspamd 3.4):
//! - A configuration written from scratch, not `/etc/rspamd/rspamd.conf`: the stock one
//!   loads the whole rule set and its plugins, which want Redis and DNS (there is no
//!   network), and writes to `/var/lib/rspamd`. What is left: the C core (which finds GTUBE),
//!   the `settings` plugin (so the `Settings` and `Settings-ID` request headers work, with one
//!   named setting, [`STRICT_SETTINGS_ID`]), the stock thresholds ([`REJECT`],
//!   [`ADD_HEADER`], [`GREYLIST`]) and two test rules of our own in Lua: the message header
//!   [`SCORE_HEADER`] gives the symbol [`SCORE_SYMBOL`] that score (with a description and
//!   an option, as real symbols have), and [`ACTION_HEADER`] forces an action (any of
//!   rspamd's, `soft reject` included) with an SMTP message.
//! - `enable_test_patterns`: the classic GTUBE ([`GTUBE`]) gives `reject` anyway; the
//!   option adds its siblings [`GTUBE_ADD_HEADER`], [`GTUBE_REWRITE_SUBJECT`] and
//!   [`GTUBE_NO_ACTION`]. rspamd only looks for them in text parts of at most 8 KiB.
//! - `url_tld` is a short list of our own: compiling the public-suffix list rspamd ships
//!   took 14 s of every start on a busy machine; with the short list a start takes about 1 s.
//! - `hs_cache_dir`, `tempdir`, the pid file and the log are in the temporary directory
//!   (the compiled-in cache directory is `/var/lib/rspamd`), as are `--var` `DBDIR`,
//!   `RUNDIR` and `LOGDIR`. rspamd refuses to run its workers as root without `-i`
//!   (`--insecure`); they run as whoever runs the tests.
//! - The log (`notice`: one line per scan, with queue id, IP, user, envelope) is a file,
//!   [`Rspamd::log`]; what rspamd prints before it reads its configuration (a configuration
//!   error) goes to `console.log` beside it. Both end up in the error when it does not start.
//! - Ready means both workers answer `GET /ping` with `pong`. A port taken between choosing
//!   it and rspamd binding it makes rspamd exit; the start is then retried on other ports.
//! - Drop kills the main process and its workers (SIGKILL; `kill` from procps for the
//!   workers, as the crate has no libc): killing the main process alone leaves its workers
//!   running and listening.

use crate::daemons::free_port;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub use crate::scanners::GTUBE;
/// GTUBE's sibling for `add header` (score [`ADD_HEADER`]).
pub const GTUBE_ADD_HEADER: &str =
    "YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
/// GTUBE's sibling for `rewrite subject` (the reply has `"subject": "*** SPAM *** …"`).
pub const GTUBE_REWRITE_SUBJECT: &str =
    "ZJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
/// GTUBE's sibling for `no action` (no symbol, but `is_skipped`).
pub const GTUBE_NO_ACTION: &str =
    "AJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// Action thresholds (rspamd's stock ones); `required_score` in replies is [`REJECT`].
pub const REJECT: f64 = 15.0;
pub const ADD_HEADER: f64 = 6.0;
pub const GREYLIST: f64 = 4.0;

/// A message header whose value (a number) becomes the score of [`SCORE_SYMBOL`].
pub const SCORE_HEADER: &str = "X-Postwarden-Test-Score";
/// The symbol [`SCORE_HEADER`] gives, with the option `score=<value>`.
pub const SCORE_SYMBOL: &str = "POSTWARDEN_TEST_SCORE";
/// A message header naming the action rspamd answers (`reject`, `soft reject`,
/// `rewrite subject`, `add header`, `greylist`, `no action`), with the SMTP message
/// `test action <action>` and no symbol.
pub const ACTION_HEADER: &str = "X-Postwarden-Test-Action";
/// `Settings-ID` of a named setting with lower thresholds: reject 5, add header 3,
/// greylist 2.
pub const STRICT_SETTINGS_ID: &str = "strict";

/// How long a start may take (about 1 s when the machine is idle).
const READY_WITHIN: Duration = Duration::from_secs(60);
/// Starts tried when the port chosen was taken meanwhile.
const ATTEMPTS: usize = 3;

const RULES: &str = r"-- postwarden testkit: rules that let a test choose rspamd's answer.
rspamd_config:register_symbol({
  name = 'POSTWARDEN_TEST_SCORE',
  score = 1.0,
  group = 'postwarden',
  description = 'Score chosen by the X-Postwarden-Test-Score header',
  callback = function(task)
    local value = task:get_header('X-Postwarden-Test-Score')
    local score = value and tonumber(value)
    if score then
      return true, score, 'score=' .. value
    end
    return false
  end,
})
rspamd_config:register_symbol({
  name = 'POSTWARDEN_TEST_ACTION',
  type = 'prefilter',
  priority = 10,
  callback = function(task)
    local action = task:get_header('X-Postwarden-Test-Action')
    if action then
      task:set_pre_result(action, 'test action ' .. action)
    end
  end,
})
";

/// Public suffixes rspamd knows (for URLs and e-mail addresses in messages).
const TLDS: &str = "com\nnet\norg\nde\nuk\nco.uk\nexample\ntest\ninvalid\nlocalhost\n";

/// A running rspamd.
pub struct Rspamd {
    child: Child,
    port: u16,
    controller_port: u16,
    // Dropped after `drop` has killed rspamd.
    dir: TempDir,
}

/// Why a start failed: `retry` when the port was taken meanwhile.
struct Failed {
    retry: bool,
    message: String,
}

impl Rspamd {
    /// Starts rspamd and waits until its normal worker and controller answer `/ping`.
    /// The error says why not, with the end of rspamd's output and log.
    pub fn start() -> Result<Rspamd, String> {
        let mut attempt = 1;
        loop {
            match Self::start_once() {
                Ok(rspamd) => return Ok(rspamd),
                Err(failed) if failed.retry && attempt < ATTEMPTS => attempt += 1,
                Err(failed) => return Err(failed.message),
            }
        }
    }

    fn start_once() -> Result<Rspamd, Failed> {
        let fatal = |message: String| Failed {
            retry: false,
            message,
        };
        let dir = tempfile::Builder::new()
            .prefix("postwarden-rspamd-")
            .tempdir()
            .map_err(|e| fatal(format!("rspamd: cannot make a temporary directory: {e}")))?;
        let port = free_port();
        let controller_port = loop {
            let p = free_port();
            if p != port {
                break p;
            }
        };
        let d = dir.path();
        let (stdout, stderr) = prepare(d, port, controller_port)
            .map_err(|e| fatal(format!("rspamd: cannot prepare {}: {e}", d.display())))?;
        let var = |name: &str, sub: &str| format!("{name}={}", d.join(sub).display());
        let child = Command::new("rspamd")
            .args(["-f", "-i", "-c"])
            .arg(d.join("rspamd.conf"))
            .args(["--var", &var("DBDIR", "db")])
            .args(["--var", &var("RUNDIR", "run")])
            .args(["--var", &var("LOGDIR", "log")])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                fatal(format!(
                    "cannot start rspamd (scripts/ensure-services installs it): {e}"
                ))
            })?;
        let mut rspamd = Rspamd {
            child,
            port,
            controller_port,
            dir,
        };
        rspamd.wait_ready()?;
        Ok(rspamd)
    }

    /// Waits until both workers answer `/ping`; fails if rspamd exits or is late.
    fn wait_ready(&mut self) -> Result<(), Failed> {
        let started = Instant::now();
        loop {
            if ping(self.port) && ping(self.controller_port) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(Failed {
                    retry: log.contains("Address already in use"),
                    message: format!(
                        "rspamd exited before answering /ping on 127.0.0.1:{} and :{}: {status}{}",
                        self.port,
                        self.controller_port,
                        self.output_tail()
                    ),
                });
            }
            if started.elapsed() > READY_WITHIN {
                return Err(Failed {
                    retry: false,
                    message: format!(
                        "rspamd did not answer /ping on 127.0.0.1:{} and :{} within {READY_WITHIN:?}{}",
                        self.port,
                        self.controller_port,
                        self.output_tail()
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The normal worker, e.g. `http://127.0.0.1:41234` (for `POST /checkv2`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The normal worker's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The controller (`/stat`: how many messages were scanned, by action; no password
    /// needed from 127.0.0.1).
    pub fn controller_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.controller_port)
    }

    /// The temporary directory holding the configuration, log and databases.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// rspamd's log so far. Each scan adds a line like `id: <mid>, qid: <ABC>, ip: 192.0.2.1,
    /// user: alice, from: <a@b.example>, (default: S (reject): [15.00/15.00] [GTUBE(0.00){}]),
    /// … rcpts: <c@d.example>, mime_rcpt: <…>` (the fields the request did not carry are
    /// left out), written as the scan ends: poll for it rather than read it once.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("log/rspamd.log")
    }

    /// The ends of rspamd's console output and log, for error messages.
    fn output_tail(&self) -> String {
        let console =
            std::fs::read_to_string(self.dir.path().join("console.log")).unwrap_or_default();
        format!(
            "\n--- rspamd's output (end) ---\n{}\n--- {} (end) ---\n{}",
            tail(&console, 20),
            self.log_path().display(),
            tail(&self.log(), 30)
        )
    }
}

impl Drop for Rspamd {
    fn drop(&mut self) {
        // Found before the main process dies: its workers then belong to init.
        let workers = children_of(self.child.id());
        let _ = self.child.kill();
        if !workers.is_empty() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(workers.iter().map(u32::to_string))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.wait();
    }
}

/// Writes the configuration and rules into `dir`; returns `console.log` twice (stdout and
/// stderr).
fn prepare(
    dir: &Path,
    port: u16,
    controller_port: u16,
) -> std::io::Result<(std::fs::File, std::fs::File)> {
    for sub in ["db", "run", "log", "tmp"] {
        std::fs::create_dir(dir.join(sub))?;
    }
    std::fs::write(dir.join("rules.lua"), RULES)?;
    std::fs::write(dir.join("tld.dat"), TLDS)?;
    std::fs::write(dir.join("rspamd.conf"), config(dir, port, controller_port))?;
    let console = std::fs::File::create(dir.join("console.log"))?;
    Ok((console.try_clone()?, console))
}

/// The configuration: both workers on 127.0.0.1 only, every file under `dir`.
fn config(dir: &Path, port: u16, controller_port: u16) -> String {
    let d = dir.display();
    format!(
        r#"lua = "{d}/rules.lua";
modules {{ path = "$PLUGINSDIR/settings.lua"; }}
settings {{
  {STRICT_SETTINGS_ID} {{ id = "{STRICT_SETTINGS_ID}"; apply {{ actions {{ reject = 5; add_header = 3; greylist = 2; }} }} }}
}}
options {{
  explicit_modules = ["settings"];
  pidfile = "{d}/run/rspamd.pid";
  hs_cache_dir = "{d}/db";
  tempdir = "{d}/tmp";
  url_tld = "{d}/tld.dat";
  enable_test_patterns = true;
}}
logging {{ type = "file"; filename = "{d}/log/rspamd.log"; level = "notice"; }}
actions {{ reject = {REJECT}; add_header = {ADD_HEADER}; greylist = {GREYLIST}; }}
worker "normal" {{ bind_socket = "127.0.0.1:{port}"; count = 1; }}
worker "controller" {{ bind_socket = "127.0.0.1:{controller_port}"; count = 1; secure_ip = "127.0.0.1"; }}
"#
    )
}

/// Whether `GET /ping` on the port answers `pong`.
fn ping(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    // rspamd closes the connection after its reply.
    let mut reply = Vec::new();
    if stream.read_to_end(&mut reply).is_err() {
        return false;
    }
    let reply = String::from_utf8_lossy(&reply);
    reply.starts_with("HTTP/1.1 200") && reply.trim_end().ends_with("pong")
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let child: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            let after_comm = stat.get(stat.rfind(')')? + 2..)?;
            let ppid: u32 = after_comm.split(' ').nth(1)?.parse().ok()?;
            (ppid == pid).then_some(child)
        })
        .collect()
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
