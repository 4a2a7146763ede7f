//! The node's side of the RPC: publish a request to a user's queue and wait for its reply,
//! within a deadline, never longer.
//!
//! One connection per node, kept by a supervisor task that reconnects with backoff. Each
//! call publishes on a channel in confirm mode (`mandatory`, persistent, `expiration` = the
//! time left) and waits for the broker's confirm *and* the reply. A reply comes back on the
//! node's own queue ([`crate::topology`]); it is accepted only when its `correlation_id` is
//! pending here and its `user_id` (which RabbitMQ vouches for) is the route's broker user.
//! Anything else is dropped and recorded as an `mq.reply_rejected` event.
//!
//! Every failure is typed ([`RpcError`]) so that the filter can apply the route's
//! `on_timeout`: nothing here decides what happens to mail.

use crate::topology::{DEAD_EXCHANGE, NODE_HEADER, REQUESTS_EXCHANGE, declare_node_queue};
use crate::wire::{REQUEST_TYPE, Reply, Request};
use chrono::Utc;
use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use postwarden_core::{Event, Secret, Severity};
use postwarden_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RpcError {
    #[error("the broker is unreachable: {0}")]
    Unavailable(String),
    #[error("the broker refused the request: {0}")]
    Refused(String),
    #[error("no reply within the route's timeout")]
    TimedOut,
    #[error("the request was dead-lettered ({0})")]
    DeadLettered(String),
    #[error("the reply is not one: {0}")]
    Malformed(String),
}

impl RpcError {
    /// `failed` or `timed-out`, as `mail_status` keeps it.
    pub fn state(&self) -> postwarden_core::RequestState {
        match self {
            RpcError::TimedOut => postwarden_core::RequestState::TimedOut,
            _ => postwarden_core::RequestState::Failed,
        }
    }
}

/// Where a request goes and who may answer it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The user's queue (the routing key).
    pub queue: String,
    /// The broker user whose replies are accepted.
    pub broker_user: String,
}

struct Pending {
    broker_user: String,
    answer: oneshot::Sender<Result<Reply, RpcError>>,
}

