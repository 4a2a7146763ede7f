//! `postwarden worker --config worker.toml`: a user's own processing worker
//! ([`postwarden_worker`]); SIGTERM or Ctrl-C finishes the requests in hand and exits.

use crate::context::ConfigPaths;
use anyhow::{Context, Result};
use postwarden_worker::WorkerFile;
use std::process::ExitCode;

pub async fn run(paths: &ConfigPaths) -> Result<ExitCode> {
    let path = paths
        .config
        .clone()
        .context("`postwarden worker` needs its file: --config worker.toml (docs/mq.md)")?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let file = WorkerFile::from_toml(&text)
        .with_context(|| format!("invalid worker configuration in {}", path.display()))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        let _ = stop.send(true);
    });
    if let Some(listen) = file.worker.metrics_listen.clone() {
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(error) = crate::daemon::serve_metrics(&listen, stop).await {
                tracing::error!(%error, "metrics endpoint failed");
            }
        });
    }
    postwarden_worker::run(file.worker, stopped).await?;
    Ok(ExitCode::SUCCESS)
}
