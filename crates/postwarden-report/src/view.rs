//! The authentication, traffic and daily reports laid out once ([`View`]: totals, tables,
//! charts), and their text, CSV and SMS forms. The numbers come from the store's
//! summaries; this module only lays them out. Values that came from log lines are shown
//! with control characters escaped (an attacker chooses a username).

use chrono::{DateTime, Utc};
use postwarden_core::Event;
use postwarden_notify::is_resolved;
use postwarden_notify::sanitize::csv_cell;
use postwarden_store::{AuthSummary, FilterSummary, TrafficSummary};
use serde::Serialize;
use std::fmt::Write;

/// What a report covers, for its heading.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Heading<'a> {
    pub server: &'a str,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// A titled table of rows of cells.
#[derive(Debug, Clone, Serialize)]
pub struct Table<'a> {
    pub title: &'a str,
    pub columns: &'a [&'a str],
    pub rows: Vec<Vec<String>>,
}

fn hour_label(hour: i64) -> String {
    DateTime::from_timestamp(hour * 3600, 0).map_or_else(
        || hour.to_string(),
        |t| t.format("%Y-%m-%d %H:00").to_string(),
    )
}

fn pairs(rows: &[(String, i64)]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|(k, n)| vec![k.clone(), n.to_string()])
        .collect()
}

