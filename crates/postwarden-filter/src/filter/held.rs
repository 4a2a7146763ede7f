//! Held copies (a worker's DELAY, SendSwitch's PENDING): the copy waits in the quarantine
//! with its request in state `held` until someone decides —
//!
//! - the worker, with a later reply carrying the same `correlation_id` (any node takes it:
//!   the request is in the shared store);
//! - a person, by releasing it in the console or the API (the next sweep records that);
//! - nobody: at the hold's deadline the route's `on_timeout` applies *after acceptance*:
//!   `pass` delivers the copy, `quarantine` keeps it, and `tempfail` — which can no longer
//!   be a 4xx — returns it to the sender as a non-delivery report.
//!
//! Whoever decides first claims the request in the store (`held` → `decided`, a compare and
//! set), so that with several nodes a copy is delivered or refused once.

use super::Filter;
use crate::dsn;
use crate::quarantine::{ReleaseTo, release};
use chrono::Utc;
use postwarden_core::{OnTimeout, RequestState};
use postwarden_smtp::MailParams;
use postwarden_smtp::client::Outgoing;
use postwarden_store::{RequestEnd, RequestRecord};

/// What becomes of a held copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldDecision {
    /// Deliver it to the request's recipients.
    Deliver,
    /// Leave it in the quarantine.
    Keep,
    /// Return it to the sender with a report; drop the copy.
    Refuse,
    /// Drop the copy without a report (a worker's `discard`).
    Drop,
    /// A person released or deleted it already: only recorded.
    Released,
}

impl HeldDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldDecision::Deliver => "deliver",
            HeldDecision::Keep => "keep",
            HeldDecision::Refuse => "refuse",
            HeldDecision::Drop => "drop",
            HeldDecision::Released => "released",
        }
    }

    /// What a worker's later reply asks for.
    pub fn of_reply(action: postwarden_mq::ReplyAction) -> Self {
        use postwarden_mq::ReplyAction as A;
        match action {
            A::Pass | A::Tag | A::Forward => HeldDecision::Deliver,
            A::Quarantine | A::Delay => HeldDecision::Keep,
            A::Reject | A::Tempfail => HeldDecision::Refuse,
            A::Discard => HeldDecision::Drop,
        }
    }

    /// What a route's `on_timeout` means once the message was accepted.
    pub fn after_deadline(on_timeout: OnTimeout) -> Self {
        match on_timeout {
            OnTimeout::Pass => HeldDecision::Deliver,
            OnTimeout::Quarantine => HeldDecision::Keep,
            OnTimeout::Tempfail => HeldDecision::Refuse,
        }
    }
}

impl Filter {
    /// A worker's later reply to a held request: accepted when the request is held and the
    /// reply comes from that route's broker user. False when it is no such reply.
    pub async fn decide_by_worker(
        &self,
        correlation: &str,
        broker_user: &str,
        reply: &postwarden_mq::Reply,
    ) -> bool {
        let Some(store) = &self.store else {
            return false;
        };
        let Ok(Some(request)) = store.request(correlation).await else {
            return false;
        };
        if request.state != RequestState::Held {
            return false;
        }
        match store.route_by_id(request.route_id).await {
            Ok(Some(route)) if route.broker_user == broker_user => {}
            _ => return false,
        }
        let decision = HeldDecision::of_reply(reply.action);
        match self
            .decide_held(&request, decision, "the user's worker")
            .await
        {
            Ok(decided) => {
                tracing::info!(r#ref = %request.message_id, user = %request.user_address,
                    decision = decision.as_str(), "held copy decided by the worker");
                decided
            }
            Err(error) => {
                tracing::warn!(r#ref = %request.message_id, %error,
                    "deciding a held copy failed; it stays in the quarantine");
                true
            }
        }
    }

