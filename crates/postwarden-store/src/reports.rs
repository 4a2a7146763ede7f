//! Report queries: authentication failures, traffic and the content filter since a time.
//!
//! Every aggregation runs in SQL (`GROUP BY … ORDER BY count DESC, key LIMIT top`), so a
//! report costs a few indexed scans, never loading all rows. Sums are cast back to 64-bit
//! integers because PostgreSQL's `SUM(bigint)` is NUMERIC and MySQL's is DECIMAL.

use crate::model::{AuthSummary, FilterSummary, TopAsn, TopIp, TrafficSummary};
use crate::rows::{at, to_asn};
use crate::time::to_us;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::{Finding, Tag};
use sqlx::any::AnyRow;

/// The filter every auth-failure query shares; its one parameter is `time_us`.
/// Enrichment columns (`country`, `asn`, `as_org`, `rdns`, `rdns_status`) come from `ip_info`.
const FAILURES: &str = "FROM log_records r LEFT JOIN ip_info i ON i.ip = r.ip \
     WHERE r.kind = 'auth_failed' AND r.time_us >= ?";

impl Store {
    /// Authentication failures at or after `since`; top lists hold at most `top` entries.
    pub async fn auth_summary(
        &self,
        since: DateTime<Utc>,
        top: u32,
    ) -> Result<AuthSummary, StoreError> {
        const CONTEXT: &str = "summarising authentication failures";
        let since = to_us(since);
        let top = i64::from(top);

        let totals = self
            .query(&format!("SELECT COUNT(*), COUNT(DISTINCT r.ip) {FAILURES}"))
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let successes = self
            .query("SELECT COUNT(*) FROM log_records WHERE kind = 'auth_success' AND time_us >= ?")
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;

        let top_ips = self
            .rows_since_top(
                &format!(
                    "SELECT r.ip, COUNT(*) AS n, MAX(i.rdns), MAX(i.country) {FAILURES} \
                     AND r.ip IS NOT NULL GROUP BY r.ip ORDER BY n DESC, r.ip LIMIT ?"
                ),
                since,
                Some(top),
                CONTEXT,
            )
            .await?
            .iter()
            .map(|row| {
                Ok(TopIp {
                    ip: {
                        let ip: String = at(row, 0, CONTEXT)?;
                        ip.parse().map_err(|_| {
                            StoreError::Corrupt(format!(
                                "a log record has invalid IP address `{ip}`"
                            ))
                        })?
                    },
                    count: at(row, 1, CONTEXT)?,
                    rdns: at(row, 2, CONTEXT)?,
                    country: at(row, 3, CONTEXT)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;

        let top_asns = self
            .rows_since_top(
                &format!(
                    "SELECT i.asn, MAX(i.as_org), COUNT(*) AS n {FAILURES} \
                     AND i.asn IS NOT NULL GROUP BY i.asn ORDER BY n DESC, i.asn LIMIT ?"
                ),
                since,
                Some(top),
                CONTEXT,
            )
            .await?
            .iter()
            .map(|row| {
                Ok(TopAsn {
                    asn: to_asn(at(row, 0, CONTEXT)?)?,
                    org: at(row, 1, CONTEXT)?,
                    count: at(row, 2, CONTEXT)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;

        Ok(AuthSummary {
            total_failures: at(&totals, 0, CONTEXT)?,
            unique_ips: at(&totals, 1, CONTEXT)?,
            top_ips,
            top_users: self.auth_top_of("r.user_name", since, Some(top)).await?,
            top_countries: self.auth_top_of("i.country", since, Some(top)).await?,
            top_asns,
            per_hour: self
                .rows_since_top(
                    &format!("SELECT r.hour, COUNT(*) {FAILURES} GROUP BY r.hour ORDER BY r.hour"),
                    since,
                    None,
                    CONTEXT,
                )
                .await?
                .iter()
                .map(|row| Ok((at(row, 0, CONTEXT)?, at(row, 1, CONTEXT)?)))
                .collect::<Result<_, StoreError>>()?,
            rdns_status: self.auth_top_of("i.rdns_status", since, None).await?,
            successes: at(&successes, 0, CONTEXT)?,
        })
    }

    /// What the content filter did at or after `since`; top lists hold at most `top`
    /// entries.
    pub async fn filter_summary(
        &self,
        since: DateTime<Utc>,
        top: u32,
    ) -> Result<FilterSummary, StoreError> {
        const CONTEXT: &str = "summarising the content filter";
        let since = to_us(since);
        let b = self.backend;
        let count_of = |kind: &str| {
            b.int64(&format!(
                "COALESCE(SUM(CASE WHEN kind = 'mail.{kind}' THEN 1 ELSE 0 END), 0)"
            ))
        };
        let kinds = self
            .rows_since_top(
                &format!(
                    "SELECT {}, {}, {}, {}, {} FROM events WHERE time_us >= ? \
                     AND source = 'filter'",
                    count_of("virus"),
                    count_of("spam"),
                    count_of("blocked"),
                    count_of("quarantined"),
                    count_of("rejected"),
                ),
                since,
                None,
                CONTEXT,
            )
            .await?;
        let processed = self
            .rows_since_top(
                "SELECT COUNT(*) FROM messages WHERE time_us >= ?",
                since,
                None,
                CONTEXT,
            )
            .await?;
        let quarantine = self
            .rows_since_top(
                &format!(
                    "SELECT COUNT(*), {} FROM quarantine WHERE time_us >= ?",
                    b.int64(
                        "COALESCE(SUM(CASE WHEN released_us IS NOT NULL THEN 1 ELSE 0 END), 0)"
                    )
                ),
                since,
                None,
                CONTEXT,
            )
            .await?;
        let by_reason = self
            .rows_since_top(
                "SELECT reason, COUNT(*) AS n FROM quarantine WHERE time_us >= ? \
                 GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
                since,
                Some(i64::from(top)),
                CONTEXT,
            )
            .await?;
        let first = |rows: &[AnyRow], column| -> Result<i64, StoreError> {
            rows.first().map_or(Ok(0), |row| at(row, column, CONTEXT))
        };
        Ok(FilterSummary {
            processed: first(&processed, 0)?,
            virus: first(&kinds, 0)?,
            spam: first(&kinds, 1)?,
            blocked: first(&kinds, 2)?,
            quarantined: first(&kinds, 3)?,
            rejected: first(&kinds, 4)?,
            top_threats: self.top_threats(since, top as usize).await?,
            quarantine_held: first(&quarantine, 0)?,
            quarantine_released: first(&quarantine, 1)?,
            quarantine_by_reason: pairs(by_reason, CONTEXT)?,
        })
    }

    /// The most frequent virus and blocking findings of the messages at or after `since`
    /// (findings are JSON, read here rather than in three SQL dialects).
    async fn top_threats(&self, since: i64, top: usize) -> Result<Vec<(String, i64)>, StoreError> {
        const CONTEXT: &str = "reading the threats found";
        let rows = self
            .rows_since_top(
                "SELECT findings FROM messages WHERE time_us >= ? AND findings <> '[]'",
                since,
                None,
                CONTEXT,
            )
            .await?;
        let mut counts: std::collections::HashMap<String, i64> = Default::default();
        for row in &rows {
            let findings: String = at(row, 0, CONTEXT)?;
            // A finding this version cannot read (an older or newer shape) is left out of
            // the counts rather than failing the report.
            let findings: Vec<serde_json::Value> =
                serde_json::from_str(&findings).unwrap_or_default();
            for finding in findings {
                let Ok(finding) = serde_json::from_value::<Finding>(finding) else {
                    continue;
                };
                let threat = finding
                    .tags
                    .iter()
                    .any(|tag| matches!(tag, Tag::Virus | Tag::Blocked));
                if threat {
                    *counts
                        .entry(format!("{}: {}", finding.processor, finding.reason))
                        .or_default() += 1;
                }
            }
        }
        let mut top_list: Vec<(String, i64)> = counts.into_iter().collect();
        top_list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_list.truncate(top);
        Ok(top_list)
    }

    /// Traffic counters from the start of the hour containing `since`; top lists hold at
    /// most `top` entries.
    pub async fn traffic_summary(
        &self,
        since: DateTime<Utc>,
        top: u32,
    ) -> Result<TrafficSummary, StoreError> {
        const CONTEXT: &str = "summarising traffic";
        let since_hour = since.timestamp().div_euclid(3600);
        let top = i64::from(top);
        let b = self.backend;
        let mut summary = TrafficSummary::default();

        let totals = self
            .rows_since_top(
                &format!(
                    "SELECT metric, {} FROM traffic_counts WHERE hour >= ? AND metric IN \
                     ('received', 'delivered', 'deferred', 'bounced', 'expired', 'rejected') \
                     GROUP BY metric",
                    b.int64("SUM(count)")
                ),
                since_hour,
                None,
                CONTEXT,
            )
            .await?;
        for row in &totals {
            let metric: String = at(row, 0, CONTEXT)?;
            let value: i64 = at(row, 1, CONTEXT)?;
            match metric.as_str() {
                "received" => summary.received = value,
                "delivered" => summary.delivered = value,
                "deferred" => summary.deferred = value,
                "bounced" => summary.bounced = value,
                "expired" => summary.expired = value,
                "rejected" => summary.rejected = value,
                _ => {}
            }
        }

        summary.rejected_by_reason = self.traffic_top_of("rejected", since_hour, top).await?;
        summary.top_sender_domains = self
            .traffic_top_of("sender_domain", since_hour, top)
            .await?;
        summary.top_recipient_domains = self
            .traffic_top_of("recipient_domain", since_hour, top)
            .await?;

        let sum_of = |metric: &str| {
            b.int64(&format!(
                "SUM(CASE WHEN metric = '{metric}' THEN count ELSE 0 END)"
            ))
        };
        summary.per_hour = self
            .rows_since_top(
                &format!(
                    "SELECT hour, {}, {}, {} FROM traffic_counts WHERE hour >= ? AND metric IN \
                     ('received', 'delivered', 'rejected') GROUP BY hour ORDER BY hour",
                    sum_of("received"),
                    sum_of("delivered"),
                    sum_of("rejected"),
                ),
                since_hour,
                None,
                CONTEXT,
            )
            .await?
            .iter()
            .map(|row| {
                Ok((
                    at(row, 0, CONTEXT)?,
                    at(row, 1, CONTEXT)?,
                    at(row, 2, CONTEXT)?,
                    at(row, 3, CONTEXT)?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(summary)
    }

    /// Runs `sql` whose parameters are a lower bound and, when given, a row limit.
    async fn rows_since_top(
        &self,
        sql: &str,
        since: i64,
        top: Option<i64>,
        context: &'static str,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let mut query = self.query(sql).bind(since);
        if let Some(top) = top {
            query = query.bind(top);
        }
        query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(context))
    }

    /// (value, failures) of the non-NULL values of `column` among auth failures.
    async fn auth_top_of(
        &self,
        column: &'static str,
        since: i64,
        top: Option<i64>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        const CONTEXT: &str = "summarising authentication failures";
        let limit = if top.is_some() { " LIMIT ?" } else { "" };
        let sql = format!(
            "SELECT {column}, COUNT(*) AS n {FAILURES} AND {column} IS NOT NULL \
             GROUP BY {column} ORDER BY n DESC, {column}{limit}"
        );
        pairs(
            self.rows_since_top(&sql, since, top, CONTEXT).await?,
            CONTEXT,
        )
    }

    /// (key, total) of traffic metric `metric`, largest first.
    async fn traffic_top_of(
        &self,
        metric: &'static str,
        since_hour: i64,
        top: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        const CONTEXT: &str = "summarising traffic";
        let sql = format!(
            "SELECT counter_key, {} AS n FROM traffic_counts WHERE hour >= ? AND metric = '{metric}' \
             GROUP BY counter_key ORDER BY n DESC, counter_key LIMIT ?",
            self.backend.int64("SUM(count)")
        );
        pairs(
            self.rows_since_top(&sql, since_hour, Some(top), CONTEXT)
                .await?,
            CONTEXT,
        )
    }
}

fn pairs(rows: Vec<AnyRow>, context: &'static str) -> Result<Vec<(String, i64)>, StoreError> {
    rows.iter()
        .map(|row| Ok((at(row, 0, context)?, at(row, 1, context)?)))
        .collect()
}
