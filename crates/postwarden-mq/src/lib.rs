//! Per-user processing over RabbitMQ (docs/mq.md).
//!
//! The content filter hands each routed user's copy of a message, as an RPC request, to
//! that user's own worker and acts on the reply; nothing is delivered before the reply or
//! the route's `on_timeout` decides, and a missing answer never lets mail through by
//! accident (the default is a 4xx: Postfix keeps the message).
//!
//! - [`wire`]: the versioned JSON request and reply (pure; proptested);
//! - [`topology`]: exchanges and queues, and why a per-node reply queue;
//! - [`provision`]: a route's broker user and queue (`rabbitmqctl` or the management API);
//! - [`create_route`] / [`remove_route`]: a route in the store and on the broker;
//! - [`client`]: the node's RPC client, with confirms, deadlines and reconnects;
//! - [`url`]: the broker URL taken apart (pure).

mod client;
mod provision;
mod routes;
pub mod topology;
mod url;
pub mod wire;

pub use client::{LateReply, Rpc, RpcError, Target, redact_credentials};
pub use provision::{ProvisionError, Provisioner, WorkerUser, new_password};
pub use routes::{Provisioned, RouteError, RouteRequest, create_route, remove_route};
pub use url::{BrokerUrl, UrlError};
pub use wire::{Envelope, Reply, ReplyAction, ReplyFinding, Request, WireError};
