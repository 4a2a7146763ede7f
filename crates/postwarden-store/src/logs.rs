//! The log reader's tables: `log_records`, `traffic_counts` and `log_files`, and the one
//! transaction that writes them together.
//!
//! [`Store::commit_log_batch`] is on the hot path (a million-line log yields some 400,000
//! records), so records and counters go in as multi-row `INSERT`s, as many rows per
//! statement as the backend's bind-parameter limit allows (capped by
//! [`MAX_ROWS_PER_INSERT`]), all inside one transaction. Counters are summed per key
//! before the upsert, so one statement never touches a row twice (PostgreSQL forbids it).

use crate::backend::truncate_chars;
use crate::events::{Routing, insert_event_with};
use crate::model::{AuthDimension, FileState, JournalState, LogBatch, LogRecordRow, TrafficCount};
use crate::rows::{get, parse_ip, to_asn};
use crate::time::{from_us, hour_of_us, to_us};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

/// The most rows in one multi-row `INSERT`, whatever the bind limit would allow.
const MAX_ROWS_PER_INSERT: usize = 1000;

const RECORD_COLUMNS: &str =
    "time_us, hour, host, service, kind, abusive, ip, client_name, user_name, reason";
/// [`RECORD_COLUMNS`] qualified with the `r` alias of `log_records`.
pub(crate) const RECORD_SELECT: &str = "r.time_us, r.hour, r.host, r.service, r.kind, r.abusive, r.ip, \
     r.client_name, r.user_name, r.reason";
const IP_INFO_COLUMNS: &str = "ip, country, asn, as_org, rdns, rdns_status, updated_us";

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

    /// The saved cursor in the journal `source`, if any.
    pub async fn journal_state(&self, source: &str) -> Result<Option<JournalState>, StoreError> {
        const CONTEXT: &str = "reading a journal position";
        let row = self
            .query("SELECT source, cursor_text, updated_us FROM log_journals WHERE source = ?")
            .bind(source)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(JournalState {
            source: get(&row, "source", CONTEXT)?,
            cursor: get(&row, "cursor_text", CONTEXT)?,
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
        add_auth_counts(self.backend, &mut tx, &batch.records).await?;
        let ip_info = self.changed_ip_info(&batch.records);
        upsert_ip_info(self.backend, &mut tx, &ip_info).await?;
        add_traffic(self.backend, &mut tx, &batch.traffic).await?;
        for event in &batch.events {
            insert_event_with(self.backend, &mut *tx, event, Routing::Pending).await?;
        }
        if let Some(state) = &batch.file_state {
            save_file_state(self.backend, &mut tx, state).await?;
        }
        if let Some(state) = &batch.journal_state {
            save_journal_state(self.backend, &mut tx, state).await?;
        }
        tx.commit()
            .await
            .map_err(StoreError::query("committing a log batch"))?;
        self.remember_ip_info(ip_info);
        Ok(())
    }

    /// The merged enrichment of the batch's addresses, less what this process already stored.
    fn changed_ip_info<'a>(&self, records: &'a [LogRecordRow]) -> Vec<(IpAddr, IpInfo<'a>)> {
        let written = self
            .ip_info_written
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut changed: Vec<_> = merge_ip_info(records)
            .into_iter()
            .filter(|(ip, info)| written.get(ip) != Some(&info.fingerprint()))
            .collect();
        // One order for every writer, so concurrent upserts lock rows in the same order.
        changed.sort_unstable_by_key(|(ip, _)| *ip);
        changed
    }

    /// Called after the commit: only what is durably stored may be skipped next time.
    fn remember_ip_info(&self, stored: Vec<(IpAddr, IpInfo)>) {
        let mut written = self
            .ip_info_written
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if written.len() + stored.len() > WRITTEN_IP_INFO_MAX {
            written.clear();
        }
        for (ip, info) in stored {
            written.insert(ip, info.fingerprint());
        }
    }

    /// Log records at or after `since`, oldest first (for export); with
    /// `only_auth_failures`, only those of kind `auth_failed`.
    pub async fn log_records(
        &self,
        since: DateTime<Utc>,
        only_auth_failures: bool,
    ) -> Result<Vec<LogRecordRow>, StoreError> {
        let filter = if only_auth_failures {
            " AND r.kind = 'auth_failed'"
        } else {
            ""
        };
        let rows = self
            .query(&format!(
                "SELECT r.id, {RECORD_SELECT}, i.country, i.asn, i.as_org, i.rdns, i.rdns_status \
                 FROM log_records r LEFT JOIN ip_info i ON i.ip = r.ip \
                 WHERE r.time_us >= ?{filter} ORDER BY r.time_us, r.id"
            ))
            .bind(to_us(since))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading log records"))?;
        rows.iter().map(record_from_row).collect()
    }
}