fn auth_tables(s: &AuthSummary) -> Vec<Table<'static>> {
    vec![
        Table {
            title: "Top IP addresses",
            columns: &["IP", "attempts", "reverse DNS", "country"],
            rows: s
                .top_ips
                .iter()
                .map(|t| {
                    vec![
                        t.ip.to_string(),
                        t.count.to_string(),
                        t.rdns.clone().unwrap_or_default(),
                        t.country.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        Table {
            title: "Top usernames",
            columns: &["username", "attempts"],
            rows: pairs(&s.top_users),
        },
        Table {
            title: "Top countries",
            columns: &["country", "attempts"],
            rows: pairs(&s.top_countries),
        },
        Table {
            title: "Top networks (ASN)",
            columns: &["ASN", "organisation", "attempts"],
            rows: s
                .top_asns
                .iter()
                .map(|t| {
                    vec![
                        format!("AS{}", t.asn),
                        t.org.clone().unwrap_or_default(),
                        t.count.to_string(),
                    ]
                })
                .collect(),
        },
        Table {
            title: "Reverse DNS",
            columns: &["status", "attempts"],
            rows: pairs(&s.rdns_status),
        },
    ]
}

fn auth_totals(s: &AuthSummary) -> Vec<(&'static str, i64)> {
    vec![
        ("authentication failures", s.total_failures),
        ("distinct IP addresses", s.unique_ips),
        ("successful logins", s.successes),
    ]
}

fn traffic_tables(s: &TrafficSummary) -> Vec<Table<'static>> {
    vec![
        Table {
            title: "Rejected, by reason",
            columns: &["reason", "messages"],
            rows: pairs(&s.rejected_by_reason),
        },
        Table {
            title: "Top sender domains",
            columns: &["domain", "messages"],
            rows: pairs(&s.top_sender_domains),
        },
        Table {
            title: "Top recipient domains",
            columns: &["domain", "messages"],
            rows: pairs(&s.top_recipient_domains),
        },
    ]
}

fn traffic_totals(s: &TrafficSummary) -> Vec<(&'static str, i64)> {
    vec![
        ("received", s.received),
        ("delivered", s.delivered),
        ("deferred", s.deferred),
        ("bounced", s.bounced),
        ("expired", s.expired),
        ("rejected", s.rejected),
    ]
}

/// A report laid out independently of its format.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub title: &'static str,
    pub totals: Vec<(&'static str, i64)>,
    pub tables: Vec<Table<'static>>,
    pub charts: Vec<Chart>,
}

/// A titled bar chart: (label, value) rows.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: &'static str,
    pub rows: Vec<(String, i64)>,
}

/// The authentication report; `detections` are the brute-force events of the period, of
/// which the latest `top` are listed.
pub fn auth_view(s: &AuthSummary, detections: &[Event], top: usize) -> View {
    let mut totals = auth_totals(s);
    totals.push(("brute-force detections", detections.len() as i64));
    let mut tables = vec![Table {
        title: "Latest detections",
        columns: &["time (UTC)", "kind", "what"],
        rows: detections
            .iter()
            .rev()
            .take(top)
            .map(|e| {
                vec![
                    e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                    e.kind.clone(),
                    e.summary.clone(),
                ]
            })
            .collect(),
    }];
    tables.extend(auth_tables(s));
    View {
        title: "Authentication report",
        totals,
        tables,
        charts: vec![auth_chart(s)],
    }
}

pub fn traffic_view(s: &TrafficSummary) -> View {
    View {
        title: "Traffic report",
        totals: traffic_totals(s),
        tables: traffic_tables(s),
        charts: vec![traffic_chart(s)],
    }
}

/// Everything the daily report gathers for its period.
#[derive(Debug, serde::Serialize)]
pub struct Digest {
    pub filter: FilterSummary,
    pub auth: AuthSummary,
    pub traffic: TrafficSummary,
    /// The health alerts that fired or resolved.
    pub incidents: Vec<Event>,
}

/// The daily digest: filter statistics, top threats, the quarantine, the auth-failure
/// tables, the traffic summary and the health incidents of the period.
pub fn daily_view(d: &Digest) -> View {
    let f = &d.filter;
    let mut totals = vec![
        ("messages filtered", f.processed),
        ("spam", f.spam),
        ("viruses", f.virus),
        ("blocked", f.blocked),
        ("quarantined", f.quarantined),
        ("rejected", f.rejected),
        ("released from quarantine", f.quarantine_released),
        (
            "health incidents",
            d.incidents.iter().filter(|e| !is_resolved(e)).count() as i64,
        ),
    ];
    totals.extend(auth_totals(&d.auth));
    totals.extend(traffic_totals(&d.traffic));
    let mut tables = vec![
        Table {
            title: "Top threats",
            columns: &["finding", "messages"],
            rows: pairs(&f.top_threats),
        },
        Table {
            title: "Quarantined, by reason",
            columns: &["reason", "messages"],
            rows: pairs(&f.quarantine_by_reason),
        },
        Table {
            title: "Health incidents",
            columns: &["time (UTC)", "alert", "status", "what"],
            rows: d
                .incidents
                .iter()
                .map(|e| {
                    vec![
                        e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                        e.kind.clone(),
                        if is_resolved(e) { "resolved" } else { "firing" }.into(),
                        e.summary.clone(),
                    ]
                })
                .collect(),
        },
    ];
    tables.extend(auth_tables(&d.auth));
    tables.extend(traffic_tables(&d.traffic));
    View {
        title: "Daily report",
        totals,
        tables,
        charts: vec![traffic_chart(&d.traffic), auth_chart(&d.auth)],
    }
}

/// The SMS-sized summary (OpenEFA's numbers), one GSM-7 segment for ordinary counts.
pub fn daily_sms(server: &str, d: &Digest, until: DateTime<Utc>) -> String {
    let f = &d.filter;
    format!(
        "{} {}: {} processed, {} spam blocked, {} threats, {} quarantined, {} auth failures",
        printable(server),
        until.format("%Y-%m-%d"),
        f.processed,
        f.spam,
        f.virus + f.blocked,
        f.quarantined,
        d.auth.total_failures
    )
}

/// A report's totals and tables as one CSV (section, key, value), for an e-mail's
/// attachment; cells that a spreadsheet would evaluate are made text.
pub fn csv(view: &View) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cell = |text: &str| csv_cell(&printable(text));
    let mut rows = vec![["section".to_owned(), "key".into(), "value".into()]];
    for (label, n) in &view.totals {
        rows.push(["totals".into(), cell(label), n.to_string()]);
    }
    for table in &view.tables {
        for row in &table.rows {
            let key = row.first().map(String::as_str).unwrap_or_default();
            rows.push([cell(table.title), cell(key), cell(&row[1..].join(" "))]);
        }
    }
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn auth_chart(s: &AuthSummary) -> Chart {
    Chart {
        title: "Attempts per hour",
        rows: s
            .per_hour
            .iter()
            .map(|(h, n)| (hour_label(*h), *n))
            .collect(),
    }
}

fn traffic_chart(s: &TrafficSummary) -> Chart {
    Chart {
        title: "Received per hour",
        rows: s
            .per_hour
            .iter()
            .map(|(h, received, _, _)| (hour_label(*h), *received))
            .collect(),
    }
}

pub(crate) fn period(h: &Heading) -> String {
    format!(
        "{} — {} UTC",
        h.since.format("%Y-%m-%d %H:%M"),
        h.until.format("%Y-%m-%d %H:%M")
    )
}

pub fn text(h: &Heading, view: &View) -> String {
    let View {
        title,
        totals,
        tables,
        charts,
    } = view;
    let mut out = String::new();
    let _ = writeln!(out, "{title} for {}\n{}\n", printable(h.server), period(h));
    for (label, n) in totals {
        let _ = writeln!(out, "  {n:>10}  {label}");
    }
    for table in tables {
        let _ = writeln!(out, "\n{}", table.title);
        if table.rows.is_empty() {
            let _ = writeln!(out, "  (none)");
            continue;
        }
        let widths: Vec<usize> = (0..table.columns.len())
            .map(|c| {
                table
                    .rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([table.columns[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let _ = writeln!(
            out,
            "  {}",
            row_text(
                &table
                    .columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>(),
                &widths
            )
        );
        for row in &table.rows {
            let _ = writeln!(
                out,
                "  {}",
                row_text(
                    &row.iter().map(|c| printable(c)).collect::<Vec<_>>(),
                    &widths
                )
            );
        }
    }
    for chart in charts {
        let max = chart.rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let _ = writeln!(out, "\n{}", chart.title);
        for (label, n) in &chart.rows {
            let bar = "#".repeat(((*n as f64 / max as f64) * 40.0).ceil() as usize);
            let _ = writeln!(out, "  {label}  {n:>8}  {bar}");
        }
    }
    out
}

fn row_text(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_owned()
}

/// Log fields may hold control characters (an attacker chooses the username): show them escaped.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use postwarden_store::{TopAsn, TopIp};

    pub(crate) fn summary() -> AuthSummary {
        AuthSummary {
            total_failures: 12,
            unique_ips: 2,
            top_ips: vec![TopIp {
                ip: "203.0.113.5".parse().unwrap(),
                count: 10,
                rdns: Some("<script>x</script>".into()),
                country: Some("NL".into()),
            }],
            top_users: vec![("admin\u{1b}[31m".into(), 7)],
            top_countries: vec![("NL".into(), 10)],
            top_asns: vec![TopAsn {
                asn: 64500,
                org: Some("Example & Co".into()),
                count: 10,
            }],
            per_hour: vec![(493_000, 4), (493_001, 8)],
            rdns_status: vec![("confirmed".into(), 12)],
            successes: 1,
        }
    }

    pub(crate) fn heading() -> Heading<'static> {
        Heading {
            server: "mx1",
            since: DateTime::from_timestamp(0, 0).unwrap(),
            until: DateTime::from_timestamp(3600, 0).unwrap(),
        }
    }

    #[test]
    fn text_escapes_control_characters() {
        let text = text(&heading(), &auth_view(&summary(), &[], 10));
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("admin\\u{1b}[31m"));
        assert!(text.contains("203.0.113.5"));
    }
}
