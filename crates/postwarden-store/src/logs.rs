//! The log reader's tables: `log_records`, `traffic_counts` and `log_files`, and the one
//! transaction that writes them together.
//!
//! [`Store::commit_log_batch`] is on the hot path (a million-line log yields some 400,000
//! records), so records and counters go in as multi-row `INSERT`s, as many rows per
//! statement as the backend's bind-parameter limit allows (capped by
//! [`MAX_ROWS_PER_INSERT`]), all inside one transaction. Counters are summed per key
//! before the upsert, so one statement never touches a row twice (PostgreSQL forbids it).

use crate::backend::truncate_chars;
use crate::events::insert_event_with;
use crate::model::{FileState, LogBatch, LogRecordRow, TrafficCount};
use crate::rows::{get, parse_ip, to_asn};
use crate::time::{from_us, hour_of_us, to_us};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most rows in one multi-row `INSERT`, whatever the bind limit would allow.
const MAX_ROWS_PER_INSERT: usize = 1000;

const RECORD_COLUMNS: &str = "time_us, hour, host, service, kind, abusive, ip, client_name, \
     user_name, reason, country, asn, as_org, rdns, rdns_status";
const RECORD_COLUMN_COUNT: usize = 15;

/// Longest `host` / `counter_key` (characters) and `metric` stored in `traffic_counts`.
const TRAFFIC_TEXT_MAX: usize = 255;
const TRAFFIC_METRIC_MAX: usize = 32;

impl Store {
    /// The saved position in the log file `path`, if any.
    pub async fn file_state(&self, path: &str) -> Result<Option<FileState>, StoreError> {
        const CONTEXT: &str = "reading a log file position";
        let row = self
            .query(
                "SELECT path, device, inode, read_offset, fingerprint, updated_us \
                 FROM log_files WHERE path = ?",
            )
            .bind(path)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let Some(row) = row else { return Ok(None) };
        let offset: i64 = get(&row, "read_offset", CONTEXT)?;
        Ok(Some(FileState {
            path: get(&row, "path", CONTEXT)?,
            // u64 device and inode numbers are stored bit for bit in signed BIGINTs.
            device: get::<i64>(&row, "device", CONTEXT)? as u64,
            inode: get::<i64>(&row, "inode", CONTEXT)? as u64,
            offset: u64::try_from(offset).map_err(|_| {
                StoreError::Corrupt(format!("log file `{path}` has negative offset {offset}"))
            })?,
            fingerprint: get(&row, "fingerprint", CONTEXT)?,
            updated: from_us(get(&row, "updated_us", CONTEXT)?)?,
        }))
    }

    /// Atomically (one transaction): inserts the records, adds the traffic counts, inserts
    /// the events and saves the file state. Either all of it is stored or, on error, none.
    pub async fn commit_log_batch(&self, batch: &LogBatch) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::query(
            "starting the transaction for a log batch",
        ))?;
        insert_records(self.backend, &mut tx, &batch.records).await?;
        add_traffic(self.backend, &mut tx, &batch.traffic).await?;
        for event in &batch.events {
            insert_event_with(self.backend, &mut *tx, event).await?;
        }
        if let Some(state) = &batch.file_state {
            save_file_state(self.backend, &mut tx, state).await?;
        }
        tx.commit()
            .await
            .map_err(StoreError::query("committing a log batch"))
    }

    /// Log records at or after `since`, oldest first (for export); with
    /// `only_auth_faileds`, only those of kind `auth_failed`.
    pub async fn log_records(
        &self,
        since: DateTime<Utc>,
        only_auth_faileds: bool,
    ) -> Result<Vec<LogRecordRow>, StoreError> {
        let filter = if only_auth_faileds {
            " AND kind = 'auth_failed'"
        } else {
            ""
        };
        let rows = self
            .query(&format!(
                "SELECT id, {RECORD_COLUMNS} FROM log_records WHERE time_us >= ?{filter} \
                 ORDER BY time_us, id"
            ))
            .bind(to_us(since))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading log records"))?;
        rows.iter().map(record_from_row).collect()
    }
}

/// `INSERT INTO <table_and_columns> VALUES (?, …), …` for `rows` rows of `columns` values,
/// followed by `suffix`, in `backend`'s dialect.
fn multi_row_insert(
    backend: Backend,
    head: &str,
    columns: usize,
    rows: usize,
    suffix: &str,
) -> Arc<str> {
    let mut tuple = String::with_capacity(columns * 3 + 2);
    tuple.push('(');
    for i in 0..columns {
        tuple.push_str(if i == 0 { "?" } else { ",?" });
    }
    tuple.push(')');
    let mut sql = String::with_capacity(head.len() + rows * (tuple.len() + 1) + suffix.len() + 8);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&tuple);
    }
    sql.push_str(suffix);
    backend.sql(&sql).into()
}

/// Rows per statement for a table of `columns` columns.
fn rows_per_insert(backend: Backend, columns: usize) -> usize {
    (backend.max_binds() / columns).min(MAX_ROWS_PER_INSERT)
}

