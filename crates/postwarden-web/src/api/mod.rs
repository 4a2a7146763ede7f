//! `/api/v1`: JSON over HTTP with bearer tokens (docs/api.md; the OpenAPI 3 document at
//! `/api/v1/openapi.json`). Every handler takes an [`ApiCaller`]; a body is read with
//! [`ApiJson`], which refuses unknown fields and names the one at fault.

mod events;
pub(crate) mod lists;
mod mail;
mod send;

pub(crate) use mail::params as query_params;

use crate::WebError;
use crate::auth::ApiCaller;
use crate::auth::token::Scope;
use crate::state::WebState;
use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::routing::{delete, get, post};
use axum::{Router, body::Bytes};
use chrono::{Duration, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub fn routes(state: &WebState) -> Router<WebState> {
    let send_limit = state.config.web.send.max_request_bytes;
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/health", get(health))
        .route("/messages", get(mail::messages))
        .route("/messages/{id}", get(mail::message))
        .route("/quarantine", get(mail::quarantine))
        .route(
            "/quarantine/{id}",
            get(mail::quarantine_entry).delete(mail::quarantine_delete),
        )
        .route("/quarantine/{id}/release", post(mail::quarantine_release))
        .route("/quarantine/{id}/delete", post(mail::quarantine_delete))
        .route("/lists", get(lists::list).post(lists::add))
        .route("/lists/{id}", delete(lists::remove))
        .route("/events", post(events::ingest))
        .route("/notify/send", post(events::notify_send))
        .route(
            "/send",
            post(send::send).layer(axum::extract::DefaultBodyLimit::max(send_limit)),
        )
        .fallback(|| async {
            WebError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such API route",
            )
        })
}

/// A JSON body: `Content-Type: application/json`, at most the route's body limit (413),
/// unknown fields refused, and the field at fault named (`to[3]`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, WebError> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(WebError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                WebError::new(
                    e.status(),
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                WebError::bad_request(format!("reading the body: {}", e.body_text()))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserializes `bytes`, naming the path of the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            WebError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            )
        } else if path == "." {
            WebError::invalid("body", inner.to_string())
        } else {
            WebError::invalid(path, inner.to_string())
        }
    })
}

async fn me(ApiCaller(caller): ApiCaller) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Read)?;
    let user = &caller.user;
    Ok(Json(json!({
        "address": user.address,
        "display_name": user.display_name,
        "role": user.role,
        "domains": user.domains,
        "settings": user.settings,
        "last_login": user.last_login,
    })))
}

/// The latest state of each health probe (from its `health.*` events of the last 7 days).
/// Any valid token may ask.
async fn health(
    axum::extract::State(state): axum::extract::State<WebState>,
    ApiCaller(_caller): ApiCaller,
) -> Result<Json<Value>, WebError> {
    let probes = probe_states(&state).await?;
    let firing = probes.iter().filter(|p| p["status"] == "firing").count();
    Ok(Json(json!({
        "status": if firing == 0 { "ok" } else { "alerting" },
        "firing": firing,
        "probes": probes,
    })))
}

/// `[{probe, status, detail, since}]`, one per probe, by name.
pub(crate) async fn probe_states(state: &WebState) -> Result<Vec<Value>, WebError> {
    let events = state
        .store
        .events(Utc::now() - Duration::days(7), Some("health."), 100_000)
        .await?;
    let mut latest = std::collections::BTreeMap::new();
    for stored in events {
        let e = stored.event;
        let probe = e.kind.trim_start_matches("health.").to_string();
        latest.insert(
            probe.clone(),
            json!({
                "probe": probe,
                "status": e.attributes.get("status").cloned().unwrap_or(Value::Null),
                "detail": e.attributes.get("detail").cloned().unwrap_or(Value::Null),
                "since": e.time,
            }),
        );
    }
    Ok(latest.into_values().collect())
}

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
