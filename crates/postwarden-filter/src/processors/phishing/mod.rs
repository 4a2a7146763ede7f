//! `type = "phishing"`: two scores from 0 to 1 — `phishing` (a lure to a fake page or a
//! malicious file) and `bec` (business e-mail compromise: an impostor asking for money or
//! data) — each a combination of weighted signals, every signal with its reason.
//!
//! Combination: a noisy OR, `1 − Π(1 − wᵢ)` over the signals that fired. Independent
//! hints add up without ever passing 1, one strong signal alone can carry a score, and
//! each weight reads as "how often is mail with only this signal bad". The weights
//! ([`SIGNALS`]) were set against the test corpus (`tests/corpus`) and can be overridden
//! per signal (`weights = { vip_display_name = 0.8 }`).
//!
//! Each signal that fired is a finding (`vip_display_name (bec +0.70): …`); then one
//! finding per score, tagged [`Tag::Phishing`] / [`Tag::Bec`] at or above `threshold`, for
//! the policy. The scores are kept on the message ([`Scanned::phishing`]) for the events.
//!
//! What it reads: From (display name and domain), Reply-To, List-Unsubscribe, the
//! `auth` processor's results when it ran before (mail that claims our domain or a brand
//! must authenticate), the text and HTML bodies (links, forms, wording), the attachments
//! (HTML, archives and their file names), and the store: its users' names (impostors
//! borrow them), the domains we correspond with (impostors imitate them), and whether the
//! sender has written to the recipient before.

pub mod archive;
pub mod domains;
pub mod html;
pub mod words;

use crate::evidence::PhishingScores;
use crate::message::Scanned;
use domains::{Candidate, Imitation, Protected};
use mail_parser::{MessageParser, MimeHeaders};
use postwarden_core::config::PhishingConfig;
use postwarden_core::{Finding, Tag};
use postwarden_store::Store;
use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use words::Phrases;

const NAME: &str = "phishing";
/// How long the store's names and correspondent domains are used before a re-read.
const DIRECTORY_REFRESH: Duration = Duration::from_secs(300);
/// Longest wait for the history lookup; slower, and the signal is left out.
const HISTORY_BUDGET: Duration = Duration::from_millis(200);
/// How long "they have not corresponded" is believed before the store is asked again.
const UNKNOWN_TTL: Duration = Duration::from_secs(300);
/// Text examined for wording (characters): the lure is at the top.
const MAX_TEXT: usize = 64 * 1024;

/// A signal: name, weight towards `phishing`, weight towards `bec`.
pub const SIGNALS: &[(&str, f64, f64)] = &[
    // Who it claims to be.
    ("vip_display_name", 0.0, 0.75),
    ("own_domain_lookalike", 0.50, 0.70),
    ("partner_lookalike", 0.30, 0.65),
    ("brand_lookalike", 0.75, 0.20),
    ("mixed_script_domain", 0.60, 0.30),
    ("brand_display_name", 0.55, 0.0),
    ("own_domain_unauthenticated", 0.70, 0.60),
    ("brand_unauthenticated", 0.60, 0.0),
    // Where replies go.
    ("reply_to_other_domain", 0.0, 0.30),
    ("reply_to_free_mail", 0.0, 0.50),
    ("first_time_sender", 0.20, 0.20),
    // Where the links lead.
    ("link_text_mismatch", 0.55, 0.0),
    ("link_to_ip", 0.60, 0.0),
    ("link_to_punycode", 0.45, 0.0),
    ("link_to_lookalike", 0.70, 0.0),
    ("link_with_userinfo", 0.50, 0.0),
    ("html_form", 0.50, 0.0),
    ("password_field", 0.65, 0.0),
    // What it says.
    ("credential_wording", 0.50, 0.0),
    ("payment_wording", 0.0, 0.50),
    ("urgency_wording", 0.15, 0.25),
    // What it carries.
    ("html_attachment", 0.65, 0.0),
    ("archive_executable", 0.80, 0.0),
    ("double_extension", 0.80, 0.0),
];

