//! [`Filter`]: the SMTP handler that runs processors and policy on each message and acts
//! on the verdicts — and the rule that makes it safe: the reply is 250 only after every
//! copy was accepted by the next hop or durably quarantined; any failure on the way is a
//! 4xx so that Postfix keeps the message and retries. 5xx is only for a reject verdict.
//!
//! Recipients with different verdicts are handled group by group: one relay transaction
//! per distinct marked copy (pass, tag, forward), one quarantine entry for those to
//! quarantine. When only some recipients are to be rejected, SMTP has no way to refuse
//! them alone at the end of DATA: the message is accepted for the others and the sender
//! gets a non-delivery report ([`crate::dsn`]) naming the refused ones. A message from the
//! null sender (itself a bounce) gets no report; its refused copy is quarantined instead.

mod held;

use crate::dsn;
use crate::evidence::PhishingScores;
use crate::headers::{Marking, header_safe, mark};
use crate::message::Scanned;
use crate::policy::{Decision, decide, user_findings};
use crate::processors::{Environment, Processor, ProcessorError};
use crate::quarantine::Quarantine;
use crate::recorder::Recorder;
use crate::routes;
use crate::users::{Lookup, UserSettingsCache};
use chrono::Utc;
use postwarden_core::config::{DnsConfig, FilterConfig, OnError, PolicyConfig};
use postwarden_core::metrics::metrics;
use postwarden_core::{Action, Event, Finding, Severity, Tag, UserSettings};
use postwarden_mq::Rpc;
use postwarden_smtp::client::{Outgoing, Relay, RelayConfig};
use postwarden_smtp::server::{Envelope, Handler};
use postwarden_smtp::{MailParams, Reply};
use postwarden_store::{MessageRecord, QuarantineRecord, Store};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A recipient and its decision.
type Verdict<'a> = &'a (String, Decision);

pub use held::{HeldDecision, start_held};

/// Everything the filter needs, built once from `[filter]`.
pub struct Filter {
    processors: Vec<Processor>,
    policy: PolicyConfig,
    relay: Relay,
    /// Our name, in non-delivery reports.
    hostname: String,
    /// Our name in `Authentication-Results`.
    authserv_id: String,
    quarantine: Quarantine,
    store: Option<Store>,
    recorder: Option<Recorder>,
    users: Option<UserSettingsCache>,
    /// Per-user processing, when `[mq]` is configured.
    rpc: Option<Rpc>,
    status: Option<routes::StatusWriter>,
}

/// What happened to one message.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub findings: Vec<Finding>,
    /// The verdict per recipient, in envelope order.
    pub decisions: Vec<(String, Decision)>,
    pub reply: Reply,
    pub facts: Facts,
}

/// A message scanned and decided, not yet acted on.
pub struct Judged {
    pub id: String,
    pub scanned: Scanned,
    pub findings: Vec<Finding>,
    pub decisions: Vec<(String, Decision)>,
    pub facts: Facts,
}

/// What the record and events keep of the message itself.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub queue_id: Option<String>,
    pub client_ip: Option<std::net::IpAddr>,
    pub client_name: Option<String>,
    pub subject: Option<String>,
    pub size: u64,
    /// The `phishing` processor's scores, when it ran.
    pub phishing: Option<PhishingScores>,
    /// The `Authentication-Results` value the `auth` processor made, when it ran.
    pub authentication_results: Option<String>,
}

impl Facts {
    fn of(scanned: &Scanned) -> Self {
        Self {
            queue_id: scanned.queue_id.clone(),
            client_ip: scanned.client_ip(),
            client_name: scanned.client_name(),
            subject: scanned.subject.clone(),
            size: scanned.bytes.len() as u64,
            phishing: scanned.phishing().cloned(),
            authentication_results: scanned.auth().map(|a| a.header.clone()),
        }
    }
}

