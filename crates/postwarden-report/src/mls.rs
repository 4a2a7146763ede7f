//! The export a MailLogSentinel user's scripts read unchanged (`logs export --format mls`).
//!
//! MailLogSentinel writes one row per SASL line that names a user and an IPv4 client —
//! failures and successes alike — as Python's `csv` module does by default: `;` between
//! fields, a field quoted only when it holds `;`, `"` or a line break (a `"` doubled), CRLF
//! line ends, a header first. Its values: `dd/mm/YYYY HH:MM` on the log's wall clock,
//! `null` for a client without reverse DNS, the status `OK`, `ERRNO 1` (no PTR record),
//! `ERRNO 2` (the DNS failed), `Timeout` or `Failed (Unknown)`, `N/A` for an unknown
//! country, ASN (a bare number) or AS name. Our rows map onto those, one for one; IPv6
//! clients and lines without a user are left out, as MailLogSentinel never has them.

use chrono::{DateTime, NaiveDateTime, Utc};
use postwarden_store::LogRecordRow;
use std::io::{self, Write};

/// MailLogSentinel's columns (also the header of `logs export --format csv`).
pub const HEADER: [&str; 9] = [
    "server",
    "date",
    "ip",
    "user",
    "hostname",
    "reverse_dns_status",
    "country_code",
    "asn",
    "aso",
];

/// MailLogSentinel's row for `record`, if it would have written one. `wall` gives the log's
/// wall-clock time of an instant (`[logs] timezone`).
pub fn row(
    record: &LogRecordRow,
    wall: &impl Fn(DateTime<Utc>) -> NaiveDateTime,
) -> Option<[String; 9]> {
    if !matches!(record.kind.as_str(), "auth_failed" | "auth_success") {
        return None;
    }
    let ip = match record.ip? {
        std::net::IpAddr::V4(ip) => ip,
        std::net::IpAddr::V6(_) => return None,
    };
    let user = record.user.as_deref().filter(|u| !u.is_empty())?;
    let or_na = |v: Option<&str>| v.filter(|v| !v.is_empty()).unwrap_or("N/A").to_owned();
    let (hostname, status) = match (record.rdns.as_deref(), record.rdns_status.as_deref()) {
        (Some(name), _) if !name.is_empty() => (name.to_owned(), "OK"),
        (_, Some("no_ptr" | "not_public")) => ("null".to_owned(), "ERRNO 1"),
        (_, Some("failed")) => ("null".to_owned(), "ERRNO 2"),
        (_, Some("timeout")) => ("null".to_owned(), "Timeout"),
        _ => ("null".to_owned(), "Failed (Unknown)"),
    };
    Some([
        record.host.clone(),
        wall(record.time).format("%d/%m/%Y %H:%M").to_string(),
        ip.to_string(),
        user.replace(['\r', '\n'], " "),
        hostname,
        status.to_owned(),
        or_na(record.country.as_deref()),
        record
            .asn
            .map_or_else(|| "N/A".to_owned(), |a| a.to_string()),
        or_na(record.as_org.as_deref()),
    ])
}

/// Writes the header and MailLogSentinel's rows of `records`.
pub fn write(
    out: &mut impl Write,
    records: &[LogRecordRow],
    wall: impl Fn(DateTime<Utc>) -> NaiveDateTime,
) -> io::Result<()> {
    line(out, HEADER.iter().copied())?;
    for record in records {
        if let Some(fields) = row(record, &wall) {
            line(out, fields.iter().map(String::as_str))?;
        }
    }
    Ok(())
}

fn line<'a>(out: &mut impl Write, fields: impl Iterator<Item = &'a str>) -> io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b";")?;
        }
        if field.contains([';', '"', '\r', '\n']) {
            write!(out, "\"{}\"", field.replace('"', "\"\""))?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(kind: &str, ip: &str, user: Option<&str>) -> LogRecordRow {
        LogRecordRow {
            time: Utc.with_ymd_and_hms(2026, 9, 28, 0, 33, 4).unwrap(),
            host: "srv".into(),
            service: "postfix/smtps/smtpd".into(),
            kind: kind.into(),
            abusive: kind == "auth_failed",
            ip: Some(ip.parse().unwrap()),
            client_name: Some("unknown".into()),
            user: user.map(str::to_owned),
            reason: None,
            country: None,
            asn: None,
            as_org: None,
            rdns: None,
            rdns_status: Some("no_ptr".into()),
        }
    }

    /// The bytes MailLogSentinel 1.0.4 writes for the same lines (its `extract_entries`,
    /// run on them with DNS unresolvable and no GeoIP database).
    #[test]
    fn the_bytes_are_maillogsentinels() {
        let records = vec![
            record("auth_failed", "119.207.78.191", Some("admin@domain.tld")),
            LogRecordRow {
                rdns: Some("localhost".into()),
                rdns_status: Some("not_public".into()),
                ..record("auth_failed", "127.0.0.1", Some("us;er\"x"))
            },
            LogRecordRow {
                host: "hostB".into(),
                time: Utc.with_ymd_and_hms(2026, 2, 2, 2, 0, 0).unwrap(),
                ..record("auth_success", "8.8.8.8", Some("user_en1@example.com"))
            },
            record("auth_failed", "192.0.2.9", None),
            record("auth_failed", "2001:db8::1", Some("v6")),
            record("reject", "192.0.2.10", Some("not-sasl")),
        ];
        let mut out = Vec::new();
        write(&mut out, &records, |t| t.naive_utc()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "server;date;ip;user;hostname;reverse_dns_status;country_code;asn;aso\r\n\
             srv;28/09/2026 00:33;119.207.78.191;admin@domain.tld;null;ERRNO 1;N/A;N/A;N/A\r\n\
             srv;28/09/2026 00:33;127.0.0.1;\"us;er\"\"x\";localhost;OK;N/A;N/A;N/A\r\n\
             hostB;02/02/2026 02:00;8.8.8.8;user_en1@example.com;null;ERRNO 1;N/A;N/A;N/A\r\n"
        );
    }

    #[test]
    fn enrichment_and_dns_outcomes_map_to_its_values() {
        let wall = |t: DateTime<Utc>| t.naive_utc();
        let enriched = LogRecordRow {
            country: Some("DE".into()),
            asn: Some(3320),
            as_org: Some("Deutsche Telekom AG".into()),
            rdns_status: Some("timeout".into()),
            ..record("auth_failed", "192.0.2.1", Some("bob"))
        };
        let fields = row(&enriched, &wall).unwrap();
        assert_eq!(
            fields[4..],
            ["null", "Timeout", "DE", "3320", "Deutsche Telekom AG"].map(String::from)
        );
        for (status, shown) in [
            (Some("failed"), "ERRNO 2"),
            (Some("disabled"), "Failed (Unknown)"),
            (None, "Failed (Unknown)"),
        ] {
            let r = LogRecordRow {
                rdns_status: status.map(str::to_owned),
                ..record("auth_failed", "192.0.2.1", Some("bob"))
            };
            assert_eq!(row(&r, &wall).unwrap()[5], shown);
        }
    }
}
