//! Parsing sapics ip-location-db CSV files into a [`RangeIndex`].
//!
//! Rows are `start,end,country_code` (country files) or `start,end,asn,organisation` (ASN
//! files), with `start`/`end` as dotted IPv4, IPv6, or integers (the `-num` files; IPv6
//! ones use 128-bit decimals). Organisation names may be quoted and contain commas or
//! doubled quotes. For integers, a file name containing `ipv6` (or `ipv4`) decides the
//! family; otherwise a value above `u32::MAX` means IPv6. A header line, empty lines and
//! `#` comments are skipped. An error names the file and line. The reader is a small
//! line splitter rather than a general CSV parser: the files have one row per line, and
//! this keeps line numbers exact and parsing allocation-free for unquoted fields.

use super::GeoError;
use super::index::{IndexBuilder, NO_ASN, NO_COUNTRY, NO_STRING, RangeIndex, Record};
use std::io::{BufRead, Read};
use std::net::IpAddr;
use std::path::Path;

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `start,end,country_code`
    Country,
    /// `start,end,asn,organisation`
    Asn,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Country => "country",
            Kind::Asn => "asn",
        }
    }
}

/// The address family a file's integers are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
    Guess,
}

fn family_hint(path: &Path) -> Family {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("ipv6") {
        Family::V6
    } else if name.contains("ipv4") {
        Family::V4
    } else {
        Family::Guess
    }
}

/// Parses a CSV file. `kind: None` decides from the first row's number of columns.
/// Returns the index and the number of overlapping ranges dropped.
pub(crate) fn parse_file(path: &Path, kind: Option<Kind>) -> Result<(RangeIndex, usize), GeoError> {
    let file = std::fs::File::open(path).map_err(|e| GeoError::io(path, e))?;
    parse(file, path, family_hint(path), kind)
}

/// An address bound in either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    V4(u32),
    V6(u128),
}

fn parse_bound(field: &str, family: Family) -> Result<Bound, String> {
    if field.contains(['.', ':']) {
        return match field.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => Ok(Bound::V4(v4.into())),
            Ok(IpAddr::V6(v6)) => Ok(Bound::V6(v6.into())),
            Err(_) => Err(format!("`{field}` is not an IP address")),
        };
    }
    let n: u128 = field
        .parse()
        .map_err(|_| format!("`{field}` is neither an IP address nor an integer"))?;
    match family {
        Family::V6 => Ok(Bound::V6(n)),
        Family::V4 => u32::try_from(n)
            .map(Bound::V4)
            .map_err(|_| format!("`{field}` is too large for an IPv4 address")),
        Family::Guess => Ok(u32::try_from(n).map_or(Bound::V6(n), Bound::V4)),
    }
}

fn looks_like_header(field: &str) -> bool {
    !field.is_empty() && !field.contains(['.', ':']) && field.parse::<u128>().is_err()
}

/// Splits one line into fields: commas separate, a field may be `"quoted"` with `""` for
/// a quote inside, and spaces around fields are trimmed.
fn split_fields<'a>(line: &'a str, out: &mut Vec<std::borrow::Cow<'a, str>>) -> Result<(), String> {
    use std::borrow::Cow;
    out.clear();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start();
        if let Some(quoted) = trimmed.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".into()),
                    Some((i, '"')) if quoted[i + 1..].starts_with('"') => {
                        value.push('"');
                        chars.next();
                    }
                    Some((i, '"')) => break &quoted[i + 1..],
                    Some((_, c)) => value.push(c),
                }
            };
            out.push(Cow::Owned(value));
            let after = after.trim_start();
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(()),
                None => return Err("text after a closing quote".into()),
            }
        } else {
            match trimmed.split_once(',') {
                Some((field, next)) => {
                    out.push(Cow::Borrowed(field.trim_end()));
                    rest = next;
                }
                None => {
                    out.push(Cow::Borrowed(trimmed.trim_end()));
                    return Ok(());
                }
            }
        }
    }
}

