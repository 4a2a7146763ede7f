//! The recipients' own settings and routes, kept in memory and checked against the store's
//! stamp.
//!
//! The promise is that a change made in the console applies to the *next* message. Asking
//! the store for the recipients' settings on every message kept it, but cost a third of the
//! filter's throughput (docs/benchmarks.md). Here every message still asks the store — but
//! only for a stamp of the whole `users` table ([`Store::users_stamp`]; a route's changes
//! stamp its user too), the settings and routes are reloaded only when the stamp moved, and concurrent messages share one question:
//!
//! a message waits for a check that *started after it arrived* (so it cannot be answered
//! from a check that began before a change was committed), and every message that arrived
//! while one check was running shares the next. Under load there is one small query per
//! round trip instead of two per message; alone, a message costs one query as before.
//!
//! Without a store, or when it does not answer, the file's policy alone decides (logged):
//! mail keeps flowing, as before.

use postwarden_core::UserSettings;
use postwarden_store::{RouteRecord, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Everyone's settings, as of the last check.
#[derive(Default)]
struct Snapshot {
    stamp: Option<(i64, i64)>,
    settings: Arc<HashMap<String, UserSettings>>,
    /// Every address of every active route.
    routes: Arc<HashMap<String, Arc<RouteRecord>>>,
}

/// What the cache knows of one message's recipients.
#[derive(Default)]
pub struct Lookup {
    /// Settings of the recipients who are enabled users, by lower-case address.
    pub settings: HashMap<String, UserSettings>,
    /// Each route that takes some of the recipients, with those recipients (as written in
    /// the envelope), in envelope order.
    pub routes: Vec<(Arc<RouteRecord>, Vec<String>)>,
}

/// Settings by address, routes by address.
type Tables = (
    Arc<HashMap<String, UserSettings>>,
    Arc<HashMap<String, Arc<RouteRecord>>>,
);

/// The cache; one per filter.
pub struct UserSettingsCache {
    store: Store,
    /// Checks started (only changed with `checking` held).
    started: AtomicU64,
    /// The number of the last check that finished.
    finished: AtomicU64,
    /// Held while a check runs.
    checking: tokio::sync::Mutex<()>,
    snapshot: RwLock<Snapshot>,
}

impl UserSettingsCache {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            started: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            checking: tokio::sync::Mutex::new(()),
            snapshot: RwLock::new(Snapshot::default()),
        }
    }

    /// The settings of those of `recipients` who are enabled users, by lower-case address,
    /// as of a check that started after this call.
    pub async fn of(&self, recipients: &[String]) -> HashMap<String, UserSettings> {
        self.lookup(recipients).await.settings
    }

    /// The settings of those of `recipients` who are enabled users, as of the last check,
    /// without waiting for a new one (the milter's RCPT-time refusal: the end of DATA
    /// checks again).
    pub fn last_known(&self, recipients: &[String]) -> HashMap<String, UserSettings> {
        let snapshot = self.read();
        recipients
            .iter()
            .filter_map(|r| {
                let key = r.to_lowercase();
                snapshot.settings.get(&key).map(|s| (key, s.clone()))
            })
            .collect()
    }

    /// Settings and routes of `recipients`, as of a check that started after this call.
    pub async fn lookup(&self, recipients: &[String]) -> Lookup {
        let (settings, routes) = self.current().await;
        let mut out = Lookup::default();
        for recipient in recipients {
            let key = recipient.to_lowercase();
            if let Some(found) = settings.get(&key) {
                out.settings.insert(key.clone(), found.clone());
            }
            if let Some(route) = routes.get(&key) {
                match out.routes.iter_mut().find(|(r, _)| r.id == route.id) {
                    Some((_, mine)) => mine.push(recipient.clone()),
                    None => out.routes.push((route.clone(), vec![recipient.clone()])),
                }
            }
        }
        out
    }

    async fn current(&self) -> Tables {
        // Any check numbered above those started so far began after we arrived.
        let wanted = self.started.load(Ordering::SeqCst) + 1;
        if self.finished.load(Ordering::SeqCst) < wanted {
            let _guard = self.checking.lock().await;
            if self.finished.load(Ordering::SeqCst) < wanted {
                let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
                self.check().await;
                self.finished.store(number, Ordering::SeqCst);
            }
        }
        let snapshot = self.read();
        (snapshot.settings.clone(), snapshot.routes.clone())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Snapshot> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Compares the stamp; reloads when it moved. A failure empties the cache, so that a
    /// store that does not answer means "the configured policy decides", as documented.
    async fn check(&self) {
        let stamp = match self.store.users_stamp().await {
            Ok(stamp) => stamp,
            Err(error) => {
                tracing::warn!(%error, "users' settings unavailable; the configured policy decides");
                *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Snapshot::default();
                return;
            }
        };
        if self.read().stamp == Some(stamp) {
            return;
        }
        match tokio::try_join!(self.store.all_settings(), self.store.active_routes()) {
            Ok((settings, routes)) => {
                let mut by_address = HashMap::new();
                for route in routes {
                    let route = Arc::new(route);
                    for address in &route.addresses {
                        by_address.insert(address.clone(), route.clone());
                    }
                }
                *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Snapshot {
                    stamp: Some(stamp),
                    settings: Arc::new(settings),
                    routes: Arc::new(by_address),
                };
            }
            Err(error) => {
                tracing::warn!(%error, "users' settings unavailable; the configured policy decides");
                *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Snapshot::default();
            }
        }
    }
}
