//! `[logs] source = "journal"`: Postfix's entries read from a real journal file (built with
//! systemd-journal-remote, read with journalctl) by `logs scan`, from its saved cursor — the
//! entries' own times, no entry stored twice across scans, other programs' entries left out,
//! brute force detected, and a journal vacuumed past the cursor reported once.

mod common;
use common::Warden;
use postwarden_testkit::journal::{Entry, append};

const MINUTE_US: i64 = 60_000_000;

fn failure(time_us: i64, ip: &str, user: &str) -> Entry {
    Entry::mail(
        time_us,
        "postfix/smtpd",
        &format!(
            "warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}"
        ),
    )
}

fn setup(journal: &std::path::Path) -> (tempfile::TempDir, Warden) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("postwarden.toml");
    std::fs::write(
        &config,
        format!(
            "[logs]\nsource = \"journal\"\njournal_path = \"{}\"\n[rdns]\nenabled = false\n",
            journal.display()
        ),
    )
    .unwrap();
    (dir, Warden::with_config(config))
}

#[test]
fn the_journal_is_scanned_from_its_cursor_with_each_entry_stored_once() {
    let files = tempfile::tempdir().unwrap();
    let journal = files.path().join("system.journal");
    let now_us = chrono::Utc::now().timestamp_micros();
    let start = now_us - 30 * MINUTE_US;
    let mut first = vec![
        Entry::mail(start, "postfix/smtpd", "connect from unknown[192.0.2.50]"),
        // Dovecot logs to the mail facility too: read, and left out as not Postfix's.
        Entry::mail(start + 1, "dovecot", "imap-login: Login: user=<bob>"),
        Entry {
            facility: 4,
            ..Entry::mail(start + 2, "sshd", "Failed password for root from 192.0.2.9")
        },
    ];
    // Six failures from one address within three minutes: the default rule (five in ten
    // minutes) detects them.
    for i in 0..6 {
        first.push(failure(start + (i + 1) * 30_000_000, "192.0.2.50", "alice"));
    }
    append(&journal, &first);
    let (_dir, w) = setup(&journal);

    let scanned = w.stdout(&["logs", "scan"]);
    assert!(scanned.contains("scanned the journal"), "{scanned}");
    assert!(
        scanned.contains("8 entries"),
        "the sshd entry is not mail: {scanned}"
    );
    let stored = w.exported();
    let failures: Vec<_> = stored
        .iter()
        .filter(|r| r["kind"] == "auth_failed")
        .collect();
    assert_eq!(failures.len(), 6);
    let first_time =
        chrono::DateTime::parse_from_rfc3339(failures[0]["time"].as_str().unwrap()).unwrap();
    assert_eq!(
        first_time.timestamp_micros(),
        start + 30_000_000,
        "the entry's own time, to the microsecond"
    );
    assert_eq!(failures[0]["user"], "alice");
    assert_eq!(failures[0]["service"], "postfix/smtpd");

    let report = w.json(&["report", "auth", "--since", "2h", "--format", "json"]);
    assert!(
        report["detections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "auth.bruteforce" && e["ip"] == "192.0.2.50"),
        "{report}"
    );

    let again = w.stdout(&["logs", "scan"]);
    assert!(again.contains(" 0 entries"), "nothing new: {again}");
    assert_eq!(w.exported().len(), stored.len(), "no duplicates");

    append(
        &journal,
        &[failure(start + 10 * MINUTE_US, "198.51.100.7", "newcomer")],
    );
    let more = w.stdout(&["logs", "scan"]);
    assert!(more.contains(" 1 entries"), "{more}");
    assert!(!more.contains("gone"), "{more}");
    let after = w.exported();
    assert_eq!(after.len(), stored.len() + 1);
    assert!(after.iter().any(|r| r["user"] == "newcomer"));

    // The journal vacuumed past the saved entry (here: replaced by a newer one).
    std::fs::remove_file(&journal).unwrap();
    append(
        &journal,
        &[failure(start + 20 * MINUTE_US, "203.0.113.9", "late")],
    );
    let vacuumed = w.stdout(&["logs", "scan"]);
    assert!(vacuumed.contains("gone"), "reported: {vacuumed}");
    assert!(vacuumed.contains(" 1 entries"), "{vacuumed}");
    let quiet = w.stdout(&["logs", "scan"]);
    assert!(!quiet.contains("gone"), "reported once: {quiet}");
    assert!(quiet.contains(" 0 entries"), "{quiet}");
    assert!(w.exported().iter().any(|r| r["user"] == "late"));
}

#[test]
fn a_missing_journalctl_or_journal_is_a_clear_error() {
    let files = tempfile::tempdir().unwrap();
    let (dir, w) = setup(&files.path().join("nothing.journal"));
    let out = w.command(&["logs", "scan"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("journalctl"), "{stderr}");

    let config = dir.path().join("other.toml");
    std::fs::write(
        &config,
        "[logs]\nsource = \"journal\"\njournalctl = \"/nonexistent/journalctl\"\n",
    )
    .unwrap();
    let w = Warden::with_config(config);
    let out = w.command(&["logs", "scan"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("logs.journalctl"),
        "names the key: {stderr}"
    );
}

#[test]
fn follow_stores_entries_appended_to_the_journal() {
    let files = tempfile::tempdir().unwrap();
    let journal = files.path().join("system.journal");
    let start = chrono::Utc::now().timestamp_micros() - 5 * MINUTE_US;
    append(&journal, &[failure(start, "192.0.2.60", "first")]);
    let (_dir, w) = setup(&journal);
    let mut child = w
        .command(&["logs", "follow"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stored = |user: &str| w.exported().iter().any(|r| r["user"] == user);
    let wait_for = |user: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !stored(user) && std::time::Instant::now() < deadline {}
        stored(user)
    };
    let first = wait_for("first");
    append(
        &journal,
        &[failure(start + 1_000_000, "192.0.2.61", "later")],
    );
    let later = wait_for("later");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first, "the entry already there was never stored");
    assert!(later, "the entry appended while following was never stored");
    assert_eq!(w.exported().len(), 2, "each entry once");
}