/// Extensions that run when opened.
const EXECUTABLE: &[&str] = &[
    "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta",
    "cpl", "msi", "msp", "jar", "ps1", "lnk", "iso", "img", "dll", "reg", "xll", "one",
];
/// Extensions a double extension pretends to be.
const DOCUMENT: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "jpg", "jpeg", "png", "gif",
    "zip", "csv", "odt",
];
const HTML_FILE: &[&str] = &["html", "htm", "shtml", "xhtml", "svg", "mht", "mhtml"];

/// A person impostors may name.
#[derive(Debug, Clone)]
struct Person {
    /// Normalized name (`jane doe`).
    name: String,
    address: String,
}

/// Names and domains read from the store, with when.
#[derive(Default)]
struct Directory {
    people: Vec<Person>,
    /// Registered domains we have received mail from, prepared for comparison.
    partners: Vec<Protected>,
    partner_names: HashSet<String>,
    read: Option<Instant>,
}

pub struct Phishing {
    threshold: f64,
    weights: HashMap<&'static str, (f64, f64)>,
    own_domains: Vec<String>,
    own_protected: Vec<Protected>,
    brands: HashSet<String>,
    brand_protected: Vec<Protected>,
    /// A brand's name (`paypal`) and domain, for display names.
    brand_names: Vec<(String, String)>,
    free_mail: HashSet<String>,
    vips: Vec<Person>,
    credential: Phrases,
    payment: Phrases,
    urgency: Phrases,
    store: Option<Store>,
    history: bool,
    directory: RwLock<Arc<Directory>>,
    refreshing: tokio::sync::Mutex<()>,
    /// Sender and recipient pairs known to have corresponded (they stay known).
    known: Mutex<lru::LruCache<(String, String), ()>>,
    /// Pairs found not to have corresponded, and when (believed for [`UNKNOWN_TTL`]).
    unknown: Mutex<lru::LruCache<(String, String), Instant>>,
}

/// What judging a message's links needs: whose mail it is, and the hosts judged so far
/// (each host once per message) with their registered domains.
struct Links<'a> {
    from_domain: &'a str,
    bulk: bool,
    carried: f64,
    seen: HashMap<String, String>,
}

/// What one signal found.
struct Hit {
    signal: &'static str,
    reason: String,
    /// Scales the weight (a weaker form of the signal).
    factor: f64,
}

