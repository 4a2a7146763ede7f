//! Per-user processing: after the site's processors, each routed user's copy goes to that
//! user's worker over RabbitMQ ([`postwarden_mq`]), and the reply becomes findings that the
//! one policy weighs like any other.
//!
//! Why findings: [`crate::policy::decide`] applies a finding's `action` as a floor — the
//! strongest action wins — so a user can make *their* copy stricter, tag, forward or
//! quarantine it, and can never weaken a site reject or virus verdict. A reply's findings
//! lose any `allowed` tag and any negative score for the same reason: a worker does not get
//! to allow-list what the site blocked, nor to pull a message under a score threshold.
//!
//! One request per (message, user), carrying only that user's recipients; all users of a
//! message are asked at once; each waits at most its route's timeout. When no usable reply
//! comes (timeout, broker unreachable, nack, dead letter, garbage), the route's
//! `on_timeout` decides: `tempfail` (the default: 4xx, Postfix retries, nothing lost),
//! `pass`, or `quarantine`. Every request gets a `mail_status` row when it ends, written
//! in a group commit with other requests' ([`StatusWriter`]).

use crate::message::Scanned;
use crate::policy::Decision;
use chrono::Utc;
use postwarden_core::{Action, Finding, OnTimeout, RequestState, Tag};
use postwarden_mq::{Envelope, Reply, ReplyAction, Request, Rpc, RpcError, Target};
use postwarden_store::{RequestRecord, RouteRecord, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The processor name of findings that come from a user's worker.
pub const PROCESSOR: &str = "route";

/// What one route's request came to.
pub struct Answer {
    pub route: Arc<RouteRecord>,
    pub recipients: Vec<String>,
    /// Findings to add for the policy.
    pub findings: Vec<Finding>,
    /// A reply's forward addresses or subject prefix, applied to these recipients.
    pub forward_to: Vec<String>,
    pub subject_prefix: Option<String>,
}

/// Asks every route's worker about its recipients' copy, in parallel.
pub async fn ask_all(
    rpc: &Rpc,
    status: Option<&StatusWriter>,
    id: &str,
    scanned: &Scanned,
    findings: &[Finding],
    site: &[(String, Decision)],
    routes: Vec<(Arc<RouteRecord>, Vec<String>)>,
) -> Vec<Answer> {
    let asks = routes.into_iter().filter_map(|(route, recipients)| {
        // A copy the site refuses or defers already is not the worker's to decide.
        let open = recipients.iter().any(|r| {
            site.iter()
                .find(|(s, _)| s == r)
                .is_none_or(|(_, d)| !matches!(d.action, Action::Reject | Action::Tempfail))
        });
        open.then(|| ask(rpc, status, id, scanned, findings, site, route, recipients))
    });
    futures_util::future::join_all(asks).await
}

#[allow(clippy::too_many_arguments)]
async fn ask(
    rpc: &Rpc,
    status: Option<&StatusWriter>,
    id: &str,
    scanned: &Scanned,
    findings: &[Finding],
    site: &[(String, Decision)],
    route: Arc<RouteRecord>,
    recipients: Vec<String>,
) -> Answer {
    let started = Instant::now();
    let deadline = started + route.timeout;
    let request_id = new_request_id();
    let concerns = |f: &&Finding| {
        f.recipients.is_empty()
            || f.recipients
                .iter()
                .any(|r| recipients.iter().any(|m| m.eq_ignore_ascii_case(r)))
    };
    let request = Request {
        version: postwarden_mq::wire::VERSION,
        id: request_id.clone(),
        reference: id.to_owned(),
        user: route.user_address.clone(),
        deadline: Utc::now()
            + chrono::Duration::from_std(route.timeout).unwrap_or(chrono::Duration::zero()),
        envelope: Envelope {
            mail_from: scanned.envelope.mail_from.clone(),
            recipients: recipients.clone(),
            client_address: scanned.client_ip().map(|ip| ip.to_string()),
            client_name: scanned.client_name(),
            helo: scanned.envelope.xforward("HELO"),
            queue_id: scanned.queue_id.clone(),
        },
        findings: findings
            .iter()
            .filter(concerns)
            .map(|f| Finding {
                // Other users' recipients stay out of this user's request.
                recipients: f
                    .recipients
                    .iter()
                    .filter(|r| recipients.iter().any(|m| m.eq_ignore_ascii_case(r)))
                    .cloned()
                    .collect(),
                ..f.clone()
            })
            .collect(),
        site_actions: site
            .iter()
            .filter(|(r, _)| recipients.contains(r))
            .map(|(r, d)| (r.clone(), d.action))
            .collect(),
        message: Request::encode_message(&scanned.bytes),
    };
    let target = Target {
        queue: route.queue.clone(),
        broker_user: route.broker_user.clone(),
    };
    let sent = Utc::now();
    let result = rpc.call(&target, &request, deadline).await;
    let elapsed = started.elapsed();
    let answer = answer_of(&route, recipients, &result);
    postwarden_core::metrics::metrics().mq_request(
        &route.user_address,
        match &result {
            Ok(_) => "answered",
            Err(e) => e.state().as_str(),
        },
        result.is_ok().then_some(elapsed.as_secs_f64()),
    );
    match &result {
        Ok(reply) => {
            tracing::debug!(%id, user = %route.user_address, action = reply.action.as_str(),
            ms = elapsed.as_millis() as u64, "worker answered")
        }
        Err(error) => tracing::warn!(%id, user = %route.user_address, %error,
            on_timeout = route.on_timeout.as_str(), "worker gave no usable answer"),
    }
    if let Some(status) = status {
        status
            .write(ended(
                request_id,
                id,
                &route,
                answer.recipients.clone(),
                rpc.node(),
                sent,
                request.deadline,
                &result,
            ))
            .await;
    }
    answer
}

/// The findings (and overrides) a reply, or its absence, comes to.
fn answer_of(
    route: &Arc<RouteRecord>,
    recipients: Vec<String>,
    result: &Result<Reply, RpcError>,
) -> Answer {
    let user = &route.user_address;
    let mut answer = Answer {
        route: route.clone(),
        recipients: recipients.clone(),
        findings: Vec::new(),
        forward_to: Vec::new(),
        subject_prefix: None,
    };
    match result {
        Ok(reply) => {
            for found in &reply.findings {
                answer.findings.push(Finding {
                    processor: PROCESSOR.into(),
                    // A worker may add to the score, never take from it.
                    score: found.score.max(0.0),
                    tags: found
                        .tags
                        .iter()
                        .copied()
                        .filter(|t| !matches!(t, Tag::Allowed | Tag::Skipped))
                        .collect(),
                    reason: format!("{user}'s {}: {}", found.processor, found.reason),
                    recipients: recipients.clone(),
                    action: None,
                });
            }
            let action = reply.action.action();
            if action != Action::Pass || reply.action == ReplyAction::Delay {
                let why = if reply.reason.is_empty() {
                    reply.action.as_str().to_owned()
                } else {
                    reply.reason.clone()
                };
                answer.findings.push(Finding {
                    processor: PROCESSOR.into(),
                    score: 0.0,
                    tags: Vec::new(),
                    reason: format!("{user}'s worker: {why}"),
                    recipients: recipients.clone(),
                    action: Some(action),
                });
            }
            answer.forward_to = reply.forward_to.clone();
            answer.subject_prefix = reply.subject_prefix.clone();
        }
        Err(error) => {
            let action = match route.on_timeout {
                OnTimeout::Tempfail => Some(Action::Tempfail),
                OnTimeout::Quarantine => Some(Action::Quarantine),
                OnTimeout::Pass => None,
            };
            answer.findings.push(Finding {
                processor: PROCESSOR.into(),
                score: 0.0,
                tags: if action.is_none() {
                    vec![Tag::Skipped]
                } else {
                    Vec::new()
                },
                reason: format!(
                    "{user}'s worker: {error}; on_timeout = {}",
                    route.on_timeout.as_str()
                ),
                recipients,
                action,
            });
        }
    }
    answer
}

/// The request's `mail_status` row, as it ended.
#[allow(clippy::too_many_arguments)]
fn ended(
    request_id: String,
    message_id: &str,
    route: &RouteRecord,
    recipients: Vec<String>,
    node: &str,
    sent: chrono::DateTime<Utc>,
    deadline: chrono::DateTime<Utc>,
    result: &Result<Reply, RpcError>,
) -> RequestRecord {
    let mut record = RequestRecord {
        request_id,
        message_id: message_id.to_owned(),
        route_id: route.id,
        user_address: route.user_address.clone(),
        recipients,
        node: node.to_owned(),
        state: RequestState::Answered,
        action: None,
        tags: Vec::new(),
        findings: None,
        detail: None,
        sent,
        answered: Some(Utc::now()),
        deadline,
    };
    match result {
        Ok(reply) => {
            record.action = Some(reply.action.as_str().to_owned());
            record.tags = reply.tags.clone();
            record.findings = serde_json::to_value(&reply.findings).ok();
            record.detail = (!reply.reason.is_empty()).then(|| reply.reason.clone());
            if reply.action == ReplyAction::Delay {
                let hold = reply
                    .hold_seconds
                    .map_or(DEFAULT_HOLD, Duration::from_secs)
                    .min(MAX_HOLD);
                record.state = RequestState::Held;
                record.deadline = Utc::now()
                    + chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::days(1));
            }
        }
        Err(error) => {
            record.state = error.state();
            record.action = Some(route.on_timeout.as_str().to_owned());
            record.detail = Some(error.to_string());
        }
    }
    record
}

