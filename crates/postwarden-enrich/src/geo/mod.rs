//! Country, AS number and AS organisation of an IP address.
//!
//! [`GeoDb::open`] takes two ordered lists of sources, country and ASN, each a sapics
//! ip-location-db CSV file or a MaxMind `.mmdb` file (chosen by the `.mmdb` extension).
//! A lookup asks the sources of each list in order and takes the first answer, so
//! `asn-ipv4.csv` and `asn-ipv6.csv` simply sit side by side.
//!
//! CSV files are parsed once ([`csv`]) into a compact sorted index ([`index`]) that is
//! cached under the cache directory ([`cache`]) and reused until the source's path, size
//! or modification time changes. `.mmdb` files are read whole and queried in place
//! ([`mmdb`]). [`update`] downloads new source files safely.

mod cache;
mod csv;
mod index;
mod mmdb;
mod update;

pub use update::update;

use crate::scope::canonical;
use index::{NO_ASN, NO_COUNTRY, RangeIndex};
use mmdb::MmdbSource;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What went wrong opening or updating geo databases; every variant names the file or URL.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: not a usable MaxMind database: {message}", path.display())]
    Mmdb { path: PathBuf, message: String },
    /// `url` is the URL or path given as the source.
    #[error("{url}: download failed: {message}")]
    Fetch { url: String, message: String },
    #[error("{url}: gave up after {after:?}; the old file is kept")]
    Timeout { url: String, after: Duration },
    #[error("{url}: the new file is not a valid database, the old one is kept: {message}")]
    Invalid { url: String, message: String },
}

impl GeoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> GeoError {
        GeoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn csv(path: &Path, line: u64, message: String) -> GeoError {
        GeoError::Csv {
            path: path.to_path_buf(),
            line,
            message,
        }
    }
}

/// What is known about one address. Strings borrow from the [`GeoDb`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoInfo<'a> {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub country: Option<&'a str>,
    pub asn: Option<u32>,
    pub as_org: Option<&'a str>,
}

/// The format of one opened source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// A CSV file parsed now (and written to the cache).
    CsvParsed,
    /// A CSV file whose index came from the cache.
    CsvCached,
    Mmdb,
}

/// A summary of one opened source, for `geo status`-style output and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub path: PathBuf,
    /// `"country"` or `"asn"`.
    pub kind: &'static str,
    pub format: SourceFormat,
    /// Ranges in a CSV index; `None` for `.mmdb`.
    pub ranges: Option<usize>,
    pub load_time: Duration,
}

#[derive(Debug)]
enum Data {
    Index(RangeIndex),
    Mmdb(MmdbSource),
}

#[derive(Debug)]
struct Source {
    info: SourceInfo,
    data: Data,
}

/// Country and ASN sources, opened and ready for lookups. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct GeoDb {
    country: Vec<Source>,
    asn: Vec<Source>,
}

fn is_mmdb(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mmdb"))
}

fn open_source(path: &Path, kind: csv::Kind, cache_dir: &Path) -> Result<Source, GeoError> {
    let started = Instant::now();
    let info = |format, ranges| SourceInfo {
        path: path.to_path_buf(),
        kind: kind.as_str(),
        format,
        ranges,
        load_time: started.elapsed(),
    };
    if is_mmdb(path) {
        let data = Data::Mmdb(MmdbSource::open(path)?);
        return Ok(Source {
            info: info(SourceFormat::Mmdb, None),
            data,
        });
    }
    let key = cache::SourceKey::of(path, kind.as_str()).map_err(|e| GeoError::io(path, e))?;
    let cache_file = key.cache_path(cache_dir);
    if let Some(idx) = cache::load(&cache_file, &key) {
        let info = info(SourceFormat::CsvCached, Some(idx.len()));
        return Ok(Source {
            info,
            data: Data::Index(idx),
        });
    }
    let (idx, dropped) = csv::parse_file(path, Some(kind))?;
    if dropped > 0 {
        tracing::warn!(path = %path.display(), dropped, "overlapping ranges ignored (the first by start address wins)");
    }
    if let Err(e) = cache::write_atomically(&cache_file, &cache::encode(&key, &idx)) {
        tracing::warn!(cache = %cache_file.display(), "geo cache not written, the CSV will be parsed again next time: {e}");
    }
    let info = info(SourceFormat::CsvParsed, Some(idx.len()));
    Ok(Source {
        info,
        data: Data::Index(idx),
    })
}

impl GeoDb {
    /// Opens every source. CSV indexes are loaded from `cache_dir` when current, otherwise
    /// parsed and cached there (a cache that can't be written is only a warning).
    pub fn open(country: &[PathBuf], asn: &[PathBuf], cache_dir: &Path) -> Result<GeoDb, GeoError> {
        let open_all = |paths: &[PathBuf], kind| {
            paths
                .iter()
                .map(|p| open_source(p, kind, cache_dir))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(GeoDb {
            country: open_all(country, csv::Kind::Country)?,
            asn: open_all(asn, csv::Kind::Asn)?,
        })
    }

    /// No sources: every lookup answers nothing.
    pub fn empty() -> GeoDb {
        GeoDb::default()
    }

    /// True when no source is configured.
    pub fn is_empty(&self) -> bool {
        self.country.is_empty() && self.asn.is_empty()
    }

    /// What was opened, country sources first.
    pub fn sources(&self) -> impl Iterator<Item = &SourceInfo> {
        self.country.iter().chain(&self.asn).map(|s| &s.info)
    }

    /// Country, ASN and organisation of `ip` (IPv4-mapped IPv6 is looked up as IPv4).
    /// Each field comes from the first source that knows it; the organisation comes from
    /// the same source as the AS number.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo<'_> {
        let ip = canonical(ip);
        let mut info = GeoInfo::default();
        for source in &self.country {
            let country = match &source.data {
                Data::Index(idx) => index_lookup(idx, ip).and_then(|r| {
                    (r.country != NO_COUNTRY)
                        .then(|| std::str::from_utf8(&r.country).ok())
                        .flatten()
                }),
                Data::Mmdb(db) => db.lookup(ip).and_then(|r| r.country()),
            };
            if country.is_some() {
                info.country = country;
                break;
            }
        }
        for source in &self.asn {
            let found = match &source.data {
                Data::Index(idx) => index_lookup(idx, ip)
                    .filter(|r| r.asn != NO_ASN)
                    .map(|r| (r.asn, idx.string(r.org))),
                Data::Mmdb(db) => db.lookup(ip).and_then(|r| {
                    r.autonomous_system_number
                        .map(|n| (n, r.autonomous_system_organization))
                }),
            };
            if let Some((asn, org)) = found {
                info.asn = Some(asn);
                info.as_org = org.filter(|o| !o.is_empty());
                break;
            }
        }
        info
    }
}

fn index_lookup(idx: &RangeIndex, ip: IpAddr) -> Option<&index::Record> {
    match ip {
        IpAddr::V4(v4) => idx.lookup_v4(v4.into()),
        IpAddr::V6(v6) => idx.lookup_v6(v6.into()),
    }
}
