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
//! `pass`, or `quarantine`. Every request gets a `mail_status` row.

use crate::message::Scanned;
use crate::policy::Decision;
use chrono::Utc;
use postwarden_core::{Action, Finding, OnTimeout, RequestState, Tag};
use postwarden_mq::{Envelope, Reply, ReplyAction, Request, Rpc, RpcError, Target};
use postwarden_store::{RequestEnd, RequestRecord, RouteRecord, Store};
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
    store: Option<&Store>,
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
        open.then(|| ask(rpc, store, id, scanned, findings, site, route, recipients))
    });
    futures_util::future::join_all(asks).await
}

#[allow(clippy::too_many_arguments)]
async fn ask(
    rpc: &Rpc,
    store: Option<&Store>,
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
    let record = RequestRecord {
        request_id: request_id.clone(),
        message_id: id.to_owned(),
        route_id: route.id,
        user_address: route.user_address.clone(),
        recipients: recipients.clone(),
        node: rpc.node().to_owned(),
        state: RequestState::Sent,
        action: None,
        tags: Vec::new(),
        findings: None,
        detail: None,
        sent: Utc::now(),
        answered: None,
        deadline: request.deadline,
    };
    // The row is written while the request travels: it costs the reply no time.
    let recorded = async {
        match store {
            Some(store) => store
                .record_request(&record)
                .await
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
    };
    let (recorded, result) = tokio::join!(recorded, rpc.call(&target, &request, deadline));
    if let Err(error) = &recorded {
        tracing::warn!(%id, %error, "could not record a request's status");
    }
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
    if let (Some(store), Ok(())) = (store, recorded) {
        finish(store, &request_id, &route, &result).await;
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

async fn finish(
    store: &Store,
    request_id: &str,
    route: &RouteRecord,
    result: &Result<Reply, RpcError>,
) {
    let (findings, detail) = match result {
        Ok(reply) => (
            serde_json::to_value(&reply.findings).ok(),
            (!reply.reason.is_empty()).then(|| reply.reason.clone()),
        ),
        Err(error) => (None, Some(error.to_string())),
    };
    let end = match result {
        Ok(reply) => RequestEnd {
            state: if reply.action == ReplyAction::Delay {
                RequestState::Held
            } else {
                RequestState::Answered
            },
            deadline: (reply.action == ReplyAction::Delay).then(|| {
                let hold = reply
                    .hold_seconds
                    .map_or(DEFAULT_HOLD, Duration::from_secs)
                    .min(MAX_HOLD);
                Utc::now() + chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::days(1))
            }),
            action: Some(reply.action.as_str()),
            tags: &reply.tags,
            findings: findings.as_ref(),
            detail: detail.as_deref(),
            answered: Utc::now(),
        },
        Err(error) => RequestEnd {
            state: error.state(),
            action: Some(route.on_timeout.as_str()),
            tags: &[],
            findings: None,
            detail: detail.as_deref(),
            answered: Utc::now(),
            deadline: None,
        },
    };
    if let Err(error) = store.finish_request(request_id, &end).await {
        tracing::warn!(%request_id, %error, "could not record a request's end");
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
