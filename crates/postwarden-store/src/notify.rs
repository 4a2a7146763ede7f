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
//!    each with a ticket number from the per-day sequence. A group's row says how far it has
//!    been flushed (`flushed_through`, a directive id); directives themselves never change.
//!    Whoever adds to a group or flushes it holds the group's row lock, so a group's
//!    directive ids grow in commit order and no flush skips one committed late.
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
use futures_util::TryStreamExt;
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
    pub id: i64,
    pub group_key: String,
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
    pub event: StoredEvent,
}

/// A due group claimed for a notification: its receiver, template and labels, and its
/// pending directives in id order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedGroup {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    /// Aggregate key → value, as a JSON object.
    pub labels: String,
    pub directives: Vec<ClaimedDirective>,
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
    /// [`NewStatus::Ready`] to be sent, or already settled: a duplicate or unrenderable.
    pub status: NewStatus,
    pub error: Option<String>,
}

/// What a notification is when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewStatus {
    /// To be sent.
    Ready,
    /// Unchanged within the group's repeat interval: not sent.
    Duplicate,
    /// It could not be rendered (the notification's `error` says why).
    Failed,
}

impl NewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NewStatus::Ready => "ready",
            NewStatus::Duplicate => AttemptStatus::Duplicate.as_str(),
            NewStatus::Failed => AttemptStatus::Failed.as_str(),
        }
    }

    /// The audit status of a notification settled when it was made.
    fn settled(self) -> Option<AttemptStatus> {
        match self {
            NewStatus::Ready => None,
            NewStatus::Duplicate => Some(AttemptStatus::Duplicate),
            NewStatus::Failed => Some(AttemptStatus::Failed),
        }
    }
}

/// What one attempt came to: the audit's `status`, and what the notification becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptStatus {
    /// The provider took it.
    Sent,
    /// It cannot be sent (a permanent error, or retries ran out).
    Failed,
    /// A temporary error: it goes out again at `next_us`.
    Retried,
    /// Held back by the channel's rate limit; its events go back to the group.
    RateLimited,
    /// Held back by the cooldown for the same text; its events go back to the group.
    Cooldown,
    /// Unchanged within the repeat interval: not sent.
    Duplicate,
    /// An earlier attempt crashed and the provider cannot say whether it took the message
    /// (its history refused): held for an operator, never recorded as failed.
    Unknown,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Sent => "sent",
            AttemptStatus::Failed => "failed",
            AttemptStatus::Retried => "retried",
            AttemptStatus::RateLimited => "rate_limited",
            AttemptStatus::Cooldown => "cooldown",
            AttemptStatus::Duplicate => "duplicate",
            AttemptStatus::Unknown => "unknown",
        }
    }
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
    /// The events it carries (`a,b,c`): given back to the group if a limit holds it.
    pub event_ids: String,
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
    /// The claim this outcome belongs to (the notification's attempt count when claimed):
    /// an outcome whose claim was taken over by another dispatcher changes nothing.
    pub attempts: i64,
    pub time: DateTime<Utc>,
    pub status: AttemptStatus,
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

