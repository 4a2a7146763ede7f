//! The broker's layout, in one place (docs/mq.md draws it):
//!
//! | name | kind | what |
//! |---|---|---|
//! | `postwarden.requests` | direct exchange | requests, routed by the user's queue name |
//! | `postwarden.user.<id>` | quorum queue | one user's requests; `x-delivery-limit`, dead-letters to `postwarden.dead` |
//! | `postwarden.replies` | direct exchange | replies, routed by the asking node's name (`reply_to`) |
//! | `postwarden.dead` | headers exchange | dead-lettered requests, back to the node named in their `postwarden-node` header |
//! | `postwarden.node.<node>` | classic queue | one node's replies and dead letters |
//!
//! Why a per-node reply queue and not direct reply-to (`amq.rabbitmq.reply-to`): direct
//! reply-to delivers at most once to the channel that asked, so a reply that arrives while
//! the node's channel is being re-established is lost, and dead letters cannot reach it.
//! A named queue per node keeps replies across a reconnect (it expires an hour after its
//! node is gone), takes dead letters too, and lets several nodes share one broker: each
//! reply returns to the node that asked.
//!
//! Why the worker cannot reach other users' mail: its broker user may read only its own
//! queue, write only to `postwarden.replies`, and configure nothing. It cannot publish to
//! the default exchange (which routes to any queue by name), and RabbitMQ refuses a reply
//! whose `user_id` property is not the connection's own login — so a node knows which
//! user's worker sent each reply.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

pub const REQUESTS_EXCHANGE: &str = "postwarden.requests";
pub const REPLIES_EXCHANGE: &str = "postwarden.replies";
pub const DEAD_EXCHANGE: &str = "postwarden.dead";
/// The request header naming the node that asked (dead letters go back by it).
pub const NODE_HEADER: &str = "postwarden-node";
/// An unused node queue is deleted after this long.
const NODE_QUEUE_EXPIRES_MS: u32 = 3_600_000;

/// The queue (and routing key) of a user's requests.
pub fn user_queue(user_id: i64) -> String {
    format!("postwarden.user.{user_id}")
}

/// The broker user of a user's worker.
pub fn broker_user(user_id: i64) -> String {
    format!("postwarden-worker-{user_id}")
}

/// The queue of a node's replies.
pub fn node_queue(node: &str) -> String {
    format!("postwarden.node.{node}")
}

/// The broker permissions of a worker: (configure, write, read) regular expressions.
pub fn worker_permissions(queue: &str) -> (String, String, String) {
    (
        "^$".to_owned(),
        format!("^{}$", regex_escape(REPLIES_EXCHANGE)),
        format!("^{}$", regex_escape(queue)),
    )
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = ".^$|()[]{}*+?\\".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// Declares the exchanges every node and route shares (idempotent).
pub async fn declare_exchanges(channel: &Channel) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for (name, kind) in [
        (REQUESTS_EXCHANGE, ExchangeKind::Direct),
        (REPLIES_EXCHANGE, ExchangeKind::Direct),
        (DEAD_EXCHANGE, ExchangeKind::Headers),
    ] {
        channel
            .exchange_declare(name.into(), kind, durable, FieldTable::default())
            .await?;
    }
    Ok(())
}

/// Declares a user's quorum queue and binds it to the requests exchange.
pub async fn declare_user_queue(
    channel: &Channel,
    queue: &str,
    delivery_limit: u32,
) -> lapin::Result<()> {
    declare_exchanges(channel).await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    arguments.insert(
        ShortString::from("x-delivery-limit"),
        AMQPValue::LongInt(delivery_limit.min(i32::MAX as u32) as i32),
    );
    arguments.insert(
        ShortString::from("x-dead-letter-exchange"),
        AMQPValue::LongString(DEAD_EXCHANGE.into()),
    );
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await?;
    channel
        .queue_bind(
            queue.into(),
            REQUESTS_EXCHANGE.into(),
            queue.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
}

/// Deletes a user's queue (and with it its binding and any requests still in it).
pub async fn delete_user_queue(channel: &Channel, queue: &str) -> lapin::Result<()> {
    channel
        .queue_delete(queue.into(), lapin::options::QueueDeleteOptions::default())
        .await
        .map(|_| ())
}

/// Declares a node's reply queue and binds it for replies and dead letters.
pub async fn declare_node_queue(channel: &Channel, node: &str) -> lapin::Result<String> {
    declare_exchanges(channel).await?;
    let queue = node_queue(node);
    let mut arguments = FieldTable::default();
    arguments.insert(
        ShortString::from("x-expires"),
        AMQPValue::LongUInt(NODE_QUEUE_EXPIRES_MS),
    );
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await?;
    channel
        .queue_bind(
            queue.as_str().into(),
            REPLIES_EXCHANGE.into(),
            node.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut match_node = FieldTable::default();
    match_node.insert(
        ShortString::from("x-match"),
        AMQPValue::LongString("all".into()),
    );
    match_node.insert(
        ShortString::from(NODE_HEADER),
        AMQPValue::LongString(node.into()),
    );
    channel
        .queue_bind(
            queue.as_str().into(),
            DEAD_EXCHANGE.into(),
            "".into(),
            QueueBindOptions::default(),
            match_node,
        )
        .await?;
    Ok(queue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_may_read_its_queue_and_write_replies_only() {
        let (configure, write, read) = worker_permissions(&user_queue(7));
        assert_eq!(configure, "^$");
        assert_eq!(write, r"^postwarden\.replies$");
        assert_eq!(read, r"^postwarden\.user\.7$");
    }
}
