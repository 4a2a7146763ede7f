//! The on-disk cache of parsed CSV sources: one binary file per source.
//!
//! A cache file is named after a hash of the source's path and kind, and its header holds
//! the source's path, size and modification time: when any differs, the cache is stale and
//! the source is parsed again. The body is the [`RangeIndex`] arrays in little-endian
//! order, so loading is a read and a few bulk conversions, then [`RangeIndex::validate`]
//! so a damaged file can never make a lookup panic (it is rebuilt instead). Files are
//! written atomically: a temporary file in the same directory, fsync, rename.

use super::index::{RangeIndex, Record};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

const MAGIC: &[u8; 8] = b"PWGEOIX1";

/// Identifies one version of one source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceKey {
    text: String,
    file_stem: String,
}

impl SourceKey {
    /// The key of `path` as it is now on disk, for a source of the given kind.
    pub fn of(path: &Path, kind: &str) -> io::Result<SourceKey> {
        let meta = std::fs::metadata(path)?;
        let abs = std::path::absolute(path)?;
        let mtime = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let file_stem = abs
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                    .collect()
            })
            .unwrap_or_default();
        Ok(SourceKey {
            text: format!("{kind}\0{}\0{}\0{mtime}", abs.display(), meta.len()),
            file_stem,
        })
    }

    /// Where this source's cache lives in `cache_dir`: stable for a path and kind.
    pub fn cache_path(&self, cache_dir: &Path) -> PathBuf {
        // FNV-1a over kind and path (not size and mtime: a changed source overwrites
        // its own cache file rather than leaving old ones behind).
        let identity = self.text.rsplitn(3, '\0').nth(2).unwrap_or_default();
        let hash = identity.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        cache_dir.join(format!("{}.{hash:016x}.idx", self.file_stem))
    }
}

/// Serialises an index with its key.
pub(crate) fn encode(key: &SourceKey, idx: &RangeIndex) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        64 + key.text.len()
            + idx.v4_start.len() * 12
            + idx.v6_start.len() * 36
            + idx.records.len() * 10
            + idx.str_offsets.len() * 4
            + idx.strings.len(),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(key.text.len() as u64).to_le_bytes());
    out.extend_from_slice(key.text.as_bytes());
    for n in [
        idx.v4_start.len(),
        idx.v6_start.len(),
        idx.records.len(),
        idx.str_offsets.len(),
        idx.strings.len(),
    ] {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    for a in [&idx.v4_start, &idx.v4_end, &idx.v4_rec] {
        a.iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    }
    for a in [&idx.v6_start, &idx.v6_end] {
        a.iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    }
    idx.v6_rec
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    for r in &idx.records {
        out.extend_from_slice(&r.asn.to_le_bytes());
        out.extend_from_slice(&r.org.to_le_bytes());
        out.extend_from_slice(&r.country);
    }
    idx.str_offsets
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out.extend_from_slice(idx.strings.as_bytes());
    out
}

/// Reads little-endian values off a byte slice.
struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.buf.len() {
            return Err("file is truncated".into());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn count(&mut self) -> Result<usize, String> {
        let n = self.u64()?;
        // No array can be longer than the rest of the file.
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.buf.len())
            .ok_or_else(|| "a length is out of range".into())
    }

    fn u32s(&mut self, n: usize) -> Result<Vec<u32>, String> {
        let bytes = self.take(n.checked_mul(4).ok_or("a length is out of range")?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }

    fn u128s(&mut self, n: usize) -> Result<Vec<u128>, String> {
        let bytes = self.take(n.checked_mul(16).ok_or("a length is out of range")?)?;
        Ok(bytes
            .chunks_exact(16)
            .map(|c| u128::from_le_bytes(c.try_into().expect("16 bytes")))
            .collect())
    }
}

