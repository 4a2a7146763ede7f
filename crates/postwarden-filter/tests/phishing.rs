//! The phishing and BEC scores' accuracy on a corpus the test builds (`corpus`): every
//! message goes through `auth` then `phishing` as configured at a real site — a DNS
//! server on loopback publishing each sender's SPF, DKIM key and DMARC policy; signed
//! and ARC-sealed where the sample says so; a store holding the directory (Example Org's
//! people) and the history of who has written to whom.
//!
//! Held to: at least 40 bad messages at or above 0.8, at least 300 legitimate ones below
//! 0.5, and no legitimate message at or above 0.8. Run with `--nocapture` for the table
//! (precision and recall, docs/benchmarks.md).

mod corpus;
mod senders;

use corpus::{Auth, Sample};
use postwarden_core::{Config, Role, Secret};
use postwarden_filter::quarantine::Quarantine;
use postwarden_filter::{Filter, Scanned};
use postwarden_smtp::server::Envelope;
use postwarden_store::{MessageRecord, NewUser, Store, UserSource};
use postwarden_testkit::dns::{DnsServer, Zones};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

const PEOPLE: &[(&str, &str)] = &[
    ("ceo@example.org", "Jane Doe"),
    ("cfo@example.org", "John Smith"),
    ("alice@example.org", "Alice Martin"),
    ("bob@example.org", "Bob Keller"),
    ("carla@example.org", "Carla Núñez"),
    ("dieter@example.org", "Dieter Müller"),
    ("ap@example.org", "Accounts Payable"),
    ("it@example.org", "IT Helpdesk"),
];

fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_lowercase())
        .unwrap_or_default()
}

/// The From header's domain.
fn from_domain(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("from:"))
        .unwrap_or_default();
    // Comments go first: `From: root@host.example (Cron Daemon)`.
    let mut plain = String::new();
    let mut depth = 0u32;
    for c in line[5..].chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let address = match plain.rsplit_once('<') {
        Some((_, rest)) => rest.split('>').next().unwrap_or_default().to_string(),
        None => plain.trim().to_string(),
    };
    domain_of(&address)
}

/// The zones every sample's authentication needs: SPF per domain (all the addresses its
/// aligned samples come from), the key, DMARC `reject` for spoofed domains and our own.
fn zones(samples: &[&Sample]) -> (Zones, BTreeSet<String>) {
    let mut spf: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
    let mut reject: BTreeSet<String> = ["example.org".to_string()].into();
    let mut sealers = BTreeSet::new();
    for sample in samples {
        let from = from_domain(&sample.message);
        let envelope = domain_of(&sample.mail_from);
        match &sample.auth {
            Auth::Aligned => {
                spf.entry(from).or_default().insert(sample.client_ip);
                if !envelope.is_empty() {
                    spf.entry(envelope).or_default().insert(sample.client_ip);
                }
            }
            Auth::SpfOnly => {
                if !envelope.is_empty() {
                    spf.entry(envelope).or_default().insert(sample.client_ip);
                }
            }
            Auth::Unauthenticated => {}
            Auth::Spoofed => {
                spf.entry(from.clone()).or_default();
                reject.insert(from);
            }
            Auth::Forwarded { via } => {
                spf.entry(from).or_default();
                spf.entry(via.clone()).or_default().insert(sample.client_ip);
                if !sample.bad {
                    sealers.insert(via.clone());
                }
            }
        }
    }
    let mut zones = Zones::new();
    for (domain, ips) in &spf {
        let ips: Vec<IpAddr> = ips.iter().copied().collect();
        let dmarc = if reject.contains(domain) {
            "reject"
        } else {
            "none"
        };
        zones = senders::publish(zones, domain, &ips, Some(dmarc));
    }
    for domain in reject.iter().filter(|d| !spf.contains_key(*d)) {
        zones = senders::publish(zones, domain, &[], Some("reject"));
    }
    (zones, sealers)
}

async fn history(store: &Store, samples: &[&Sample]) {
    let mut batch = Vec::new();
    for (i, sample) in samples.iter().enumerate().filter(|(_, s)| s.known_sender) {
        let record = MessageRecord {
            id: format!("history-{i}"),
            time: chrono::Utc::now() - chrono::Duration::days(30),
            queue_id: None,
            client_ip: Some(sample.client_ip.to_string()),
            client_name: None,
            mail_from: sample.mail_from.clone(),
            recipients: vec![sample.rcpt.clone()],
            subject: None,
            size: 1000,
            score: 0.0,
            findings: serde_json::json!([]),
            verdicts: serde_json::json!({}),
            reply: "250 2.0.0 Ok".into(),
            duration_us: 1000,
        };
        batch.push((record, Vec::new()));
    }
    store.record_messages(&batch).await.unwrap();
}

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
    let (zones, sealers) = zones(&all);
    let dns = DnsServer::start(zones).await;

    let dir = tempfile::tempdir().unwrap();
    let url = Secret::new(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pw.db").display()
    ));
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    for (address, name) in PEOPLE {
        store
            .create_user(&NewUser {
                address,
                display_name: Some(name),
                role: Role::User,
                domains: &[],
                password_hash: None,
                source: UserSource::Local,
            })
            .await
            .unwrap();
    }
    history(&store, &all).await;

    let sealers: Vec<String> = sealers.iter().map(|s| format!("\"{s}\"")).collect();
    let config = Config::from_toml(&format!(
        "[dns]\nnameservers = [\"{}\"]\ntimeout = \"1s\"\n\
         [filter]\nauthserv_id = \"mx.example.org\"\n\
         [[filter.processors]]\ntype = \"auth\"\ntrusted_arc_sealers = [{}]\n\
         [[filter.processors]]\ntype = \"phishing\"\nvips = [\"Jane Doe <ceo@example.org>\"]\nown_domains = [\"example.org\"]\n",
        dns.addr(),
        sealers.join(", ")
    ))
    .unwrap();
    let filter = Filter::build(
        &config.filter,
        &config.dns,
        "mx.example.org",
        Quarantine::new(dir.path().join("q")),
        Some(store.clone()),
    )
    .await
    .unwrap();

    let mut rows = Vec::new();
    for sample in &all {
        let message = match &sample.auth {
            Auth::Aligned => senders::dkim_sign(&sample.message, &from_domain(&sample.message)),
            Auth::Forwarded { via } => {
                let signed = senders::dkim_sign(&sample.message, &from_domain(&sample.message));
                senders::forward_and_seal(&signed, via, dns.addr()).await
            }
            _ => sample.message.clone(),
        };
        let envelope = Envelope {
            xforward: vec![
                ("ADDR".into(), sample.client_ip.to_string()),
                ("HELO".into(), sample.helo.clone()),
            ],
            mail_from: sample.mail_from.clone(),
            recipients: vec![sample.rcpt.clone()],
            ..Envelope::default()
        };
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
