//! Routing: compiled `[[rules]]` that match events and turn them into directives.
//!
//! A rule matches on the event's `kind` (a glob: `health.*`), its `severity` (exact, or a
//! comparison such as `">= warning"`) and any field or attribute: a number or boolean is
//! compared for equality, a string may start with an operator (`">= 80"`, `"< 0.5"`,
//! `"!= x"`, `"== x"`, `"=~ regex"`, `"!~ regex"`) and is otherwise compared as text, and
//! a list matches any of its items. Field names are the event's own (`kind`, `severity`,
//! `source`, `host`, `ip`, `user`, `sender`, `recipient`, `summary`) or attribute keys,
//! literal (`"source.asn"`) or as a dotted path into nested objects. Every matching rule
//! routes the event (rules do not stop at the first match).

use crate::directive::{DirectiveSpec, Timers};
use crate::fields::{field, is_resolved, text_of};
use postwarden_core::config::{ChannelConfig, RuleConfig};
use postwarden_core::{Event, Severity};
use regex::Regex;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A rule that could not be compiled; the message names the rule and the key.
#[derive(Debug, thiserror::Error)]
#[error("{rule}: `match.{key}`: {message}")]
pub struct RuleError {
    pub rule: String,
    pub key: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Less => ordering == Ordering::Less,
            Comparison::LessOrEqual => ordering != Ordering::Greater,
            Comparison::Greater => ordering == Ordering::Greater,
            Comparison::GreaterOrEqual => ordering != Ordering::Less,
        }
    }
}

/// One condition on one field.
#[derive(Debug, Clone)]
enum Condition {
    Equals(Value),
    NotEquals(Value),
    Compare(Comparison, f64),
    Matches(Regex),
    NotMatches(Regex),
    AnyOf(Vec<Condition>),
    Kind(Regex),
    Severity(Option<Comparison>, Severity),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    conditions: Vec<(String, Condition)>,
    receivers: Vec<Receiver>,
    group_by: Vec<String>,
    timers: Timers,
    send_resolved: bool,
}

#[derive(Debug, Clone)]
struct Receiver {
    channel: String,
    to: Vec<String>,
    template: String,
    format: String,
}

impl Rule {
    /// Compiles rule number `index` (0-based) of the configuration.
    pub fn compile(
        index: usize,
        config: &RuleConfig,
        channels: &BTreeMap<String, ChannelConfig>,
    ) -> Result<Rule, RuleError> {
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| format!("rule {}", index + 1));
        let conditions = config
            .matcher
            .iter()
            .map(|(key, value)| {
                condition(key, value)
                    .map(|c| (key.clone(), c))
                    .map_err(|message| RuleError {
                        rule: name.clone(),
                        key: key.clone(),
                        message,
                    })
            })
            .collect::<Result<_, _>>()?;
        let receivers = config
            .receivers
            .iter()
            .map(|r| {
                let format = r
                    .format
                    .clone()
                    .or_else(|| config.format.clone())
                    .or_else(|| channels.get(&r.channel).map(|c| c.default_format().into()))
                    .unwrap_or_else(|| "text".into());
                let template = r
                    .template
                    .clone()
                    .or_else(|| config.template.clone())
                    .unwrap_or_else(|| crate::template::default_for(&format).into());
                Receiver {
                    channel: r.channel.clone(),
                    to: r.to.clone(),
                    template,
                    format,
                }
            })
            .collect();
        Ok(Rule {
            name,
            conditions,
            receivers,
            group_by: config.group_by.clone(),
            timers: Timers {
                wait: config.group_wait,
                interval: config.group_interval,
                repeat: config.repeat_interval,
            },
            send_resolved: config.send_resolved,
        })
    }

    /// The templates its receivers use.
    pub fn templates(&self) -> impl Iterator<Item = &str> {
        self.receivers.iter().map(|r| r.template.as_str())
    }

    /// Whether the event matches every condition (and, when it reports a resolved alert,
    /// whether the rule wants those).
    pub fn matches(&self, event: &Event) -> bool {
        if is_resolved(event) && !self.send_resolved {
            return false;
        }
        self.conditions
            .iter()
            .all(|(field, condition)| holds(condition, field, event))
    }

    /// The directives this rule makes of a matching event: one per receiver and recipient.
    pub fn directives(&self, event: &Event) -> Vec<DirectiveSpec> {
        let labels: BTreeMap<String, String> = self
            .group_by
            .iter()
            .map(|key| {
                (
                    key.clone(),
                    field(event, key).map(text_of).unwrap_or_default(),
                )
            })
            .collect();
        self.receivers
            .iter()
            .flat_map(|r| {
                r.to.iter().map(|to| DirectiveSpec {
                    rule: self.name.clone(),
                    channel: r.channel.clone(),
                    recipient: to.clone(),
                    template: r.template.clone(),
                    format: r.format.clone(),
                    labels: labels.clone(),
                    timers: self.timers,
                })
            })
            .collect()
    }
}

