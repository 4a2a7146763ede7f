//! postwarden's store: events, log records, traffic counters, log-reader positions, the
//! filter's messages and quarantine, the notification engine's directives and audit, and
//! the people who sign in (users, sessions, API tokens, and what each may see) in
//! SQLite (the embedded default), PostgreSQL or MySQL/MariaDB.
//!
//! One [`Store`] wraps one `sqlx` [`AnyPool`]; the backend is chosen by the URL scheme.
//! All SQL is written once with `?` placeholders in the portable subset of the three
//! dialects and rewritten for PostgreSQL (see [`backend`]); times are stored as BIGINT
//! microseconds since the epoch (UTC) and, where reports group by hour, as a BIGINT Unix
//! hour, so no dialect's date functions are needed. Each backend has its own migrations
//! folder (`migrations/{sqlite,postgres,mysql}`), embedded in the binary.
//!
//! The log reader's guarantee of no loss and no duplicates rests on
//! [`Store::commit_log_batch`]: records, counters, events and the file position are
//! written in one transaction, so a crash leaves either all of them or none.

pub mod backend;
mod error;
mod events;
mod filter;
mod logs;
mod mailview;
mod migrations;
mod model;
mod notify;
mod reports;
mod routes;
mod rows;
mod schedules;
mod time;
mod users;

pub use backend::Backend;
pub use error::{StoreError, redact_url};
pub use filter::{ListEntry, MessageRecord, OwnedListEntry, QuarantineRecord};
pub use mailview::{Cursor, FlowPoint, MessageQuery, QuarantineQuery, Visibility};
pub use model::{
    AuthDimension, AuthSummary, FileState, FilterSummary, JournalState, LogBatch, LogRecordRow,
    StoredEvent, TopAsn, TopIp, TrafficCount, TrafficSummary,
};
pub use notify::{
    AttemptRecord, AttemptStatus, ClaimedDirective, ClaimedGroup, ClaimedNotification,
    FinishedAttempt, NewDirective, NewNotification, NewStatus, NotificationState, PendingGroup,
    SendSlot, id_list,
};
pub use routes::{NewRoute, RequestEnd, RequestRecord, RouteRecord, RouteStats};
pub use users::{NewUser, SessionRecord, TokenRecord, UserRecord, UserSource};

use error::scrub;
use postwarden_core::Secret;
use sqlx::AnyPool;
use sqlx::ConnectOptions;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// Settings applied to every new SQLite connection: write-ahead logging so readers never
/// block the writer, `NORMAL` sync (durable across application crashes, and across power
/// loss up to the last checkpoint), a wait instead of an immediate "database is locked",
/// and the first 256 MiB of the file read through a memory map: each pooled connection has
/// a page cache of its own, and a page it lacks was otherwise a `pread` copying it out of
/// the kernel's cache (one per message of a mailbox's page of mail, spread over months).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
     PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;";
/// The same for a database opened read-only (`mode=ro`), which cannot switch journal mode.
const SQLITE_PRAGMAS_READ_ONLY: &str = "PRAGMA busy_timeout = 10000;";

/// How long to wait for a connection before reporting the database unreachable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Statements slower than this are logged as a warning.
const SLOW_STATEMENT: Duration = Duration::from_secs(30);

/// `LIMIT n`, written into the statement rather than bound. SQLite (3.44 and later) reads
/// a bound LIMIT while it plans a statement and then marks the statement to be planned
/// again whenever that parameter is bound anew, that is on every execution: the web's page
/// queries spent a sixth of their CPU parsing and planning the same SQL again
/// (docs/benchmarks.md). With a literal the prepared statement stays in the connection's
/// cache (one per distinct limit). `n` is always a number of ours, never text.
pub(crate) fn limit(n: impl Into<i64>) -> String {
    format!("LIMIT {}", n.into().max(0))
}

