//! A tiny DNS server for tests (feature `testing`): reverse DNS is tested against a real
//! resolver talking real DNS over UDP on 127.0.0.1, with answers the test chooses.

use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, PTR};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// The answers a [`DnsResponder`] gives: PTR names per address and addresses per name.
/// Anything else is NXDOMAIN.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    ptr: HashMap<String, String>,
    addresses: HashMap<String, Vec<IpAddr>>,
}

impl Zone {
    /// `ip` has the PTR record `name`.
    pub fn ptr(mut self, ip: IpAddr, name: &str) -> Self {
        self.ptr.insert(reverse_name(ip), absolute(name));
        self
    }

    /// `name` has the A or AAAA record `ip`.
    pub fn address(mut self, name: &str, ip: IpAddr) -> Self {
        self.addresses.entry(absolute(name)).or_default().push(ip);
        self
    }

    fn answer(&self, name: &str, kind: RecordType) -> Option<Vec<RData>> {
        if let Some(target) = self.ptr.get(name) {
            let ptr = RData::PTR(PTR(Name::from_ascii(target).ok()?));
            return Some(if kind == RecordType::PTR {
                vec![ptr]
            } else {
                vec![]
            });
        }
        let ips = self.addresses.get(name)?;
        Some(
            ips.iter()
                .filter_map(|ip| match (ip, kind) {
                    (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(*v4))),
                    (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(*v6))),
                    _ => None,
                })
                .collect(),
        )
    }
}

/// A UDP DNS server on 127.0.0.1 answering from a [`Zone`]; it runs until the runtime ends.
pub struct DnsResponder;

impl DnsResponder {
    /// Starts the server on the current tokio runtime; returns its address.
    pub async fn start(zone: Zone) -> std::io::Result<SocketAddr> {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
                if let Some(reply) = respond(&zone, &buf[..n]) {
                    let _ = socket.send_to(&reply, peer).await;
                }
            }
        });
        Ok(addr)
    }
}

fn respond(zone: &Zone, packet: &[u8]) -> Option<Vec<u8>> {
    let query = Message::from_vec(packet).ok()?;
    let question = query.queries.first()?.clone();
    let mut reply = Message::response(query.metadata.id, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_queries(query.queries.clone());
    let name = question.name.to_ascii().to_ascii_lowercase();
    match zone.answer(&name, question.query_type) {
        Some(answers) => {
            for rdata in answers {
                reply.add_answer(Record::from_rdata(question.name.clone(), 60, rdata));
            }
        }
        None => reply.metadata.response_code = ResponseCode::NXDomain,
    }
    reply.to_vec().ok()
}

fn absolute(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name.ends_with('.') {
        name
    } else {
        format!("{name}.")
    }
}

fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
        }
        IpAddr::V6(v6) => {
            let nibbles: Vec<String> = v6
                .octets()
                .iter()
                .rev()
                .flat_map(|byte| [byte & 0xf, byte >> 4])
                .map(|n| format!("{n:x}"))
                .collect();
            format!("{}.ip6.arpa.", nibbles.join("."))
        }
    }
}