/// Compiles every rule of the configuration.
pub fn compile_all(
    rules: &[RuleConfig],
    channels: &BTreeMap<String, ChannelConfig>,
) -> Result<Vec<Rule>, RuleError> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| Rule::compile(i, r, channels))
        .collect()
}

fn condition(key: &str, value: &toml::Value) -> Result<Condition, String> {
    match (key, value) {
        ("kind", toml::Value::String(glob)) => glob_regex(glob).map(Condition::Kind),
        ("severity", toml::Value::String(text)) => severity_condition(text),
        (_, toml::Value::Array(items)) => items
            .iter()
            .map(|item| condition(key, item))
            .collect::<Result<_, _>>()
            .map(Condition::AnyOf),
        (_, toml::Value::String(text)) => text_condition(text),
        (_, toml::Value::Integer(n)) => Ok(Condition::Equals(Value::from(*n))),
        (_, toml::Value::Float(n)) => Ok(Condition::Equals(Value::from(*n))),
        (_, toml::Value::Boolean(b)) => Ok(Condition::Equals(Value::from(*b))),
        _ => Err("use a string, number, boolean or list".into()),
    }
}

fn split_operator(text: &str) -> Option<(&str, &str)> {
    ["=~", "!~", ">=", "<=", "==", "!=", ">", "<"]
        .into_iter()
        .find_map(|op| text.strip_prefix(op).map(|rest| (op, rest.trim())))
}

fn comparison(op: &str) -> Option<Comparison> {
    match op {
        "<" => Some(Comparison::Less),
        "<=" => Some(Comparison::LessOrEqual),
        ">" => Some(Comparison::Greater),
        ">=" => Some(Comparison::GreaterOrEqual),
        _ => None,
    }
}

fn text_condition(text: &str) -> Result<Condition, String> {
    let Some((op, operand)) = split_operator(text) else {
        return Ok(Condition::Equals(Value::from(text)));
    };
    let regex = || Regex::new(operand).map_err(|e| format!("invalid regex `{operand}`: {e}"));
    match op {
        "=~" => regex().map(Condition::Matches),
        "!~" => regex().map(Condition::NotMatches),
        "==" => Ok(Condition::Equals(Value::from(operand))),
        "!=" => Ok(Condition::NotEquals(Value::from(operand))),
        _ => {
            let number: f64 = operand
                .parse()
                .map_err(|_| format!("`{text}`: `{operand}` is not a number"))?;
            Ok(Condition::Compare(
                comparison(op).unwrap_or(Comparison::Less),
                number,
            ))
        }
    }
}

fn severity_condition(text: &str) -> Result<Condition, String> {
    let (op, name) = match split_operator(text) {
        Some((op, name)) => (comparison(op), name),
        None => (None, text.trim()),
    };
    let severity = Severity::parse(name).ok_or_else(|| {
        format!("unknown severity `{name}`; use info, notice, warning or critical")
    })?;
    Ok(Condition::Severity(op, severity))
}

/// A glob (`*` any text, `?` one character) as an anchored regex.
fn glob_regex(glob: &str) -> Result<Regex, String> {
    let mut pattern = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => pattern.push_str(".*"),
            '?' => pattern.push('.'),
            c => pattern.push_str(&regex::escape(&c.to_string())),
        }
    }
    pattern.push('$');
    Regex::new(&pattern).map_err(|e| format!("invalid glob `{glob}`: {e}"))
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (number_of(a), number_of(b)) {
        (Some(x), Some(y)) if a.is_number() || b.is_number() => x == y,
        _ => text_of(a.clone()) == text_of(b.clone()),
    }
}

