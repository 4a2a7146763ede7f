//! The DNS questions reverse DNS needs, behind a trait so tests need no network.
//!
//! [`Resolve`] asks two things: the PTR names of an address and the addresses of a name.
//! [`HickoryResolver`] answers them with hickory-resolver, from the system configuration
//! (`/etc/resolv.conf`) or from given name servers.

use hickory_resolver::config::ResolverOpts;
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

/// Why a DNS question got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// The name or record does not exist (NXDOMAIN or no records of the type).
    NotFound,
    /// No answer in time.
    Timeout,
    /// Anything else: SERVFAIL, refused, network errors.
    Other(String),
}

impl std::fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupFailure::NotFound => f.write_str("not found"),
            LookupFailure::Timeout => f.write_str("timed out"),
            LookupFailure::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LookupFailure {}

/// The future a [`Resolve`] method returns (boxed, so the trait works as `dyn Resolve`).
pub type LookupFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LookupFailure>> + Send + 'a>>;

/// Something that can answer PTR and forward (A/AAAA) questions.
pub trait Resolve: Send + Sync + 'static {
    /// The PTR names of `ip`, without trailing dots.
    fn ptr(&self, ip: IpAddr) -> LookupFuture<'_, Vec<String>>;
    /// The A and AAAA addresses of `name`.
    fn forward<'a>(&'a self, name: &'a str) -> LookupFuture<'a, Vec<IpAddr>>;
}

/// A [`Resolve`] backed by hickory-resolver.
#[derive(Clone)]
pub struct HickoryResolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryResolver").finish_non_exhaustive()
    }
}

fn failure(e: NetError) -> LookupFailure {
    if e.is_no_records_found() || e.is_nx_domain() {
        LookupFailure::NotFound
    } else if matches!(e, NetError::Timeout) {
        LookupFailure::Timeout
    } else {
        LookupFailure::Other(e.to_string())
    }
}

/// Per-query limits inside hickory; [`super::ReverseDns`] bounds each whole lookup itself.
fn set_options(opts: &mut ResolverOpts) {
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 2;
    // ReverseDns caches answers itself, with its own TTL.
    opts.cache_size = 0;
}

impl HickoryResolver {
    /// Uses the system's resolver configuration (`/etc/resolv.conf`).
    pub fn from_system() -> Result<HickoryResolver, LookupFailure> {
        let mut builder =
            TokioResolver::builder_tokio().map_err(|e| LookupFailure::Other(e.to_string()))?;
        set_options(builder.options_mut());
        let inner = builder
            .build()
            .map_err(|e| LookupFailure::Other(e.to_string()))?;
        Ok(HickoryResolver { inner })
    }

    /// Asks the given name servers (UDP, then TCP for truncated answers), in order.
    pub fn with_servers(servers: &[SocketAddr]) -> Result<HickoryResolver, LookupFailure> {
        let config = postwarden_core::dns::resolver_config(servers);
        let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
        set_options(builder.options_mut());
        let inner = builder
            .build()
            .map_err(|e| LookupFailure::Other(e.to_string()))?;
        Ok(HickoryResolver { inner })
    }
}

impl Resolve for HickoryResolver {
    fn ptr(&self, ip: IpAddr) -> LookupFuture<'_, Vec<String>> {
        Box::pin(async move {
            let lookup = self.inner.reverse_lookup(ip).await.map_err(failure)?;
            let names: Vec<String> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::PTR(ptr) => Some(ptr.0.to_utf8().trim_end_matches('.').to_owned()),
                    _ => None,
                })
                .collect();
            if names.is_empty() {
                Err(LookupFailure::NotFound)
            } else {
                Ok(names)
            }
        })
    }

    fn forward<'a>(&'a self, name: &'a str) -> LookupFuture<'a, Vec<IpAddr>> {
        Box::pin(async move {
            // A trailing dot makes the name absolute: no search domains are tried.
            let fqdn = format!("{}.", name.trim_end_matches('.'));
            let lookup = self.inner.lookup_ip(fqdn.as_str()).await.map_err(failure)?;
            Ok(lookup.iter().collect())
        })
    }
}