impl Phishing {
    pub async fn build(config: &PhishingConfig, store: Option<&Store>) -> Result<Self, String> {
        let mut weights: HashMap<&'static str, (f64, f64)> =
            SIGNALS.iter().map(|&(n, p, b)| (n, (p, b))).collect();
        for (name, weight) in &config.weights {
            let Some((p, b)) = weights.get_mut(name.as_str()) else {
                let names: Vec<&str> = SIGNALS.iter().map(|s| s.0).collect();
                return Err(format!(
                    "filter.processors (phishing): weights: unknown signal `{name}` (known: {})",
                    names.join(", ")
                ));
            };
            // One number sets the signal's weight in whichever score(s) it counts for.
            if *p > 0.0 {
                *p = *weight;
            }
            if *b > 0.0 {
                *b = *weight;
            }
        }
        let brand_list: Vec<String> = words::entries(words::BRANDS)
            .chain(config.brands.iter().map(|b| b.trim().to_lowercase()))
            .map(|b| domains::registered(&b))
            .collect();
        let brand_names = brand_list
            .iter()
            .filter_map(|b| {
                let name = b.split('.').next()?.to_string();
                (name.len() >= 3).then(|| (name, b.clone()))
            })
            .collect();
        let vips = config.vips.iter().filter_map(|v| parse_person(v)).collect();
        let phrases = |shipped, extra: &[String]| Phrases::new(shipped, extra);
        let own_domains: Vec<String> = config
            .own_domains
            .iter()
            .map(|d| domains::registered(d))
            .collect();
        Ok(Self {
            threshold: config.threshold,
            weights,
            own_protected: own_domains.iter().map(|d| Protected::new(d)).collect(),
            own_domains,
            brand_protected: brand_list.iter().map(|b| Protected::new(b)).collect(),
            brands: brand_list.into_iter().collect(),
            brand_names,
            free_mail: words::entries(words::FREE_MAIL)
                .chain(config.free_mail.iter().map(|d| d.trim().to_lowercase()))
                .collect(),
            vips,
            credential: phrases(words::CREDENTIAL, &config.credential_phrases)?,
            payment: phrases(words::PAYMENT, &config.payment_phrases)?,
            urgency: phrases(words::URGENCY, &config.urgency_phrases)?,
            store: store.cloned(),
            history: config.history,
            directory: RwLock::new(Arc::new(Directory::default())),
            refreshing: tokio::sync::Mutex::new(()),
            known: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(65_536).unwrap_or(NonZeroUsize::MIN),
            )),
            unknown: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(65_536).unwrap_or(NonZeroUsize::MIN),
            )),
        })
    }

    /// Scores `message`; never fails (a store that does not answer leaves out what it
    /// would have told).
    pub async fn run(&self, message: &Scanned) -> Vec<Finding> {
        let directory = self.directory().await;
        let mut hits = self.examine(message, &directory);
        if let Some(hit) = self.first_time(message).await {
            hits.push(hit);
        }
        let (scores, mut findings) = self.score(&hits);
        message.set_phishing(scores);
        let summary = message.phishing().cloned().unwrap_or_default();
        for (label, score, tag) in [
            ("phishing", summary.phishing, Tag::Phishing),
            ("bec", summary.bec, Tag::Bec),
        ] {
            if score > 0.0 {
                findings.push(Finding {
                    processor: NAME.into(),
                    score: 0.0,
                    tags: if score >= self.threshold {
                        vec![tag]
                    } else {
                        Vec::new()
                    },
                    reason: format!("{label} {score:.2} (threshold {:.2})", self.threshold),
                    recipients: Vec::new(),
                    action: None,
                });
            }
        }
        findings
    }

    /// The scores of `hits`, and one finding per hit.
    fn score(&self, hits: &[Hit]) -> (PhishingScores, Vec<Finding>) {
        let mut scores = PhishingScores::default();
        let (mut keep_phishing, mut keep_bec) = (1.0, 1.0);
        let mut findings = Vec::new();
        for hit in hits {
            let (p, b) = self.weights.get(hit.signal).copied().unwrap_or((0.0, 0.0));
            let (p, b) = (p * hit.factor, b * hit.factor);
            keep_phishing *= 1.0 - p;
            keep_bec *= 1.0 - b;
            let mut parts = Vec::new();
            if p > 0.0 {
                parts.push(format!("phishing +{p:.2}"));
                scores
                    .phishing_reasons
                    .push(format!("{} +{p:.2}: {}", hit.signal, hit.reason));
            }
            if b > 0.0 {
                parts.push(format!("bec +{b:.2}"));
                scores
                    .bec_reasons
                    .push(format!("{} +{b:.2}: {}", hit.signal, hit.reason));
            }
            findings.push(Finding {
                processor: NAME.into(),
                score: 0.0,
                tags: Vec::new(),
                reason: format!("{} ({}): {}", hit.signal, parts.join(", "), hit.reason),
                recipients: Vec::new(),
                action: None,
            });
        }
        scores.phishing = round(1.0 - keep_phishing);
        scores.bec = round(1.0 - keep_bec);
        (scores, findings)
    }

    /// Every signal but the history's: pure given the message and the directory.
    fn examine(&self, message: &Scanned, directory: &Directory) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut hit = |signal: &'static str, reason: String, factor: f64| {
            if !hits.iter().any(|h: &Hit| h.signal == signal) {
                hits.push(Hit {
                    signal,
                    reason,
                    factor,
                });
            }
        };
        let parsed = MessageParser::default().parse(&message.bytes);
        let from = parsed
            .as_ref()
            .and_then(|p| p.from())
            .and_then(|a| a.first());
        let from_address = from
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_lowercase();
        let from_name = from.and_then(|a| a.name()).unwrap_or_default();
        let from_host = from_address
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        let from_domain = domains::registered(&from_host);
        let ours = |domain: &str| self.own_domains.iter().any(|d| d == domain);
        let from_ours = !from_domain.is_empty() && ours(&from_domain);
        let auth = message.auth();
        let authenticated = auth.map(|a| {
            a.from_authenticated()
                || (a.spf == crate::evidence::CheckResult::Pass
                    && domains::registered(
                        message
                            .envelope
                            .mail_from
                            .rsplit_once('@')
                            .map_or("", |(_, d)| d),
                    ) == from_domain)
        });
        let auth_undecided = auth.is_some_and(|a| {
            a.dmarc == crate::evidence::CheckResult::TempError
                || a.spf == crate::evidence::CheckResult::TempError
        });
        let bulk = message.header("List-Unsubscribe").is_some() && authenticated == Some(true);
        // What our own authenticated mail links to or carries (a monitoring page on an
        // internal address, a report as HTML) is ours to judge, not an impostor's lure.
        let own_trusted = from_ours && authenticated == Some(true);
        let carried = if own_trusted { 0.5 } else { 1.0 };
        // An authenticated service we know (a brand, a domain we correspond with) puts
        // people's names in its display names: "Alice Martin (Jira)".
        let known_service = authenticated == Some(true)
            && (self.brands.contains(&from_domain)
                || directory.partner_names.contains(&from_domain));

        // Who it claims to be.
        if !from_address.is_empty() && !from_ours {
            let name = normalize_name(from_name);
            if let Some(person) = self
                .vips
                .iter()
                .chain(directory.people.iter())
                .find(|p| p.address != from_address && names_match(&name, &p.name))
            {
                hit(
                    "vip_display_name",
                    format!(
                        "display name \"{}\" is {}'s, the address {} is outside",
                        clip(from_name),
                        person.address,
                        clip(&from_address)
                    ),
                    if known_service { 0.5 } else { 1.0 },
                );
            }
        }
        // Brands' and free-mail providers' own domains imitate nothing (googlemail.com).
        let is_brand = self.brands.contains(&from_domain) || self.free_mail.contains(&from_domain);
        if !from_domain.is_empty() && !from_ours && !is_brand {
            // Another suffix of our own name counts unless that domain authenticates
            // (a sister company's list server); brands and partners own many suffixes.
            let own =
                |how: &Imitation| *how != Imitation::OtherSuffix || authenticated != Some(true);
            let other = |how: &Imitation| *how != Imitation::OtherSuffix;
            let candidate = Candidate::new(&from_host);
            if let Some((own_domain, how)) = self.own_protected.iter().find_map(|d| {
                candidate
                    .imitates(d)
                    .filter(own)
                    .map(|how| (&d.domain, how.as_str()))
            }) {
                hit(
                    "own_domain_lookalike",
                    format!(
                        "From domain {} imitates our {own_domain} ({how})",
                        clip(&from_host)
                    ),
                    1.0,
                );
            } else if let Some((brand, how)) = self.brand_protected.iter().find_map(|b| {
                candidate
                    .imitates(b)
                    .filter(other)
                    .map(|how| (&b.domain, how.as_str()))
            }) {
                hit(
                    "brand_lookalike",
                    format!("From domain {} imitates {brand} ({how})", clip(&from_host)),
                    1.0,
                );
            } else if let Some((partner, how)) = directory.partners.iter().find_map(|p| {
                candidate
                    .imitates(p)
                    .filter(other)
                    .map(|how| (&p.domain, how.as_str()))
            }) {
                hit(
                    "partner_lookalike",
                    format!(
                        "From domain {} imitates {partner}, a domain we correspond with ({how})",
                        clip(&from_host)
                    ),
                    1.0,
                );
            }
            if domains::mixed_script(&from_host) {
                hit(
                    "mixed_script_domain",
                    format!(
                        "From domain {} mixes scripts",
                        clip(&domains::unicode_host(&from_host))
                    ),
                    1.0,
                );
            }
            let name = from_name.to_lowercase();
            // Mail servers sign their bounces (null sender) with their software's name
            // ("Microsoft Outlook").
            let system = message.envelope.mail_from.is_empty();
            if let Some((brand, domain)) =
                self.brand_names
                    .iter()
                    .filter(|_| !system)
                    .find(|(brand, domain)| {
                        *domain != from_domain
                            && !from_domain.starts_with(brand.as_str())
                            && name
                                .split(|c: char| !c.is_alphanumeric())
                                .any(|word| word == brand)
                    })
            {
                hit(
                    "brand_display_name",
                    format!(
                        "display name \"{}\" names {brand} ({domain}), the address is {}",
                        clip(from_name),
                        clip(&from_address)
                    ),
                    1.0,
                );
            }
        }
        if authenticated == Some(false) && !auth_undecided {
            if from_ours {
                hit(
                    "own_domain_unauthenticated",
                    format!("From claims our domain {from_domain} but does not authenticate"),
                    1.0,
                );
            } else if self.brands.contains(&from_domain) {
                hit(
                    "brand_unauthenticated",
                    format!("From claims {from_domain} but does not authenticate"),
                    1.0,
                );
            }
        }

        // Where replies go.
        if let Some(reply_to) = parsed
            .as_ref()
            .and_then(|p| p.reply_to())
            .and_then(|a| a.first())
            .and_then(|a| a.address())
        {
            let reply_to = reply_to.to_lowercase();
            let reply_domain = domains::registered(reply_to.rsplit_once('@').map_or("", |x| x.1));
            let list = message.header("List-Id").is_some();
            if !reply_domain.is_empty() && reply_domain != from_domain && !list {
                if self.free_mail.contains(&reply_domain) && reply_to != from_address {
                    hit(
                        "reply_to_free_mail",
                        format!("replies go to free-mail {}", clip(&reply_to)),
                        1.0,
                    );
                } else {
                    hit(
                        "reply_to_other_domain",
                        format!(
                            "replies go to {} while From is {}",
                            clip(&reply_domain),
                            clip(&from_domain)
                        ),
                        1.0,
                    );
                }
            }
        }

        // Where the links lead.
        let mut text = String::new();
        let mut links = Links {
            from_domain: &from_domain,
            bulk,
            carried,
            seen: HashMap::new(),
        };
        if let Some(subject) = &message.subject {
            text.push_str(subject);
            text.push('\n');
        }
        if let Some(parsed) = &parsed {
            for part in parsed.html_bodies() {
                let Some(body) = part.text_contents() else {
                    continue;
                };
                let found = html::scan(body);
                if found.password_field {
                    hit(
                        "password_field",
                        "the message body asks for a password".into(),
                        carried,
                    );
                } else if found.form {
                    // A newsletter's survey or search box.
                    let factor = if bulk { 0.5 } else { carried };
                    hit("html_form", "the message body holds a form".into(), factor);
                }
                for link in &found.links {
                    self.judge_link(&link.href, Some(&link.text), &mut links, &mut hit);
                }
            }
            for (i, _) in parsed.text_bodies().enumerate() {
                if text.len() >= MAX_TEXT {
                    break;
                }
                if let Some(body) = parsed.body_text(i) {
                    for url in plain_urls(&body) {
                        self.judge_link(url, None, &mut links, &mut hit);
                    }
                    text.push_str(&body);
                    text.push('\n');
                }
            }
        }

        // What it says.
        let end = text
            .char_indices()
            .nth(MAX_TEXT)
            .map_or(text.len(), |(i, _)| i);
        let text = text[..end].to_lowercase();
        for (signal, phrases) in [
            ("credential_wording", &self.credential),
            ("payment_wording", &self.payment),
            ("urgency_wording", &self.urgency),
        ] {
            let found = phrases.found(&text);
            if !found.is_empty() {
                let shown: Vec<String> = found.iter().take(3).map(|p| format!("\"{p}\"")).collect();
                // Two or more distinct phrases are a stronger sign than one; newsletters
                // from authenticated senders write about anything, fraud included.
                let factor =
                    if found.len() >= 2 { 1.0 } else { 0.8 } * if bulk { 0.5 } else { 1.0 };
                hit(signal, format!("says {}", shown.join(", ")), factor);
            }
        }

        // What it carries.
        let mut attached = Links {
            from_domain: &from_domain,
            bulk: false,
            carried,
            seen: HashMap::new(),
        };
        if let Some(parsed) = &parsed {
            for part in parsed.attachments() {
                let name = part.attachment_name().unwrap_or_default().to_lowercase();
                let ext = extension(&name);
                let content_type = part
                    .content_type()
                    .map(|t| {
                        format!(
                            "{}/{}",
                            t.c_type.to_ascii_lowercase(),
                            t.c_subtype.as_deref().unwrap_or("").to_ascii_lowercase()
                        )
                    })
                    .unwrap_or_default();
                if HTML_FILE.contains(&ext) || (name.is_empty() && content_type == "text/html") {
                    hit(
                        "html_attachment",
                        format!("an HTML attachment {}", clip(&name)),
                        carried,
                    );
                    // The lure is often the attachment itself: a login page.
                    let inside = html::scan(&String::from_utf8_lossy(part.contents()));
                    if inside.password_field {
                        hit(
                            "password_field",
                            format!("attachment {} asks for a password", clip(&name)),
                            carried,
                        );
                    } else if inside.form {
                        hit(
                            "html_form",
                            format!("attachment {} holds a form", clip(&name)),
                            carried,
                        );
                    }
                    for link in &inside.links {
                        self.judge_link(&link.href, Some(&link.text), &mut attached, &mut hit);
                    }
                }
                if let Some(hidden) = double_extension(&name) {
                    hit(
                        "double_extension",
                        format!("attachment {} hides {hidden}", clip(&name)),
                        carried,
                    );
                }
                if archive::is_zip(part.contents()) {
                    for inner in archive::zip_names(part.contents()) {
                        let inner = inner.to_lowercase();
                        if EXECUTABLE.contains(&extension(&inner))
                            || HTML_FILE.contains(&extension(&inner))
                        {
                            hit(
                                "archive_executable",
                                format!("archive {} holds {}", clip(&name), clip(&inner)),
                                carried,
                            );
                            break;
                        }
                    }
                }
            }
        }
        hits
    }

    /// Signals of one link (`text` is what an HTML link shows).
    fn judge_link(
        &self,
        href: &str,
        text: Option<&str>,
        links: &mut Links<'_>,
        hit: &mut impl FnMut(&'static str, String, f64),
    ) {
        let Links {
            from_domain,
            bulk,
            carried,
            ref mut seen,
        } = *links;
        let Some((host, userinfo)) = html::url_host(href) else {
            return;
        };
        // A host is judged once per message (a newsletter's links share a few hosts).
        if let Some(target) = seen.get(&host) {
            if let Some(shown) = text.and_then(html::shown_host)
                && domains::registered(&shown) != *target
            {
                hit(
                    "link_text_mismatch",
                    format!("a link shows {} but goes to {}", clip(&shown), clip(&host)),
                    if bulk { 0.5 } else { carried },
                );
            }
            return;
        }
        let candidate = Candidate::new(&host);
        let target = candidate.registered().to_string();
        seen.insert(host.clone(), target.clone());
        if userinfo {
            hit(
                "link_with_userinfo",
                format!("a link hides its host {} behind a user name", clip(&host)),
                carried,
            );
        }
        if html::is_ip_literal(&host) {
            hit(
                "link_to_ip",
                format!("a link goes to the address {}", clip(&host)),
                carried,
            );
        } else if domains::is_punycode(&host) {
            hit(
                "link_to_punycode",
                format!(
                    "a link goes to {} ({})",
                    clip(&host),
                    clip(&domains::unicode_host(&host))
                ),
                carried,
            );
        }
        let trusted_target = target == from_domain
            || self.own_domains.contains(&target)
            || self.brands.contains(&target);
        if !trusted_target
            && let Some((protected, how)) = self
                .own_protected
                .iter()
                .chain(self.brand_protected.iter())
                .find_map(|p| {
                    candidate
                        .imitates(p)
                        .filter(|how| *how != Imitation::OtherSuffix)
                        .map(|how| (&p.domain, how.as_str()))
                })
        {
            hit(
                "link_to_lookalike",
                format!(
                    "a link goes to {} imitating {protected} ({how})",
                    clip(&host)
                ),
                carried,
            );
        }
        if let Some(shown) = text.and_then(html::shown_host) {
            let shown_domain = domains::registered(&shown);
            if shown_domain != target && !host.is_empty() {
                hit(
                    "link_text_mismatch",
                    format!("a link shows {} but goes to {}", clip(&shown), clip(&host)),
                    // Newsletters from authenticated senders track their clicks so.
                    if bulk { 0.5 } else { carried },
                );
            }
        }
    }

    /// `first_time_sender` when no recipient has corresponded with the sender before.
    async fn first_time(&self, message: &Scanned) -> Option<Hit> {
        let store = self.store.as_ref().filter(|_| self.history)?;
        let sender = message.envelope.mail_from.to_lowercase();
        if sender.is_empty() || message.envelope.recipients.is_empty() {
            return None;
        }
        for recipient in &message.envelope.recipients {
            let key = (sender.clone(), recipient.to_lowercase());
            if self
                .known
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .is_some()
            {
                return None;
            }
            if self
                .unknown
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .is_some_and(|at| at.elapsed() < UNKNOWN_TTL)
            {
                continue;
            }
            match tokio::time::timeout(HISTORY_BUDGET, store.have_corresponded(&key.0, &key.1))
                .await
            {
                Ok(Ok(true)) => {
                    self.known
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .put(key, ());
                    return None;
                }
                Ok(Ok(false)) => {
                    self.unknown
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .put(key, Instant::now());
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "phishing: history lookup failed; first-time sender not judged");
                    return None;
                }
                Err(_) => return None,
            }
        }
        Some(Hit {
            signal: "first_time_sender",
            reason: format!(
                "{} has not corresponded with the recipients before",
                clip(&sender)
            ),
            factor: 1.0,
        })
    }

    /// The store's names and correspondent domains, re-read every [`DIRECTORY_REFRESH`].
    async fn directory(&self) -> Arc<Directory> {
        let current = self
            .directory
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(store) = &self.store else {
            return current;
        };
        if current
            .read
            .is_some_and(|at| at.elapsed() < DIRECTORY_REFRESH)
        {
            return current;
        }
        // One reader at a time; the others use what there is.
        let Ok(_guard) = self.refreshing.try_lock() else {
            return current;
        };
        let mut fresh = Directory {
            read: Some(Instant::now()),
            ..Directory::default()
        };
        match store.users().await {
            Ok(users) => {
                fresh.people = users
                    .into_iter()
                    .filter(|u| !u.disabled)
                    .filter_map(|u| {
                        let name = normalize_name(u.display_name.as_deref()?);
                        (name.contains(' ')).then(|| Person {
                            name,
                            address: u.address.to_lowercase(),
                        })
                    })
                    .collect();
            }
            Err(error) => tracing::warn!(%error, "phishing: cannot read the users' names"),
        }
        match store.correspondent_domains(2000).await {
            Ok(list) => {
                let mut partners: Vec<String> = list
                    .into_iter()
                    .map(|d| domains::registered(&d))
                    .filter(|d| !self.own_domains.contains(d) && !self.free_mail.contains(d))
                    .collect();
                partners.sort();
                partners.dedup();
                fresh.partners = partners.iter().map(|p| Protected::new(p)).collect();
                fresh.partner_names = partners.into_iter().collect();
            }
            Err(error) => tracing::warn!(%error, "phishing: cannot read correspondent domains"),
        }
        let fresh = Arc::new(fresh);
        *self.directory.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        fresh
    }
}

