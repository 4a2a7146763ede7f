//! `postwarden worker`: a user's own processing, fed from their RabbitMQ queue.
//!
//! The worker takes a request, runs the user's processors ([`process::Pipeline`]), publishes
//! the reply to `postwarden.replies` with the request's `correlation_id` and its own broker
//! login as `user_id` (RabbitMQ checks it), waits for the broker's confirm, and only then
//! acknowledges the request. A worker killed at any point before that ack leaves the
//! request in the queue for the next worker; a request that keeps failing reaches the
//! queue's delivery limit and is dead-lettered back to the node, which applies the route's
//! `on_timeout`. A request that is not one is rejected at once (dead-lettered too).
//!
//! The connection is re-made with backoff; SIGTERM stops taking requests, finishes those
//! in hand, and exits. One log line per request.

pub mod config;
pub mod process;

pub use config::{WorkerConfig, WorkerConfigError, WorkerFile};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use postwarden_mq::topology::REPLIES_EXCHANGE;
use postwarden_mq::wire::REPLY_TYPE;
use postwarden_mq::{BrokerUrl, Request, redact_credentials};
use process::Pipeline;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("{0}")]
    Setup(String),
}

/// Runs until `stop` becomes true; then finishes the requests in hand.
pub async fn run(config: WorkerConfig, mut stop: watch::Receiver<bool>) -> Result<(), WorkerError> {
    let pipeline = Arc::new(
        Pipeline::build(&config)
            .await
            .map_err(|e| WorkerError::Setup(format!("building the processors: {e}")))?,
    );
    let user = BrokerUrl::parse(config.broker.expose())
        .map_err(|e| WorkerError::Setup(e.to_string()))?
        .user;
    let mut backoff = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let started = Instant::now();
        match session(&config, &pipeline, &user, &mut stop).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::warn!(%error, queue = %config.queue, "broker connection ended; reconnecting");
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(200);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// One connection's life: Ok when stopped, Err when the connection broke.
async fn session(
    config: &WorkerConfig,
    pipeline: &Arc<Pipeline>,
    user: &str,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let connection = tokio::time::timeout(
        Duration::from_secs(10),
        Connection::connect(
            config.broker.expose(),
            ConnectionProperties::default()
                .with_connection_name(format!("postwarden worker {}", config.queue).into()),
        ),
    )
    .await
    .map_err(|_| "connecting timed out".to_owned())?
    .map_err(|e| format!("connecting: {}", redact_credentials(&e.to_string())))?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?;
    channel
        .basic_qos(config.prefetch, BasicQosOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let tag = format!("postwarden-worker-{}", std::process::id());
    let mut consumer = channel
        .basic_consume(
            config.queue.as_str().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| format!("consuming `{}`: {e}", config.queue))?;
    tracing::info!(queue = %config.queue, prefetch = config.prefetch, "worker ready");
    let mut tasks = JoinSet::new();
    let ended = loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break Ok(()),
            delivery = consumer.next() => match delivery {
                Some(Ok(delivery)) => {
                    let (pipeline, channel, user) = (pipeline.clone(), channel.clone(), user.to_owned());
                    tasks.spawn(async move { handle(&pipeline, &channel, &user, delivery).await });
                }
                Some(Err(error)) => break Err(error.to_string()),
                None => break Err("the broker cancelled the consumer".to_owned()),
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    };
    if ended.is_ok() {
        tracing::info!(
            in_hand = tasks.len(),
            "stopping: no new requests; finishing those in hand"
        );
        let _ = channel
            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
            .await;
    }
    while tasks.join_next().await.is_some() {}
    let _ = connection.close(200, "bye".into()).await;
    ended
}

async fn handle(
    pipeline: &Pipeline,
    channel: &Channel,
    user: &str,
    delivery: lapin::message::Delivery,
) {
    let started = Instant::now();
    let request = match Request::from_json(&delivery.data) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%error, "not a request; rejected (dead-lettered)");
            reject(&delivery).await;
            return;
        }
    };
    let reply_to = delivery
        .properties
        .reply_to()
        .as_ref()
        .map(|r| r.as_str().to_owned());
    let correlation = delivery
        .properties
        .correlation_id()
        .as_ref()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| request.id.clone());
    let Some(reply_to) = reply_to else {
        tracing::warn!(r#ref = %request.reference, "request without reply_to; rejected");
        reject(&delivery).await;
        return;
    };
    if request.deadline < chrono::Utc::now() {
        tracing::info!(r#ref = %request.reference, "request past its deadline; dropped");
        let _ = delivery.acker.ack(BasicAckOptions::default()).await;
        return;
    }
    let reply = pipeline.answer(&request).await;
    let properties = BasicProperties::default()
        .with_correlation_id(correlation.as_str().into())
        .with_user_id(user.into())
        .with_content_type("application/json".into())
        .with_type(REPLY_TYPE.into());
    let confirmed = match channel
        .basic_publish(
            REPLIES_EXCHANGE.into(),
            reply_to.as_str().into(),
            BasicPublishOptions::default(),
            &reply.to_json(),
            properties,
        )
        .await
    {
        Ok(confirm) => matches!(confirm.await, Ok(Confirmation::Ack(_))),
        Err(_) => false,
    };
    if confirmed {
        // Only now: a worker killed before this line leaves the request to the next one.
        let _ = delivery.acker.ack(BasicAckOptions::default()).await;
        postwarden_core::metrics::metrics().worker_message(reply.action.as_str());
        tracing::info!(
            r#ref = %request.reference,
            from = %request.envelope.mail_from,
            recipients = request.envelope.recipients.len(),
            action = reply.action.as_str(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    } else {
        tracing::warn!(r#ref = %request.reference, "the broker did not confirm the reply; the request goes back to the queue");
        let _ = delivery
            .acker
            .nack(BasicNackOptions {
                requeue: true,
                ..BasicNackOptions::default()
            })
            .await;
    }
}

/// Gives a request back for good: the broker dead-letters it to the node that asked, which
/// applies the route's `on_timeout` at once.
async fn reject(delivery: &lapin::message::Delivery) {
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            requeue: false,
            ..BasicNackOptions::default()
        })
        .await;
}
