//! Rendering notifications with minijinja (Jinja2 syntax), sandboxed and fuel-limited.
//!
//! Templates are named files: `NAME.txt` is the text (for e-mail its first line is the
//! subject, mailgen's convention) and an optional `NAME.html` the HTML alternative. The
//! built-ins (`email`, `sms`, `webhook`, `abuse_report`) ship in the binary; a
//! `templates_dir` may override them or add more. Every value a template interpolates goes
//! through [`sanitize::value`]: one line, no control characters, capped — so a user name
//! from a log cannot inject a header or an SMS line. HTML templates are auto-escaped.
//!
//! Variables: `events` (each with `id`, `time`, `kind`, `severity`, `source`, `host`, `ip`,
//! `user`, `sender`, `recipient`, `summary`, `attributes`), `labels` (the group's aggregate
//! keys), `count`, `ips` (distinct IPs), `first_time`, `last_time`, `span`, `kind_title`,
//! `ticket_number`, `channel`, `recipient`, `hostname`, `events_as_csv`, `story` (for a
//! group of health alerts: what failed, since when, recovered when, for how long; empty
//! otherwise), and in HTML templates `subject`.

use crate::sanitize;
use minijinja::{Environment, Value, escape_formatter};
use postwarden_store::StoredEvent;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const BUILT_IN: &[(&str, &str)] = &[
    ("email.txt", include_str!("../templates/email.txt")),
    ("email.html", include_str!("../templates/email.html")),
    ("sms.txt", include_str!("../templates/sms.txt")),
    ("webhook.txt", include_str!("../templates/webhook.txt")),
    (
        "abuse_report.txt",
        include_str!("../templates/abuse_report.txt"),
    ),
];

/// Instructions one render may run: a runaway loop ends with an error, not a hung dispatcher.
const FUEL: u64 = 50_000_000;
/// Longest subject, in characters.
const MAX_SUBJECT: usize = 200;

/// The built-in template of a format, used when a directive names none.
pub fn default_for(format: &str) -> &'static str {
    match format {
        "sms" => "sms",
        "json" => "webhook",
        _ => "email",
    }
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub csv: Option<String>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    pub events: &'a [StoredEvent],
    pub labels: &'a BTreeMap<String, String>,
    pub ticket: &'a str,
    pub channel: &'a str,
    pub recipient: &'a str,
    pub hostname: &'a str,
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.templates().map(|(name, _)| name).collect();
        f.debug_struct("Templates").field("names", &names).finish()
    }
}

impl Templates {
    /// The built-ins, overridden and extended by the `*.txt` / `*.html` files of `dir`.
    pub fn load(dir: Option<&Path>, max_value_length: usize) -> Result<Templates, String> {
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_formatter(move |out, state, value| match value.as_str() {
            Some(text) if !value.is_safe() => {
                let clean = Value::from(sanitize::value(text, max_value_length));
                escape_formatter(out, state, &clean)
            }
            _ => escape_formatter(out, state, value),
        });
        for (name, source) in BUILT_IN {
            env.add_template(name, source)
                .map_err(|e| format!("built-in template {name}: {e}"))?;
        }
        if let Some(dir) = dir {
            add_directory(&mut env, dir)?;
        }
        Ok(Templates { env })
    }

    /// Whether `name` exists (as `NAME.txt`).
    pub fn has(&self, name: &str) -> bool {
        self.env.get_template(&format!("{name}.txt")).is_ok()
    }

    /// Renders template `name` for `format` (`text`, `html`, `csv`, `sms`, `json`).
    pub fn render(
        &self,
        name: &str,
        format: &str,
        input: RenderInput<'_>,
    ) -> Result<Rendered, String> {
        let text_template = self.env.get_template(&format!("{name}.txt")).map_err(|_| {
            format!("template `{name}` not found (looked for {name}.txt in the templates directory and the built-ins)")
        })?;
        // The CSV only when it is attached or the template shows it: it is the costliest part.
        let wants_csv = format == "csv" || text_template.source().contains("events_as_csv");
        let csv = if wants_csv {
            events_as_csv(input.events)
        } else {
            String::new()
        };
        let mut context = context(&input);
        context.insert("events_as_csv", Value::from_safe_string(csv.clone()));
        let text = text_template
            .render(Value::from(context.clone()))
            .map_err(|e| describe(name, &e))?;
        let mut rendered = match format {
            "sms" | "json" => Rendered {
                subject: String::new(),
                body: text.trim().to_owned(),
                ..Rendered::default()
            },
            _ => split_subject(&text),
        };
        if format == "html" {
            let html_name = if self.env.get_template(&format!("{name}.html")).is_ok() {
                format!("{name}.html")
            } else {
                "email.html".to_owned()
            };
            context.insert("subject", Value::from(rendered.subject.clone()));
            context.insert(
                "events_as_csv",
                Value::from_safe_string(minijinja::HtmlEscape(&csv).to_string()),
            );
            let html = self
                .env
                .get_template(&html_name)
                .and_then(|t| t.render(Value::from(context)))
                .map_err(|e| describe(&html_name, &e))?;
            rendered.html = Some(html);
        }
        if format == "csv" {
            rendered.csv = Some(csv);
        }
        if format == "json" {
            rendered.body = json_payload(&input, &rendered.body);
        }
        Ok(rendered)
    }
}

