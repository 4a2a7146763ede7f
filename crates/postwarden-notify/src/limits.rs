//! Limits per receiver (channel and recipient): a maximum per sliding hour, a cooldown
//! between sends, and suppression of the same text within a window.
//!
//! The decision is pure ([`decide`]); the store applies it under a row lock on the receiver
//! together with recording the send, so limits hold exactly with several dispatchers.

use postwarden_core::config::LimitsConfig;
use postwarden_store::AttemptStatus;

const HOUR_US: i64 = 3_600_000_000;

/// Why a notification was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The same text within `duplicate_window`: its events were already told.
    Duplicate,
    /// A send to this receiver within `cooldown`.
    Cooldown,
    /// `max_per_hour` sends to this receiver in the last hour.
    RateLimited,
}

impl Held {
    /// What the audit log records.
    pub fn status(self) -> AttemptStatus {
        match self {
            Held::Duplicate => AttemptStatus::Duplicate,
            Held::Cooldown => AttemptStatus::Cooldown,
            Held::RateLimited => AttemptStatus::RateLimited,
        }
    }
}

/// How far back [`decide`] needs to see sends.
pub fn horizon_us(limits: &LimitsConfig) -> i64 {
    let duplicate = i64::try_from(limits.duplicate_window.as_micros()).unwrap_or(i64::MAX);
    let cooldown = i64::try_from(limits.cooldown.as_micros()).unwrap_or(i64::MAX);
    HOUR_US.max(duplicate).max(cooldown)
}

/// Whether a send of `content_hash` at `now_us` is allowed after `sends` (time, content
/// hash; oldest first); the reason if not. A duplicate is reported first (its events were
/// already told), then the cooldown, then the hourly maximum.
pub fn decide(
    limits: &LimitsConfig,
    sends: &[(i64, String)],
    content_hash: &str,
    now_us: i64,
) -> Option<Held> {
    let within = |window: std::time::Duration, time: i64| {
        now_us - time < i64::try_from(window.as_micros()).unwrap_or(i64::MAX)
    };
    if !limits.duplicate_window.is_zero()
        && sends
            .iter()
            .any(|(t, h)| h == content_hash && within(limits.duplicate_window, *t))
    {
        return Some(Held::Duplicate);
    }
    if !limits.cooldown.is_zero() && sends.iter().any(|(t, _)| within(limits.cooldown, *t)) {
        return Some(Held::Cooldown);
    }
    let in_hour = sends.iter().filter(|(t, _)| now_us - t < HOUR_US).count();
    if limits.max_per_hour > 0 && in_hour >= limits.max_per_hour as usize {
        return Some(Held::RateLimited);
    }
    None
}

/// When a receiver held back for `reason` may be sent to again.
pub fn retry_at(limits: &LimitsConfig, sends: &[(i64, String)], reason: Held, now_us: i64) -> i64 {
    let micros = |d: std::time::Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    match reason {
        Held::Cooldown => sends.iter().map(|(t, _)| t + micros(limits.cooldown)).max(),
        Held::RateLimited => {
            let in_hour: Vec<i64> = sends
                .iter()
                .map(|(t, _)| *t)
                .filter(|t| now_us - t < HOUR_US)
                .collect();
            let excess = in_hour.len() + 1 - limits.max_per_hour as usize;
            in_hour.get(excess - 1).map(|t| t + HOUR_US)
        }
        Held::Duplicate => None,
    }
    .unwrap_or(now_us)
    .max(now_us)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MIN: i64 = 60_000_000;

    fn limits(max: u32, cooldown: u64, duplicate: u64) -> LimitsConfig {
        LimitsConfig {
            max_per_hour: max,
            cooldown: Duration::from_secs(cooldown),
            duplicate_window: Duration::from_secs(duplicate),
        }
    }

    #[test]
    fn hourly_maximum_is_a_sliding_window() {
        let l = limits(2, 0, 0);
        let now = 100 * MIN;
        let sends = vec![
            (now - 70 * MIN, "a".into()),
            (now - 30 * MIN, "b".into()),
            (now - 10 * MIN, "c".into()),
        ];
        assert_eq!(decide(&l, &sends, "d", now), Some(Held::RateLimited));
        assert_eq!(retry_at(&l, &sends, Held::RateLimited, now), now + 30 * MIN);
        assert_eq!(decide(&l, &sends[..2], "d", now), None);
    }

    #[test]
    fn cooldown_and_duplicates() {
        let l = limits(0, 300, 1800);
        let now = 100 * MIN;
        let sends = vec![(now - 20 * MIN, "same".into())];
        assert_eq!(decide(&l, &sends, "same", now), Some(Held::Duplicate));
        assert_eq!(decide(&l, &sends, "other", now), None);
        let recent = vec![(now - 2 * MIN, "x".into())];
        assert_eq!(decide(&l, &recent, "other", now), Some(Held::Cooldown));
        assert_eq!(retry_at(&l, &recent, Held::Cooldown, now), now + 3 * MIN);
    }
}
