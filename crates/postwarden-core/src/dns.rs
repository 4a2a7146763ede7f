//! The one way postwarden names DNS servers to hickory: each server asked over UDP, then
//! TCP for a truncated answer, in the order given. Shared by the filter's `auth` processor
//! (`[dns] nameservers`) and the log watcher's reverse DNS (`[rdns] servers`), so both talk
//! to a configured server alike.

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use std::net::SocketAddr;

/// A resolver configuration that asks `servers`, UDP then TCP, in order.
pub fn resolver_config(servers: &[SocketAddr]) -> ResolverConfig {
    ResolverConfig::from_name_servers(
        servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect(),
    )
}