/// Group commit for `mail_status`: each request's row is written once, when it ends, and
/// the rows of concurrent requests go to the store together in one transaction (as the
/// message records do, [`crate::recorder`]). The request waits for its row before the
/// message is answered, so `mail status` knows it as soon as Postfix does.
pub struct StatusWriter {
    queue: tokio::sync::mpsc::Sender<(RequestRecord, tokio::sync::oneshot::Sender<()>)>,
}

impl StatusWriter {
    /// Starts the writer task (it ends when the writer is dropped).
    pub fn start(store: Store) -> Self {
        let (queue, mut incoming) =
            tokio::sync::mpsc::channel::<(RequestRecord, tokio::sync::oneshot::Sender<()>)>(1024);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(256);
            while incoming.recv_many(&mut batch, 256).await > 0 {
                let (rows, waiting): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
                if let Err(error) = store.record_requests(&rows).await {
                    tracing::warn!(%error, count = rows.len(), "storing request rows together failed; one by one");
                    for row in &rows {
                        if let Err(error) = store.record_request(row).await {
                            tracing::error!(request = %row.request_id, %error, "storing a request's row failed");
                        }
                    }
                }
                for done in waiting {
                    let _ = done.send(());
                }
            }
        });
        Self { queue }
    }

    /// Stores `row`; returns once it is committed (or given up on, logged).
    pub async fn write(&self, row: RequestRecord) {
        let (done, committed) = tokio::sync::oneshot::channel();
        if self.queue.send((row, done)).await.is_ok() {
            let _ = committed.await;
        }
    }
}

/// Applies each answer's forward addresses and subject prefix to its recipients' decisions.
pub fn apply_overrides(decisions: &mut [(String, Decision)], answers: &[Answer]) {
    for answer in answers {
        for (recipient, decision) in decisions.iter_mut() {
            if !answer.recipients.contains(recipient) {
                continue;
            }
            if decision.action == Action::Forward && !answer.forward_to.is_empty() {
                decision.rules.forward_to = answer.forward_to.clone();
            }
            if let Some(prefix) = &answer.subject_prefix {
                decision.rules.subject_prefix = Some(prefix.clone());
            }
        }
    }
}

fn new_request_id() -> String {
    let bytes: [u8; 12] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long a held copy waits for a decision when its worker names no time.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(24 * 3600);
/// The longest a held copy may wait.
pub const MAX_HOLD: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest a route may wait: Postfix gives the filter `smtp_data_done_timeout` (1200 s
/// in `postwarden postfix-config`'s lines) for the end of DATA, and the filter's own work
/// must fit in it too.
pub const MAX_ROUTE_TIMEOUT: Duration = Duration::from_secs(600);
