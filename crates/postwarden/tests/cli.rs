//! End-to-end tests of the `postwarden` binary on the embedded SQLite store: the commands a
//! mail administrator runs, on the sample log shipped in `testdata/`.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{Warden, repo};

fn sample() -> PathBuf {
    repo().join("testdata/sample/mail.log")
}

fn count_lines_with(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

#[test]
fn version_names_the_release_and_the_commit() {
    let w = Warden::new();
    let version = w.stdout(&["--version"]);
    let (release, commit) = version
        .trim()
        .strip_prefix("postwarden ")
        .and_then(|v| v.split_once(" ("))
        .unwrap_or_else(|| panic!("{version}"));
    assert_eq!(release, env!("CARGO_PKG_VERSION"));
    let commit = commit.trim_end_matches(')');
    assert!(
        commit == "unknown commit"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{version}"
    );
}

#[test]
fn help_lists_every_command() {
    let w = Warden::new();
    let help = w.stdout(&["--help"]);
    for command in [
        "config",
        "db",
        "logs",
        "report",
        "geo",
        "ip",
        "filter",
        "scan",
        "postfix-config",
    ] {
        assert!(help.contains(command), "--help lacks {command}:\n{help}");
    }
    let logs = w.stdout(&["logs", "--help"]);
    for command in ["parse", "scan", "follow", "export", "anonymize"] {
        assert!(logs.contains(command), "logs --help lacks {command}");
    }
}

#[test]
fn config_check_names_the_bad_key_and_accepts_the_example() {
    let w = Warden::new();
    let ok = w
        .command(&["config", "check"])
        .args(["--config", "postwarden.example.toml"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "[rdns]\nenabeld = true\n").unwrap();
    let out = w
        .command(&["config", "check", "--config"])
        .arg(bad.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("enabeld"), "{err}");
}

#[test]
fn parse_prints_the_json_contract() {
    let w = Warden::new();
    let sample = sample();
    let out = w.stdout(&[
        "logs",
        "parse",
        sample.to_str().unwrap(),
        "--format",
        "jsonl",
        "--now",
        "2026-01-02T00:00:00Z",
        "--tz",
        "UTC",
    ]);
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let total = std::fs::read_to_string(&sample).unwrap().lines().count();
    assert_eq!(
        records.len(),
        total,
        "every line of the sample is a Postfix line"
    );
    for r in &records {
        for key in ["time", "host", "service", "kind", "abusive"] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert!(
            r["time"].as_str().unwrap().starts_with("2026-01-01T"),
            "{r}"
        );
    }
    let failures: Vec<_> = records
        .iter()
        .filter(|r| r["kind"] == "auth_failed")
        .collect();
    assert_eq!(
        failures.len(),
        count_lines_with(&sample, "authentication failed") - 1,
        "the auth-server outage is not a failure"
    );
    assert!(
        failures
            .iter()
            .all(|r| r["abusive"] == true && r["ip"].is_string())
    );
    let success = records
        .iter()
        .find(|r| r["kind"] == "auth_success")
        .expect("a successful login");
    assert_eq!(success["user"], "alice@example.org");
    assert_eq!(success["abusive"], false);

    let stats = w.stdout(&["logs", "parse", sample.to_str().unwrap(), "--stats"]);
    assert!(stats.contains("auth_failed"), "{stats}");
    assert!(
        stats.contains(&format!("{total}  lines ({total} classified, 0 unparsed)")),
        "{stats}"
    );
}

#[test]
fn scan_stores_once_and_reports() {
    let w = Warden::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    std::fs::copy(sample(), &log).unwrap();
    let first = w.stdout(&["logs", "scan", log.to_str().unwrap()]);
    assert!(first.contains("1 file(s)"), "{first}");
    let stored = w.exported();
    let failures = stored.iter().filter(|r| r["kind"] == "auth_failed").count();
    assert_eq!(
        failures,
        count_lines_with(&log, "authentication failed") - 1
    );
    let enriched = stored
        .iter()
        .filter(|r| r["country"].is_string() && r["asn"].is_number())
        .count();
    assert!(
        enriched > stored.len() / 2,
        "{enriched} of {} enriched",
        stored.len()
    );

    let again = w.stdout(&["logs", "scan", log.to_str().unwrap()]);
    assert!(
        again.contains("0 lines"),
        "a second scan reads nothing new: {again}"
    );
    assert_eq!(w.exported().len(), stored.len(), "no duplicates");

    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "Jan  1 23:59:59 mx1 postfix/smtpd[9]: warning: unknown[198.51.100.99]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=newcomer").unwrap();
    w.run(&["logs", "scan", log.to_str().unwrap()]);
    let after = w.exported();
    assert_eq!(after.len(), stored.len() + 1);
    assert!(after.iter().any(|r| r["user"] == "newcomer"));

    let report = w.json(&["report", "auth", "--since", "3650d", "--format", "json"]);
    assert_eq!(
        report["total_failures"].as_i64().unwrap() as usize,
        failures + 1
    );
    assert_eq!(
        report["top_ips"][0]["ip"], "203.0.113.66",
        "the burst is the top attacker"
    );
    assert_eq!(report["successes"], 1);
    let detections = report["detections"].as_array().unwrap();
    assert!(
        detections
            .iter()
            .any(|e| e["kind"] == "auth.bruteforce" && e["ip"] == "203.0.113.66"),
        "the burst from 203.0.113.66 is detected"
    );
    assert!(
        detections
            .iter()
            .any(|e| e["kind"] == "auth.honeypot" && e["user"] == "postmaster"),
        "demo.toml makes postmaster a honeypot login"
    );

    let events = w.stdout(&["report", "auth", "--since", "3650d"]);
    assert!(
        events.contains("203.0.113.66") && events.contains("Attempts per hour"),
        "{events}"
    );
    let html = w.stdout(&["report", "auth", "--since", "3650d", "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("203.0.113.66"));

    let traffic = w.json(&["report", "traffic", "--since", "3650d", "--format", "json"]);
    assert_eq!(
        traffic["bounced"].as_i64().unwrap() as usize,
        count_lines_with(&log, "status=bounced")
    );
    assert_eq!(
        traffic["deferred"].as_i64().unwrap() as usize,
        count_lines_with(&log, "status=deferred")
    );
    assert!(traffic["rejected"].as_i64().unwrap() > 0);

    let csv = w.stdout(&["logs", "export", "--format", "csv"]);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "server;date;ip;user;hostname;reverse_dns_status;country_code;asn;aso"
    );
    assert_eq!(rows.count(), failures + 1);

    // MailLogSentinel's own value formats: its users' scripts read them unchanged.
    let mls = w.stdout(&["logs", "export", "--format", "mls"]);
    assert!(
        mls.starts_with("server;date;ip;user;hostname;reverse_dns_status;country_code;asn;aso\r\n")
    );
    let sasl_with_user_v4 = after
        .iter()
        .filter(|r| {
            (r["kind"] == "auth_failed" || r["kind"] == "auth_success")
                && r["user"].is_string()
                && !r["ip"].as_str().unwrap_or(":").contains(':')
        })
        .count();
    let rows: Vec<&str> = mls.split_terminator("\r\n").skip(1).collect();
    assert_eq!(rows.len(), sasl_with_user_v4);
    for row in rows {
        let fields: Vec<&str> = row.split(';').collect();
        assert_eq!(fields.len(), 9, "{row}");
        let date = chrono::NaiveDateTime::parse_from_str(fields[1], "%d/%m/%Y %H:%M");
        assert!(date.is_ok(), "dd/mm/YYYY HH:MM: {row}");
        assert!(
            ["OK", "ERRNO 1", "ERRNO 2", "Timeout", "Failed (Unknown)"].contains(&fields[5]),
            "{row}"
        );
        assert!(
            [4, 6, 7].iter().all(|&i| !fields[i].is_empty()),
            "null or N/A, never empty: {row}"
        );
    }
}

#[test]
fn follow_stores_a_new_line_within_a_second() {
    let w = Warden::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let mut child = w
        .command(&["logs", "follow", log.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the follower has taken its first look: write until a line is stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut primed = 0;
    while w.exported().is_empty() && Instant::now() < deadline {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        writeln!(f, "Jan  1 00:00:00 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.1]: SASL LOGIN authentication failed: x").unwrap();
        primed += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    while w.exported().len() < primed && Instant::now() < deadline {}
    let before = w.exported().len();
    assert_eq!(before, primed, "follow never stored the priming lines");
    let written = Instant::now();
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "Jan  1 00:00:01 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.2]: SASL LOGIN authentication failed: x, sasl_username=latency").unwrap();
    let mut stored_after = None;
    while Instant::now() < written + Duration::from_secs(10) {
        if w.exported().iter().any(|r| r["user"] == "latency") {
            stored_after = Some(written.elapsed());
            break;
        }
    }
    // Rotation while following: the next line goes to a new file.
    std::fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
    std::fs::write(&log, "Jan  1 00:00:02 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.3]: SASL LOGIN authentication failed: x, sasl_username=rotated\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !w.exported().iter().any(|r| r["user"] == "rotated") && Instant::now() < deadline {}
    child.kill().unwrap();
    child.wait().unwrap();
    let elapsed = stored_after.expect("the new line was never stored");
    assert!(
        elapsed < Duration::from_secs(1),
        "line written to event stored took {elapsed:?}"
    );
    let exported = w.exported();
    assert!(
        exported.iter().any(|r| r["user"] == "rotated"),
        "line after rotation not stored"
    );
    assert_eq!(exported.len(), before + 2);
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let w = Warden::new();
    let sample = sample();
    for args in [
        vec!["logs", "parse", sample.to_str().unwrap()],
        vec!["logs", "parse", "--stats", sample.to_str().unwrap()],
    ] {
        let mut child = w
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert!(
            out.status.success() || out.status.code() == Some(141),
            "{args:?}: {:?}",
            out.status
        );
    }
}

#[test]
fn anonymized_log_still_parses_the_same() {
    let w = Warden::new();
    let sample = std::fs::read(sample()).unwrap();
    let mut child = w
        .command(&["logs", "anonymize"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&sample).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("203.0.113.66") && !text.contains("alice@example.org"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dir.path().join("anon.log");
    std::fs::write(&anon, &text).unwrap();
    let original = w.stdout(&[
        "logs",
        "parse",
        "--stats",
        "--now",
        "2026-01-02T00:00:00Z",
        repo().join("testdata/sample/mail.log").to_str().unwrap(),
    ]);
    let anonymized = w.stdout(&[
        "logs",
        "parse",
        "--stats",
        "--now",
        "2026-01-02T00:00:00Z",
        anon.to_str().unwrap(),
    ]);
    assert_eq!(original, anonymized);
}

#[test]
fn ip_shows_geo_and_labels_private_ranges() {
    let w = Warden::new();
    let line = std::fs::read_to_string(repo().join("testdata/geo/demo-asn-ipv4.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let start = line.split(',').next().unwrap().to_owned();
    let asn: u32 = line.split(',').nth(2).unwrap().parse().unwrap();
    let out = w.stdout(&["ip", "--json", &start, "10.1.2.3"]);
    let answers: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers[0]["asn"], asn);
    assert_eq!(answers[0]["scope"], "public");
    assert_ne!(answers[1]["scope"], "public");
    assert!(answers[1]["asn"].is_null());
}

#[test]
fn bad_arguments_get_clear_errors() {
    let w = Warden::new();
    let out = w
        .command(&["logs", "scan", "/nonexistent/mail.log"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/mail.log"));
    let out = w
        .command(&["report", "auth", "--since", "fortnight"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fortnight"));
}

#[test]
fn scan_adds_reverse_dns_from_the_configured_server() {
    use postwarden_testkit::dns::{DnsServer, Zones};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ip = |s: &str| s.parse().unwrap();
    let zone = Zones::new()
        .ptr(ip("8.8.8.8"), "dns.google")
        .address("dns.google", ip("8.8.8.8"))
        .ptr(ip("1.1.1.1"), "one.one.one.one")
        .address("one.one.one.one", ip("1.0.0.1"));
    let dns = runtime.block_on(DnsServer::start(zone));
    let server = dns.addr();
    let w = Warden::new();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("postwarden.toml");
    std::fs::write(
        &config,
        format!("[rdns]\nnameservers = [\"{server}\"]\ntimeout = \"5s\"\n"),
    )
    .unwrap();
    let log = dir.path().join("mail.log");
    let lines: String = ["8.8.8.8", "9.9.9.9", "1.1.1.1", "10.0.0.5"]
        .iter()
        .map(|ip| format!("Jan  1 00:00:00 mx1 postfix/smtpd[1]: warning: unknown[{ip}]: SASL LOGIN authentication failed: x\n"))
        .collect();
    std::fs::write(&log, lines).unwrap();
    let out = w
        .command(&["logs", "scan", log.to_str().unwrap()])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = w
        .command(&["logs", "export", "--format", "jsonl"])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let records: Vec<Value> = String::from_utf8(exported.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status = |ip: &str| {
        let r = records
            .iter()
            .find(|r| r["ip"] == ip)
            .unwrap_or_else(|| panic!("{ip} not stored"));
        (
            r["rdns"].as_str().map(str::to_owned),
            r["rdns_status"].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(
        status("8.8.8.8"),
        (Some("dns.google".into()), "confirmed".into())
    );
    assert_eq!(status("9.9.9.9"), (None, "no_ptr".into()));
    assert_eq!(
        status("1.1.1.1"),
        (Some("one.one.one.one".into()), "unconfirmed".into())
    );
    assert_eq!(
        status("10.0.0.5"),
        (None, "not_public".into()),
        "private addresses are never looked up"
    );
    drop(runtime);
}

#[test]
fn an_attack_split_over_two_scans_is_still_detected() {
    let w = Warden::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let failure = |minutes_ago: i64| {
        let time = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
        format!(
            "{} mx1 postfix/smtpd[1]: warning: unknown[192.0.2.200]: SASL LOGIN authentication failed: x\n",
            time.to_rfc3339()
        )
    };
    // demo.toml keeps the default rule: 5 failures from one address within 10 minutes.
    std::fs::write(&log, (0..3).map(|i| failure(8 - i)).collect::<String>()).unwrap();
    w.run(&["logs", "scan", log.to_str().unwrap()]);
    let detected = |w: &Warden| {
        let report = w.json(&["report", "auth", "--since", "1h", "--format", "json"]);
        report["detections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "auth.bruteforce" && e["ip"] == "192.0.2.200")
            .count()
    };
    assert_eq!(detected(&w), 0, "three failures are not yet an attack");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all((failure(2) + &failure(1)).as_bytes()).unwrap();
    w.run(&["logs", "scan", log.to_str().unwrap()]);
    assert_eq!(
        detected(&w),
        1,
        "the fifth failure, in the second scan, crosses the threshold"
    );
    f.write_all(failure(0).as_bytes()).unwrap();
    w.run(&["logs", "scan", log.to_str().unwrap()]);
    assert_eq!(
        detected(&w),
        1,
        "a continuing attack is not reported again within its window"
    );
}

#[test]
fn scan_runs_the_chain_and_policy_offline() {
    let w = Warden::new();
    let verdicts = w.json(&[
        "scan",
        "testdata/mail/offer.eml",
        "--from",
        "x@spam.example",
        "--to",
        "a@rcpt.example",
        "--to",
        "keep@rcpt.example",
        "--format",
        "json",
    ]);
    let actions: Vec<(&str, &str)> = verdicts["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["recipient"].as_str().unwrap(),
                v["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("a@rcpt.example", "reject"),
            ("keep@rcpt.example", "quarantine")
        ]
    );
    assert_eq!(verdicts["findings"][0]["processor"], "lists");
    let clean = w.json(&[
        "scan",
        "testdata/mail/offer.eml",
        "--from",
        "x@ok.example",
        "--format",
        "json",
    ]);
    assert_eq!(clean["verdicts"][0]["action"], "pass");
}

#[test]
fn postfix_config_prints_the_sandwich() {
    let text = Warden::new().stdout(&["postfix-config"]);
    for line in [
        "content_filter = postwarden:[127.0.0.1]:10024",
        "-o smtp_send_xforward_command=yes",
        "-o disable_mime_output_conversion=yes",
        "127.0.0.1:10025 inet",
        "-o content_filter=",
        "-o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters",
        "-o smtpd_authorized_xforward_hosts=127.0.0.0/8",
    ] {
        assert!(text.contains(line), "missing `{line}`:\n{text}");
    }
}

#[test]
fn quarantine_commands_name_unknown_entries() {
    let w = Warden::new();
    assert_eq!(w.stdout(&["quarantine", "list"]), "", "nothing held yet");
    for verb in ["show", "release", "delete"] {
        let out = w
            .command(&["quarantine", verb, "no-such-id"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{verb} succeeded");
        assert!(
            stderr.contains("no quarantine entry `no-such-id`"),
            "{verb}: {stderr}"
        );
    }
}

#[test]
fn postfix_config_prints_the_milter_lines() {
    let text = Warden::new().stdout(&["postfix-config", "--milter"]);
    for line in [
        "smtpd_milters = inet:127.0.0.1:11332",
        "milter_default_action = tempfail",
        "milter_connect_macros = j {client_addr} {client_name} {daemon_name} v",
        "milter_end_of_data_macros = i {auth_authen}",
    ] {
        assert!(text.contains(line), "missing `{line}`:\n{text}");
    }
    assert!(!text.contains("content_filter"), "{text}");
}

/// What the package ships is made by the binary: a manual page per command, completions
/// that know the commands, and the unit and configuration setup writes, which passes
/// `config check`.
#[test]
fn generate_makes_what_the_package_ships() {
    let w = Warden::new();
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man");
    w.stdout(&["generate", "man", man.to_str().unwrap()]);
    for page in [
        "postwarden.1",
        "postwarden-logs.1",
        "postwarden-logs-scan.1",
    ] {
        let text = std::fs::read_to_string(man.join(page)).unwrap();
        assert!(
            text.starts_with(".ie \\n(.g .ds Aq") || text.contains(".TH "),
            "{page}"
        );
    }
    let root = std::fs::read_to_string(man.join("postwarden.1")).unwrap();
    assert!(root.contains("postwarden\\-logs(1)"), "{root}");
    assert!(!man.join("postwarden-help.1").exists());
    for (shell, word) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef postwarden"),
        ("fish", "complete -c postwarden"),
    ] {
        let script = w.stdout(&["generate", "completions", shell]);
        assert!(
            script.contains(word) && script.contains("follow"),
            "{shell}:\n{script}"
        );
    }
    let unit = w.stdout(&["generate", "unit"]);
    assert!(
        unit.contains("\nUser=postwarden\nGroup=postwarden\n"),
        "{unit}"
    );
    assert!(unit.contains(
        "\nExecStart=/usr/bin/postwarden --config /etc/postwarden/postwarden.toml run\n"
    ));
    let config = dir.path().join("postwarden.toml");
    std::fs::write(&config, w.stdout(&["generate", "config"])).unwrap();
    let check = w
        .command(&["config", "check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Root working in the service's data directory would leave root-owned database files that
/// lock the service out: refused, saying how to run the command as the directory's owner.
#[test]
fn root_is_refused_in_a_data_directory_of_another_user() {
    use std::os::unix::fs::MetadataExt;
    let w = Warden::new();
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    if root {
        // nobody (65534) owns the data directory, as postwarden owns /var/lib/postwarden.
        std::os::unix::fs::chown(w.data.path(), Some(65534), Some(65534)).unwrap();
    }
    let out = w
        .command(&["report", "auth", "--since", "1h"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if root {
        assert!(!out.status.success());
        assert!(
            stderr.contains("runuser -u nobody -- postwarden"),
            "{stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(w.data.path()).unwrap().collect();
        assert!(left.is_empty(), "root wrote {left:?}");
    } else {
        assert!(out.status.success(), "{stderr}");
    }
}