/// The columns `head` (`INSERT INTO table (a, b, c)`) names: counted from the list itself,
/// so no count is kept by hand beside it.
pub(crate) fn columns_in(head: &str) -> usize {
    let list = head
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map_or("", |(list, _)| list);
    list.split(',').filter(|c| !c.trim().is_empty()).count()
}

/// `<head> VALUES (?, …), …` for `rows` rows of the columns `head` names (`INSERT INTO
/// table (a, b, c)`), followed by `suffix`, in `backend`'s dialect.
pub(crate) fn multi_row_insert(
    backend: Backend,
    head: &str,
    rows: usize,
    suffix: &str,
) -> Arc<str> {
    let columns = columns_in(head);
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

/// Rows per statement for an insert of the columns `head` names.
pub(crate) fn rows_per_insert(backend: Backend, head: &str) -> usize {
    (backend.max_binds() / columns_in(head).max(1)).min(MAX_ROWS_PER_INSERT)
}

/// The authentication counters of `records`, by dimension, hour and key.
pub(crate) fn auth_counts(records: &[LogRecordRow]) -> BTreeMap<(AuthDimension, i64, String), i64> {
    let mut sums: BTreeMap<(AuthDimension, i64, String), i64> = BTreeMap::new();
    let mut add = |dimension, hour, key: &str| {
        *sums
            .entry((
                dimension,
                hour,
                truncate_chars(key, TRAFFIC_TEXT_MAX).to_owned(),
            ))
            .or_default() += 1;
    };
    for r in records {
        let hour = r.time.timestamp().div_euclid(3600);
        match r.kind.as_str() {
            "auth_success" => add(AuthDimension::Succeeded, hour, ""),
            "auth_failed" => {
                add(AuthDimension::Failed, hour, "");
                if let Some(ip) = r.ip {
                    add(AuthDimension::Ip, hour, &ip.to_string());
                }
                if let Some(user) = &r.user {
                    add(AuthDimension::User, hour, user);
                }
                if let Some(country) = &r.country {
                    add(AuthDimension::Country, hour, country);
                }
                if let Some(asn) = r.asn {
                    add(AuthDimension::Asn, hour, &asn.to_string());
                }
                if let Some(status) = &r.rdns_status {
                    add(AuthDimension::RdnsStatus, hour, status);
                }
            }
            _ => {}
        }
    }
    sums
}

/// Adds the batch's authentication counters (in key order: concurrent writers lock rows in
/// the same order).
async fn add_auth_counts(
    backend: Backend,
    conn: &mut AnyConnection,
    records: &[LogRecordRow],
) -> Result<(), StoreError> {
    let sums: Vec<_> = auth_counts(records).into_iter().collect();
    let head = "INSERT INTO auth_counts (dimension, hour, counter_key, count)";
    let upsert = backend.upsert(
        "auth_counts",
        "dimension, hour, counter_key",
        &[("count", "auth_counts.count + NEW.count")],
    );
    insert_rows(
        backend,
        conn,
        head,
        &upsert,
        &sums,
        "adding authentication counts",
        |query, row| {
            let ((dimension, hour, key), count) = row;
            query
                .bind(dimension.as_str())
                .bind(*hour)
                .bind(key.as_str())
                .bind(*count)
        },
    )
    .await
}

async fn insert_records(
    backend: Backend,
    conn: &mut AnyConnection,
    records: &[LogRecordRow],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO log_records ({RECORD_COLUMNS})");
    let per = rows_per_insert(backend, &head);
    let mut full: Option<Arc<str>> = None;
    for chunk in records.chunks(per) {
        let sql = if chunk.len() == per {
            full.get_or_insert_with(|| multi_row_insert(backend, &head, per, ""))
                .clone()
        } else {
            multi_row_insert(backend, &head, chunk.len(), "")
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
                .bind(r.reason.as_deref());
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query("storing log records"))?;
    }
    Ok(())
}

/// Addresses whose stored enrichment a process remembers before it starts afresh.
const WRITTEN_IP_INFO_MAX: usize = 1 << 20;

/// Per address, a fingerprint of the enrichment this process last stored.
pub(crate) type WrittenIpInfo = HashMap<IpAddr, u64>;

/// The enrichment known of one address, merged over the records of a batch.
#[derive(Default, Hash)]
struct IpInfo<'a> {
    country: Option<&'a str>,
    asn: Option<u32>,
    as_org: Option<&'a str>,
    rdns: Option<&'a str>,
    rdns_status: Option<&'a str>,
}

