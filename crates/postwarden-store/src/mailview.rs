//! What the web console and the API show of the filter's mail, always through a
//! [`Visibility`]: the query itself is restricted (a join on `message_addresses` or
//! `quarantine_recipients`), so an entry that is not the caller's is simply not found.
//!
//! Lists are paged by a keyset cursor (`time_us`, `id`) rather than an offset, so page 500
//! of a million messages costs what page 1 costs.

use crate::filter::address_and_domain;
use crate::rows::get;
use crate::time::{from_us, hour_of_us, to_us};
use crate::{MessageRecord, QuarantineRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// Whose mail a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Everything (admins).
    All,
    /// Mail to or from these domains (domain admins).
    Domains(Vec<String>),
    /// Mail to or from this address (users); quarantine entries held for it.
    Address(String),
}

impl Visibility {
    /// `(column = ?)` / `(column IN (?, …))` over the address index, with its binds; `None`
    /// for everything.
    fn condition(&self, address_col: &str, domain_col: &str) -> Option<(String, Vec<String>)> {
        match self {
            Visibility::All => None,
            Visibility::Address(a) => Some((format!("{address_col} = ?"), vec![a.to_lowercase()])),
            Visibility::Domains(domains) if domains.is_empty() => Some(("1 = 0".into(), vec![])),
            Visibility::Domains(domains) => Some((
                format!("{domain_col} IN ({})", vec!["?"; domains.len()].join(", ")),
                domains.iter().map(|d| d.to_lowercase()).collect(),
            )),
        }
    }

    /// Whether `address` (a recipient) is within this visibility.
    pub fn covers(&self, address: &str) -> bool {
        let (address, domain) = address_and_domain(address);
        match self {
            Visibility::All => true,
            Visibility::Address(a) => a.eq_ignore_ascii_case(&address),
            Visibility::Domains(ds) => ds.iter().any(|d| d.eq_ignore_ascii_case(&domain)),
        }
    }
}

/// A page position: the `(time, id)` of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub time_us: i64,
    pub id: String,
}

impl Cursor {
    /// `"<time_us>.<id>"`, opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.time_us, self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (time, id) = text.split_once('.')?;
        let valid_id = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid_id.then_some(())?;
        Some(Cursor {
            time_us: time.parse().ok()?,
            id: id.to_string(),
        })
    }
}

/// A message search. Every criterion is optional and they combine with AND.
#[derive(Debug, Clone)]
pub struct MessageQuery {
    pub visibility: Visibility,
    /// Exact sender address (any case).
    pub sender: Option<String>,
    /// Exact recipient address (any case).
    pub recipient: Option<String>,
    /// A recipient got this action (`pass`, `tag`, `quarantine`, `reject`, …).
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The reference id or Postfix's queue id.
    pub id: Option<String>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

impl MessageQuery {
    pub fn new(visibility: Visibility, limit: u32) -> Self {
        MessageQuery {
            visibility,
            sender: None,
            recipient: None,
            action: None,
            since: None,
            until: None,
            id: None,
            after: None,
            limit,
        }
    }
}

/// A quarantine listing.
#[derive(Debug, Clone)]
pub struct QuarantineQuery {
    pub visibility: Visibility,
    /// Include entries already released for the caller.
    pub include_released: bool,
    pub since: Option<DateTime<Utc>>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// Messages per hour and outcome, for the dashboard's chart.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FlowPoint {
    pub hour: DateTime<Utc>,
    /// `pass`, `tag`, `quarantine`, `reject`, `tempfail`, … (per recipient).
    pub action: String,
    pub count: i64,
}

const MESSAGE_COLUMNS: &str = "m.id, m.time_us, m.queue_id, m.client_ip, m.client_name, \
     m.mail_from, m.recipients, m.subject, m.size, m.score, m.findings, m.verdicts, m.reply, \
     m.duration_us";
const QUARANTINE_COLUMNS: &str = "q.id, q.time_us, q.digest, q.mail_from, q.recipients, \
     q.subject, q.size, q.reason, q.released_us, q.released_by, q.deleted_us";

impl Store {
    /// Messages matching `q`, newest first.
    pub async fn search_messages(
        &self,
        q: &MessageQuery,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let Some((page, binds)) = page_keys(q) else {
            return Ok(Vec::new());
        };
        // SQLite would copy the page's whole rows (findings and all) into a temporary
        // B-tree to order them; it compares ids byte by byte (BINARY), as Rust's `str`
        // does, so the page is ordered here instead. Other databases may order text by a
        // locale's collation, which only they know: they order the page themselves.
        let sqlite = self.backend == crate::Backend::Sqlite;
        let order = if sqlite {
            ""
        } else {
            " ORDER BY m.time_us DESC, m.id DESC"
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM ({page}) page CROSS JOIN messages m \
             WHERE m.id = page.id{order}"
        );
        let mut query = self.query(&sql);
        for bind in binds {
            query = bind.apply(query);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("searching messages"))?;
        let mut found: Vec<MessageRecord> = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()?;
        if sqlite {
            found.sort_unstable_by(|a, b| (b.time, &b.id).cmp(&(a.time, &a.id)));
        }
        Ok(found)
    }

