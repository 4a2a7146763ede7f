//! The HTML form of a report: one self-contained page fit for an e-mail body — inline
//! styles only, no scripts, no external images, bar charts made of table cells (which every
//! mail client renders) — from a minijinja template with HTML auto-escaping, so a value
//! from a log line (a username, a reverse DNS name) is always text. Control characters are
//! dropped as in the text form.

use crate::view::{Heading, View, period};
use minijinja::{Environment, context};
use std::sync::LazyLock;

const CELL: &str = "padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left";
const HEAD: &str =
    "padding:4px 8px;border-bottom:2px solid #9ca3af;text-align:left;background:#f3f4f6";

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", include_str!("../templates/report.html"))
        .expect("the report template parses");
    env
});

fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// The report as an HTML page.
pub fn html(h: &Heading, view: &View) -> String {
    let charts: Vec<_> = view
        .charts
        .iter()
        .map(|chart| {
            let max = chart.rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
            let bars: Vec<_> = chart
                .rows
                .iter()
                .map(|(label, n)| {
                    let width = ((*n as f64 / max as f64) * 100.0).ceil().max(1.0) as u32;
                    context! { label => clean(label), n, width }
                })
                .collect();
            context! { title => chart.title, bars }
        })
        .collect();
    let tables: Vec<_> = view
        .tables
        .iter()
        .map(|t| {
            let rows: Vec<Vec<String>> = t
                .rows
                .iter()
                .map(|r| r.iter().map(|c| clean(c)).collect())
                .collect();
            context! { title => t.title, columns => t.columns, rows }
        })
        .collect();
    ENV.get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                title => view.title, server => clean(h.server), period => period(h),
                totals => view.totals, charts, tables, cell => CELL, head => HEAD,
            })
        })
        // The template is fixed and its values are plain data: rendering cannot fail.
        .unwrap_or_else(|e| format!("<p>report could not be rendered: {e}</p>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::auth_view;
    use crate::view::tests::{heading, summary};

    #[test]
    fn html_escapes_log_fields_and_is_self_contained() {
        let page = html(&heading(), &auth_view(&summary(), &[], 10));
        assert!(
            page.contains("&lt;script&gt;x&lt;&#x2f;script&gt;")
                || page.contains("&lt;script&gt;x&lt;/script&gt;"),
            "{page}"
        );
        assert!(!page.contains("<script"));
        assert!(page.contains("Example &amp; Co"));
        assert!(!page.contains("src=") && !page.contains("href="));
        assert!(!page.contains('\u{1b}'), "control characters dropped");
        assert!(
            page.contains("width:50%") && page.contains("width:100%"),
            "chart bars scale to the busiest hour"
        );
    }
}
