//! Throughput of `parse_line` over a generated, realistic Postfix log.
//!
//! The input comes from `shared/bench/gen-postfix-log` (found beside the clone, or at
//! `$POSTWARDEN_GEN`), run at bench time with `$POSTWARDEN_BENCH_LINES` lines (default
//! 200000). Without the generator, a few embedded lines are repeated instead.
//!
//! Compare with grep on the same input:
//! `gen-postfix-log 200000 > /tmp/p.log; time grep -c SASL /tmp/p.log`.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use postwarden_logs::parse::{ParseContext, Zone, parse_line};

const FALLBACK: &str = "\
Nov 21 23:56:43 mx1 postfix/submission/smtpd[4242]: connect from unknown[192.0.2.7]
Nov 21 23:56:43 mx1 postfix/submission/smtpd[4242]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin
Nov 21 23:56:44 mx1 postfix/submission/smtpd[4242]: lost connection after AUTH from unknown[192.0.2.7]
Nov 21 23:56:44 mx1 postfix/submission/smtpd[4242]: disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 commands=1/2
Nov 21 23:56:44 mx1 postfix/smtpd[4243]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 <victim@example.org>: Relay access denied; from=<spam1@example.biz> to=<victim@example.org> proto=ESMTP helo=<User>
Nov 21 23:56:45 mx1 postfix/smtpd[4244]: 3F2A81C0B4: client=mail.example.com[203.0.113.5]
Nov 21 23:56:45 mx1 postfix/qmgr[900]: 3F2A81C0B4: from=<sender1@example.net>, size=4242, nrcpt=1 (queue active)
Nov 21 23:56:45 mx1 postfix/lmtp[4245]: 3F2A81C0B4: to=<user1@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.12, delays=0.1/0/0/0.05, dsn=2.0.0, status=sent (250 2.0.0 <user@example.org> Saved)
Nov 21 23:56:45 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed
";

fn input(lines: usize, rfc3339: bool) -> Vec<u8> {
    let gen_path = std::env::var_os("POSTWARDEN_GEN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen-postfix-log")
        });
    let mut cmd = Command::new(&gen_path);
    cmd.arg(lines.to_string());
    if rfc3339 {
        cmd.arg("--rfc3339");
    }
    match cmd.output() {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => out.stdout,
        _ => {
            eprintln!(
                "{} not runnable: using embedded sample lines",
                gen_path.display()
            );
            FALLBACK.repeat(lines / 9 + 1).into_bytes()
        }
    }
}

fn parse_all(data: &[u8], ctx: &mut ParseContext) -> usize {
    let mut abusive = 0;
    let mut start = 0;
    // Split as a reader would: memchr for the newline.
    for end in memchr::memchr_iter(b'\n', data) {
        if let Ok(r) = parse_line(&data[start..end], ctx) {
            abusive += usize::from(r.abusive);
            black_box(&r);
        }
        start = end + 1;
    }
    abusive
}

fn bench(c: &mut Criterion) {
    let lines: usize = std::env::var("POSTWARDEN_BENCH_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let now = Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap();
    let mut g = c.benchmark_group("parse_line");
    g.sample_size(10);
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && !a.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    for (name, rfc, zone) in [
        ("syslog_utc", false, Zone::Utc),
        (
            "syslog_europe_berlin",
            false,
            "Europe/Berlin".parse().unwrap(),
        ),
        ("rfc3339", true, Zone::Utc),
    ] {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue; // do not run the generator for benches that are filtered out
        }
        let data = input(lines, rfc);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(name, |b| {
            let mut ctx = ParseContext::new(now, zone);
            b.iter(|| parse_all(black_box(&data), &mut ctx));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
