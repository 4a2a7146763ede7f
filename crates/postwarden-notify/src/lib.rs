//! The notification engine: events become notifications.
//!
//! ```text
//! events ─▶ rules ─▶ directives ─▶ groups ─▶ render ─▶ limits ─▶ channels ─▶ audit
//! ```
//!
//! [`rules`] route each new event to receivers as [`directive`]s (external events may carry
//! their own, IntelMQ mailgen's model); [`groups`] decide when pending directives of one
//! group go out together (Alertmanager's timers); [`template`] renders them with a ticket
//! number; [`limits`] hold back floods; [`channels`] deliver (ClickSend SMS, e-mail signed
//! with OpenPGP, webhooks), each send answering sent, retryable or permanent. The
//! [`dispatcher`] runs the steps against the store, which makes every step a transaction
//! that claims its rows, so several dispatchers never double-send and a crash loses nothing.
//! While the store is down, [`direct`] sends alerts straight to their channels.

pub mod channels;
pub mod direct;
pub mod directive;
pub mod dispatcher;
pub mod groups;
pub mod limits;
pub mod mime;
pub mod pgp;
pub mod rules;
pub mod sanitize;
pub mod sms;
pub mod template;

pub use dispatcher::{Dispatcher, Pass, check_config};
