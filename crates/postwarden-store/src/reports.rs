//! Report queries: authentication failures, traffic and the content filter since a time.
//!
//! Every aggregation runs in SQL (`GROUP BY … ORDER BY count DESC, key LIMIT top`), so a
//! report costs a few indexed scans, never loading all rows. Sums are cast back to 64-bit
//! integers because PostgreSQL's `SUM(bigint)` is NUMERIC and MySQL's is DECIMAL.

use crate::logs::{RECORD_SELECT, auth_counts, record_from_row};
use crate::model::{AuthDimension, AuthSummary, FilterSummary, TopAsn, TopIp, TrafficSummary};
use crate::rows::{at, to_asn};
use crate::time::to_us;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use postwarden_core::{Finding, Tag};
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};

impl Store {
    /// Authentication failures at or after `since`; top lists hold at most `top` entries.
    ///
    /// Whole hours come from the hourly `auth_counts` (a row per key and hour, kept with the
    /// records); only the part of the first hour after `since` is read from the records. So
    /// the answer is exact to the microsecond and costs a few thousand rows, not one per
    /// failure (docs/benchmarks.md).
    pub async fn auth_summary(
        &self,
        since: DateTime<Utc>,
        top: u32,
    ) -> Result<AuthSummary, StoreError> {
        const CONTEXT: &str = "summarising authentication failures";
        let since_us = to_us(since);
        let first_whole_hour = (since_us + 3_600_000_000 - 1).div_euclid(3_600_000_000);
        let mut sums: HashMap<(AuthDimension, String), i64> = HashMap::new();
        let mut per_hour: BTreeMap<i64, i64> = BTreeMap::new();

        // Each key's sum over the whole hours (in primary-key order: no sort), then the
        // failures per hour from the one key of `failed`.
        let counted = self
            .query(&format!(
                "SELECT dimension, counter_key, {} FROM auth_counts WHERE hour >= ? \
                 GROUP BY dimension, counter_key",
                self.backend.int64("SUM(count)")
            ))
            .bind(first_whole_hour)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for row in &counted {
            let name: String = at(row, 0, CONTEXT)?;
            let Some(dimension) = AuthDimension::from_name(&name) else {
                continue;
            };
            *sums.entry((dimension, at(row, 1, CONTEXT)?)).or_default() +=
                at::<i64>(row, 2, CONTEXT)?;
        }
        let hours = self
            .query(
                "SELECT hour, count FROM auth_counts \
                 WHERE dimension = 'failed' AND counter_key = '' AND hour >= ?",
            )
            .bind(first_whole_hour)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        for row in &hours {
            *per_hour.entry(at(row, 0, CONTEXT)?).or_default() += at::<i64>(row, 1, CONTEXT)?;
        }

        // The part of an hour before the first whole one, from the records themselves.
        if since_us < first_whole_hour * 3_600_000_000 {
            let partial = self
                .query(&format!(
                    "SELECT r.id, {RECORD_SELECT}, i.country, i.asn, i.as_org, i.rdns, i.rdns_status \
                     FROM log_records r LEFT JOIN ip_info i ON i.ip = r.ip \
                     WHERE r.kind IN ('auth_failed', 'auth_success') AND r.time_us >= ? AND r.time_us < ?"
                ))
                .bind(since_us)
                .bind(first_whole_hour * 3_600_000_000)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query(CONTEXT))?;
            let records = partial
                .iter()
                .map(record_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            for ((dimension, hour, key), count) in auth_counts(&records) {
                if dimension == AuthDimension::Failed {
                    *per_hour.entry(hour).or_default() += count;
                }
                *sums.entry((dimension, key)).or_default() += count;
            }
        }

        let mut by: HashMap<AuthDimension, Vec<(String, i64)>> = HashMap::new();
        for ((dimension, key), count) in sums {
            if count > 0 {
                by.entry(dimension).or_default().push((key, count));
            }
        }
        for list in by.values_mut() {
            list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let mut take = |dimension: AuthDimension| by.remove(&dimension).unwrap_or_default();
        let total = |list: &[(String, i64)]| list.iter().map(|(_, n)| n).sum::<i64>();
        let top = top as usize;
        let ips = take(AuthDimension::Ip);
        let unique_ips = ips.len() as i64;
        let mut top_ips = Vec::new();
        for (ip, count) in ips.into_iter().take(top) {
            top_ips.push(TopIp {
                ip: ip.parse().map_err(|_| {
                    StoreError::Corrupt(format!(
                        "an authentication count has invalid IP address `{ip}`"
                    ))
                })?,
                count,
                rdns: None,
                country: None,
            });
        }
        self.add_ip_details(&mut top_ips, CONTEXT).await?;
        let mut top_asns = Vec::new();
        for (asn, count) in take(AuthDimension::Asn).into_iter().take(top) {
            let asn: i64 = asn.parse().map_err(|_| {
                StoreError::Corrupt(format!(
                    "an authentication count has invalid AS number `{asn}`"
                ))
            })?;
            top_asns.push(TopAsn {
                asn: to_asn(asn)?,
                org: None,
                count,
            });
        }
        self.add_asn_names(&mut top_asns, CONTEXT).await?;
        let cut = |mut list: Vec<(String, i64)>| {
            list.truncate(top);
            list
        };
        Ok(AuthSummary {
            total_failures: total(&take(AuthDimension::Failed)),
            unique_ips,
            top_ips,
            top_users: cut(take(AuthDimension::User)),
            top_countries: cut(take(AuthDimension::Country)),
            top_asns,
            per_hour: per_hour.into_iter().filter(|(_, n)| *n > 0).collect(),
            rdns_status: take(AuthDimension::RdnsStatus),
            successes: total(&take(AuthDimension::Succeeded)),
        })
    }

    /// The reverse DNS name and country `ip_info` has for each of `ips`.
    async fn add_ip_details(
        &self,
        ips: &mut [TopIp],
        context: &'static str,
    ) -> Result<(), StoreError> {
        if ips.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; ips.len()].join(", ");
        let sql = format!("SELECT ip, rdns, country FROM ip_info WHERE ip IN ({marks})");
        let mut query = self.query(&sql);
        for top in ips.iter() {
            query = query.bind(top.ip.to_string());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(context))?;
        for row in &rows {
            let ip: String = at(row, 0, context)?;
            if let Some(top) = ips.iter_mut().find(|t| t.ip.to_string() == ip) {
                top.rdns = at(row, 1, context)?;
                top.country = at(row, 2, context)?;
            }
        }
        Ok(())
    }