fn parse<R: Read>(
    reader: R,
    path: &Path,
    family: Family,
    mut kind: Option<Kind>,
) -> Result<(RangeIndex, usize), GeoError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut builder = IndexBuilder::default();
    let mut text = String::new();
    let mut line = 0u64;
    loop {
        text.clear();
        let n = reader.read_line(&mut text).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                GeoError::csv(path, line + 1, "the line is not UTF-8 text".into())
            }
            _ => GeoError::io(path, e),
        })?;
        if n == 0 {
            break;
        }
        line += 1;
        let row = text.trim_end_matches(['\n', '\r']);
        if row.trim().is_empty() || row.starts_with('#') {
            continue;
        }
        let err = |message: String| GeoError::csv(path, line, message);
        let mut fields = Vec::with_capacity(4);
        split_fields(row, &mut fields).map_err(&err)?;
        if line == 1 && looks_like_header(&fields[0]) {
            continue;
        }
        let kind = *kind.get_or_insert(match fields.len() {
            3 => Kind::Country,
            4 => Kind::Asn,
            n => {
                return Err(err(format!(
                    "expected 3 columns (country) or 4 (ASN), found {n}"
                )));
            }
        });
        let want = if kind == Kind::Country { 3 } else { 4 };
        if fields.len() != want {
            return Err(err(format!(
                "expected {want} columns for a {} file, found {}",
                kind.as_str(),
                fields.len()
            )));
        }
        let start = parse_bound(&fields[0], family).map_err(&err)?;
        let end = parse_bound(&fields[1], family).map_err(&err)?;
        let rec = match kind {
            Kind::Country => Record {
                asn: NO_ASN,
                org: NO_STRING,
                country: parse_country(&fields[2]).map_err(&err)?,
            },
            Kind::Asn => {
                let asn = parse_asn(&fields[2]).map_err(&err)?;
                let org = match &*fields[3] {
                    "" => NO_STRING,
                    name => builder.intern(name),
                };
                Record {
                    asn,
                    org,
                    country: NO_COUNTRY,
                }
            }
        };
        match (start, end) {
            (Bound::V4(s), Bound::V4(e)) if s <= e => builder.push_v4(s, e, rec),
            (Bound::V6(s), Bound::V6(e)) if s <= e => builder.push_v6(s, e, rec),
            (Bound::V4(_), Bound::V4(_)) | (Bound::V6(_), Bound::V6(_)) => {
                return Err(err(format!(
                    "range end `{}` is before its start `{}`",
                    fields[1], fields[0]
                )));
            }
            _ => {
                return Err(err(
                    "range start and end are of different address families".into()
                ));
            }
        }
    }
    Ok(builder.finish())
}

