//! A site as the accuracy test and the cost benchmark see it: Example Org's people in a
//! store with the history of who wrote to whom, a DNS server publishing every corpus
//! sender's SPF, DKIM key and DMARC policy, and the filter with `auth` then `phishing`.
//! Expects the crate root to declare `corpus` and `senders`.

#![allow(dead_code)]

use crate::corpus::{Auth, Sample};
use crate::senders;
use postwarden_core::{Config, Role};
use postwarden_filter::Filter;
use postwarden_filter::quarantine::Quarantine;
use postwarden_smtp::server::Envelope;
use postwarden_store::{MessageRecord, NewUser, Store, UserSource};
use postwarden_testkit::dns::{DnsServer, Zones};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub const PEOPLE: &[(&str, &str)] = &[
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
pub fn from_domain(message: &[u8]) -> String {
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
pub fn zones(samples: &[&Sample]) -> (Zones, BTreeSet<String>) {
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

pub async fn history(store: &Store, samples: &[&Sample]) {
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

/// The site: its DNS server, store and directory; `filter(processors)` builds a filter
/// on it with `[filter]` processors `processors` (TOML).
pub struct Site {
    pub dns: DnsServer,
    pub store: Store,
    pub sealers: Vec<String>,
    pub dir: tempfile::TempDir,
}

impl Site {
    pub async fn start(samples: &[&Sample]) -> Self {
        let (zones, sealers) = zones(samples);
        let dns = DnsServer::start(zones).await;
        let dir = tempfile::tempdir().unwrap();
        let store = postwarden_testkit::database::sqlite_store(dir.path()).await;
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
        history(&store, samples).await;
        Self {
            dns,
            store,
            sealers: sealers.into_iter().collect(),
            dir,
        }
    }

    /// `auth` (trusting the corpus's honest lists) then `phishing`, as the docs advise.
    pub fn auth_and_phishing(&self) -> String {
        let sealers: Vec<String> = self.sealers.iter().map(|s| format!("\"{s}\"")).collect();
        format!(
            "[[filter.processors]]\ntype = \"auth\"\ntrusted_arc_sealers = [{}]\n\
             [[filter.processors]]\ntype = \"phishing\"\nvips = [\"Jane Doe <ceo@example.org>\"]\nown_domains = [\"example.org\"]\n",
            sealers.join(", ")
        )
    }

    pub async fn filter(&self, processors: &str) -> Filter {
        let config = Config::from_toml(&format!(
            "[dns]\nnameservers = [\"{}\"]\ntimeout = \"1s\"\n[filter]\nauthserv_id = \"mx.example.org\"\n{processors}",
            self.dns.addr(),
        ))
        .unwrap();
        Filter::build(
            &config.filter,
            &config.dns,
            "mx.example.org",
            Quarantine::new(self.dir.path().join("q")),
            Some(self.store.clone()),
        )
        .await
        .unwrap()
    }

    /// The sample as it arrives: signed, or forwarded and sealed, as it says.
    pub async fn arriving(&self, sample: &Sample) -> (Envelope, Vec<u8>) {
        let message = match &sample.auth {
            Auth::Aligned => senders::dkim_sign(&sample.message, &from_domain(&sample.message)),
            Auth::Forwarded { via } => {
                let signed = senders::dkim_sign(&sample.message, &from_domain(&sample.message));
                senders::forward_and_seal(&signed, via, self.dns.addr()).await
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
        (envelope, message)
    }
}
