//! The schema migrations of each backend, embedded in the binary.
//!
//! The SQL lives in `migrations/{sqlite,postgres,mysql}/NNNN_name.sql` (the layout
//! `sqlx migrate` understands). They are embedded with `include_str!` and handed to
//! [`Migrator::with_migrations`] rather than through `sqlx::migrate!`: the macro needs
//! sqlx's `macros` feature, which builds all three database drivers a second time for the
//! proc-macro host. The effect at run time is the same (same versions, same checksums, same
//! `_sqlx_migrations` table). To add a migration, add the file to all three folders and a
//! line to each list below.

use crate::Backend;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// (version, description, SQL) per backend.
type Source = &'static [(i64, &'static str, &'static str)];

const SQLITE: Source = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "filter",
        include_str!("../migrations/sqlite/0002_filter.sql"),
    ),
    (
        3,
        "notify",
        include_str!("../migrations/sqlite/0003_notify.sql"),
    ),
    (
        4,
        "notify groups",
        include_str!("../migrations/sqlite/0004_notify_groups.sql"),
    ),
    (
        5,
        "schedules",
        include_str!("../migrations/sqlite/0005_schedules.sql"),
    ),
    (
        6,
        "users",
        include_str!("../migrations/sqlite/0006_users.sql"),
    ),
    (
        7,
        "routes",
        include_str!("../migrations/sqlite/0007_routes.sql"),
    ),
    (
        8,
        "logs",
        include_str!("../migrations/sqlite/0008_logs.sql"),
    ),
    (
        9,
        "address pages",
        include_str!("../migrations/sqlite/0009_address_pages.sql"),
    ),
];
const POSTGRES: Source = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "filter",
        include_str!("../migrations/postgres/0002_filter.sql"),
    ),
    (
        3,
        "notify",
        include_str!("../migrations/postgres/0003_notify.sql"),
    ),
    (
        4,
        "notify groups",
        include_str!("../migrations/postgres/0004_notify_groups.sql"),
    ),
    (
        5,
        "schedules",
        include_str!("../migrations/postgres/0005_schedules.sql"),
    ),
    (
        6,
        "users",
        include_str!("../migrations/postgres/0006_users.sql"),
    ),
    (
        7,
        "routes",
        include_str!("../migrations/postgres/0007_routes.sql"),
    ),
    (
        8,
        "logs",
        include_str!("../migrations/postgres/0008_logs.sql"),
    ),
    (
        9,
        "address pages",
        include_str!("../migrations/postgres/0009_address_pages.sql"),
    ),
];
const MYSQL: Source = &[
    (1, "init", include_str!("../migrations/mysql/0001_init.sql")),
    (
        2,
        "filter",
        include_str!("../migrations/mysql/0002_filter.sql"),
    ),
    (
        3,
        "notify",
        include_str!("../migrations/mysql/0003_notify.sql"),
    ),
    (
        4,
        "notify groups",
        include_str!("../migrations/mysql/0004_notify_groups.sql"),
    ),
    (
        5,
        "schedules",
        include_str!("../migrations/mysql/0005_schedules.sql"),
    ),
    (
        6,
        "users",
        include_str!("../migrations/mysql/0006_users.sql"),
    ),
    (
        7,
        "routes",
        include_str!("../migrations/mysql/0007_routes.sql"),
    ),
    (8, "logs", include_str!("../migrations/mysql/0008_logs.sql")),
    (
        9,
        "address pages",
        include_str!("../migrations/mysql/0009_address_pages.sql"),
    ),
];

/// The migrator for `backend`, with its migrations up to `through` (a version).
pub(crate) fn migrator(backend: Backend, through: i64) -> Migrator {
    let source = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
        Backend::MySql => MYSQL,
    };
    Migrator::with_migrations(
        source
            .iter()
            .filter(|(version, _, _)| *version <= through)
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}
