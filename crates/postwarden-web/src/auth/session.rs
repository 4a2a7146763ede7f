//! Browser sessions. The cookie holds 256 random bits; the store holds only their SHA-256,
//! so a copy of the database signs nobody in. A new id is made at every sign-in (no
//! fixation); a session ends when idle for `web.session_idle` or `web.session_max` after
//! sign-in. The cookie is `HttpOnly`, `SameSite=Lax`, and `Secure` when the console is
//! served over HTTPS.
//!
//! Every state-changing form carries the session's CSRF token; the sign-in form, which has
//! no session yet, a double-submit token in its own cookie.

use super::token::hex;
use crate::state::WebState;
use base64::Engine;
use chrono::Utc;
use postwarden_store::{SessionRecord, UserRecord};
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "pw_session";
pub const LOGIN_CSRF_COOKIE: &str = "pw_login";

/// A fresh random token, URL-safe base64 of 256 bits.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a session id.
pub fn id_hash(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Set-Cookie` for `name=value` with the console's attributes.
pub fn cookie(state: &WebState, name: &str, value: &str, max_age_secs: u64) -> String {
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Starts a session for `user`: stores it and returns the `Set-Cookie` value.
pub async fn start(state: &WebState, user: &UserRecord) -> Result<String, crate::WebError> {
    let id = random_token();
    let now = Utc::now();
    state
        .store
        .create_session(&SessionRecord {
            id_hash: id_hash(&id),
            user_id: user.id,
            csrf: random_token(),
            created: now,
            last_seen: now,
        })
        .await?;
    state.store.record_login(user.id, now).await?;
    Ok(cookie(
        state,
        SESSION_COOKIE,
        &id,
        state.config.web.session_max.as_secs(),
    ))
}

/// The live session and its enabled user named by the request's cookie.
pub async fn current(
    state: &WebState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(SessionRecord, UserRecord)>, crate::WebError> {
    let Some(id) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if id.len() != 43 {
        return Ok(None);
    }
    let hash = id_hash(id);
    let Some(session) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let web = &state.config.web;
    let idle = chrono::Duration::from_std(web.session_idle).unwrap_or(chrono::Duration::MAX);
    let max = chrono::Duration::from_std(web.session_max).unwrap_or(chrono::Duration::MAX);
    if now - session.last_seen > idle || now - session.created > max {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(user) = state
        .store
        .user_by_id(session.user_id)
        .await?
        .filter(|u| !u.disabled)
    else {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    };
    if now - session.last_seen > chrono::Duration::seconds(60) {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Some((session, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_never_repeat() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(id_hash(&a).len(), 64);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
