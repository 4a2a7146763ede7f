//! `postwarden config check|show`: is the configuration valid, and what does it amount to.

use crate::context::ConfigPaths;
use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file; exits non-zero naming the faulty key
    Check,
    /// Print the effective configuration, defaults included (secrets redacted)
    Show,
}

pub fn run(command: ConfigCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let source = paths.config_file().map_or_else(
        || "built-in defaults (no configuration file found)".to_owned(),
        |p| p.display().to_string(),
    );
    match command {
        ConfigCommand::Check => {
            let (rules, _) = postwarden_notify::check_config(&config)
                .map_err(|e| anyhow::anyhow!("invalid notification settings in {source}: {e}"))?;
            println!(
                "configuration OK: {source} ({} channels, {} rules)",
                config.channels.len(),
                rules.len()
            );
        }
        ConfigCommand::Show => println!("# {source}\n{config:#?}"),
    }
    Ok(ExitCode::SUCCESS)
}
