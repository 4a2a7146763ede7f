//! Postfix's entries in the systemd journal, read incrementally from a saved cursor.
//!
//! On a current Debian or Ubuntu without rsyslog, Postfix logs only to the journal. We read
//! it through `journalctl -o json` rather than the sd-journal C API: no `unsafe`, no
//! libsystemd at build time, the journal's own tool to follow its on-disk format across
//! systemd versions, and `--file` / `--directory` give a copied journal for free. The cost is
//! one JSON object per entry (parsed here with serde; see docs/benchmarks.md).
//!
//! The checkpoint is the journal's **cursor** of the last entry handed on, which the caller
//! commits with that entry's records (as the file reader's checkpoint). The next read asks
//! `journalctl --cursor=C`: the first entry is then C itself, which is skipped. When it is
//! not C, the saved entry has been vacuumed (or the journal replaced): the summary says
//! `lost_track` once and reading goes on from the nearest entry — never a crash, and the
//! next checkpoint is an entry that exists.
//!
//! Which entries: `matches` are journalctl match expressions (`SYSLOG_FACILITY=2`, the mail
//! facility, by default; `_SYSTEMD_UNIT=postfix@-.service` or `SYSLOG_IDENTIFIER=postfix/smtpd`
//! work too). journalctl cannot match an identifier by prefix, so entries of other mail
//! programs (Dovecot) also come and are counted as not Postfix by the parser.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Entries handed to the sink at a time.
const BATCH: usize = 4096;

/// Where the journal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The system's journal (what `journalctl` reads without options).
    System,
    /// A journal directory (`/var/log/journal`, or a copy of one).
    Directory(PathBuf),
    /// One journal file.
    File(PathBuf),
}

impl Location {
    /// `None` → the system journal; a directory → its journal files; else one file.
    pub fn of(path: Option<PathBuf>) -> Self {
        match path {
            None => Location::System,
            Some(p) if p.is_dir() => Location::Directory(p),
            Some(p) => Location::File(p),
        }
    }

    /// The key its cursor is saved under in the store.
    pub fn key(&self) -> String {
        match self {
            Location::System => "journal:system".into(),
            Location::Directory(p) | Location::File(p) => format!("journal:{}", p.display()),
        }
    }
}

/// One journal entry, as the log pipeline needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub cursor: String,
    /// The entry's own time (`__REALTIME_TIMESTAMP`, microseconds, UTC).
    pub time: DateTime<FixedOffset>,
    pub host: String,
    /// `SYSLOG_IDENTIFIER`: `postfix/smtpd`, …
    pub identifier: String,
    pub pid: Option<u32>,
    /// `MESSAGE`, as bytes (the journal keeps non-UTF-8 messages as byte arrays).
    pub message: Vec<u8>,
}

/// Why the journal could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot run {program} (set logs.journalctl, or install systemd's journalctl): {source}"
    )]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error(
        "{program} failed ({status}): {stderr} (check logs.journal_path and logs.journal_matches)"
    )]
    Failed {
        program: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("reading journalctl's output: {0}")]
    Io(#[from] std::io::Error),
    #[error("journal entry {line} of this read is not what journalctl writes: {reason}")]
    Entry { line: u64, reason: String },
}

/// Receives entries in batches.
pub trait EntrySink {
    type Error: From<JournalError>;
    /// `entries` in journal order; `cursor` is that of the last one.
    fn entries(&mut self, entries: &[Entry], cursor: &str) -> Result<(), Self::Error>;
}

/// What one [`Journal::read_new`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JournalSummary {
    /// Entries handed to the sink.
    pub entries: u64,
    /// The cursor of the last of them (unchanged: `None`).
    pub cursor: Option<String>,
    /// The saved entry is no longer in the journal (vacuumed, or another journal): entries
    /// between it and the first one read could not be read.
    pub lost_track: bool,
}

/// A journal and the entries to read from it.
#[derive(Debug, Clone)]
pub struct Journal {
    pub program: String,
    pub location: Location,
    pub matches: Vec<String>,
}