fn parse_country(field: &str) -> Result<[u8; 2], String> {
    match field.as_bytes() {
        [] | [b'-'] => Ok(NO_COUNTRY),
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Ok([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => Err(format!("`{field}` is not a two-letter country code")),
    }
}

/// An AS number, `AS` prefix allowed; empty and AS0 ("not routed") mean none.
fn parse_asn(field: &str) -> Result<u32, String> {
    let digits = field
        .strip_prefix("AS")
        .or_else(|| field.strip_prefix("as"))
        .unwrap_or(field);
    if digits.is_empty() {
        return Ok(NO_ASN);
    }
    match digits.parse::<u32>() {
        Ok(0) => Ok(NO_ASN),
        Ok(n) if n != NO_ASN => Ok(n),
        _ => Err(format!("`{field}` is not an AS number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str, name: &str, kind: Option<Kind>) -> Result<RangeIndex, GeoError> {
        let path = Path::new(name);
        parse(text.as_bytes(), path, family_hint(path), kind).map(|(idx, _)| idx)
    }

    fn v4(s: &str) -> u32 {
        s.parse::<std::net::Ipv4Addr>().unwrap().into()
    }

    #[test]
    fn dotted_asn_rows_with_quoted_orgs() {
        let text = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\
                    2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n\
                    8.8.8.0,8.8.8.255,AS15169,Google LLC\n";
        let idx = parse_str(text, "asn-ipv4.csv", Some(Kind::Asn)).unwrap();
        let r = idx.lookup_v4(v4("1.0.0.7")).unwrap();
        assert_eq!(
            (r.asn, idx.string(r.org)),
            (13335, Some("Cloudflare, Inc."))
        );
        let r = idx.lookup_v4(v4("2.26.201.1")).unwrap();
        assert_eq!(idx.string(r.org), Some("LLC \"SPUTNIK\""));
        assert_eq!(idx.lookup_v4(v4("8.8.8.8")).unwrap().asn, 15169);
    }

    #[test]
    fn num_v6_uses_128_bit_integers() {
        let text = "42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,Hurricane Electric LLC\n";
        let idx = parse_str(text, "asn-ipv6-num.csv", None).unwrap();
        let ip: u128 = "2001::1".parse::<std::net::Ipv6Addr>().unwrap().into();
        assert_eq!(idx.lookup_v6(ip).unwrap().asn, 6939);
    }

    #[test]
    fn small_integers_in_a_v6_file_stay_v6() {
        let idx = parse_str("0,255,ZZ\n", "x-ipv6-num.csv", None).unwrap();
        assert_eq!(idx.v6_start.len(), 1);
        assert!(idx.v4_start.is_empty());
        let idx = parse_str("0,255,zz\n", "plain.csv", None).unwrap();
        assert_eq!(idx.v4_start.len(), 1);
        assert_eq!(idx.records[0].country, *b"ZZ");
    }

    #[test]
    fn splits_quoted_fields() {
        let mut f = Vec::new();
        split_fields(r#"1, 2 ,"a, ""b""" , c"#, &mut f).unwrap();
        assert_eq!(f, ["1", "2", "a, \"b\"", "c"]);
        split_fields("a,,", &mut f).unwrap();
        assert_eq!(f, ["a", "", ""]);
        assert!(split_fields(r#""x" y"#, &mut f).is_err());
    }

    #[test]
    fn header_comments_and_blank_lines_are_skipped() {
        let text = "ip_range_start,ip_range_end,country_code\n# comment\n\n1.0.0.0,1.0.0.255,AU\n";
        let idx = parse_str(text, "c.csv", None).unwrap();
        assert_eq!(idx.lookup_v4(v4("1.0.0.1")).unwrap().country, *b"AU");
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,AU\nnot-an-ip,1.0.2.255,AU\n";
        let err = parse_str(text, "geo/asn-country-ipv4.csv", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("geo/asn-country-ipv4.csv:3"), "{err}");
        assert!(err.contains("not-an-ip"), "{err}");
        let err = parse_str("1.0.0.0,1.0.0.255,AUS\n", "c.csv", Some(Kind::Country))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.csv:1") && err.contains("AUS"), "{err}");
        let err = parse_str("1.0.0.0,1.0.0.255,AU\n", "a.csv", Some(Kind::Asn))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected 4 columns"), "{err}");
        let err = parse_str("1.0.0.9,1.0.0.1,AU\n", "c.csv", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("before its start"), "{err}");
        let err = parse_str("1.0.0.0,::1,AU\n", "c.csv", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("different address families"), "{err}");
        let err = parse_str("1.0.0.0,1.0.0.255,X,\"unclosed\n", "a.csv", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.csv:1") && err.contains("not closed"),
            "{err}"
        );
        let err = parse_str(
            "1.0.0.0,1.0.0.1,AU\n1.0.0.5,1.0.0.9,AU,extra\n",
            "c.csv",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.csv:2"), "{err}");
        let err = parse_str("4294967296,4294967297,AU\n", "c-ipv4-num.csv", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too large"), "{err}");
    }
}