    /// One message, if `visibility` covers it.
    pub async fn message_visible(
        &self,
        id: &str,
        visibility: &Visibility,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let mut q = MessageQuery::new(visibility.clone(), 1);
        q.id = Some(id.to_string());
        let found = self.search_messages(&q).await?;
        Ok(found.into_iter().find(|m| m.id == id))
    }

    /// Quarantine entries (not deleted) held for someone `q.visibility` covers, newest first.
    pub async fn quarantine_visible(
        &self,
        q: &QuarantineQuery,
    ) -> Result<Vec<QuarantineRecord>, StoreError> {
        let mut wheres = vec!["q.deleted_us IS NULL".to_string()];
        let mut binds = Vec::new();
        let released = if q.include_released {
            ""
        } else {
            " AND r.released_us IS NULL"
        };
        match q.visibility.condition("r.address", "r.domain") {
            Some((condition, values)) => {
                wheres.push(format!(
                    "q.id IN (SELECT r.quarantine_id FROM quarantine_recipients r \
                     WHERE {condition}{released})"
                ));
                binds.extend(values.into_iter().map(Bind::Text));
            }
            None if !q.include_released => wheres.push("q.released_us IS NULL".into()),
            None => {}
        }
        time_bounds(
            &mut wheres,
            &mut binds,
            ("q.time_us", "q.id"),
            q.since,
            None,
            q.after.as_ref(),
        );
        let sql = format!(
            "SELECT {QUARANTINE_COLUMNS} FROM quarantine q {} ORDER BY q.time_us DESC, q.id DESC {}",
            where_clause(&wheres),
            crate::limit(q.limit)
        );
        let mut query = self.query(&sql);
        for bind in binds {
            query = bind.apply(query);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing the quarantine"))?;
        rows.iter()
            .map(crate::filter::quarantine_from_row)
            .collect()
    }

    /// One quarantine entry (not deleted), if held for someone `visibility` covers.
    pub async fn quarantine_entry_visible(
        &self,
        id: &str,
        visibility: &Visibility,
    ) -> Result<Option<QuarantineRecord>, StoreError> {
        let entry = self.quarantine_entry(id).await?;
        Ok(entry
            .filter(|e| e.deleted.is_none() && e.recipients.iter().any(|r| visibility.covers(r))))
    }

    /// The recipients of entry `id` not yet released.
    pub async fn quarantine_unreleased(&self, id: &str) -> Result<Vec<String>, StoreError> {
        const CONTEXT: &str = "reading a quarantine entry's recipients";
        let rows = self
            .query(
                "SELECT address FROM quarantine_recipients WHERE quarantine_id = ? \
                 AND released_us IS NULL ORDER BY address",
            )
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(|r| get(r, "address", CONTEXT)).collect()
    }

    /// Records that `recipients` of entry `id` were released by `by`; the entry counts as
    /// released once none is left. Returns whether the whole entry is now released.
    pub async fn mark_recipients_released(
        &self,
        id: &str,
        recipients: &[String],
        by: &str,
        when: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const CONTEXT: &str = "marking recipients released";
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for recipient in recipients {
            self.query(
                "UPDATE quarantine_recipients SET released_us = ?, released_by = ? \
                 WHERE quarantine_id = ? AND address = ? AND released_us IS NULL",
            )
            .bind(to_us(when))
            .bind(by.to_string())
            .bind(id.to_string())
            .bind(recipient.to_lowercase())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        }
        let left = self
            .query(
                "SELECT COUNT(*) FROM quarantine_recipients WHERE quarantine_id = ? \
                 AND released_us IS NULL",
            )
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let all = crate::rows::at::<i64>(&left, 0, CONTEXT)? == 0;
        if all {
            self.query("UPDATE quarantine SET released_us = ?, released_by = ? WHERE id = ?")
                .bind(to_us(when))
                .bind(by.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
        }
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(all)
    }

    /// Recipients per hour and action since `since`, within `visibility`: for everyone
    /// and for domains from the hourly `mail_flow` counters, for one person from their rows
    /// of the address index.
    pub async fn mail_flow(
        &self,
        visibility: &Visibility,
        since: DateTime<Utc>,
    ) -> Result<Vec<FlowPoint>, StoreError> {
        const CONTEXT: &str = "counting mail flow";
        let mut binds = Vec::new();
        let sql = match visibility {
            Visibility::Address(address) => {
                binds.push(Bind::Text(address.to_lowercase()));
                binds.push(Bind::Int(to_us(since)));
                let hour = match self.backend {
                    crate::Backend::MySql => "(a.time_us DIV 3600000000)".to_string(),
                    _ => self.backend.int64("a.time_us / 3600000000"),
                };
                format!(
                    "SELECT {hour} AS hour, COALESCE(a.action, 'unknown') AS action, {} AS n \
                     FROM message_addresses a WHERE a.address = ? AND a.role = 'r' \
                     AND a.time_us >= ? GROUP BY 1, 2 ORDER BY 1, 2",
                    self.backend.int64("COUNT(*)")
                )
            }
            other => {
                binds.push(Bind::Int(hour_of_us(to_us(since))));
                let domains = match other.condition("f.domain", "f.domain") {
                    Some((condition, values)) => {
                        binds.extend(values.into_iter().map(Bind::Text));
                        format!(" AND {condition}")
                    }
                    None => String::new(),
                };
                format!(
                    "SELECT f.hour AS hour, f.action AS action, {} AS n FROM mail_flow f \
                     WHERE f.hour >= ?{domains} GROUP BY f.hour, f.action ORDER BY 1, 2",
                    self.backend.int64("SUM(f.n)")
                )
            }
        };
        let mut query = self.query(&sql);
        for bind in binds {
            query = bind.apply(query);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter()
            .map(|row| {
                let hour: i64 = get(row, "hour", CONTEXT)?;
                Ok(FlowPoint {
                    hour: from_us(hour * 3_600_000_000)?,
                    action: get(row, "action", CONTEXT)?,
                    count: get(row, "n", CONTEXT)?,
                })
            })
            .collect()
    }
}

#[derive(Clone)]
enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    fn apply<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match self {
            Bind::Text(t) => query.bind(t),
            Bind::Int(i) => query.bind(i),
        }
    }
}

/// A domain admin's keys come from one branch per domain, up to this many domains; past
/// it, from the messages newest first, each checked against the domains.
const MAX_DOMAIN_BRANCHES: usize = 32;

/// The SQL selecting the `(id, time_us)` keys of `q`'s page, newest first, with its binds;
/// `None` when nothing can match (a domain admin without domains).
///
/// First the page's keys, then its rows: the criteria never make the database read whole
/// rows it will not return, and each visibility starts where its mail is densest:
/// - a person's keys come from their rows of the address index, newest first (the index is
///   ordered by address and time);
/// - a domain admin's from the domain's rows of the same index, one branch per domain,
///   each limited to a page, merged (`UNION ALL`, then the newest page of the union): each
///   branch reads about a page of index entries, where walking all messages and checking
///   each against the domain read ten times as many rows, and a hundred times as many for
///   a rare action such as `quarantine` (54 ms on PostgreSQL at a million messages);
/// - everyone else's from the messages, newest first, each checked.
///
/// Criteria on an indexed column (an address) are `IN (…)` lists; one on the action alone
/// is an `EXISTS (…)` checked on the way. The caller's `CROSS JOIN` keeps SQLite from
/// reordering the final join; the other databases plan it alike.
fn page_keys(q: &MessageQuery) -> Option<(String, Vec<Bind>)> {
    const MESSAGES: (&str, &str, &str) = ("messages m", "m.id", "m");
    match &q.visibility {
        Visibility::All => {
            let (wheres, binds) = criteria(q, "m.id", "m");
            Some((keys_select(false, MESSAGES, &wheres, q.limit), binds))
        }
        Visibility::Address(address) => {
            let mut wheres = vec!["v.address = ?".to_string()];
            let mut binds = vec![Bind::Text(address.to_lowercase())];
            let (more, more_binds) = criteria(q, "v.message_id", "v");
            wheres.extend(more);
            binds.extend(more_binds);
            let keys = ("message_addresses v", "v.message_id", "v");
            Some((keys_select(true, keys, &wheres, q.limit), binds))
        }
        Visibility::Domains(domains) if domains.is_empty() => None,
        Visibility::Domains(domains) if domains.len() <= MAX_DOMAIN_BRANCHES => {
            let (more, more_binds) = criteria(q, "d.message_id", "d");
            let mut wheres = vec!["d.domain = ?".to_string()];
            wheres.extend(more);
            let keys = ("message_addresses d", "d.message_id", "d");
            let branch = keys_select(true, keys, &wheres, q.limit);
            let mut binds = Vec::new();
            for domain in domains {
                binds.push(Bind::Text(domain.to_lowercase()));
                binds.extend(more_binds.iter().cloned());
            }
            if domains.len() == 1 {
                return Some((branch, binds));
            }
            let branches: Vec<String> = (0..domains.len())
                .map(|n| format!("SELECT * FROM ({branch}) k{n}"))
                .collect();
            Some((
                format!(
                    "SELECT DISTINCT id, time_us FROM ({}) u ORDER BY 2 DESC, 1 DESC {}",
                    branches.join(" UNION ALL "),
                    crate::limit(q.limit)
                ),
                binds,
            ))
        }
        domains @ Visibility::Domains(_) => {
            let (condition, values) = domains.condition("d.address", "d.domain")?;
            let mut wheres = vec![format!(
                "EXISTS (SELECT 1 FROM message_addresses d WHERE d.message_id = m.id \
                 AND {condition})"
            )];
            let mut binds: Vec<Bind> = values.into_iter().map(Bind::Text).collect();
            let (more, more_binds) = criteria(q, "m.id", "m");
            wheres.extend(more);
            binds.extend(more_binds);
            Some((keys_select(false, MESSAGES, &wheres, q.limit), binds))
        }
    }
}

/// `SELECT [DISTINCT] key AS id, alias.time_us AS time_us FROM keys WHERE … ORDER BY …
/// LIMIT n`: one page of keys, newest first. `DISTINCT` where the keys come from the address
/// index, which has a row per address of a message.
fn keys_select(
    distinct: bool,
    (keys, key, alias): (&str, &str, &str),
    wheres: &[String],
    limit: u32,
) -> String {
    let distinct = if distinct { "DISTINCT " } else { "" };
    format!(
        "SELECT {distinct}{key} AS id, {alias}.time_us AS time_us FROM {keys} {} \
         ORDER BY 2 DESC, 1 DESC {}",
        where_clause(wheres),
        crate::limit(limit)
    )
}

/// `q`'s criteria but its visibility, over a key table aliased `alias` whose message id is
/// `key`.
fn criteria(q: &MessageQuery, key: &str, alias: &str) -> (Vec<String>, Vec<Bind>) {
    let mut wheres: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    match (&q.recipient, &q.action) {
        (Some(recipient), action) => {
            let mut c = "r.role = 'r' AND r.address = ?".to_string();
            binds.push(Bind::Text(recipient.trim().to_lowercase()));
            if let Some(action) = action {
                c.push_str(" AND r.action = ?");
                binds.push(Bind::Text(action.clone()));
            }
            wheres.push(format!(
                "{key} IN (SELECT r.message_id FROM message_addresses r WHERE {c})"
            ));
        }
        (None, Some(action)) => {
            wheres.push(format!(
                "EXISTS (SELECT 1 FROM message_addresses r WHERE r.message_id = {key} \
                 AND r.role = 'r' AND r.action = ?)"
            ));
            binds.push(Bind::Text(action.clone()));
        }
        (None, None) => {}
    }
    if let Some(sender) = &q.sender {
        wheres.push(format!(
            "{key} IN (SELECT s.message_id FROM message_addresses s WHERE s.role = 's' \
             AND s.address = ?)"
        ));
        binds.push(Bind::Text(sender.trim().to_lowercase()));
    }
    if let Some(id) = &q.id {
        wheres.push(format!(
            "{key} IN (SELECT i.id FROM messages i WHERE i.id = ? OR i.queue_id = ?)"
        ));
        binds.push(Bind::Text(id.trim().to_string()));
        binds.push(Bind::Text(id.trim().to_string()));
    }
    time_bounds(
        &mut wheres,
        &mut binds,
        (&format!("{alias}.time_us"), key),
        q.since,
        q.until,
        q.after.as_ref(),
    );
    (wheres, binds)
}

fn time_bounds(
    wheres: &mut Vec<String>,
    binds: &mut Vec<Bind>,
    (time, id): (&str, &str),
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    after: Option<&Cursor>,
) {
    if let Some(since) = since {
        wheres.push(format!("{time} >= ?"));
        binds.push(Bind::Int(to_us(since)));
    }
    if let Some(until) = until {
        wheres.push(format!("{time} < ?"));
        binds.push(Bind::Int(to_us(until)));
    }
    if let Some(cursor) = after {
        wheres.push(format!("({time} < ? OR ({time} = ? AND {id} < ?))"));
        binds.push(Bind::Int(cursor.time_us));
        binds.push(Bind::Int(cursor.time_us));
        binds.push(Bind::Text(cursor.id.clone()));
    }
}

fn where_clause(wheres: &[String]) -> String {
    if wheres.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wheres.join(" AND "))
    }
}