/// Takes a reply no call is waiting for — a worker's later decision about a copy it had
/// asked to hold — given the `correlation_id` and the broker user RabbitMQ vouches for;
/// true when it was one.
pub type LateReply = Arc<
    dyn Fn(
            String,
            String,
            Reply,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
        + Send
        + Sync,
>;

struct Inner {
    late: std::sync::OnceLock<LateReply>,
    url: Secret,
    node: String,
    connect_timeout: Duration,
    store: Option<Store>,
    pending: Mutex<HashMap<String, Pending>>,
    /// The publishing channel while connected.
    link: watch::Sender<Option<Channel>>,
}

/// The node's RPC client; cheap to clone.
#[derive(Clone)]
pub struct Rpc {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rpc")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl Rpc {
    /// Starts the supervisor; it connects in the background (calls before the first
    /// connection fail fast with [`RpcError::Unavailable`]).
    pub fn start(
        url: Secret,
        node: String,
        connect_timeout: Duration,
        store: Option<Store>,
    ) -> Self {
        let (link, _) = watch::channel(None);
        let inner = Arc::new(Inner {
            late: std::sync::OnceLock::new(),
            url,
            node,
            connect_timeout,
            store,
            pending: Mutex::new(HashMap::new()),
            link,
        });
        tokio::spawn(supervise(Arc::downgrade(&inner)));
        Self { inner }
    }

    /// Sets what takes replies no call awaits (once; later calls are ignored).
    pub fn on_late_reply(&self, late: LateReply) {
        let _ = self.inner.late.set(late);
    }

    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Whether the node is connected now.
    pub fn connected(&self) -> bool {
        self.inner.link.borrow().is_some()
    }

    /// Waits until connected, at most `within`.
    pub async fn wait_connected(&self, within: Duration) -> bool {
        let mut link = self.inner.link.subscribe();
        tokio::time::timeout(within, link.wait_for(Option::is_some))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Requests in flight.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `request` to `target` and waits for the reply until `deadline`.
    pub async fn call(
        &self,
        target: &Target,
        request: &Request,
        deadline: Instant,
    ) -> Result<Reply, RpcError> {
        let channel = self
            .inner
            .link
            .borrow()
            .clone()
            .ok_or_else(|| RpcError::Unavailable("not connected".into()))?;
        let (answer, answered) = oneshot::channel();
        self.lock().insert(
            request.id.clone(),
            Pending {
                broker_user: target.broker_user.clone(),
                answer,
            },
        );
        // However this call ends, the request is no longer pending afterwards.
        let _forget = Forget {
            rpc: self,
            id: &request.id,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RpcError::TimedOut);
        }
        let mut headers = FieldTable::default();
        headers.insert(
            ShortString::from(NODE_HEADER),
            AMQPValue::LongString(self.inner.node.as_str().into()),
        );
        let properties = BasicProperties::default()
            .with_correlation_id(request.id.as_str().into())
            .with_reply_to(self.inner.node.as_str().into())
            .with_expiration(left.as_millis().max(1).to_string().into())
            .with_content_type("application/json".into())
            .with_type(REQUEST_TYPE.into())
            .with_delivery_mode(2)
            .with_headers(headers);
        let body = request.to_json();
        let mut answered = answered;
        // The confirm and the reply are awaited together: the worker may answer before the
        // broker's confirm reaches us, and the confirm matters only when it is bad news.
        let outcome = tokio::time::timeout_at(deadline, async {
            let confirm = channel
                .basic_publish(
                    REQUESTS_EXCHANGE.into(),
                    target.queue.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    properties,
                )
                .await
                .map_err(|e| RpcError::Unavailable(e.to_string()))?;
            tokio::select! {
                biased;
                reply = &mut answered => return reply_of(reply),
                confirmed = confirm => match confirmed.map_err(|e| RpcError::Unavailable(e.to_string()))? {
                    Confirmation::Ack(None) | Confirmation::NotRequested => {}
                    Confirmation::Ack(Some(returned)) => {
                        return Err(RpcError::Refused(format!(
                            "no queue `{}` ({}); is the route provisioned?",
                            target.queue, returned.reply_text
                        )));
                    }
                    Confirmation::Nack(_) => return Err(RpcError::Refused("nack".into())),
                },
            }
            reply_of((&mut answered).await)
        })
        .await;
        outcome.unwrap_or(Err(RpcError::TimedOut))
    }

    /// Fails every pending call (the connection is gone; their replies may never come).
    fn fail_all(&self, why: &str) {
        let pending: Vec<Pending> = self.lock().drain().map(|(_, p)| p).collect();
        for p in pending {
            let _ = p.answer.send(Err(RpcError::Unavailable(why.to_owned())));
        }
    }
}

/// The caller's side of a pending call's answer.
fn reply_of(
    answer: Result<Result<Reply, RpcError>, oneshot::error::RecvError>,
) -> Result<Reply, RpcError> {
    // The sender was dropped: the connection went away with the request.
    answer.unwrap_or_else(|_| Err(RpcError::Unavailable("connection lost".into())))
}

struct Forget<'a> {
    rpc: &'a Rpc,
    id: &'a str,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.rpc.lock().remove(self.id);
    }
}

