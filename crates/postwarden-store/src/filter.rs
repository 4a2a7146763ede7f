//! The content filter's tables: `messages` (one row per message handled, with its events
//! in the same transaction), `quarantine` (metadata; the bytes live on disk, named by
//! digest) and `list_entries` (allow/block entries edited outside the configuration).

use crate::events::{Routing, insert_event_with};
use crate::rows::get;
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::Event;
use sqlx::any::AnyRow;

/// One message the filter handled.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MessageRecord {
    /// The reference id quoted in replies and trace headers.
    pub id: String,
    pub time: DateTime<Utc>,
    pub queue_id: Option<String>,
    pub client_ip: Option<String>,
    pub client_name: Option<String>,
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub size: u64,
    pub score: f64,
    /// The findings, as JSON.
    pub findings: serde_json::Value,
    /// Recipient → action, as JSON.
    pub verdicts: serde_json::Value,
    /// What Postfix was answered.
    pub reply: String,
    pub duration_us: i64,
}

/// A quarantined message's metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuarantineRecord {
    /// The message's reference id.
    pub id: String,
    pub time: DateTime<Utc>,
    /// SHA-256 of the message bytes, hex: the file's name in the quarantine directory.
    pub digest: String,
    pub mail_from: String,
    /// The recipients it was quarantined for (a release delivers to these).
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub size: u64,
    pub reason: String,
    pub released: Option<DateTime<Utc>>,
    pub released_by: Option<String>,
    pub deleted: Option<DateTime<Utc>>,
}

/// An allow or block entry stored in the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListEntry {
    /// `allow` or `block`.
    pub list: String,
    /// `sender`, `recipient`, `client` or `header`.
    pub field: String,
    pub value: String,
}

const QUARANTINE_COLUMNS: &str = "id, time_us, digest, mail_from, recipients, subject, size, \
     reason, released_us, released_by, deleted_us";

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding JSON: {e}")))
}

