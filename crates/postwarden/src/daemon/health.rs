//! The health component of `postwarden run`: every probe each `health.interval`, and the
//! alerts the monitor makes of their readings.
//!
//! An alert is written to the store as an event, where the dispatcher routes, groups,
//! limits and audits it. When the store cannot take it (the database is down: the very
//! alert that matters most), it goes straight to its receivers through
//! [`postwarden_notify::direct`] and waits in memory; once the store answers again it is
//! written, marked as notified with the tickets it went out under, so nobody gets it twice.
//! Until then the outbox is also kept in `<data_dir>/health-outbox.json`, so a restart
//! while the store is down loses no alert.

use crate::commands::filter::hostname;
use crate::context::open_store;
use anyhow::Result;
use chrono::Utc;
use postwarden_core::metrics::metrics;
use postwarden_core::{Config, Event};
use postwarden_health::{Monitor, Probe, QUEUES, Reading, probes_of};
use postwarden_notify::DirectiveSpec;
use postwarden_notify::direct::DirectSender;
use postwarden_store::Store;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};

/// Alerts kept while the store cannot take them, at most.
const OUTBOX_LIMIT: usize = 10_000;

/// Where the outbox is kept between runs of the process, in `data_dir`.
const SPOOL_FILE: &str = "health-outbox.json";

/// What the health component keeps across its restarts and configuration reloads: what
/// the monitor knows of each probe (so a firing alert is neither sent again nor left
/// without its recovery) and the alerts not stored yet.
#[derive(Debug)]
pub(super) struct HealthState {
    monitor: Monitor,
    outbox: Outbox,
    /// Whether the outbox left by the last process was read.
    resumed: bool,
}

impl HealthState {
    pub(super) fn new() -> HealthState {
        HealthState {
            monitor: Monitor::new(1, Duration::MAX),
            outbox: Outbox::default(),
            resumed: false,
        }
    }
}

/// Runs the probes until `stopped` turns true.
pub(super) async fn run(
    config: Config,
    shared: Option<Store>,
    mut stopped: watch::Receiver<bool>,
    state: Arc<Mutex<HealthState>>,
) -> Result<()> {
    let direct = DirectSender::new(&config, &hostname(&config)).map_err(anyhow::Error::msg)?;
    // Held while this run lasts: one health component at a time owns the state.
    let mut state = state.lock().await;
    let HealthState {
        monitor,
        outbox,
        resumed,
    } = &mut *state;
    let spool = config.data_dir.join(SPOOL_FILE);
    if !*resumed {
        outbox.resume(&spool, &direct);
        *resumed = true;
    }
    monitor.reconfigure(
        config.health.failures_before_alert,
        config.health.repeat_interval,
    );
    let timeout = config.health.timeout;
    let mut store = match shared {
        Some(store) => Ok(store),
        None => connect(&config, timeout).await,
    };
    let mut probes = probes_of(&config.health, store.clone());
    let mut tick = tokio::time::interval(config.health.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
        }
        if store.is_err() {
            store = connect(&config, timeout).await;
            if store.is_ok() {
                probes = probes_of(&config.health, store.clone());
            }
        }
        for event in observe(&probes, monitor, timeout).await {
            tracing::warn!(kind = %event.kind, "{}", event.summary);
            outbox.push(event);
        }
        outbox.flush(store.as_ref().ok(), &direct, timeout).await;
        outbox.keep(&spool);
    }
}

/// The store, or why it cannot be opened (the database probe reports it).
async fn connect(config: &Config, timeout: Duration) -> Result<Store, String> {
    match tokio::time::timeout(timeout, open_store(config)).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err(format!("the store did not open within {timeout:?}")),
    }
}

/// Every probe once, at the same time; the alerts their readings raise or resolve.
async fn observe(probes: &[Probe], monitor: &mut Monitor, timeout: Duration) -> Vec<Event> {
    let readings = futures_util::future::join_all(probes.iter().map(|p| p.check(timeout))).await;
    readings.iter().for_each(publish);
    readings
        .iter()
        .filter_map(|reading| monitor.observe(reading, Utc::now()))
        .collect()
}

/// A reading's state, and the queue sizes it measured, in the metrics.
fn publish(reading: &Reading) {
    metrics().probe(reading.probe, reading.ok);
    if reading.probe == "queue" {
        for queue in QUEUES {
            if let Some(n) = reading.figures.get(queue).and_then(|n| n.as_i64()) {
                metrics().queue(queue, n);
            }
        }
    }
}

/// An alert on its way to the store.
#[derive(Debug)]
struct Alert {
    event: Event,
    /// The receivers still to reach directly; `None` while the store was never tried and
    /// refused it.
    unsent: Option<Vec<DirectiveSpec>>,
    /// `channel:recipient ticket` of each receiver reached directly.
    sent: Vec<String>,
}

/// Alerts not stored yet, oldest first.
#[derive(Debug, Default)]
struct Outbox {
    alerts: VecDeque<Alert>,
    /// Whether the alerts changed since they were last kept on disk.
    changed: bool,
}

/// An alert as kept on disk: the receivers it still lacks are found again from the rules.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SpooledAlert {
    event: Event,
    sent: Vec<String>,
    tried_directly: bool,
}

