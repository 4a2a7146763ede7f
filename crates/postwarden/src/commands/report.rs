//! `postwarden report auth|traffic`: what happened since a given time.

use crate::commands::logs::since;
use crate::context::{ConfigPaths, open_store};
use crate::report::{Heading, auth_html, auth_text, traffic_html, traffic_text};
use anyhow::Result;
use chrono::Utc;
use clap::{Args, ValueEnum};
use std::process::ExitCode;

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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportKind {
    /// Authentication failures: top IPs, usernames, countries, networks, per hour
    Auth,
    /// Mail traffic in the spirit of pflogsumm: received, delivered, deferred, bounced, rejected
    Traffic,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    /// A self-contained page fit for an e-mail body
    Html,
    Json,
}

pub async fn run(args: ReportArgs, paths: &crate::context::ConfigPaths) -> Result<ExitCode> {
    let config = ConfigPaths::load(paths)?;
    let since = since(&args.since)?;
    let top = u32::try_from(args.top.unwrap_or(config.report.top)).unwrap_or(u32::MAX);
    let store = open_store(&config).await?;
    let server = config.report.server_name.clone().unwrap_or_else(host_name);
    let heading = Heading {
        server: &server,
        since,
        until: Utc::now(),
    };
    let output = match args.report {
        ReportKind::Auth => {
            let summary = store.auth_summary(since, top).await?;
            match args.format {
                ReportFormat::Text => auth_text(&heading, &summary),
                ReportFormat::Html => auth_html(&heading, &summary),
                ReportFormat::Json => serde_json::to_string_pretty(&summary)? + "\n",
            }
        }
        ReportKind::Traffic => {
            let summary = store.traffic_summary(since, top).await?;
            match args.format {
                ReportFormat::Text => traffic_text(&heading, &summary),
                ReportFormat::Html => traffic_html(&heading, &summary),
                ReportFormat::Json => serde_json::to_string_pretty(&summary)? + "\n",
            }
        }
    };
    print!("{output}");
    Ok(ExitCode::SUCCESS)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "this server".to_owned())
}
