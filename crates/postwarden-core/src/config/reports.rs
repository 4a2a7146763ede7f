//! `[reports.NAME]`: scheduled reports. Each has a schedule (`at = "08:00"`, daily, or a
//! five-field `cron` expression), a time zone and receivers; the scheduler of
//! `postwarden run` sends the report of the period since its last run.

use super::notify::check_receivers;
use super::{ChannelConfig, ConfigError, ReceiverConfig};
use chrono::{DateTime, Utc};
use croner::Cron;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One `[reports.NAME]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledReportConfig {
    /// Every day at this wall-clock time (`HH:MM`).
    pub at: Option<String>,
    /// Or a cron expression: minute, hour, day of month, month, day of week.
    pub cron: Option<String>,
    /// The IANA time zone of the schedule (`America/New_York`) [default: UTC].
    #[serde(default = "utc")]
    pub timezone: String,
    pub receivers: Vec<ReceiverConfig>,
}

fn utc() -> String {
    "UTC".into()
}

/// A parsed schedule: when its runs fall.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: chrono_tz::Tz,
}

impl ScheduledReportConfig {
    /// The schedule, or what is wrong with it (naming the report's key).
    pub fn schedule(&self, name: &str) -> Result<Schedule, ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid { key, message };
        let pattern = match (&self.at, &self.cron) {
            (Some(at), None) => daily(at).ok_or_else(|| {
                invalid(
                    "reports.at",
                    format!("[reports.{name}]: `{at}` is not a time of day (HH:MM)"),
                )
            })?,
            (None, Some(cron)) => cron.clone(),
            _ => {
                return Err(invalid(
                    "reports.at",
                    format!("[reports.{name}] needs exactly one of `at` and `cron`"),
                ));
            }
        };
        let cron = pattern.parse::<Cron>().map_err(|e| {
            invalid(
                "reports.cron",
                format!("[reports.{name}]: `{pattern}`: {e}"),
            )
        })?;
        let zone = self.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            invalid(
                "reports.timezone",
                format!(
                    "[reports.{name}]: `{}` is not an IANA time zone (e.g. America/New_York)",
                    self.timezone
                ),
            )
        })?;
        Ok(Schedule { cron, zone })
    }
}

impl ScheduledReportConfig {
    /// Every receiver names a configured channel and someone to send to.
    pub fn validate_receivers(
        &self,
        name: &str,
        channels: &BTreeMap<String, ChannelConfig>,
    ) -> Result<(), ConfigError> {
        check_receivers(
            &format!("[reports.{name}]"),
            &self.receivers,
            channels,
            [
                "reports.receivers",
                "reports.receivers.channel",
                "reports.receivers.to",
            ],
        )
    }
}

/// `HH:MM` as the cron pattern of every day at that time.
pub(crate) fn daily(at: &str) -> Option<String> {
    let (hour, minute) = at.split_once(':')?;
    let hour: u32 = hour.parse().ok().filter(|h| *h < 24)?;
    let minute: u32 = minute.parse().ok().filter(|m| *m < 60)?;
    Some(format!("{minute} {hour} * * *"))
}

/// What a schedule asks for at a given time, given its last recorded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Nothing to do.
    Nothing,
    /// It never ran: record the latest occurrence without sending, so a first start does
    /// not send a report for history.
    Baseline(DateTime<Utc>),
    /// Run for occurrence `at`, covering the time since `since` (the last run; several
    /// missed occurrences make one run, never several).
    Run {
        since: DateTime<Utc>,
        at: DateTime<Utc>,
    },
}

impl Schedule {
    /// The latest occurrence at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.zone), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first occurrence after `now`.
    pub fn next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&now.with_timezone(&self.zone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// What to do at `now` when the last run was for occurrence `last`.
    pub fn due(&self, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Due {
        let Some(latest) = self.latest(now) else {
            return Due::Nothing;
        };
        match last {
            None => Due::Baseline(latest),
            Some(last) if latest > last => Due::Run {
                since: last,
                at: latest,
            },
            Some(_) => Due::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(at: Option<&str>, cron: Option<&str>, zone: &str) -> ScheduledReportConfig {
        ScheduledReportConfig {
            at: at.map(Into::into),
            cron: cron.map(Into::into),
            timezone: zone.into(),
            receivers: Vec::new(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn eight_in_new_york() -> Schedule {
        report(Some("08:00"), None, "America/New_York")
            .schedule("daily")
            .unwrap()
    }

    #[test]
    fn daily_at_eight_in_new_york_follows_daylight_saving() {
        let s = eight_in_new_york();
        // 08:00 EST is 13:00 UTC; 08:00 EDT is 12:00 UTC.
        assert_eq!(
            s.latest(utc("2026-12-01T13:30:00Z")),
            Some(utc("2026-12-01T13:00:00Z"))
        );
        assert_eq!(
            s.latest(utc("2026-07-01T12:00:00Z")),
            Some(utc("2026-07-01T12:00:00Z"))
        );
        assert_eq!(
            s.next(utc("2026-12-01T13:00:00Z")),
            Some(utc("2026-12-02T13:00:00Z"))
        );
    }

    #[test]
    fn a_first_start_records_a_baseline_and_sends_nothing() {
        let s = eight_in_new_york();
        assert_eq!(
            s.due(None, utc("2026-12-01T15:00:00Z")),
            Due::Baseline(utc("2026-12-01T13:00:00Z"))
        );
    }

    #[test]
    fn missed_days_make_one_run_covering_them_all() {
        let s = eight_in_new_york();
        let last = utc("2026-11-27T13:00:00Z");
        assert_eq!(
            s.due(Some(last), utc("2026-12-01T13:00:01Z")),
            Due::Run {
                since: last,
                at: utc("2026-12-01T13:00:00Z")
            }
        );
        assert_eq!(
            s.due(
                Some(utc("2026-12-01T13:00:00Z")),
                utc("2026-12-01T20:00:00Z")
            ),
            Due::Nothing
        );
    }

    #[test]
    fn bad_schedules_name_the_report_and_key() {
        for (config, needle) in [
            (
                report(Some("25:00"), None, "UTC"),
                "`25:00` is not a time of day",
            ),
            (
                report(None, Some("0 8 * *"), "UTC"),
                "[reports.daily]: `0 8 * *`",
            ),
            (
                report(Some("08:00"), None, "Mars/Olympus"),
                "`Mars/Olympus` is not an IANA",
            ),
            (report(None, None, "UTC"), "exactly one of `at` and `cron`"),
        ] {
            let error = config.schedule("daily").unwrap_err().to_string();
            assert!(error.contains(needle), "{error}");
        }
    }

    proptest! {
        /// Whatever the last run and the clock, a run is due exactly when an occurrence
        /// fell after the last run, and then for the latest one: nothing skipped, nothing
        /// run twice (running it makes the next check answer Nothing).
        #[test]
        fn a_run_is_due_once_per_missed_occurrence_set(
            last_offset in 0i64..(10 * 86_400),
            elapsed in 0i64..(3 * 86_400),
            cron in prop::sample::select(vec!["0 8 * * *", "*/15 * * * *", "30 23 * * 1-5"]),
        ) {
            let s = report(None, Some(cron), "Europe/Berlin").schedule("p").unwrap();
            let base = utc("2026-03-20T00:00:00Z");
            let last = s.latest(base + chrono::Duration::seconds(last_offset)).unwrap();
            let now = last + chrono::Duration::seconds(elapsed);
            match s.due(Some(last), now) {
                Due::Run { since, at } => {
                    prop_assert_eq!(since, last);
                    prop_assert!(at > last && at <= now);
                    prop_assert_eq!(s.next(at).map(|n| n > now), Some(true));
                    prop_assert_eq!(s.due(Some(at), now), Due::Nothing);
                }
                Due::Nothing => prop_assert!(s.next(last).is_some_and(|n| n > now)),
                Due::Baseline(_) => prop_assert!(false, "a baseline with a last run"),
            }
        }
    }
}
