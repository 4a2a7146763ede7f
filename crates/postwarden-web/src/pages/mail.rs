//! The dashboard, the message search and the quarantine.

use super::{base, done, form, with};
use crate::auth::PageCaller;
use crate::ops::{self, MessageParams, ReleaseScope};
use crate::render::page;
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Redirect};
use chrono::{Duration, DurationRound, Utc};
use postwarden_core::Role;
use postwarden_store::FlowPoint;
use std::collections::HashMap;

/// The outcomes the chart stacks, bottom to top, with their legend.
const SERIES: [(&str, &str); 5] = [
    ("pass", "passed"),
    ("tag", "tagged"),
    ("quarantine", "quarantined"),
    ("reject", "rejected"),
    ("tempfail", "tempfailed"),
];

/// A stacked bar chart of the last 24 hours as plain numbers for the SVG template.
fn chart(points: &[FlowPoint]) -> minijinja::Value {
    let now = Utc::now()
        .duration_trunc(Duration::hours(1))
        .unwrap_or_else(|_| Utc::now());
    let first = now - Duration::hours(23);
    let mut counts = vec![[0i64; SERIES.len()]; 24];
    for p in points {
        let slot = (p.hour - first).num_hours();
        let series =
            SERIES
                .iter()
                .position(|(a, _)| *a == p.action)
                .unwrap_or(match p.action.as_str() {
                    "forward" | "discard" => 0,
                    _ => 0,
                });
        if (0..24).contains(&slot) {
            counts[slot as usize][series] += p.count;
        }
    }
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, bar) = (720.0, 200.0, 26.0);
    let mut bars = Vec::new();
    for (i, c) in counts.iter().enumerate() {
        let mut y = height;
        let mut segments = Vec::new();
        for (s, n) in c.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let h = (*n as f64 / max as f64) * (height - 10.0);
            y -= h;
            segments.push(minijinja::context! {
                y => format!("{y:.1}"), h => format!("{h:.1}"), class => SERIES[s].0, n => n,
                label => SERIES[s].1,
            });
        }
        let hour = first + Duration::hours(i as i64);
        bars.push(minijinja::context! {
            x => format!("{:.1}", i as f64 * (width / 24.0) + 2.0),
            w => bar,
            hour => hour.format("%H:00").to_string(),
            total => c.iter().sum::<i64>(),
            segments,
        });
    }
    let totals: Vec<_> = SERIES
        .iter()
        .enumerate()
        .map(|(s, (class, label))| {
            minijinja::context! { class, label, n => counts.iter().map(|c| c[s]).sum::<i64>() }
        })
        .collect();
    minijinja::context! { bars, totals, max, width, height }
}

pub async fn dashboard(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let visibility = caller.visibility();
    let since = Utc::now() - Duration::hours(24);
    let flow = state
        .store
        .mail_flow(
            &visibility,
            (Utc::now() - Duration::hours(23))
                .duration_trunc(Duration::hours(1))
                .unwrap_or(since),
        )
        .await?;
    let held = state
        .store
        .quarantine_visible(&ops::quarantine_query(
            visibility.clone(),
            None,
            Some(5),
            false,
        )?)
        .await?;
    let held: Vec<_> = held
        .into_iter()
        .map(|e| ops::entry_view(e, &visibility))
        .collect();
    let operator = caller.user.role != Role::User;
    let (threats, probes, auth_failures) = if caller.user.role == Role::Admin {
        let threats = {
            let mut cached = state.threats.lock().await;
            match &*cached {
                Some((at, threats)) if at.elapsed() < std::time::Duration::from_secs(60) => {
                    threats.clone()
                }
                _ => {
                    let threats = state.store.filter_summary(since, 5).await?.top_threats;
                    *cached = Some((std::time::Instant::now(), threats.clone()));
                    threats
                }
            }
        };
        let probes = crate::api::probe_states(&state).await?;
        let auth = state.store.count_events(since, "auth.").await?;
        (threats, probes, Some(auth))
    } else {
        (Vec::new(), Vec::new(), None)
    };
    Ok(page(
        "dashboard.html",
        with(
            base(&caller, "dashboard"),
            minijinja::context! {
                title => "Dashboard", chart => chart(&flow), held, threats, probes,
                auth_failures, operator, notice => super::notice(&query),
            },
        ),
    )?)
}

