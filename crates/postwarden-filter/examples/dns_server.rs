//! The testkit's DNS server as a process, for scripts/bench-filter's `AUTH=1` pass: no
//! records (every question is NXDOMAIN, which the `auth` processor's resolver caches), so
//! the benchmark measures the checks, not a network. Prints its address, serves until
//! killed.
//!
//! `cargo run --release -p postwarden-filter --example dns_server`

use postwarden_testkit::dns::{DnsServer, Zones};

#[tokio::main]
async fn main() {
    let server = DnsServer::start(Zones::new()).await;
    println!("{}", server.addr());
    std::future::pending::<()>().await;
}