impl IpInfo<'_> {
    fn fingerprint(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// Each address's enrichment over `records`: a newer answer replaces an older one field by
/// field; a missing answer (no geo data, reverse DNS off) keeps the older.
fn merge_ip_info(records: &[LogRecordRow]) -> HashMap<IpAddr, IpInfo<'_>> {
    let mut merged: HashMap<IpAddr, IpInfo> = HashMap::new();
    for r in records {
        let Some(ip) = r.ip else { continue };
        let info = merged.entry(ip).or_default();
        info.country = r.country.as_deref().or(info.country);
        info.asn = r.asn.or(info.asn);
        info.as_org = r.as_org.as_deref().or(info.as_org);
        if r.rdns_status.is_some() {
            info.rdns = r.rdns.as_deref();
            info.rdns_status = r.rdns_status.as_deref();
        }
    }
    merged
}

/// Stores the enrichment of each address once; the SQL merges with what is stored the same
/// way [`merge_ip_info`] merges within a batch.
async fn upsert_ip_info(
    backend: Backend,
    conn: &mut AnyConnection,
    merged: &[(IpAddr, IpInfo<'_>)],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO ip_info ({IP_INFO_COLUMNS})");
    let upsert = backend.upsert(
        "ip_info",
        "ip",
        &[
            ("country", "COALESCE(NEW.country, ip_info.country)"),
            ("asn", "COALESCE(NEW.asn, ip_info.asn)"),
            ("as_org", "COALESCE(NEW.as_org, ip_info.as_org)"),
            (
                "rdns",
                "CASE WHEN NEW.rdns_status IS NULL THEN ip_info.rdns ELSE NEW.rdns END",
            ),
            (
                "rdns_status",
                "COALESCE(NEW.rdns_status, ip_info.rdns_status)",
            ),
            ("updated_us", "NEW.updated_us"),
        ],
    );
    let updated = to_us(chrono::Utc::now());
    for chunk in merged.chunks(rows_per_insert(backend, &head)) {
        let sql = multi_row_insert(backend, &head, chunk.len(), &upsert);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (ip, info) in chunk {
            query = query
                .bind(ip.to_string())
                .bind(info.country)
                .bind(info.asn.map(i64::from))
                .bind(info.as_org)
                .bind(info.rdns)
                .bind(info.rdns_status)
                .bind(updated);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query("storing address enrichment"))?;
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
    insert_rows(
        backend,
        conn,
        head,
        &upsert,
        &sums,
        "adding traffic counts",
        |query, row| {
            let ((hour, host, metric, key), count) = row;
            query
                .bind(*hour)
                .bind(*host)
                .bind(*metric)
                .bind(*key)
                .bind(*count)
        },
    )
    .await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Inserts `rows` with as few multi-row statements as the backend's bind limit allows:
/// `head` names the columns, `suffix` may make it an upsert, `bind` binds one row's values
/// in the order of `head`.
pub(crate) async fn insert_rows<'r, T>(
    backend: Backend,
    conn: &mut AnyConnection,
    head: &str,
    suffix: &str,
    rows: &'r [T],
    context: &'static str,
    bind: impl Fn(AnyQuery<'r>, &'r T) -> AnyQuery<'r>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(rows_per_insert(backend, head).max(1)) {
        let mut query = sqlx::query(AssertSqlSafe(multi_row_insert(
            backend,
            head,
            chunk.len(),
            suffix,
        )));
        for row in chunk {
            query = bind(query, row);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query(context))?;
    }
    Ok(())
}

async fn save_journal_state(
    backend: Backend,
    conn: &mut AnyConnection,
    state: &JournalState,
) -> Result<(), StoreError> {
    let upsert = backend.upsert(
        "log_journals",
        "source",
        &[
            ("cursor_text", "NEW.cursor_text"),
            ("updated_us", "NEW.updated_us"),
        ],
    );
    let sql = format!(
        "INSERT INTO log_journals (source, cursor_text, updated_us) VALUES (?, ?, ?){upsert}"
    );
    sqlx::query(AssertSqlSafe(backend.sql(&sql)))
        .bind(state.source.as_str())
        .bind(state.cursor.as_str())
        .bind(to_us(state.updated))
        .execute(&mut *conn)
        .await
        .map_err(StoreError::query("saving a journal position"))?;
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

pub(crate) fn record_from_row(row: &AnyRow) -> Result<LogRecordRow, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_count_comes_from_the_list_itself() {
        assert_eq!(columns_in("INSERT INTO t (a, b, c)"), 3);
        assert_eq!(
            columns_in(&format!("INSERT INTO log_records ({RECORD_COLUMNS})")),
            10
        );
        assert_eq!(columns_in("INSERT INTO t (only)"), 1);
        let sql = multi_row_insert(Backend::Postgres, "INSERT INTO t (a, b)", 2, "");
        assert_eq!(&*sql, "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)");
    }
}
