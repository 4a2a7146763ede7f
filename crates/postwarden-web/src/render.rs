//! The console's HTML: minijinja templates embedded in the binary (no files to deploy),
//! parsed once, with HTML auto-escaping on for every template — a sender, subject or file
//! name from a message is text on the page, never markup. A unit test loads every template,
//! so a syntax error fails the build's tests rather than a page.

use axum::response::Html;
use minijinja::{Environment, Value};
use std::sync::LazyLock;

/// (name, source) of every template.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("messages.html", include_str!("../templates/messages.html")),
    ("message.html", include_str!("../templates/message.html")),
    (
        "quarantine.html",
        include_str!("../templates/quarantine.html"),
    ),
    (
        "quarantine_entry.html",
        include_str!("../templates/quarantine_entry.html"),
    ),
    ("lists.html", include_str!("../templates/lists.html")),
    ("settings.html", include_str!("../templates/settings.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("config.html", include_str!("../templates/config.html")),
    ("health.html", include_str!("../templates/health.html")),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("logs.html", include_str!("../templates/logs.html")),
    (
        "digest_confirm.html",
        include_str!("../templates/digest_confirm.html"),
    ),
    (
        "digest_mail.txt",
        include_str!("../templates/digest_mail.txt"),
    ),
    (
        "digest_mail.html",
        include_str!("../templates/digest_mail.html"),
    ),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.add_filter("when", when);
    env.add_filter("bytes", bytes);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env
});

/// Renders template `name` with `context`.
pub fn render(name: &str, context: Value) -> Result<String, crate::WebError> {
    ENV.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| crate::WebError::internal(&format!("rendering {name}"), e))
}

/// Renders a page.
pub fn page(name: &str, context: Value) -> Result<Html<String>, crate::WebError> {
    render(name, context).map(Html)
}

/// `2026-12-03 14:05` (UTC) from an RFC 3339 time.
fn when(value: String) -> String {
    chrono::DateTime::parse_from_rfc3339(&value)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or(value)
}

/// `12.3 KiB` from a byte count.
fn bytes(value: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut size = value as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(ENV.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn html_templates_escape_what_they_are_given() {
        let html = render(
            "error.html",
            minijinja::context! { title => "x", status => 400, message => "<script>alert(1)</script>" },
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2.0 KiB");
    }
}