fn size(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores records of messages with their events, all in one transaction (a group
    /// commit: one commit for the messages of many concurrent sessions).
    pub async fn record_messages(
        &self,
        batch: &[(MessageRecord, Vec<Event>)],
    ) -> Result<(), StoreError> {
        const CONTEXT: &str = "storing message records";
        let sql = self.backend.sql(
            "INSERT INTO messages (id, time_us, queue_id, client_ip, client_name, mail_from, \
             recipients, subject, size, score, findings, verdicts, reply, duration_us) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for (record, events) in batch {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(record.id.as_str())
                .bind(to_us(record.time))
                .bind(record.queue_id.as_deref())
                .bind(record.client_ip.as_deref())
                .bind(record.client_name.as_deref())
                .bind(record.mail_from.as_str())
                .bind(json(&record.recipients)?)
                .bind(record.subject.as_deref())
                .bind(size(record.size))
                .bind(record.score)
                .bind(json(&record.findings)?)
                .bind(json(&record.verdicts)?)
                .bind(record.reply.as_str())
                .bind(record.duration_us)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
            for event in events {
                insert_event_with(self.backend, &mut *tx, event, Routing::Pending).await?;
            }
        }
        insert_addresses(self.backend, &mut tx, batch).await?;
        add_to_mail_flow(self.backend, &mut tx, batch).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))
    }

    /// Stores a quarantine entry (the file must already be durable).
    pub async fn insert_quarantine(&self, q: &QuarantineRecord) -> Result<(), StoreError> {
        const CONTEXT: &str = "storing a quarantine entry";
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        self.query(&format!(
            "INSERT INTO quarantine ({QUARANTINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(q.id.as_str())
        .bind(to_us(q.time))
        .bind(q.digest.as_str())
        .bind(q.mail_from.as_str())
        .bind(json(&q.recipients)?)
        .bind(q.subject.as_deref())
        .bind(size(q.size))
        .bind(q.reason.as_str())
        .bind(q.released.map(to_us))
        .bind(q.released_by.as_deref())
        .bind(q.deleted.map(to_us))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query(CONTEXT))?;
        let rows: Vec<([Option<String>; 3], i64)> = q
            .recipients
            .iter()
            .map(|r| {
                let (address, domain) = address_and_domain(r);
                (
                    [Some(q.id.clone()), Some(address), Some(domain)],
                    to_us(q.time),
                )
            })
            .collect();
        insert_index_rows(
            self.backend,
            &mut tx,
            "INSERT INTO quarantine_recipients (quarantine_id, address, domain, time_us)",
            &rows,
        )
        .await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))
    }

    /// Quarantine entries not deleted, newest first, at most `limit`.
    pub async fn quarantine_entries(
        &self,
        limit: u32,
    ) -> Result<Vec<QuarantineRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE deleted_us IS NULL \
                 ORDER BY time_us DESC, id {}",
                crate::limit(limit)
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing the quarantine"))?;
        rows.iter().map(quarantine_from_row).collect()
    }

    /// One quarantine entry by id.
    pub async fn quarantine_entry(&self, id: &str) -> Result<Option<QuarantineRecord>, StoreError> {
        let row = self
            .query(&format!(
                "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a quarantine entry"))?;
        row.as_ref().map(quarantine_from_row).transpose()
    }

    /// Whether an entry not deleted still refers to the file with `digest` (the same
    /// message quarantined twice shares one file).
    pub async fn quarantine_digest_in_use(&self, digest: &str) -> Result<bool, StoreError> {
        const CONTEXT: &str = "checking a quarantine file's use";
        let row = self
            .query("SELECT COUNT(*) FROM quarantine WHERE digest = ? AND deleted_us IS NULL")
            .bind(digest)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        Ok(crate::rows::at::<i64>(&row, 0, CONTEXT)? > 0)
    }

    /// Records that the entry was deleted at `when` (its file is removed by the caller).
    pub async fn mark_deleted(&self, id: &str, when: DateTime<Utc>) -> Result<(), StoreError> {
        self.query("UPDATE quarantine SET deleted_us = ? WHERE id = ?")
            .bind(to_us(when))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("marking a quarantine entry deleted"))?;
        Ok(())
    }

    /// Every global allow/block entry in the store (those a domain or user owns are read
    /// with [`Store::owned_list_entries`]).
    pub async fn list_entries(&self) -> Result<Vec<ListEntry>, StoreError> {
        const CONTEXT: &str = "reading list entries";
        let rows = self
            .query("SELECT list, field, value FROM list_entries WHERE owner IS NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter()
            .map(|row| {
                Ok(ListEntry {
                    list: get(row, "list", CONTEXT)?,
                    field: get(row, "field", CONTEXT)?,
                    value: get(row, "value", CONTEXT)?,
                })
            })
            .collect()
    }

    /// Adds an allow/block entry.
    pub async fn add_list_entry(
        &self,
        entry: &ListEntry,
        comment: Option<&str>,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO list_entries (list, field, value, comment, created_us) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(entry.list.as_str())
        .bind(entry.field.as_str())
        .bind(entry.value.as_str())
        .bind(comment)
        .bind(to_us(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("adding a list entry"))?;
        Ok(())
    }
}

fn owned_entry(row: &AnyRow, context: &'static str) -> Result<OwnedListEntry, StoreError> {
    Ok(OwnedListEntry {
        id: get(row, "id", context)?,
        list: get(row, "list", context)?,
        field: get(row, "field", context)?,
        value: get(row, "value", context)?,
        owner: get(row, "owner", context)?,
        comment: get(row, "comment", context)?,
    })
}

/// A list entry with its id and owner, as the console and the API edit them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OwnedListEntry {
    pub id: i64,
    /// `allow` or `block`.
    pub list: String,
    /// `sender`, `recipient`, `client` or `header`.
    pub field: String,
    pub value: String,
    /// `None`: global; `@domain`: a domain's; an address: a user's.
    pub owner: Option<String>,
    pub comment: Option<String>,
}