fn round(score: f64) -> f64 {
    (score * 1000.0).round() / 1000.0
}

/// At most 80 characters of something from outside, for a reason.
fn clip(text: &str) -> String {
    crate::headers::header_safe(text, 80)
}

/// `"Jane Doe <ceo@example.org>"` → the person.
fn parse_person(text: &str) -> Option<Person> {
    let (name, rest) = text.split_once('<')?;
    let address = rest.trim_end().trim_end_matches('>').trim().to_lowercase();
    let name = normalize_name(name.trim().trim_matches('"'));
    (!name.is_empty() && address.contains('@')).then_some(Person { name, address })
}

/// Lower case, letters and spaces only, `Doe, Jane` turned to `jane doe`.
fn normalize_name(name: &str) -> String {
    let name = match name.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => name.to_string(),
    };
    name.chars()
        .map(|c| if c.is_alphabetic() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A display name is a person's if it is the name, or holds it as whole words
/// (`Jane Doe (CEO)`, `Jane Doe via Gmail`). Names of one word are too common to judge.
fn names_match(display: &str, person: &str) -> bool {
    if display.is_empty() || !person.contains(' ') {
        return false;
    }
    display == person || format!(" {display} ").contains(&format!(" {person} "))
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, ext)| ext.trim())
}

