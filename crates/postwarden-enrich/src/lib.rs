//! Client IP enrichment: what postwarden knows about an address besides the address.
//!
//! Three concerns, each behind a small API that the log pipeline calls per line:
//!
//! - [`geo`]: country, ASN and AS organisation from sapics ip-location-db CSV files or
//!   MaxMind `.mmdb` files. CSV sources are parsed once into a compact sorted index that is
//!   cached on disk, so start-up costs milliseconds and a lookup is a binary search.
//!   [`geo::update`] refreshes the source files without ever leaving a half-written one.
//! - [`scope`]: labels private, loopback, documentation and other non-public ranges, so they
//!   are neither looked up in DNS nor counted as somebody's network.
//! - [`rdns`]: reverse DNS with forward confirmation, behind the [`Resolve`] trait (tests
//!   have no network), with an LRU+TTL cache, shared in-flight queries, bounded
//!   concurrency and a per-lookup timeout.

pub mod geo;
pub mod rdns;
pub mod scope;

pub use geo::{GeoDb, GeoError, GeoInfo, SourceFormat, SourceInfo, update};
pub use rdns::{
    HickoryResolver, LookupFailure, LookupFuture, Rdns, RdnsStatus, Resolve, ReverseDns,
};
pub use scope::{IpScope, classify};
