//! Which addresses are public: a pure classification of IP addresses into scopes.
//!
//! Non-public addresses (private, loopback, documentation, …) are labelled with their scope
//! and never sent to DNS or treated as a remote network. IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`, as Postfix logs them on dual-stack sockets) are classified by the
//! IPv4 address inside.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The scope of an address: public, or the reason it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpScope {
    /// A globally routable address.
    Public,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) or IPv6 unique local (fc00::/7).
    Private,
    /// 127/8 or ::1.
    Loopback,
    /// 169.254/16 or fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT shared space, 100.64/10 (RFC 6598).
    Cgnat,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 224/4 or ff00::/8.
    Multicast,
    /// 0.0.0.0 or ::.
    Unspecified,
    /// Benchmarking ranges 198.18/15 and 2001:2::/48.
    Benchmark,
    /// Anything else not routable: 0/8, 192.0.0/24, 240/4 (with broadcast), ::/96
    /// IPv4-compatible, 100::/64 discard, fec0::/10 site-local.
    Reserved,
}

impl IpScope {
    /// A stable snake_case name for storage and display.
    pub fn as_str(self) -> &'static str {
        match self {
            IpScope::Public => "public",
            IpScope::Private => "private",
            IpScope::Loopback => "loopback",
            IpScope::LinkLocal => "link_local",
            IpScope::Cgnat => "cgnat",
            IpScope::Documentation => "documentation",
            IpScope::Multicast => "multicast",
            IpScope::Unspecified => "unspecified",
            IpScope::Benchmark => "benchmark",
            IpScope::Reserved => "reserved",
        }
    }

    /// True only for [`IpScope::Public`].
    pub fn is_public(self) -> bool {
        self == IpScope::Public
    }
}

impl std::fmt::Display for IpScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies an address; IPv4-mapped IPv6 addresses are classified by their IPv4 part.
pub fn classify(ip: IpAddr) -> IpScope {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// The address with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned into plain IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn in_v4(ip: u32, net: [u8; 4], len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == u32::from_be_bytes(net) & mask
}

fn classify_v4(ip: Ipv4Addr) -> IpScope {
    let n = u32::from(ip);
    let table: &[([u8; 4], u32, IpScope)] = &[
        ([0, 0, 0, 0], 32, IpScope::Unspecified),
        ([0, 0, 0, 0], 8, IpScope::Reserved),
        ([10, 0, 0, 0], 8, IpScope::Private),
        ([100, 64, 0, 0], 10, IpScope::Cgnat),
        ([127, 0, 0, 0], 8, IpScope::Loopback),
        ([169, 254, 0, 0], 16, IpScope::LinkLocal),
        ([172, 16, 0, 0], 12, IpScope::Private),
        ([192, 0, 0, 0], 24, IpScope::Reserved),
        ([192, 0, 2, 0], 24, IpScope::Documentation),
        ([192, 168, 0, 0], 16, IpScope::Private),
        ([198, 18, 0, 0], 15, IpScope::Benchmark),
        ([198, 51, 100, 0], 24, IpScope::Documentation),
        ([203, 0, 113, 0], 24, IpScope::Documentation),
        ([224, 0, 0, 0], 4, IpScope::Multicast),
        ([240, 0, 0, 0], 4, IpScope::Reserved),
    ];
    table
        .iter()
        .find(|(net, len, _)| in_v4(n, *net, *len))
        .map_or(IpScope::Public, |(_, _, scope)| *scope)
}

fn in_v6(ip: u128, net: u128, len: u32) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    ip & mask == net & mask
}

fn classify_v6(ip: Ipv6Addr) -> IpScope {
    let n = u128::from(ip);
    let table: &[(u128, u32, IpScope)] = &[
        (0, 128, IpScope::Unspecified),
        (1, 128, IpScope::Loopback),
        (0, 96, IpScope::Reserved), // IPv4-compatible (deprecated)
        (0x0100 << 112, 64, IpScope::Reserved),
        (0x2001_0002 << 96, 48, IpScope::Benchmark),
        (0x2001_0db8 << 96, 32, IpScope::Documentation),
        (0x3fff << 112, 20, IpScope::Documentation),
        (0xfc00 << 112, 7, IpScope::Private),
        (0xfe80 << 112, 10, IpScope::LinkLocal),
        (0xfec0 << 112, 10, IpScope::Reserved),
        (0xff00 << 112, 8, IpScope::Multicast),
    ];
    table
        .iter()
        .find(|(net, len, _)| in_v6(n, *net, *len))
        .map_or(IpScope::Public, |(_, _, scope)| *scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> IpScope {
        classify(s.parse().unwrap())
    }

    #[test]
    fn labels_every_range() {
        let cases = [
            ("8.8.8.8", IpScope::Public),
            ("1.1.1.1", IpScope::Public),
            ("10.1.2.3", IpScope::Private),
            ("172.16.0.1", IpScope::Private),
            ("172.31.255.255", IpScope::Private),
            ("172.32.0.1", IpScope::Public),
            ("192.168.1.1", IpScope::Private),
            ("127.0.0.1", IpScope::Loopback),
            ("169.254.1.1", IpScope::LinkLocal),
            ("100.64.0.1", IpScope::Cgnat),
            ("100.127.255.255", IpScope::Cgnat),
            ("100.128.0.1", IpScope::Public),
            ("192.0.2.1", IpScope::Documentation),
            ("198.51.100.7", IpScope::Documentation),
            ("203.0.113.9", IpScope::Documentation),
            ("224.0.0.1", IpScope::Multicast),
            ("0.0.0.0", IpScope::Unspecified),
            ("0.1.2.3", IpScope::Reserved),
            ("198.18.0.1", IpScope::Benchmark),
            ("198.19.255.255", IpScope::Benchmark),
            ("198.20.0.1", IpScope::Public),
            ("240.0.0.1", IpScope::Reserved),
            ("255.255.255.255", IpScope::Reserved),
            ("2a00:1450:4001::1", IpScope::Public),
            ("2001:db8::1", IpScope::Documentation),
            ("3fff::1", IpScope::Documentation),
            ("fd00::1", IpScope::Private),
            ("fc00::1", IpScope::Private),
            ("fe80::1", IpScope::LinkLocal),
            ("ff02::1", IpScope::Multicast),
            ("::", IpScope::Unspecified),
            ("::1", IpScope::Loopback),
            ("::ffff:10.0.0.1", IpScope::Private),
            ("::ffff:8.8.8.8", IpScope::Public),
            ("::ffff:127.0.0.1", IpScope::Loopback),
            ("2001:2::1", IpScope::Benchmark),
        ];
        for (ip, want) in cases {
            assert_eq!(scope(ip), want, "{ip}");
        }
    }

    #[test]
    fn names_are_snake_case() {
        assert_eq!(IpScope::LinkLocal.as_str(), "link_local");
        assert_eq!(IpScope::Public.to_string(), "public");
        assert!(IpScope::Public.is_public() && !IpScope::Cgnat.is_public());
    }

    #[test]
    fn canonical_unmaps_v4() {
        assert_eq!(
            canonical("::ffff:1.2.3.4".parse().unwrap()),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            canonical("2001:4860::1".parse().unwrap()),
            "2001:4860::1".parse::<IpAddr>().unwrap()
        );
    }
}