/// Deserialises an index written by [`encode`] for `key`. `Err` says why it can't be used.
pub(crate) fn decode(key: &SourceKey, buf: &[u8]) -> Result<RangeIndex, String> {
    let mut c = Cursor { buf };
    if c.take(MAGIC.len())? != MAGIC {
        return Err("not a postwarden geo index (or an older format)".into());
    }
    let key_len = c.count()?;
    if c.take(key_len)? != key.text.as_bytes() {
        return Err("source changed since the cache was written".into());
    }
    let (n4, n6, nrec, noff, nstr) = (c.count()?, c.count()?, c.count()?, c.count()?, c.count()?);
    let mut idx = RangeIndex {
        v4_start: c.u32s(n4)?,
        v4_end: c.u32s(n4)?,
        v4_rec: c.u32s(n4)?,
        v6_start: c.u128s(n6)?,
        v6_end: c.u128s(n6)?,
        v6_rec: c.u32s(n6)?,
        ..RangeIndex::default()
    };
    let recs = c.take(nrec.checked_mul(10).ok_or("a length is out of range")?)?;
    idx.records = recs
        .chunks_exact(10)
        .map(|r| Record {
            asn: u32::from_le_bytes(r[0..4].try_into().expect("4 bytes")),
            org: u32::from_le_bytes(r[4..8].try_into().expect("4 bytes")),
            country: [r[8], r[9]],
        })
        .collect();
    idx.str_offsets = c.u32s(noff)?;
    idx.strings = std::str::from_utf8(c.take(nstr)?)
        .map_err(|_| "strings are not UTF-8")?
        .to_owned();
    if !c.buf.is_empty() {
        return Err("trailing bytes after the index".into());
    }
    idx.validate()?;
    Ok(idx)
}

/// The cached index for `key`, if the cache file exists and matches.
pub(crate) fn load(cache_file: &Path, key: &SourceKey) -> Option<RangeIndex> {
    let buf = std::fs::read(cache_file).ok()?;
    match decode(key, &buf) {
        Ok(idx) => Some(idx),
        Err(why) => {
            tracing::debug!(cache = %cache_file.display(), "geo cache not used: {why}");
            None
        }
    }
}

/// Writes `bytes` to `dest` atomically: temp file in the same directory, fsync, rename,
/// then fsync of the directory so the rename itself is durable.
pub(crate) fn write_atomically(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_path(dest);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dest)?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temporary name next to `dest`, unique within this process and across processes.
pub(crate) fn temp_path(dest: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Best effort: makes a rename in `dir` durable (a no-op where directories can't be opened).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::{IndexBuilder, NO_ASN, NO_COUNTRY};
    use super::*;

    fn sample() -> RangeIndex {
        let mut b = IndexBuilder::default();
        let g = b.intern("Google LLC");
        b.push_v4(
            10,
            20,
            Record {
                asn: 15169,
                org: g,
                country: NO_COUNTRY,
            },
        );
        b.push_v6(
            1 << 100,
            (1 << 100) + 5,
            Record {
                asn: NO_ASN,
                org: g,
                country: *b"US",
            },
        );
        b.finish().0
    }

    fn key(dir: &Path) -> SourceKey {
        let src = dir.join("asn-ipv4.csv");
        std::fs::write(&src, "x").unwrap();
        SourceKey::of(&src, "asn").unwrap()
    }

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(dir.path());
        let idx = sample();
        let file = k.cache_path(dir.path());
        write_atomically(&file, &encode(&k, &idx)).unwrap();
        assert_eq!(load(&file, &k), Some(idx));
        assert!(
            file.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("asn-ipv4.csv.")
        );
    }

    #[test]
    fn other_key_or_damage_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(dir.path());
        let bytes = encode(&k, &sample());
        let other = SourceKey {
            text: k.text.replace("asn", "country"),
            file_stem: String::new(),
        };
        assert!(decode(&other, &bytes).unwrap_err().contains("changed"));
        for cut in [0, 7, 20, bytes.len() - 1] {
            assert!(decode(&k, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad.push(0);
        assert!(decode(&k, &bad).is_err());
        // Flip every byte of the body in turn: never a panic, never an invalid index.
        let body = 8 + 8 + k.text.len();
        for i in body..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            if let Ok(idx) = decode(&k, &b) {
                idx.validate().unwrap();
            }
        }
    }

    #[test]
    fn same_path_same_cache_file_after_change() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = key(dir.path());
        std::fs::write(dir.path().join("asn-ipv4.csv"), "longer").unwrap();
        let k2 = SourceKey::of(&dir.path().join("asn-ipv4.csv"), "asn").unwrap();
        assert_ne!(k1, k2);
        assert_eq!(k1.cache_path(dir.path()), k2.cache_path(dir.path()));
        assert_ne!(
            k1.cache_path(dir.path()),
            SourceKey::of(&dir.path().join("asn-ipv4.csv"), "country")
                .unwrap()
                .cache_path(dir.path())
        );
    }
}