/// A handle on the database; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The database file, for SQLite on disk: migrations lock `<file>-migrate.lock`.
    sqlite_file: Option<std::path::PathBuf>,
    /// What this process last stored in `ip_info` per address, so unchanged enrichment is
    /// not written again with every batch.
    ip_info_written: std::sync::Arc<std::sync::Mutex<logs::WrittenIpInfo>>,
    /// Counts this process's writes to users and tokens: see [`Store::users_generation`].
    users_generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// A file rewritten after every such write, so that other processes on this machine
    /// (the CLI beside the daemon) see it: see [`Store::with_users_stamp`].
    users_stamp: Option<std::sync::Arc<std::path::PathBuf>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to the database at `url` with at most `max_connections` connections.
    ///
    /// For SQLite, creates the file's directory and the file itself if missing, and turns on
    /// WAL. Does not create or update tables: call [`Store::migrate`] for that.
    pub async fn connect(url: &Secret, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let raw = url.expose();
        let backend = Backend::from_url(raw).ok_or_else(|| {
            StoreError::InvalidUrl(format!(
                "`{}` does not start with sqlite:, postgres: or mysql:",
                redact_url(raw)
            ))
        })?;
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT);
        let mut sqlite_file = None;
        let connect_url = match backend {
            Backend::Sqlite => {
                let (connect_url, in_memory) = prepare_sqlite_url(raw)?;
                if !in_memory {
                    sqlite_file = Some(sqlite_file_of(&connect_url));
                }
                if in_memory {
                    // Every connection to `:memory:` is a database of its own: keep exactly one.
                    options = options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
                let pragmas = if connect_url.contains("mode=ro") {
                    SQLITE_PRAGMAS_READ_ONLY
                } else {
                    SQLITE_PRAGMAS
                };
                options = options.after_connect(move |conn, _meta| {
                    Box::pin(async move { conn.execute(pragmas).await.map(|_| ()) })
                });
                connect_url
            }
            Backend::Postgres | Backend::MySql => raw.to_owned(),
        };
        // One plain connection first: on failure the pool would only report that it timed
        // out, while the driver's own error says why (refused, unknown user, no such database).
        let probe = tokio::time::timeout(ACQUIRE_TIMEOUT, AnyConnection::connect(&connect_url))
            .await
            .map_err(|_| StoreError::Connect {
                backend: backend.name(),
                url: redact_url(raw),
                message: format!("no answer within {} s", ACQUIRE_TIMEOUT.as_secs()),
            })?
            .map_err(|e| connect_error(backend, raw, e))?;
        probe.close().await.ok();
        // A claim of 100,000 rows takes a second on purpose: only a statement slower than
        // SLOW_STATEMENT is worth a warning (which quotes the whole statement).
        let connect_options = connect_url
            .parse::<AnyConnectOptions>()
            .map_err(|e| connect_error(backend, raw, e))?
            .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
        let pool = options
            .connect_with(connect_options)
            .await
            .map_err(|e| connect_error(backend, raw, e))?;
        Ok(Store {
            pool,
            backend,
            sqlite_file,
            ip_info_written: Default::default(),
            users_generation: Default::default(),
            users_stamp: None,
        })
    }

    /// Creates or updates the tables; safe to call on every start.
    ///
    /// PostgreSQL and MySQL serialise concurrent migrations with advisory locks; SQLite has
    /// none, so two processes starting at once take turns on a lock file beside the database.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_through(i64::MAX).await
    }

    /// Creates or updates the tables up to migration `version` only: upgrade tests start
    /// from an older schema with this.
    pub async fn migrate_through(&self, version: i64) -> Result<(), StoreError> {
        let _turn = match &self.sqlite_file {
            Some(file) => Some(migration_lock(file).await?),
            None => None,
        };
        migrations::migrator(self.backend, version)
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migrate {
                backend: self.backend.name(),
                message: e.to_string(),
            })
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (for health probes).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool
            .execute("SELECT 1")
            .await
            .map(|_| ())
            .map_err(StoreError::query("checking that the database answers"))
    }

    /// Refreshes the query planner's statistics (after a bulk load: a planner that still
    /// believes the tables empty picks scans that cost seconds).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::MySql => {
                "ANALYZE TABLE messages, message_addresses, quarantine, quarantine_recipients"
            }
            Backend::Sqlite | Backend::Postgres => "ANALYZE",
        };
        self.pool
            .execute(sql)
            .await
            .map(|_| ())
            .map_err(StoreError::query("refreshing the planner's statistics"))
    }

    /// Closes all connections, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A query for `sql` (written with `?` placeholders) in this backend's dialect.
    fn query(&self, sql: &str) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        sqlx::query(AssertSqlSafe(self.backend.sql(sql)))
    }
}

