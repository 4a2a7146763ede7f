//! `postwarden quarantine list|show|release|delete`: the messages the filter held back.

use crate::commands::filter::{hostname, quarantine_dir};
use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result};
use clap::Subcommand;
use postwarden_filter::quarantine::{Quarantine, ReleaseTo, delete, release};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List held messages, newest first
    List {
        /// At most this many
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Print a held message as it arrived
    Show { id: String },
    /// Deliver a held message to its recipients, without filtering it again
    Release {
        id: String,
        /// Who releases it (recorded); default: the login name
        #[arg(long)]
        by: Option<String>,
    },
    /// Delete a held message
    Delete { id: String },
}

pub async fn run(command: QuarantineCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let store = open_store(&config).await?;
    let quarantine = Quarantine::new(quarantine_dir(&config));
    match command {
        QuarantineCommand::List { limit, json } => {
            let mut out = std::io::stdout().lock();
            for entry in store.quarantine_entries(limit).await? {
                if json {
                    serde_json::to_writer(&mut out, &entry)?;
                    writeln!(out)?;
                } else {
                    let state = if entry.released.is_some() {
                        "released"
                    } else {
                        "held"
                    };
                    writeln!(
                        out,
                        "{}  {}  {:<8}  <{}> → {}  {}  ({})",
                        entry.id,
                        entry.time.format("%Y-%m-%d %H:%M:%S"),
                        state,
                        entry.mail_from,
                        entry.recipients.join(", "),
                        entry
                            .subject
                            .as_deref()
                            .unwrap_or("(no subject)")
                            .escape_debug(),
                        entry.reason
                    )?;
                }
            }
        }
        QuarantineCommand::Show { id } => {
            let entry = store.quarantine_entry(&id).await?.with_context(|| {
                format!("no quarantine entry `{id}` (see `postwarden quarantine list`)")
            })?;
            let message = quarantine
                .read(&entry.digest)
                .with_context(|| format!("reading the message of quarantine entry `{id}`"))?;
            std::io::stdout().lock().write_all(&message)?;
        }
        QuarantineCommand::Release { id, by } => {
            let by = by
                .or_else(|| std::env::var("SUDO_USER").ok())
                .or_else(|| std::env::var("USER").ok());
            let by = by.unwrap_or_else(|| "unknown".into());
            let relay = postwarden_filter::next_hop(&config.filter, &hostname(&config));
            let entry = release(&store, &quarantine, &relay, &id, &by, &ReleaseTo::All).await?;
            println!("released {id} to {} (by {by})", entry.recipients.join(", "));
        }
        QuarantineCommand::Delete { id } => {
            delete(&store, &quarantine, &id).await?;
            println!("deleted {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