async fn insert_records(
    backend: Backend,
    conn: &mut AnyConnection,
    records: &[LogRecordRow],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO log_records ({RECORD_COLUMNS})");
    let per = rows_per_insert(backend, RECORD_COLUMN_COUNT);
    let mut full: Option<Arc<str>> = None;
    for chunk in records.chunks(per) {
        let sql = if chunk.len() == per {
            full.get_or_insert_with(|| {
                multi_row_insert(backend, &head, RECORD_COLUMN_COUNT, per, "")
            })
            .clone()
        } else {
            multi_row_insert(backend, &head, RECORD_COLUMN_COUNT, chunk.len(), "")
        };
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            let time_us = to_us(r.time);
            query = query
                .bind(time_us)
                .bind(hour_of_us(time_us))
                .bind(r.host.as_str())
                .bind(r.service.as_str())
                .bind(r.kind.as_str())
                .bind(i16::from(r.abusive))
                .bind(r.ip.map(|ip| ip.to_string()))
                .bind(r.client_name.as_deref())
                .bind(r.user.as_deref())
                .bind(r.reason.as_deref())
                .bind(r.country.as_deref())
                .bind(r.asn.map(i64::from))
                .bind(r.as_org.as_deref())
                .bind(r.rdns.as_deref())
                .bind(r.rdns_status.as_deref());
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query("storing log records"))?;
    }
    Ok(())
}

async fn add_traffic(
    backend: Backend,
    conn: &mut AnyConnection,
    traffic: &[TrafficCount],
) -> Result<(), StoreError> {
    // Sum per key first (after truncation, which may merge keys); the sorted order also
    // makes concurrent writers lock rows in the same order.
    let mut sums: BTreeMap<(i64, &str, &str, &str), i64> = BTreeMap::new();
    for t in traffic {
        let key = (
            t.hour,
            truncate_chars(&t.host, TRAFFIC_TEXT_MAX),
            truncate_chars(&t.metric, TRAFFIC_METRIC_MAX),
            truncate_chars(&t.key, TRAFFIC_TEXT_MAX),
        );
        *sums.entry(key).or_default() += t.count;
    }
    let sums: Vec<_> = sums.into_iter().collect();
    let head = "INSERT INTO traffic_counts (hour, host, metric, counter_key, count)";
    let upsert = backend.upsert(
        "traffic_counts",
        "hour, host, metric, counter_key",
        &[("count", "traffic_counts.count + NEW.count")],
    );
    let per = rows_per_insert(backend, 5);
    for chunk in sums.chunks(per) {
        let mut query = sqlx::query(AssertSqlSafe(multi_row_insert(
            backend,
            head,
            5,
            chunk.len(),
            &upsert,
        )));
        for ((hour, host, metric, key), count) in chunk {
            query = query
                .bind(*hour)
                .bind(*host)
                .bind(*metric)
                .bind(*key)
                .bind(*count);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query("adding traffic counts"))?;
    }
    Ok(())
}

async fn save_file_state(
    backend: Backend,
    conn: &mut AnyConnection,
    state: &FileState,
) -> Result<(), StoreError> {
    let offset = i64::try_from(state.offset).map_err(|_| {
        StoreError::Corrupt(format!(
            "log file offset {} is too large to store",
            state.offset
        ))
    })?;
    let upsert = backend.upsert(
        "log_files",
        "path",
        &[
            ("device", "NEW.device"),
            ("inode", "NEW.inode"),
            ("read_offset", "NEW.read_offset"),
            ("fingerprint", "NEW.fingerprint"),
            ("updated_us", "NEW.updated_us"),
        ],
    );
    let sql = format!(
        "INSERT INTO log_files (path, device, inode, read_offset, fingerprint, updated_us) \
         VALUES (?, ?, ?, ?, ?, ?){upsert}"
    );
    sqlx::query(AssertSqlSafe(backend.sql(&sql)))
        .bind(state.path.as_str())
        .bind(state.device as i64)
        .bind(state.inode as i64)
        .bind(offset)
        .bind(state.fingerprint.as_slice())
        .bind(to_us(state.updated))
        .execute(&mut *conn)
        .await
        .map_err(StoreError::query("saving a log file position"))?;
    Ok(())
}

fn record_from_row(row: &AnyRow) -> Result<LogRecordRow, StoreError> {
    const CONTEXT: &str = "reading a log record";
    let id: i64 = get(row, "id", CONTEXT)?;
    Ok(LogRecordRow {
        time: from_us(get(row, "time_us", CONTEXT)?)?,
        host: get(row, "host", CONTEXT)?,
        service: get(row, "service", CONTEXT)?,
        kind: get(row, "kind", CONTEXT)?,
        abusive: get::<i64>(row, "abusive", CONTEXT)? != 0,
        ip: parse_ip(get(row, "ip", CONTEXT)?, "log record", id)?,
        client_name: get(row, "client_name", CONTEXT)?,
        user: get(row, "user_name", CONTEXT)?,
        reason: get(row, "reason", CONTEXT)?,
        country: get(row, "country", CONTEXT)?,
        asn: get::<Option<i64>>(row, "asn", CONTEXT)?
            .map(to_asn)
            .transpose()?,
        as_org: get(row, "as_org", CONTEXT)?,
        rdns: get(row, "rdns", CONTEXT)?,
        rdns_status: get(row, "rdns_status", CONTEXT)?,
    })
}
