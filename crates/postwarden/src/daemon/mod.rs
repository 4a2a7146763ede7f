//! `postwarden run`: every enabled component (`run.components`: health, notify, reports,
//! logs, filter, web) as a supervised task in one process.
//!
//! A component that fails is logged and started again after a backoff (1 s doubling to
//! 60 s, back to 1 s once it ran a minute); it never takes the process down. SIGTERM and
//! SIGINT stop every component (the filter finishes its SMTP sessions in flight) and wait
//! up to `run.shutdown_timeout`. SIGHUP reads the configuration again: a valid one restarts
//! the components with it, an invalid one is logged and the running one kept. Under systemd
//! (`Type=notify`) readiness, reloads, stopping and the watchdog are reported on
//! `$NOTIFY_SOCKET`. The filter's socket is bound by the process and kept across reloads,
//! so Postfix is never refused while the filter restarts.

mod health;
mod metrics;
pub use metrics::serve as serve_metrics;
pub mod reports;
mod systemd;

use crate::commands::filter::{bind_filter, hostname, serve_filter};
use crate::commands::logs::{follow_logs, zone};
use crate::context::{ConfigPaths, open_store};
use anyhow::Result;
use postwarden_core::Config;
use postwarden_notify::Dispatcher;
use postwarden_store::Store;
use std::future::Future;
use std::process::ExitCode;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

pub async fn run(paths: &ConfigPaths) -> Result<ExitCode> {
    // The components run on this thread (the store's retry loops are not `Send`); what
    // they spawn themselves (SMTP sessions, rendering) uses every core.
    tokio::task::LocalSet::new()
        .run_until(run_local(paths))
        .await
}

async fn run_local(paths: &ConfigPaths) -> Result<ExitCode> {
    let mut config = paths.load()?;
    let mut signals = Signals::new()?;
    systemd::spawn_watchdog();
    let health_state = Arc::new(Mutex::new(health::HealthState::new()));
    let mut filter_socket: Option<FilterSocket> = None;
    loop {
        let (stop, stopped) = watch::channel(false);
        filter_socket = hold_filter_socket(&config, filter_socket.take());
        let shared = Shared {
            store: open_shared_store(&config).await,
            filter_socket: filter_socket.as_ref().map(FilterSocket::share),
            health: Arc::clone(&health_state),
        };
        let mut components = start(&config, &stopped, &shared);
        drop(shared);
        tracing::info!(components = ?config.run.components, "postwarden running");
        systemd::notify("READY=1");
        let next = loop {
            match signals.next().await {
                Signal::Stop => break None,
                Signal::Reload => match paths.load() {
                    Ok(new) => break Some(new),
                    Err(e) => tracing::error!(
                        "configuration not reloaded, keeping the running one: {e:#}"
                    ),
                },
            }
        };
        systemd::notify(if next.is_some() {
            "RELOADING=1"
        } else {
            "STOPPING=1"
        });
        if next.is_none() {
            // Closed once the filter lets go of it too: Postfix is refused, keeps the mail.
            filter_socket = None;
        }
        let _ = stop.send(true);
        finish(&mut components, config.run.shutdown_timeout).await;
        match next {
            Some(new) => {
                tracing::info!("configuration reloaded");
                config = new;
            }
            None => {
                tracing::info!("postwarden stopped");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}

/// What a signal asks for.
enum Signal {
    Stop,
    Reload,
}

/// SIGTERM and SIGINT stop, SIGHUP reloads.
struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.terminate.recv() => Signal::Stop,
            _ = self.interrupt.recv() => Signal::Stop,
            _ = self.hangup.recv() => Signal::Reload,
        }
    }
}

/// The filter's listening socket, held by the process across reloads: while the filter
/// restarts with a new configuration, Postfix's connections wait in its backlog instead of
/// being refused (Postfix would defer the mail for minutes).
struct FilterSocket {
    listen: String,
    /// The only strong reference: dropping it on stop closes the socket as soon as the
    /// filter stops accepting.
    socket: Arc<std::net::TcpListener>,
}

impl FilterSocket {
    /// What a component keeps of the socket: not enough to keep it open.
    fn share(&self) -> Weak<std::net::TcpListener> {
        Arc::downgrade(&self.socket)
    }
}

/// The filter's socket for `config`: the one held already when `filter.listen` did not
/// change, a new one otherwise; none without the filter, or when binding fails (the filter
/// then binds by itself, with the supervisor's retries).
fn hold_filter_socket(config: &Config, held: Option<FilterSocket>) -> Option<FilterSocket> {
    if !config.run.components.iter().any(|c| c == "filter") {
        return None;
    }
    let listen = &config.filter.listen;
    if let Some(held) = held.filter(|h| &h.listen == listen) {
        return Some(held);
    }
    let bound = std::net::TcpListener::bind(listen.as_str())
        .and_then(|socket| socket.set_nonblocking(true).map(|()| socket));
    match bound {
        Ok(socket) => Some(FilterSocket {
            listen: listen.clone(),
            socket: Arc::new(socket),
        }),
        Err(e) => {
            tracing::error!("cannot listen on {listen} (filter.listen): {e}");
            None
        }
    }
}

/// A handle on the socket the process holds, for one run of the filter.
fn filter_listener(held: &Weak<std::net::TcpListener>) -> Result<tokio::net::TcpListener> {
    let socket = held
        .upgrade()
        .ok_or_else(|| anyhow::anyhow!("the filter's socket is closed: stopping"))?;
    Ok(tokio::net::TcpListener::from_std(socket.try_clone()?)?)
}

