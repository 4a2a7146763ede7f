//! The `schedule_runs` table: which occurrence of each schedule last ran.
//!
//! A run is recorded with its notifications in one transaction, and only if the schedule's
//! last run is still the one the caller read (compare-and-set under the row's lock): a
//! restart neither skips nor repeats a run, and of several nodes sharing a database only
//! one sends it.

use crate::NewNotification;
use crate::notify::{allocate_tickets, insert_notifications};
use crate::time::{from_us, to_us};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

impl Store {
    /// The occurrence schedule `name` last ran for, if it ever ran.
    pub async fn schedule_last_run(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self
            .query("SELECT last_run_us FROM schedule_runs WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a schedule's last run"))?;
        row.map(|row| {
            row.try_get::<i64, _>(0)
                .map_err(StoreError::query("reading a schedule's last run"))
                .and_then(from_us)
        })
        .transpose()
    }

    /// Records that schedule `name` ran for occurrence `at`, storing `notifications` (with
    /// new tickets) in the same transaction — only if its last run is still `previous`.
    /// Returns the tickets, or `None` when another run got there first.
    pub async fn record_schedule_run(
        &self,
        name: &str,
        previous: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        notifications: &[NewNotification],
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<String>>, StoreError> {
        const CONTEXT: &str = "recording a scheduled run";
        let mut tx = self.begin_write().await?;
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres | Backend::MySql => " FOR UPDATE",
        };
        let sql = format!("SELECT last_run_us FROM schedule_runs WHERE name = ?{lock}");
        let current: Option<i64> = sqlx::query(AssertSqlSafe(self.backend.sql(&sql)))
            .bind(name.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()
            .map_err(StoreError::query(CONTEXT))?;
        if current != previous.map(to_us) {
            return Ok(None);
        }
        let write = if current.is_some() {
            "UPDATE schedule_runs SET last_run_us = ?, ran_us = ? WHERE name = ?"
        } else {
            "INSERT INTO schedule_runs (last_run_us, ran_us, name) VALUES (?, ?, ?)"
        };
        sqlx::query(AssertSqlSafe(self.backend.sql(write)))
            .bind(to_us(at))
            .bind(to_us(now))
            .bind(name.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let tickets = allocate_tickets(self.backend, &mut tx, now, notifications.len()).await?;
        insert_notifications(self.backend, &mut tx, now, notifications, &tickets).await?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(Some(tickets))
    }
}