impl Filter {
    /// Builds the processors (an invalid list entry is an error naming it); `dns` is the
    /// `auth` processor's resolver.
    pub async fn build(
        config: &FilterConfig,
        dns: &DnsConfig,
        hostname: &str,
        quarantine: Quarantine,
        store: Option<Store>,
    ) -> Result<Self, String> {
        let authserv_id = config
            .authserv_id
            .clone()
            .unwrap_or_else(|| hostname.to_string());
        let mut processors = Vec::with_capacity(config.processors.len());
        for processor in &config.processors {
            let env = Environment {
                store: store.as_ref(),
                dns,
                authserv_id: &authserv_id,
            };
            processors.push(Processor::build_in(processor, env).await?);
        }
        Ok(Self {
            processors,
            policy: config.policy.clone(),
            relay: next_hop(config, hostname),
            hostname: hostname.to_string(),
            authserv_id,
            quarantine,
            recorder: store.clone().map(Recorder::start),
            users: store.clone().map(UserSettingsCache::new),
            store,
            rpc: None,
            status: None,
        })
    }

    /// Sends routed users' copies to their workers through `rpc` ([`crate::routes`]).
    pub fn with_rpc(mut self, rpc: Rpc) -> Self {
        self.rpc = Some(rpc);
        self.status = self.store.clone().map(routes::StatusWriter::start);
        self
    }

    /// Runs every processor in order; a failing one either fails the whole run
    /// (`on_error = "tempfail"`) or leaves a `skipped` finding.
    pub async fn findings(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        let mut findings = Vec::new();
        for processor in &self.processors {
            let started = Instant::now();
            let result = processor.run(message).await;
            metrics().processor_time(processor.name(), started.elapsed().as_secs_f64());
            match result {
                Ok(found) => findings.extend(found),
                Err(error) if processor.on_error() == OnError::Skip => {
                    tracing::warn!(%error, "processor failed; skipped (on_error = \"skip\")");
                    findings.push(Finding {
                        processor: processor.name().into(),
                        score: 0.0,
                        tags: vec![Tag::Skipped],
                        reason: format!("failed: {}", error.detail),
                        recipients: Vec::new(),
                        action: None,
                    });
                }
                Err(error) => return Err(error),
            }
        }
        Ok(findings)
    }

    /// The verdict for each recipient of `message`; `users` holds the settings of those
    /// recipients who have an account (by lower-case address).
    pub fn decisions(
        &self,
        message: &Scanned,
        findings: &[Finding],
        users: &HashMap<String, UserSettings>,
    ) -> Vec<(String, Decision)> {
        message
            .envelope
            .recipients
            .iter()
            .map(|r| {
                let user = users.get(&r.to_lowercase());
                (r.clone(), decide(&self.policy, findings, r, user))
            })
            .collect()
    }

    /// The recipients' own settings (see [`crate::users`]: a change in the console applies
    /// to the next message). Without a store, or when it does not answer, the file's policy
    /// alone decides (logged): mail keeps flowing.
    pub async fn user_settings(&self, message: &Scanned) -> HashMap<String, UserSettings> {
        match &self.users {
            Some(cache) => cache.of(&message.envelope.recipients).await,
            None => HashMap::new(),
        }
    }

    /// Our name in `Authentication-Results`.
    pub fn authserv_id(&self) -> &str {
        &self.authserv_id
    }

    /// Whether `recipient` is refused already at RCPT (the milter): the lists processors'
    /// sender, recipient and client entries and the recipient's own lists, decided by the
    /// policy for that recipient alone — refused only when that decision is `reject`.
    /// Header entries, which need the message, wait for the end of DATA.
    pub async fn refused_at_rcpt(&self, envelope: &Envelope, recipient: &str) -> Option<String> {
        let mut envelope = envelope.clone();
        envelope.recipients = vec![recipient.to_string()];
        let scanned = Scanned::new(envelope, Vec::new());
        let mut findings = Vec::new();
        for processor in &self.processors {
            if let Processor::Lists(lists) = processor
                && let Ok(found) = lists.run(&scanned).await
            {
                findings.extend(found);
            }
        }
        // The settings as last known: no store round trip per RCPT (the end of DATA asks).
        let users = match &self.users {
            Some(cache) => cache.last_known(&scanned.envelope.recipients),
            None => HashMap::new(),
        };
        add_user_findings(&scanned, &mut findings, &users);
        if findings.is_empty() {
            return None;
        }
        let decision = decide(
            &self.policy,
            &findings,
            recipient,
            users.get(&recipient.to_lowercase()),
        );
        (decision.action == Action::Reject).then_some(decision.reason)
    }

