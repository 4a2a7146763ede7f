//! `postwarden health`: runs every configured probe once and prints what it found; the
//! exit code is non-zero when any probe fails.

use crate::context::{ConfigPaths, open_store};
use anyhow::Result;
use clap::{Args, ValueEnum};
use postwarden_health::{Reading, probes_of};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = HealthFormat::Text)]
    format: HealthFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HealthFormat {
    Text,
    Json,
}

pub async fn run(args: HealthArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    // A store that cannot be opened is the database probe's finding, not an error.
    let store = open_store(&config).await.map_err(|e| format!("{e:#}"));
    let probes = probes_of(&config.health, store);
    let timeout = config.health.timeout;
    let readings: Vec<Reading> =
        futures_util::future::join_all(probes.iter().map(|p| p.check(timeout))).await;
    match args.format {
        HealthFormat::Json => println!("{}", serde_json::to_string_pretty(&readings)?),
        HealthFormat::Text => {
            let width = readings.iter().map(|r| r.probe.len()).max().unwrap_or(0);
            for r in &readings {
                let state = if r.ok { "ok  " } else { "FAIL" };
                println!("{state}  {:<width$}  {}", r.probe, r.detail);
            }
        }
    }
    Ok(if readings.iter().all(|r| r.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
