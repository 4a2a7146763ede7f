//! Turns readings into alerts: fire after N failures in a row, repeat while failing,
//! resolve on recovery. Pure: the caller passes the time and stores the events.

use crate::Reading;
use chrono::{DateTime, Utc};
use postwarden_core::{Event, Severity};
use std::collections::HashMap;
use std::time::Duration;

/// The alert state of every probe.
#[derive(Debug, Clone)]
pub struct Monitor {
    failures_before_alert: u32,
    repeat_interval: chrono::Duration,
    probes: HashMap<&'static str, ProbeState>,
}

#[derive(Debug, Clone, Default)]
struct ProbeState {
    failures_in_a_row: u32,
    /// When the alert fired, while it is firing.
    firing_since: Option<DateTime<Utc>>,
    last_alert: Option<DateTime<Utc>>,
}

impl Monitor {
    pub fn new(failures_before_alert: u32, repeat_interval: Duration) -> Monitor {
        Monitor {
            failures_before_alert: failures_before_alert.max(1),
            repeat_interval: chrono::Duration::from_std(repeat_interval)
                .unwrap_or(chrono::Duration::MAX),
            probes: HashMap::new(),
        }
    }

    /// Takes new thresholds (a reloaded configuration) and keeps what it knows of each
    /// probe: a reload neither pages again for an alert already sent nor forgets to send
    /// its recovery.
    pub fn reconfigure(&mut self, failures_before_alert: u32, repeat_interval: Duration) {
        let fresh = Monitor::new(failures_before_alert, repeat_interval);
        self.failures_before_alert = fresh.failures_before_alert;
        self.repeat_interval = fresh.repeat_interval;
    }

    /// The event `reading` (taken at `now`) causes, if any: a firing alert, its repeat, or
    /// its resolution.
    pub fn observe(&mut self, reading: &Reading, now: DateTime<Utc>) -> Option<Event> {
        let state = self.probes.entry(reading.probe).or_default();
        if reading.ok {
            state.failures_in_a_row = 0;
            let since = state.firing_since.take()?;
            state.last_alert = None;
            let mut event = event_of(reading, now, "resolved");
            event.summary = format!("{}: recovered: {}", reading.probe, reading.detail);
            event.attributes["firing_since"] = since.to_rfc3339().into();
            return Some(event);
        }
        state.failures_in_a_row = state.failures_in_a_row.saturating_add(1);
        if state.failures_in_a_row < self.failures_before_alert {
            return None;
        }
        let due = match state.last_alert {
            None => true,
            Some(last) => now - last >= self.repeat_interval,
        };
        if !due {
            return None;
        }
        let since = *state.firing_since.get_or_insert(now);
        state.last_alert = Some(now);
        let mut event = event_of(reading, now, "firing");
        event.attributes["firing_since"] = since.to_rfc3339().into();
        event.attributes["failures_in_a_row"] = state.failures_in_a_row.into();
        Some(event)
    }

    /// Whether `probe`'s alert is firing.
    pub fn is_firing(&self, probe: &str) -> bool {
        self.probes
            .get(probe)
            .is_some_and(|s| s.firing_since.is_some())
    }
}

fn event_of(reading: &Reading, now: DateTime<Utc>, status: &str) -> Event {
    let severity = if status == "firing" {
        Severity::Critical
    } else {
        Severity::Info
    };
    let mut event = Event::new(
        now,
        format!("health.{}", reading.probe),
        severity,
        "health",
        format!("{}: {}", reading.probe, reading.detail),
    );
    let mut attributes = reading.figures.clone();
    attributes.insert("status".into(), status.into());
    attributes.insert("probe".into(), reading.probe.into());
    attributes.insert("detail".into(), reading.detail.clone().into());
    event.attributes = attributes.into();
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap()
    }

    fn status(event: &Option<Event>) -> Option<&str> {
        event.as_ref().and_then(|e| e.attributes["status"].as_str())
    }

    #[test]
    fn fires_after_n_failures_repeats_and_resolves_once() {
        let mut monitor = Monitor::new(2, Duration::from_secs(3600));
        let down = Reading::failing("postfix", "master not running");
        let up = Reading::ok("postfix", "master running");
        assert_eq!(status(&monitor.observe(&up, at(0))), None);
        assert_eq!(
            status(&monitor.observe(&down, at(1))),
            None,
            "one failure is not enough"
        );
        let fired = monitor.observe(&down, at(2));
        assert_eq!(status(&fired), Some("firing"));
        let fired = fired.unwrap();
        assert_eq!(fired.kind, "health.postfix");
        assert_eq!(fired.severity, Severity::Critical);
        assert_eq!(
            status(&monitor.observe(&down, at(30))),
            None,
            "within the repeat interval"
        );
        assert_eq!(
            status(&monitor.observe(&down, at(62))),
            Some("firing"),
            "repeated"
        );
        assert!(monitor.is_firing("postfix"));
        let resolved = monitor.observe(&up, at(63)).unwrap();
        assert_eq!(resolved.attributes["status"], "resolved");
        assert_eq!(resolved.attributes["firing_since"], at(2).to_rfc3339());
        assert_eq!(status(&monitor.observe(&up, at(64))), None, "resolved once");
        assert!(!monitor.is_firing("postfix"));
    }

    #[test]
    fn a_good_reading_resets_the_count() {
        let mut monitor = Monitor::new(3, Duration::from_secs(3600));
        let down = Reading::failing("queue", "60 messages");
        let up = Reading::ok("queue", "2 messages");
        for minute in [0, 1] {
            assert!(monitor.observe(&down, at(minute)).is_none());
        }
        assert!(
            monitor.observe(&up, at(2)).is_none(),
            "nothing fired, nothing resolves"
        );
        for minute in [3, 4] {
            assert!(monitor.observe(&down, at(minute)).is_none());
        }
        assert_eq!(status(&monitor.observe(&down, at(5))), Some("firing"));
    }

    proptest::proptest! {
        /// However readings alternate, firing and resolved events alternate, starting with
        /// firing, and a resolution only follows a firing alert.
        #[test]
        fn firing_and_resolved_alternate(readings in proptest::collection::vec(proptest::bool::ANY, 0..200)) {
            let mut monitor = Monitor::new(2, Duration::from_secs(600));
            let mut firing = false;
            for (minute, ok) in readings.into_iter().enumerate() {
                let reading = if ok { Reading::ok("disk", "fine") } else { Reading::failing("disk", "full") };
                match status(&monitor.observe(&reading, at(minute as i64))) {
                    Some("resolved") => { proptest::prop_assert!(firing); firing = false; }
                    Some("firing") => { proptest::prop_assert!(!ok); firing = true; }
                    _ => {}
                }
                proptest::prop_assert_eq!(firing, monitor.is_firing("disk"));
            }
        }
    }
}