    /// The AS name `ip_info` has for each of `asns`.
    async fn add_asn_names(
        &self,
        asns: &mut [TopAsn],
        context: &'static str,
    ) -> Result<(), StoreError> {
        if asns.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; asns.len()].join(", ");
        let sql =
            format!("SELECT asn, MAX(as_org) FROM ip_info WHERE asn IN ({marks}) GROUP BY asn");
        let mut query = self.query(&sql);
        for top in asns.iter() {
            query = query.bind(i64::from(top.asn));
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(context))?;
        for row in &rows {
            let asn = to_asn(at(row, 0, context)?)?;
            if let Some(top) = asns.iter_mut().find(|t| t.asn == asn) {
                top.org = at(row, 1, context)?;
            }
        }
        Ok(())
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
            .rows_since(
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
                CONTEXT,
            )
            .await?;
        let processed = self
            .rows_since(
                "SELECT COUNT(*) FROM messages WHERE time_us >= ?",
                since,
                CONTEXT,
            )
            .await?;
        let quarantine = self
            .rows_since(
                &format!(
                    "SELECT COUNT(*), {} FROM quarantine WHERE time_us >= ?",
                    b.int64(
                        "COALESCE(SUM(CASE WHEN released_us IS NOT NULL THEN 1 ELSE 0 END), 0)"
                    )
                ),
                since,
                CONTEXT,
            )
            .await?;
        let by_reason = self
            .rows_since(
                &format!(
                    "SELECT reason, COUNT(*) AS n FROM quarantine WHERE time_us >= ? \
                     GROUP BY reason ORDER BY n DESC, reason {}",
                    crate::limit(top)
                ),
                since,
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
            .rows_since(
                "SELECT findings FROM messages WHERE time_us >= ? AND findings <> '[]'",
                since,
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
            .rows_since(
                &format!(
                    "SELECT metric, {} FROM traffic_counts WHERE hour >= ? AND metric IN \
                     ('received', 'delivered', 'deferred', 'bounced', 'expired', 'rejected') \
                     GROUP BY metric",
                    b.int64("SUM(count)")
                ),
                since_hour,
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
            .rows_since(
                &format!(
                    "SELECT hour, {}, {}, {} FROM traffic_counts WHERE hour >= ? AND metric IN \
                     ('received', 'delivered', 'rejected') GROUP BY hour ORDER BY hour",
                    sum_of("received"),
                    sum_of("delivered"),
                    sum_of("rejected"),
                ),
                since_hour,
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

    /// Runs `sql` whose one parameter is a lower bound.
    async fn rows_since(
        &self,
        sql: &str,
        since: i64,
        context: &'static str,
    ) -> Result<Vec<AnyRow>, StoreError> {
        self.query(sql)
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(context))
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
             GROUP BY counter_key ORDER BY n DESC, counter_key {}",
            self.backend.int64("SUM(count)"),
            crate::limit(top)
        );
        pairs(self.rows_since(&sql, since_hour, CONTEXT).await?, CONTEXT)
    }
}

fn pairs(rows: Vec<AnyRow>, context: &'static str) -> Result<Vec<(String, i64)>, StoreError> {
    rows.iter()
        .map(|row| Ok((at(row, 0, context)?, at(row, 1, context)?)))
        .collect()
}
