//! Senders for the authentication tests: an RSA key made by openssl (one key serves every
//! test domain: each publishes it under its own `sel._domainkey`), DKIM signing and ARC
//! sealing with mail-auth, and the zones (SPF, DKIM, DMARC) a test's DNS server answers.

#![allow(dead_code)]

use mail_auth::arc::ArcSealer;
use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, AuthenticationResults, MessageAuthenticator};
use postwarden_testkit::dns::Zones;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};
use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::OnceLock;

pub const SELECTOR: &str = "sel";

/// The private key (PKCS#1 DER) and the public key as DKIM's `p=` (base64 SPKI).
pub fn key() -> &'static (Vec<u8>, String) {
    static KEY: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("key.pem");
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        run(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            private.to_str().unwrap(),
        ]);
        let public = run(&[
            "pkey",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
        ]);
        let der = run(&[
            "rsa",
            "-in",
            private.to_str().unwrap(),
            "-traditional",
            "-outform",
            "DER",
        ]);
        (der, base64(&public))
    })
}

fn base64(bytes: &[u8]) -> String {
    use std::fmt::Write;
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                let _ = write!(out, "=");
            }
        }
    }
    out
}

fn rsa() -> RsaKey<Sha256> {
    let der = PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(key().0.clone()));
    RsaKey::<Sha256>::from_key_der(der).expect("the test key")
}

/// `zones` with `domain` publishing SPF for `ips`, the DKIM key and DMARC `policy`
/// (`None`: no DMARC record).
pub fn publish(zones: Zones, domain: &str, ips: &[IpAddr], dmarc: Option<&str>) -> Zones {
    let mechanisms: Vec<String> = ips
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(v4) => format!("ip4:{v4}"),
            IpAddr::V6(v6) => format!("ip6:{v6}"),
        })
        .collect();
    let mut zones = zones
        .txt(domain, &format!("v=spf1 {} -all", mechanisms.join(" ")))
        .txt(
            &format!("{SELECTOR}._domainkey.{domain}"),
            &format!("v=DKIM1; k=rsa; p={}", key().1),
        );
    if let Some(policy) = dmarc {
        zones = zones.txt(
            &format!("_dmarc.{domain}"),
            &format!("v=DMARC1; p={policy}"),
        );
    }
    zones
}

/// `message` with a DKIM-Signature of `domain` on top.
pub fn dkim_sign(message: &[u8], domain: &str) -> Vec<u8> {
    let signature = DkimSigner::from_key(rsa())
        .domain(domain)
        .selector(SELECTOR)
        .headers(["From", "To", "Subject", "Date", "Message-ID", "Reply-To"])
        .sign(message)
        .expect("DKIM signing");
    let mut out = signature.to_header().into_bytes();
    out.extend_from_slice(message);
    out
}

/// A resolver asking the test's DNS server (what a forwarder checks before sealing).
pub fn authenticator(dns: SocketAddr) -> MessageAuthenticator {
    let mut udp = ConnectionConfig::udp();
    udp.port = dns.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = dns.port();
    let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
        dns.ip(),
        true,
        vec![udp, tcp],
    )]);
    MessageAuthenticator::new(config, ResolverOpts::default()).expect("a resolver")
}

/// What a forwarder (a mailing list at `via`) does: checks the message, changes it (a
/// subject tag, a footer: the original DKIM signature breaks), then ARC-seals it.
pub async fn forward_and_seal(message: &[u8], via: &str, dns: SocketAddr) -> Vec<u8> {
    let text = String::from_utf8_lossy(message);
    let changed = text
        .replacen("Subject: ", "Subject: [list] ", 1)
        .trim_end()
        .to_string()
        + &format!("\r\n-- \r\nsent through {via}\r\n");
    let changed = changed.into_bytes();
    let resolver = authenticator(dns);
    let parsed = AuthenticatedMessage::parse(&changed).expect("a message");
    let dkim = resolver.verify_dkim(&parsed).await;
    let arc = resolver.verify_arc(&parsed).await;
    let results = AuthenticationResults::new(via).with_dkim_results(&dkim, "");
    let set = ArcSealer::from_key(rsa())
        .domain(via)
        .selector(SELECTOR)
        .headers(["From", "To", "Subject", "DKIM-Signature"])
        .seal(&parsed, &results, &arc)
        .expect("ARC sealing");
    let mut out = set.to_header().into_bytes();
    out.extend_from_slice(&changed);
    out
}
