//! The one error type of the console and the API, and how it becomes a response: JSON
//! `{ "error": code, "message": … }` (with `field` when one input is at fault) for the
//! API, an HTML page for the console ([`PageError`]).
//!
//! Internal failures (the store, the file system) are logged with their cause and answered
//! with a generic message: a database error never reaches a browser.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a request failed, as the client is told.
#[derive(Debug, Clone, Serialize)]
pub struct WebError {
    #[serde(skip)]
    pub status: StatusCode,
    /// A stable, machine-readable code (`not_found`, `invalid_field`, …).
    pub error: &'static str,
    pub message: String,
    /// The input at fault (`to[3]`, `subject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For 429: seconds to wait.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl WebError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            error,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 404 — also what asking for someone else's item gets.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such item")
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 400 naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        WebError {
            field: Some(field.clone()),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                format!("`{field}`: {message}"),
            )
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn too_many(message: impl Into<String>, retry_after: u64) -> Self {
        WebError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "upstream_refused", message)
    }

    /// A failure of ours: logged with its cause, answered without it.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!("web: {context}: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{context} failed; the server's log has the cause"),
        )
    }
}

impl From<postwarden_store::StoreError> for WebError {
    fn from(e: postwarden_store::StoreError) -> Self {
        WebError::internal("a database operation", e)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for WebError {}

fn with_retry_after(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(seconds) = retry_after
        && let Ok(value) = seconds.to_string().parse()
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let retry = self.retry_after;
        with_retry_after((self.status, axum::Json(&self)).into_response(), retry)
    }
}

/// The same error shown as a console page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> Self {
        PageError(e)
    }
}

impl From<postwarden_store::StoreError> for PageError {
    fn from(e: postwarden_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        let title = e.status.canonical_reason().unwrap_or("Error").to_string();
        let html = crate::render::page(
            "error.html",
            minijinja::context! { title, status => e.status.as_u16(), message => e.message },
        )
        .unwrap_or_else(|_| axum::response::Html("error".to_string()));
        with_retry_after((e.status, html).into_response(), e.retry_after)
    }
}
