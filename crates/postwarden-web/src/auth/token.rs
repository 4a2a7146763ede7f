//! API tokens: JWTs signed with HS256 under the server's token key, carrying `sub` (the
//! user's address), `uid`, `iat`, `exp`, `jti` and `scopes`. The `jti` is stored when the
//! token is issued, so revoking it (or removing or disabling its user) stops it at once;
//! the token itself is shown once and never stored.

use super::keys::Keys;
use crate::WebError;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use postwarden_store::{Store, TokenRecord, UserRecord};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read: `me`, messages, quarantine, lists, health.
    Read,
    /// Release and delete quarantined mail.
    Quarantine,
    /// Edit allow/block lists.
    Lists,
    /// Send mail with `POST /api/v1/send`.
    Send,
    /// Post events and notifications (admins only).
    Events,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Quarantine,
        Scope::Lists,
        Scope::Send,
        Scope::Events,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Quarantine => "quarantine",
            Scope::Lists => "lists",
            Scope::Send => "send",
            Scope::Events => "events",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    /// What a token gets when none are asked for: everything but `events`.
    pub fn defaults() -> Vec<Scope> {
        vec![Scope::Read, Scope::Quarantine, Scope::Lists, Scope::Send]
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    uid: i64,
    iat: i64,
    exp: i64,
    jti: String,
    scopes: Vec<Scope>,
}

/// A token just issued: the secret text (shown once) and what was stored of it.
pub struct IssuedToken {
    pub token: String,
    pub record: TokenRecord,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// Issues a token for `user`, valid for `valid` (at most `max`), and stores its `jti`.
pub async fn issue_token(
    store: &Store,
    keys: &Keys,
    user: &UserRecord,
    name: &str,
    scopes: &[Scope],
    valid: Duration,
    max: Duration,
) -> Result<IssuedToken, WebError> {
    if valid > max {
        return Err(WebError::invalid(
            "expires",
            format!(
                "at most {} ([web] token_max)",
                humantime::format_duration(max)
            ),
        ));
    }
    if valid.is_zero() {
        return Err(WebError::invalid("expires", "must be more than nothing"));
    }
    if scopes.contains(&Scope::Events) && !user.role.sees_everything() {
        return Err(WebError::invalid("scope", "`events` is for admins only"));
    }
    let now = Utc::now();
    let expires = now
        + chrono::Duration::from_std(valid)
            .map_err(|_| WebError::invalid("expires", "too far away"))?;
    let jti = hex(&rand::random::<[u8; 16]>());
    let mut scopes = scopes.to_vec();
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    let claims = Claims {
        sub: user.address.clone(),
        uid: user.id,
        iat: now.timestamp(),
        exp: expires.timestamp(),
        jti: jti.clone(),
        scopes: scopes.clone(),
    };
    let key = EncodingKey::from_secret(&keys.token)
        .map_err(|e| WebError::internal("loading the token key", e))?;
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|e| WebError::internal("signing a token", e))?;
    let record = TokenRecord {
        jti,
        user_id: user.id,
        name: name.trim().chars().take(100).collect(),
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        created: now,
        expires: trunc_seconds(expires),
        revoked: None,
    };
    store.create_token(&record).await?;
    Ok(IssuedToken { token, record })
}

fn trunc_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// The user and scopes of a bearer token, after checking its signature, expiry, that its
/// `jti` was issued and not revoked, and that its user still exists and is enabled.
pub async fn verify_token(
    store: &Store,
    keys: &Keys,
    token: &str,
) -> Result<(UserRecord, Vec<Scope>, String), WebError> {
    let refused = || WebError::unauthorized("the token is invalid, expired or revoked");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let key = DecodingKey::from_secret(&keys.token)
        .map_err(|e| WebError::internal("loading the token key", e))?;
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|_| refused())?;
    let claims = data.claims;
    let (record, user) = store
        .token_with_user(&claims.jti)
        .await?
        .ok_or_else(refused)?;
    if record.revoked.is_some()
        || record.user_id != claims.uid
        || record.expires < Utc::now()
        || user.disabled
        || user.address != claims.sub
    {
        return Err(refused());
    }
    Ok((user, claims.scopes, claims.jti))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `30d`, `12h`, `1y` (humantime).
pub fn parse_expiry(text: &str) -> Result<Duration, WebError> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        WebError::invalid(
            "expires",
            format!("`{text}` is not a duration like 30d: {e}"),
        )
    })
}