    /// Scans and decides, without acting (the milter acts through its session): the
    /// findings and verdicts, or the id, facts and error when a processor failed.
    pub async fn judge(
        &self,
        envelope: &Envelope,
        message: Vec<u8>,
    ) -> Result<Judged, (String, Facts, ProcessorError)> {
        let id = new_id();
        let scanned = Scanned::new(envelope.clone(), message);
        let (found, lookup) = tokio::join!(self.findings(&scanned), async {
            match &self.users {
                Some(cache) => cache.lookup(&scanned.envelope.recipients).await,
                None => Lookup::default(),
            }
        });
        let facts = Facts::of(&scanned);
        let mut findings = match found {
            Ok(findings) => findings,
            Err(error) => return Err((id, facts, error)),
        };
        add_user_findings(&scanned, &mut findings, &lookup.settings);
        let decisions = self.decisions(&scanned, &findings, &lookup.settings);
        Ok(Judged {
            id,
            scanned,
            findings,
            decisions,
            facts,
        })
    }

    /// Scans, decides and acts on one message.
    pub async fn handle(&self, envelope: &Envelope, message: Vec<u8>) -> Outcome {
        let id = new_id();
        let scanned = Scanned::new(envelope.clone(), message);
        // The recipients' own settings are read while the processors scan, so the store's
        // answer costs no time of its own on the reply's path.
        let (scanned_findings, lookup) = tokio::join!(self.findings(&scanned), async {
            match &self.users {
                Some(cache) => cache.lookup(&scanned.envelope.recipients).await,
                None => Lookup::default(),
            }
        });
        let users = lookup.settings;
        let facts = Facts::of(&scanned);
        let findings = match scanned_findings {
            Ok(findings) => findings,
            Err(error) => {
                tracing::warn!(%id, %error, "processor failed; message deferred");
                let reply = Reply::new(
                    451,
                    "4.7.1",
                    &format!("Temporary failure in content scan, try again later (ref {id})"),
                );
                return Outcome {
                    id,
                    findings: Vec::new(),
                    decisions: Vec::new(),
                    reply,
                    facts,
                };
            }
        };
        let mut findings = findings;
        add_user_findings(&scanned, &mut findings, &users);
        let mut decisions = self.decisions(&scanned, &findings, &users);
        if let Some(rpc) = &self.rpc
            && !lookup.routes.is_empty()
        {
            let answers = routes::ask_all(
                rpc,
                self.status.as_ref(),
                &id,
                &scanned,
                &findings,
                &decisions,
                lookup.routes,
            )
            .await;
            for answer in &answers {
                findings.extend(answer.findings.iter().cloned());
            }
            decisions = self.decisions(&scanned, &findings, &users);
            routes::apply_overrides(&mut decisions, &answers);
        }
        let reply = self.act(&id, &scanned, &facts, &findings, &decisions).await;
        Outcome {
            id,
            findings,
            decisions,
            reply,
            facts,
        }
    }

