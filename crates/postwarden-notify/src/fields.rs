//! Reading an event's fields the way rules, directives and templates all do: a field, a
//! literal attribute key or a dotted path, values as text. A leaf module, so the modules that
//! use it do not import each other.

use postwarden_core::Event;
use serde_json::Value;
use std::time::Duration;

/// Whether an event reports an alert that recovered (`attributes.status = "resolved"`).
pub fn is_resolved(event: &Event) -> bool {
    event.attributes.get("status").and_then(Value::as_str) == Some("resolved")
}

/// The value of `name` in `event`: a field, a literal attribute key, or a dotted path. An
/// optional field that is empty (`user`, `ip`, …) falls back to the attribute of that name,
/// as external events often carry them there.
pub fn field(event: &Event, name: &str) -> Option<Value> {
    let text = |s: &Option<String>| s.clone().map(Value::from);
    let own = match name {
        "kind" => return Some(Value::from(event.kind.as_str())),
        "severity" => return Some(Value::from(event.severity.as_str())),
        "source" => return Some(Value::from(event.source.as_str())),
        "summary" => return Some(Value::from(event.summary.as_str())),
        "host" => text(&event.host),
        "ip" => event.ip.map(|ip| Value::from(ip.to_string())),
        "user" => text(&event.user),
        "sender" => text(&event.sender),
        "recipient" => text(&event.recipient),
        _ => None,
    };
    own.or_else(|| attribute(&event.attributes, name).cloned())
}

fn attribute<'a>(attributes: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(v) = attributes.get(name) {
        return Some(v);
    }
    name.split('.')
        .try_fold(attributes, |node, part| node.get(part))
}

/// A value as label or template text: strings as they are, everything else as JSON.
pub fn text_of(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rules' timers in microseconds, for the store.
pub fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
