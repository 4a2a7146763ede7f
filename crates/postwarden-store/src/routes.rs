//! Per-user processing: `routes` (which addresses go to which user's worker, the timeout and
//! what happens when it passes), their `route_addresses`, and `mail_status` (one row per
//! request: sent, answered, timed out, failed, held, decided — with timings).
//!
//! A route belongs to a user, so creating or removing one also stamps the user
//! (`users.updated_us`): the filter, which keeps users and routes in memory and reloads them
//! when [`Store::users_stamp`] moves, sees the change on the next message.

use crate::rows::get;
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::{OnTimeout, RequestState};
use sqlx::any::AnyRow;
use std::time::Duration;

/// A route as stored, with its owner's address and all its addresses (lower-case).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RouteRecord {
    pub id: i64,
    pub user_id: i64,
    pub user_address: String,
    /// The user's quorum queue on the broker (also the routing key of their requests).
    pub queue: String,
    /// The broker user the worker connects as; its replies must carry this `user_id`.
    pub broker_user: String,
    #[serde(with = "millis")]
    pub timeout: Duration,
    pub on_timeout: OnTimeout,
    pub enabled: bool,
    /// The user's own address first, then aliases.
    pub addresses: Vec<String>,
    pub created: DateTime<Utc>,
}

mod millis {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}

/// What `users route` stores.
pub struct NewRoute<'a> {
    pub user_id: i64,
    pub queue: &'a str,
    pub broker_user: &'a str,
    pub timeout: Duration,
    pub on_timeout: OnTimeout,
    /// Every address the route takes (the user's own first).
    pub addresses: &'a [String],
}

/// One request to a user's worker.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestRecord {
    /// The AMQP `correlation_id`.
    pub request_id: String,
    /// The message's reference (`messages.id`).
    pub message_id: String,
    pub route_id: i64,
    pub user_address: String,
    /// Only this user's recipients.
    pub recipients: Vec<String>,
    /// The node that asked.
    pub node: String,
    pub state: RequestState,
    /// The worker's action (`pass`, `reject`, …), or the one `on_timeout` applied.
    pub action: Option<String>,
    pub tags: Vec<String>,
    /// The worker's findings, as JSON.
    pub findings: Option<serde_json::Value>,
    /// Why it failed, or the reason the worker gave.
    pub detail: Option<String>,
    pub sent: DateTime<Utc>,
    pub answered: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
}

impl RequestRecord {
    /// From sending to the answer.
    pub fn latency(&self) -> Option<Duration> {
        self.answered.and_then(|a| (a - self.sent).to_std().ok())
    }
}

/// How a request ended, for [`Store::finish_request`].
pub struct RequestEnd<'a> {
    pub state: RequestState,
    pub action: Option<&'a str>,
    pub tags: &'a [String],
    pub findings: Option<&'a serde_json::Value>,
    pub detail: Option<&'a str>,
    pub answered: DateTime<Utc>,
    /// A new deadline (a held copy's: when its route's `on_timeout` applies).
    pub deadline: Option<DateTime<Utc>>,
}

/// Requests, latency and failures of one route over a period.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RouteStats {
    pub requests: u64,
    pub answered: u64,
    pub timed_out: u64,
    pub failed: u64,
    pub held: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

const ROUTE_COLUMNS: &str = "r.id, r.user_id, u.address AS user_address, r.queue, \
     r.broker_user, r.timeout_ms, r.on_timeout, r.enabled, r.created_us";

fn route_from_row(row: &AnyRow) -> Result<RouteRecord, StoreError> {
    const CONTEXT: &str = "reading a route";
    let on_timeout: String = get(row, "on_timeout", CONTEXT)?;
    let timeout_ms: i64 = get(row, "timeout_ms", CONTEXT)?;
    let enabled: i64 = get(row, "enabled", CONTEXT)?;
    Ok(RouteRecord {
        id: get(row, "id", CONTEXT)?,
        user_id: get(row, "user_id", CONTEXT)?,
        user_address: get(row, "user_address", CONTEXT)?,
        queue: get(row, "queue", CONTEXT)?,
        broker_user: get(row, "broker_user", CONTEXT)?,
        timeout: Duration::from_millis(timeout_ms.max(0) as u64),
        on_timeout: on_timeout
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("route: {e}")))?,
        enabled: enabled != 0,
        addresses: Vec::new(),
        created: from_us(get(row, "created_us", CONTEXT)?)?,
    })
}