/// The URL to hand to sqlx for an SQLite `url` (with `mode=rwc` unless a mode is given, and
/// the file's directory created), and whether it is an in-memory database.
/// The database file named by a URL that [`prepare_sqlite_url`] produced for a file.
fn sqlite_file_of(connect_url: &str) -> std::path::PathBuf {
    let path = connect_url["sqlite://".len()..]
        .split('?')
        .next()
        .unwrap_or_default();
    std::path::PathBuf::from(error::percent_decode(path))
}

/// Waits for and holds the exclusive lock on `<file>-migrate.lock`; released on drop.
async fn migration_lock(file: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = file.as_os_str().to_owned();
    name.push("-migrate.lock");
    let lock_path = std::path::PathBuf::from(name);
    let locking = lock_path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&locking)?;
        lock.lock()?;
        Ok::<_, std::io::Error>(lock)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))
    .and_then(|r| r);
    locked.map_err(|error| StoreError::Migrate {
        backend: "sqlite",
        message: format!("cannot lock {}: {error}", lock_path.display()),
    })
}

fn prepare_sqlite_url(url: &str) -> Result<(String, bool), StoreError> {
    let rest = url
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("sqlite://"))
        .map(|_| &url[9..])
        .or_else(|| {
            url.get(7..)
                .filter(|_| url[..7].eq_ignore_ascii_case("sqlite:"))
        })
        .ok_or_else(|| StoreError::InvalidUrl("an SQLite URL starts with sqlite://".into()))?;
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let params: Vec<&str> = query.map(|q| q.split('&').collect()).unwrap_or_default();
    let in_memory = path.is_empty() || path == ":memory:" || params.contains(&"mode=memory");
    if !in_memory {
        let decoded = error::percent_decode(path);
        if let Some(dir) = Path::new(&decoded)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|error| StoreError::CreateDir {
                path: dir.to_path_buf(),
                error,
            })?;
        }
    }
    if path.is_empty() || path == ":memory:" {
        return Ok(("sqlite::memory:".into(), true));
    }
    let mut out = format!("sqlite://{path}");
    let mut params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) && !in_memory {
        params.push("mode=rwc".into());
    }
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    Ok((out, in_memory))
}

/// The error for a failed connection, with the password kept out of every part of it.
fn connect_error(backend: Backend, url: &str, error: sqlx::Error) -> StoreError {
    let message = scrub(&error.to_string(), url);
    match error {
        sqlx::Error::Configuration(_) => {
            StoreError::InvalidUrl(format!("{message} (in `{}`)", redact_url(url)))
        }
        _ => StoreError::Connect {
            backend: backend.name(),
            url: redact_url(url),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_rwc_and_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/pw.db");
        let (url, mem) = prepare_sqlite_url(&format!("sqlite://{}", file.display())).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", file.display()));
        assert!(!mem);
        assert!(dir.path().join("a/b").is_dir());
        let (url, _) = prepare_sqlite_url(&format!("sqlite:{}?mode=ro", file.display())).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=ro", file.display()));
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            ("sqlite::memory:".into(), true)
        );
    }
}