fn add_directory(env: &mut Environment<'static>, dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read templates directory {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.ends_with(".txt") || name.ends_with(".html")) {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read template {}: {e}", path.display()))?;
        env.add_template_owned(name.to_owned(), source)
            .map_err(|e| format!("template {}: {e}", path.display()))?;
    }
    Ok(())
}

fn describe(name: &str, error: &minijinja::Error) -> String {
    let mut message = format!("template `{name}`: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// The first line is the subject (mailgen's convention); blank lines after it are dropped.
fn split_subject(text: &str) -> Rendered {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    Rendered {
        subject: sanitize::header(first, MAX_SUBJECT),
        body: rest.trim_start_matches(['\r', '\n']).to_owned(),
        ..Rendered::default()
    }
}

/// An event as templates and webhook payloads see it (borrowed: no copy of its attributes).
#[derive(serde::Serialize)]
struct EventView<'a> {
    id: i64,
    time: String,
    kind: &'a str,
    severity: &'static str,
    source: &'a str,
    host: Option<&'a str>,
    ip: Option<String>,
    user: Option<&'a str>,
    sender: Option<&'a str>,
    recipient: Option<&'a str>,
    summary: &'a str,
    attributes: &'a serde_json::Value,
}

fn event_view(stored: &StoredEvent) -> EventView<'_> {
    let e = &stored.event;
    EventView {
        id: stored.id,
        time: e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
        kind: &e.kind,
        severity: e.severity.as_str(),
        source: &e.source,
        host: e.host.as_deref(),
        ip: e.ip.map(|ip| ip.to_string()),
        user: e.user.as_deref(),
        sender: e.sender.as_deref(),
        recipient: e.recipient.as_deref(),
        summary: &e.summary,
        attributes: &e.attributes,
    }
}

fn context(input: &RenderInput<'_>) -> BTreeMap<&'static str, Value> {
    let events: Vec<EventView<'_>> = input.events.iter().map(event_view).collect();
    let ips: BTreeSet<_> = input.events.iter().filter_map(|e| e.event.ip).collect();
    let first = input.events.iter().map(|e| e.event.time).min();
    let last = input.events.iter().map(|e| e.event.time).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => humanize((b - a).num_seconds()),
        _ => "0 s".into(),
    };
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    };
    let kind = input
        .events
        .first()
        .map(|e| e.event.kind.as_str())
        .unwrap_or("");
    BTreeMap::from([
        ("events", Value::from_serialize(&events)),
        ("labels", Value::from_serialize(input.labels)),
        ("count", Value::from(input.events.len())),
        ("ips", Value::from(ips.len())),
        ("first_time", Value::from(fmt(first))),
        ("last_time", Value::from(fmt(last))),
        ("span", Value::from(span)),
        ("kind_title", Value::from(kind_title(kind))),
        (
            "story",
            Value::from(
                health_story(input.events)
                    .map(|story| sanitize::value(&story, 320))
                    .unwrap_or_default(),
            ),
        ),
        ("ticket_number", Value::from(input.ticket)),
        ("channel", Value::from(input.channel)),
        ("recipient", Value::from(input.recipient)),
        ("hostname", Value::from(input.hostname)),
    ])
}