impl Outbox {
    fn push(&mut self, event: Event) {
        self.alerts.push_back(Alert {
            event,
            unsent: None,
            sent: Vec::new(),
        });
        self.changed = true;
    }

    /// Takes over the alerts a previous process kept in `spool` (it stopped while the
    /// store was down).
    fn resume(&mut self, spool: &Path, direct: &DirectSender) {
        let text = match std::fs::read_to_string(spool) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => return tracing::error!("cannot read {}: {e}", spool.display()),
        };
        let spooled: Vec<SpooledAlert> = match serde_json::from_str(&text) {
            Ok(spooled) => spooled,
            Err(e) => return tracing::error!("{} is not an outbox: {e}", spool.display()),
        };
        tracing::warn!(
            "{} alerts of the last run wait for the store ({})",
            spooled.len(),
            spool.display()
        );
        for SpooledAlert {
            event,
            sent,
            tried_directly,
        } in spooled
        {
            let unsent = tried_directly.then(|| {
                direct
                    .receivers(&event)
                    .into_iter()
                    .filter(|r| {
                        let reached = format!("{}:{} ", r.channel, r.recipient);
                        !sent.iter().any(|s| s.starts_with(&reached))
                    })
                    .collect()
            });
            self.alerts.push_back(Alert {
                event,
                unsent,
                sent,
            });
        }
    }

    /// Keeps the alerts in `spool` while there are any (written whole, then renamed over the
    /// old file), so a restart while the store is down loses none; removes it once empty.
    fn keep(&mut self, spool: &Path) {
        if !std::mem::take(&mut self.changed) {
            return;
        }
        let kept = if self.alerts.is_empty() {
            std::fs::remove_file(spool).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
        } else {
            write_spool(spool, &self.alerts)
        };
        if let Err(e) = kept {
            tracing::error!("cannot keep the outbox in {}: {e}", spool.display());
        }
    }

    /// Stores what it can; when the store refuses, sends what is still unsent straight to
    /// the channels.
    async fn flush(&mut self, store: Option<&Store>, direct: &DirectSender, timeout: Duration) {
        if self.alerts.is_empty() {
            return;
        }
        match store {
            Some(store) => {
                if let Err(e) = self.store_all(store, timeout).await {
                    tracing::warn!("{} alerts wait for the store: {e}", self.alerts.len());
                }
            }
            None => tracing::warn!("{} alerts wait for the store", self.alerts.len()),
        }
        if self.alerts.is_empty() {
            return;
        }
        self.send_direct(direct).await;
        self.trim();
    }

    /// Writes the alerts to the store, oldest first, until one fails.
    async fn store_all(&mut self, store: &Store, timeout: Duration) -> Result<(), String> {
        while let Some(alert) = self.alerts.front() {
            let written = tokio::time::timeout(timeout, write(store, alert))
                .await
                .map_err(|_| format!("no answer within {timeout:?}"))?;
            written.map_err(|e| e.to_string())?;
            if let Some(unsent) = alert.unsent.as_ref().filter(|u| !u.is_empty()) {
                tracing::error!(
                    "{}: {} receivers never got it while the store was down",
                    alert.event.kind,
                    unsent.len()
                );
            }
            self.alerts.pop_front();
            self.changed = true;
        }
        Ok(())
    }

    /// Sends each alert to the receivers it has not reached yet.
    async fn send_direct(&mut self, direct: &DirectSender) {
        for alert in &mut self.alerts {
            let receivers = match alert.unsent.take() {
                Some(unsent) => unsent,
                None => direct.receivers(&alert.event),
            };
            if receivers.is_empty() {
                alert.unsent = Some(receivers);
                self.changed = true;
                continue;
            }
            let outcome = direct.send(&alert.event, receivers, Utc::now()).await;
            alert.sent.extend(outcome.sent);
            alert.unsent = Some(outcome.retry);
            self.changed = true;
        }
    }

    fn trim(&mut self) {
        if self.alerts.len() > OUTBOX_LIMIT {
            let dropped = self.alerts.len() - OUTBOX_LIMIT;
            self.alerts.drain(..dropped);
            self.changed = true;
            tracing::error!("{dropped} old alerts dropped: the store has been down too long");
        }
    }
}

/// Writes `alerts` to `spool` through a temporary file, synced before the rename.
fn write_spool(spool: &Path, alerts: &VecDeque<Alert>) -> std::io::Result<()> {
    let spooled: Vec<SpooledAlert> = alerts
        .iter()
        .map(|a| SpooledAlert {
            event: a.event.clone(),
            sent: a.sent.clone(),
            tried_directly: a.unsent.is_some(),
        })
        .collect();
    if let Some(dir) = spool.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = spool.with_extension("json.tmp");
    let mut file = std::fs::File::create(&temporary)?;
    serde_json::to_writer(&mut file, &spooled)?;
    file.sync_all()?;
    std::fs::rename(&temporary, spool)
}

/// Stores an alert: for the dispatcher, or as notified when it already went out directly.
async fn write(store: &Store, alert: &Alert) -> Result<i64, postwarden_store::StoreError> {
    if alert.sent.is_empty() {
        return store.insert_event(&alert.event).await;
    }
    let mut event = alert.event.clone();
    if let Some(attributes) = event.attributes.as_object_mut() {
        attributes.insert("sent_while_store_down".into(), alert.sent.clone().into());
    }
    store.insert_notified_event(&event).await
}
