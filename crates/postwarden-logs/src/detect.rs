//! Brute-force detection: sliding-window thresholds over abusive log lines.
//!
//! Each configured rule groups observations by a key — the client IP, its IPv4 /24 or IPv6
//! /64, its ASN, or the targeted username (a slow, distributed attack on one login) — and
//! raises one event when `threshold` observations fall within `window`. While the attack
//! goes on, the same key raises again at most once per window, so a notification carries
//! news rather than noise. Honeypot usernames raise an event on the first attempt.
//!
//! Time is the log line's time, not the wall clock, so scanning an old log finds the
//! attacks it holds. State is bounded: a key keeps at most `threshold` timestamps and
//! keys idle for longer than their window are dropped.

use chrono::{DateTime, Utc};
use postwarden_core::config::{DetectConfig, DetectKey, DetectRule};
use postwarden_core::{Event, Severity};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

/// Observations between two sweeps of idle keys.
const SWEEP_EVERY: u32 = 65_536;

/// One abusive line, as the detector needs it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub time: DateTime<Utc>,
    pub host: &'a str,
    pub ip: Option<IpAddr>,
    pub asn: Option<u32>,
    pub user: Option<&'a str>,
    /// A SASL authentication failure (rather than another kind of abuse).
    pub auth_failure: bool,
}

/// The value a rule groups by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Network(IpAddr),
    Asn(u32),
    User(String),
}

impl Key {
    fn of(rule: DetectKey, o: &Observation) -> Option<Key> {
        match rule {
            DetectKey::Ip => o.ip.map(Key::Ip),
            DetectKey::Net24 => match o.ip? {
                IpAddr::V4(v4) => Some(Key::Network(IpAddr::V4(
                    (u32::from(v4) & 0xffff_ff00).into(),
                ))),
                IpAddr::V6(_) => None,
            },
            DetectKey::Net64 => match o.ip? {
                IpAddr::V6(v6) => Some(Key::Network(IpAddr::V6(
                    (u128::from(v6) & !((1u128 << 64) - 1)).into(),
                ))),
                IpAddr::V4(_) => None,
            },
            DetectKey::Asn => o.asn.map(Key::Asn),
            DetectKey::User => o
                .user
                .filter(|u| !u.is_empty())
                .map(|u| Key::User(u.to_ascii_lowercase())),
        }
    }

    fn describe(&self, rule: DetectKey) -> String {
        match (self, rule) {
            (Key::Ip(ip), _) => ip.to_string(),
            (Key::Network(net), DetectKey::Net24) => format!("{net}/24"),
            (Key::Network(net), _) => format!("{net}/64"),
            (Key::Asn(asn), _) => format!("AS{asn}"),
            (Key::User(user), _) => user.clone(),
        }
    }
}

/// The recent observations of one key under one rule.
#[derive(Debug, Default)]
struct Window {
    /// Times (µs) of the latest observations, at most `threshold` of them.
    times: VecDeque<i64>,
    /// No new event for this key before this time (µs).
    quiet_until: i64,
}

#[derive(Debug)]
struct RuleState {
    rule: DetectRule,
    window_us: i64,
    keys: HashMap<Key, Window>,
}

/// Turns observations into `auth.bruteforce`, `abuse.threshold` and `auth.honeypot` events.
#[derive(Debug)]
pub struct Detector {
    rules: Vec<RuleState>,
    honeypot_users: HashSet<String>,
    honeypot_seen: HashMap<(IpAddr, String), i64>,
    since_sweep: u32,
}

impl Detector {
    pub fn new(config: &DetectConfig) -> Self {
        Self {
            rules: config
                .rules
                .iter()
                .map(|rule| RuleState {
                    rule: rule.clone(),
                    window_us: i64::try_from(rule.window.as_micros()).unwrap_or(i64::MAX),
                    keys: HashMap::new(),
                })
                .collect(),
            honeypot_users: config
                .honeypot_users
                .iter()
                .map(|u| u.to_ascii_lowercase())
                .collect(),
            honeypot_seen: HashMap::new(),
            since_sweep: 0,
        }
    }