/// What a group of health alerts says happened, in one line an on-call person can act on:
/// `RECOVERED database: <what failed> (failing since 10:01:02 UTC, recovered 10:01:03 UTC,
/// 1 s)`, or `FAILING database: <what fails> (since 10:01:02 UTC, 5 min so far)` — plain
/// ASCII, so an SMS stays GSM-7. `None` unless every event is a firing or resolved alert
/// (`attributes.status`).
fn health_story(events: &[StoredEvent]) -> Option<String> {
    let status = |e: &StoredEvent| {
        e.event
            .attributes
            .get("status")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    if events.is_empty() || !events.iter().all(|e| status(e).is_some()) {
        return None;
    }
    let last = events.iter().max_by_key(|e| (e.event.time, e.id))?;
    let probe = last
        .event
        .kind
        .strip_prefix("health.")
        .unwrap_or(&last.event.kind);
    let failing = events
        .iter()
        .filter(|e| status(e).as_deref() == Some("firing"))
        .min_by_key(|e| (e.event.time, e.id));
    let since = last
        .event
        .attributes
        .get("firing_since")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .or(failing.map(|e| e.event.time))
        .unwrap_or(last.event.time);
    let clock = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M:%S UTC").to_string();
    let what = failing.map_or(last.event.summary.as_str(), |e| e.event.summary.as_str());
    Some(if status(last).as_deref() == Some("resolved") {
        format!(
            "RECOVERED {probe}: {what} (failing since {}, recovered {}, {})",
            clock(since),
            clock(last.event.time),
            humanize((last.event.time - since).num_seconds())
        )
    } else {
        format!(
            "FAILING {probe}: {what} (since {}, {} so far)",
            clock(since),
            humanize((last.event.time - since).num_seconds())
        )
    })
}

/// `auth.bruteforce` → `auth bruteforce events`; `auth.failure` → `auth failures`.
fn kind_title(kind: &str) -> String {
    let words = kind.replace(['.', '_'], " ");
    if words.ends_with('s') {
        words
    } else if words.ends_with("failure") || words.ends_with("alert") || words.ends_with("reject") {
        format!("{words}s")
    } else {
        format!("{words} events")
    }
}

fn humanize(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", (s + 59) / 60),
        s if s < 86_400 => format!("{:.1} h", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// The built-in columns of [`events_as_csv`], in order.
const CSV_FIXED: [&str; 9] = [
    "id",
    "time",
    "kind",
    "severity",
    "ip",
    "user",
    "sender",
    "recipient",
    "summary",
];

/// The events as CSV: the built-in columns, then every other attribute key; one column per
/// name — an attribute named like a built-in column fills it where the built-in value is
/// empty. Cells are safe for spreadsheets.
pub fn events_as_csv(events: &[StoredEvent]) -> String {
    let keys: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| e.event.attributes.as_object())
        .flat_map(|o| o.keys().map(String::as_str))
        .filter(|key| !CSV_FIXED.contains(key))
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = CSV_FIXED
        .iter()
        .copied()
        .chain(keys.iter().copied())
        .map(|name| sanitize::csv_cell(&sanitize::value(name, 200)))
        .collect();
    let _ = writer.write_record(&header);
    for stored in events {
        let e = &stored.event;
        let mut row = vec![
            stored.id.to_string(),
            e.time.to_rfc3339(),
            e.kind.clone(),
            e.severity.as_str().to_owned(),
            e.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            e.user.clone().unwrap_or_default(),
            e.sender.clone().unwrap_or_default(),
            e.recipient.clone().unwrap_or_default(),
            e.summary.clone(),
        ];
        for (cell, name) in row.iter_mut().zip(CSV_FIXED) {
            if cell.is_empty()
                && let Some(value) = e.attributes.get(name)
            {
                *cell = crate::fields::text_of(value.clone());
            }
        }
        for key in &keys {
            let value = e.attributes.get(*key).cloned().unwrap_or_default();
            row.push(crate::fields::text_of(value));
        }
        let cells: Vec<String> = row
            .iter()
            .map(|c| sanitize::csv_cell(&sanitize::value(c, 1000)))
            .collect();
        let _ = writer.write_record(&cells);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn json_payload(input: &RenderInput<'_>, text: &str) -> String {
    let events: Vec<EventView<'_>> = input.events.iter().map(event_view).collect();
    serde_json::json!({
        "ticket": input.ticket,
        "channel": input.channel,
        "recipient": input.recipient,
        "labels": input.labels,
        "text": text,
        "count": input.events.len(),
        "events": events,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use postwarden_core::{Event, Severity};

    fn stored(id: i64, user: &str, ip: &str, minute: u32) -> StoredEvent {
        let time = Utc.with_ymd_and_hms(2026, 11, 21, 10, minute, 0).unwrap();
        let mut event = Event::new(
            time,
            "auth.failure",
            Severity::Warning,
            "logs",
            "SASL failure",
        );
        event.user = Some(user.into());
        event.ip = Some(ip.parse().unwrap());
        StoredEvent { id, event }
    }

    fn alert(id: i64, status: &str, second: u32, summary: &str) -> StoredEvent {
        let time = Utc.with_ymd_and_hms(2026, 11, 21, 10, 1, second).unwrap();
        let mut event = Event::new(
            time,
            "health.database",
            Severity::Critical,
            "health",
            summary,
        );
        event.attributes = serde_json::json!({
            "status": status,
            "firing_since": "2026-11-21T10:01:02Z",
        });
        StoredEvent { id, event }
    }

    #[test]
    fn a_short_outage_in_one_group_says_what_failed_and_that_it_recovered() {
        let events = [
            alert(1, "firing", 2, "database unreachable: connection refused"),
            alert(2, "resolved", 3, "database reachable again"),
        ];
        assert_eq!(
            health_story(&events).unwrap(),
            "RECOVERED database: database unreachable: connection refused (failing since \
             10:01:02 UTC, recovered 10:01:03 UTC, 1 s)"
        );
        assert_eq!(
            health_story(&events[..1]).unwrap(),
            "FAILING database: database unreachable: connection refused (since 10:01:02 UTC, 0 s so far)"
        );
        assert_eq!(
            health_story(&[stored(1, "a", "192.0.2.1", 1)]),
            None,
            "not an alert"
        );
    }

    #[test]
    fn an_attribute_named_like_a_column_is_one_column_and_fills_it_when_empty() {
        let mut with_user = stored(1, "alice", "192.0.2.1", 1);
        with_user.event.attributes = serde_json::json!({"user": "ignored", "port": 587});
        let mut attribute_only = stored(2, "x", "192.0.2.2", 2);
        attribute_only.event.user = None;
        attribute_only.event.attributes = serde_json::json!({"user": "bob"});
        let csv = events_as_csv(&[with_user, attribute_only]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "id,time,kind,severity,ip,user,sender,recipient,summary,port"
        );
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(
            (first[5], first[9]),
            ("alice", "587"),
            "the event's own user wins"
        );
        let second: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(
            (second[5], second[9]),
            ("bob", ""),
            "the attribute fills the empty column"
        );
    }

    fn input<'a>(
        events: &'a [StoredEvent],
        labels: &'a BTreeMap<String, String>,
    ) -> RenderInput<'a> {
        RenderInput {
            events,
            labels,
            ticket: "20261121-10000001",
            channel: "ops",
            recipient: "+12345678901",
            hostname: "mx.example.org",
        }
    }

    #[test]
    fn sms_aggregates() {
        let t = Templates::load(None, 256).unwrap();
        let events: Vec<_> = (0..12)
            .map(|i| {
                stored(
                    i,
                    "admin",
                    ["203.0.113.7", "203.0.113.8", "198.51.100.1"][i as usize % 3],
                    i as u32,
                )
            })
            .collect();
        let labels = BTreeMap::new();
        let r = t.render("sms", "sms", input(&events, &labels)).unwrap();
        assert_eq!(
            r.body,
            "12 auth failures from 3 IPs in 11 min [20261121-10000001]"
        );
    }

    #[test]
    fn subject_is_the_first_line_and_cannot_be_injected() {
        let t = Templates::load(None, 256).unwrap();
        let events = vec![stored(
            1,
            "admin\r\nBcc: victim@example.org",
            "203.0.113.7",
            0,
        )];
        let mut e = events.clone();
        e[0].event.summary = "login by admin\r\nBcc: victim@example.org".into();
        let labels = BTreeMap::new();
        let r = t.render("email", "csv", input(&e, &labels)).unwrap();
        assert_eq!(
            r.subject,
            "[postwarden] WARNING: login by admin Bcc: victim@example.org"
        );
        assert!(!r.body.contains("\r\nBcc"));
        assert!(r.body.contains("User: admin Bcc: victim@example.org"));
        let csv = r.csv.unwrap();
        assert!(csv.starts_with("id,time,kind,severity,ip,user"));
        assert_eq!(csv.lines().count(), 2);
    }

    #[test]
    fn html_is_escaped() {
        let t = Templates::load(None, 256).unwrap();
        let mut events = vec![stored(1, "<script>alert(1)</script>", "203.0.113.7", 0)];
        events[0].event.summary = "<b>x</b>".into();
        let labels = BTreeMap::new();
        let r = t.render("email", "html", input(&events, &labels)).unwrap();
        let html = r.html.unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("loop.txt"),
            "x\n{% for a in range(100000) %}{% for b in range(100000) %}.{% endfor %}{% endfor %}",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path()), 256).unwrap();
        let labels = BTreeMap::new();
        let err = t.render("loop", "text", input(&[], &labels)).unwrap_err();
        assert!(err.contains("fuel"), "{err}");
        assert!(
            t.render("nope", "text", input(&[], &labels))
                .unwrap_err()
                .contains("`nope` not found")
        );
    }
}