const REQUEST_COLUMNS: &str = "request_id, message_id, route_id, user_address, recipients, \
     node, state, action, tags, findings, detail, sent_us, answered_us, deadline_us";

fn request_from_row(row: &AnyRow) -> Result<RequestRecord, StoreError> {
    const CONTEXT: &str = "reading a request's status";
    let state: String = get(row, "state", CONTEXT)?;
    let recipients: String = get(row, "recipients", CONTEXT)?;
    let tags: Option<String> = get(row, "tags", CONTEXT)?;
    let findings: Option<String> = get(row, "findings", CONTEXT)?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("mail_status {what}: {e}"))
    };
    Ok(RequestRecord {
        request_id: get(row, "request_id", CONTEXT)?,
        message_id: get(row, "message_id", CONTEXT)?,
        route_id: get(row, "route_id", CONTEXT)?,
        user_address: get(row, "user_address", CONTEXT)?,
        recipients: serde_json::from_str(&recipients).map_err(|e| corrupt("recipients", &e))?,
        node: get(row, "node", CONTEXT)?,
        state: state.parse().map_err(|e| corrupt("state", &e))?,
        action: get(row, "action", CONTEXT)?,
        tags: match tags {
            Some(tags) => serde_json::from_str(&tags).map_err(|e| corrupt("tags", &e))?,
            None => Vec::new(),
        },
        findings: findings
            .map(|f| serde_json::from_str(&f))
            .transpose()
            .map_err(|e| corrupt("findings", &e))?,
        detail: get(row, "detail", CONTEXT)?,
        sent: from_us(get(row, "sent_us", CONTEXT)?)?,
        answered: get::<Option<i64>>(row, "answered_us", CONTEXT)?
            .map(from_us)
            .transpose()?,
        deadline: from_us(get(row, "deadline_us", CONTEXT)?)?,
    })
}

