//! Sign in and out. The sign-in form has no session yet, so its CSRF token is a
//! double-submit: a random value in its own cookie and in the form, compared on POST.

use super::{FormData, client_ip};
use crate::auth::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, cookie_value};
use crate::auth::{PageCaller, sign_in};
use crate::render::page;
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// Only a local path is a place to go back to after signing in.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(char::is_control)
    })
    .unwrap_or("/")
    .to_string()
}

fn login_page(
    state: &WebState,
    status: StatusCode,
    error: Option<&str>,
    address: &str,
    next: &str,
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let token = session::random_token();
    let html = page(
        "login.html",
        minijinja::context! { csrf => token, error, address, next, notice },
    )?;
    Ok((
        status,
        [(
            header::SET_COOKIE,
            cookie(state, LOGIN_CSRF_COOKIE, &token, 3600),
        )],
        html,
    )
        .into_response())
}

pub async fn form(
    State(state): State<WebState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let next = safe_next(query.get("next").map(String::as_str));
    login_page(
        &state,
        StatusCode::OK,
        None,
        "",
        &next,
        super::notice(&query),
    )
}

pub async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let ip = client_ip(request.extensions());
    let body = axum::body::to_bytes(request.into_body(), crate::MAX_BODY)
        .await
        .map_err(|_| {
            WebError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the form is too large",
            )
        })?;
    let form = FormData::parse(&headers, &body)?;
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let given = form.get("csrf").unwrap_or_default();
    let next = safe_next(form.get("next"));
    let address = form.get("address").unwrap_or_default().trim().to_string();
    if expected.is_empty() || !session::same_secret(expected, given) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; please try again."),
            &address,
            &next,
            None,
        );
    }
    let password = form.get("password").unwrap_or_default();
    match sign_in(&state, &ip, &address, password).await {
        Ok(user) => {
            // A new session id at every sign-in; the old one (if any) ends.
            if let Some(old) = cookie_value(&headers, SESSION_COOKIE) {
                state.store.delete_session(&session::id_hash(old)).await?;
            }
            let set = session::start(&state, &user).await?;
            tracing::info!("web: {} signed in from {ip}", user.address);
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set.parse()
                    .map_err(|e| WebError::internal("setting the session cookie", e))?,
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie(&state, LOGIN_CSRF_COOKIE, "", 0)
                    .parse()
                    .map_err(|e| WebError::internal("clearing a cookie", e))?,
            );
            Ok(response)
        }
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => Err(PageError(e)),
        Err(e) => login_page(&state, e.status, Some(&e.message), &address, &next, None),
    }
}

pub async fn logout(
    State(state): State<WebState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    super::form(&caller, &headers, &body)?;
    if let Some(id) = cookie_value(&headers, SESSION_COOKIE) {
        state.store.delete_session(&session::id_hash(id)).await?;
    }
    let mut response = Redirect::to("/login?notice=Signed+out.").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, SESSION_COOKIE, "", 0)
            .parse()
            .map_err(|e| WebError::internal("clearing the session cookie", e))?,
    );
    Ok(response)
}
