//! Test support shared by postwarden's integration tests (a dev-dependency only).
//!
//! [`clicksend`] is a ClickSend REST v3 test double: the SaaS cannot run here, so tests
//! talk to this server, which follows the provider's published API.

pub mod clicksend;
