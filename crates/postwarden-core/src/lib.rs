//! postwarden's shared vocabulary, with no I/O of its own beyond resolving secrets.
//!
//! Every job (logs, filter, health, notify) speaks in the types defined here: the
//! [`Event`] that goes into the store, the [`Config`] read from `postwarden.toml`, and the
//! [`Secret`] that keeps passwords out of logs and `Debug` output.

pub mod config;
pub mod dns;
pub mod event;
pub mod http;
pub mod metrics;
pub mod routing;
pub mod secret;
pub mod users;
pub mod verdict;

pub use config::Config;
pub use event::{Event, Severity};
pub use routing::{OnTimeout, RequestState};
pub use secret::Secret;
pub use users::{Role, UserSettings};
pub use verdict::{Action, Finding, Tag};
