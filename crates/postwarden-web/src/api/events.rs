//! `POST /api/v1/events` (external producers: the `events ingest` format, directives
//! included) and `POST /api/v1/notify/send` (one text now, through limits and audit).
//! Both are for admins with the `events` scope.

use crate::WebError;
use crate::auth::ApiCaller;
use crate::auth::token::Scope;
use crate::state::WebState;
use axum::Json;
use axum::extract::{FromRequest, State};
use axum::http::StatusCode;
use chrono::Utc;
use postwarden_notify::parse_ingest_line;
use serde::Deserialize;
use serde_json::{Value, json};

/// Most events in one request.
const MAX_EVENTS: usize = 10_000;

/// Stores the events of the body: one object, or an array of them. Every one is checked
/// first; if any is bad, none is stored and the answer names each bad index.
pub async fn ingest(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Value>), WebError> {
    caller.require_admin()?;
    caller.require(Scope::Events)?;
    let super::ApiJson(body): super::ApiJson<Value> =
        super::ApiJson::from_request(request, &()).await?;
    let items = match body {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(WebError::invalid(
                "body",
                "an event object or an array of them",
            ));
        }
    };
    if items.len() > MAX_EVENTS {
        return Err(WebError::invalid(
            "body",
            format!("at most {MAX_EVENTS} events a request"),
        ));
    }
    let now = Utc::now();
    let mut parsed = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse_ingest_line(&item.to_string(), &state.config.channels, now) {
            Ok((event, specs)) => {
                parsed.push((
                    event,
                    specs
                        .into_iter()
                        .map(|d| d.into_new(now))
                        .collect::<Vec<_>>(),
                ));
            }
            Err(e) => errors.push(format!("[{i}]: {e}")),
        }
    }
    if !errors.is_empty() {
        let first = errors[0]
            .split_once(':')
            .map(|(f, _)| f.to_string())
            .unwrap_or_default();
        let mut error = WebError::invalid(
            first,
            errors
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
        );
        error.message = format!(
            "{} bad event(s), nothing stored: {}",
            errors.len(),
            error.message
        );
        return Err(error);
    }
    let directives: usize = parsed.iter().map(|(_, d)| d.len()).sum();
    state.store.insert_events_with_directives(&parsed).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "stored": parsed.len(), "directives": directives })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySend {
    pub channel: String,
    pub to: String,
    pub text: String,
}

/// Sends one text now through the channel's limits and the audit.
pub async fn notify_send(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    request: axum::extract::Request,
) -> Result<Json<Value>, WebError> {
    caller.require_admin()?;
    caller.require(Scope::Events)?;
    let super::ApiJson(body): super::ApiJson<NotifySend> =
        super::ApiJson::from_request(request, &()).await?;
    if body.text.trim().is_empty() {
        return Err(WebError::invalid("text", "is empty"));
    }
    if !state.config.channels.contains_key(&body.channel) {
        return Err(WebError::invalid(
            "channel",
            format!(
                "no channel `{}` in the configuration",
                body.channel.escape_debug()
            ),
        ));
    }
    let (ticket, outcome) =
        crate::ops::send_notification(&state, &body.channel, &body.to, &body.text).await?;
    Ok(Json(json!({
        "ticket": ticket,
        "status": outcome.status,
        "error": outcome.last_error,
        "provider_id": outcome.provider_id,
    })))
}
