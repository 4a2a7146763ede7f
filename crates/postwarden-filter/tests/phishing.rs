//! The phishing and BEC scores' accuracy on a corpus the test builds (`corpus`): every
//! message goes through `auth` then `phishing` as configured at a real site — a DNS
//! server on loopback publishing each sender's SPF, DKIM key and DMARC policy; signed
//! and ARC-sealed where the sample says so; a store holding the directory (Example Org's
//! people) and the history of who has written to whom ([`site`]).
//!
//! Held to: at least 40 bad messages at or above 0.8, at least 300 legitimate ones below
//! 0.5, and no legitimate message at or above 0.8. Run with `--nocapture` for the table
//! (precision and recall, docs/benchmarks.md).

mod corpus;
mod senders;
mod site;

use corpus::Sample;
use postwarden_filter::Scanned;
use site::Site;
use std::collections::BTreeMap;

#[tokio::test(flavor = "multi_thread")]
async fn phishing_and_bec_scores_separate_the_corpus() {
    let bad = corpus::bad();
    let good = corpus::legitimate();
    assert!(
        bad.len() >= 40 && good.len() >= 300,
        "{} bad, {} good",
        bad.len(),
        good.len()
    );
    let all: Vec<&Sample> = bad.iter().chain(good.iter()).collect();
    let site = Site::start(&all).await;
    let filter = site.filter(&site.auth_and_phishing()).await;

    let mut rows = Vec::new();
    for sample in &all {
        let (envelope, message) = site.arriving(sample).await;
        let scanned = Scanned::new(envelope, message);
        let findings = filter.findings(&scanned).await.unwrap();
        let scores = scanned.phishing().cloned().unwrap_or_default();
        let top = scores.phishing.max(scores.bec);
        let why: Vec<String> = findings
            .iter()
            .map(|f| format!("{}: {}", f.processor, f.reason))
            .collect();
        rows.push((
            sample.name.clone(),
            sample.kind,
            sample.bad,
            top,
            why.join(" | "),
        ));
    }

    let caught = rows.iter().filter(|r| r.2 && r.3 >= 0.8).count();
    let false_alarms: Vec<_> = rows.iter().filter(|r| !r.2 && r.3 >= 0.8).collect();
    let clean = rows.iter().filter(|r| !r.2 && r.3 < 0.5).count();
    let flagged = caught + false_alarms.len();
    println!(
        "bad {} caught {caught} (recall {:.3}); legitimate {} below 0.5 {clean}, at or above 0.8 {}; precision {:.3}",
        bad.len(),
        caught as f64 / bad.len() as f64,
        good.len(),
        false_alarms.len(),
        if flagged == 0 {
            1.0
        } else {
            caught as f64 / flagged as f64
        }
    );
    let mut by_kind: BTreeMap<(&str, bool), (usize, usize, f64)> = BTreeMap::new();
    for (_, kind, is_bad, top, _) in &rows {
        let entry = by_kind.entry((kind, *is_bad)).or_insert((0, 0, 1.0));
        entry.0 += 1;
        if (*is_bad && *top >= 0.8) || (!*is_bad && *top < 0.5) {
            entry.1 += 1;
        }
        entry.2 = if *is_bad {
            entry.2.min(*top)
        } else {
            entry.2.min(1.0 - top)
        };
    }
    for ((kind, is_bad), (n, right, _)) in &by_kind {
        println!(
            "{:<4} {kind:<32} {right}/{n}",
            if *is_bad { "bad" } else { "good" }
        );
    }
    let misses: Vec<String> = rows
        .iter()
        .filter(|r| (r.2 && r.3 < 0.8) || (!r.2 && r.3 >= 0.5))
        .map(|r| format!("{} {:.2}: {}", r.0, r.3, r.4))
        .collect();
    assert!(
        caught >= 40,
        "only {caught} bad at >= 0.8; misses:\n{}",
        misses.join("\n")
    );
    assert!(
        clean >= 300,
        "only {clean} legitimate below 0.5; misses:\n{}",
        misses.join("\n")
    );
    assert!(
        false_alarms.is_empty(),
        "legitimate at >= 0.8:\n{}",
        misses.join("\n")
    );
    println!("{}", misses.join("\n"));
}