/// Connects, serves replies until the connection breaks, and again, with backoff; ends
/// when the last [`Rpc`] is dropped.
async fn supervise(weak: std::sync::Weak<Inner>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let rpc = Rpc { inner };
        let started = Instant::now();
        match connect(&rpc).await {
            Ok((connection, consumer)) => {
                tracing::info!(node = %rpc.inner.node, "connected to the broker");
                serve(&rpc, consumer).await;
                rpc.inner.link.send_replace(None);
                rpc.fail_all("connection lost");
                let _ = connection.close(200, "bye".into()).await;
                tracing::warn!(node = %rpc.inner.node, "lost the broker; reconnecting");
            }
            Err(error) => {
                tracing::warn!(node = %rpc.inner.node, %error, "cannot reach the broker; retrying");
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(200);
        }
        drop(rpc);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn connect(rpc: &Rpc) -> Result<(Connection, lapin::Consumer), String> {
    let inner = &rpc.inner;
    let connection = tokio::time::timeout(
        inner.connect_timeout,
        Connection::connect(
            inner.url.expose(),
            ConnectionProperties::default()
                .with_connection_name(format!("postwarden node {}", inner.node).into()),
        ),
    )
    .await
    .map_err(|_| "connection timed out".to_owned())?
    .map_err(|e| redact_credentials(&e.to_string()))?;
    let setup = async {
        let publish = connection.create_channel().await?;
        publish
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let receive = connection.create_channel().await?;
        let queue = declare_node_queue(&receive, &inner.node).await?;
        let consumer = receive
            .basic_consume(
                queue.as_str().into(),
                format!("postwarden-node-{}", inner.node).into(),
                // Replies are not acknowledged one by one: one that a node takes and then
                // loses by crashing belonged to an SMTP session that ended with it.
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        Ok::<_, lapin::Error>((publish, consumer))
    };
    let (publish, consumer) = setup
        .await
        .map_err(|e| redact_credentials(&e.to_string()))?;
    inner.link.send_replace(Some(publish));
    Ok((connection, consumer))
}

/// Hands each reply to its caller until the consumer ends (the connection broke).
async fn serve(rpc: &Rpc, mut consumer: lapin::Consumer) {
    while let Some(delivery) = consumer.next().await {
        let Ok(delivery) = delivery else { return };
        let correlation = delivery
            .properties
            .correlation_id()
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        if delivery.exchange.as_str() == DEAD_EXCHANGE {
            let why = dead_reason(&delivery.properties);
            if let Some(pending) = rpc.lock().remove(&correlation) {
                // Expired in the queue: nobody took it before the deadline — a timeout,
                // whichever of the broker's clock and ours noticed first.
                let error = if why == EXPIRED {
                    RpcError::TimedOut
                } else {
                    RpcError::DeadLettered(why)
                };
                let _ = pending.answer.send(Err(error));
            }
        } else {
            let claimed = delivery
                .properties
                .user_id()
                .as_ref()
                .map(|u| u.as_str().to_owned());
            let pending = {
                let mut pending = rpc.lock();
                match pending.get(&correlation) {
                    Some(p) if Some(&p.broker_user) == claimed.as_ref() => {
                        pending.remove(&correlation)
                    }
                    _ => None,
                }
            };
            match pending {
                Some(pending) => {
                    let reply = Reply::from_json(&delivery.data)
                        .map_err(|e| RpcError::Malformed(e.to_string()));
                    if let Err(error) = &reply {
                        tracing::warn!(node = %rpc.inner.node, %error, "a worker's reply is not one");
                        postwarden_core::metrics::metrics().mq_reply_rejected("malformed");
                    }
                    let _ = pending.answer.send(reply);
                }
                None => {
                    let late = match (
                        rpc.inner.late.get(),
                        &claimed,
                        Reply::from_json(&delivery.data),
                    ) {
                        (Some(late), Some(user), Ok(reply)) => {
                            late(correlation.clone(), user.clone(), reply).await
                        }
                        _ => false,
                    };
                    if !late {
                        reject(rpc, &correlation, claimed.as_deref()).await;
                    }
                }
            }
        }
    }
}

/// A reply nobody here is waiting for from that user: dropped, counted and recorded.
async fn reject(rpc: &Rpc, correlation: &str, claimed: Option<&str>) {
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(100).collect() };
    let correlation = clean(correlation);
    let claimed = claimed.map(clean);
    postwarden_core::metrics::metrics().mq_reply_rejected("not-pending");
    tracing::warn!(node = %rpc.inner.node, %correlation, user = ?claimed,
        "dropped a reply that no request here awaits from that worker");
    let Some(store) = &rpc.inner.store else {
        return;
    };
    let mut event = Event::new(
        Utc::now(),
        "mq.reply_rejected",
        Severity::Warning,
        "filter",
        format!(
            "a reply for request `{correlation}` was dropped: no such request awaits a reply \
             from broker user `{}` on node {}",
            claimed.as_deref().unwrap_or("(none)"),
            rpc.inner.node
        ),
    );
    event.user = claimed.clone();
    event.attributes = serde_json::json!({
        "correlation_id": correlation,
        "broker_user": claimed,
        "node": rpc.inner.node,
    });
    if let Err(error) = store.insert_event(&event).await {
        tracing::warn!(%error, "could not record a rejected reply");
    }
}

const EXPIRED: &str = "it expired in the queue";

/// Why RabbitMQ dead-lettered a request (`x-death`'s `reason`, or `x-first-death-reason`).
fn dead_reason(properties: &BasicProperties) -> String {
    properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-first-death-reason").cloned())
        .and_then(|v| match v {
            AMQPValue::LongString(s) => Some(s.to_string()),
            AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
        .map(|reason| match reason.as_str() {
            "delivery_limit" => "the delivery limit was reached".to_owned(),
            "expired" => EXPIRED.to_owned(),
            "rejected" => "the worker rejected it".to_owned(),
            other => other.to_owned(),
        })
        .unwrap_or_else(|| "dead-lettered".into())
}

/// Errors from the AMQP client may quote the URL; keep credentials out of logs.
pub fn redact_credentials(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://[redacted]{}", &text[..start], &text[at..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_a_message() {
        assert_eq!(
            redact_credentials("amqp://worker:s3cret@mq.example:5672/%2f: connection refused"),
            "amqp://[redacted]@mq.example:5672/%2f: connection refused"
        );
        assert_eq!(redact_credentials("no url here"), "no url here");
    }
}