/// `invoice.pdf.exe` → `exe` behind `pdf`.
fn double_extension(name: &str) -> Option<String> {
    let (rest, last) = name.rsplit_once('.')?;
    let (_, previous) = rest.rsplit_once('.')?;
    (EXECUTABLE.contains(&last.trim()) && DOCUMENT.contains(&previous))
        .then(|| format!("a .{} behind .{previous}", last.trim()))
}

/// The `http(s)://` URLs in plain text (at most 200).
fn plain_urls(text: &str) -> impl Iterator<Item = &str> {
    let lower = text.to_ascii_lowercase();
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("http") {
        let at = from + i;
        if lower[at..].starts_with("http://") || lower[at..].starts_with("https://") {
            starts.push(at);
        }
        from = at + 4;
        if starts.len() >= 200 {
            break;
        }
    }
    starts.into_iter().map(move |at| {
        let end = text[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '>' | '<' | '"' | ')' | ']'))
            .map_or(text.len(), |i| at + i);
        &text[at..end]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_as_people_write_them() {
        assert_eq!(normalize_name("Doe, Jane"), "jane doe");
        assert_eq!(normalize_name(" \"Jane  Doe (CEO)\" "), "jane doe ceo");
        assert!(names_match("jane doe ceo", "jane doe"));
        assert!(names_match("jane doe", "jane doe"));
        assert!(!names_match("jane doerr", "jane doe"));
        assert!(!names_match("jane", "jane"));
        let person = parse_person("Jane Doe <CEO@example.org>").unwrap();
        assert_eq!(
            (person.name.as_str(), person.address.as_str()),
            ("jane doe", "ceo@example.org")
        );
    }

    #[test]
    fn double_extensions_and_plain_urls() {
        assert_eq!(
            double_extension("invoice.pdf.exe").as_deref(),
            Some("a .exe behind .pdf")
        );
        assert_eq!(double_extension("archive.tar.gz"), None);
        assert_eq!(double_extension("report.pdf"), None);
        let urls: Vec<&str> =
            plain_urls("see https://a.example/x, and <HTTP://192.0.2.1/login> or httpx").collect();
        assert_eq!(urls, vec!["https://a.example/x,", "HTTP://192.0.2.1/login"]);
    }
}
