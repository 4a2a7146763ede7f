//! `postwarden web`: the console and HTTP API alone (the `web` component of
//! `postwarden run` is the same, supervised with the others).

use crate::commands::filter::hostname;
use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result};
use clap::Args;
use postwarden_core::Config;
use postwarden_store::Store;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WebArgs {
    /// Listen here instead of `web.listen`
    #[arg(long)]
    listen: Option<String>,
}

pub async fn run(args: WebArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let listen = args.listen.unwrap_or_else(|| config.web.listen.clone());
    let store = open_store(&config).await?;
    let listener = bind_web(&listen).await?;
    let shutdown = async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match terminate.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    };
    serve_web(&config, store, listener, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// The console's socket on `listen`.
pub async fn bind_web(listen: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (web.listen)"))
}

/// Serves the console until `shutdown` resolves (`postwarden web` and `postwarden run`).
pub async fn serve_web(
    config: &Config,
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let address = listener.local_addr()?;
    let state =
        postwarden_web::state_from_config(Arc::new(config.clone()), store, &hostname(config))
            .with_context(|| {
                format!("reading the console's key in {}", config.data_dir.display())
            })?;
    tracing::info!(
        "web console on {} ({}), public URL {}",
        address,
        if config.web.tls_cert.is_some() {
            "HTTPS"
        } else {
            "HTTP"
        },
        config.web.public_url
    );
    postwarden_web::run(listener, state, shutdown)
        .await
        .with_context(|| format!("serving the console on {address}"))
}