    async fn act(
        &self,
        id: &str,
        scanned: &Scanned,
        facts: &Facts,
        findings: &[Finding],
        decisions: &[(String, Decision)],
    ) -> Reply {
        let tempfail =
            |what: &str| Reply::new(451, "4.3.0", &format!("{what}, try again later (ref {id})"));
        if decisions.iter().any(|(_, d)| d.action == Action::Tempfail) {
            return tempfail("Message deferred by policy");
        }
        if let Some((_, rejected)) = decisions.iter().find(|(_, d)| d.action == Action::Reject)
            && decisions.iter().all(|(_, d)| d.action == Action::Reject)
        {
            let reason = header_safe(&rejected.reason, 200);
            return Reply::new(
                554,
                "5.7.1",
                &format!("Rejected: {} (ref {id})", ascii(&reason)),
            );
        }
        // A bounce (null sender) cannot be bounced: its refused copy is held instead.
        let bounce_refused = !scanned.envelope.mail_from.is_empty();
        let (refused, held): (Vec<Verdict>, Vec<Verdict>) = decisions
            .iter()
            .filter(|(_, d)| matches!(d.action, Action::Quarantine | Action::Reject))
            .partition(|(_, d)| d.action == Action::Reject && bounce_refused);
        // Quarantine and report first: if either fails, nothing has been delivered yet.
        if !held.is_empty()
            && let Err(error) = self.hold(id, scanned, &held).await
        {
            tracing::error!(%id, %error, "quarantining failed; message deferred");
            return tempfail("Quarantine unavailable");
        }
        if !refused.is_empty()
            && let Err(error) = self.report_refused(id, scanned, &refused).await
        {
            tracing::warn!(%id, %error, "sending the non-delivery report failed; message deferred");
            return tempfail("Next hop unavailable");
        }
        for (recipients, copy) in self.copies(id, scanned, facts, findings, decisions) {
            let outgoing = Outgoing {
                xforward: &scanned.envelope.xforward,
                mail_from: &scanned.envelope.mail_from,
                params: &scanned.envelope.params,
                recipients: &recipients,
                message: &copy,
            };
            if let Err(error) = self.relay.send(outgoing).await {
                tracing::warn!(%id, %error, "relaying to the next hop failed; message deferred");
                return tempfail("Next hop unavailable");
            }
        }
        Reply::new(250, "2.0.0", &format!("Ok: filtered as {id}"))
    }

    /// The copies to relay: recipients grouped by what their copy carries (action,
    /// subject prefix, the findings that concern them), each group's copy marked once.
    fn copies(
        &self,
        id: &str,
        scanned: &Scanned,
        facts: &Facts,
        findings: &[Finding],
        decisions: &[(String, Decision)],
    ) -> Vec<(Vec<String>, Vec<u8>)> {
        type Key<'d> = (Action, Option<&'d str>, &'d [usize]);
        let mut groups: BTreeMap<Key, (&Decision, Vec<String>)> = BTreeMap::new();
        for (recipient, decision) in decisions {
            let targets = match decision.action {
                Action::Forward if !decision.rules.forward_to.is_empty() => {
                    decision.rules.forward_to.as_slice()
                }
                Action::Pass | Action::Tag | Action::Forward => std::slice::from_ref(recipient),
                Action::Quarantine | Action::Reject | Action::Discard | Action::Tempfail => {
                    continue;
                }
            };
            let key = (
                decision.action,
                decision.rules.subject_prefix.as_deref(),
                decision.concerning.as_slice(),
            );
            let (_, group) = groups.entry(key).or_insert((decision, Vec::new()));
            for target in targets {
                if !group.contains(target) {
                    group.push(target.clone());
                }
            }
        }
        groups
            .into_values()
            .map(|(decision, recipients)| {
                let concerning: Vec<&Finding> =
                    decision.concerning.iter().map(|&i| &findings[i]).collect();
                let copy = mark(
                    &scanned.bytes,
                    &Marking {
                        id,
                        action: decision.action,
                        score: decision.score,
                        findings: &concerning,
                        subject_prefix: decision.rules.subject_prefix.as_deref(),
                        authserv_id: Some(&self.authserv_id),
                        authentication_results: facts.authentication_results.as_deref(),
                    },
                );
                (recipients, copy)
            })
            .collect()
    }

