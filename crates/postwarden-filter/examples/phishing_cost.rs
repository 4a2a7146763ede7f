//! What `auth` and `phishing` add to each message, with DNS answers cached: the corpus of
//! the accuracy test (tests/corpus: newsletters, lists, invoices, replies, phishing, …)
//! through two filters on one site, side by side in one run — `lists` alone, and `lists`
//! then `auth` then `phishing` — each message timed in both, interleaved, so the machine's
//! noise falls on both alike. Prints p50/p99 per message of each and of the difference.
//!
//! `cargo run --release -p postwarden-filter --example phishing_cost [ROUNDS]` (default 20).

#[path = "../tests/corpus/mod.rs"]
mod corpus;
#[path = "../tests/senders/mod.rs"]
mod senders;
#[path = "../tests/site/mod.rs"]
mod site;

use postwarden_filter::Scanned;
use std::time::Instant;

const LISTS: &str = "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@spam.example\"]\nblock_clients = [\"192.0.2.0/24\"]\n";

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let bad = corpus::bad();
    let good = corpus::legitimate();
    let all: Vec<&corpus::Sample> = bad.iter().chain(good.iter()).collect();
    let site = site::Site::start(&all).await;
    let lists = site.filter(LISTS).await;
    let full = site
        .filter(&format!("{LISTS}{}", site.auth_and_phishing()))
        .await;
    let mut arriving = Vec::new();
    for sample in &all {
        arriving.push(site.arriving(sample).await);
    }
    // One pass to fill the caches (DNS answers, the directory, known correspondents).
    for (envelope, message) in &arriving {
        let scanned = Scanned::new(envelope.clone(), message.clone());
        full.findings(&scanned).await.unwrap();
    }
    let asked = site.dns.queries();
    let (mut base, mut with, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let mut by_sample = vec![0.0f64; arriving.len()];
    let started = Instant::now();
    for _ in 0..rounds {
        for (i, (envelope, message)) in arriving.iter().enumerate() {
            let t = Instant::now();
            let scanned = Scanned::new(envelope.clone(), message.clone());
            lists.findings(&scanned).await.unwrap();
            let a = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let scanned = Scanned::new(envelope.clone(), message.clone());
            full.findings(&scanned).await.unwrap();
            let b = t.elapsed().as_secs_f64() * 1e3;
            base.push(a);
            with.push(b);
            added.push(b - a);
            by_sample[i] += (b - a) / rounds as f64;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    for v in [&mut base, &mut with, &mut added] {
        v.sort_by(f64::total_cmp);
    }
    let n = base.len();
    println!(
        "{n} messages ({} samples × {rounds} rounds), {:.0} pairs/s; DNS questions after warm-up: {}",
        arriving.len(),
        n as f64 / elapsed,
        site.dns.queries() - asked
    );
    println!(
        "lists only              p50 {:.3} ms  p99 {:.3} ms",
        pct(&base, 0.5),
        pct(&base, 0.99)
    );
    println!(
        "lists + auth + phishing p50 {:.3} ms  p99 {:.3} ms",
        pct(&with, 0.5),
        pct(&with, 0.99)
    );
    let mut slowest: Vec<(f64, &str)> = by_sample
        .iter()
        .zip(&all)
        .map(|(ms, s)| (*ms, s.name.as_str()))
        .collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top: Vec<String> = slowest[..5]
        .iter()
        .map(|(ms, name)| format!("{name} {ms:.2} ms"))
        .collect();
    println!("slowest samples (mean added): {}", top.join(", "));
    println!(
        "added per message       p50 {:.3} ms  p99 {:.3} ms (target p99 <= 1 ms)",
        pct(&added, 0.5),
        pct(&added, 0.99)
    );
}
