//! The filter job: what happens to a message between Postfix's `content_filter` and its
//! re-injection smtpd.
//!
//! [`Filter`] is the SMTP [`Handler`](postwarden_smtp::server::Handler): it parses the
//! message ([`message`]), runs the configured [`processors`] in order (each only adds
//! findings), asks the [`policy`] for a verdict per recipient, then acts on each group of
//! recipients — relays it with [`headers`] added, keeps it in the [`quarantine`], or
//! refuses it — and answers 250 only when every copy is safe somewhere.

pub mod dns;
pub mod dsn;
pub mod evidence;
pub mod filter;
pub mod headers;
pub mod message;
pub mod milter;
pub mod policy;
pub mod processors;
pub mod quarantine;
pub mod recorder;
pub mod routes;
pub mod users;

pub use filter::{Filter, HeldDecision, Outcome, add_user_findings, next_hop, start_held};
pub use message::Scanned;
