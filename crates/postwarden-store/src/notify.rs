//! The notification engine's tables: directives, group timers, notifications (with their
//! ticket numbers), the audit log, and the sends that limits count.
//!
//! Every step is one transaction that *claims* the rows it works on, so parallel dispatchers
//! never take the same work: `FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL/MariaDB, and on
//! SQLite a write transaction begun with `BEGIN IMMEDIATE` (one writer at a time). The steps:
//!
//! 1. [`Store::route_events`]: events not yet routed become directives (the caller's rules
//!    say which), and are marked routed in the same transaction.
//! 2. [`Store::flush_groups`]: the pending directives of due groups become notifications,
//!    each with a ticket number from the per-day sequence.
//! 3. [`Store::claim_notifications`]: notifications due for an attempt are marked `sending`
//!    with a claim that expires (a crashed dispatcher's work is taken over after it).
//! 4. [`Store::take_send_slot`]: limits are checked and the send recorded under a row lock
//!    on the receiver, so limits hold exactly with several dispatchers.
//! 5. [`Store::finish_notifications`]: outcomes and the audit rows, in one transaction.

use crate::events::{COLUMNS as EVENT_COLUMNS, event_from_row};
use crate::logs::{multi_row_insert, rows_per_insert};
use crate::model::StoredEvent;
use crate::rows::get;
use crate::time::{from_us, to_us};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Datelike, Utc};
use postwarden_core::Event;
use sqlx::any::{Any, AnyRow};
use sqlx::{AnyConnection, AssertSqlSafe, Row, Transaction};

/// The first ticket of every day (mailgen's convention): `YYYYMMDD-10000001`.
const FIRST_TICKET: i64 = 10_000_001;

/// A routed (event, receiver, recipient) pair, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDirective {
    pub created: DateTime<Utc>,
    /// The rule that routed it, or `event` for a directive the event carried.
    pub rule: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    /// Directives with the same key go out together.
    pub group_key: String,
    /// The group's labels (aggregate key → value), as a JSON object.
    pub labels: String,
    pub group_wait_us: i64,
    pub group_interval_us: i64,
    pub repeat_interval_us: i64,
}

/// A group with pending directives, and its timers.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingGroup {
    pub group_key: String,
    pub pending: i64,
    /// When its oldest pending directive was made.
    pub first_created_us: i64,
    pub group_wait_us: i64,
    pub group_interval_us: i64,
    pub repeat_interval_us: i64,
    /// When the group last became a notification, if ever.
    pub last_flush_us: Option<i64>,
    /// Hash of the content last sent.
    pub last_hash: Option<String>,
    /// Limits may hold the group back until then.
    pub not_before_us: i64,
}

/// A pending directive claimed for a notification, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDirective {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    pub labels: String,
    pub event: StoredEvent,
}

/// A notification made from a group (or by `notify send`), before it has a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub group_key: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub csv: Option<String>,
    pub content_hash: String,
    pub event_ids: Vec<i64>,
    pub directive_ids: Vec<i64>,
    /// `ready` to be sent, `duplicate` (unchanged within the repeat interval) or `failed`
    /// (it could not be rendered: `error` says why).
    pub status: &'static str,
    pub error: Option<String>,
}

/// A notification claimed for an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedNotification {
    pub id: i64,
    pub ticket: String,
    pub created: DateTime<Utc>,
    pub group_key: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub csv: Option<String>,
    pub content_hash: String,
    pub event_ids: String,
    /// The directives it carries (`a,b,c`): given back to the group if a limit holds it.
    pub directive_ids: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// It was claimed before by a dispatcher that never finished: the provider may already
    /// have it.
    pub recovering: bool,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedAttempt {
    pub id: i64,
    pub ticket: String,
    pub group_key: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub event_ids: String,
    pub directive_ids: String,
    /// The claim this outcome belongs to (the notification's attempt count when claimed):
    /// an outcome whose claim was taken over by another dispatcher changes nothing.
    pub attempts: i64,
    pub time: DateTime<Utc>,
    /// `sent`, `failed`, `retried`, `rate_limited`, `cooldown` or `duplicate`.
    pub status: &'static str,
    /// For `retried`: when to try again. For `rate_limited` and `cooldown`: when the
    /// group's released directives may go out.
    pub next_us: Option<i64>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub provider_id: Option<String>,
    pub parts: Option<i64>,
    pub price: Option<String>,
}