    /// Records one abusive line; pushes an event for every threshold it makes a key cross.
    pub fn observe(&mut self, o: &Observation, events: &mut Vec<Event>) {
        let now = o.time.timestamp_micros();
        for state in &mut self.rules {
            if state.rule.only_auth && !o.auth_failure {
                continue;
            }
            let Some(key) = Key::of(state.rule.key, o) else {
                continue;
            };
            let window = state.keys.entry(key.clone()).or_default();
            if let Some(count) = window.record(now, state.rule.threshold, state.window_us) {
                events.push(crossing_event(&state.rule, &key, count, o));
            }
        }
        self.observe_honeypot(o, now, events);
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.sweep(now);
        }
    }

    fn observe_honeypot(&mut self, o: &Observation, now: i64, events: &mut Vec<Event>) {
        let (Some(user), Some(ip), true) = (o.user, o.ip, o.auth_failure) else {
            return;
        };
        let user = user.to_ascii_lowercase();
        if !self.honeypot_users.contains(&user) {
            return;
        }
        const HOUR_US: i64 = 3_600_000_000;
        let last = self
            .honeypot_seen
            .entry((ip, user.clone()))
            .or_insert(i64::MIN);
        if now.saturating_sub(*last) < HOUR_US {
            return;
        }
        *last = now;
        let mut event = Event::new(
            o.time,
            "auth.honeypot",
            Severity::Warning,
            "logs",
            format!("{ip} tried honeypot login \"{user}\""),
        );
        event.host = Some(o.host.to_owned());
        event.ip = Some(ip);
        event.user = Some(user);
        events.push(event);
    }

    /// Drops keys whose newest observation is older than their window.
    fn sweep(&mut self, now: i64) {
        for state in &mut self.rules {
            let horizon = now.saturating_sub(state.window_us);
            state
                .keys
                .retain(|_, w| w.times.back().is_some_and(|&t| t >= horizon));
        }
        self.honeypot_seen
            .retain(|_, &mut t| now.saturating_sub(t) < 3_600_000_000);
        self.since_sweep = 0;
    }

    /// Keys currently tracked over all rules (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.rules.iter().map(|s| s.keys.len()).sum()
    }
}

impl Window {
    /// Adds one observation; returns the count in the window when this one crosses the
    /// threshold and the key is not in its quiet period.
    fn record(&mut self, now: i64, threshold: u32, window_us: i64) -> Option<u32> {
        self.times.push_back(now);
        while self.times.len() > threshold as usize {
            self.times.pop_front();
        }
        let oldest = *self.times.front()?;
        let crossed =
            self.times.len() == threshold as usize && now.saturating_sub(oldest) <= window_us;
        if !crossed || now < self.quiet_until {
            return None;
        }
        self.quiet_until = now.saturating_add(window_us);
        Some(threshold)
    }
}

fn crossing_event(rule: &DetectRule, key: &Key, count: u32, o: &Observation) -> Event {
    let what = key.describe(rule.key);
    let kind = if rule.only_auth {
        "auth.bruteforce"
    } else {
        "abuse.threshold"
    };
    let noun = if rule.only_auth {
        "authentication failures"
    } else {
        "abusive connections"
    };
    let window = humanize(rule.window);
    let mut event = Event::new(
        o.time,
        kind,
        Severity::Warning,
        "logs",
        format!(
            "{count} {noun} from {what} within {window} (rule {})",
            rule.name
        ),
    );
    event.host = Some(o.host.to_owned());
    match key {
        Key::Ip(ip) => event.ip = Some(*ip),
        Key::User(user) => event.user = Some(user.clone()),
        Key::Network(_) | Key::Asn(_) => event.ip = o.ip,
    }
    event.attributes = serde_json::json!({
        "rule": rule.name,
        "key": key_name(rule.key),
        "value": what,
        "count": count,
        "window_seconds": rule.window.as_secs(),
        "asn": o.asn,
    });
    event
}

fn key_name(key: DetectKey) -> &'static str {
    match key {
        DetectKey::Ip => "ip",
        DetectKey::Net24 => "net24",
        DetectKey::Net64 => "net64",
        DetectKey::Asn => "asn",
        DetectKey::User => "user",
    }
}

