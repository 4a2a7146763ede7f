//! `type = "lists"`: allow and block lists by envelope sender (address or domain,
//! subdomains included), recipient, original client IP/CIDR (from XFORWARD) and header
//! regex. Entries come from the configuration and, with `from_store = true`, from the
//! store's `list_entries` table, re-read at most every [`STORE_REFRESH`].
//!
//! A stored entry is global, or owned by a domain (`@corp.example`, edited by its domain
//! admins) or by a user (edited by that user) in the console and the API. An owned entry
//! concerns only its owner's recipients: its findings name them, so the one policy applies
//! a domain's or a user's block or allow to those copies alone — as it does a user's own
//! allowed and blocked senders — and never to another domain's or user's copy.

use super::ProcessorError;
use crate::message::Scanned;
use ipnet::IpNet;
use postwarden_core::config::{ListsConfig, OnError};
use postwarden_core::{Finding, Tag};
use postwarden_store::{OwnedListEntry, Store};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const NAME: &str = "lists";
/// How long entries read from the store are used before they are read again.
pub const STORE_REFRESH: Duration = Duration::from_secs(30);

pub struct Lists {
    config_lists: Compiled,
    on_error: OnError,
    store: Option<StoredLists>,
}

/// The store and its entries as last read (when, what).
struct StoredLists {
    store: Store,
    cache: RwLock<(Instant, Arc<Stored>)>,
}

/// The store's entries, compiled: the global ones, and the others by owner (`@domain` or
/// an address, lower case).
#[derive(Debug, Default)]
struct Stored {
    global: Compiled,
    owned: HashMap<String, Compiled>,
}

impl Stored {
    fn from_entries(entries: &[OwnedListEntry]) -> Self {
        let mut global = Vec::new();
        let mut owned: HashMap<String, Vec<&OwnedListEntry>> = HashMap::new();
        for entry in entries {
            match &entry.owner {
                None => global.push(entry),
                Some(owner) => owned.entry(owner.to_lowercase()).or_default().push(entry),
            }
        }
        Self {
            global: Compiled::from_entries(&global),
            owned: owned
                .into_iter()
                .map(|(owner, entries)| (owner, Compiled::from_entries(&entries)))
                .collect(),
        }
    }

    /// Findings of the global entries, then of each owner who has recipients here, each
    /// naming only that owner's recipients.
    fn findings(&self, message: &Scanned, out: &mut Vec<Finding>) {
        self.global.findings(message, None, out);
        if self.owned.is_empty() {
            return;
        }
        // Whose entries concern which recipients: the recipient's own, and their domain's.
        let mut concerned: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for recipient in &message.envelope.recipients {
            let lower = recipient.to_lowercase();
            let domain = lower.rsplit_once('@').map(|(_, d)| format!("@{d}"));
            for key in std::iter::once(lower.clone()).chain(domain) {
                if let Some((owner, _)) = self.owned.get_key_value(&key) {
                    concerned
                        .entry(owner.as_str())
                        .or_default()
                        .push(recipient.clone());
                }
            }
        }
        for (owner, mine) in concerned {
            let mut found = Vec::new();
            self.owned[owner].findings(message, Some(owner), &mut found);
            for mut finding in found {
                finding.recipients = if finding.recipients.is_empty() {
                    mine.clone()
                } else {
                    finding
                        .recipients
                        .into_iter()
                        .filter(|r| mine.contains(r))
                        .collect()
                };
                if finding.recipients.is_empty() {
                    continue;
                }
                out.push(finding);
            }
        }
    }
}

/// An address entry: a whole address or a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AddressPattern {
    Address(String),
    Domain(String),
}

impl AddressPattern {
    fn parse(entry: &str) -> Self {
        let entry = entry.trim().to_lowercase();
        match entry.strip_prefix('@').or_else(|| entry.strip_prefix("*@")) {
            Some(domain) => Self::Domain(domain.to_string()),
            None if !entry.contains('@') => Self::Domain(entry),
            None => Self::Address(entry),
        }
    }

