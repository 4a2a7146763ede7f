//! Consistent anonymisation of Postfix logs, for sharing a log in a bug report.
//!
//! Every IP address, e-mail address, host name (the syslog host, `name[ip]` client and relay
//! names, HELO names) and SASL username is replaced by a stand-in, the same stand-in each
//! time it recurs, so the anonymised log still tells the same story: who tried how often,
//! which sessions belong together. IPv4 addresses map into 10.0.0.0/8 and IPv6 into
//! 2001:db8::/32 in order of first appearance; names become `hostN.example`, `userN`,
//! `domainN.example`. The line structure is untouched, so the output still parses.

use regex::{Captures, Regex};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

static SENSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<client>(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\[(?P<ip>[0-9A-Fa-f:.]+)\])",
        r"|(?P<bracketed>\[(?P<bip>[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*)\])",
        r"|(?P<sasl>sasl_username=(?P<login>[^,\s@]+)(?:,|\s|$))",
        r"|(?P<helo>helo=<(?P<heloname>[^>]*)>)",
        r"|(?P<email>(?P<local>[A-Za-z0-9._%+-]+)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))",
        r"|(?P<v4>\b\d{1,3}(?:\.\d{1,3}){3}\b)",
    ))
    .expect("anonymiser pattern is valid")
});

/// Keeps the stand-ins chosen so far, so each value maps the same way on every line.
#[derive(Debug, Default)]
pub struct Anonymizer {
    ips: HashMap<IpAddr, IpAddr>,
    hosts: HashMap<String, String>,
    users: HashMap<String, String>,
    domains: HashMap<String, String>,
    v4_next: u32,
    v6_next: u64,
}

impl Anonymizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The anonymised form of one line (without its newline).
    pub fn line(&mut self, line: &str) -> String {
        let (head, body) = split_after_host(line);
        let mut out = String::with_capacity(line.len());
        if let Some((prefix, host)) = head {
            out.push_str(prefix);
            out.push_str(&self.host(host));
        }
        out.push_str(&SENSITIVE.replace_all(body, |c: &Captures| self.replace(c)));
        out
    }

    fn replace(&mut self, c: &Captures) -> String {
        if c.name("client").is_some() {
            if c["ip"].parse::<IpAddr>().is_err() {
                return c[0].to_owned(); // `smtpd[123]`: a process id, not a client
            }
            let name = &c["name"];
            let name = if name == "unknown" {
                name.to_owned()
            } else {
                self.host(name)
            };
            return format!("{name}[{}]", self.ip_text(&c["ip"]));
        }
        if c.name("bracketed").is_some() {
            return format!("[{}]", self.ip_text(&c["bip"]));
        }
        if let Some(whole) = c.name("sasl") {
            let tail = &whole.as_str()[whole.as_str().trim_end_matches([',', ' ', '\t']).len()..];
            return format!("sasl_username={}{tail}", self.user(&c["login"]));
        }
        if c.name("helo").is_some() {
            return format!("helo=<{}>", self.host(&c["heloname"]));
        }
        if c.name("email").is_some() {
            return format!("{}@{}", self.user(&c["local"]), self.domain(&c["domain"]));
        }
        self.ip_text(&c[0])
    }

    fn ip_text(&mut self, text: &str) -> String {
        match text.parse::<IpAddr>() {
            Ok(ip) => self.ip(ip).to_string(),
            Err(_) => text.to_owned(),
        }
    }

    fn ip(&mut self, ip: IpAddr) -> IpAddr {
        if let Some(known) = self.ips.get(&ip) {
            return *known;
        }
        let stand_in = match ip {
            IpAddr::V4(_) => {
                self.v4_next += 1;
                IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (self.v4_next & 0x00ff_ffff)))
            }
            IpAddr::V6(_) => {
                self.v6_next += 1;
                IpAddr::V6(Ipv6Addr::from(
                    (0x2001_0db8u128 << 96) | u128::from(self.v6_next),
                ))
            }
        };
        self.ips.insert(ip, stand_in);
        stand_in
    }

    fn host(&mut self, name: &str) -> String {
        stand_in(&mut self.hosts, name, |n| format!("host{n}.example"))
    }

    fn user(&mut self, name: &str) -> String {
        stand_in(&mut self.users, name, |n| format!("user{n}"))
    }

    fn domain(&mut self, name: &str) -> String {
        stand_in(&mut self.domains, &name.to_ascii_lowercase(), |n| {
            format!("domain{n}.example")
        })
    }
}

fn stand_in(
    map: &mut HashMap<String, String>,
    key: &str,
    make: impl FnOnce(usize) -> String,
) -> String {
    if let Some(known) = map.get(key) {
        return known.clone();
    }
    let value = make(map.len() + 1);
    map.insert(key.to_owned(), value.clone());
    value
}

/// Splits a syslog line into (text before the host, the host) and the rest starting at the
/// space after the host. RFC 3339 lines have the host second, traditional ones fourth.
fn split_after_host(line: &str) -> (Option<(&str, &str)>, &str) {
    let host_field = if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        1
    } else {
        3
    };
    let mut start = 0;
    let mut field = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            field += 1;
            start = i;
            continue;
        }
        if field == host_field {
            let end = line[start..].find(' ').map_or(line.len(), |e| start + e);
            return (Some((&line[..start], &line[start..end])), &line[end..]);
        }
        i += 1;
    }
    (None, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_identifying_field_consistently() {
        let mut a = Anonymizer::new();
        let first = a.line("Nov 21 23:56:43 mx1 postfix/smtpd[123]: warning: mail.evil.example[203.0.113.5]:4711: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice");
        let second = a.line("Nov 21 23:56:44 mx1 postfix/smtpd[123]: NOQUEUE: reject: RCPT from mail.evil.example[203.0.113.5]: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; from=<bob@corp.example.com> to=<carol@corp.example.com> proto=ESMTP helo=<evil>");
        for secret in [
            "mx1",
            "mail.evil.example",
            "203.0.113.5",
            "alice",
            "bob",
            "carol",
            "corp.example.com",
            "helo=<evil>",
        ] {
            assert!(
                !first.contains(secret) && !second.contains(secret),
                "{secret} leaked:\n{first}\n{second}"
            );
        }
        assert!(first.starts_with("Nov 21 23:56:43 host1.example postfix/smtpd[123]: warning: host2.example[10.0.0.1]:4711: SASL LOGIN"), "{first}");
        assert!(first.ends_with("sasl_username=user1"), "{first}");
        assert!(second.contains("host2.example[10.0.0.1]: 554 5.7.1 Service unavailable; Client host [10.0.0.1] blocked"), "{second}");
        assert!(
            second.contains("from=<user2@domain1.example> to=<user3@domain1.example>"),
            "{second}"
        );
    }

    #[test]
    fn keeps_unknown_and_maps_ipv6_and_rfc3339_hosts() {
        let mut a = Anonymizer::new();
        let line = a.line("2026-11-21T23:56:43.123+01:00 mail postfix/submission/smtpd[9]: connect from unknown[2001:67c:2e8::1]");
        assert_eq!(
            line,
            "2026-11-21T23:56:43.123+01:00 host1.example postfix/submission/smtpd[9]: connect from unknown[2001:db8::1]"
        );
    }
}