/// A send that limits are asked about: who gets it, what it says, and how far back the
/// limits look.
#[derive(Debug, Clone, Copy)]
pub struct SendSlot<'a> {
    pub channel: &'a str,
    pub recipient: &'a str,
    pub ticket: &'a str,
    pub content_hash: &'a str,
    pub now: DateTime<Utc>,
    pub since_us: i64,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptRecord {
    pub time: DateTime<Utc>,
    pub ticket: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub event_ids: String,
    pub status: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub provider_id: Option<String>,
    pub parts: Option<i64>,
    pub price: Option<String>,
}

/// A notification's state, for `notify send` waiting on its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationState {
    pub status: String,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
}

const DIRECTIVE_COLUMNS: &str = "event_id, created_us, rule, channel, recipient, template, \
     format, group_key, labels, group_wait_us, group_interval_us, repeat_interval_us, status";
const NOTIFICATION_COLUMNS: &str = "ticket, created_us, group_key, channel, recipient, template, \
     format, subject, body, html, csv, content_hash, event_ids, directive_ids, event_count, status, \
     attempts, next_attempt_us, claimed_until_us, idempotency_key, last_error, finished_us";
const ATTEMPT_COLUMNS: &str = "time_us, ticket, channel, recipient, template, event_ids, status, \
     code, message, provider_id, parts, price";

impl Backend {
    /// The row-locking clause for a claim: `FOR UPDATE [OF table] SKIP LOCKED`, or nothing
    /// on SQLite, where the `BEGIN IMMEDIATE` transaction already excludes other writers.
    fn skip_locked(self, table: &str) -> String {
        match self {
            Backend::Sqlite => String::new(),
            Backend::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
            Backend::MySql => " FOR UPDATE SKIP LOCKED".into(),
        }
    }
}

/// `a,b,c` for a list of ids (stored as text in notifications and the audit log).
pub fn id_list(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out
}

/// The ids of an [`id_list`].
fn parse_ids(list: &str) -> Vec<i64> {
    list.split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

/// `(?, ?, …)` with `n` placeholders.
fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3 + 2);
    out.push('(');
    for i in 0..n {
        out.push_str(if i == 0 { "?" } else { ", ?" });
    }
    out.push(')');
    out
}

