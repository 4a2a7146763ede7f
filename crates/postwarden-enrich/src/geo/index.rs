//! The compact range index that CSV sources are turned into.
//!
//! Ranges are kept as parallel sorted arrays (IPv4 as `u32`, IPv6 as `u128`) whose values
//! point into a table of distinct records; organisation names are interned once into one
//! string blob. A lookup is one binary search. The same layout is what the on-disk cache
//! ([`super::cache`]) stores, so loading it is a few bulk copies.

use std::collections::HashMap;

/// Marks "no organisation" in [`Record::org`].
pub(crate) const NO_STRING: u32 = u32::MAX;
/// Marks "no AS number" in [`Record::asn`] (AS 4294967295 is reserved, never an origin).
pub(crate) const NO_ASN: u32 = u32::MAX;
/// Marks "no country" in [`Record::country`].
pub(crate) const NO_COUNTRY: [u8; 2] = [0, 0];

/// What one range maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Record {
    pub asn: u32,
    pub org: u32,
    pub country: [u8; 2],
}

/// A sorted, non-overlapping set of ranges with their records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RangeIndex {
    pub v4_start: Vec<u32>,
    pub v4_end: Vec<u32>,
    pub v4_rec: Vec<u32>,
    pub v6_start: Vec<u128>,
    pub v6_end: Vec<u128>,
    pub v6_rec: Vec<u32>,
    pub records: Vec<Record>,
    /// `str_offsets[i]..str_offsets[i + 1]` is string `i` in `strings`.
    pub str_offsets: Vec<u32>,
    pub strings: String,
}

/// Index of the range holding `x`, given sorted starts and their ends.
fn find<T: Ord + Copy>(starts: &[T], ends: &[T], x: T) -> Option<usize> {
    let i = starts.partition_point(|&s| s <= x);
    (i > 0 && ends[i - 1] >= x).then(|| i - 1)
}

impl RangeIndex {
    /// The record for an IPv4 address, if a range holds it.
    pub fn lookup_v4(&self, ip: u32) -> Option<&Record> {
        find(&self.v4_start, &self.v4_end, ip).map(|i| &self.records[self.v4_rec[i] as usize])
    }

    /// The record for an IPv6 address, if a range holds it.
    pub fn lookup_v6(&self, ip: u128) -> Option<&Record> {
        find(&self.v6_start, &self.v6_end, ip).map(|i| &self.records[self.v6_rec[i] as usize])
    }

    /// Interned string `id`, or `None` for [`NO_STRING`].
    pub fn string(&self, id: u32) -> Option<&str> {
        if id == NO_STRING {
            return None;
        }
        let i = id as usize;
        Some(&self.strings[self.str_offsets[i] as usize..self.str_offsets[i + 1] as usize])
    }

    /// Number of ranges, IPv4 and IPv6 together.
    pub fn len(&self) -> usize {
        self.v4_start.len() + self.v6_start.len()
    }

    /// Checks every invariant a lookup relies on, so that an index read from disk can never
    /// make a lookup panic or return a wrong slice.
    pub fn validate(&self) -> Result<(), String> {
        let n4 = self.v4_start.len();
        let n6 = self.v6_start.len();
        if self.v4_end.len() != n4 || self.v4_rec.len() != n4 {
            return Err("IPv4 arrays differ in length".into());
        }
        if self.v6_end.len() != n6 || self.v6_rec.len() != n6 {
            return Err("IPv6 arrays differ in length".into());
        }
        fn sorted<T: Ord + Copy>(starts: &[T], ends: &[T]) -> bool {
            starts.iter().zip(ends).all(|(s, e)| s <= e) && starts.windows(2).all(|w| w[0] <= w[1])
        }
        if !sorted(&self.v4_start, &self.v4_end) || !sorted(&self.v6_start, &self.v6_end) {
            return Err("ranges are not sorted".into());
        }
        let nrec = self.records.len();
        if self
            .v4_rec
            .iter()
            .chain(&self.v6_rec)
            .any(|&r| r as usize >= nrec)
        {
            return Err("a range points past the record table".into());
        }
        if self.str_offsets.is_empty() || self.str_offsets[0] != 0 {
            return Err("string table has no start offset".into());
        }
        if self.str_offsets.windows(2).any(|w| w[0] > w[1])
            || *self.str_offsets.last().unwrap_or(&0) as usize != self.strings.len()
            || !self
                .str_offsets
                .iter()
                .all(|&o| self.strings.is_char_boundary(o as usize))
        {
            return Err("string offsets are inconsistent".into());
        }
        let nstr = self.str_offsets.len() - 1;
        for r in &self.records {
            if r.org != NO_STRING && r.org as usize >= nstr {
                return Err("a record points past the string table".into());
            }
            if r.country != NO_COUNTRY && !r.country.iter().all(u8::is_ascii_uppercase) {
                return Err("a country code is not two ASCII letters".into());
            }
        }
        Ok(())
    }
}

