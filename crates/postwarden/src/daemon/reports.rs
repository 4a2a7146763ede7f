//! The reports component of `postwarden run`: every `[reports.NAME]` on its schedule.
//!
//! Each run is recorded with its notifications in one transaction, and only if the
//! schedule's last run is still the one read before (see `postwarden_store::schedules`):
//! the dispatcher then delivers them with its retries, limits and audit. A restart
//! neither skips a run (one missed while it was down runs at start, covering the whole
//! time since the last) nor repeats one, and of several nodes only one sends it. A first
//! start only records where the schedule stands.

use crate::commands::report::{server_name, top_rows};
use anyhow::Result;
use chrono::{DateTime, Utc};
use postwarden_core::Config;
use postwarden_core::config::{Due, Schedule, ScheduledReportConfig};
use postwarden_report::Heading;
use postwarden_report::daily::{gather, notifications, render};
use postwarden_store::Store;
use std::time::Duration;
use tokio::sync::watch;

/// Longest sleep between two checks: schedules are re-read from the store this often, so
/// a run another node made is seen, and a clock change is noticed.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Runs the schedules until `stopped` turns true.
pub(super) async fn run(
    config: Config,
    store: Option<Store>,
    mut stopped: watch::Receiver<bool>,
) -> Result<()> {
    if config.reports.is_empty() {
        let _ = stopped.wait_for(|stop| *stop).await;
        return Ok(());
    }
    let store = super::store_for(store, &config).await?;
    let schedules = schedules(&config)?;
    loop {
        let now = Utc::now();
        for (name, report, schedule) in &schedules {
            if let Err(e) = run_due(&store, &config, name, report, schedule, now).await {
                tracing::error!("report `{name}`: {e:#}; trying again later");
            }
        }
        let wait = next_wake(&schedules, Utc::now());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
        }
    }
}

/// A report's name, configuration and parsed schedule.
type Named = (String, ScheduledReportConfig, Schedule);

fn schedules(config: &Config) -> Result<Vec<Named>> {
    config
        .reports
        .iter()
        .map(|(name, report)| Ok((name.clone(), report.clone(), report.schedule(name)?)))
        .collect()
}

/// How long to sleep: until the next occurrence of any schedule, at most [`CHECK_EVERY`].
fn next_wake(schedules: &[Named], now: DateTime<Utc>) -> Duration {
    schedules
        .iter()
        .filter_map(|(_, _, s)| s.next(now))
        .map(|next| (next - now).to_std().unwrap_or_default())
        .min()
        .unwrap_or(CHECK_EVERY)
        .min(CHECK_EVERY)
}

