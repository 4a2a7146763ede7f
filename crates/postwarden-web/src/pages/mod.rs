//! The console: server-rendered pages, one file per group (sign-in, mail, settings,
//! admin). Every page takes a [`PageCaller`](crate::auth::PageCaller) (the sign-in page
//! and the digest's confirmation excepted), every form posts its session's CSRF token, and
//! every action works without JavaScript.

mod admin;
mod login;
mod mail;
mod settings;

use crate::auth::Caller;
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Value;
use postwarden_core::Role;

pub fn routes(_state: &WebState) -> Router<WebState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(mail::dashboard))
        .route("/messages", get(mail::messages))
        .route("/messages/{id}", get(mail::message))
        .route("/quarantine", get(mail::quarantine))
        .route("/quarantine/bulk", post(mail::bulk))
        .route("/quarantine/{id}", get(mail::entry))
        .route("/quarantine/{id}/release", post(mail::release))
        .route("/quarantine/{id}/delete", post(mail::delete))
        .route(
            "/lists",
            get(settings::lists).post(settings::add_list_entry),
        )
        .route("/lists/{id}/delete", post(settings::delete_list_entry))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/settings/password", post(settings::password))
        .route("/settings/tokens", post(settings::create_token))
        .route(
            "/settings/tokens/{jti}/revoke",
            post(settings::revoke_token),
        )
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{id}", post(admin::change_user))
        .route("/admin/config", get(admin::config))
        .route("/admin/health", get(admin::health))
        .route("/admin/notifications", get(admin::notifications))
        .route("/admin/notifications/test", post(admin::send_test))
        .route("/admin/logs", get(admin::logs))
        .route(
            "/digest/release",
            get(crate::digest::confirm).post(crate::digest::release_form),
        )
        .route("/assets/style.css", get(style))
        .route("/assets/favicon.svg", get(favicon))
        .fallback(|| async { PageError(WebError::not_found()) })
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/style.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../assets/favicon.svg"),
    )
        .into_response()
}

/// What every page's layout needs: who is signed in, their CSRF token, the active tab.
pub(crate) fn base(caller: &Caller, active: &str) -> Value {
    let user = &caller.user;
    minijinja::context! {
        me => minijinja::context! {
            address => user.address,
            name => user.display_name.clone().unwrap_or_else(|| user.address.clone()),
            role => user.role.as_str(),
            is_admin => user.role == Role::Admin,
            is_domain_admin => user.role == Role::DomainAdmin,
        },
        csrf => caller.csrf(),
        active => active,
    }
}

/// `base` merged with a page's own values.
pub(crate) fn with(base: Value, own: Value) -> Value {
    minijinja::context! { ..own, ..base }
}

/// A form body's fields, in order (repeated names kept: `ids=a&ids=b`).
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(headers: &HeaderMap, body: &Bytes) -> Result<FormData, WebError> {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err(WebError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the form as application/x-www-form-urlencoded",
            ));
        }
        Ok(FormData(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The field, or 400 naming it.
    pub fn required(&self, name: &str) -> Result<&str, WebError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| WebError::invalid(name, "is required"))
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v == "on" || v == "1" || v == "true")
    }
}

/// Parses a form and checks its CSRF token against the caller's session.
pub(crate) fn form(
    caller: &Caller,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<FormData, PageError> {
    let form = FormData::parse(headers, body)?;
    caller.check_csrf(form.get("csrf").unwrap_or_default())?;
    Ok(form)
}

/// After a successful POST: back to `to` with a notice (Post/Redirect/Get).
pub(crate) fn done(to: &str, notice: &str) -> Redirect {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}notice={}", urlencode(notice)))
}

/// Percent-encodes everything but unreserved characters.
pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The `notice` query parameter, shown once at the top of a page (only known texts are
/// shown: a link cannot make the console say anything).
pub(crate) fn notice(query: &std::collections::HashMap<String, String>) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "Released.",
        "Deleted.",
        "Saved.",
        "Password changed.",
        "Token revoked.",
        "Entry added.",
        "Entry removed.",
        "User added.",
        "User updated.",
        "Signed out.",
        "Test sent.",
    ];
    let given = query.get("notice")?;
    KNOWN.iter().copied().find(|k| k == given)
}

/// The client's address (the TCP peer; behind a reverse proxy, the proxy).
pub(crate) fn client_ip(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