fn humanize(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 3600 == 0 && s > 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(rules: Vec<DetectRule>, honeypot: &[&str]) -> DetectConfig {
        DetectConfig {
            rules,
            honeypot_users: honeypot.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn rule(key: DetectKey, threshold: u32, minutes: u64) -> DetectRule {
        DetectRule {
            name: format!("{key:?}"),
            key,
            threshold,
            window: Duration::from_secs(minutes * 60),
            only_auth: true,
        }
    }

    fn failure(minute: i64, ip: &str, user: Option<&'static str>) -> Observation<'static> {
        Observation {
            time: DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap(),
            host: "mx1",
            ip: Some(ip.parse().unwrap()),
            asn: Some(64500),
            user,
            auth_failure: true,
        }
    }

    fn run(detector: &mut Detector, observations: &[Observation]) -> Vec<Event> {
        let mut events = Vec::new();
        for o in observations {
            detector.observe(o, &mut events);
        }
        events
    }

    #[test]
    fn five_failures_in_ten_minutes_raise_one_event() {
        let mut d = Detector::new(&config(vec![rule(DetectKey::Ip, 5, 10)], &[]));
        let obs: Vec<_> = (0..5)
            .map(|m| failure(m * 2, "203.0.113.9", None))
            .collect();
        let events = run(&mut d, &obs);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "auth.bruteforce");
        assert_eq!(events[0].ip, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(events[0].attributes["count"], 5);
    }

    #[test]
    fn failures_spread_wider_than_the_window_raise_nothing() {
        let mut d = Detector::new(&config(vec![rule(DetectKey::Ip, 5, 10)], &[]));
        let obs: Vec<_> = (0..20)
            .map(|m| failure(m * 3, "203.0.113.9", None))
            .collect();
        assert!(run(&mut d, &obs).is_empty());
    }

    #[test]
    fn a_continuing_attack_repeats_at_most_once_per_window() {
        let mut d = Detector::new(&config(vec![rule(DetectKey::Ip, 5, 10)], &[]));
        // One failure a minute for an hour: 6 windows of 10 minutes.
        let obs: Vec<_> = (0..60).map(|m| failure(m, "203.0.113.9", None)).collect();
        let events = run(&mut d, &obs);
        assert_eq!(
            events.len(),
            6,
            "{:?}",
            events.iter().map(|e| e.time).collect::<Vec<_>>()
        );
    }

    #[test]
    fn networks_group_neighbours_and_users_group_a_distributed_attack() {
        let mut d = Detector::new(&config(
            vec![
                rule(DetectKey::Net24, 3, 10),
                rule(DetectKey::Net64, 3, 10),
                rule(DetectKey::User, 3, 60),
            ],
            &[],
        ));
        let obs = [
            failure(0, "198.51.100.1", Some("Admin")),
            failure(1, "198.51.100.2", Some("admin")),
            failure(2, "198.51.100.3", None),
            failure(3, "2001:db8:1:2::1", Some("ADMIN")),
            failure(4, "2001:db8:1:2::ffff", None),
            failure(5, "2001:db8:1:3::1", None),
            failure(6, "2001:db8:1:2:ab::1", None),
        ];
        let events = run(&mut d, &obs);
        let values: Vec<_> = events
            .iter()
            .map(|e| e.attributes["value"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(values, ["198.51.100.0/24", "admin", "2001:db8:1:2::/64"]);
    }

    #[test]
    fn honeypot_login_raises_on_first_attempt_once_an_hour() {
        let mut d = Detector::new(&config(vec![], &["Trap"]));
        let events = run(
            &mut d,
            &[
                failure(0, "192.0.2.1", Some("trap")),
                failure(5, "192.0.2.1", Some("trap")),
                failure(61, "192.0.2.1", Some("trap")),
                failure(1, "192.0.2.1", Some("bob")),
            ],
        );
        assert_eq!(
            events.iter().filter(|e| e.kind == "auth.honeypot").count(),
            2
        );
    }

    #[test]
    fn non_auth_abuse_counts_only_for_rules_that_ask_for_it() {
        let mut all = rule(DetectKey::Ip, 2, 10);
        all.only_auth = false;
        let mut d = Detector::new(&config(vec![rule(DetectKey::Ip, 2, 10), all], &[]));
        let mut reject = failure(0, "192.0.2.7", None);
        reject.auth_failure = false;
        let events = run(&mut d, &[reject, reject]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "abuse.threshold");
    }

    #[test]
    fn idle_keys_are_dropped() {
        let mut d = Detector::new(&config(vec![rule(DetectKey::Ip, 5, 10)], &[]));
        let mut events = Vec::new();
        for i in 0..SWEEP_EVERY as i64 {
            let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            d.observe(&failure(i / 1000, &ip, None), &mut events);
        }
        assert!(d.tracked_keys() < 20_000, "{}", d.tracked_keys());
    }
}
