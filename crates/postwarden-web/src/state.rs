//! What every handler shares: the store, the configuration, the keys, the quarantine and
//! the relay that releases from it, and the in-memory limits (sign-in throttle, sending
//! rate). Cheap to clone.

use crate::auth::keys::Keys;
use crate::auth::throttle::Throttle;
use crate::auth::token::TokenCache;
use postwarden_core::Config;
use postwarden_filter::quarantine::Quarantine;
use postwarden_smtp::client::Relay;
use postwarden_store::Store;
use std::collections::{HashMap, VecDeque};
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Figures counted at a time: (when, (label, count) rows).
pub type Counted = (Instant, Vec<(String, i64)>);

/// The console's and API's shared state.
#[derive(Clone)]
pub struct WebState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: Arc<Config>,
    pub keys: Keys,
    pub quarantine: Quarantine,
    /// Where released mail goes: the filter's next hop.
    pub relay: Relay,
    pub throttle: Throttle,
    pub send_limit: RateLimit,
    /// This machine's name, for notifications sent from the console.
    pub hostname: String,
    /// The admin dashboard's top threats and when they were counted: reading them means
    /// parsing every finding of the last 24 hours, so they are counted at most once a minute.
    pub threats: tokio::sync::Mutex<Option<Counted>>,
    /// API tokens verified within `[web] token_cache`.
    pub tokens: TokenCache,
}

impl Deref for WebState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").finish_non_exhaustive()
    }
}

impl WebState {
    pub fn new(
        store: Store,
        config: Arc<Config>,
        keys: Keys,
        quarantine: Quarantine,
        relay: Relay,
        hostname: String,
    ) -> WebState {
        let web = &config.web;
        WebState(Arc::new(Inner {
            throttle: Throttle::new(web.throttle_window, web.throttle_account, web.throttle_ip),
            send_limit: RateLimit::new(Duration::from_secs(3600), web.send.max_per_hour),
            hostname,
            threats: tokio::sync::Mutex::new(None),
            tokens: TokenCache::new(web.token_cache),
            store,
            keys,
            quarantine,
            relay,
            config,
        }))
    }

    /// Whether cookies get `Secure`: the console is reached over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.config.web.public_url.starts_with("https://") || self.config.web.tls_cert.is_some()
    }
}

/// A sliding-window count per key (per user for the SMTP API).
#[derive(Debug)]
pub struct RateLimit {
    window: Duration,
    limit: u32,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimit {
    pub fn new(window: Duration, limit: u32) -> Self {
        RateLimit {
            window,
            limit,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `n` slots for `key`, or says how long until there is room.
    pub fn take(&self, key: &str, n: u32, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let times = seen.entry(key.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() + n as usize > self.limit as usize {
            let wait = times
                .front()
                .map_or(self.window, |t| self.window - now.duration_since(*t));
            return Err(wait);
        }
        times.extend(std::iter::repeat_n(now, n as usize));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_counts_per_key_within_its_window() {
        let limit = RateLimit::new(Duration::from_secs(10), 3);
        let t0 = Instant::now();
        assert!(limit.take("a", 2, t0).is_ok());
        assert!(limit.take("a", 2, t0).is_err(), "3 is the most");
        assert!(limit.take("a", 1, t0).is_ok());
        assert!(limit.take("b", 3, t0).is_ok());
        assert!(limit.take("a", 3, t0 + Duration::from_secs(10)).is_ok());
    }
}
