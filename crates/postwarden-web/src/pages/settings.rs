//! My settings (filtering thresholds, senders, digest), password, API tokens, and the
//! allow/block lists.

use super::{FormData, base, done, form, with};
use crate::api::lists::{NewEntry, check_entry, owners_of, remove_entry};
use crate::auth::PageCaller;
use crate::auth::password::{self, hash_password};
use crate::auth::token::{Scope, issue_token, parse_expiry};
use crate::render::page;
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use postwarden_core::UserSettings;
use postwarden_core::users::DigestFrequency;
use postwarden_store::ListEntry;
use std::collections::HashMap;

async fn settings_page(
    state: &WebState,
    caller: &crate::auth::Caller,
    notice: Option<&str>,
    error: Option<String>,
    new_token: Option<String>,
) -> Result<Html<String>, PageError> {
    let tokens = state.store.tokens_of(caller.user.id).await?;
    let now = chrono::Utc::now();
    let tokens: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let live = t.revoked.is_none() && t.expires > now;
            minijinja::context! { t => t, live }
        })
        .collect();
    let s = &caller.user.settings;
    Ok(page(
        "settings.html",
        with(
            base(caller, "settings"),
            minijinja::context! {
                title => "My settings",
                s => minijinja::context! {
                    spam_score => s.spam_score, quarantine_score => s.quarantine_score,
                    reject_score => s.reject_score, subject_prefix => s.subject_prefix,
                    allow_senders => s.allow_senders.join("\n"),
                    block_senders => s.block_senders.join("\n"),
                    forward => s.forward.join("\n"), digest => s.digest.as_str(),
                },
                tokens, notice, error, new_token,
                scopes => Scope::ALL.iter().filter(|s| **s != Scope::Events || caller.is_admin())
                    .map(|s| s.as_str()).collect::<Vec<_>>(),
                min_password => password::MIN_LENGTH,
            },
        ),
    )?)
}

pub async fn show(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    settings_page(&state, &caller, super::notice(&query), None, None).await
}

fn score(form: &FormData, field: &'static str) -> Result<Option<f64>, WebError> {
    match form.get(field).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<f64>().map(Some).map_err(|_| {
            WebError::invalid(field, format!("`{}` is not a number", v.escape_debug()))
        }),
    }
}

fn lines(form: &FormData, field: &str) -> Vec<String> {
    form.get(field)
        .unwrap_or_default()
        .split(['\n', ',', ' '])
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The settings a form describes, checked.
fn settings_of(form: &FormData) -> Result<UserSettings, WebError> {
    let settings = UserSettings {
        spam_score: score(form, "spam_score")?,
        quarantine_score: score(form, "quarantine_score")?,
        reject_score: score(form, "reject_score")?,
        subject_prefix: form
            .get("subject_prefix")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        allow_senders: lines(form, "allow_senders"),
        block_senders: lines(form, "block_senders"),
        forward: lines(form, "forward"),
        digest: match form.get("digest").unwrap_or("daily") {
            "never" => DigestFrequency::Never,
            "weekly" => DigestFrequency::Weekly,
            "daily" => DigestFrequency::Daily,
            _ => return Err(WebError::invalid("digest", "never, daily or weekly")),
        },
    };
    settings
        .validate()
        .map_err(|e| WebError::invalid(e.field, e.message))?;
    Ok(settings)
}

pub async fn save(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form(&caller, &headers, &body)?;
    match settings_of(&form) {
        Ok(settings) => {
            state
                .store
                .set_user_settings(caller.user.id, &settings)
                .await?;
            Ok(done("/settings", "Saved.").into_response())
        }
        Err(e) => {
            let html = settings_page(&state, &caller, None, Some(e.message.clone()), None).await?;
            Ok((e.status, html).into_response())
        }
    }
}

pub async fn password(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form(&caller, &headers, &body)?;
    let current = form.get("current").unwrap_or_default().to_string();
    let new = form.get("new").unwrap_or_default().to_string();
    let fail = |message: String| async {
        let html = settings_page(&state, &caller, None, Some(message), None).await?;
        Ok::<_, PageError>((axum::http::StatusCode::BAD_REQUEST, html).into_response())
    };
    if caller.user.source != postwarden_store::UserSource::Local {
        return fail("Your password is kept in the directory; change it there.".into()).await;
    }
    if !password::verify_blocking(current, caller.user.password_hash.clone()).await {
        return fail("The current password is wrong.".into()).await;
    }
    if new != form.get("confirm").unwrap_or_default() {
        return fail("The new passwords differ.".into()).await;
    }
    if let Err(e) = password::check_new(&new) {
        return fail(format!("The new password: {e}.")).await;
    }
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|e| WebError::internal("hashing a password", e))?;
    state.store.set_password_hash(caller.user.id, &hash).await?;
    // Every other session ends; this one is renewed by signing in again.
    state.store.delete_sessions_of(caller.user.id).await?;
    Ok(Redirect::to("/login?notice=Password+changed.").into_response())
}

pub async fn create_token(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form(&caller, &headers, &body)?;
    let name = form.get("name").unwrap_or("console").trim().to_string();
    let valid = parse_expiry(form.get("expires").unwrap_or("30d"))?;
    let mut scopes = Vec::new();
    for s in form.all("scope") {
        scopes.push(Scope::parse(s).ok_or_else(|| {
            WebError::invalid("scope", format!("unknown scope `{}`", s.escape_debug()))
        })?);
    }
    if scopes.is_empty() {
        scopes = Scope::defaults();
    }
    let issued = issue_token(
        &state.store,
        &state.keys,
        &caller.user,
        &name,
        &scopes,
        valid,
        state.config.web.token_max,
    )
    .await?;
    // Shown once, on this page only; never stored, never in a URL.
    Ok(
        settings_page(&state, &caller, None, None, Some(issued.token))
            .await?
            .into_response(),
    )
}

pub async fn revoke_token(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(jti): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    form(&caller, &headers, &body)?;
    if !state
        .store
        .revoke_token(caller.user.id, &jti, chrono::Utc::now())
        .await?
    {
        return Err(WebError::not_found().into());
    }
    Ok(done("/settings", "Token revoked."))
}

pub async fn lists(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let owners = owners_of(&caller);
    let entries = state.store.owned_list_entries(&owners).await?;
    let owners: Vec<String> = owners
        .iter()
        .map(|o| o.clone().unwrap_or_else(|| "global".into()))
        .collect();
    Ok(page(
        "lists.html",
        with(
            base(&caller, "lists"),
            minijinja::context! { title => "Allow and block lists", entries, owners, notice => super::notice(&query) },
        ),
    )?)
}

pub async fn add_list_entry(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    let form = form(&caller, &headers, &body)?;
    let entry = NewEntry {
        list: form.required("list")?.to_string(),
        field: form.get("field").unwrap_or("sender").to_string(),
        value: form.required("value")?.to_string(),
        owner: form.get("owner").map(str::to_string),
        comment: form
            .get("comment")
            .filter(|c| !c.trim().is_empty())
            .map(str::to_string),
    };
    let owner = check_entry(&caller, &entry)?;
    state
        .store
        .add_owned_list_entry(
            &ListEntry {
                list: entry.list,
                field: entry.field,
                value: entry.value.trim().to_lowercase(),
            },
            owner.as_deref(),
            entry.comment.as_deref(),
        )
        .await?;
    Ok(done("/lists", "Entry added."))
}

pub async fn delete_list_entry(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Redirect, PageError> {
    form(&caller, &headers, &body)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    remove_entry(&state, &caller, id).await?;
    Ok(done("/lists", "Entry removed."))
}
