//! Test support shared by postwarden's integration tests (a dev-dependency only).
//!
//! [`clicksend`] is a ClickSend REST v3 test double: the SaaS cannot run here, so tests
//! talk to this server, which follows the provider's published API. [`daemons`] starts real
//! local daemons (Postfix's smtp-sink); [`webhook`] is an HTTP receiver that records what
//! it is sent; [`database`] makes a fresh SQLite, PostgreSQL or MariaDB database.

pub mod clicksend;
pub mod daemons;
pub mod database;
pub mod gpg;
mod server;
pub mod webhook;