const GROUP_COLUMNS: &str = "group_key, rule, channel, recipient, template, format, labels, \
     group_wait_us, group_interval_us, repeat_interval_us, pending_since_us, flushed_through, \
     not_before_us";
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
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
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
            "SELECT {EVENT_COLUMNS} FROM events WHERE routed = 0 ORDER BY id {}{}",
            crate::limit(limit),
            self.backend.skip_locked("events")
        );
        let rows = self
            .query(&sql)
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
                "SELECT id, group_key, pending_since_us, group_wait_us, group_interval_us, \
                 repeat_interval_us, last_flush_us, last_hash, not_before_us \
                 FROM notify_groups WHERE pending_since_us IS NOT NULL",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter()
            .map(|row| {
                Ok(PendingGroup {
                    id: get(row, "id", CONTEXT)?,
                    group_key: get(row, "group_key", CONTEXT)?,
                    first_created_us: get(row, "pending_since_us", CONTEXT)?,
                    group_wait_us: get(row, "group_wait_us", CONTEXT)?,
                    group_interval_us: get(row, "group_interval_us", CONTEXT)?,
                    repeat_interval_us: get(row, "repeat_interval_us", CONTEXT)?,
                    last_flush_us: get(row, "last_flush_us", CONTEXT)?,
                    last_hash: get(row, "last_hash", CONTEXT)?,
                    not_before_us: get(row, "not_before_us", CONTEXT)?,
                })
            })
            .collect()
    }

    /// Claims the groups `due` (each with the `last_flush_us` it was found due with; a group
    /// flushed since, or being flushed, by another dispatcher is left alone) with their
    /// pending directives, and turns them into notifications with `build` (given the groups
    /// and a ticket number for each; it returns one notification per group, in order), all
    /// in one transaction. Returns the tickets made.
    pub async fn flush_groups(
        &self,
        due: &[(i64, Option<i64>)],
        now: DateTime<Utc>,
        build: impl FnOnce(Vec<ClaimedGroup>, &[String]) -> Vec<NewNotification>,
    ) -> Result<Vec<String>, StoreError> {
        const CONTEXT: &str = "grouping directives into notifications";
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let mut tx = self.begin_write().await?;
        let groups = claim_groups(self.backend, &mut tx, due).await?;
        let groups = claim_directives(self.backend, &mut tx, groups).await?;
        let claimed = started.elapsed();
        let tickets = allocate_tickets(self.backend, &mut tx, now, groups.len()).await?;
        let flushed: Vec<(i64, i64)> = groups
            .iter()
            .map(|g| (g.id, g.directives.last().map_or(0, |d| d.id)))
            .collect();
        let notifications = build(groups, &tickets);
        let built = started.elapsed();
        if notifications.len() != flushed.len() {
            return Err(StoreError::Corrupt(format!(
                "{} notifications built for {} groups",
                notifications.len(),
                flushed.len()
            )));
        }
        let flushed: Vec<GroupFlush> = flushed
            .into_iter()
            .zip(&notifications)
            .map(|((id, through), n)| GroupFlush {
                id,
                through,
                hash: (n.status != NewStatus::Failed).then(|| n.content_hash.clone()),
            })
            .collect();
        insert_notifications(self.backend, &mut tx, now, &notifications, &tickets).await?;
        record_group_flushes(self.backend, &mut tx, &flushed, now).await?;
        let unsent: Vec<FinishedAttempt> = notifications
            .iter()
            .zip(&tickets)
            .filter_map(|(n, ticket)| {
                n.status
                    .settled()
                    .map(|status| audit_of_new(n, ticket, status, now))
            })
            .collect();
        insert_attempts(self.backend, &mut tx, &unsent).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        tracing::debug!(
            groups = tickets.len(),
            ?claimed,
            built = ?(built - claimed),
            stored = ?(started.elapsed() - built),
            "flushed"
        );
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
             subject, body, html, csv, content_hash, event_ids, attempts, status \
             FROM notifications WHERE ((status = 'ready' AND next_attempt_us <= ?) \
             OR (status = 'sending' AND claimed_until_us <= ?)){only} ORDER BY id {}{}",
            crate::limit(limit),
            self.backend.skip_locked("notifications")
        );
        let mut query = self.query(&sql).bind(now_us).bind(now_us);
        if let Some(ticket) = ticket {
            query = query.bind(ticket.to_owned());
        }
        let rows = query
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
    pub async fn take_send_slot<Held>(
        &self,
        slot: &SendSlot<'_>,
        decide: impl FnOnce(&[(i64, String)]) -> Option<Held>,
    ) -> Result<Option<Held>, StoreError> {
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
    /// by a limit gives its events back to its group (they go out with the next one).
    pub async fn finish_notifications(&self, done: &[FinishedAttempt]) -> Result<(), StoreError> {
        const CONTEXT: &str = "recording notification outcomes";
        if done.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let (sent, mut others): (Vec<&FinishedAttempt>, Vec<&FinishedAttempt>) =
            done.iter().partition(|a| a.status == AttemptStatus::Sent);
        finish_sent(self.backend, &mut tx, &sent).await?;
        // Group rows are locked in key order, as flushes lock them.
        others.sort_by(|a, b| a.group_key.cmp(&b.group_key));
        for attempt in others {
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
                "SELECT {ATTEMPT_COLUMNS} FROM notify_attempts WHERE time_us >= ? ORDER BY id {}",
                crate::limit(limit)
            ))
            .bind(to_us(since))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(attempt_from_row).collect()
    }
}

