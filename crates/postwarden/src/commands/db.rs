//! `postwarden db migrate`: bring the store's schema up to date.

use crate::context::{ConfigPaths, open_store};
use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or upgrade the tables (also done on every start)
    Migrate,
}

pub async fn run(command: DbCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    match command {
        DbCommand::Migrate => {
            let config = paths.load()?;
            let store = open_store(&config).await?;
            println!("database schema is up to date ({:?})", store.backend());
        }
    }
    Ok(ExitCode::SUCCESS)
}
