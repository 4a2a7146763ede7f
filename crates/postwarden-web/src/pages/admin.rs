//! Admin pages: users (add, role, disable), the configuration (secrets redacted), health
//! probes and their history, and the notification audit log. Domain admins see the users
//! of their domains only.

use super::{base, done, form, with};
use crate::auth::password::{self, hash_password};
use crate::auth::{Caller, PageCaller};
use crate::render::page;
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use chrono::{Duration, Utc};
use postwarden_core::Role;
use postwarden_store::{NewUser, UserRecord, UserSource};
use std::collections::HashMap;

fn require_operator(caller: &Caller) -> Result<(), WebError> {
    if caller.user.role == Role::User {
        Err(WebError::forbidden(
            "only admins and domain admins may manage users",
        ))
    } else {
        Ok(())
    }
}

/// Whether `caller` may manage `user`: admins everyone, domain admins the plain users of
/// their domains.
fn manages(caller: &Caller, user: &UserRecord) -> bool {
    match caller.user.role {
        Role::Admin => true,
        Role::DomainAdmin => user.role == Role::User && caller.visibility().covers(&user.address),
        Role::User => false,
    }
}

pub async fn users(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    require_operator(&caller)?;
    let users: Vec<UserRecord> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| manages(&caller, u) || u.id == caller.user.id)
        .collect();
    Ok(page(
        "users.html",
        with(
            base(&caller, "users"),
            minijinja::context! {
                title => "Users", users, notice => super::notice(&query),
                roles => if caller.is_admin() { vec!["user", "domain-admin", "admin"] } else { vec!["user"] },
                min_password => password::MIN_LENGTH,
            },
        ),
    )?)
}

pub async fn add_user(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    require_operator(&caller)?;
    let form = form(&caller, &headers, &body)?;
    let address = form.required("address")?.trim().to_lowercase();
    if !postwarden_core::users::is_address(&address) {
        return Err(WebError::invalid("address", "not an e-mail address").into());
    }
    let role: Role = form.get("role").unwrap_or("user").parse().map_err(
        |e: postwarden_core::users::UnknownRole| WebError::invalid("role", e.to_string()),
    )?;
    let domains: Vec<String> = form
        .get("domains")
        .unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(bad) = domains
        .iter()
        .find(|d| !postwarden_core::users::is_domain(d))
    {
        return Err(WebError::invalid(
            "domains",
            format!("`{}` is not a domain", bad.escape_debug()),
        )
        .into());
    }
    let candidate = UserRecord {
        id: 0,
        address: address.clone(),
        display_name: None,
        role,
        domains: domains.clone(),
        password_hash: None,
        source: UserSource::Local,
        disabled: false,
        settings: Default::default(),
        created: Utc::now(),
        updated: Utc::now(),
        last_login: None,
    };
    if !manages(&caller, &candidate) {
        return Err(WebError::forbidden("you may add plain users of your own domains only").into());
    }
    let new_password = form.required("password")?.to_string();
    password::check_new(&new_password).map_err(|e| WebError::invalid("password", e.to_string()))?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&new_password))
        .await
        .map_err(|e| WebError::internal("hashing a password", e))?;
    let display = form.get("name").map(str::trim).filter(|n| !n.is_empty());
    state
        .store
        .create_user(&NewUser {
            address: &address,
            display_name: display,
            role,
            domains: &domains,
            password_hash: Some(&hash),
            source: UserSource::Local,
        })
        .await
        .map_err(|e| match e {
            postwarden_store::StoreError::Exists(what) => {
                WebError::conflict(format!("{what} exists already"))
            }
            other => other.into(),
        })?;
    Ok(done("/admin/users", "User added."))
}