async fn insert_events(
    backend: Backend,
    tx: &mut AnyConnection,
    items: &[(Event, Vec<NewDirective>)],
) -> Result<Vec<i64>, StoreError> {
    const CONTEXT: &str = "storing events";
    let head = "INSERT INTO events (time_us, kind, severity, source, host, ip, user_name, \
                sender, recipient, summary, attributes, routed)";
    let returning = match backend {
        Backend::MySql => "",
        Backend::Sqlite | Backend::Postgres => " RETURNING id",
    };
    let mut ids = Vec::with_capacity(items.len());
    for chunk in items.chunks(rows_per_insert(backend, head).min(500)) {
        let sql = multi_row_insert(backend, head, chunk.len(), returning);
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

/// Stores routed directives: first each group's row (created, or marked pending; locked in
/// key order until the transaction ends), then the directives, so that a group's directive
/// ids are allocated only while its row is held.
async fn insert_directives(
    backend: Backend,
    tx: &mut AnyConnection,
    directives: &[(i64, NewDirective)],
) -> Result<(), StoreError> {
    if directives.is_empty() {
        return Ok(());
    }
    let mut groups: Vec<&NewDirective> = directives.iter().map(|(_, d)| d).collect();
    groups.sort_by(|a, b| a.group_key.cmp(&b.group_key));
    groups.dedup_by(|a, b| a.group_key == b.group_key);
    upsert_groups(backend, tx, &groups).await?;
    let keys: Vec<&str> = groups.iter().map(|d| d.group_key.as_str()).collect();
    let ids = group_ids(backend, tx, &keys).await?;
    let head = "INSERT INTO directives (group_id, event_id, created_us)";
    for chunk in directives.chunks(rows_per_insert(backend, head)) {
        let sql = multi_row_insert(backend, head, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (event_id, d) in chunk {
            let group = ids.get(&d.group_key).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("notification group {} vanished", d.group_key))
            })?;
            query = query.bind(group).bind(*event_id).bind(to_us(d.created));
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("storing directives"))?;
    }
    Ok(())
}

/// Creates the groups that do not exist yet and marks the others pending (their timers
/// follow the current rules).
async fn upsert_groups(
    backend: Backend,
    tx: &mut AnyConnection,
    groups: &[&NewDirective],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO notify_groups ({GROUP_COLUMNS})");
    let upsert = backend.upsert(
        "notify_groups",
        "group_key",
        &[
            ("group_wait_us", "NEW.group_wait_us"),
            ("group_interval_us", "NEW.group_interval_us"),
            ("repeat_interval_us", "NEW.repeat_interval_us"),
            (
                "pending_since_us",
                "COALESCE(notify_groups.pending_since_us, NEW.pending_since_us)",
            ),
        ],
    );
    for chunk in groups.chunks(rows_per_insert(backend, &head).min(500)) {
        let sql = multi_row_insert(backend, &head, chunk.len(), &upsert);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for d in chunk {
            query = query
                .bind(d.group_key.clone())
                .bind(d.rule.clone())
                .bind(d.channel.clone())
                .bind(d.recipient.clone())
                .bind(d.template.clone())
                .bind(d.format.clone())
                .bind(d.labels.clone())
                .bind(d.group_wait_us)
                .bind(d.group_interval_us)
                .bind(d.repeat_interval_us)
                .bind(to_us(d.created))
                .bind(0_i64)
                .bind(0_i64);
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("storing notification groups"))?;
    }
    Ok(())
}

/// The ids of the groups with `keys`.
async fn group_ids(
    backend: Backend,
    tx: &mut AnyConnection,
    keys: &[&str],
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    const CONTEXT: &str = "reading notification groups";
    let mut out = std::collections::HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT id, group_key FROM notify_groups WHERE group_key IN {}",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for key in chunk {
            query = query.bind((*key).to_owned());
        }
        for row in query
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?
        {
            out.insert(get(&row, "group_key", CONTEXT)?, get(&row, "id", CONTEXT)?);
        }
    }
    Ok(out)
}

/// Locks the groups of `due` that are still due as found (pending, and not flushed since),
/// skipping those another dispatcher holds; returns them without directives yet, in key
/// order.
async fn claim_groups(
    backend: Backend,
    tx: &mut AnyConnection,
    due: &[(i64, Option<i64>)],
) -> Result<Vec<ClaimedGroup>, StoreError> {
    const CONTEXT: &str = "claiming notification groups";
    let expected: std::collections::HashMap<i64, Option<i64>> = due.iter().copied().collect();
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres | Backend::MySql => " FOR UPDATE SKIP LOCKED",
    };
    let mut out = Vec::with_capacity(due.len());
    for chunk in due.chunks(500) {
        let sql = format!(
            "SELECT id, group_key, channel, recipient, template, format, labels, last_flush_us \
             FROM notify_groups WHERE pending_since_us IS NOT NULL AND id IN {} \
             ORDER BY group_key{lock}",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for (id, _) in chunk {
            query = query.bind(*id);
        }
        for row in query
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?
        {
            let id: i64 = get(&row, "id", CONTEXT)?;
            let last_flush: Option<i64> = get(&row, "last_flush_us", CONTEXT)?;
            if expected.get(&id) != Some(&last_flush) {
                continue;
            }
            out.push(ClaimedGroup {
                id,
                key: get(&row, "group_key", CONTEXT)?,
                channel: get(&row, "channel", CONTEXT)?,
                recipient: get(&row, "recipient", CONTEXT)?,
                template: get(&row, "template", CONTEXT)?,
                format: get(&row, "format", CONTEXT)?,
                labels: get(&row, "labels", CONTEXT)?,
                directives: Vec::new(),
            });
        }
    }
    Ok(out)
}

