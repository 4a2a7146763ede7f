//! Test support shared by postwarden's integration tests (a dev-dependency only).
//!
//! [`clicksend`] is a ClickSend REST v3 test double: the SaaS cannot run here, so tests
//! talk to this server, which follows the provider's published API. [`daemons`] starts real
//! local daemons (Postfix's smtp-sink), [`postfix`] a private Postfix instance,
//! [`scanners`] spamd and clamd and [`rspamd`] a private rspamd; [`webhook`] is an HTTP
//! receiver that records what it is sent; [`database`] makes a fresh SQLite, PostgreSQL or
//! MariaDB database, and [`proxy`] stands between the program and a database server so a
//! test can take it away. [`dns`] is a DNS server on loopback with the test's own zones
//! (SPF, DKIM, DMARC), so sender authentication is tested without the network.

pub mod clicksend;
pub mod daemons;
pub mod database;
pub mod dns;
pub mod gpg;
pub mod journal;
pub mod postfix;
pub mod proxy;
pub mod rabbit;
pub mod rspamd;
pub mod scanners;
mod server;
pub mod slapd;
pub mod webhook;

/// Runs each listed async test function (taking a `postwarden_store::Backend`) once per
/// backend: in modules `sqlite`, `postgres` and `mysql`.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")] async fn $test() { super::$test(postwarden_store::Backend::Sqlite).await })*
        }
        $crate::on_server_backends!($($test),*);
    };
}

/// The same for the database servers only: modules `postgres` and `mysql`.
#[macro_export]
macro_rules! on_server_backends {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")] async fn $test() { super::$test(postwarden_store::Backend::Postgres).await })*
        }
        mod mysql {
            $(#[tokio::test(flavor = "multi_thread")] async fn $test() { super::$test(postwarden_store::Backend::MySql).await })*
        }
    };
}
