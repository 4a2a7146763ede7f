//! The `events` table: writing an [`Event`] and reading events back in time order.
//!
//! Subject fields are columns (so rules and the web UI can filter on them); everything
//! else is the JSON text in `attributes`. Times keep microsecond precision.

use crate::model::StoredEvent;
use crate::rows::{get, parse_ip};
use crate::time::{from_us, to_us};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::{Event, Severity};
use sqlx::any::{Any, AnyRow};
use sqlx::{AssertSqlSafe, Executor, Row};

const INSERT: &str = "INSERT INTO events (time_us, kind, severity, source, host, ip, user_name, \
     sender, recipient, summary, attributes, routed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ";

pub(crate) const COLUMNS: &str = "id, time_us, kind, severity, source, host, ip, user_name, sender, \
     recipient, summary, attributes";

impl Store {
    /// Stores an event and returns its id.
    pub async fn insert_event(&self, e: &Event) -> Result<i64, StoreError> {
        insert_event_with(self.backend, &self.pool, e, Routing::Pending).await
    }

    /// Stores an event that was already notified about (an alert sent straight to its
    /// channels while the store was down): the dispatcher does not route it again.
    pub async fn insert_notified_event(&self, e: &Event) -> Result<i64, StoreError> {
        insert_event_with(self.backend, &self.pool, e, Routing::Done).await
    }

    /// How many events at or after `since` have a kind starting with `kind_prefix`.
    pub async fn count_events(
        &self,
        since: DateTime<Utc>,
        kind_prefix: &str,
    ) -> Result<i64, StoreError> {
        const CONTEXT: &str = "counting events";
        let sql = format!(
            "SELECT {} FROM events WHERE time_us >= ? AND SUBSTR(kind, 1, {}) = ?",
            self.backend.int64("COUNT(*)"),
            kind_prefix.chars().count()
        );
        let row = self
            .query(&sql)
            .bind(to_us(since))
            .bind(kind_prefix.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        crate::rows::at(&row, 0, CONTEXT)
    }

    /// Events at or after `since`, oldest first, at most `limit`; with `kind_prefix`, only
    /// those whose kind starts with it (case-sensitive, e.g. `auth.`).
    pub async fn events(
        &self,
        since: DateTime<Utc>,
        kind_prefix: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = match kind_prefix {
            Some(prefix) => {
                // SUBSTR counts characters in all three dialects; the length is an integer
                // literal so that PostgreSQL needs no parameter type for it.
                let sql = format!(
                    "SELECT {COLUMNS} FROM events WHERE time_us >= ? \
                     AND SUBSTR(kind, 1, {}) = ? ORDER BY time_us, id {}",
                    prefix.chars().count(),
                    crate::limit(limit)
                );
                self.query(&sql)
                    .bind(to_us(since))
                    .bind(prefix)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                self.query(&format!(
                    "SELECT {COLUMNS} FROM events WHERE time_us >= ? ORDER BY time_us, id {}",
                    crate::limit(limit)
                ))
                .bind(to_us(since))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(StoreError::query("reading events"))?;
        rows.iter().map(event_from_row).collect()
    }
}

/// Whether the dispatcher still has to route a new event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routing {
    Pending,
    Done,
}

/// Inserts `e` through `executor` (the pool or an open transaction) and returns its id.
pub(crate) async fn insert_event_with<'c, E>(
    backend: Backend,
    executor: E,
    e: &Event,
    routing: Routing,
) -> Result<i64, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let attributes = serde_json::to_string(&e.attributes)
        .map_err(|err| StoreError::Corrupt(format!("event attributes: {err}")))?;
    let returning = match backend {
        // MySQL has no RETURNING (MariaDB has); its driver reports the id instead.
        Backend::MySql => "",
        // The SQLite driver reports no id through `Any`; RETURNING works since SQLite 3.35.
        Backend::Sqlite | Backend::Postgres => " RETURNING id",
    };
    let routed = u8::from(routing == Routing::Done);
    let query = sqlx::query(AssertSqlSafe(
        backend.sql(&format!("{INSERT}{routed}){returning}")),
    ))
    .bind(to_us(e.time))
    .bind(e.kind.as_str())
    .bind(e.severity.as_str())
    .bind(e.source.as_str())
    .bind(e.host.as_deref())
    .bind(e.ip.map(|ip| ip.to_string()))
    .bind(e.user.as_deref())
    .bind(e.sender.as_deref())
    .bind(e.recipient.as_deref())
    .bind(e.summary.as_str())
    .bind(attributes);
    const CONTEXT: &str = "storing an event";
    match backend {
        Backend::MySql => query
            .execute(executor)
            .await
            .map_err(StoreError::query(CONTEXT))?
            .last_insert_id()
            .ok_or_else(|| StoreError::Corrupt("the database reported no event id".into())),
        Backend::Sqlite | Backend::Postgres => query
            .fetch_one(executor)
            .await
            .map_err(StoreError::query(CONTEXT))?
            .try_get::<i64, _>(0)
            .map_err(StoreError::query(CONTEXT)),
    }
}

pub(crate) fn event_from_row(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    const CONTEXT: &str = "reading an event";
    let id: i64 = get(row, "id", CONTEXT)?;
    let severity: String = get(row, "severity", CONTEXT)?;
    let ip: Option<String> = get(row, "ip", CONTEXT)?;
    let attributes: String = get(row, "attributes", CONTEXT)?;
    Ok(StoredEvent {
        id,
        event: Event {
            time: from_us(get(row, "time_us", CONTEXT)?)?,
            kind: get(row, "kind", CONTEXT)?,
            severity: Severity::parse(&severity).ok_or_else(|| {
                StoreError::Corrupt(format!("event {id} has unknown severity `{severity}`"))
            })?,
            source: get(row, "source", CONTEXT)?,
            host: get(row, "host", CONTEXT)?,
            ip: parse_ip(ip, "event", id)?,
            user: get(row, "user_name", CONTEXT)?,
            sender: get(row, "sender", CONTEXT)?,
            recipient: get(row, "recipient", CONTEXT)?,
            summary: get(row, "summary", CONTEXT)?,
            attributes: serde_json::from_str(&attributes).map_err(|err| {
                StoreError::Corrupt(format!("event {id} has invalid JSON attributes: {err}"))
            })?,
        },
    })
}
