//! The resolver of the `auth` processor: mail-auth's [`MessageAuthenticator`] over
//! hickory-resolver, asking `[dns] nameservers` (UDP, then TCP for truncated answers) or
//! those of `/etc/resolv.conf`, with one bounded cache per record type.
//!
//! Two caches, on purpose: mail-auth caches *parsed* records (an SPF record, a DKIM key, a
//! DMARC policy) through its `ResolverCache` trait, so a cached answer costs a hash lookup
//! and an `Arc` clone, not a parse — but it keeps no negative answers, and most names a
//! check asks about do not exist (no SPF for the HELO name, no DMARC record). hickory's own
//! cache keeps those, each for at least [`NEGATIVE_MIN_TTL`]. Entries live for their TTL,
//! at most [`MAX_TTL`]; the least recently used go first when a cache is full.

use hickory_resolver::config::ResolverOpts;
use mail_auth::{MX, MessageAuthenticator, Parameters, RecordSet, ResolverCache, Txt};
use postwarden_core::config::DnsConfig;
use std::borrow::Borrow;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest any answer is kept, whatever its TTL says.
const MAX_TTL: Duration = Duration::from_secs(3600);
/// The shortest a "no such record" answer is kept (servers that send no SOA give none).
const NEGATIVE_MIN_TTL: Duration = Duration::from_secs(60);

/// A resolver with caches; cheap to share behind an `Arc`.
pub struct Dns {
    authenticator: MessageAuthenticator,
    txt: Cache<Box<str>, Txt>,
    mx: Cache<Box<str>, RecordSet<MX>>,
    ptr: Cache<IpAddr, RecordSet<Box<str>>>,
    ipv4: Cache<Box<str>, RecordSet<Ipv4Addr>>,
    ipv6: Cache<Box<str>, RecordSet<Ipv6Addr>>,
}

/// The parameters type mail-auth's checks take, with our caches.
pub type WithCaches<'x, P> = Parameters<
    'x,
    P,
    Cache<Box<str>, Txt>,
    Cache<Box<str>, RecordSet<MX>>,
    Cache<Box<str>, RecordSet<Ipv4Addr>>,
    Cache<Box<str>, RecordSet<Ipv6Addr>>,
    Cache<IpAddr, RecordSet<Box<str>>>,
>;

/// The resolver could not be set up (an unreadable `/etc/resolv.conf`).
#[derive(Debug, thiserror::Error)]
#[error("DNS resolver: {0} (set [dns] nameservers to name the servers explicitly)")]
pub struct DnsSetupError(String);

impl Dns {
    pub fn new(config: &DnsConfig) -> Result<Self, DnsSetupError> {
        let resolver_config = if config.nameservers.is_empty() {
            let (system, _) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsSetupError(e.to_string()))?;
            system
        } else {
            postwarden_core::dns::resolver_config(&config.nameservers)
        };
        let mut options = ResolverOpts::default();
        options.timeout = config.timeout;
        options.attempts = config.attempts.max(1);
        options.cache_size = config.cache_size.max(1) as u64;
        options.positive_max_ttl = Some(MAX_TTL);
        options.negative_min_ttl = Some(NEGATIVE_MIN_TTL);
        options.negative_max_ttl = Some(MAX_TTL);
        let authenticator = MessageAuthenticator::new(resolver_config, options)
            .map_err(|e| DnsSetupError(e.to_string()))?;
        let size = NonZeroUsize::new(config.cache_size.max(1)).unwrap_or(NonZeroUsize::MIN);
        Ok(Self {
            authenticator,
            txt: Cache::new(size),
            mx: Cache::new(size),
            ptr: Cache::new(size),
            ipv4: Cache::new(size),
            ipv6: Cache::new(size),
        })
    }

    pub fn authenticator(&self) -> &MessageAuthenticator {
        &self.authenticator
    }

    /// `params` for one of mail-auth's checks, with the caches attached.
    pub fn parameters<P>(&self, params: P) -> WithCaches<'_, P> {
        Parameters::new(params)
            .with_txt_cache(&self.txt)
            .with_mx_cache(&self.mx)
            .with_ptr_cache(&self.ptr)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
    }
}

/// A bounded map whose entries expire; mail-auth reads and fills it.
pub struct Cache<K: Hash + Eq, V> {
    entries: Mutex<lru::LruCache<K, (V, Instant)>>,
}

impl<K: Hash + Eq, V> Cache<K, V> {
    fn new(size: NonZeroUsize) -> Self {
        Self {
            entries: Mutex::new(lru::LruCache::new(size)),
        }
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Cache<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(name) {
            Some((value, until)) if *until > Instant::now() => Some(value.clone()),
            Some(_) => {
                entries.pop(name);
                None
            }
            None => None,
        }
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.pop(name).map(|(value, _)| value)
    }

    fn insert(&self, key: K, value: V, valid_until: Instant) {
        let until = valid_until.min(Instant::now() + MAX_TTL);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put(key, (value, until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_until_its_time_and_no_longer() {
        let cache: Cache<Box<str>, u32> = Cache::new(NonZeroUsize::new(2).unwrap());
        cache.insert(
            "a.example.".into(),
            1,
            Instant::now() + Duration::from_secs(60),
        );
        cache.insert(
            "b.example.".into(),
            2,
            Instant::now() - Duration::from_secs(1),
        );
        assert_eq!(cache.get("a.example."), Some(1));
        assert_eq!(cache.get("b.example."), None, "expired");
        cache.insert(
            "c.example.".into(),
            3,
            Instant::now() + Duration::from_secs(60),
        );
        cache.insert(
            "d.example.".into(),
            4,
            Instant::now() + Duration::from_secs(60),
        );
        assert_eq!(
            cache.get("a.example."),
            None,
            "the least recently used went first"
        );
        assert_eq!(cache.remove("d.example."), Some(4));
    }
}
