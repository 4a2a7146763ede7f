//! `postwarden report auth|traffic|daily`: what happened since a given time; `daily
//! --send` also sends the daily report to the receivers of `[reports.daily]` now.

use crate::commands::filter::hostname;
use crate::commands::logs::since;
use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::{Args, ValueEnum};
use postwarden_core::Event;
use postwarden_notify::Dispatcher;
use postwarden_report::daily::{self, gather, notifications};
use postwarden_report::{Heading, View, auth_view, daily_view, html, text, traffic_view};
use std::process::ExitCode;

/// Most detection events a report reads.
const DETECTIONS_MAX: u32 = 100_000;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report
    #[arg(value_enum)]
    report: ReportKind,
    /// Period covered: a duration back from now ("24h", "7d") or an RFC 3339 time
    #[arg(long, default_value = "24h")]
    since: String,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Rows in each top-N table [default: `report.top`]
    #[arg(long)]
    top: Option<usize>,
    /// Also send it to the receivers of `[reports.REPORT]` now (daily only)
    #[arg(long)]
    send: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportKind {
    /// Authentication failures: top IPs, usernames, countries, networks, per hour
    Auth,
    /// Mail traffic in the spirit of pflogsumm: received, delivered, deferred, bounced, rejected
    Traffic,
    /// The daily digest: filter statistics, threats, quarantine, auth failures, traffic,
    /// health incidents
    Daily,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    /// A self-contained page fit for an e-mail body
    Html,
    Json,
}

pub async fn run(args: ReportArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    if args.send && !matches!(args.report, ReportKind::Daily) {
        bail!("--send goes with `report daily` only");
    }
    let since = since(&args.since)?;
    let top = top_rows(args.top.unwrap_or(config.report.top));
    let store = open_store(&config).await?;
    let server = server_name(&config);
    let heading = Heading {
        server: &server,
        since,
        until: Utc::now(),
    };
    let (view, json) = match args.report {
        ReportKind::Auth => {
            let summary = store.auth_summary(since, top).await?;
            let detections: Vec<Event> = store
                .events(since, None, DETECTIONS_MAX)
                .await?
                .into_iter()
                .map(|stored| stored.event)
                .filter(|event| event.source == "logs")
                .collect();
            let mut json = serde_json::to_value(&summary)?;
            json["detections"] = serde_json::to_value(&detections)?;
            (
                auth_view(&summary, &detections, top as usize),
                serde_json::to_string_pretty(&json)?,
            )
        }
        ReportKind::Traffic => {
            let summary = store.traffic_summary(since, top).await?;
            (
                traffic_view(&summary),
                serde_json::to_string_pretty(&summary)?,
            )
        }
        ReportKind::Daily => {
            let digest = gather(&store, since, top).await?;
            if args.send {
                send_daily(&config, store.clone(), &heading, &digest).await?;
            }
            (daily_view(&digest), serde_json::to_string_pretty(&digest)?)
        }
    };
    let output = render(args.format, &heading, &view, json);
    print!("{output}");
    Ok(ExitCode::SUCCESS)
}

/// Rows in each top list, as the store takes them.
pub fn top_rows(rows: usize) -> u32 {
    u32::try_from(rows).unwrap_or(u32::MAX)
}

/// The server's name in reports (`report.server_name`, else the host name).
pub fn server_name(config: &postwarden_core::Config) -> String {
    config
        .report
        .server_name
        .clone()
        .unwrap_or_else(crate::context::host_name)
}

/// Sends the daily report to the receivers of `[reports.daily]` through the notification
/// path (ticket, limits, audit), and says what became of each.
async fn send_daily(
    config: &postwarden_core::Config,
    store: postwarden_store::Store,
    heading: &Heading<'_>,
    digest: &postwarden_report::Digest,
) -> Result<()> {
    let report = config
        .reports
        .get("daily")
        .context("no [reports.daily] in the configuration: nobody to send the report to")?;
    let made = notifications(
        config,
        "daily",
        &daily::render(heading, digest),
        &report.receivers,
    );
    let dispatcher =
        Dispatcher::new(config, store.clone(), &hostname(config)).map_err(anyhow::Error::msg)?;
    for notification in &made {
        let now = Utc::now();
        let ticket = store.create_notification(notification, now).await?;
        dispatcher
            .deliver(now, Some(&ticket), &mut Default::default())
            .await?;
        let state = store.notification_state(&ticket).await?;
        eprintln!(
            "{ticket}: {} {} — {}",
            notification.channel,
            notification.recipient,
            state.map_or_else(|| "unknown".into(), |s| s.status)
        );
    }
    Ok(())
}

fn render(format: ReportFormat, heading: &Heading, view: &View, json: String) -> String {
    match format {
        ReportFormat::Text => text(heading, view),
        ReportFormat::Html => html(heading, view),
        ReportFormat::Json => json + "\n",
    }
}
