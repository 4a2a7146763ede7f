//! The probes, one file each, named after its `[health.NAME]` table. A probe measures and
//! returns a [`Reading`]; it never raises alerts itself (see [`crate::Monitor`]).

mod clamd;
mod database;
mod disk;
mod log_freshness;
mod postfix;
mod queue;
mod smtp;
mod spamd;
mod tls_cert;

use crate::Reading;
use postwarden_core::config::HealthConfig;
use postwarden_store::Store;
use std::path::PathBuf;
use std::time::Duration;

pub use queue::{QUEUES, QueueCounts, parse_postqueue_json};
pub use smtp::parse_banner;

/// A configured probe.
#[derive(Debug)]
pub enum Probe {
    Postfix {
        config_dir: PathBuf,
    },
    Queue(postwarden_core::config::QueueProbeConfig),
    /// The store, or why it could not be opened.
    Database(Result<Store, String>),
    Disk(postwarden_core::config::DiskProbeConfig),
    Spamd {
        address: String,
    },
    Clamd {
        address: String,
    },
    Smtp {
        addresses: Vec<String>,
    },
    TlsCert(postwarden_core::config::TlsCertProbeConfig),
    LogFreshness(postwarden_core::config::LogFreshnessProbeConfig),
}

/// The probes `config` enables (the database probe always), given the store or why it
/// could not be opened.
pub fn probes_of(config: &HealthConfig, store: Result<Store, String>) -> Vec<Probe> {
    let postfix_dir = config.postfix.as_ref().map(|p| p.config_dir.clone());
    let mut probes = Vec::new();
    if let Some(dir) = &postfix_dir {
        probes.push(Probe::Postfix {
            config_dir: dir.clone(),
        });
    }
    if let Some(queue) = &config.queue {
        let mut queue = queue.clone();
        queue.config_dir = queue.config_dir.or(postfix_dir);
        probes.push(Probe::Queue(queue));
    }
    probes.push(Probe::Database(store));
    if let Some(disk) = &config.disk {
        probes.push(Probe::Disk(disk.clone()));
    }
    if let Some(spamd) = &config.spamd {
        probes.push(Probe::Spamd {
            address: spamd.address.clone(),
        });
    }
    if let Some(clamd) = &config.clamd {
        probes.push(Probe::Clamd {
            address: clamd.address.clone(),
        });
    }
    if let Some(smtp) = &config.smtp {
        probes.push(Probe::Smtp {
            addresses: smtp.addresses.clone(),
        });
    }
    if let Some(certs) = &config.tls_cert {
        probes.push(Probe::TlsCert(certs.clone()));
    }
    if let Some(log) = &config.log_freshness {
        probes.push(Probe::LogFreshness(log.clone()));
    }
    probes
}

impl Probe {
    /// The probe's name (its table in `[health]`, and its events' `health.<name>`).
    pub fn name(&self) -> &'static str {
        match self {
            Probe::Postfix { .. } => postfix::NAME,
            Probe::Queue(_) => queue::NAME,
            Probe::Database(_) => database::NAME,
            Probe::Disk(_) => disk::NAME,
            Probe::Spamd { .. } => spamd::NAME,
            Probe::Clamd { .. } => clamd::NAME,
            Probe::Smtp { .. } => smtp::NAME,
            Probe::TlsCert(_) => tls_cert::NAME,
            Probe::LogFreshness(_) => log_freshness::NAME,
        }
    }

    /// Measures once; anything that takes longer than `timeout` fails.
    pub async fn check(&self, timeout: Duration) -> Reading {
        let checking = async {
            match self {
                Probe::Postfix { config_dir } => postfix::check(config_dir).await,
                Probe::Queue(config) => queue::check(config, chrono::Utc::now()).await,
                Probe::Database(store) => database::check(store).await,
                Probe::Disk(config) => disk::check(config),
                Probe::Spamd { address } => spamd::check(address, timeout).await,
                Probe::Clamd { address } => clamd::check(address, timeout).await,
                Probe::Smtp { addresses } => smtp::check(addresses, timeout).await,
                Probe::TlsCert(config) => tls_cert::check(config, chrono::Utc::now()),
                Probe::LogFreshness(config) => {
                    log_freshness::check(config, std::time::SystemTime::now())
                }
            }
        };
        match tokio::time::timeout(timeout, checking).await {
            Ok(reading) => reading,
            Err(_) => Reading::failing(self.name(), format!("no answer within {timeout:?}")),
        }
    }
}

/// Runs a command with its output captured; the error says what could not run.
async fn run(program: &str, args: &[&str]) -> Result<std::process::Output, String> {
    tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run {program}: {e}"))
}

/// The last non-empty line a command wrote to standard error (or standard output).
fn last_line(output: &std::process::Output) -> String {
    [&output.stderr, &output.stdout]
        .into_iter()
        .flat_map(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .next_back()
        .unwrap_or_else(|| format!("exit status {}", output.status))
}
