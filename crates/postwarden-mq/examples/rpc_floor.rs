//! The broker's floor for one RPC on this machine: the node's [`Rpc`] against a responder
//! that answers at once (no filter, no SMTP, no processors), through the user's quorum
//! queue as routes use it, side by side with a classic queue, alone and with 20 callers.
//! Prints figures; asserts nothing. Needs a vhost of its own:
//!
//! ```sh
//! rabbitmqctl add_vhost pw-floor && rabbitmqctl set_permissions -p pw-floor guest '.*' '.*' '.*'
//! cargo run --release -p postwarden-mq --example rpc_floor -- amqp://guest:guest@127.0.0.1:5672/pw-floor 5000
//! rabbitmqctl delete_vhost pw-floor
//! ```

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use postwarden_core::Secret;
use postwarden_mq::topology::{REPLIES_EXCHANGE, REQUESTS_EXCHANGE, declare_exchanges};
use postwarden_mq::{Envelope, Reply, ReplyAction, Request, Rpc, Target};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("the broker URL of a vhost of its own");
    let count: usize = args.next().map_or(5000, |n| n.parse().unwrap());
    let connection = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let setup = connection.create_channel().await.unwrap();
    declare_exchanges(&setup).await.unwrap();
    postwarden_mq::topology::declare_user_queue(&setup, "floor.quorum", 5)
        .await
        .unwrap();
    setup
        .queue_declare(
            "floor.classic".into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    setup
        .queue_bind(
            "floor.classic".into(),
            REQUESTS_EXCHANGE.into(),
            "floor.classic".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    for queue in ["floor.quorum", "floor.classic"] {
        let channel = connection.create_channel().await.unwrap();
        let mut requests = channel
            .basic_consume(
                queue.into(),
                "responder".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        tokio::spawn(async move {
            let reply = Reply::new(ReplyAction::Pass, "").to_json();
            while let Some(Ok(delivery)) = requests.next().await {
                let _ = channel
                    .basic_publish(
                        REPLIES_EXCHANGE.into(),
                        delivery.properties.reply_to().clone().unwrap(),
                        BasicPublishOptions::default(),
                        &reply,
                        BasicProperties::default()
                            .with_correlation_id(
                                delivery.properties.correlation_id().clone().unwrap(),
                            )
                            .with_user_id("guest".into()),
                    )
                    .await;
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            }
        });
    }
    let rpc = Rpc::start(
        Secret::new(url),
        "floor".into(),
        Duration::from_secs(5),
        None,
    );
    assert!(rpc.wait_connected(Duration::from_secs(10)).await);
    let message = vec![b'x'; 10 * 1024];
    for queue in ["floor.quorum", "floor.classic"] {
        for callers in [1usize, 20] {
            let started = Instant::now();
            let latencies = run(
                &rpc,
                queue,
                callers,
                count / callers.max(1) * callers,
                &message,
            )
            .await;
            let wall = latencies.len() as f64 / started.elapsed().as_secs_f64();
            let mut sorted = latencies.clone();
            sorted.sort();
            let pct = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
            println!(
                "{queue:<14} {callers:>2} caller(s): {:>6} calls, {wall:>6.0} calls/s, p50 {:.2} ms, p99 {:.2} ms",
                latencies.len(),
                pct(0.5).as_secs_f64() * 1000.0,
                pct(0.99).as_secs_f64() * 1000.0
            );
        }
    }
}

async fn run(
    rpc: &Rpc,
    queue: &str,
    callers: usize,
    count: usize,
    message: &[u8],
) -> Vec<Duration> {
    let target = Arc::new(Target {
        queue: queue.into(),
        broker_user: "guest".into(),
    });
    let per = count / callers;
    let mut tasks = tokio::task::JoinSet::new();
    for caller in 0..callers {
        let (rpc, target, message) = (rpc.clone(), target.clone(), message.to_vec());
        tasks.spawn(async move {
            let mut out = Vec::with_capacity(per);
            for i in 0..per {
                let request = Request {
                    version: 1,
                    id: format!("{caller}-{i}"),
                    reference: "floor".into(),
                    user: "floor@example.org".into(),
                    deadline: chrono::Utc::now() + chrono::Duration::seconds(30),
                    envelope: Envelope {
                        mail_from: "a@example.org".into(),
                        recipients: vec!["b@example.org".into()],
                        client_address: None,
                        client_name: None,
                        helo: None,
                        queue_id: None,
                    },
                    findings: Vec::new(),
                    site_actions: Vec::new(),
                    message: Request::encode_message(&message),
                };
                let started = Instant::now();
                rpc.call(
                    &target,
                    &request,
                    tokio::time::Instant::now() + Duration::from_secs(30),
                )
                .await
                .expect("the responder answers");
                out.push(started.elapsed());
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.unwrap());
    }
    all
}
