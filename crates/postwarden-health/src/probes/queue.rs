//! `[health.queue]`: messages per queue (active, deferred, hold, incoming, maildrop) and
//! the oldest one's age, from `postqueue -j` (one JSON object per message).

use super::{last_line, run};
use crate::Reading;
use chrono::{DateTime, Utc};
use postwarden_core::config::QueueProbeConfig;
use std::collections::BTreeMap;

/// Postfix's queues, as the probe's figures name them.
pub const QUEUES: [&str; 5] = ["active", "deferred", "hold", "incoming", "maildrop"];

pub(super) const NAME: &str = "queue";

/// Messages per queue name, and the oldest arrival.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueCounts {
    pub by_queue: BTreeMap<String, u64>,
    pub oldest_arrival: Option<i64>,
}

impl QueueCounts {
    pub fn total(&self) -> u64 {
        self.by_queue.values().sum()
    }
}

/// Parses `postqueue -j` output; a line that is not a message object is an error naming it.
pub fn parse_postqueue_json(text: &str) -> Result<QueueCounts, String> {
    let mut counts = QueueCounts::default();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let message: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("postqueue -j line {}: {e}", number + 1))?;
        let queue = message["queue_name"]
            .as_str()
            .ok_or_else(|| format!("postqueue -j line {}: no queue_name", number + 1))?;
        *counts.by_queue.entry(queue.to_owned()).or_default() += 1;
        if let Some(arrival) = message["arrival_time"].as_i64() {
            counts.oldest_arrival = Some(counts.oldest_arrival.map_or(arrival, |o| o.min(arrival)));
        }
    }
    Ok(counts)
}

pub(super) async fn check(config: &QueueProbeConfig, now: DateTime<Utc>) -> Reading {
    let dir = config
        .config_dir
        .as_deref()
        .unwrap_or(std::path::Path::new("/etc/postfix"))
        .display()
        .to_string();
    let output = match run("postqueue", &["-c", &dir, "-j"]).await {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            return Reading::failing(NAME, format!("postqueue -c {dir} -j: {}", last_line(&out)));
        }
        Err(e) => return Reading::failing(NAME, e),
    };
    let counts = match parse_postqueue_json(&String::from_utf8_lossy(&output.stdout)) {
        Ok(counts) => counts,
        Err(e) => return Reading::failing(NAME, e),
    };
    evaluate(config, &counts, now)
}

fn evaluate(config: &QueueProbeConfig, counts: &QueueCounts, now: DateTime<Utc>) -> Reading {
    let total = counts.total();
    let age = counts.oldest_arrival.map(|t| (now.timestamp() - t).max(0));
    let per_queue: Vec<String> = counts
        .by_queue
        .iter()
        .map(|(queue, n)| format!("{n} {queue}"))
        .collect();
    let mut detail = if per_queue.is_empty() {
        "queue empty".to_owned()
    } else {
        format!("{total} messages ({})", per_queue.join(", "))
    };
    if let Some(age) = age {
        detail.push_str(&format!(", oldest {}", human_age(age)));
    }
    let too_many = total > config.max_messages;
    let too_old =
        matches!((age, config.max_age), (Some(age), Some(max)) if age as u64 > max.as_secs());
    let mut reading = if too_many || too_old {
        let mut why = Vec::new();
        if too_many {
            why.push(format!("more than {}", config.max_messages));
        }
        if too_old {
            why.push("oldest past max_age".to_owned());
        }
        Reading::failing(NAME, format!("{detail}: {}", why.join(", ")))
    } else {
        Reading::ok(NAME, detail)
    };
    for queue in QUEUES {
        reading = reading.with(queue, counts.by_queue.get(queue).copied().unwrap_or(0));
    }
    reading.with("total", total).with("oldest_age_seconds", age)
}

fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"queue_name": "deferred", "queue_id": "4Xk2Z51Qz5z9v", "arrival_time": 1800000000, "message_size": 812, "forced_expire": false, "sender": "a@example.org", "recipients": [{"address": "b@example.net", "delay_reason": "connect to mx.example.net[192.0.2.1]:25: Connection refused"}]}
{"queue_name": "hold", "queue_id": "4Xk2Z61Qz5z9w", "arrival_time": 1800000600, "message_size": 500, "forced_expire": false, "sender": "", "recipients": [{"address": "c@example.net"}]}
{"queue_name": "deferred", "queue_id": "4Xk2Z71Qz5z9x", "arrival_time": 1800001200, "message_size": 500, "forced_expire": false, "sender": "", "recipients": [{"address": "d@example.net"}]}
"#;

    fn config(max: u64, max_age: Option<u64>) -> QueueProbeConfig {
        QueueProbeConfig {
            config_dir: None,
            max_messages: max,
            max_age: max_age.map(std::time::Duration::from_secs),
        }
    }

    #[test]
    fn counts_per_queue_and_the_oldest() {
        let counts = parse_postqueue_json(SAMPLE).unwrap();
        assert_eq!(counts.by_queue["deferred"], 2);
        assert_eq!(counts.by_queue["hold"], 1);
        assert_eq!(counts.oldest_arrival, Some(1_800_000_000));
        let now = DateTime::from_timestamp(1_800_003_600, 0).unwrap();
        let fine = evaluate(&config(50, None), &counts, now);
        assert!(fine.ok, "{fine:?}");
        assert_eq!(
            fine.detail,
            "3 messages (2 deferred, 1 hold), oldest 60 min"
        );
        assert_eq!(fine.figures["hold"], 1);
        let full = evaluate(&config(2, None), &counts, now);
        assert!(!full.ok);
        assert!(full.detail.ends_with("more than 2"), "{}", full.detail);
        let old = evaluate(&config(50, Some(1800)), &counts, now);
        assert!(!old.ok);
        assert!(old.detail.contains("oldest past max_age"), "{}", old.detail);
    }

    #[test]
    fn an_empty_queue_is_fine_and_garbage_is_named() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let empty = evaluate(&config(0, Some(1)), &parse_postqueue_json("").unwrap(), now);
        assert!(empty.ok);
        assert_eq!(empty.detail, "queue empty");
        let error = parse_postqueue_json("{\"queue_name\": \"active\"}\nnot json").unwrap_err();
        assert!(error.starts_with("postqueue -j line 2:"), "{error}");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in ".{0,400}") {
            let _ = parse_postqueue_json(&text);
        }
    }
}