pub async fn messages(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    uri: Uri,
) -> Result<Html<String>, PageError> {
    let params: MessageParams = crate::api::query_params(&uri)?;
    let q = params.query(caller.visibility())?;
    let found = ops::search_messages(&state, &q).await?;
    let next = found.next_cursor;
    let items: Vec<_> = found
        .items
        .into_iter()
        .map(|view| {
            let mut actions: Vec<String> = view
                .verdicts
                .as_object()
                .map(|v| {
                    v.values()
                        .filter_map(|d| {
                            d.get("action").and_then(|a| a.as_str()).map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            actions.sort();
            actions.dedup();
            minijinja::context! { m => view, actions }
        })
        .collect();
    let mut next_query = Vec::new();
    for (name, value) in [
        ("sender", &params.sender),
        ("recipient", &params.recipient),
        ("action", &params.action),
        ("since", &params.since),
        ("until", &params.until),
        ("id", &params.id),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            next_query.push(format!("{name}={}", super::urlencode(v)));
        }
    }
    if let Some(next) = &next {
        next_query.push(format!("cursor={}", super::urlencode(next)));
    }
    Ok(page(
        "messages.html",
        with(
            base(&caller, "messages"),
            minijinja::context! {
                title => "Messages", items, params => minijinja::context! {
                    sender => params.sender, recipient => params.recipient, action => params.action,
                    since => params.since, until => params.until, id => params.id,
                },
                next => next.map(|_| next_query.join("&")),
            },
        ),
    )?)
}

pub async fn message(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let visibility = caller.visibility();
    let view = ops::visible_message(&state, &id, &visibility).await?;
    let verdicts: Vec<_> = view
        .verdicts
        .as_object()
        .map(|v| {
            v.iter()
                .map(|(r, d)| {
                    minijinja::context! {
                        recipient => r,
                        action => d.get("action").and_then(|a| a.as_str()).unwrap_or("?"),
                        reason => d.get("reason").and_then(|a| a.as_str()).unwrap_or(""),
                        score => d.get("score").and_then(|a| a.as_f64()).unwrap_or(0.0),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let entry = state
        .store
        .quarantine_entry_visible(&id, &visibility)
        .await?;
    Ok(page(
        "message.html",
        with(
            base(&caller, "messages"),
            minijinja::context! {
                title => "Message", m => view, verdicts,
                held => entry.is_some(),
            },
        ),
    )?)
}

pub async fn quarantine(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let visibility = caller.visibility();
    let show_released = query.get("released").is_some_and(|v| v == "1");
    let q = ops::quarantine_query(
        visibility.clone(),
        query.get("cursor").map(String::as_str),
        Some(50),
        show_released,
    )?;
    let found = ops::list_quarantine(&state, &q).await?;
    let (items, next) = (found.items, found.next_cursor);
    Ok(page(
        "quarantine.html",
        with(
            base(&caller, "quarantine"),
            minijinja::context! {
                title => "Quarantine", items, next, show_released,
                notice => super::notice(&query),
            },
        ),
    )?)
}

pub async fn entry(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let visibility = caller.visibility();
    let entry = ops::visible_entry(&state, &id, &visibility).await?;
    let preview = state
        .quarantine
        .read(&entry.digest)
        .ok()
        .map(|raw| ops::preview(&raw));
    let me_held = entry
        .recipients
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&caller.user.address));
    let unreleased = state.store.quarantine_unreleased(&id).await?;
    let view = ops::entry_view(entry, &visibility);
    let open = view
        .recipients
        .iter()
        .any(|r| unreleased.iter().any(|u| u.eq_ignore_ascii_case(r)));
    Ok(page(
        "quarantine_entry.html",
        with(
            base(&caller, "quarantine"),
            minijinja::context! { title => "Held message", e => view, preview, me_held, open },
        ),
    )?)
}

pub async fn release(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    let form = form(&caller, &headers, &body)?;
    let scope = match form.get("to") {
        Some("me") => ReleaseScope::Me,
        _ => ReleaseScope::All,
    };
    ops::release_entry(&state, &caller, &id, scope, form.checked("allow_sender")).await?;
    Ok(done("/quarantine", "Released."))
}

pub async fn delete(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    form(&caller, &headers, &body)?;
    ops::delete_entry(&state, &caller, &id).await?;
    Ok(done("/quarantine", "Deleted."))
}

/// Release or delete several entries at once (`ids` repeated, `action`).
pub async fn bulk(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    let form = form(&caller, &headers, &body)?;
    let ids = form.all("ids");
    if ids.is_empty() {
        return Err(WebError::invalid("ids", "choose at least one message").into());
    }
    if ids.len() > 500 {
        return Err(WebError::invalid("ids", "at most 500 at once").into());
    }
    let action = form.required("action")?;
    for id in ids {
        match action {
            "release" => {
                ops::release_entry(&state, &caller, id, ReleaseScope::All, false).await?;
            }
            "delete" => ops::delete_entry(&state, &caller, id).await?,
            _ => return Err(WebError::invalid("action", "`release` or `delete`").into()),
        }
    }
    Ok(done(
        "/quarantine",
        if action == "release" {
            "Released."
        } else {
            "Deleted."
        },
    ))
}
