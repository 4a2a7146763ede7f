//! Reverse DNS of client addresses, with forward confirmation, cached and bounded.
//!
//! [`ReverseDns::lookup`] asks for the PTR names of an address, then looks the names up
//! forward: a name that resolves back to the address is *confirmed* (forward-confirmed
//! reverse DNS, as Postfix's `reject_unknown_client_hostname` means it), otherwise it is
//! only *unconfirmed*. Non-public addresses are labelled with their [`IpScope`] and never
//! queried.
//!
//! Answers and failures alike are kept in an LRU cache for a fixed TTL. A cache entry is
//! created before its query starts, so concurrent lookups of one address share a single
//! query. A semaphore bounds the queries in flight, and a timeout bounds each lookup
//! (PTR and forward confirmation together, measured once a permit is held). Times use
//! tokio's clock, so tests can pause it.

mod resolve;

pub use resolve::{HickoryResolver, LookupFailure, LookupFuture, Resolve};

use crate::scope::{IpScope, canonical, classify};
use lru::LruCache;
use postwarden_core::config::RdnsConfig;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

/// PTR names tried for forward confirmation; a PTR set larger than this is unusual.
const MAX_NAMES_CONFIRMED: usize = 3;

/// The outcome of a reverse lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdnsStatus {
    /// The PTR name resolves back to the address.
    Confirmed,
    /// There is a PTR name, but it does not resolve back to the address.
    Unconfirmed,
    /// The address has no PTR record.
    NoPtr,
    /// No answer within the timeout (the PTR name, if it came, is kept).
    Timeout,
    /// The DNS answered with an error (SERVFAIL, refused, network trouble).
    Failed,
    /// Not looked up: the address is not public.
    NotPublic(IpScope),
    /// Not looked up: reverse DNS is switched off.
    Disabled,
}

impl RdnsStatus {
    /// A stable snake_case name for storage and display.
    pub fn as_str(self) -> &'static str {
        match self {
            RdnsStatus::Confirmed => "confirmed",
            RdnsStatus::Unconfirmed => "unconfirmed",
            RdnsStatus::NoPtr => "no_ptr",
            RdnsStatus::Timeout => "timeout",
            RdnsStatus::Failed => "failed",
            RdnsStatus::NotPublic(_) => "not_public",
            RdnsStatus::Disabled => "disabled",
        }
    }
}

impl std::fmt::Display for RdnsStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reverse DNS of one address: the name (confirmed or not) and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rdns {
    pub name: Option<String>,
    pub status: RdnsStatus,
}

impl Rdns {
    fn bare(status: RdnsStatus) -> Rdns {
        Rdns { name: None, status }
    }
}

#[derive(Debug)]
struct Entry {
    rdns: Rdns,
    expires: Instant,
}

/// A cache slot: empty while its query runs, so later callers wait on it.
type Slot = Arc<OnceCell<Entry>>;

struct Inner {
    resolver: Arc<dyn Resolve>,
    cache: Mutex<LruCache<IpAddr, Slot>>,
    permits: Semaphore,
    timeout: Duration,
    ttl: Duration,
}

/// Cached, bounded reverse DNS. Clone it freely: clones share the cache.
#[derive(Clone)]
pub struct ReverseDns {
    inner: Option<Arc<Inner>>,
}

impl std::fmt::Debug for ReverseDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            None => f.write_str("ReverseDns(disabled)"),
            Some(i) => f
                .debug_struct("ReverseDns")
                .field("timeout", &i.timeout)
                .field("ttl", &i.ttl)
                .field("available_permits", &i.permits.available_permits())
                .finish_non_exhaustive(),
        }
    }
}

impl ReverseDns {
    /// Reverse DNS through `resolver` as `config` says; disabled if `config.enabled` is false.
    pub fn new(resolver: Arc<dyn Resolve>, config: &RdnsConfig) -> ReverseDns {
        if !config.enabled {
            return ReverseDns::disabled();
        }
        let size = NonZeroUsize::new(config.cache_size).unwrap_or(NonZeroUsize::MIN);
        ReverseDns {
            inner: Some(Arc::new(Inner {
                resolver,
                cache: Mutex::new(LruCache::new(size)),
                permits: Semaphore::new(config.concurrency.max(1)),
                timeout: config.timeout,
                ttl: config.cache_ttl,
            })),
        }
    }

    /// Answers every lookup with [`RdnsStatus::Disabled`] (or `NotPublic`) without a query.
    pub fn disabled() -> ReverseDns {
        ReverseDns { inner: None }
    }

    /// False for [`ReverseDns::disabled`]: lookups then never query.
    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The reverse DNS of `ip`, from the cache or by asking the resolver.
    pub async fn lookup(&self, ip: IpAddr) -> Rdns {
        let ip = canonical(ip);
        let scope = classify(ip);
        if !scope.is_public() {
            return Rdns::bare(RdnsStatus::NotPublic(scope));
        }
        let Some(inner) = &self.inner else {
            return Rdns::bare(RdnsStatus::Disabled);
        };
        let slot = inner.slot(ip);
        slot.get_or_init(|| inner.resolve(ip)).await.rdns.clone()
    }
}

impl Inner {
    /// The cache slot for `ip`: the current one, or a fresh one if absent or expired.
    fn slot(&self, ip: IpAddr) -> Slot {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(slot) = cache.get(&ip)
            && slot.get().is_none_or(|e| e.expires > Instant::now())
        {
            return Arc::clone(slot);
        }
        let slot = Slot::default();
        cache.put(ip, Arc::clone(&slot));
        slot
    }

    async fn resolve(&self, ip: IpAddr) -> Entry {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let deadline = Instant::now() + self.timeout;
        let rdns = self.query(ip, deadline).await;
        Entry {
            rdns,
            expires: Instant::now() + self.ttl,
        }
    }

    async fn query(&self, ip: IpAddr, deadline: Instant) -> Rdns {
        let names = match tokio::time::timeout_at(deadline, self.resolver.ptr(ip)).await {
            Err(_) | Ok(Err(LookupFailure::Timeout)) => return Rdns::bare(RdnsStatus::Timeout),
            Ok(Err(LookupFailure::NotFound)) => return Rdns::bare(RdnsStatus::NoPtr),
            Ok(Err(LookupFailure::Other(why))) => {
                tracing::debug!(%ip, "PTR lookup failed: {why}");
                return Rdns::bare(RdnsStatus::Failed);
            }
            Ok(Ok(names)) => names,
        };
        let Some(first) = names.first() else {
            return Rdns::bare(RdnsStatus::NoPtr);
        };
        let mut status = RdnsStatus::Unconfirmed;
        for name in names.iter().take(MAX_NAMES_CONFIRMED) {
            match tokio::time::timeout_at(deadline, self.resolver.forward(name)).await {
                Ok(Ok(addrs)) if addrs.iter().any(|a| canonical(*a) == ip) => {
                    return Rdns {
                        name: Some(name.clone()),
                        status: RdnsStatus::Confirmed,
                    };
                }
                Err(_) | Ok(Err(LookupFailure::Timeout)) => status = RdnsStatus::Timeout,
                Ok(_) => {}
            }
        }
        Rdns {
            name: Some(first.clone()),
            status,
        }
    }
}