impl Journal {
    fn command(&self, saved: Option<&str>) -> Command {
        let mut command = Command::new(&self.program);
        command.args([
            "--no-pager",
            "--quiet",
            "--output=json",
            "--all",
            "--output-fields=_HOSTNAME,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,MESSAGE",
        ]);
        match &self.location {
            Location::System => {}
            Location::Directory(p) => {
                command.arg("--directory").arg(p);
            }
            Location::File(p) => {
                command.arg("--file").arg(p);
            }
        }
        if let Some(cursor) = saved {
            command.arg(format!("--cursor={cursor}"));
        }
        command.args(&self.matches);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Reads the entries after `saved` (all of them without one) and hands them to `sink`.
    pub fn read_new<S: EntrySink>(
        &self,
        saved: Option<&str>,
        sink: &mut S,
    ) -> Result<JournalSummary, S::Error> {
        let mut child = self
            .command(saved)
            .spawn()
            .map_err(|source| JournalError::Spawn {
                program: self.program.clone(),
                source,
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // Drained on its own thread: a chatty journalctl must not block on a full pipe.
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let read = self.pump(BufReader::with_capacity(1 << 20, stdout), saved, sink);
        if read.is_err() {
            let _ = child.kill();
        }
        let status = child.wait().map_err(JournalError::Io)?;
        let stderr = errors.join().unwrap_or_default();
        let summary = read?;
        if !status.success() {
            return Err(JournalError::Failed {
                program: self.program.clone(),
                status,
                stderr: stderr.trim().chars().take(500).collect(),
            }
            .into());
        }
        Ok(summary)
    }

    fn pump<S: EntrySink>(
        &self,
        mut out: impl BufRead,
        saved: Option<&str>,
        sink: &mut S,
    ) -> Result<JournalSummary, S::Error> {
        let mut summary = JournalSummary::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut line = Vec::new();
        let mut number = 0u64;
        let mut first = true;
        loop {
            line.clear();
            if out.read_until(b'\n', &mut line).map_err(JournalError::Io)? == 0 {
                break;
            }
            number += 1;
            let entry = parse_json(&line).map_err(|reason| JournalError::Entry {
                line: number,
                reason,
            })?;
            if std::mem::take(&mut first)
                && let Some(saved) = saved
            {
                if entry.cursor == saved {
                    continue;
                }
                summary.lost_track = true;
            }
            batch.push(entry);
            if batch.len() == BATCH {
                hand_on(&mut batch, sink, &mut summary)?;
            }
        }
        if first && saved.is_some() {
            // Not even the saved entry came back: it is gone, and nothing follows it.
            summary.lost_track = true;
        }
        hand_on(&mut batch, sink, &mut summary)?;
        Ok(summary)
    }
}

fn hand_on<S: EntrySink>(
    batch: &mut Vec<Entry>,
    sink: &mut S,
    summary: &mut JournalSummary,
) -> Result<(), S::Error> {
    let Some(last) = batch.last() else {
        return Ok(());
    };
    let cursor = last.cursor.clone();
    sink.entries(batch, &cursor)?;
    summary.entries += batch.len() as u64;
    summary.cursor = Some(cursor);
    batch.clear();
    Ok(())
}

/// A field as journalctl's JSON writes it: text, bytes (not UTF-8), or several values.
#[derive(Deserialize)]
#[serde(untagged)]
enum Field {
    Text(String),
    Bytes(Vec<u8>),
    Many(Vec<Field>),
}

impl Field {
    /// The first value, as bytes.
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Field::Text(text) => text.into_bytes(),
            Field::Bytes(bytes) => bytes,
            Field::Many(values) => values
                .into_iter()
                .next()
                .map(Field::into_bytes)
                .unwrap_or_default(),
        }
    }

    fn into_text(self) -> String {
        String::from_utf8_lossy(&self.into_bytes()).into_owned()
    }
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "__CURSOR")]
    cursor: String,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: String,
    #[serde(rename = "_HOSTNAME", default)]
    hostname: Option<Field>,
    #[serde(rename = "SYSLOG_IDENTIFIER", default)]
    identifier: Option<Field>,
    #[serde(rename = "SYSLOG_PID", default)]
    syslog_pid: Option<Field>,
    #[serde(rename = "_PID", default)]
    pid: Option<Field>,
    #[serde(rename = "MESSAGE", default)]
    message: Option<Field>,
}

/// One line of `journalctl -o json` as an [`Entry`]. Pure; the error names what is wrong.
pub fn parse_json(line: &[u8]) -> Result<Entry, String> {
    let raw: RawEntry = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let micros: i64 = raw
        .realtime
        .parse()
        .map_err(|_| format!("__REALTIME_TIMESTAMP {:?} is not a number", raw.realtime))?;
    let time = Utc
        .timestamp_micros(micros)
        .single()
        .ok_or_else(|| format!("__REALTIME_TIMESTAMP {micros} is out of range"))?
        .fixed_offset();
    let pid = raw
        .syslog_pid
        .or(raw.pid)
        .and_then(|p| p.into_text().trim().parse().ok());
    Ok(Entry {
        cursor: raw.cursor,
        time,
        host: raw.hostname.map(Field::into_text).unwrap_or_default(),
        identifier: raw.identifier.map(Field::into_text).unwrap_or_default(),
        pid,
        message: raw.message.map(Field::into_bytes).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_with_text_and_one_with_a_byte_message() {
        let entry = parse_json(
            br#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1772849373123456","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"77","_PID":"78","MESSAGE":"connect from unknown[192.0.2.7]"}"#,
        )
        .unwrap();
        assert_eq!(entry.cursor, "s=1;i=2");
        assert_eq!(entry.time.timestamp_micros(), 1_772_849_373_123_456);
        assert_eq!(
            (entry.host.as_str(), entry.identifier.as_str(), entry.pid),
            ("mx1", "postfix/smtpd", Some(77))
        );
        assert_eq!(entry.message, b"connect from unknown[192.0.2.7]");

        let bytes = parse_json(
            br#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1","_PID":"9","MESSAGE":[104,105,255]}"#,
        )
        .unwrap();
        assert_eq!(bytes.message, b"hi\xff");
        assert_eq!(bytes.pid, Some(9));
        assert_eq!(bytes.host, "");
    }

    #[test]
    fn what_journalctl_never_writes_is_an_error_that_names_it() {
        for (line, names) in [
            (&br#"{"__REALTIME_TIMESTAMP":"1"}"#[..], "__CURSOR"),
            (br#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"soon"}"#, "soon"),
            (b"not json", "expected"),
        ] {
            let error = parse_json(line).unwrap_err();
            assert!(error.contains(names), "{error}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_an_entry_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_json(&bytes);
        }
    }
}