impl Store {
    /// List entries of the given owners (`None` in `owners` means the global ones), by id.
    pub async fn owned_list_entries(
        &self,
        owners: &[Option<String>],
    ) -> Result<Vec<OwnedListEntry>, StoreError> {
        const CONTEXT: &str = "reading list entries";
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        let named: Vec<&String> = owners.iter().flatten().collect();
        let mut conditions = Vec::new();
        if owners.iter().any(Option::is_none) {
            conditions.push("owner IS NULL".to_string());
        }
        if !named.is_empty() {
            conditions.push(format!("owner IN ({})", vec!["?"; named.len()].join(", ")));
        }
        let mut query = self.query(&format!(
            "SELECT id, list, field, value, owner, comment FROM list_entries WHERE {} ORDER BY id",
            conditions.join(" OR ")
        ));
        for owner in named {
            query = query.bind(owner.to_lowercase());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(|row| owned_entry(row, CONTEXT)).collect()
    }

    /// Every list entry, global and owned, by id (what the filter's `lists` processor
    /// applies with `from_store = true`).
    pub async fn every_list_entry(&self) -> Result<Vec<OwnedListEntry>, StoreError> {
        const CONTEXT: &str = "reading list entries";
        let rows = self
            .query("SELECT id, list, field, value, owner, comment FROM list_entries ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(|row| owned_entry(row, CONTEXT)).collect()
    }

    /// Adds an entry for `owner` (`None`: global) and returns its id.
    pub async fn add_owned_list_entry(
        &self,
        entry: &ListEntry,
        owner: Option<&str>,
        comment: Option<&str>,
    ) -> Result<i64, StoreError> {
        const CONTEXT: &str = "adding a list entry";
        let owner = owner.map(str::to_lowercase);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        self.query(
            "INSERT INTO list_entries (list, field, value, comment, created_us, owner) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.list.clone())
        .bind(entry.field.clone())
        .bind(entry.value.clone())
        .bind(comment.map(str::to_string))
        .bind(to_us(Utc::now()))
        .bind(owner.clone())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query(CONTEXT))?;
        let row = self
            .query(
                "SELECT MAX(id) FROM list_entries WHERE list = ? AND field = ? AND value = ? \
                 AND (owner = ? OR (owner IS NULL AND ? IS NULL))",
            )
            .bind(entry.list.clone())
            .bind(entry.field.clone())
            .bind(entry.value.clone())
            .bind(owner.clone())
            .bind(owner)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let id = crate::rows::at::<i64>(&row, 0, CONTEXT)?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(id)
    }

    /// One entry by id.
    pub async fn owned_list_entry(&self, id: i64) -> Result<Option<OwnedListEntry>, StoreError> {
        const CONTEXT: &str = "reading a list entry";
        let row = self
            .query("SELECT id, list, field, value, owner, comment FROM list_entries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        row.map(|row| owned_entry(&row, CONTEXT)).transpose()
    }

    /// Removes an entry; false when there was none.
    pub async fn delete_list_entry(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .query("DELETE FROM list_entries WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("removing a list entry"))?
            .rows_affected()
            > 0)
    }
}

/// The lower-cased address and its domain (after the last `@`; empty for the null sender).
pub(crate) fn address_and_domain(address: &str) -> (String, String) {
    let address = address.to_lowercase();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    (address, domain)
}

/// Indexes the batch's senders and recipients (with each one's action) for who may see
/// them: as few multi-row statements as the backend's bind limit allows, for the whole
/// batch (the filter's recorder commits many messages at once).
async fn insert_addresses(
    backend: crate::Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    batch: &[(MessageRecord, Vec<Event>)],
) -> Result<(), StoreError> {
    let mut rows: Vec<([Option<String>; 5], i64)> = Vec::new();
    for (record, _) in batch {
        let time_us = to_us(record.time);
        if !record.mail_from.is_empty() {
            let (address, domain) = address_and_domain(&record.mail_from);
            rows.push((
                [
                    Some(record.id.clone()),
                    Some(address),
                    Some(domain),
                    Some("s".into()),
                    None,
                ],
                time_us,
            ));
        }
        for recipient in &record.recipients {
            let (address, domain) = address_and_domain(recipient);
            let action = record
                .verdicts
                .get(recipient)
                .and_then(|v| v.get("action"))
                .and_then(|a| a.as_str())
                .map(str::to_string);
            rows.push((
                [
                    Some(record.id.clone()),
                    Some(address),
                    Some(domain),
                    Some("r".into()),
                    action,
                ],
                time_us,
            ));
        }
    }
    insert_index_rows(
        backend,
        tx,
        "INSERT INTO message_addresses (message_id, address, domain, role, action, time_us)",
        &rows,
    )
    .await
}

/// Adds the batch's recipients to the hourly `mail_flow` counters (per domain and action),
/// one upsert per counter, in key order so concurrent batches cannot deadlock.
async fn add_to_mail_flow(
    backend: crate::Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    batch: &[(MessageRecord, Vec<Event>)],
) -> Result<(), StoreError> {
    const CONTEXT: &str = "counting mail flow";
    let mut counts: std::collections::BTreeMap<(i64, String, String), i64> = Default::default();
    for (record, _) in batch {
        let hour = crate::time::hour_of_us(to_us(record.time));
        for recipient in &record.recipients {
            let (_, domain) = address_and_domain(recipient);
            let action = record
                .verdicts
                .get(recipient)
                .and_then(|v| v.get("action"))
                .and_then(|a| a.as_str())
                .unwrap_or("unknown")
                .to_string();
            *counts.entry((hour, domain, action)).or_default() += 1;
        }
    }
    let sql = format!(
        "INSERT INTO mail_flow (hour, domain, action, n) VALUES (?, ?, ?, ?){}",
        backend.upsert(
            "mail_flow",
            "hour, domain, action",
            &[("n", "mail_flow.n + NEW.n")]
        )
    );
    let sql = backend.sql(&sql);
    for ((hour, domain, action), n) in counts {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(hour)
            .bind(crate::backend::truncate_chars(&domain, 255).to_string())
            .bind(action)
            .bind(n)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
    }
    Ok(())
}

/// Inserts rows of text columns followed by one `time_us` column, as few statements as the
/// backend's bind limit allows.
async fn insert_index_rows<const N: usize>(
    backend: crate::Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    head: &str,
    rows: &[([Option<String>; N], i64)],
) -> Result<(), StoreError> {
    const CONTEXT: &str = "indexing a message's addresses";
    debug_assert_eq!(crate::logs::columns_in(head), N + 1, "{head}");
    let per = crate::logs::rows_per_insert(backend, head).max(1);
    let mut full: Option<std::sync::Arc<str>> = None;
    for chunk in rows.chunks(per) {
        let sql = if chunk.len() == per {
            full.get_or_insert_with(|| crate::logs::multi_row_insert(backend, head, per, ""))
                .clone()
        } else {
            crate::logs::multi_row_insert(backend, head, chunk.len(), "")
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (row, time_us) in chunk {
            for value in row {
                query = query.bind(value.clone());
            }
            query = query.bind(*time_us);
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
    }
    Ok(())
}

pub(crate) fn quarantine_from_row(row: &AnyRow) -> Result<QuarantineRecord, StoreError> {
    const CONTEXT: &str = "reading a quarantine entry";
    let id: String = get(row, "id", CONTEXT)?;
    let recipients: String = get(row, "recipients", CONTEXT)?;
    let optional_time = |column| -> Result<Option<DateTime<Utc>>, StoreError> {
        get::<Option<i64>>(row, column, CONTEXT)?
            .map(from_us)
            .transpose()
    };
    Ok(QuarantineRecord {
        recipients: serde_json::from_str(&recipients).map_err(|e| {
            StoreError::Corrupt(format!("quarantine entry {id} has invalid recipients: {e}"))
        })?,
        time: from_us(get(row, "time_us", CONTEXT)?)?,
        digest: get(row, "digest", CONTEXT)?,
        mail_from: get(row, "mail_from", CONTEXT)?,
        subject: get(row, "subject", CONTEXT)?,
        size: get::<i64>(row, "size", CONTEXT)?.max(0) as u64,
        reason: get(row, "reason", CONTEXT)?,
        released: optional_time("released_us")?,
        released_by: get(row, "released_by", CONTEXT)?,
        deleted: optional_time("deleted_us")?,
        id,
    })
}