fn holds(condition: &Condition, name: &str, event: &Event) -> bool {
    let value = field(event, name);
    match condition {
        Condition::Kind(glob) => glob.is_match(&event.kind),
        Condition::Severity(None, s) => event.severity == *s,
        Condition::Severity(Some(op), s) => op.holds(event.severity.cmp(s)),
        Condition::AnyOf(options) => options.iter().any(|c| holds(c, name, event)),
        Condition::NotEquals(expected) => value.is_none_or(|v| !equal(&v, expected)),
        Condition::NotMatches(regex) => value.is_none_or(|v| !regex.is_match(&text_of(v))),
        _ => value.is_some_and(|v| holds_on(condition, &v)),
    }
}

fn holds_on(condition: &Condition, value: &Value) -> bool {
    match condition {
        Condition::Equals(expected) => equal(value, expected),
        Condition::Compare(op, n) => number_of(value)
            .and_then(|v| v.partial_cmp(n))
            .is_some_and(|ordering| op.holds(ordering)),
        Condition::Matches(regex) => regex.is_match(&text_of(value.clone())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn rule(matcher: &str) -> Rule {
        let config: RuleConfig = toml::from_str(&format!(
            "match = {matcher}\nreceivers = [{{ channel = \"sms\", to = \"+12345678901\" }}]"
        ))
        .unwrap();
        Rule::compile(0, &config, &BTreeMap::new()).unwrap()
    }

    fn event(kind: &str, severity: Severity, attributes: Value) -> Event {
        let mut e = Event::new(Utc::now(), kind, severity, "test", "s");
        e.attributes = attributes;
        e.user = Some("admin".into());
        e
    }

    #[test]
    fn kind_globs_and_severity() {
        let r = rule(r#"{ kind = "health.*", severity = ">= warning" }"#);
        let attrs = serde_json::json!({});
        assert!(r.matches(&event("health.disk", Severity::Critical, attrs.clone())));
        assert!(!r.matches(&event("health.disk", Severity::Notice, attrs.clone())));
        assert!(!r.matches(&event("mail.virus", Severity::Critical, attrs.clone())));
        let exact = rule(r#"{ kind = "mail.virus" }"#);
        assert!(exact.matches(&event("mail.virus", Severity::Info, attrs.clone())));
        assert!(!exact.matches(&event("mail.virus.x", Severity::Info, attrs)));
    }

    #[test]
    fn numeric_regex_and_dotted_attributes() {
        let r = rule(r#"{ confidence = ">= 0.8", user = "=~ ^adm", "source.asn" = 64500 }"#);
        let hit = serde_json::json!({"confidence": 0.85, "source.asn": 64500});
        assert!(r.matches(&event("mail.bec", Severity::Warning, hit)));
        let low = serde_json::json!({"confidence": 0.79, "source.asn": 64500});
        assert!(!r.matches(&event("mail.bec", Severity::Warning, low)));
        let nested = rule(r#"{ "source.asn" = ">= 64000" }"#);
        let n = serde_json::json!({"source": {"asn": 64500}});
        assert!(nested.matches(&event("x", Severity::Info, n)));
        let missing = serde_json::json!({});
        assert!(!nested.matches(&event("x", Severity::Info, missing)));
    }

    #[test]
    fn resolved_alerts_need_send_resolved() {
        let r = rule(r#"{ kind = "health.*" }"#);
        let resolved = serde_json::json!({"status": "resolved"});
        assert!(!r.matches(&event("health.postfix", Severity::Info, resolved)));
    }

    #[test]
    fn bad_matchers_name_the_rule_and_key() {
        let config: RuleConfig = toml::from_str(
            "name = \"bec\"\nmatch = { confidence = \">= high\" }\nreceivers = [{ channel = \"x\", to = \"y\" }]",
        )
        .unwrap();
        let e = Rule::compile(0, &config, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bec: `match.confidence`: `>= high`: `high` is not a number"
        );
    }
}