impl Store {
    /// Stores a route; [`StoreError::Exists`] when the user has one already or one of the
    /// addresses belongs to another route.
    pub async fn create_route(&self, route: &NewRoute<'_>) -> Result<RouteRecord, StoreError> {
        const CONTEXT: &str = "creating a route";
        let now = to_us(Utc::now());
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let inserted = self
            .query(
                "INSERT INTO routes (user_id, queue, broker_user, timeout_ms, on_timeout, \
                 enabled, created_us, updated_us) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            )
            .bind(route.user_id)
            .bind(route.queue.to_owned())
            .bind(route.broker_user.to_owned())
            .bind(route.timeout.as_millis() as i64)
            .bind(route.on_timeout.as_str())
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Exists("a route for this user".into()));
            }
            other => {
                other.map_err(StoreError::query(CONTEXT))?;
            }
        }
        let id: i64 = {
            let row = self
                .query("SELECT id FROM routes WHERE user_id = ?")
                .bind(route.user_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
            get(&row, "id", CONTEXT)?
        };
        for address in route.addresses {
            let address = address.trim().to_lowercase();
            let inserted = self
                .query("INSERT INTO route_addresses (address, route_id) VALUES (?, ?)")
                .bind(address.clone())
                .bind(id)
                .execute(&mut *tx)
                .await;
            match inserted {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Exists(format!(
                        "a route for the address `{address}`"
                    )));
                }
                other => {
                    other.map_err(StoreError::query(CONTEXT))?;
                }
            }
        }
        self.query("UPDATE users SET updated_us = ? WHERE id = ?")
            .bind(now)
            .bind(route.user_id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        self.route_of_user(route.user_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a route vanished as it was made".into()))
    }

    /// The route of a user, if any.
    pub async fn route_of_user(&self, user_id: i64) -> Result<Option<RouteRecord>, StoreError> {
        self.route_where("r.user_id", user_id).await
    }

    /// A route by its id (enabled or not).
    pub async fn route_by_id(&self, id: i64) -> Result<Option<RouteRecord>, StoreError> {
        self.route_where("r.id", id).await
    }

    /// The one route whose `column` (`r.id` or `r.user_id`) is `value`, with its addresses.
    async fn route_where(
        &self,
        column: &'static str,
        value: i64,
    ) -> Result<Option<RouteRecord>, StoreError> {
        let row = self
            .query(&format!(
                "SELECT {ROUTE_COLUMNS} FROM routes r JOIN users u ON u.id = r.user_id \
                 WHERE {column} = ?"
            ))
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a route"))?;
        let Some(row) = row else { return Ok(None) };
        let mut route = route_from_row(&row)?;
        route.addresses = self.route_addresses(route.id).await?;
        Ok(Some(route))
    }

    async fn route_addresses(&self, route_id: i64) -> Result<Vec<String>, StoreError> {
        const CONTEXT: &str = "reading a route's addresses";
        let rows = self
            .query("SELECT address FROM route_addresses WHERE route_id = ? ORDER BY address")
            .bind(route_id)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        rows.iter().map(|r| get(r, "address", CONTEXT)).collect()
    }

    /// Every enabled route of an enabled user, with its addresses (the filter's table).
    pub async fn active_routes(&self) -> Result<Vec<RouteRecord>, StoreError> {
        const CONTEXT: &str = "reading the routes";
        let rows = self
            .query(&format!(
                "SELECT {ROUTE_COLUMNS} FROM routes r JOIN users u ON u.id = r.user_id \
                 WHERE r.enabled = 1 AND u.disabled = 0 ORDER BY r.id"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let mut routes: Vec<RouteRecord> =
            rows.iter().map(route_from_row).collect::<Result<_, _>>()?;
        let addresses = self
            .query(
                "SELECT a.address, a.route_id FROM route_addresses a \
                 JOIN routes r ON r.id = a.route_id WHERE r.enabled = 1",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let mut by_route: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for row in &addresses {
            by_route
                .entry(get(row, "route_id", CONTEXT)?)
                .or_default()
                .push(get(row, "address", CONTEXT)?);
        }
        for route in &mut routes {
            let mut own = by_route.remove(&route.id).unwrap_or_default();
            own.sort();
            route.addresses = own;
        }
        Ok(routes)
    }

    /// Every route (enabled or not), for `users list` and the console.
    pub async fn routes(&self) -> Result<Vec<RouteRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {ROUTE_COLUMNS} FROM routes r JOIN users u ON u.id = r.user_id \
                 ORDER BY u.address"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading the routes"))?;
        let mut routes: Vec<RouteRecord> =
            rows.iter().map(route_from_row).collect::<Result<_, _>>()?;
        for route in &mut routes {
            route.addresses = self.route_addresses(route.id).await?;
        }
        Ok(routes)
    }

    /// Removes a user's route and its addresses; the removed route, if there was one.
    pub async fn remove_route(&self, user_id: i64) -> Result<Option<RouteRecord>, StoreError> {
        const CONTEXT: &str = "removing a route";
        let Some(route) = self.route_of_user(user_id).await? else {
            return Ok(None);
        };
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for sql in [
            "DELETE FROM route_addresses WHERE route_id = ?",
            "DELETE FROM routes WHERE id = ?",
        ] {
            self.query(sql)
                .bind(route.id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
        }
        self.query("UPDATE users SET updated_us = ? WHERE id = ?")
            .bind(to_us(Utc::now()))
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(Some(route))
    }

    /// Records requests as they ended, together in one transaction (the filter's group
    /// commit of status rows).
    pub async fn record_requests(&self, batch: &[RequestRecord]) -> Result<(), StoreError> {
        const CONTEXT: &str = "recording requests";
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for request in batch {
            self.insert_request(request)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(CONTEXT))?;
        }
        tx.commit().await.map_err(StoreError::query(CONTEXT))
    }

    fn insert_request(
        &self,
        request: &RequestRecord,
    ) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        self.query(&format!(
            "INSERT INTO mail_status ({REQUEST_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(request.request_id.clone())
        .bind(request.message_id.clone())
        .bind(request.route_id)
        .bind(request.user_address.clone())
        .bind(json(&request.recipients).unwrap_or_else(|_| "[]".into()))
        .bind(request.node.clone())
        .bind(request.state.as_str())
        .bind(request.action.clone())
        .bind(json(&request.tags).unwrap_or_else(|_| "[]".into()))
        .bind(request.findings.as_ref().map(|f| f.to_string()))
        .bind(request.detail.clone())
        .bind(to_us(request.sent))
        .bind(request.answered.map(to_us))
        .bind(to_us(request.deadline))
    }

    /// Records one request (as sent, or as it ended).
    pub async fn record_request(&self, request: &RequestRecord) -> Result<(), StoreError> {
        self.insert_request(request)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("recording a request"))?;
        Ok(())
    }

    /// Records how a request ended; false when there is no such request or it had ended
    /// already (a request is finished once: a late reply after its timeout changes nothing).
    pub async fn finish_request(
        &self,
        request_id: &str,
        end: &RequestEnd<'_>,
    ) -> Result<bool, StoreError> {
        let from = match end.state {
            // A held copy is decided from `held` only.
            RequestState::Decided => RequestState::Held,
            _ => RequestState::Sent,
        };
        let changed = self
            .query(
                "UPDATE mail_status SET state = ?, action = ?, tags = ?, findings = ?, \
                 detail = ?, answered_us = COALESCE(answered_us, ?), \
                 deadline_us = COALESCE(?, deadline_us) \
                 WHERE request_id = ? AND state = ?",
            )
            .bind(end.state.as_str())
            .bind(end.action.map(str::to_owned))
            .bind(
                serde_json::to_string(end.tags)
                    .map_err(|e| StoreError::Corrupt(format!("encoding tags: {e}")))?,
            )
            .bind(end.findings.map(|f| f.to_string()))
            .bind(end.detail.map(str::to_owned))
            .bind(to_us(end.answered))
            .bind(end.deadline.map(to_us))
            .bind(request_id.to_owned())
            .bind(from.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("recording a request's end"))?
            .rows_affected();
        Ok(changed > 0)
    }

    /// The requests made for a message, oldest first.
    pub async fn requests_of(&self, message_id: &str) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {REQUEST_COLUMNS} FROM mail_status WHERE message_id = ? \
                 ORDER BY sent_us, request_id"
            ))
            .bind(message_id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading a message's requests"))?;
        rows.iter().map(request_from_row).collect()
    }

    /// Every request whose copy is held (DELAY), oldest deadline first.
    pub async fn held_requests(&self) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = self
            .query(&format!(
                "SELECT {REQUEST_COLUMNS} FROM mail_status WHERE state = ? \
                 ORDER BY deadline_us, request_id"
            ))
            .bind(RequestState::Held.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading held requests"))?;
        rows.iter().map(request_from_row).collect()
    }

    /// One request.
    pub async fn request(&self, request_id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let row = self
            .query(&format!(
                "SELECT {REQUEST_COLUMNS} FROM mail_status WHERE request_id = ?"
            ))
            .bind(request_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a request"))?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// Requests, outcomes and latency of one route since `since`.
    pub async fn route_stats(
        &self,
        route_id: i64,
        since: DateTime<Utc>,
    ) -> Result<RouteStats, StoreError> {
        const CONTEXT: &str = "reading a route's figures";
        let rows = self
            .query(
                "SELECT state, sent_us, answered_us FROM mail_status \
                 WHERE route_id = ? AND sent_us >= ?",
            )
            .bind(route_id)
            .bind(to_us(since))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let mut stats = RouteStats::default();
        let mut latencies = Vec::new();
        for row in &rows {
            let state: String = get(row, "state", CONTEXT)?;
            let state: RequestState = state
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("mail_status state: {e}")))?;
            stats.requests += 1;
            match state {
                RequestState::Answered | RequestState::Decided => stats.answered += 1,
                RequestState::TimedOut => stats.timed_out += 1,
                RequestState::Failed => stats.failed += 1,
                RequestState::Held => stats.held += 1,
                RequestState::Sent => {}
            }
            let sent: i64 = get(row, "sent_us", CONTEXT)?;
            if matches!(state, RequestState::Answered | RequestState::Held)
                && let Some(answered) = get::<Option<i64>>(row, "answered_us", CONTEXT)?
            {
                latencies.push((answered - sent) as f64 / 1000.0);
            }
        }
        latencies.sort_by(f64::total_cmp);
        let at = |q: f64| {
            (!latencies.is_empty()).then(|| {
                let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
                latencies[i - 1]
            })
        };
        stats.latency_p50_ms = at(0.50);
        stats.latency_p99_ms = at(0.99);
        Ok(stats)
    }
}

/// JSON for a bound column.
fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding JSON: {e}")))
}