    /// Tells the sender, through the next hop, which recipients refused the message.
    async fn report_refused(
        &self,
        id: &str,
        scanned: &Scanned,
        refused: &[Verdict<'_>],
    ) -> Result<(), postwarden_smtp::client::RelayError> {
        let refused: Vec<dsn::Refused> = refused
            .iter()
            .map(|(recipient, decision)| dsn::Refused {
                recipient: recipient.clone(),
                reason: decision.reason.clone(),
            })
            .collect();
        let sender = &scanned.envelope.mail_from;
        let report = dsn::report(
            &self.hostname,
            id,
            sender,
            &refused,
            &scanned.bytes,
            Utc::now(),
        );
        let outgoing = Outgoing {
            xforward: &[],
            mail_from: "",
            params: &MailParams {
                eight_bit: !report.is_ascii(),
                ..MailParams::default()
            },
            recipients: std::slice::from_ref(sender),
            message: &report,
        };
        self.relay.send(outgoing).await.map(drop)
    }

    /// Quarantines the message for `held` recipients: durable file, then metadata.
    pub(crate) async fn hold(
        &self,
        id: &str,
        scanned: &Scanned,
        held: &[Verdict<'_>],
    ) -> Result<(), String> {
        let digest = self
            .quarantine
            .store(scanned.bytes.clone())
            .await
            .map_err(|e| e.to_string())?;
        let Some(store) = &self.store else {
            return Ok(());
        };
        let reason = held
            .iter()
            .map(|(_, d)| d.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let record = QuarantineRecord {
            id: id.to_string(),
            time: Utc::now(),
            digest,
            mail_from: scanned.envelope.mail_from.clone(),
            recipients: held.iter().map(|(r, _)| r.clone()).collect(),
            subject: scanned.subject.clone(),
            size: scanned.bytes.len() as u64,
            reason,
            released: None,
            released_by: None,
            deleted: None,
        };
        store
            .insert_quarantine(&record)
            .await
            .map_err(|e| e.to_string())
    }

    /// Stores the message record and its events (grouped with other sessions' by the
    /// [`Recorder`]); a failure is logged, never fatal: the message is already safe.
    pub(crate) async fn record(&self, envelope: &Envelope, outcome: &Outcome, started: Instant) {
        let facts = &outcome.facts;
        let Some(recorder) = &self.recorder else {
            return;
        };
        let verdicts: serde_json::Map<String, serde_json::Value> = outcome
            .decisions
            .iter()
            .map(|(r, d)| {
                (
                    r.clone(),
                    serde_json::json!({"action": d.action, "score": d.score, "reason": d.reason}),
                )
            })
            .collect();
        let score = outcome
            .decisions
            .iter()
            .map(|(_, d)| d.score)
            .fold(0.0, f64::max);
        let record = MessageRecord {
            id: outcome.id.clone(),
            time: Utc::now(),
            queue_id: facts.queue_id.clone(),
            client_ip: facts.client_ip.map(|ip| ip.to_string()),
            client_name: facts.client_name.clone(),
            mail_from: envelope.mail_from.clone(),
            recipients: envelope.recipients.clone(),
            subject: facts.subject.clone(),
            size: facts.size,
            score,
            findings: serde_json::to_value(&outcome.findings).unwrap_or_default(),
            verdicts: serde_json::Value::Object(verdicts),
            reply: outcome.reply.to_string(),
            duration_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
        };
        let events = events(&record, outcome);
        recorder.record(record, events).await;
    }
}

impl Handler for Filter {
    async fn deliver(&self, envelope: &Envelope, message: Vec<u8>) -> Reply {
        let started = Instant::now();
        let outcome = self.handle(envelope, message).await;
        count(&outcome);
        self.record(envelope, &outcome, started).await;
        outcome.reply
    }
}

/// Counts the message by result, and its recipients by action, in the metrics.
pub(crate) fn count(outcome: &Outcome) {
    let result = match outcome.reply.code {
        200..=299 => "accepted",
        400..=499 => "tempfailed",
        _ => "rejected",
    };
    metrics().filter_message(result);
    for (_, decision) in &outcome.decisions {
        metrics().filter_verdict(decision.action.as_str());
    }
}

/// The events a message raises: one per kind, naming its sender, first recipient concerned,
/// subject and score.
fn events(record: &MessageRecord, outcome: &Outcome) -> Vec<Event> {
    let mut events = Vec::new();
    // `extra` attributes join the common ones (the phishing and BEC confidence, reasons).
    let mut raise = |kind: &str,
                     severity,
                     recipients: Vec<&String>,
                     what: &str,
                     extra: Option<serde_json::Value>| {
        if recipients.is_empty() {
            return;
        }
        let mut event = Event::new(
            record.time,
            kind,
            severity,
            "filter",
            format!(
                "{what}: message {} from <{}> to {} recipient(s){}",
                record.id,
                record.mail_from,
                recipients.len(),
                record
                    .subject
                    .as_deref()
                    .map(|s| format!(", subject \"{}\"", header_safe(s, 80)))
                    .unwrap_or_default()
            ),
        );
        event.ip = outcome.facts.client_ip;
        event.sender = Some(record.mail_from.clone());
        event.recipient = recipients.first().map(|r| r.to_string());
        event.attributes = serde_json::json!({
            "message_id": record.id,
            "queue_id": record.queue_id,
            "subject": record.subject,
            "score": record.score,
            "recipients": recipients,
            "reply": record.reply,
        });
        if let (Some(serde_json::Value::Object(extra)), Some(attributes)) =
            (extra, event.attributes.as_object_mut())
        {
            attributes.extend(extra);
        }
        events.push(event);
    };
    let with = |pred: &dyn Fn(&Decision) -> bool| -> Vec<&String> {
        outcome
            .decisions
            .iter()
            .filter(|(_, d)| pred(d))
            .map(|(r, _)| r)
            .collect()
    };
    let found = |tag| with(&|d: &Decision| d.found.contains(&tag));
    raise(
        "mail.virus",
        Severity::Critical,
        found(Tag::Virus),
        "virus",
        None,
    );
    raise(
        "mail.spam",
        Severity::Notice,
        found(Tag::Spam),
        "spam",
        None,
    );
    raise(
        "mail.blocked",
        Severity::Notice,
        found(Tag::Blocked),
        "blocked",
        None,
    );
    if let Some(scores) = &outcome.facts.phishing {
        for (kind, tag, confidence, reasons, what) in [
            (
                "mail.phishing",
                Tag::Phishing,
                scores.phishing,
                &scores.phishing_reasons,
                "phishing",
            ),
            (
                "mail.bec",
                Tag::Bec,
                scores.bec,
                &scores.bec_reasons,
                "business e-mail compromise",
            ),
        ] {
            raise(
                kind,
                Severity::Warning,
                found(tag),
                &format!("{what} ({confidence:.2})"),
                Some(serde_json::json!({"confidence": confidence, "reasons": reasons})),
            );
        }
    }
    for tag in [Tag::DmarcReject, Tag::DmarcQuarantine] {
        raise(
            "mail.dmarc",
            Severity::Notice,
            found(tag),
            "DMARC failed",
            Some(serde_json::json!({"policy": tag.as_str()})),
        );
    }
    let acted = |action| with(&|d: &Decision| d.action == action);
    raise(
        "mail.quarantined",
        Severity::Notice,
        acted(Action::Quarantine),
        "quarantined",
        None,
    );
    raise(
        "mail.rejected",
        Severity::Notice,
        acted(Action::Reject),
        "rejected",
        None,
    );
    events
}

/// `text` with non-ASCII characters replaced, for an SMTP reply line.
pub(crate) fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The relay to `filter.next_hop`, greeting it as `hostname`.
pub fn next_hop(config: &FilterConfig, hostname: &str) -> Relay {
    Relay::new(RelayConfig {
        address: config.next_hop.clone(),
        helo_name: hostname.to_string(),
        connect_timeout: config.relay_timeout,
        reply_timeout: config.relay_timeout,
    })
}

/// Adds what each recipient's own allow and block senders say of the sender.
pub fn add_user_findings(
    message: &Scanned,
    findings: &mut Vec<Finding>,
    users: &HashMap<String, UserSettings>,
) {
    for recipient in &message.envelope.recipients {
        if let Some(user) = users.get(&recipient.to_lowercase()) {
            findings.extend(user_findings(&message.envelope.mail_from, recipient, user));
        }
    }
}

/// A reference id unique in this process and sortable by time: microseconds since the
/// epoch and a counter, in hex.
fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let micros = Utc::now().timestamp_micros().max(0) as u64;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xfff;
    format!("{micros:013x}{n:03x}")
}
