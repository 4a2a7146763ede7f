//! Quarantined messages on disk, content-addressed: the file `<dir>/<ab>/<sha256 hex>`.
//! A message is durable before [`Quarantine::store`] returns — written to a temporary
//! file, fsynced, renamed into place, and the directory fsynced — because the filter
//! answers 250 on the strength of it.
//!
//! [`release`] and [`delete`] are what `postwarden quarantine` (and later the web UI) do
//! with an entry: its metadata lives in the store, its bytes here.

use chrono::Utc;
use postwarden_smtp::MailParams;
use postwarden_smtp::client::{Outgoing, Relay};
use postwarden_store::{QuarantineRecord, Store};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Quarantine {
    dir: PathBuf,
}

impl Quarantine {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Stores `message` durably and returns its digest (hex SHA-256).
    pub async fn store(&self, message: Vec<u8>) -> io::Result<String> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || store_blocking(&dir, &message))
            .await
            .map_err(io::Error::other)?
    }

    /// The bytes of a stored message.
    pub fn read(&self, digest: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(digest)?)
    }

    /// Removes a stored message (absent is fine).
    pub fn remove(&self, digest: &str) -> io::Result<()> {
        match fs::remove_file(self.path(digest)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn path(&self, digest: &str) -> io::Result<PathBuf> {
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{digest}` is not a message digest"),
            ));
        }
        Ok(self.dir.join(&digest[..2]).join(digest))
    }
}

/// Why an entry could not be released or deleted.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("no quarantine entry `{0}` (see `postwarden quarantine list`)")]
    Unknown(String),
    #[error("quarantine entry `{id}` was already {what}")]
    Done { id: String, what: &'static str },
    #[error("quarantine entry `{id}`: its message file is unreadable: {source}")]
    File { id: String, source: io::Error },
    #[error(transparent)]
    Store(#[from] postwarden_store::StoreError),
    #[error("releasing `{id}`: {source}")]
    Relay {
        id: String,
        source: postwarden_smtp::client::RelayError,
    },
}

/// The entry `id`, unless it is unknown, released or deleted.
async fn open_entry(store: &Store, id: &str) -> Result<QuarantineRecord, EntryError> {
    let entry = store
        .quarantine_entry(id)
        .await?
        .ok_or_else(|| EntryError::Unknown(id.to_string()))?;
    let done = |what| {
        Err(EntryError::Done {
            id: id.to_string(),
            what,
        })
    };
    if entry.deleted.is_some() {
        return done("deleted");
    }
    if entry.released.is_some() {
        return done("released");
    }
    Ok(entry)
}

/// Whom a release delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseTo {
    /// Every recipient the entry was held for and not yet released to.
    All,
    /// Only these of them (a mailbox owner releasing their own copy).
    Only(Vec<String>),
}

/// Delivers entry `id` to the recipients it was held for (all, or some of them), through
/// the next hop and without filtering again, and records that `by` released it. The entry
/// counts as released once every recipient has had it.
pub async fn release(
    store: &Store,
    quarantine: &Quarantine,
    relay: &Relay,
    id: &str,
    by: &str,
    to: &ReleaseTo,
) -> Result<QuarantineRecord, EntryError> {
    let entry = open_entry(store, id).await?;
    let unreleased = store.quarantine_unreleased(id).await?;
    let recipients: Vec<String> = entry
        .recipients
        .iter()
        .filter(|r| unreleased.iter().any(|u| u.eq_ignore_ascii_case(r)))
        .filter(|r| match to {
            ReleaseTo::All => true,
            ReleaseTo::Only(only) => only.iter().any(|o| o.eq_ignore_ascii_case(r)),
        })
        .cloned()
        .collect();
    if recipients.is_empty() {
        return Err(EntryError::Done {
            id: id.to_string(),
            what: "released",
        });
    }
    let message = quarantine
        .read(&entry.digest)
        .map_err(|source| EntryError::File {
            id: id.to_string(),
            source,
        })?;
    let outgoing = Outgoing {
        xforward: &[],
        mail_from: &entry.mail_from,
        params: &MailParams {
            eight_bit: !message.is_ascii(),
            ..MailParams::default()
        },
        recipients: &recipients,
        message: &message,
    };
    relay
        .send(outgoing)
        .await
        .map_err(|source| EntryError::Relay {
            id: id.to_string(),
            source,
        })?;
    let now = Utc::now();
    let whole = store
        .mark_recipients_released(id, &recipients, by, now)
        .await?;
    Ok(QuarantineRecord {
        released: whole.then_some(now),
        released_by: whole.then(|| by.to_string()),
        recipients,
        ..entry
    })
}

/// Deletes entry `id`: marked deleted in the store, and its file removed unless another
/// entry still holds the same message.
pub async fn delete(store: &Store, quarantine: &Quarantine, id: &str) -> Result<(), EntryError> {
    let entry = store
        .quarantine_entry(id)
        .await?
        .ok_or_else(|| EntryError::Unknown(id.to_string()))?;
    if entry.deleted.is_some() {
        return Err(EntryError::Done {
            id: id.to_string(),
            what: "deleted",
        });
    }
    store.mark_deleted(id, Utc::now()).await?;
    if !store.quarantine_digest_in_use(&entry.digest).await? {
        quarantine
            .remove(&entry.digest)
            .map_err(|source| EntryError::File {
                id: id.to_string(),
                source,
            })?;
    }
    Ok(())
}

fn store_blocking(dir: &Path, message: &[u8]) -> io::Result<String> {
    let digest: String = Sha256::digest(message)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shard = dir.join(&digest[..2]);
    let path = shard.join(&digest);
    if path.exists() {
        return Ok(digest);
    }
    fs::create_dir_all(&shard)?;
    let temporary = shard.join(format!(".{digest}.{}.tmp", std::process::id()));
    let mut file = File::create(&temporary)?;
    file.write_all(message)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, &path)?;
    File::open(&shard)?.sync_all()?;
    File::open(dir)?.sync_all()?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_reads_and_removes_by_digest() {
        let dir = tempfile::tempdir().unwrap();
        let quarantine = Quarantine::new(dir.path());
        let digest = quarantine.store(b"hello\r\n".to_vec()).await.unwrap();
        assert_eq!(digest.len(), 64);
        assert_eq!(
            quarantine.store(b"hello\r\n".to_vec()).await.unwrap(),
            digest,
            "same bytes, same file"
        );
        assert_eq!(quarantine.read(&digest).unwrap(), b"hello\r\n");
        assert!(
            quarantine.read("../../etc/passwd").is_err(),
            "only digests name files"
        );
        quarantine.remove(&digest).unwrap();
        assert!(quarantine.read(&digest).is_err());
    }
}
