//! `geo update`: replacing source files with fresh downloads, never with half a file.
//!
//! Each source (an `http(s)://` URL, or a local path or `file://` URL to copy) is written
//! to a temporary file beside its destination, within a time limit that covers the whole
//! transfer. Every new file is then validated the way [`super::GeoDb::open`] would read it
//! (CSV rows parse and there is at least one; an `.mmdb` opens and verifies) and fsynced.
//! Only when all sources are staged are they renamed over their destinations; on any
//! error the temporary files are removed and the old databases stay as they were.

use super::cache::{sync_dir, temp_path};
use super::mmdb::MmdbSource;
use super::{GeoError, csv, is_mmdb};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Fetches each `(url or path, destination)` and replaces the destinations atomically.
///
/// `timeout` bounds each transfer (connect, headers and body). `progress(done, total)` is
/// called as bytes arrive, per source, with the total when the server or file tells it.
pub async fn update(
    sources: &[(String, PathBuf)],
    timeout: Duration,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<(), GeoError> {
    let mut staged = Vec::with_capacity(sources.len());
    let result = stage_all(sources, timeout, &mut progress, &mut staged).await;
    let mut result = result;
    let mut renamed = 0;
    if result.is_ok() {
        for (tmp, dest) in &staged {
            if let Err(e) = std::fs::rename(tmp, dest) {
                result = Err(GeoError::io(dest, e));
                break;
            }
            renamed += 1;
            if let Some(dir) = dest.parent() {
                sync_dir(dir);
            }
        }
    }
    for (tmp, _) in &staged[renamed..] {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

async fn stage_all(
    sources: &[(String, PathBuf)],
    timeout: Duration,
    progress: &mut impl FnMut(u64, Option<u64>),
    staged: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), GeoError> {
    for (source, dest) in sources {
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| GeoError::io(dir, e))?;
        }
        let tmp = temp_path(dest);
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(|e| GeoError::io(&tmp, e))?;
        staged.push((tmp.clone(), dest.clone()));
        let transfer = async {
            match source.strip_prefix("file://") {
                _ if source.starts_with("http://") || source.starts_with("https://") => {
                    download(source, &mut file, progress).await
                }
                Some(path) => copy_local(source, Path::new(path), &mut file, progress).await,
                None => copy_local(source, Path::new(source), &mut file, progress).await,
            }
        };
        match tokio::time::timeout(timeout, transfer).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(GeoError::Timeout {
                    url: source.clone(),
                    after: timeout,
                });
            }
        }
        file.flush().await.map_err(|e| GeoError::io(&tmp, e))?;
        file.sync_all().await.map_err(|e| GeoError::io(&tmp, e))?;
        drop(file);
        let (check, is_db) = (tmp.clone(), is_mmdb(dest));
        tokio::task::spawn_blocking(move || validate(&check, is_db))
            .await
            .map_err(|e| GeoError::Invalid {
                url: source.clone(),
                message: e.to_string(),
            })?
            .map_err(|message| GeoError::Invalid {
                url: source.clone(),
                message,
            })?;
    }
    Ok(())
}

/// Checks that a staged file reads as the database its destination says it is.
fn validate(path: &Path, is_db: bool) -> Result<(), String> {
    if is_db {
        let db = MmdbSource::open(path).map_err(|e| strip(e, path))?;
        return db.verify().map_err(|e| strip(e, path));
    }
    let (idx, _) = csv::parse_file(path, None).map_err(|e| strip(e, path))?;
    if idx.len() == 0 {
        return Err("it has no rows".into());
    }
    Ok(())
}

/// The error without the temporary file's name (the caller names the source instead).
fn strip(e: GeoError, tmp: &Path) -> String {
    match e {
        GeoError::Csv { line, message, .. } => format!("line {line}: {message}"),
        GeoError::Mmdb { message, .. } => message,
        other => other
            .to_string()
            .replace(&tmp.display().to_string(), "download"),
    }
}

async fn download(
    url: &str,
    file: &mut tokio::fs::File,
    progress: &mut impl FnMut(u64, Option<u64>),
) -> Result<(), GeoError> {
    let fail = |message: String| GeoError::Fetch {
        url: url.to_owned(),
        message,
    };
    let client = postwarden_core::http::client(None).map_err(fail)?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("server answered {status}")));
    }
    let total = response.content_length();
    let mut done = 0u64;
    progress(done, total);
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        file.write_all(&chunk)
            .await
            .map_err(|e| fail(format!("writing the download: {e}")))?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    if let Some(total) = total.filter(|&t| t != done) {
        return Err(fail(format!(
            "connection ended after {done} of {total} bytes"
        )));
    }
    Ok(())
}

async fn copy_local(
    source: &str,
    path: &Path,
    file: &mut tokio::fs::File,
    progress: &mut impl FnMut(u64, Option<u64>),
) -> Result<(), GeoError> {
    let fail = |e: std::io::Error| GeoError::Fetch {
        url: source.to_owned(),
        message: e.to_string(),
    };
    let mut input = tokio::fs::File::open(path).await.map_err(fail)?;
    let total = input.metadata().await.ok().map(|m| m.len());
    let mut buf = vec![0u8; 1 << 16];
    let mut done = 0u64;
    progress(done, total);
    loop {
        let n = input.read(&mut buf).await.map_err(fail)?;
        if n == 0 {
            return Ok(());
        }
        file.write_all(&buf[..n]).await.map_err(fail)?;
        done += n as u64;
        progress(done, total);
    }
}