/// The pending directives of the claimed `groups` (whose rows this transaction holds), with
/// their events, each group's in id order; groups left without any are dropped.
async fn claim_directives(
    backend: Backend,
    tx: &mut AnyConnection,
    mut groups: Vec<ClaimedGroup>,
) -> Result<Vec<ClaimedGroup>, StoreError> {
    const CONTEXT: &str = "claiming directives";
    let event_columns: Vec<String> = EVENT_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect();
    let index: std::collections::HashMap<i64, usize> =
        groups.iter().enumerate().map(|(i, g)| (g.id, i)).collect();
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "SELECT d.id AS d_id, d.group_id AS d_group_id, {} FROM directives d \
             JOIN notify_groups g ON g.id = d.group_id JOIN events e ON e.id = d.event_id \
             WHERE d.group_id IN {} AND d.id > g.flushed_through",
            event_columns.join(", "),
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for id in chunk {
            query = query.bind(*id);
        }
        // Streamed: each row is decoded as it arrives, so the rows are never all in memory.
        let mut rows = query.fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(StoreError::query(CONTEXT))? {
            let group: i64 = get(&row, "d_group_id", CONTEXT)?;
            if let Some(&at) = index.get(&group) {
                groups[at].directives.push(ClaimedDirective {
                    id: get(&row, "d_id", CONTEXT)?,
                    event: event_from_row(&row)?,
                });
            }
        }
    }
    // Sorted here rather than by the database, which would sort every row of the batch.
    groups.retain_mut(|g| {
        g.directives.sort_unstable_by_key(|d| d.id);
        !g.directives.is_empty()
    });
    Ok(groups)
}
/// `count` consecutive tickets of `now`'s day (UTC): `YYYYMMDD-NNNNNNNN`.
pub(crate) async fn allocate_tickets(
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

pub(crate) async fn insert_notifications(
    backend: Backend,
    tx: &mut AnyConnection,
    now: DateTime<Utc>,
    notifications: &[NewNotification],
    tickets: &[String],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO notifications ({NOTIFICATION_COLUMNS})");
    let now_us = to_us(now);
    let rows: Vec<(&NewNotification, &String)> = notifications.iter().zip(tickets).collect();
    for chunk in rows.chunks(200) {
        let sql = multi_row_insert(backend, &head, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (n, ticket) in chunk {
            let finished = (n.status != NewStatus::Ready).then_some(now_us);
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
                .bind(n.status.as_str())
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

/// What a flush did to one group: its directives up to `through` are in a notification
/// whose content hash is `hash` (`None`: it could not be rendered, so the group keeps its
/// last content).
struct GroupFlush {
    id: i64,
    through: i64,
    hash: Option<String>,
}

/// Moves each flushed group past its directives and stamps the flush, one statement per
/// 250 groups (`CASE id WHEN …` works in every dialect).
async fn record_group_flushes(
    backend: Backend,
    tx: &mut AnyConnection,
    flushed: &[GroupFlush],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in flushed.chunks(250) {
        let mut sql = String::from("UPDATE notify_groups SET flushed_through = CASE id");
        sql.push_str(&" WHEN ? THEN ?".repeat(chunk.len()));
        sql.push_str(" END, last_hash = CASE id");
        let hashed = chunk.iter().filter(|g| g.hash.is_some()).count();
        sql.push_str(&" WHEN ? THEN ?".repeat(hashed));
        sql.push_str(
            " ELSE last_hash END, last_flush_us = ?, pending_since_us = NULL WHERE id IN ",
        );
        sql.push_str(&placeholders(chunk.len()));
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for g in chunk {
            query = query.bind(g.id).bind(g.through);
        }
        for g in chunk {
            if let Some(hash) = &g.hash {
                query = query.bind(g.id).bind(hash.clone());
            }
        }
        query = query.bind(to_us(now));
        for g in chunk {
            query = query.bind(g.id);
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("recording groups' flushes"))?;
    }
    Ok(())
}
/// The audit row of a notification that was never attempted (a duplicate, or one that
/// could not be rendered).
fn audit_of_new(
    n: &NewNotification,
    ticket: &str,
    status: AttemptStatus,
    now: DateTime<Utc>,
) -> FinishedAttempt {
    FinishedAttempt {
        id: 0,
        ticket: ticket.to_owned(),
        group_key: n.group_key.clone(),
        channel: n.channel.clone(),
        recipient: n.recipient.clone(),
        template: n.template.clone(),
        event_ids: id_list(&n.event_ids),
        attempts: 0,
        time: now,
        status,
        next_us: None,
        code: None,
        message: n.error.clone(),
        provider_id: None,
        parts: None,
        price: None,
    }
}

/// Records sent notifications, 250 per statement (a send changes nothing else). An outcome
/// whose claim was taken over by another dispatcher changes nothing, as in [`finish_one`].
async fn finish_sent(
    backend: Backend,
    tx: &mut AnyConnection,
    sent: &[&FinishedAttempt],
) -> Result<(), StoreError> {
    for chunk in sent.chunks(250) {
        let cases = " WHEN ? THEN ?".repeat(chunk.len());
        let sql = format!(
            "UPDATE notifications SET status = 'sent', claimed_until_us = 0, last_error = NULL, \
             next_attempt_us = CASE id{cases} END, finished_us = CASE id{cases} END, \
             provider_id = COALESCE(CASE id{cases} END, provider_id), \
             parts = COALESCE(CASE id{cases} END, parts), \
             price = COALESCE(CASE id{cases} END, price) \
             WHERE id IN {} AND attempts = CASE id{cases} END",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(backend.sql(&sql)));
        for _ in 0..2 {
            for a in chunk {
                query = query.bind(a.id).bind(to_us(a.time));
            }
        }
        for a in chunk {
            query = query.bind(a.id).bind(a.provider_id.clone());
        }
        for a in chunk {
            query = query.bind(a.id).bind(a.parts);
        }
        for a in chunk {
            query = query.bind(a.id).bind(a.price.clone());
        }
        for a in chunk {
            query = query.bind(a.id);
        }
        for a in chunk {
            query = query.bind(a.id).bind(a.attempts);
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("recording sent notifications"))?;
    }
    Ok(())
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
        AttemptStatus::Retried => ("ready", a.next_us.unwrap_or(now_us), None),
        other => (other.as_str(), now_us, Some(now_us)),
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
        AttemptStatus::RateLimited | AttemptStatus::Cooldown => {
            // The held-back flush does not count as one: the group goes out as soon as
            // the limit allows, not a group_interval after the attempt.
            run(
                "UPDATE notify_groups SET not_before_us = ?, last_flush_us = 0, \
                 pending_since_us = COALESCE(pending_since_us, ?) WHERE group_key = ?",
            )
            .bind(a.next_us.unwrap_or(now_us))
            .bind(now_us)
            .bind(a.group_key.clone())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
            // Its events go back to the group as new directives (the row lock above is
            // held, so they are not skipped by a flush).
            for chunk in parse_ids(&a.event_ids).chunks(1000) {
                let sql = format!(
                    "INSERT INTO directives (group_id, event_id, created_us) \
                     SELECT g.id, e.id, ? FROM notify_groups g JOIN events e ON e.id IN {} \
                     WHERE g.group_key = ? ORDER BY e.id",
                    placeholders(chunk.len())
                );
                let mut query = run(&sql).bind(now_us);
                for id in chunk {
                    query = query.bind(*id);
                }
                query
                    .bind(a.group_key.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(CONTEXT))?;
            }
        }
        AttemptStatus::Failed => {
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
        // Sent, retried, duplicate: the row above says it all. Unknown: the provider may
        // have it, so it stays counted against limits and repeats.
        AttemptStatus::Sent
        | AttemptStatus::Retried
        | AttemptStatus::Duplicate
        | AttemptStatus::Unknown => {}
    }
    Ok(())
}

async fn insert_attempts(
    backend: Backend,
    tx: &mut AnyConnection,
    attempts: &[FinishedAttempt],
) -> Result<(), StoreError> {
    let head = format!("INSERT INTO notify_attempts ({ATTEMPT_COLUMNS})");
    for chunk in attempts.chunks(500) {
        let sql = multi_row_insert(backend, &head, chunk.len(), "");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in chunk {
            query = query
                .bind(to_us(a.time))
                .bind(a.ticket.clone())
                .bind(a.channel.clone())
                .bind(a.recipient.clone())
                .bind(a.template.clone())
                .bind(a.event_ids.clone())
                .bind(a.status.as_str())
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