/// Runs report `name` if an occurrence is due at `now`; returns the tickets it stored.
pub async fn run_due(
    store: &Store,
    config: &Config,
    name: &str,
    report: &ScheduledReportConfig,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let last = store.schedule_last_run(name).await?;
    match schedule.due(last, now) {
        Due::Nothing => Ok(Vec::new()),
        Due::Baseline(at) => {
            store.record_schedule_run(name, None, at, &[], now).await?;
            tracing::info!(
                "report `{name}`: first start, next run {:?}",
                schedule.next(now)
            );
            Ok(Vec::new())
        }
        Due::Run { since, at } => {
            let digest = gather(store, since, top_rows(config.report.top)).await?;
            let server = server_name(config);
            let heading = Heading {
                server: &server,
                since,
                until: now,
            };
            let made = notifications(config, name, &render(&heading, &digest), &report.receivers);
            let tickets = store
                .record_schedule_run(name, Some(since), at, &made, now)
                .await?
                .unwrap_or_default();
            tracing::info!(tickets = ?tickets, "report `{name}` for {at} queued");
            Ok(tickets)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::open_store;
    use postwarden_core::{Event, Severity};
    use postwarden_notify::Dispatcher;
    use postwarden_testkit::clicksend::ClickSend;
    use postwarden_testkit::daemons::{dumped, smtp_sink};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// The scheduler on a clock the test moves: 08:00 America/New_York (13:00 UTC in
    /// December), an SMS and an e-mail receiver, the real SQLite store, the ClickSend
    /// double and smtp-sink.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_daily_report_runs_once_per_occurrence_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let clicksend = ClickSend::start("apiuser", "key").await;
        let sink_dir = dir.path().join("sink");
        let sink = smtp_sink(&sink_dir);
        let config = Config::from_toml(&format!(
            r#"data_dir = "{data}"
[report]
server_name = "mx1.example.org"
[channels.ops_sms]
type = "clicksend"
username = "apiuser"
api_key = "key"
api_base = "{base}"
[channels.ops_mail]
type = "email"
smtp = "{smtp}"
from = "postwarden@example.org"
[reports.daily]
at = "08:00"
timezone = "America/New_York"
receivers = [{{ channel = "ops_sms", to = ["+12345678901"] }}, {{ channel = "ops_mail", to = ["admin@example.org"] }}]
"#,
            data = dir.path().join("data").display(),
            base = clicksend.base_url(),
            smtp = sink.address(),
        ))
        .unwrap();
        let store = open_store(&config).await.unwrap();
        let schedules = schedules(&config).unwrap();
        let (name, report, schedule) = &schedules[0];
        let run_at = |now: &str| {
            let (store, config) = (&store, &config);
            let now = utc(now);
            async move {
                run_due(store, config, name, report, schedule, now)
                    .await
                    .unwrap()
            }
        };

        // First start at 10:00 in New York: the schedule's place is recorded, nothing sent.
        assert!(run_at("2026-12-01T15:00:00Z").await.is_empty());
        let mut virus = Event::new(
            utc("2026-12-01T18:00:00Z"),
            "mail.virus",
            Severity::Critical,
            "filter",
            "virus: message m1",
        );
        virus.sender = Some("bad@example.net".into());
        store.insert_event(&virus).await.unwrap();
        // 07:59: not yet. 08:00:05: one notification per receiver.
        assert!(run_at("2026-12-02T12:59:00Z").await.is_empty());
        assert_eq!(run_at("2026-12-02T13:00:05Z").await.len(), 2);
        // Another check (a restart, a second node) in the same day: nothing again.
        assert!(run_at("2026-12-02T13:01:00Z").await.is_empty());
        assert!(run_at("2026-12-03T12:59:59Z").await.is_empty());
        // Down from before 08:00 on the 3rd until the 5th, 08:30: one run, not three.
        assert_eq!(run_at("2026-12-05T13:30:00Z").await.len(), 2);
        assert!(run_at("2026-12-05T13:31:00Z").await.is_empty());
        assert_eq!(
            store.schedule_last_run("daily").await.unwrap(),
            Some(utc("2026-12-05T13:00:00Z"))
        );

        // The dispatcher delivers the four through the real channels.
        let dispatcher = Dispatcher::new(&config, store.clone(), "mx1.example.org").unwrap();
        let pass = dispatcher
            .run_once(utc("2026-12-05T13:32:00Z"))
            .await
            .unwrap();
        assert_eq!(pass.sent, 4, "{pass:?}");
        let sms = clicksend.accepted();
        assert_eq!(sms.len(), 2);
        assert!(
            sms[0]
                .body
                .starts_with("mx1.example.org 2026-12-02: 0 processed"),
            "{}",
            sms[0].body
        );
        assert!(sms[0].body.contains("1 threats"), "{}", sms[0].body);
        let mails = dumped(&sink_dir);
        assert_eq!(mails.len(), 2);
        for mail in &mails {
            assert!(
                mail.contains("Subject: postwarden daily report for mx1.example.org"),
                "{mail}"
            );
            assert!(mail.contains("text/html"), "{mail}");
            assert!(mail.contains("text/csv"), "{mail}");
        }
    }
}
