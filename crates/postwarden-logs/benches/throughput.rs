//! One-shot throughput over a whole log file, timed by wall clock and by this thread's CPU
//! time (so a busy machine does not hide the parser's own speed).
//!
//! `POSTWARDEN_LOG=/tmp/p.log cargo bench -p postwarden-logs --bench throughput`
//! (without `POSTWARDEN_LOG` it generates 200000 lines with `shared/bench/gen-postfix-log`).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use postwarden_logs::parse::{ParseContext, Zone, parse_line};

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), if known.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let data = match std::env::var_os("POSTWARDEN_LOG") {
        Some(p) => std::fs::read(&p).expect("read POSTWARDEN_LOG"),
        None => {
            let generator = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/bench/gen-postfix-log");
            match Command::new(&generator).arg("200000").output() {
                Ok(o) if o.status.success() => o.stdout,
                _ => {
                    eprintln!("{} not runnable; set POSTWARDEN_LOG", generator.display());
                    return;
                }
            }
        }
    };
    let now = Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap();
    let zone: Zone = std::env::var("POSTWARDEN_ZONE")
        .ok()
        .and_then(|z| z.parse().ok())
        .unwrap_or(Zone::Utc);
    let mut best_wall = f64::MAX;
    let mut best_cpu = f64::MAX;
    let (mut ok, mut abusive, mut lines) = (0usize, 0usize, 0usize);
    for _ in 0..5 {
        let mut ctx = ParseContext::new(now, zone);
        (ok, abusive, lines) = (0, 0, 0);
        let c0 = cpu_ns();
        let t0 = Instant::now();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &data) {
            lines += 1;
            if let Ok(r) = parse_line(&data[start..end], &mut ctx) {
                ok += 1;
                abusive += usize::from(r.abusive);
                black_box(&r);
            }
            start = end + 1;
        }
        best_wall = best_wall.min(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, cpu_ns()) {
            best_cpu = best_cpu.min((b - a) as f64 / 1e9);
        }
    }
    let mb = data.len() as f64 / 1e6;
    println!(
        "{lines} lines, {mb:.1} MB, {ok} parsed, {abusive} abusive: best of 5: wall {:.0} MB/s, cpu {:.0} MB/s ({:.0} ns/line cpu)",
        mb / best_wall,
        mb / best_cpu,
        best_cpu * 1e9 / lines as f64
    );
}
