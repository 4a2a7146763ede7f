//! MaxMind DB (`.mmdb`) sources, read with the `maxminddb` crate.
//!
//! Understands the layouts that carry a country or an AS: MaxMind GeoIP2/GeoLite2 Country
//! and City (`country.iso_code`, falling back to `registered_country.iso_code`), GeoLite2
//! ASN and GeoIP2 ISP (`autonomous_system_number`, `autonomous_system_organization`), and
//! sapics ip-location-db's own files (`country_code` at the top level; its ASN files use
//! the GeoLite2 ASN names). Strings are borrowed from the loaded file, never copied.

use super::GeoError;
use maxminddb::Reader;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One opened `.mmdb` file.
pub(crate) struct MmdbSource {
    path: PathBuf,
    reader: Reader<Vec<u8>>,
}

impl std::fmt::Debug for MmdbSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbSource")
            .field("path", &self.path)
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

/// The fields of any supported layout; absent ones stay `None`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MmdbRecord<'a> {
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow)]
    registered_country: Option<IsoCode<'a>>,
    #[serde(borrow)]
    country_code: Option<&'a str>,
    pub autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    pub autonomous_system_organization: Option<&'a str>,
}

impl<'a> MmdbRecord<'a> {
    /// The country: where the address is, else where its network is registered.
    pub fn country(&self) -> Option<&'a str> {
        let iso = |c: &Option<IsoCode<'a>>| c.as_ref().and_then(|c| c.iso_code);
        iso(&self.country)
            .or(self.country_code)
            .or_else(|| iso(&self.registered_country))
            .filter(|c| !c.is_empty())
    }
}

impl MmdbSource {
    /// Opens and reads the whole file (metadata is checked; see [`MmdbSource::verify`]).
    pub fn open(path: &Path) -> Result<MmdbSource, GeoError> {
        let reader = Reader::open_readfile(path).map_err(|e| GeoError::Mmdb {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(MmdbSource {
            path: path.to_path_buf(),
            reader,
        })
    }

    /// Walks the whole search tree and data section: slow, for `geo update` validation.
    pub fn verify(&self) -> Result<(), GeoError> {
        self.reader.verify().map_err(|e| GeoError::Mmdb {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    /// The record for `ip`, if the database has one. Errors (such as an IPv6 address in
    /// an IPv4-only database) count as no record.
    pub fn lookup(&self, ip: IpAddr) -> Option<MmdbRecord<'_>> {
        match self
            .reader
            .lookup(ip)
            .and_then(|r| r.decode::<MmdbRecord<'_>>())
        {
            Ok(rec) => rec,
            Err(e) => {
                tracing::trace!(path = %self.path.display(), %ip, "mmdb lookup failed: {e}");
                None
            }
        }
    }
}
