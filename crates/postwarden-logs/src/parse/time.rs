//! Timestamps: traditional syslog (`Nov  1 02:03:04`, year inferred) and RFC 3339, with the
//! caches that make the common case a short byte comparison.

use std::str::FromStr;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Timelike, Utc,
};

use super::Unparsed;

/// The zone that year-less (traditional syslog) timestamps are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// The machine's zone (`chrono::Local`).
    Local,
    /// An IANA zone such as `Europe/Berlin`.
    Named(chrono_tz::Tz),
}

/// A zone name that is neither `UTC`, `local` nor an IANA name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneError {
    value: String,
}

impl std::fmt::Display for ZoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown time zone {:?}: use \"UTC\", \"local\" or an IANA name such as \"Europe/Berlin\"",
            self.value
        )
    }
}

impl std::error::Error for ZoneError {}

impl FromStr for Zone {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(Zone::Utc);
        }
        if t.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        t.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| ZoneError {
                value: s.to_owned(),
            })
    }
}

impl Zone {
    /// The wall-clock time of `t` in this zone.
    pub fn wall(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Utc => t.naive_utc(),
            Zone::Local => t.with_timezone(&chrono::Local).naive_local(),
            Zone::Named(tz) => t.with_timezone(tz).naive_local(),
        }
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Utc => f.write_str("UTC"),
            Zone::Local => f.write_str("local"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

/// The reference time and zone for parsing, plus per-stream caches.
///
/// Keep one per input stream: lines come in time order and share seconds, so the cache
/// of the last timestamp hits most of the time.
#[derive(Debug, Clone)]
pub struct ParseContext {
    now: DateTime<Utc>,
    zone: Zone,
    /// The year of `now` on the wall clock of `zone`.
    now_year: i32,
    /// `now + 1 day` as a Unix time: a line may not be later than this.
    limit: i64,
    /// Last traditional stamp (15 bytes) and its time.
    trad_key: [u8; 15],
    trad_time: Option<DateTime<FixedOffset>>,
    /// Year and offset of the last wall-clock hour (month, day, hour), when the whole hour
    /// maps to one year and one offset.
    hour_key: (u32, u32, u32),
    hour_val: Option<(i32, FixedOffset)>,
    /// Last RFC 3339 stamp up to the seconds plus its offset text, and its time (seconds).
    iso_key: [u8; 32],
    iso_len: usize,
    iso_time: Option<DateTime<FixedOffset>>,
}

impl ParseContext {
    /// A context whose year-less timestamps are read on the wall clock of `zone` and may
    /// be at most one day after `now`.
    pub fn new(now: DateTime<Utc>, zone: Zone) -> Self {
        let mut ctx = ParseContext {
            now,
            zone,
            now_year: 0,
            limit: 0,
            trad_key: [0; 15],
            trad_time: None,
            hour_key: (0, 0, 0),
            hour_val: None,
            iso_key: [0; 32],
            iso_len: 0,
            iso_time: None,
        };
        ctx.set_now(now);
        ctx
    }

    /// The reference time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The zone of year-less timestamps.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// Moves the reference time (a long-running reader calls this now and then); clears
    /// the caches.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
        self.now_year = match self.zone {
            Zone::Utc => now.year(),
            Zone::Local => now.with_timezone(&chrono::Local).year(),
            Zone::Named(tz) => now.with_timezone(&tz).year(),
        };
        self.limit = now.timestamp().saturating_add(86_400);
        self.trad_time = None;
        self.hour_val = None;
        self.hour_key = (0, 0, 0);
        self.iso_time = None;
        self.iso_len = 0;
    }

    /// Reads the timestamp at the start of `line`; returns it and the rest of the line
    /// after the single space that follows it.
    pub(crate) fn timestamp<'a>(
        &mut self,
        line: &'a [u8],
    ) -> Result<(DateTime<FixedOffset>, &'a [u8]), Unparsed> {
        match line.first() {
            Some(b'A'..=b'Z') => self.traditional(line),
            Some(b'0'..=b'9') => self.rfc3339(line),
            _ => Err(Unparsed::NoTimestamp),
        }
    }