    /// Claims and carries out `decision` for a held request; false when it was decided
    /// already (by another node, a person, or an earlier sweep).
    pub async fn decide_held(
        &self,
        request: &RequestRecord,
        decision: HeldDecision,
        by: &str,
    ) -> Result<bool, String> {
        let Some(store) = &self.store else {
            return Ok(false);
        };
        let detail = format!("{} by {by}", decision.as_str());
        let claimed = store
            .finish_request(
                &request.request_id,
                &RequestEnd {
                    state: RequestState::Decided,
                    action: Some(decision.as_str()),
                    tags: &request.tags,
                    findings: request.findings.as_ref(),
                    detail: Some(&detail),
                    answered: Utc::now(),
                    deadline: None,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        if !claimed {
            return Ok(false);
        }
        let id = &request.message_id;
        let waiting: Vec<String> = store
            .quarantine_unreleased(id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|r| request.recipients.iter().any(|m| m.eq_ignore_ascii_case(r)))
            .collect();
        if waiting.is_empty() {
            return Ok(true);
        }
        match decision {
            HeldDecision::Keep | HeldDecision::Released => {}
            HeldDecision::Drop => {
                store
                    .mark_recipients_released(id, &waiting, &format!("discarded: {by}"), Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            HeldDecision::Deliver => {
                release(
                    store,
                    &self.quarantine,
                    &self.relay,
                    id,
                    by,
                    &ReleaseTo::Only(waiting),
                )
                .await
                .map_err(|e| e.to_string())?;
            }
            HeldDecision::Refuse => {
                let entry = store
                    .quarantine_entry(id)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("quarantine entry {id} is gone"))?;
                if !entry.mail_from.is_empty() {
                    let message = self
                        .quarantine
                        .read(&entry.digest)
                        .map_err(|e| format!("reading held copy {id}: {e}"))?;
                    let refused: Vec<dsn::Refused> = waiting
                        .iter()
                        .map(|r| dsn::Refused {
                            recipient: r.clone(),
                            reason: format!(
                                "held by {}'s rules and not released in time",
                                request.user_address
                            ),
                        })
                        .collect();
                    let report = dsn::report(
                        &self.hostname,
                        id,
                        &entry.mail_from,
                        &refused,
                        &message,
                        Utc::now(),
                    );
                    self.relay
                        .send(Outgoing {
                            xforward: &[],
                            mail_from: "",
                            params: &MailParams {
                                eight_bit: !report.is_ascii(),
                                ..MailParams::default()
                            },
                            recipients: std::slice::from_ref(&entry.mail_from),
                            message: &report,
                        })
                        .await
                        .map_err(|e| format!("sending the report for {id}: {e}"))?;
                }
                // Refused: no longer waiting for anyone (and not offered in a digest).
                store
                    .mark_recipients_released(id, &waiting, &format!("refused: {by}"), Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(true)
    }

    /// One pass over the held copies: those a person released meanwhile are recorded as
    /// decided; those past their deadline get their route's `on_timeout`. Returns how many
    /// were settled. Run by each node every few seconds; the claim keeps it once.
    pub async fn settle_held(&self) -> usize {
        let Some(store) = &self.store else { return 0 };
        let held = match store.held_requests().await {
            Ok(held) => held,
            Err(error) => {
                tracing::warn!(%error, "cannot read held copies");
                return 0;
            }
        };
        let now = Utc::now();
        let mut settled = 0;
        for request in held {
            let deleted = matches!(
                store.quarantine_entry(&request.message_id).await,
                Ok(Some(entry)) if entry.deleted.is_some()
            );
            let waiting = match store.quarantine_unreleased(&request.message_id).await {
                Ok(waiting) => {
                    !deleted
                        && waiting.into_iter().any(|r| {
                            request
                                .recipients
                                .iter()
                                .any(|m| m.eq_ignore_ascii_case(&r))
                        })
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read a held copy's quarantine entry");
                    continue;
                }
            };
            let decision = if !waiting {
                // Released (or deleted) by a person: record it, nothing left to do.
                HeldDecision::Released
            } else if request.deadline <= now {
                let on_timeout = match store.route_by_id(request.route_id).await {
                    Ok(Some(route)) => route.on_timeout,
                    // The route is gone: the copy stays where it is safe.
                    Ok(None) => OnTimeout::Quarantine,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read a held copy's route");
                        continue;
                    }
                };
                HeldDecision::after_deadline(on_timeout)
            } else {
                continue;
            };
            let by = if waiting {
                "the hold's deadline"
            } else {
                "a release"
            };
            match self.decide_held(&request, decision, by).await {
                Ok(true) => {
                    settled += 1;
                    tracing::info!(r#ref = %request.message_id, user = %request.user_address,
                        decision = decision.as_str(), by, "held copy decided");
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(r#ref = %request.message_id, %error,
                    "deciding a held copy failed; it stays in the quarantine"),
            }
        }
        settled
    }
}

/// Starts what per-user processing needs beside the SMTP sessions: taking workers' later
/// decisions about held copies, and settling held copies every `every`. Holds the filter
/// weakly: both stop when it is dropped.
pub fn start_held(filter: &std::sync::Arc<Filter>, every: std::time::Duration) {
    let Some(rpc) = &filter.rpc else { return };
    let weak = std::sync::Arc::downgrade(filter);
    rpc.on_late_reply(std::sync::Arc::new(
        move |correlation, broker_user, reply| {
            let weak = weak.clone();
            Box::pin(async move {
                match weak.upgrade() {
                    Some(filter) => {
                        filter
                            .decide_by_worker(&correlation, &broker_user, &reply)
                            .await
                    }
                    None => false,
                }
            })
        },
    ));
    let weak = std::sync::Arc::downgrade(filter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(filter) = weak.upgrade() else { return };
            filter.settle_held().await;
        }
    });
}
