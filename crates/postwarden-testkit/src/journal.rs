//! Real systemd journal files for the log watcher's tests, without systemd as PID 1: entries
//! are written in the journal export format and `systemd-journal-remote` (Debian's package of
//! that name) turns them into a journal file, which `journalctl --file` reads like any other.
//! A second write to the same file appends, as journald would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The program that writes journal files from export format.
pub const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";

/// One entry to write.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Microseconds since the Unix epoch.
    pub time_us: i64,
    pub host: String,
    pub identifier: String,
    pub pid: u32,
    /// Syslog facility (2 is mail, 4 auth).
    pub facility: u8,
    pub message: String,
}

impl Entry {
    /// A Postfix-style entry: `identifier` such as `postfix/smtpd`, the mail facility.
    pub fn mail(time_us: i64, identifier: &str, message: &str) -> Self {
        Self {
            time_us,
            host: "mx1".into(),
            identifier: identifier.into(),
            pid: 4242,
            facility: 2,
            message: message.into(),
        }
    }
}

/// Appends `entries` to the journal file `file` (which must end in `.journal`), creating it.
pub fn append(file: &Path, entries: &[Entry]) {
    let mut export = Vec::new();
    for entry in entries {
        assert!(
            !entry.message.contains('\n'),
            "a one-line message (export format text fields)"
        );
        write!(
            export,
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n\
             _HOSTNAME={}\nSYSLOG_IDENTIFIER={}\nSYSLOG_PID={}\n_PID={}\nSYSLOG_FACILITY={}\nPRIORITY=6\n\
             MESSAGE={}\n\n",
                        entry.time_us,
            // Monotonic time as the wall clock: entries of every append stay in order.
            entry.time_us,
            entry.host,
            entry.identifier,
            entry.pid,
            entry.pid,
            entry.facility,
            entry.message
        )
        .unwrap();
    }
    let mut child = Command::new(JOURNAL_REMOTE)
        .arg(format!("--output={}", file.display()))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{JOURNAL_REMOTE}: {e} (scripts/ensure-services installs systemd-journal-remote)"
            )
        });
    child.stdin.take().unwrap().write_all(&export).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{JOURNAL_REMOTE} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
