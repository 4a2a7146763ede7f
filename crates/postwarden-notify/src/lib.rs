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
mod directive;
mod dispatcher;
mod fields;
mod groups;
mod limits;
mod mime;
mod pgp;
mod rules;
pub mod sanitize;
pub mod sms;
mod template;

pub use directive::{DirectiveSpec, parse_ingest_line};
pub use dispatcher::{Dispatcher, Pass, check_config, content_hash};
pub use fields::is_resolved;
pub use pgp::{Signer, canonicalize_line_endings, encrypt_entity};
pub use template::{RenderInput, Templates};
