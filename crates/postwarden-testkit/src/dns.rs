//! A DNS server on loopback with the test's own zones: SPF records, DKIM keys, DMARC
//! policies, A/AAAA/MX/PTR. Tests of sender authentication never touch the network, yet
//! the code under test asks a real resolver over real DNS — UDP, and TCP when an answer
//! does not fit (a 2048-bit DKIM key does not fit in 512 octets: the UDP answer is
//! truncated, as a real server's is, and the resolver retries over TCP).
//!
//! Names without records are NXDOMAIN; a name that has records of other types answers
//! NOERROR with no answer (NODATA). A name marked [`Zones::silent`] gets no answer at all,
//! so a test can make a lookup time out. [`DnsServer::queries`] counts questions, so a test
//! can see a cache at work.

use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX, PTR, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The records a [`DnsServer`] answers from.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    records: HashMap<String, Vec<RData>>,
    silent: HashSet<String>,
}

impl Zones {
    pub fn new() -> Self {
        Self::default()
    }

    /// A TXT record (split into 255-octet strings as DNS requires).
    pub fn txt(mut self, name: &str, text: &str) -> Self {
        let chunks = text
            .as_bytes()
            .chunks(255)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        self.add(name, RData::TXT(TXT::new(chunks)));
        self
    }

    /// An A or AAAA record.
    pub fn address(mut self, name: &str, ip: IpAddr) -> Self {
        let data = match ip {
            IpAddr::V4(v4) => RData::A(A(v4)),
            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.add(name, data);
        self
    }

    pub fn mx(mut self, name: &str, preference: u16, exchange: &str) -> Self {
        let exchange = Name::from_ascii(absolute(exchange)).expect("an MX exchange name");
        self.add(name, RData::MX(MX::new(preference, exchange)));
        self
    }

    pub fn ptr(mut self, ip: IpAddr, name: &str) -> Self {
        let target = Name::from_ascii(absolute(name)).expect("a PTR target name");
        self.add(&reverse_name(ip), RData::PTR(PTR(target)));
        self
    }

    /// Questions about `name` get no answer (the resolver times out).
    pub fn silent(mut self, name: &str) -> Self {
        self.silent.insert(absolute(name));
        self
    }

    fn add(&mut self, name: &str, data: RData) {
        self.records.entry(absolute(name)).or_default().push(data);
    }

    /// The answer for one question; `None` for silence.
    fn answer(&self, query: &Message) -> Option<Message> {
        let question = query.queries.first()?;
        let name = question.name.to_ascii().to_ascii_lowercase();
        if self.silent.contains(&name) {
            return None;
        }
        let mut reply = Message::response(query.metadata.id, OpCode::Query);
        reply.metadata.recursion_desired = query.metadata.recursion_desired;
        reply.metadata.recursion_available = true;
        reply.metadata.authoritative = true;
        reply.add_queries(query.queries.clone());
        match self.records.get(&name) {
            Some(records) => {
                for data in records {
                    if data.record_type() == question.query_type
                        || question.query_type == RecordType::ANY
                    {
                        reply.add_answer(Record::from_rdata(
                            question.name.clone(),
                            300,
                            data.clone(),
                        ));
                    }
                }
            }
            None => reply.metadata.response_code = ResponseCode::NXDomain,
        }
        Some(reply)
    }
}

/// A DNS server on 127.0.0.1 (UDP and TCP on one port); stops when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    zones: Arc<RwLock<Zones>>,
    queries: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl DnsServer {
    /// Starts on the current tokio runtime, on a free port.
    pub async fn start(zones: Zones) -> Self {
        let zones = Arc::new(RwLock::new(zones));
        let queries = Arc::new(AtomicUsize::new(0));
        // UDP and TCP need the same port: take a UDP port, then try TCP on it.
        let (udp, tcp) = loop {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
                .await
                .expect("binding a UDP port for the DNS server");
            let port = udp.local_addr().expect("UDP address").port();
            if let Ok(tcp) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().expect("UDP address");
        let udp_task = {
            let (zones, queries) = (zones.clone(), queries.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
                    queries.fetch_add(1, Ordering::SeqCst);
                    let Ok(query) = Message::from_vec(&buf[..n]) else {
                        continue;
                    };
                    let Some(mut reply) = zones.read().unwrap().answer(&query) else {
                        continue;
                    };
                    let limit = usize::from(query.max_payload());
                    let mut bytes = reply.to_vec().unwrap_or_default();
                    if bytes.len() > limit {
                        // Too big for UDP: truncated, the client asks again over TCP.
                        reply.answers.clear();
                        reply.metadata.truncation = true;
                        bytes = reply.to_vec().unwrap_or_default();
                    }
                    let _ = udp.send_to(&bytes, peer).await;
                }
            })
        };
        let tcp_task = {
            let (zones, queries) = (zones.clone(), queries.clone());
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = tcp.accept().await {
                    let (zones, queries) = (zones.clone(), queries.clone());
                    tokio::spawn(async move {
                        loop {
                            let Ok(len) = stream.read_u16().await else {
                                return;
                            };
                            let mut buf = vec![0u8; usize::from(len)];
                            if stream.read_exact(&mut buf).await.is_err() {
                                return;
                            }
                            queries.fetch_add(1, Ordering::SeqCst);
                            let Ok(query) = Message::from_vec(&buf) else {
                                return;
                            };
                            let reply = zones.read().unwrap().answer(&query);
                            let Some(reply) = reply else {
                                continue;
                            };
                            let bytes = reply.to_vec().unwrap_or_default();
                            let Ok(len) = u16::try_from(bytes.len()) else {
                                return;
                            };
                            if stream.write_u16(len).await.is_err()
                                || stream.write_all(&bytes).await.is_err()
                            {
                                return;
                            }
                        }
                    });
                }
            })
        };
        Self {
            addr,
            zones,
            queries,
            tasks: vec![udp_task, tcp_task],
        }
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Questions answered or ignored so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// Replaces the zones (a DNS change the code under test should see after its cache).
    pub fn set(&self, zones: Zones) {
        *self.zones.write().unwrap() = zones;
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
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
