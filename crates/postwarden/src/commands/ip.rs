//! `postwarden ip ADDR…`: what postwarden knows about client addresses.

use crate::context::{ConfigPaths, open_geo, open_rdns};
use anyhow::{Context, Result};
use clap::Args;
use postwarden_enrich::classify;
use std::net::IpAddr;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct IpArgs {
    /// IPv4 or IPv6 addresses
    #[arg(required = true)]
    addresses: Vec<String>,
    /// Print one JSON object per address
    #[arg(long)]
    json: bool,
}

pub async fn run(args: IpArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let geo = open_geo(&config)?;
    let rdns = open_rdns(&config)?;
    for text in &args.addresses {
        let ip: IpAddr = text
            .trim_matches(['[', ']'])
            .parse()
            .with_context(|| format!("`{text}` is not an IP address"))?;
        let info = geo.lookup(ip);
        let answer = rdns.lookup(ip).await;
        let scope = classify(ip);
        if args.json {
            let value = serde_json::json!({
                "ip": ip, "scope": scope.as_str(), "country": info.country, "asn": info.asn,
                "as_org": info.as_org, "rdns": answer.name, "rdns_status": answer.status.as_str(),
            });
            println!("{value}");
        } else {
            let dash = "-";
            println!(
                "{ip}\n  scope     {}\n  country   {}\n  asn       {}\n  org       {}\n  rdns      {} ({})",
                scope.as_str(),
                info.country.unwrap_or(dash),
                info.asn
                    .map_or_else(|| dash.to_owned(), |a| format!("AS{a}")),
                info.as_org.unwrap_or(dash),
                answer.name.as_deref().unwrap_or(dash),
                answer.status.as_str(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