/// `action` = `disable` | `enable` | `role` (with `role`, `domains`) | `remove`.
pub async fn change_user(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    require_operator(&caller)?;
    let form = form(&caller, &headers, &body)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let user = state
        .store
        .user_by_id(id)
        .await?
        .filter(|u| manages(&caller, u))
        .ok_or_else(WebError::not_found)?;
    if user.id == caller.user.id {
        return Err(WebError::forbidden("you cannot change your own account here").into());
    }
    match form.required("action")? {
        "disable" => {
            state.store.set_disabled(user.id, true).await?;
            state.store.delete_sessions_of(user.id).await?;
        }
        "enable" => {
            state.store.set_disabled(user.id, false).await?;
        }
        "role" => {
            caller.require_admin()?;
            let role: Role = form.required("role")?.parse().map_err(
                |e: postwarden_core::users::UnknownRole| WebError::invalid("role", e.to_string()),
            )?;
            let domains: Vec<String> = form
                .get("domains")
                .unwrap_or_default()
                .split([',', ' '])
                .map(|d| d.trim().to_lowercase())
                .filter(|d| !d.is_empty())
                .collect();
            state.store.set_role(user.id, role, &domains).await?;
        }
        "remove" => {
            state.store.delete_user(&user.address).await?;
        }
        _ => return Err(WebError::invalid("action", "disable, enable, role or remove").into()),
    }
    tracing::info!("web: {} changed user {}", caller.user.address, user.address);
    Ok(done("/admin/users", "User updated."))
}

/// The configuration as TOML with every secret replaced (admins only).
pub async fn config(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    caller.require_admin()?;
    let shown = format!("{:#?}", state.config);
    Ok(page(
        "config.html",
        with(
            base(&caller, "config"),
            minijinja::context! { title => "Configuration", shown },
        ),
    )?)
}

pub async fn health(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    caller.require_admin()?;
    let probes = crate::api::probe_states(&state).await?;
    let history: Vec<_> = state
        .store
        .events(Utc::now() - Duration::days(7), Some("health."), 10_000)
        .await?
        .into_iter()
        .rev()
        .take(200)
        .map(|e| e.event)
        .collect();
    Ok(page(
        "health.html",
        with(
            base(&caller, "health"),
            minijinja::context! { title => "Health", probes, history },
        ),
    )?)
}

pub async fn notifications(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    caller.require_admin()?;
    let mut attempts = state
        .store
        .notify_attempts(Utc::now() - Duration::days(7), 100_000)
        .await?;
    attempts.reverse();
    attempts.truncate(300);
    let rules: Vec<_> = state
        .config
        .rules
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    let channels: Vec<&String> = state.config.channels.keys().collect();
    Ok(page(
        "notifications.html",
        with(
            base(&caller, "notifications"),
            minijinja::context! {
                title => "Notifications", attempts, rules, channels,
                notice => super::notice(&query),
            },
        ),
    )?)
}

/// Sends a test text through a channel now (limits and audit apply), as `notify send`.
pub async fn send_test(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    caller.require_admin()?;
    let form = form(&caller, &headers, &body)?;
    let channel = form.required("channel")?.to_string();
    let to = form.required("to")?.to_string();
    if !state.config.channels.contains_key(&channel) {
        return Err(WebError::invalid("channel", "no such channel in the configuration").into());
    }
    let text = format!(
        "postwarden test from {} via the console",
        caller.user.address
    );
    let outcome = crate::ops::send_notification(&state, &channel, &to, &text).await?;
    tracing::info!(
        "web: {} sent a test notification ({})",
        caller.user.address,
        outcome.0
    );
    Ok(done("/admin/notifications", "Test sent."))
}

/// Brute-force detections and the authentication report (top addresses, users, countries,
/// networks, attempts per hour) for a period, from the log watcher's records.
pub async fn logs(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    caller.require_admin()?;
    let since_text = query.get("since").map(String::as_str).unwrap_or("24h");
    let since = crate::ops::parse_time("since", since_text)?;
    let top = u32::try_from(state.config.report.top).unwrap_or(10);
    let summary = state.store.auth_summary(since, top).await?;
    let detections: Vec<_> = state
        .store
        .events(since, None, 10_000)
        .await?
        .into_iter()
        .map(|stored| stored.event)
        .filter(|event| event.source == "logs")
        .collect();
    let view = postwarden_report::auth_view(&summary, &detections, top as usize);
    let charts: Vec<_> = view
        .charts
        .iter()
        .map(|chart| {
            let max = chart.rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
            let bars: Vec<_> = chart
                .rows
                .iter()
                .enumerate()
                .map(|(i, (label, n))| {
                    minijinja::context! {
                        label, n, y => i * 14, w => (*n as f64 / max as f64 * 520.0).ceil() as u32,
                    }
                })
                .collect();
            minijinja::context! { title => chart.title, height => chart.rows.len() * 14 + 4, bars }
        })
        .collect();
    Ok(page(
        "logs.html",
        with(
            base(&caller, "logs"),
            minijinja::context! { title => "Logs", view, charts, since => since_text },
        ),
    )?)
}