impl Store {
    /// A write transaction: on SQLite `BEGIN IMMEDIATE`, so it holds the one writer's lock
    /// from the start instead of failing to upgrade a read lock later.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let begun = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres | Backend::MySql => self.pool.begin().await,
        };
        begun.map_err(StoreError::query("starting a transaction"))
    }

    /// Routes up to `limit` events not routed yet, oldest first: `route` says which
    /// directives each becomes (none is fine). Returns how many events were routed.
    pub async fn route_events(
        &self,
        limit: u32,
        mut route: impl FnMut(&StoredEvent) -> Vec<NewDirective>,
    ) -> Result<usize, StoreError> {
        const CONTEXT: &str = "routing events";
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE routed = 0 ORDER BY id LIMIT ?{}",
            self.backend.skip_locked("events")
        );
        let rows = self
            .query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let events: Vec<StoredEvent> = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        let mut directives = Vec::new();
        for event in &events {
            directives.extend(route(event).into_iter().map(|d| (event.id, d)));
        }
        insert_directives(self.backend, &mut tx, &directives).await?;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let routed = "UPDATE events SET routed = 1";
        update_ids(self.backend, &mut tx, routed, &ids, |q| q, CONTEXT).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(events.len())
    }

    /// Stores events that carry their own directives (`events ingest`), in one transaction;
    /// an event with directives counts as routed (rules do not route it again).
    pub async fn insert_events_with_directives(
        &self,
        items: &[(Event, Vec<NewDirective>)],
    ) -> Result<Vec<i64>, StoreError> {
        const CONTEXT: &str = "storing events and their directives";
        let mut tx = self.begin_write().await?;
        let ids = insert_events(self.backend, &mut tx, items).await?;
        let directives: Vec<(i64, NewDirective)> = items
            .iter()
            .zip(&ids)
            .flat_map(|((_, ds), id)| ds.iter().map(move |d| (*id, d.clone())))
            .collect();
        insert_directives(self.backend, &mut tx, &directives).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(ids)
    }

    /// Every group with pending directives, with its timers.
    pub async fn pending_groups(&self) -> Result<Vec<PendingGroup>, StoreError> {
        const CONTEXT: &str = "reading pending notification groups";
        let rows = self
            .query(
                "SELECT d.group_key, COUNT(*) AS pending, MIN(d.created_us) AS first_us, \
                 MIN(d.group_wait_us) AS wait_us, MIN(d.group_interval_us) AS interval_us, \
                 MIN(d.repeat_interval_us) AS repeat_us, MAX(g.last_flush_us) AS last_flush_us, \
                 MAX(g.last_hash) AS last_hash, MAX(g.not_before_us) AS not_before_us \
                 FROM directives d LEFT JOIN notify_groups g ON g.group_key = d.group_key \
                 WHERE d.status = 'pending' GROUP BY d.group_key",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter()
            .map(|row| {
                Ok(PendingGroup {
                    group_key: get(row, "group_key", CONTEXT)?,
                    pending: get(row, "pending", CONTEXT)?,
                    first_created_us: get(row, "first_us", CONTEXT)?,
                    group_wait_us: get(row, "wait_us", CONTEXT)?,
                    group_interval_us: get(row, "interval_us", CONTEXT)?,
                    repeat_interval_us: get(row, "repeat_us", CONTEXT)?,
                    last_flush_us: get(row, "last_flush_us", CONTEXT)?,
                    last_hash: get(row, "last_hash", CONTEXT)?,
                    not_before_us: get::<Option<i64>>(row, "not_before_us", CONTEXT)?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// Claims the pending directives of `group_keys` (each with the `last_flush_us` it was
    /// found due with; a group flushed since by another dispatcher is left alone) and turns
    /// each group into one
    /// notification with `build` (given the group's key, directives and ticket number), all in
    /// one transaction. Returns the tickets made.
    pub async fn flush_groups(
        &self,
        group_keys: &[(String, Option<i64>)],
        now: DateTime<Utc>,
        mut build: impl FnMut(&str, Vec<ClaimedDirective>, &str) -> NewNotification,
    ) -> Result<Vec<String>, StoreError> {
        const CONTEXT: &str = "grouping directives into notifications";
        if group_keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let keys: Vec<String> = group_keys.iter().map(|(key, _)| key.clone()).collect();
        let mut groups = claim_directives(self.backend, &mut tx, &keys).await?;
        // Another dispatcher may have flushed a group since it was found due: leave those.
        let flushed = last_flushes(self.backend, &mut tx, &keys).await?;
        let expected: std::collections::HashMap<&str, Option<i64>> = group_keys
            .iter()
            .map(|(key, last)| (key.as_str(), *last))
            .collect();
        groups.retain(|(key, _)| {
            expected.get(key.as_str()).copied().flatten() == flushed.get(key).copied()
        });
        let tickets = allocate_tickets(self.backend, &mut tx, now, groups.len()).await?;
        let notifications: Vec<NewNotification> = groups
            .into_iter()
            .zip(&tickets)
            .map(|((key, members), ticket)| build(&key, members, ticket))
            .collect();
        insert_notifications(self.backend, &mut tx, now, &notifications, &tickets).await?;
        mark_grouped(self.backend, &mut tx, &notifications).await?;
        record_group_flushes(self.backend, &mut tx, &notifications, now).await?;
        let unsent: Vec<FinishedAttempt> = notifications
            .iter()
            .zip(&tickets)
            .filter(|(n, _)| n.status != "ready")
            .map(|(n, ticket)| audit_of_new(n, ticket, now))
            .collect();
        insert_attempts(self.backend, &mut tx, &unsent).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(tickets)
    }

    /// Stores one notification made outside the rules (`notify send`) with a new ticket.
    pub async fn create_notification(
        &self,
        notification: &NewNotification,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        let tickets = allocate_tickets(self.backend, &mut tx, now, 1).await?;
        insert_notifications(
            self.backend,
            &mut tx,
            now,
            std::slice::from_ref(notification),
            &tickets,
        )
        .await?;
        tx.commit()
            .await
            .map_err(StoreError::query("storing a notification"))?;
        Ok(tickets.into_iter().next().unwrap_or_default())
    }

    /// Claims up to `limit` notifications due for an attempt (ready and due, or left
    /// `sending` by a dispatcher whose claim expired); with `ticket`, only that one.
    pub async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        claim_for_us: i64,
        limit: u32,
        ticket: Option<&str>,
    ) -> Result<Vec<ClaimedNotification>, StoreError> {
        const CONTEXT: &str = "claiming notifications";
        let now_us = to_us(now);
        let mut tx = self.begin_write().await?;
        let only = if ticket.is_some() {
            " AND ticket = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, ticket, created_us, group_key, channel, recipient, template, format, \
             subject, body, html, csv, content_hash, event_ids, directive_ids, attempts, status \
             FROM notifications WHERE ((status = 'ready' AND next_attempt_us <= ?) \
             OR (status = 'sending' AND claimed_until_us <= ?)){only} ORDER BY id LIMIT ?{}",
            self.backend.skip_locked("notifications")
        );
        let mut query = self.query(&sql).bind(now_us).bind(now_us);
        if let Some(ticket) = ticket {
            query = query.bind(ticket.to_owned());
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let claimed: Vec<ClaimedNotification> = rows
            .iter()
            .map(claimed_from_row)
            .collect::<Result<_, _>>()?;
        let ids: Vec<i64> = claimed.iter().map(|n| n.id).collect();
        let sending = "UPDATE notifications SET status = 'sending', attempts = attempts + 1, \
                       claimed_until_us = ?";
        let until = now_us + claim_for_us;
        update_ids(
            self.backend,
            &mut tx,
            sending,
            &ids,
            |q| q.bind(until),
            CONTEXT,
        )
        .await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(claimed)
    }

    /// Checks a receiver's limits and, when they allow it, records the send — under a row
    /// lock on the receiver, so two dispatchers cannot both take the last slot. `decide`
    /// sees the receiver's sends since `since_us` (time, content hash) and returns the
    /// reason to hold back (`rate_limited`, `cooldown`, `duplicate`) or `None`. A ticket
    /// that already holds a slot (a retry) keeps it. Returns the reason, if held back.
    pub async fn take_send_slot(
        &self,
        slot: &SendSlot<'_>,
        decide: impl FnOnce(&[(i64, String)]) -> Option<&'static str>,
    ) -> Result<Option<&'static str>, StoreError> {
        let SendSlot {
            channel,
            recipient,
            ticket,
            content_hash,
            now,
            since_us,
        } = *slot;
        const CONTEXT: &str = "checking notification limits";
        let mut tx = self.begin_write().await?;
        // One upsert takes the receiver's row lock at once (an INSERT IGNORE followed by
        // an UPDATE would let two MySQL transactions deadlock on their shared locks).
        let lock = format!(
            "INSERT INTO notify_limit_keys (channel, recipient, uses) VALUES (?, ?, 1){}",
            self.backend.upsert(
                "notify_limit_keys",
                "channel, recipient",
                &[("uses", "notify_limit_keys.uses + 1")]
            )
        );
        self.query(&lock)
            .bind(channel.to_owned())
            .bind(recipient.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let rows = self
            .query(
                "SELECT time_us, content_hash, ticket FROM notify_sends \
                 WHERE channel = ? AND recipient = ? AND time_us > ? ORDER BY time_us",
            )
            .bind(channel.to_owned())
            .bind(recipient.to_owned())
            .bind(since_us)
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let mut sends = Vec::with_capacity(rows.len());
        for row in &rows {
            let held: String = get(row, "ticket", CONTEXT)?;
            if held == ticket {
                return Ok(None);
            }
            sends.push((
                get(row, "time_us", CONTEXT)?,
                get(row, "content_hash", CONTEXT)?,
            ));
        }
        let refusal = decide(&sends);
        if refusal.is_none() {
            self.query(
                "INSERT INTO notify_sends (channel, recipient, time_us, content_hash, ticket) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(channel.to_owned())
            .bind(recipient.to_owned())
            .bind(to_us(now))
            .bind(content_hash.to_owned())
            .bind(ticket.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        }
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(refusal)
    }

    /// Records outcomes and their audit rows in one transaction. A notification held back
    /// by a limit gives its directives back to its group (they go out with the next one);
    /// a duplicate's directives are marked suppressed.
    pub async fn finish_notifications(&self, done: &[FinishedAttempt]) -> Result<(), StoreError> {
        const CONTEXT: &str = "recording notification outcomes";
        if done.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for attempt in done {
            finish_one(self.backend, &mut tx, attempt).await?;
        }
        insert_attempts(self.backend, &mut tx, done).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))
    }

    /// A notification's current state, by ticket.
    pub async fn notification_state(
        &self,
        ticket: &str,
    ) -> Result<Option<NotificationState>, StoreError> {
        const CONTEXT: &str = "reading a notification";
        let row = self
            .query("SELECT status, last_error, provider_id FROM notifications WHERE ticket = ?")
            .bind(ticket.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        row.map(|row| {
            Ok(NotificationState {
                status: get(&row, "status", CONTEXT)?,
                last_error: get(&row, "last_error", CONTEXT)?,
                provider_id: get(&row, "provider_id", CONTEXT)?,
            })
        })
        .transpose()
    }

    /// The audit log from `since`, oldest first, at most `limit` rows.
    pub async fn notify_attempts(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        const CONTEXT: &str = "reading the notification log";
        let rows = self
            .query(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM notify_attempts WHERE time_us >= ? ORDER BY id LIMIT ?"
            ))
            .bind(to_us(since))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(attempt_from_row).collect()
    }

    /// How many directives are in each status (`pending`, `grouped`, `suppressed`).
    pub async fn directive_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const CONTEXT: &str = "counting directives";
        let rows = self
            .query("SELECT status, COUNT(*) AS n FROM directives GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter()
            .map(|row| Ok((get(row, "status", CONTEXT)?, get(row, "n", CONTEXT)?)))
            .collect()
    }
}

async fn insert_events(
    backend: Backend,
    tx: &mut AnyConnection,
    items: &[(Event, Vec<NewDirective>)],
) -> Result<Vec<i64>, StoreError> {
    const CONTEXT: &str = "storing events";
    const COLUMNS: usize = 12;
    let head = "INSERT INTO events (time_us, kind, severity, source, host, ip, user_name, \
                sender, recipient, summary, attributes, routed)";
    let returning = match backend {
        Backend::MySql => "",
        Backend::Sqlite | Backend::Postgres => " RETURNING id",
    };
    let mut ids = Vec::with_capacity(items.len());
    for chunk in items.chunks(rows_per_insert(backend, COLUMNS).min(500)) {
        let sql = multi_row_insert(backend, head, COLUMNS, chunk.len(), returning);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (e, directives) in chunk {
            let attributes = serde_json::to_string(&e.attributes)
                .map_err(|err| StoreError::Corrupt(format!("event attributes: {err}")))?;
            query = query
                .bind(to_us(e.time))
                .bind(e.kind.clone())
                .bind(e.severity.as_str())
                .bind(e.source.clone())
                .bind(e.host.clone())
                .bind(e.ip.map(|ip| ip.to_string()))
                .bind(e.user.clone())
                .bind(e.sender.clone())
                .bind(e.recipient.clone())
                .bind(e.summary.clone())
                .bind(attributes)
                .bind(i16::from(!directives.is_empty()));
        }
        match backend {
            // InnoDB gives one multi-row INSERT consecutive ids, starting at the reported one.
            Backend::MySql => {
                let first = query
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(CONTEXT))?
                    .last_insert_id()
                    .ok_or_else(|| {
                        StoreError::Corrupt("the database reported no event id".into())
                    })?;
                ids.extend((0..chunk.len() as i64).map(|i| first + i));
            }
            Backend::Sqlite | Backend::Postgres => {
                let rows = query
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(StoreError::query(CONTEXT))?;
                for row in &rows {
                    ids.push(
                        row.try_get::<i64, _>(0)
                            .map_err(StoreError::query(CONTEXT))?,
                    );
                }
            }
        }
    }
    Ok(ids)
}

async fn insert_directives(
    backend: Backend,
    tx: &mut AnyConnection,
    directives: &[(i64, NewDirective)],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 13;
    let head = format!("INSERT INTO directives ({DIRECTIVE_COLUMNS})");
    for chunk in directives.chunks(rows_per_insert(backend, COLUMNS)) {
        let sql = multi_row_insert(backend, &head, COLUMNS, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (event_id, d) in chunk {
            query = query
                .bind(*event_id)
                .bind(to_us(d.created))
                .bind(d.rule.clone())
                .bind(d.channel.clone())
                .bind(d.recipient.clone())
                .bind(d.template.clone())
                .bind(d.format.clone())
                .bind(d.group_key.clone())
                .bind(d.labels.clone())
                .bind(d.group_wait_us)
                .bind(d.group_interval_us)
                .bind(d.repeat_interval_us)
                .bind("pending");
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("storing directives"))?;
    }
    Ok(())
}

/// Each group's `last_flush_us`, row-locked until the transaction ends (so a dispatcher
/// flushing the same group waits, then sees the new value).
async fn last_flushes(
    backend: Backend,
    tx: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    const CONTEXT: &str = "reading groups' last flush";
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres | Backend::MySql => " FOR UPDATE",
    };
    let mut out = std::collections::HashMap::new();
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT group_key, last_flush_us FROM notify_groups WHERE group_key IN {} \
             ORDER BY group_key{lock}",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for key in chunk {
            query = query.bind(key.clone());
        }
        for row in query
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?
        {
            out.insert(
                get(&row, "group_key", CONTEXT)?,
                get(&row, "last_flush_us", CONTEXT)?,
            );
        }
    }
    Ok(out)
}

/// Above this many groups, their directives are found by reading every pending directive
/// in id order (sequential pages) rather than group by group (a page per row).
const SCAN_ALL_ABOVE: usize = 200;

/// The pending directives of `keys` with their events, locked, by group (in `keys` order
/// of first appearance), each group's directives in id order.
async fn claim_directives(
    backend: Backend,
    tx: &mut AnyConnection,
    keys: &[String],
) -> Result<Vec<(String, Vec<ClaimedDirective>)>, StoreError> {
    const CONTEXT: &str = "claiming directives";
    let event_columns: Vec<String> = EVENT_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect();
    let select = format!(
        "SELECT d.id AS d_id, d.group_key AS d_group_key, d.channel AS d_channel, \
         d.recipient AS d_recipient, d.template AS d_template, d.format AS d_format, \
         d.labels AS d_labels, {} FROM directives d JOIN events e ON e.id = d.event_id \
         WHERE d.status = 'pending'",
        event_columns.join(", ")
    );
    let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let mut groups: Vec<(String, Vec<ClaimedDirective>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut add = |key: String, directive: ClaimedDirective| {
        if !wanted.contains(key.as_str()) {
            return;
        }
        let at = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(directive);
    };
    let chunks: Vec<&[String]> = if keys.len() > SCAN_ALL_ABOVE {
        vec![&[]]
    } else {
        keys.chunks(500).collect()
    };
    for chunk in chunks {
        let filter = if chunk.is_empty() {
            String::new()
        } else {
            format!(" AND d.group_key IN {}", placeholders(chunk.len()))
        };
        let sql = format!("{select}{filter} ORDER BY d.id{}", backend.skip_locked("d"));
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for key in chunk {
            query = query.bind(key.clone());
        }
        let rows = query
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for row in &rows {
            add(get(row, "d_group_key", CONTEXT)?, directive_from_row(row)?);
        }
    }
    Ok(groups)
}

fn directive_from_row(row: &AnyRow) -> Result<ClaimedDirective, StoreError> {
    const CONTEXT: &str = "reading a directive";
    Ok(ClaimedDirective {
        id: get(row, "d_id", CONTEXT)?,
        channel: get(row, "d_channel", CONTEXT)?,
        recipient: get(row, "d_recipient", CONTEXT)?,
        template: get(row, "d_template", CONTEXT)?,
        format: get(row, "d_format", CONTEXT)?,
        labels: get(row, "d_labels", CONTEXT)?,
        event: event_from_row(row)?,
    })
}

/// `count` consecutive tickets of `now`'s day (UTC): `YYYYMMDD-NNNNNNNN`.
async fn allocate_tickets(
    backend: Backend,
    tx: &mut AnyConnection,
    now: DateTime<Utc>,
    count: usize,
) -> Result<Vec<String>, StoreError> {
    const CONTEXT: &str = "allocating ticket numbers";
    if count == 0 {
        return Ok(Vec::new());
    }
    let day = i64::from(now.year()) * 10_000 + i64::from(now.month()) * 100 + i64::from(now.day());
    let run = |sql: &str| sqlx::query(AssertSqlSafe(backend.sql(sql)));
    // One upsert, so concurrent allocators queue on the day's row lock.
    let take = format!(
        "INSERT INTO notify_tickets (day, last) VALUES (?, ?){}",
        backend.upsert(
            "notify_tickets",
            "day",
            &[("last", "notify_tickets.last + ?")]
        )
    );
    run(&take)
        .bind(day)
        .bind(FIRST_TICKET - 1 + count as i64)
        .bind(count as i64)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query(CONTEXT))?;
    let last: i64 = run("SELECT last FROM notify_tickets WHERE day = ?")
        .bind(day)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::query(CONTEXT))?
        .try_get(0)
        .map_err(StoreError::query(CONTEXT))?;
    let first = last - count as i64 + 1;
    Ok((first..=last).map(|n| format!("{day}-{n:08}")).collect())
}

async fn insert_notifications(
    backend: Backend,
    tx: &mut AnyConnection,
    now: DateTime<Utc>,
    notifications: &[NewNotification],
    tickets: &[String],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 22;
    let head = format!("INSERT INTO notifications ({NOTIFICATION_COLUMNS})");
    let now_us = to_us(now);
    let rows: Vec<(&NewNotification, &String)> = notifications.iter().zip(tickets).collect();
    for chunk in rows.chunks(200) {
        let sql = multi_row_insert(backend, &head, COLUMNS, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (n, ticket) in chunk {
            let finished = (n.status != "ready").then_some(now_us);
            query = query
                .bind((*ticket).clone())
                .bind(now_us)
                .bind(n.group_key.clone())
                .bind(n.channel.clone())
                .bind(n.recipient.clone())
                .bind(n.template.clone())
                .bind(n.format.clone())
                .bind(n.subject.clone())
                .bind(n.body.clone())
                .bind(n.html.clone())
                .bind(n.csv.clone())
                .bind(n.content_hash.clone())
                .bind(id_list(&n.event_ids))
                .bind(id_list(&n.directive_ids))
                .bind(n.event_ids.len() as i64)
                .bind(n.status)
                .bind(0_i64)
                .bind(now_us)
                .bind(0_i64)
                .bind((*ticket).clone())
                .bind(n.error.clone())
                .bind(finished);
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("storing notifications"))?;
    }
    Ok(())
}

/// Marks the notifications' directives grouped (suppressed, for a duplicate), a thousand
/// ids per statement.
async fn mark_grouped(
    backend: Backend,
    tx: &mut AnyConnection,
    notifications: &[NewNotification],
) -> Result<(), StoreError> {
    for status in ["grouped", "suppressed"] {
        let ids: Vec<i64> = notifications
            .iter()
            .filter(|n| (n.status == "duplicate") == (status == "suppressed"))
            .flat_map(|n| n.directive_ids.iter().copied())
            .collect();
        set_directive_status(backend, tx, &ids, status).await?;
    }
    Ok(())
}

async fn set_directive_status(
    backend: Backend,
    tx: &mut AnyConnection,
    ids: &[i64],
    status: &str,
) -> Result<(), StoreError> {
    let update = "UPDATE directives SET status = ?";
    let bind_status = |q: AnyQuery| q.bind(status.to_owned());
    update_ids(backend, tx, update, ids, bind_status, "updating directives").await
}

type AnyQuery = sqlx::query::Query<'static, Any, sqlx::any::AnyArguments>;

/// Runs `update` (an `UPDATE … SET …` whose own parameters `bind` adds) for the rows with
/// `ids`, a thousand ids per statement.
async fn update_ids(
    backend: Backend,
    tx: &mut AnyConnection,
    update: &str,
    ids: &[i64],
    bind: impl Fn(AnyQuery) -> AnyQuery,
    context: &'static str,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(1000) {
        let sql = format!("{update} WHERE id IN {}", placeholders(chunk.len()));
        let mut query = bind(sqlx::query(AssertSqlSafe(backend.sql(&sql))));
        for id in chunk {
            query = query.bind(*id);
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
    }
    Ok(())
}

/// Remembers when each group last flushed and what it said (for its timers and repeats);
/// a notification that could not be rendered keeps the group's last content.
async fn record_group_flushes(
    backend: Backend,
    tx: &mut AnyConnection,
    notifications: &[NewNotification],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let head = "INSERT INTO notify_groups (group_key, last_flush_us, last_hash, not_before_us)";
    for rendered in [true, false] {
        let mut rows: Vec<&NewNotification> = notifications
            .iter()
            .filter(|n| (n.status != "failed") == rendered)
            .collect();
        // Row locks in key order, as `last_flushes` takes them: no deadlock between the two.
        rows.sort_by(|a, b| a.group_key.cmp(&b.group_key));
        let mut set = vec![("last_flush_us", "NEW.last_flush_us")];
        if rendered {
            set.push(("last_hash", "NEW.last_hash"));
        }
        let upsert = backend.upsert("notify_groups", "group_key", &set);
        for chunk in rows.chunks(500) {
            let sql = multi_row_insert(backend, head, 4, chunk.len(), &upsert);
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for n in chunk {
                query = query
                    .bind(n.group_key.clone())
                    .bind(to_us(now))
                    .bind(n.content_hash.clone())
                    .bind(0_i64);
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("recording groups' flushes"))?;
        }
    }
    Ok(())
}

/// The audit row of a notification that was never attempted (a duplicate, or one that
/// could not be rendered).
fn audit_of_new(n: &NewNotification, ticket: &str, now: DateTime<Utc>) -> FinishedAttempt {
    FinishedAttempt {
        id: 0,
        ticket: ticket.to_owned(),
        group_key: n.group_key.clone(),
        channel: n.channel.clone(),
        recipient: n.recipient.clone(),
        template: n.template.clone(),
        event_ids: id_list(&n.event_ids),
        directive_ids: id_list(&n.directive_ids),
        attempts: 0,
        time: now,
        status: n.status,
        next_us: None,
        code: None,
        message: n.error.clone(),
        provider_id: None,
        parts: None,
        price: None,
    }
}

async fn finish_one(
    backend: Backend,
    tx: &mut AnyConnection,
    a: &FinishedAttempt,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "recording a notification outcome";
    let run = |sql: &str| sqlx::query(AssertSqlSafe(backend.sql(sql)));
    let now_us = to_us(a.time);
    let (status, next_attempt, finished) = match a.status {
        "retried" => ("ready", a.next_us.unwrap_or(now_us), None),
        other => (other, now_us, Some(now_us)),
    };
    let updated = run(
        "UPDATE notifications SET status = ?, next_attempt_us = ?, claimed_until_us = 0, \
         provider_id = COALESCE(?, provider_id), parts = COALESCE(?, parts), \
         price = COALESCE(?, price), last_error = ?, finished_us = ? WHERE id = ? AND attempts = ?",
    )
    .bind(status)
    .bind(next_attempt)
    .bind(a.provider_id.clone())
    .bind(a.parts)
    .bind(a.price.clone())
    .bind(a.message.clone())
    .bind(finished)
    .bind(a.id)
    .bind(a.attempts)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::query(CONTEXT))?
    .rows_affected();
    if updated == 0 {
        // Another dispatcher took the notification over (our claim had expired): its
        // outcome counts, this one is only audited.
        return Ok(());
    }
    match a.status {
        "rate_limited" | "cooldown" => {
            set_directive_status(backend, tx, &parse_ids(&a.directive_ids), "pending").await?;
            // The held-back flush does not count as one: the group goes out as soon as
            // the limit allows, not a group_interval after the attempt.
            run(
                "UPDATE notify_groups SET not_before_us = ?, last_flush_us = 0 WHERE group_key = ?",
            )
            .bind(a.next_us.unwrap_or(now_us))
            .bind(a.group_key.clone())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        }
        "duplicate" => {
            set_directive_status(backend, tx, &parse_ids(&a.directive_ids), "suppressed").await?;
        }
        "failed" => {
            // Nothing was delivered: the send does not count against limits, and the
            // same text may go out again (a repeat or duplicate of nothing is no repeat).
            run("DELETE FROM notify_sends WHERE ticket = ?")
                .bind(a.ticket.clone())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
            run("UPDATE notify_groups SET last_hash = '' WHERE group_key = ?")
                .bind(a.group_key.clone())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
        }
        _ => {}
    }
    Ok(())
}

async fn insert_attempts(
    backend: Backend,
    tx: &mut AnyConnection,
    attempts: &[FinishedAttempt],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 12;
    let head = format!("INSERT INTO notify_attempts ({ATTEMPT_COLUMNS})");
    for chunk in attempts.chunks(500) {
        let sql = multi_row_insert(backend, &head, COLUMNS, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in chunk {
            query = query
                .bind(to_us(a.time))
                .bind(a.ticket.clone())
                .bind(a.channel.clone())
                .bind(a.recipient.clone())
                .bind(a.template.clone())
                .bind(a.event_ids.clone())
                .bind(a.status)
                .bind(a.code.clone())
                .bind(a.message.clone())
                .bind(a.provider_id.clone())
                .bind(a.parts)
                .bind(a.price.clone());
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("writing the notification log"))?;
    }
    Ok(())
}

fn claimed_from_row(row: &AnyRow) -> Result<ClaimedNotification, StoreError> {
    const CONTEXT: &str = "reading a notification";
    let status: String = get(row, "status", CONTEXT)?;
    let attempts: i64 = get(row, "attempts", CONTEXT)?;
    Ok(ClaimedNotification {
        id: get(row, "id", CONTEXT)?,
        ticket: get(row, "ticket", CONTEXT)?,
        created: from_us(get(row, "created_us", CONTEXT)?)?,
        group_key: get(row, "group_key", CONTEXT)?,
        channel: get(row, "channel", CONTEXT)?,
        recipient: get(row, "recipient", CONTEXT)?,
        template: get(row, "template", CONTEXT)?,
        format: get(row, "format", CONTEXT)?,
        subject: get(row, "subject", CONTEXT)?,
        body: get(row, "body", CONTEXT)?,
        html: get(row, "html", CONTEXT)?,
        csv: get(row, "csv", CONTEXT)?,
        content_hash: get(row, "content_hash", CONTEXT)?,
        event_ids: get(row, "event_ids", CONTEXT)?,
        directive_ids: get(row, "directive_ids", CONTEXT)?,
        attempts: attempts + 1,
        // Left `sending` by a dispatcher that died, or tried before with an unclear
        // outcome (a timeout may come after the provider took the message): check first.
        recovering: status == "sending" || attempts > 0,
    })
}

fn attempt_from_row(row: &AnyRow) -> Result<AttemptRecord, StoreError> {
    const CONTEXT: &str = "reading the notification log";
    Ok(AttemptRecord {
        time: from_us(get(row, "time_us", CONTEXT)?)?,
        ticket: get(row, "ticket", CONTEXT)?,
        channel: get(row, "channel", CONTEXT)?,
        recipient: get(row, "recipient", CONTEXT)?,
        template: get(row, "template", CONTEXT)?,
        event_ids: get(row, "event_ids", CONTEXT)?,
        status: get(row, "status", CONTEXT)?,
        code: get(row, "code", CONTEXT)?,
        message: get(row, "message", CONTEXT)?,
        provider_id: get(row, "provider_id", CONTEXT)?,
        parts: get(row, "parts", CONTEXT)?,
        price: get(row, "price", CONTEXT)?,
    })
}
