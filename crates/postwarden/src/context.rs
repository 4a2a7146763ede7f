//! Loading what every command needs: the configuration, the store, the enrichment.
//!
//! The configuration file is looked for where `--config` says, else `./postwarden.toml`,
//! else `/etc/postwarden/postwarden.toml`; with none of them, every default applies.

use anyhow::{Context, Result};
use postwarden_core::Config;
use postwarden_enrich::{GeoDb, HickoryResolver, ReverseDns};
use postwarden_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const SEARCH_PATH: [&str; 2] = ["postwarden.toml", "/etc/postwarden/postwarden.toml"];

/// The global options that locate configuration and state.
#[derive(Debug, Clone)]
pub struct ConfigPaths {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

impl ConfigPaths {
    /// The configuration file in use, if any.
    pub fn config_file(&self) -> Option<PathBuf> {
        match &self.config {
            Some(path) => Some(path.clone()),
            None => SEARCH_PATH.iter().map(PathBuf::from).find(|p| p.exists()),
        }
    }

    /// Reads and validates the configuration, applying `--data-dir`.
    pub fn load(&self) -> Result<Config> {
        let mut config = match self.config_file() {
            Some(path) => load_file(&path)?,
            None => Config::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        Ok(config)
    }
}

fn load_file(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    let config = Config::from_toml(&text)
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
    refuse_readable_secrets(path, &config)?;
    Ok(config)
}

/// A configuration file that holds secrets itself must be readable by its owner and its
/// group only, and writable by its owner only: the package installs it `root:postwarden`
/// 0640, so the service (user `postwarden`) reads it and nobody else does.
fn refuse_readable_secrets(path: &Path, config: &Config) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let secrets = config.inline_secrets();
    if secrets.is_empty() {
        return Ok(());
    }
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read the permissions of {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o027 == 0 {
        return Ok(());
    }
    anyhow::bail!(
        "{} holds secrets ({}) and can be read by others or written by its group (mode {:04o}): \
         run `chmod 640 {}` (its group: the service's, `postwarden`), or take the secrets \
         from files or the environment (`{{ file = \"…\" }}`, `{{ env = \"…\" }}`)",
        path.display(),
        secrets.join(", "),
        mode & 0o7777,
        path.display()
    )
}

/// Connects to the configured store and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Store> {
    refuse_foreign_data_dir(&config.data_dir)?;
    if config.database.url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create data directory {} (set data_dir or --data-dir)",
                config.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&config.database_url(), config.database.max_connections)
        .await?
        .with_users_stamp(config.data_dir.join("users.changed"));
    store.migrate().await?;
    Ok(store)
}

/// Refuses to work as root in a data directory that belongs to another user (the service's,
/// `postwarden`): files root creates there — SQLite's journal and shared-memory files, the
/// geo cache, quarantined copies — would be root's, and the service could no longer write
/// its own database. The error says how to run the command as the owner instead.
fn refuse_foreign_data_dir(data_dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    let (Ok(me), Ok(dir)) = (std::fs::metadata("/proc/self"), std::fs::metadata(data_dir)) else {
        return Ok(());
    };
    if me.uid() != 0 || dir.uid() == 0 {
        return Ok(());
    }
    let owner = user_name(dir.uid()).unwrap_or_else(|| format!("uid {}", dir.uid()));
    anyhow::bail!(
        "the data directory {} belongs to {owner} and this command runs as root: the files it \
         would create there would lock the service out of its own database; run it as {owner} \
         (`runuser -u {owner} -- postwarden …`), or give it a data directory of its own \
         (--data-dir)",
        data_dir.display()
    )
}

/// The name of the user with this uid.
fn user_name(uid: u32) -> Option<String> {
    let entry = getent("passwd", &uid.to_string())?;
    entry.split(':').next().map(str::to_owned)
}

/// One entry of `getent DATABASE KEY` (every NSS source, not only /etc/passwd), when there
/// is one.
pub fn getent(database: &str, key: &str) -> Option<String> {
    let out = std::process::Command::new("getent")
        .args([database, key])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|line| !line.is_empty())
}

/// Opens the configured country and ASN databases (empty when none are configured).
pub fn open_geo(config: &Config) -> Result<Arc<GeoDb>> {
    if config.geo.country.is_empty() && config.geo.asn.is_empty() {
        return Ok(Arc::new(GeoDb::empty()));
    }
    let cache = config.data_dir.join("geo-cache");
    let geo = GeoDb::open(&config.geo.country, &config.geo.asn, &cache)
        .context("cannot load the geo databases ([geo] country / asn)")?;
    Ok(Arc::new(geo))
}

/// The reverse DNS resolver, or one that never looks anything up when `[rdns] enabled = false`.
pub fn open_rdns(config: &Config) -> Result<Arc<ReverseDns>> {
    if !config.rdns.enabled {
        return Ok(Arc::new(ReverseDns::disabled()));
    }
    let resolver = if config.rdns.nameservers.is_empty() {
        HickoryResolver::from_system().context("cannot read the system DNS configuration (/etc/resolv.conf); set `rdns.nameservers`, or `rdns.enabled = false` to run without reverse DNS")?
    } else {
        HickoryResolver::with_servers(&config.rdns.nameservers)
            .context("cannot set up the resolver for `rdns.nameservers`")?
    };
    Ok(Arc::new(ReverseDns::new(Arc::new(resolver), &config.rdns)))
}

/// This machine's host name, for report headings and the SMTP greeting.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}
