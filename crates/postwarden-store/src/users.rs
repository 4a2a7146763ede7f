//! People: `users` (role, password hash, settings), `web_sessions` (only the hash of a
//! session id is stored) and `api_tokens` (the `jti` of each issued token, so a token can
//! be revoked before it expires).
//!
//! Addresses are stored lower-cased: `Alice@Example.org` and `alice@example.org` are one
//! user.

use crate::rows::get;
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::{Role, UserSettings};
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Where a user's password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserSource {
    /// The argon2id hash in `users.password_hash`.
    Local,
    /// The directory of `[auth.ldap]`; the row was made at the first sign-in.
    Ldap,
}

impl UserSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UserSource::Local => "local",
            UserSource::Ldap => "ldap",
        }
    }
    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "local" => Ok(UserSource::Local),
            "ldap" => Ok(UserSource::Ldap),
            other => Err(StoreError::Corrupt(format!(
                "unknown user source `{other}`"
            ))),
        }
    }
}

/// A user as stored. The password hash is never serialized.
#[derive(Clone, PartialEq, serde::Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub address: String,
    pub display_name: Option<String>,
    pub role: Role,
    /// The domains a `domain-admin` administers (lower-case).
    pub domains: Vec<String>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub source: UserSource,
    pub disabled: bool,
    pub settings: UserSettings,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("address", &self.address)
            .field("role", &self.role)
            .field("domains", &self.domains)
            .field("source", &self.source)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A user to create.
#[derive(Clone)]
pub struct NewUser<'a> {
    pub address: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub domains: &'a [String],
    pub password_hash: Option<&'a str>,
    pub source: UserSource,
}

/// A signed-in browser session: the hash of its id, its user and its CSRF token.
#[derive(Clone, PartialEq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("user_id", &self.user_id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// An issued API token (its `jti`; the token itself is never stored).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TokenRecord {
    pub jti: String,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub revoked: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str = "id, address, display_name, role, domains, password_hash, source, \
     disabled, settings, created_us, updated_us, last_login_us";

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding JSON: {e}")))
}

impl Store {
    /// Also rewrites `path` (with a new random content, by rename) after every write to
    /// users or tokens, and folds its content into [`Store::users_generation`]: processes
    /// on one machine that share a data directory — `postwarden users disable` beside the
    /// running daemon — then see each other's changes at once, for the cost of reading a
    /// small file. Failing to write it is logged and ignored (the change itself is stored).
    pub fn with_users_stamp(mut self, path: std::path::PathBuf) -> Store {
        self.users_stamp = Some(std::sync::Arc::new(path));
        self
    }

    /// A number that changes whenever a user or a token is written through any clone of
    /// this store (a role, a password, settings, a sign-in, a revocation, a removal), or
    /// — with [`Store::with_users_stamp`] — by another process on this machine sharing the
    /// stamp file. What is derived from users in memory stays valid while it stays the
    /// same; writes by other nodes do not change it.
    pub fn users_generation(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let local = self
            .users_generation
            .load(std::sync::atomic::Ordering::Acquire);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        local.hash(&mut hasher);
        if let Some(path) = &self.users_stamp {
            std::fs::read(path.as_path()).ok().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Called at the end of every write to `users` or `api_tokens` (by [`UsersChanged`]).
    fn users_changed(&self) {
        self.users_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let Some(path) = &self.users_stamp else {
            return;
        };
        let content = format!(
            "{:032x}\n",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
                ^ (u128::from(std::process::id()) << 96)
                ^ u128::from(
                    self.users_generation
                        .load(std::sync::atomic::Ordering::Acquire)
                ) << 64
        );
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".{}.tmp", std::process::id()));
        let written = std::fs::write(&temporary, content)
            .and_then(|()| std::fs::rename(&temporary, path.as_path()));
        if let Err(e) = written {
            tracing::warn!(
                "could not write {} (other processes see this change to users within \
                 [web] token_cache): {e}",
                path.display()
            );
        }
    }

