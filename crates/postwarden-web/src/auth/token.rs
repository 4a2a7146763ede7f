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
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
/// `jti` was issued and not revoked, and that its user still exists and is enabled — or
/// as `cache` verified them within `[web] token_cache`.
pub async fn verify_token(
    store: &Store,
    keys: &Keys,
    cache: &TokenCache,
    token: &str,
) -> Result<(UserRecord, Vec<Scope>, String), WebError> {
    let key = TokenCache::key(token);
    let now = Instant::now();
    if let Some(hit) = cache.get(&key, store.users_generation(), now) {
        return Ok(hit);
    }
    // Read before the store is: a write that races with this check makes the entry stale.
    let generation = store.users_generation();
    let refused = || WebError::unauthorized("the token is invalid, expired or revoked");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let decoding = DecodingKey::from_secret(&keys.token)
        .map_err(|e| WebError::internal("loading the token key", e))?;
    let data =
        jsonwebtoken::decode::<Claims>(token, &decoding, &validation).map_err(|_| refused())?;
    let claims = data.claims;
    let (record, user) = store
        .token_with_user(&claims.jti)
        .await?
        .ok_or_else(refused)?;
    let utc_now = Utc::now();
    if record.revoked.is_some()
        || record.user_id != claims.uid
        || record.expires < utc_now
        || user.disabled
        || user.address != claims.sub
    {
        return Err(refused());
    }
    let expires_in = (record.expires.timestamp().min(claims.exp) - utc_now.timestamp()).max(0);
    let until = now + cache.ttl.min(Duration::from_secs(expires_in as u64));
    let verified = (user, claims.scopes, claims.jti);
    cache.put(key, generation, until, &verified, now);
    Ok(verified)
}

/// Verified tokens, trusted for `[web] token_cache` so that an API request reads the store
/// once (its data) rather than twice (the token and its user, then its data): at
/// 2,000 requests a second that is half the statements and half the hand-offs to the
/// database's threads.
///
/// An entry is used only while the store's [`users_generation`] is the one read before the
/// entry was verified, so anything changed about users or tokens (revocation, disabling, a
/// role, settings) by this process, or by another one on this machine sharing the data
/// directory's stamp file (`postwarden users disable`), takes effect at once; a change made
/// on another node is seen when the entry ends. Entries end at the token's own expiry at the latest. Keys are
/// SHA-256 digests of the tokens, so the map holds no bearer secret; at most
/// [`TokenCache::CAPACITY`] entries (when full, the expired ones go, or else all).
///
/// [`users_generation`]: postwarden_store::Store::users_generation
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Cached>>,
}

struct Cached {
    until: Instant,
    generation: u64,
    verified: (UserRecord, Vec<Scope>, String),
}

impl TokenCache {
    pub const CAPACITY: usize = 10_000;

    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    fn get(
        &self,
        key: &[u8; 32],
        generation: u64,
        now: Instant,
    ) -> Option<(UserRecord, Vec<Scope>, String)> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|c| c.generation == generation && now < c.until)
            .map(|c| c.verified.clone())
    }

    fn put(
        &self,
        key: [u8; 32],
        generation: u64,
        until: Instant,
        verified: &(UserRecord, Vec<Scope>, String),
        now: Instant,
    ) {
        if self.ttl.is_zero() || until <= now {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.retain(|_, c| now < c.until);
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Cached {
                until,
                generation,
                verified: verified.clone(),
            },
        );
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use postwarden_core::{Role, UserSettings};
    use postwarden_store::UserSource;

    fn alice() -> (UserRecord, Vec<Scope>, String) {
        let user = UserRecord {
            id: 7,
            address: "alice@corp.example".into(),
            display_name: None,
            role: Role::User,
            domains: vec![],
            password_hash: None,
            source: UserSource::Local,
            disabled: false,
            settings: UserSettings::default(),
            created: Utc::now(),
            updated: Utc::now(),
            last_login: None,
        };
        (user, vec![Scope::Read], "jti-1".into())
    }

    #[test]
    fn a_cached_token_is_trusted_until_its_entry_ends() {
        let cache = TokenCache::new(Duration::from_secs(5));
        let key = TokenCache::key("a.b.c");
        let now = Instant::now();
        let until = now + Duration::from_secs(5);
        cache.put(key, 3, until, &alice(), now);
        assert_eq!(cache.get(&key, 3, now).map(|v| v.2), Some("jti-1".into()));
        assert!(
            cache
                .get(&key, 3, until - Duration::from_millis(1))
                .is_some()
        );
        assert!(cache.get(&key, 3, until).is_none(), "ended");
        assert!(
            cache.get(&TokenCache::key("a.b.d"), 3, now).is_none(),
            "another token"
        );
    }

    #[test]
    fn any_change_to_users_or_tokens_in_this_process_ends_every_entry() {
        let cache = TokenCache::new(Duration::from_secs(5));
        let key = TokenCache::key("a.b.c");
        let now = Instant::now();
        cache.put(key, 3, now + Duration::from_secs(5), &alice(), now);
        assert!(cache.get(&key, 4, now).is_none());
    }

    #[test]
    fn zero_caches_nothing_and_an_expired_token_is_not_kept() {
        let now = Instant::now();
        let off = TokenCache::new(Duration::ZERO);
        off.put(
            TokenCache::key("t"),
            1,
            now + Duration::from_secs(5),
            &alice(),
            now,
        );
        assert!(off.get(&TokenCache::key("t"), 1, now).is_none());
        let on = TokenCache::new(Duration::from_secs(5));
        on.put(TokenCache::key("t"), 1, now, &alice(), now);
        assert!(on.get(&TokenCache::key("t"), 1, now).is_none());
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = TokenCache::new(Duration::from_secs(5));
        let now = Instant::now();
        let soon = now + Duration::from_millis(10);
        for n in 0..TokenCache::CAPACITY {
            cache.put(TokenCache::key(&n.to_string()), 1, soon, &alice(), now);
        }
        let later = soon + Duration::from_millis(1);
        let key = TokenCache::key("new");
        cache.put(key, 1, later + Duration::from_secs(5), &alice(), later);
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), 1, "the expired entries went");
        assert!(entries.contains_key(&key));
    }
}
