//! `postwarden geo update`: fetch the country and ASN databases, atomically.

use crate::context::ConfigPaths;
use anyhow::{Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Download (or copy) each `geo.*_url` over its `geo.country` / `geo.asn` file; a failed
    /// or interrupted update leaves the old file in place
    Update,
}

pub async fn run(command: GeoCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let GeoCommand::Update = command;
    let config = paths.load()?;
    let geo = &config.geo;
    let mut sources = Vec::new();
    for (urls, files, key) in [
        (&geo.country_url, &geo.country, "country"),
        (&geo.asn_url, &geo.asn, "asn"),
    ] {
        if urls.len() != files.len() {
            bail!(
                "`geo.{key}_url` lists {} source(s) but `geo.{key}` lists {} file(s); give one URL per file",
                urls.len(),
                files.len()
            );
        }
        sources.extend(urls.iter().cloned().zip(files.iter().cloned()));
    }
    if sources.is_empty() {
        bail!(
            "nothing to update: set `geo.country_url` / `geo.asn_url` and the matching `geo.country` / `geo.asn` files"
        );
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bytes}/{total_bytes} ({bytes_per_sec})")
            .expect("progress template is valid"),
    );
    bar.set_message("downloading");
    let ticker = bar.clone();
    postwarden_enrich::update(&sources, geo.update_timeout, move |done, total| {
        if let Some(total) = total {
            ticker.set_length(total);
        }
        ticker.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    for (url, file) in &sources {
        println!("updated {} from {url}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