    /// Creates a user; [`StoreError::Exists`] when the address is taken.
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<UserRecord, StoreError> {
        let _changed = UsersChanged(self);
        let now = to_us(Utc::now());
        let address = user.address.trim().to_lowercase();
        let domains: Vec<String> = user.domains.iter().map(|d| d.to_lowercase()).collect();
        let result = self
            .query(
                "INSERT INTO users (address, display_name, role, domains, password_hash, source, \
                 disabled, settings, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            )
            .bind(address.clone())
            .bind(user.display_name.map(str::to_string))
            .bind(user.role.as_str())
            .bind(json(&domains)?)
            .bind(user.password_hash.map(str::to_string))
            .bind(user.source.as_str())
            .bind(json(&UserSettings::default())?)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Exists(format!("a user `{address}`")));
            }
            other => {
                other.map_err(StoreError::query("creating a user"))?;
            }
        }
        self.user_by_address(&address)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("user `{address}` vanished")))
    }

    /// The user with `address` (any case).
    pub async fn user_by_address(&self, address: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = self
            .query(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE address = ?"
            ))
            .bind(address.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a user"))?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with `id`.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row = self
            .query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a user"))?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, by address.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY address"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    /// Removes a user with their sessions and tokens; false when there was none.
    pub async fn delete_user(&self, address: &str) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        const CONTEXT: &str = "removing a user";
        let Some(user) = self.user_by_address(address).await? else {
            return Ok(false);
        };
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for sql in [
            "DELETE FROM web_sessions WHERE user_id = ?",
            "DELETE FROM api_tokens WHERE user_id = ?",
            "DELETE FROM users WHERE id = ?",
        ] {
            self.query(sql)
                .bind(user.id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
        }
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(true)
    }

    /// Sets a user's password hash and ends their sessions; false when there is no such user.
    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        let changed = self
            .query("UPDATE users SET password_hash = ?, updated_us = ? WHERE id = ?")
            .bind(hash.to_string())
            .bind(to_us(Utc::now()))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("setting a password"))?
            .rows_affected();
        Ok(changed > 0)
    }

    /// Sets a user's role and domains; false when there is no such user.
    pub async fn set_role(
        &self,
        user_id: i64,
        role: Role,
        domains: &[String],
    ) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        let domains: Vec<String> = domains.iter().map(|d| d.to_lowercase()).collect();
        let changed = self
            .query("UPDATE users SET role = ?, domains = ?, updated_us = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(json(&domains)?)
            .bind(to_us(Utc::now()))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("setting a role"))?
            .rows_affected();
        Ok(changed > 0)
    }

    /// Disables or enables a user (a disabled user cannot sign in, and their tokens and
    /// sessions stop working).
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        let changed = self
            .query("UPDATE users SET disabled = ?, updated_us = ? WHERE id = ?")
            .bind(i64::from(disabled))
            .bind(to_us(Utc::now()))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("disabling a user"))?
            .rows_affected();
        Ok(changed > 0)
    }

    /// Stores a user's own settings (validated by the caller).
    pub async fn set_user_settings(
        &self,
        user_id: i64,
        settings: &UserSettings,
    ) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        let changed = self
            .query("UPDATE users SET settings = ?, updated_us = ? WHERE id = ?")
            .bind(json(settings)?)
            .bind(to_us(Utc::now()))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("storing a user's settings"))?
            .rows_affected();
        Ok(changed > 0)
    }

    /// A stamp that changes whenever any user is added, removed or changed: the number
    /// of users and the sum of their `updated_us` (every write to `users` sets it). A sum
    /// rather than a maximum, so a change stamped by a node whose clock is behind still
    /// changes the stamp. The filter asks this instead of everyone's settings per message.
    pub async fn users_stamp(&self) -> Result<(i64, i64), StoreError> {
        const CONTEXT: &str = "reading the users' stamp";
        // The sum is taken modulo 2^31 per row so it cannot overflow on any backend.
        let row = self
            .query(&format!(
                "SELECT {} AS n, {} AS stamp FROM users",
                self.backend.int64("COUNT(*)"),
                self.backend
                    .int64("COALESCE(SUM(updated_us % 2147483647), 0)")
            ))
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let n: i64 = get(&row, "n", CONTEXT)?;
        let stamp: i64 = get(&row, "stamp", CONTEXT)?;
        Ok((n, stamp))
    }

    /// The settings of every enabled user, by lower-case address.
    pub async fn all_settings(&self) -> Result<HashMap<String, UserSettings>, StoreError> {
        const CONTEXT: &str = "reading users' settings";
        let mut out = HashMap::new();
        for row in self
            .query("SELECT address, settings FROM users WHERE disabled = 0")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?
        {
            let address: String = get(&row, "address", CONTEXT)?;
            let settings: String = get(&row, "settings", CONTEXT)?;
            let settings = serde_json::from_str(&settings)
                .map_err(|e| StoreError::Corrupt(format!("settings of user `{address}`: {e}")))?;
            out.insert(address, settings);
        }
        Ok(out)
    }

    /// Records a successful sign-in.
    pub async fn record_login(&self, user_id: i64, when: DateTime<Utc>) -> Result<(), StoreError> {
        let _changed = UsersChanged(self);
        self.query("UPDATE users SET last_login_us = ? WHERE id = ?")
            .bind(to_us(when))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("recording a sign-in"))?;
        Ok(())
    }

    /// Stores a new session (its id's hash).
    pub async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO web_sessions (id_hash, user_id, csrf, created_us, last_seen_us) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(session.id_hash.clone())
        .bind(session.user_id)
        .bind(session.csrf.clone())
        .bind(to_us(session.created))
        .bind(to_us(session.last_seen))
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("storing a session"))?;
        Ok(())
    }

    /// The session whose id hashes to `id_hash`.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        const CONTEXT: &str = "reading a session";
        let row = self
            .query(
                "SELECT id_hash, user_id, csrf, created_us, last_seen_us FROM web_sessions \
                 WHERE id_hash = ?",
            )
            .bind(id_hash.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        row.map(|row| {
            Ok(SessionRecord {
                id_hash: get(&row, "id_hash", CONTEXT)?,
                user_id: get(&row, "user_id", CONTEXT)?,
                csrf: get(&row, "csrf", CONTEXT)?,
                created: from_us(get(&row, "created_us", CONTEXT)?)?,
                last_seen: from_us(get(&row, "last_seen_us", CONTEXT)?)?,
            })
        })
        .transpose()
    }

    /// Moves a session's last activity to `when`.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        when: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.query("UPDATE web_sessions SET last_seen_us = ? WHERE id_hash = ?")
            .bind(to_us(when))
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("updating a session"))?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.query("DELETE FROM web_sessions WHERE id_hash = ?")
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("ending a session"))?;
        Ok(())
    }

    /// Ends every session of a user (after a password change, or when disabled).
    pub async fn delete_sessions_of(&self, user_id: i64) -> Result<(), StoreError> {
        self.query("DELETE FROM web_sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("ending a user's sessions"))?;
        Ok(())
    }

    /// Removes sessions idle since before `idle_before` or made before `created_before`.
    pub async fn expire_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(self
            .query("DELETE FROM web_sessions WHERE last_seen_us < ? OR created_us < ?")
            .bind(to_us(idle_before))
            .bind(to_us(created_before))
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("expiring sessions"))?
            .rows_affected())
    }

    /// Records an issued token.
    pub async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO api_tokens (jti, user_id, name, scopes, created_us, expires_us) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token.jti.clone())
        .bind(token.user_id)
        .bind(token.name.clone())
        .bind(json(&token.scopes)?)
        .bind(to_us(token.created))
        .bind(to_us(token.expires))
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("storing a token"))?;
        Ok(())
    }

    /// The token with `jti`.
    pub async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = self
            .query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE jti = ?"
            ))
            .bind(jti.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a token"))?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// The token with `jti` and its user, in one query (every API request asks this).
    pub async fn token_with_user(
        &self,
        jti: &str,
    ) -> Result<Option<(TokenRecord, UserRecord)>, StoreError> {
        let user_columns: String = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = self
            .query(&format!(
                "SELECT t.jti AS t_jti, t.user_id AS t_user_id, t.name AS t_name, \
                 t.scopes AS t_scopes, t.created_us AS t_created_us, \
                 t.expires_us AS t_expires_us, t.revoked_us AS t_revoked_us, {user_columns} \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.jti = ?"
            ))
            .bind(jti.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a token"))?;
        row.map(|row| Ok((token_from_prefixed(&row, "t_")?, user_from_row(&row)?)))
            .transpose()
    }

    /// A user's tokens, newest first.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_us DESC"
            ))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing tokens"))?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token of `user_id`; false when that user has no such token.
    pub async fn revoke_token(
        &self,
        user_id: i64,
        jti: &str,
        when: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _changed = UsersChanged(self);
        Ok(self
            .query(
                "UPDATE api_tokens SET revoked_us = ? WHERE jti = ? AND user_id = ? \
                 AND revoked_us IS NULL",
            )
            .bind(to_us(when))
            .bind(jti.to_string())
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("revoking a token"))?
            .rows_affected()
            > 0)
    }
}