fn message_from_row(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    const CONTEXT: &str = "reading a message record";
    let id: String = get(row, "id", CONTEXT)?;
    let parse = |column: &str| -> Result<serde_json::Value, StoreError> {
        let text: String = get(row, column, CONTEXT)?;
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("message {id} has invalid {column}: {e}")))
    };
    let recipients = parse("recipients")?;
    Ok(MessageRecord {
        time: from_us(get(row, "time_us", CONTEXT)?)?,
        queue_id: get(row, "queue_id", CONTEXT)?,
        client_ip: get(row, "client_ip", CONTEXT)?,
        client_name: get(row, "client_name", CONTEXT)?,
        mail_from: get(row, "mail_from", CONTEXT)?,
        recipients: serde_json::from_value(recipients)
            .map_err(|e| StoreError::Corrupt(format!("message {id} recipients: {e}")))?,
        subject: get(row, "subject", CONTEXT)?,
        size: get::<i64>(row, "size", CONTEXT)?.max(0) as u64,
        score: get(row, "score", CONTEXT)?,
        findings: parse("findings")?,
        verdicts: parse("verdicts")?,
        reply: get(row, "reply", CONTEXT)?,
        duration_us: get(row, "duration_us", CONTEXT)?,
        id,
    })
}

impl Store {
    /// Whether `sender` and `recipient` have corresponded before: a filtered message from
    /// one to the other, in either direction (the phishing processor's first-time sender).
    /// Addresses compare in lower case, as `message_addresses` keeps them.
    pub async fn have_corresponded(
        &self,
        sender: &str,
        recipient: &str,
    ) -> Result<bool, StoreError> {
        const CONTEXT: &str = "reading the correspondence history";
        let (sender, recipient) = (sender.to_lowercase(), recipient.to_lowercase());
        let sql = "SELECT 1 AS known FROM message_addresses s \
             WHERE s.address = ? AND s.role = 's' AND EXISTS (SELECT 1 FROM message_addresses r \
             WHERE r.message_id = s.message_id AND r.address = ? AND r.role = 'r') LIMIT 1";
        for (from, to) in [(&sender, &recipient), (&recipient, &sender)] {
            let row = self
                .query(sql)
                .bind(from.clone())
                .bind(to.clone())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query(CONTEXT))?;
            if row.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Store {
    /// The domains mail came from in the last 180 days, the most frequent first (at most
    /// `limit`): those the phishing processor guards against look-alikes of.
    pub async fn correspondent_domains(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        const CONTEXT: &str = "reading correspondent domains";
        let since = to_us(Utc::now() - chrono::Duration::days(180));
        let rows = self
            .query(&format!(
                "SELECT domain, {} AS n FROM message_addresses WHERE role = 's' AND time_us >= ? \
                 GROUP BY domain ORDER BY n DESC {}",
                self.backend.int64("COUNT(*)"),
                crate::limit(limit)
            ))
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(|row| get(row, "domain", CONTEXT)).collect()
    }
}
