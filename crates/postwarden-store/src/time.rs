//! Conversions between `chrono` times and the stored integers (microseconds, Unix hours).

use crate::StoreError;
use chrono::{DateTime, Utc};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Microseconds since the epoch; sub-microsecond precision is dropped.
pub(crate) fn to_us(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// The Unix hour (hours since the epoch, rounded down) of a microsecond timestamp.
pub(crate) fn hour_of_us(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_HOUR)
}

/// The time for stored microseconds.
pub(crate) fn from_us(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Corrupt(format!("time {us} µs is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_down_also_before_1970() {
        assert_eq!(hour_of_us(0), 0);
        assert_eq!(hour_of_us(MICROS_PER_HOUR - 1), 0);
        assert_eq!(hour_of_us(MICROS_PER_HOUR), 1);
        assert_eq!(hour_of_us(-1), -1);
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(from_us(to_us(t)).unwrap(), t);
    }
}