const TOKEN_COLUMNS: &str = "jti, user_id, name, scopes, created_us, expires_us, revoked_us";

fn token_from_row(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    token_from_prefixed(row, "")
}

/// A token from columns named `<prefix>jti`, `<prefix>user_id`, ….
fn token_from_prefixed(row: &AnyRow, prefix: &str) -> Result<TokenRecord, StoreError> {
    const CONTEXT: &str = "reading a token";
    let column = |name: &str| format!("{prefix}{name}");
    let scopes: String = get(row, &column("scopes"), CONTEXT)?;
    Ok(TokenRecord {
        jti: get(row, &column("jti"), CONTEXT)?,
        user_id: get(row, &column("user_id"), CONTEXT)?,
        name: get(row, &column("name"), CONTEXT)?,
        scopes: serde_json::from_str(&scopes)
            .map_err(|e| StoreError::Corrupt(format!("token scopes: {e}")))?,
        created: from_us(get(row, &column("created_us"), CONTEXT)?)?,
        expires: from_us(get(row, &column("expires_us"), CONTEXT)?)?,
        revoked: get::<Option<i64>>(row, &column("revoked_us"), CONTEXT)?
            .map(from_us)
            .transpose()?,
    })
}

fn user_from_row(row: &AnyRow) -> Result<UserRecord, StoreError> {
    const CONTEXT: &str = "reading a user";
    let address: String = get(row, "address", CONTEXT)?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("user `{address}` has invalid {what}: {e}"))
    };
    let role: String = get(row, "role", CONTEXT)?;
    let domains: String = get(row, "domains", CONTEXT)?;
    let settings: String = get(row, "settings", CONTEXT)?;
    let source: String = get(row, "source", CONTEXT)?;
    Ok(UserRecord {
        id: get(row, "id", CONTEXT)?,
        display_name: get(row, "display_name", CONTEXT)?,
        role: role.parse().map_err(|e| corrupt("role", &e))?,
        domains: serde_json::from_str(&domains).map_err(|e| corrupt("domains", &e))?,
        password_hash: get(row, "password_hash", CONTEXT)?,
        source: UserSource::parse(&source)?,
        disabled: get::<i64>(row, "disabled", CONTEXT)? != 0,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("settings", &e))?,
        created: from_us(get(row, "created_us", CONTEXT)?)?,
        updated: from_us(get(row, "updated_us", CONTEXT)?)?,
        last_login: get::<Option<i64>>(row, "last_login_us", CONTEXT)?
            .map(from_us)
            .transpose()?,
        address,
    })
}

/// Bumps the store's users generation when dropped: at the end of a write to users or
/// tokens, however it ends (done, failed or cancelled), so an entry cached while the write
/// ran is never taken for current.
struct UsersChanged<'a>(&'a Store);

impl Drop for UsersChanged<'_> {
    fn drop(&mut self) {
        self.0.users_changed();
    }
}
