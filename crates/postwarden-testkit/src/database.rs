//! Fresh databases for tests: SQLite (a file in a temporary directory), PostgreSQL and
//! MySQL/MariaDB (a new `pw_test_<random>` database on the machine's server each).
//!
//! Servers: `postgres://postgres@127.0.0.1:5432/test` and `mysql://root@127.0.0.1:3306/test`
//! unless `POSTWARDEN_TEST_PG_URL` / `POSTWARDEN_TEST_MYSQL_URL` say otherwise. A server that
//! cannot be reached fails the test with a message saying so; nothing is skipped. A test
//! that fails leaves its `pw_test_*` database behind for inspection.

use postwarden_store::Backend;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// A new, empty database; [`TestDatabase::drop_database`] removes it.
pub struct TestDatabase {
    /// The URL to give postwarden (`database.url`).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Server { admin_url: String, drop_sql: String },
}

/// The configured server URL of `backend` (PostgreSQL, or MySQL/MariaDB for the others) and
/// the environment variable that overrides it.
pub fn base_url(backend: Backend) -> (String, &'static str) {
    match backend {
        Backend::Postgres => (
            std::env::var("POSTWARDEN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into()),
            "POSTWARDEN_TEST_PG_URL",
        ),
        Backend::MySql | Backend::Sqlite => (
            std::env::var("POSTWARDEN_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.into()),
            "POSTWARDEN_TEST_MYSQL_URL",
        ),
    }
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").expect("URL has ://") + 3;
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    format!("{}/{db}{query}", &base[..path_start])
}

fn random_name() -> String {
    use std::hash::{BuildHasher, RandomState};
    let n = RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now()));
    format!("pw_test_{n:016x}")
}

impl TestDatabase {
    /// Creates a fresh database of `backend`.
    pub async fn create(backend: Backend) -> TestDatabase {
        sqlx::any::install_default_drivers();
        if backend == Backend::Sqlite {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}/sub/dir/pw.db", dir.path().display());
            return TestDatabase {
                url,
                cleanup: Cleanup::Sqlite(dir),
            };
        }
        let (base, var) = base_url(backend);
        let name = random_name();
        let admin_url = match backend {
            Backend::Postgres => with_database(&base, "postgres"),
            _ => base.clone(),
        };
        let mut admin = AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "the {backend} test server at {} is unreachable: {e}. Start it, or set {var} \
                 to a URL of a user that may create databases",
                    postwarden_store::redact_url(&admin_url)
                )
            });
        let create = match backend {
            Backend::Postgres => format!("CREATE DATABASE {name}"),
            _ => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        };
        admin
            .execute(AssertSqlSafe(create))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name} on {backend}: {e}"));
        admin.close().await.ok();
        let drop_sql = match backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {name}"),
        };
        TestDatabase {
            url: with_database(&base, &name),
            cleanup: Cleanup::Server {
                admin_url,
                drop_sql,
            },
        }
    }

    /// Drops the database (a no-op for SQLite, whose directory goes with `self`).
    pub async fn drop_database(self) {
        if let Cleanup::Server {
            admin_url,
            drop_sql,
        } = self.cleanup
        {
            let mut admin = AnyConnection::connect(&admin_url)
                .await
                .expect("admin connection");
            admin
                .execute(AssertSqlSafe(drop_sql))
                .await
                .expect("dropping test database");
            admin.close().await.ok();
        }
    }
}

/// A migrated SQLite store in `dir` (`pw.db`): the embedded default, for tests that need a
/// store but not every backend.
pub async fn sqlite_store(dir: &std::path::Path) -> postwarden_store::Store {
    let url =
        postwarden_core::Secret::new(format!("sqlite://{}?mode=rwc", dir.join("pw.db").display()));
    let store = postwarden_store::Store::connect(&url, 2)
        .await
        .unwrap_or_else(|e| panic!("opening {}: {e}", dir.display()));
    store
        .migrate()
        .await
        .expect("migrating a fresh SQLite store");
    store
}