    fn traditional<'a>(
        &mut self,
        line: &'a [u8],
    ) -> Result<(DateTime<FixedOffset>, &'a [u8]), Unparsed> {
        // "Mmm dd hh:mm:ss", or "Mmm d hh:mm:ss" as some syslog daemons and shippers write
        // a day below 10 (read as its space-padded twin, so both share the cache).
        let unpadded;
        let (key, rest) = match line {
            [_, _, _, b' ', b'0'..=b'9', b' ', ..] => {
                let Some((short, [b' ', rest @ ..])) = line.split_first_chunk::<14>() else {
                    return Err(Unparsed::NoTimestamp);
                };
                let mut padded = [b' '; 15];
                padded[..4].copy_from_slice(&short[..4]);
                padded[5..].copy_from_slice(&short[4..]);
                unpadded = padded;
                (&unpadded, rest)
            }
            _ => match line.split_first_chunk::<15>() {
                Some((key, [b' ', rest @ ..])) => (key, rest),
                _ => return Err(Unparsed::NoTimestamp),
            },
        };
        // A fixed-size compare: two overlapping 8-byte loads, no `memcmp` call.
        if let Some(t) = self.trad_time
            && *key == self.trad_key
        {
            return Ok((t, rest));
        }
        // "Mmm dd hh:mm:ss", day may be " 1".
        let month = month(&key[..3]).ok_or(Unparsed::NoTimestamp)?;
        if key[3] != b' ' || key[6] != b' ' || key[9] != b':' || key[12] != b':' {
            return Err(Unparsed::NoTimestamp);
        }
        let day = match (key[4], key[5]) {
            (b' ', d @ b'0'..=b'9') => u32::from(d - b'0'),
            (a @ b'0'..=b'9', b @ b'0'..=b'9') => u32::from(a - b'0') * 10 + u32::from(b - b'0'),
            _ => return Err(Unparsed::NoTimestamp),
        };
        let h = two(key[7], key[8]).ok_or(Unparsed::NoTimestamp)?;
        let m = two(key[10], key[11]).ok_or(Unparsed::NoTimestamp)?;
        let s = two(key[13], key[14]).ok_or(Unparsed::NoTimestamp)?;
        if day == 0 || day > 31 || h > 23 || m > 59 || s > 59 {
            return Err(Unparsed::BadTimestamp);
        }
        let t = self
            .resolve(month, day, h, m, s)
            .ok_or(Unparsed::BadTimestamp)?;
        self.trad_key.copy_from_slice(key);
        self.trad_time = Some(t);
        Ok((t, rest))
    }

    /// A year-less wall time to an instant, through the per-hour cache.
    fn resolve(
        &mut self,
        mon: u32,
        day: u32,
        h: u32,
        m: u32,
        s: u32,
    ) -> Option<DateTime<FixedOffset>> {
        if self.hour_val.is_none() || self.hour_key != (mon, day, h) {
            self.hour_key = (mon, day, h);
            self.hour_val = None;
            // Cache the hour only when its first and last second agree on year and offset
            // and neither is in a DST gap or fold.
            if let (Some((a, true)), Some((b, true))) = (
                self.infer(mon, day, h, 0, 0),
                self.infer(mon, day, h, 59, 59),
            ) && a.year() == b.year()
                && a.offset() == b.offset()
            {
                self.hour_val = Some((a.year(), *a.offset()));
            }
        }
        match self.hour_val {
            Some((year, off)) => {
                let naive = NaiveDate::from_ymd_opt(year, mon, day)?.and_hms_opt(h, m, s)?;
                let utc = naive.checked_sub_offset(off)?;
                Some(DateTime::from_naive_utc_and_offset(utc, off))
            }
            None => self.infer(mon, day, h, m, s).map(|(t, _)| t),
        }
    }

    /// The latest year that puts the wall time no more than a day after `now`; the bool is
    /// false when the wall time was in a DST gap or fold.
    fn infer(
        &self,
        mon: u32,
        day: u32,
        h: u32,
        m: u32,
        s: u32,
    ) -> Option<(DateTime<FixedOffset>, bool)> {
        // Feb 29 may need to go back up to 8 years (1900 → 1904 style gaps are out of range).
        for year in (self.now_year - 8..=self.now_year + 1).rev() {
            let Some(date) = NaiveDate::from_ymd_opt(year, mon, day) else {
                continue;
            };
            let naive = date.and_hms_opt(h, m, s)?;
            let (t, exact) = self.wall(naive)?;
            if t.timestamp() <= self.limit {
                return Some((t, exact));
            }
        }
        None
    }

    fn wall(&self, naive: NaiveDateTime) -> Option<(DateTime<FixedOffset>, bool)> {
        match self.zone {
            Zone::Utc => Some((naive.and_utc().fixed_offset(), true)),
            Zone::Local => wall_in(&chrono::Local, naive),
            Zone::Named(tz) => wall_in(&tz, naive),
        }
    }

    fn rfc3339<'a>(
        &mut self,
        line: &'a [u8],
    ) -> Result<(DateTime<FixedOffset>, &'a [u8]), Unparsed> {
        // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM|±HHMM)?<space>
        if line.len() < 20 {
            return Err(Unparsed::NoTimestamp);
        }
        let b = line;
        if b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(Unparsed::NoTimestamp);
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return Err(Unparsed::NoTimestamp);
            }
            for _ in n..9 {
                nanos *= 10;
            }
        }
        let off_start = i;
        let offset = match b.get(i) {
            Some(b'Z' | b'z') => {
                i += 1;
                Some(0)
            }
            Some(&sign @ (b'+' | b'-')) => {
                let oh = b.get(i + 1..i + 3).and_then(|d| two(d[0], d[1]));
                let (om, len) = match b.get(i + 3) {
                    Some(b':') => (b.get(i + 4..i + 6).and_then(|d| two(d[0], d[1])), 6),
                    _ => (b.get(i + 3..i + 5).and_then(|d| two(d[0], d[1])), 5),
                };
                let (Some(oh), Some(om)) = (oh, om) else {
                    return Err(Unparsed::NoTimestamp);
                };
                if oh > 23 || om > 59 {
                    return Err(Unparsed::BadTimestamp);
                }
                i += len;
                let secs = (oh * 3600 + om * 60) as i32;
                Some(if sign == b'-' { -secs } else { secs })
            }
            _ => None,
        };
        if b.get(i) != Some(&b' ') {
            return Err(Unparsed::NoTimestamp);
        }
        let rest = &line[i + 1..];
        let key_len = 19 + (i - off_start);
        let key_ok = key_len <= self.iso_key.len();
        let base = match self.iso_time {
            Some(t)
                if key_ok
                    && self.iso_len == key_len
                    && self.iso_key[..19] == b[..19]
                    && self.iso_key[19..key_len] == b[off_start..i] =>
            {
                t
            }
            _ => {
                let t = self.iso_base(b, offset).ok_or(Unparsed::BadTimestamp)?;
                if key_ok {
                    self.iso_key[..19].copy_from_slice(&b[..19]);
                    self.iso_key[19..key_len].copy_from_slice(&b[off_start..i]);
                    self.iso_len = key_len;
                    self.iso_time = Some(t);
                }
                t
            }
        };
        let t = base.with_nanosecond(nanos).ok_or(Unparsed::BadTimestamp)?;
        Ok((t, rest))
    }

    fn iso_base(&self, b: &[u8], offset: Option<i32>) -> Option<DateTime<FixedOffset>> {
        let year = four(&b[..4])?;
        let mon = two(b[5], b[6])?;
        let day = two(b[8], b[9])?;
        let h = two(b[11], b[12])?;
        let m = two(b[14], b[15])?;
        let s = two(b[17], b[18])?;
        let naive = NaiveDate::from_ymd_opt(year as i32, mon, day)?.and_hms_opt(h, m, s)?;
        match offset {
            Some(secs) => {
                let off = FixedOffset::east_opt(secs)?;
                let utc = naive.checked_sub_offset(off)?;
                Some(DateTime::from_naive_utc_and_offset(utc, off))
            }
            None => self.wall(naive).map(|(t, _)| t),
        }
    }
}

/// A wall time in `tz`: in a fold the earlier instant, in a gap the offset before the gap.
fn wall_in<T: TimeZone>(tz: &T, naive: NaiveDateTime) -> Option<(DateTime<FixedOffset>, bool)> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some((t.fixed_offset(), true)),
        LocalResult::Ambiguous(a, _) => Some((a.fixed_offset(), false)),
        LocalResult::None => {
            // The offset in force a few hours before: that of the time before the gap.
            let before = naive.checked_sub_signed(chrono::TimeDelta::hours(3))?;
            let off = tz.offset_from_utc_datetime(&before).fix();
            let utc = naive.checked_sub_offset(off)?;
            Some((DateTime::from_naive_utc_and_offset(utc, off), false))
        }
    }
}

fn month(b: &[u8]) -> Option<u32> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn two(a: u8, b: u8) -> Option<u32> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}

fn four(b: &[u8]) -> Option<u32> {
    Some(two(b[0], b[1])? * 100 + two(b[2], b[3])?)
}