/// What the components of one start share.
struct Shared {
    /// One store (one connection pool) for every component; `None` when it could not be
    /// opened, and each component then keeps trying on its own.
    store: Option<Store>,
    /// The socket the process holds for the filter.
    filter_socket: Option<Weak<std::net::TcpListener>>,
    /// The health component's state, kept across restarts and reloads.
    health: Arc<Mutex<health::HealthState>>,
}

/// The store for every component, if it opens now.
async fn open_shared_store(config: &Config) -> Option<Store> {
    match open_store(config).await {
        Ok(store) => Some(store),
        Err(e) => {
            tracing::error!("the store cannot be opened: {e:#}; components keep trying");
            None
        }
    }
}

/// The shared store, or one opened now (the shared one could not be).
async fn store_for(shared: Option<Store>, config: &Config) -> Result<Store> {
    match shared {
        Some(store) => Ok(store),
        None => open_store(config).await,
    }
}

/// Starts every configured component under supervision.
fn start(config: &Config, stopped: &watch::Receiver<bool>, shared: &Shared) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for name in &config.run.components {
        let config = config.clone();
        let stopped = stopped.clone();
        let store = shared.store.clone();
        match name.as_str() {
            "health" => {
                let state = Arc::clone(&shared.health);
                set.spawn_local(supervise("health", stopped, move |stop| {
                    health::run(config.clone(), store.clone(), stop, Arc::clone(&state))
                }))
            }
            "notify" => set.spawn_local(supervise("notify", stopped, move |stop| {
                dispatch(config.clone(), store.clone(), stop)
            })),
            "reports" => set.spawn_local(supervise("reports", stopped, move |stop| {
                reports::run(config.clone(), store.clone(), stop)
            })),
            "logs" => set.spawn_local(supervise("logs", stopped, move |stop| {
                let (config, store) = (config.clone(), store.clone());
                async move {
                    let zone = zone(None, &config)?;
                    let store = store_for(store, &config).await?;
                    let input = crate::commands::logs::Input::of(&[], false, &config)?;
                    follow_logs(&config, store, &input, zone, stop_signal(stop)).await
                }
            })),
            "filter" => {
                let socket = shared.filter_socket.clone();
                set.spawn_local(supervise("filter", stopped, move |stop| {
                    let (config, store, socket) = (config.clone(), store.clone(), socket.clone());
                    async move {
                        let store = store_for(store, &config).await?;
                        let listener = match socket {
                            Some(held) => filter_listener(&held)?,
                            None => bind_filter(&config.filter.listen).await?,
                        };
                        serve_filter(&config, store, listener, stop_signal(stop)).await
                    }
                }))
            }
            "milter" => set.spawn_local(supervise("milter", stopped, move |stop| {
                let (config, store) = (config.clone(), store.clone());
                async move {
                    let store = store_for(store, &config).await?;
                    let listener =
                        crate::commands::filter::bind_milter(&config.milter.listen, &config)
                            .await?;
                    crate::commands::filter::serve_milter(
                        &config,
                        store,
                        listener,
                        stop_signal(stop),
                    )
                    .await
                }
            })),
            "web" => set.spawn_local(supervise("web", stopped, move |stop| {
                let (config, store) = (config.clone(), store.clone());
                async move {
                    let store = store_for(store, &config).await?;
                    let listener = crate::commands::web::bind_web(&config.web.listen).await?;
                    crate::commands::web::serve_web(&config, store, listener, stop_signal(stop))
                        .await
                }
            })),
            other => {
                tracing::error!("unknown component `{other}` (run.components)");
                continue;
            }
        };
    }
    if let Some(listen) = config.metrics.listen.clone() {
        set.spawn_local(supervise("metrics", stopped.clone(), move |stop| {
            let listen = listen.clone();
            async move { metrics::serve(&listen, stop_signal(stop)).await }
        }));
    }
    set
}

/// Waits for the components to stop, at most `timeout`; those still running are aborted.
async fn finish(components: &mut JoinSet<()>, timeout: Duration) {
    let all = async { while components.join_next().await.is_some() {} };
    if tokio::time::timeout(timeout, all).await.is_err() {
        tracing::warn!("components still running after {timeout:?}: aborting them");
        components.abort_all();
        while components.join_next().await.is_some() {}
    }
}

/// Runs a component until the process stops it, starting it again when it fails.
async fn supervise<F, Fut>(name: &'static str, mut stopped: watch::Receiver<bool>, mut start: F)
where
    F: FnMut(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        let result = start(stopped.clone()).await;
        if *stopped.borrow() {
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        match result {
            Ok(()) => tracing::warn!("{name} stopped by itself; starting it again in {backoff:?}"),
            Err(e) => tracing::error!("{name} failed: {e:#}; starting it again in {backoff:?}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

/// Resolves when the process stops the components.
async fn stop_signal(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// The dispatcher loop.
async fn dispatch(
    config: Config,
    store: Option<Store>,
    stopped: watch::Receiver<bool>,
) -> Result<()> {
    let store = store_for(store, &config).await?;
    let dispatcher =
        Dispatcher::new(&config, store, &hostname(&config)).map_err(anyhow::Error::msg)?;
    dispatcher.run(stop_signal(stopped)).await;
    Ok(())
}