    /// Whether `address` (already lowercase) matches.
    fn matches(&self, address: &str) -> bool {
        match self {
            Self::Address(a) => a == address,
            Self::Domain(d) => address.rsplit_once('@').is_some_and(|(_, domain)| {
                domain == d
                    || domain
                        .strip_suffix(d.as_str())
                        .is_some_and(|sub| sub.ends_with('.'))
            }),
        }
    }
}

/// One list (allow or block), compiled.
#[derive(Debug, Default)]
struct List {
    senders: Vec<AddressPattern>,
    recipients: Vec<AddressPattern>,
    clients: Vec<IpNet>,
    headers: Vec<(String, Regex)>,
}

#[derive(Debug, Default)]
struct Compiled {
    allow: List,
    block: List,
}

impl List {
    fn add(&mut self, field: &str, value: &str) -> Result<(), String> {
        match field {
            "sender" => self.senders.push(AddressPattern::parse(value)),
            "recipient" => self.recipients.push(AddressPattern::parse(value)),
            "client" => self.clients.push(parse_net(value)?),
            "header" => self.headers.push(parse_header(value)?),
            other => {
                return Err(format!(
                    "unknown list field `{other}` (sender, recipient, client or header)"
                ));
            }
        }
        Ok(())
    }
}

fn parse_net(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{value}` is not an IP address or CIDR"))
}

fn parse_header(value: &str) -> Result<(String, Regex), String> {
    let (name, pattern) = value
        .split_once(':')
        .ok_or_else(|| format!("`{value}`: expected Header-Name:regex"))?;
    let regex = Regex::new(pattern).map_err(|e| format!("`{value}`: {e}"))?;
    Ok((name.trim().to_ascii_lowercase(), regex))
}

impl Compiled {
    fn from_config(config: &ListsConfig) -> Result<Self, String> {
        let mut compiled = Self::default();
        let sources: [(&str, &Vec<String>, bool); 7] = [
            ("sender", &config.allow_senders, true),
            ("sender", &config.block_senders, false),
            ("recipient", &config.allow_recipients, true),
            ("recipient", &config.block_recipients, false),
            ("client", &config.allow_clients, true),
            ("client", &config.block_clients, false),
            ("header", &config.block_headers, false),
        ];
        for (field, values, allow) in sources {
            let list = if allow {
                &mut compiled.allow
            } else {
                &mut compiled.block
            };
            for value in values {
                list.add(field, value)
                    .map_err(|e| format!("filter.processors (lists) {field}: {e}"))?;
            }
        }
        Ok(compiled)
    }

    fn from_entries(entries: &[&OwnedListEntry]) -> Self {
        let mut compiled = Self::default();
        for entry in entries {
            let list = match entry.list.as_str() {
                "allow" => &mut compiled.allow,
                "block" => &mut compiled.block,
                other => {
                    tracing::warn!(
                        list = other,
                        "list entry in the store names an unknown list; ignored"
                    );
                    continue;
                }
            };
            if let Err(error) = list.add(&entry.field, &entry.value) {
                tracing::warn!(%error, "list entry in the store ignored");
            }
        }
        compiled
    }

    /// Findings of both lists for `message`.
    fn findings(&self, message: &Scanned, owner: Option<&str>, out: &mut Vec<Finding>) {
        self.allow.findings(message, Tag::Allowed, owner, out);
        self.block.findings(message, Tag::Blocked, owner, out);
    }
}

impl List {
    /// Findings of this list; `owner` names whose list it is (none: the site's).
    fn findings(&self, message: &Scanned, tag: Tag, owner: Option<&str>, out: &mut Vec<Finding>) {
        let kind = if tag == Tag::Allowed {
            "allow"
        } else {
            "block"
        };
        let what = match owner {
            None => format!("the {kind}"),
            Some(owner) => format!("{owner}'s {kind}"),
        };
        let finding = |reason: String, recipients: Vec<String>| Finding {
            processor: NAME.into(),
            score: 0.0,
            tags: vec![tag],
            reason,
            recipients,
            action: None,
        };
        let sender = message.envelope.mail_from.to_lowercase();
        if !sender.is_empty() && self.senders.iter().any(|p| p.matches(&sender)) {
            out.push(finding(format!("sender on {what} list"), Vec::new()));
        }
        let recipients: Vec<String> = message
            .envelope
            .recipients
            .iter()
            .filter(|r| {
                let r = r.to_lowercase();
                self.recipients.iter().any(|p| p.matches(&r))
            })
            .cloned()
            .collect();
        if !recipients.is_empty() {
            out.push(finding(format!("recipient on {what} list"), recipients));
        }
        if let Some(ip) = message.client_ip()
            && self.clients.iter().any(|net| net.contains(&ip))
        {
            out.push(finding(format!("client {ip} on {what} list"), Vec::new()));
        }
        for (name, regex) in &self.headers {
            if message
                .headers
                .iter()
                .any(|(n, value)| n.eq_ignore_ascii_case(name) && regex.is_match(value))
            {
                out.push(finding(
                    format!("{name} header matches {what} list"),
                    Vec::new(),
                ));
            }
        }
    }
}

impl Lists {
    /// Compiles the configured entries (an invalid one is an error naming it) and, with
    /// `from_store`, reads the stored ones.
    pub async fn build(config: &ListsConfig, store: Option<&Store>) -> Result<Self, String> {
        let store = match (config.from_store, store) {
            (true, Some(store)) => {
                let entries = store.every_list_entry().await.map_err(|e| e.to_string())?;
                let stored = Arc::new(Stored::from_entries(&entries));
                Some(StoredLists {
                    store: store.clone(),
                    cache: RwLock::new((Instant::now(), stored)),
                })
            }
            (true, None) => {
                return Err("filter.processors (lists): from_store needs a store".into());
            }
            (false, _) => None,
        };
        Ok(Self {
            config_lists: Compiled::from_config(config)?,
            on_error: config.on_error,
            store,
        })
    }

    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        let mut findings = Vec::new();
        self.config_lists.findings(message, None, &mut findings);
        if let Some(stored) = self.stored().await? {
            stored.findings(message, &mut findings);
        }
        Ok(findings)
    }

    /// The store's entries, read again when older than [`STORE_REFRESH`].
    async fn stored(&self) -> Result<Option<Arc<Stored>>, ProcessorError> {
        let Some(StoredLists { store, cache }) = &self.store else {
            return Ok(None);
        };
        {
            let cached = cache.read().unwrap_or_else(|e| e.into_inner());
            if cached.0.elapsed() < STORE_REFRESH {
                return Ok(Some(cached.1.clone()));
            }
        }
        let entries = store
            .every_list_entry()
            .await
            .map_err(|e| ProcessorError::new(NAME, e.to_string()))?;
        let fresh = Arc::new(Stored::from_entries(&entries));
        *cache.write().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), fresh.clone());
        Ok(Some(fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postwarden_smtp::server::Envelope;

    fn message(from: &str, to: &[&str], client: &str, headers: &str) -> Scanned {
        let envelope = Envelope {
            mail_from: from.into(),
            recipients: to.iter().map(|s| s.to_string()).collect(),
            xforward: vec![("ADDR".into(), client.into())],
            ..Envelope::default()
        };
        Scanned::new(envelope, format!("{headers}\r\n\r\nbody\r\n").into_bytes())
    }

    #[tokio::test]
    async fn matches_each_field() {
        let config = ListsConfig {
            block_senders: vec!["@spam.example".into()],
            allow_senders: vec!["boss@corp.example".into()],
            block_recipients: vec!["old@corp.example".into()],
            block_clients: vec!["192.0.2.0/24".into(), "2001:db8::1".into()],
            block_headers: vec!["Subject:(?i)viagra".into()],
            ..ListsConfig::default()
        };
        let lists = Lists::build(&config, None).await.unwrap();
        let old = || vec!["old@corp.example".to_string()];
        // (sender, recipients, client, header) → (tag, recipients it concerns) found
        type Case<'a> = (
            &'a str,
            &'a [&'a str],
            &'a str,
            &'a str,
            Vec<(Tag, Vec<String>)>,
        );
        let cases: [Case; 8] = [
            (
                "x@mail.spam.example",
                &["a@b.example"],
                "198.51.100.1",
                "Subject: hi",
                vec![(Tag::Blocked, vec![])],
            ),
            (
                "x@notspam.example",
                &["a@b.example"],
                "198.51.100.1",
                "Subject: hi",
                vec![],
            ),
            (
                "BOSS@corp.example",
                &["a@b.example"],
                "198.51.100.1",
                "Subject: hi",
                vec![(Tag::Allowed, vec![])],
            ),
            (
                "x@y.example",
                &["a@b.example", "Old@corp.example"],
                "198.51.100.1",
                "Subject: hi",
                vec![(Tag::Blocked, vec!["Old@corp.example".into()])],
            ),
            (
                "x@y.example",
                &["old@corp.example"],
                "198.51.100.1",
                "Subject: hi",
                vec![(Tag::Blocked, old())],
            ),
            (
                "x@y.example",
                &["a@b.example"],
                "192.0.2.77",
                "Subject: hi",
                vec![(Tag::Blocked, vec![])],
            ),
            (
                "x@y.example",
                &["a@b.example"],
                "IPv6:2001:db8::1",
                "Subject: hi",
                vec![(Tag::Blocked, vec![])],
            ),
            (
                "x@y.example",
                &["a@b.example"],
                "198.51.100.1",
                "Subject: Cheap VIAGRA",
                vec![(Tag::Blocked, vec![])],
            ),
        ];
        for (from, to, client, header, expected) in cases {
            let findings = lists.run(&message(from, to, client, header)).await.unwrap();
            let found: Vec<(Tag, Vec<String>)> = findings
                .iter()
                .map(|f| (f.tags[0], f.recipients.clone()))
                .collect();
            assert_eq!(found, expected, "{from} → {to:?} via {client}, {header}");
        }
    }

    #[test]
    fn owned_entries_concern_only_their_owners_recipients() {
        let entry = |list: &str, field: &str, value: &str, owner: Option<&str>| OwnedListEntry {
            id: 0,
            list: list.into(),
            field: field.into(),
            value: value.into(),
            owner: owner.map(Into::into),
            comment: None,
        };
        let stored = Stored::from_entries(&[
            entry("block", "sender", "@pushy.example", Some("@corp.example")),
            entry(
                "allow",
                "sender",
                "sales@pushy.example",
                Some("Alice@corp.example"),
            ),
            // Another domain's entry cannot reach corp.example's recipients.
            entry(
                "block",
                "recipient",
                "old@corp.example",
                Some("@other.example"),
            ),
            entry("block", "sender", "@spam.example", None),
        ]);
        let mut found = Vec::new();
        let to = [
            "ALICE@corp.example",
            "carol@corp.example",
            "old@corp.example",
            "dave@third.example",
        ];
        let offer = message("sales@pushy.example", &to, "192.0.2.1", "Subject: x");
        stored.findings(&offer, &mut found);
        let got: Vec<(Tag, Vec<String>, String)> = found
            .into_iter()
            .map(|f| (f.tags[0], f.recipients, f.reason))
            .collect();
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (
                    Tag::Blocked,
                    names(&to[..3]),
                    "sender on @corp.example's block list".to_string()
                ),
                (
                    Tag::Allowed,
                    names(&to[..1]),
                    "sender on alice@corp.example's allow list".to_string()
                ),
            ]
        );
        let mut found = Vec::new();
        stored.findings(
            &message(
                "x@spam.example",
                &["dave@third.example"],
                "192.0.2.1",
                "Subject: x",
            ),
            &mut found,
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].recipients.is_empty(),
            "a global entry concerns everyone"
        );
    }

    #[tokio::test]
    async fn invalid_entries_are_named() {
        let config = ListsConfig {
            block_clients: vec!["300.1.1.1".into()],
            ..ListsConfig::default()
        };
        let error = Lists::build(&config, None).await.err().unwrap();
        assert!(
            error.contains("300.1.1.1") && error.contains("client"),
            "{error}"
        );
        let config = ListsConfig {
            block_headers: vec!["Subject:(".into()],
            ..ListsConfig::default()
        };
        assert!(
            Lists::build(&config, None)
                .await
                .err()
                .unwrap()
                .contains("header")
        );
    }
}