/// Collects ranges and interns records and strings; [`IndexBuilder::finish`] sorts.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
    records: Vec<Record>,
    record_ids: HashMap<Record, u32>,
    strings: String,
    str_offsets: Vec<u32>,
    string_ids: HashMap<Box<str>, u32>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self {
            v4: Vec::new(),
            v6: Vec::new(),
            records: Vec::new(),
            record_ids: HashMap::new(),
            strings: String::new(),
            str_offsets: vec![0],
            string_ids: HashMap::new(),
        }
    }
}

impl IndexBuilder {
    /// The id of `s` in the string table, adding it the first time.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = (self.str_offsets.len() - 1) as u32;
        self.strings.push_str(s);
        self.str_offsets.push(self.strings.len() as u32);
        self.string_ids.insert(s.into(), id);
        id
    }

    fn record(&mut self, rec: Record) -> u32 {
        let next = self.records.len() as u32;
        let id = *self.record_ids.entry(rec).or_insert(next);
        if id == next {
            self.records.push(rec);
        }
        id
    }

    pub fn push_v4(&mut self, start: u32, end: u32, rec: Record) {
        let id = self.record(rec);
        self.v4.push((start, end, id));
    }

    pub fn push_v6(&mut self, start: u128, end: u128, rec: Record) {
        let id = self.record(rec);
        self.v6.push((start, end, id));
    }

    /// Sorts the ranges and builds the index. Returns it with the number of ranges dropped
    /// because they overlapped an earlier one (the first range, by start, wins).
    pub fn finish(mut self) -> (RangeIndex, usize) {
        self.v4.sort_unstable();
        self.v6.sort_unstable();
        let mut dropped = 0;
        let mut idx = RangeIndex {
            records: self.records,
            str_offsets: self.str_offsets,
            strings: self.strings,
            ..RangeIndex::default()
        };
        for (s, e, r) in self.v4 {
            if idx.v4_end.last().is_some_and(|&last| s <= last) {
                dropped += 1;
                continue;
            }
            idx.v4_start.push(s);
            idx.v4_end.push(e);
            idx.v4_rec.push(r);
        }
        for (s, e, r) in self.v6 {
            if idx.v6_end.last().is_some_and(|&last| s <= last) {
                dropped += 1;
                continue;
            }
            idx.v6_start.push(s);
            idx.v6_end.push(e);
            idx.v6_rec.push(r);
        }
        (idx, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(asn: u32) -> Record {
        Record {
            asn,
            org: NO_STRING,
            country: NO_COUNTRY,
        }
    }

    #[test]
    fn finds_edges_and_gaps() {
        let mut b = IndexBuilder::default();
        b.push_v4(20, 29, rec(2));
        b.push_v4(10, 19, rec(1));
        b.push_v4(40, 49, rec(4));
        let (idx, dropped) = b.finish();
        assert_eq!(dropped, 0);
        idx.validate().unwrap();
        assert_eq!(idx.lookup_v4(9), None);
        assert_eq!(idx.lookup_v4(10).unwrap().asn, 1);
        assert_eq!(idx.lookup_v4(19).unwrap().asn, 1);
        assert_eq!(idx.lookup_v4(20).unwrap().asn, 2);
        assert_eq!(idx.lookup_v4(30), None);
        assert_eq!(idx.lookup_v4(49).unwrap().asn, 4);
        assert_eq!(idx.lookup_v4(u32::MAX), None);
        assert_eq!(idx.lookup_v6(15), None);
    }

    #[test]
    fn interns_strings_and_records() {
        let mut b = IndexBuilder::default();
        let a = b.intern("Google LLC");
        let c = b.intern("Cloudflare, Inc.");
        assert_eq!(b.intern("Google LLC"), a);
        b.push_v6(
            1,
            2,
            Record {
                asn: 15169,
                org: a,
                country: *b"US",
            },
        );
        b.push_v6(
            5,
            6,
            Record {
                asn: 15169,
                org: a,
                country: *b"US",
            },
        );
        b.push_v6(
            8,
            9,
            Record {
                asn: 13335,
                org: c,
                country: NO_COUNTRY,
            },
        );
        let (idx, _) = b.finish();
        idx.validate().unwrap();
        assert_eq!(idx.records.len(), 2);
        assert_eq!(
            idx.string(idx.lookup_v6(6).unwrap().org),
            Some("Google LLC")
        );
        assert_eq!(
            idx.string(idx.lookup_v6(9).unwrap().org),
            Some("Cloudflare, Inc.")
        );
        assert_eq!(idx.string(NO_STRING), None);
    }

    #[test]
    fn overlapping_ranges_are_dropped_and_counted() {
        let mut b = IndexBuilder::default();
        b.push_v4(10, 30, rec(1));
        b.push_v4(15, 20, rec(2));
        let (idx, dropped) = b.finish();
        assert_eq!(dropped, 1);
        assert_eq!(idx.lookup_v4(16).unwrap().asn, 1);
    }

    #[test]
    fn validate_rejects_bad_indices() {
        let mut b = IndexBuilder::default();
        b.push_v4(1, 2, rec(1));
        let (mut idx, _) = b.finish();
        idx.v4_rec[0] = 7;
        assert!(idx.validate().is_err());
    }
}
