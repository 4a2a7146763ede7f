//! Sign-in throttling: at most `web.throttle_account` failures per account and
//! `web.throttle_ip` per client address within `web.throttle_window`. Past either, sign-in
//! is refused (429 with `Retry-After`) before the password is even checked, so guessing is
//! slow and a locked account is not an oracle. Kept in memory: a restart forgives, and
//! each node of a cluster counts its own.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    per_account: u32,
    per_ip: u32,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(window: Duration, per_account: u32, per_ip: u32) -> Self {
        Throttle {
            window,
            per_account,
            per_ip,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while `ip` or `account` is over its limit.
    pub fn check(&self, ip: &str, account: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in [
            (format!("ip:{ip}"), self.per_ip),
            (
                format!("account:{}", account.to_lowercase()),
                self.per_account,
            ),
        ] {
            if let Some(times) = map.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit as usize
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, ip: &str, account: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for key in [
            format!("ip:{ip}"),
            format!("account:{}", account.to_lowercase()),
        ] {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// Forgets an account's failures after it signed in.
    pub fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("account:{}", account.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_held_after_its_limit_and_freed_by_the_window() {
        let throttle = Throttle::new(Duration::from_secs(60), 3, 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(throttle.check("192.0.2.1", "alice@example.org", t0).is_ok());
            throttle.failed("192.0.2.1", "alice@example.org", t0);
        }
        let wait = throttle
            .check("192.0.2.9", "Alice@Example.org", t0)
            .unwrap_err();
        assert_eq!(
            wait,
            Duration::from_secs(60),
            "held from any address, any case"
        );
        assert!(throttle.check("192.0.2.1", "bob@example.org", t0).is_ok());
        assert!(
            throttle
                .check(
                    "192.0.2.1",
                    "alice@example.org",
                    t0 + Duration::from_secs(60)
                )
                .is_ok()
        );
    }

    #[test]
    fn an_address_is_held_across_accounts() {
        let throttle = Throttle::new(Duration::from_secs(60), 100, 2);
        let t0 = Instant::now();
        throttle.failed("198.51.100.7", "a@x.org", t0);
        throttle.failed("198.51.100.7", "b@x.org", t0);
        assert!(throttle.check("198.51.100.7", "c@x.org", t0).is_err());
        assert!(throttle.check("198.51.100.8", "c@x.org", t0).is_ok());
    }
}
