//! The process's Prometheus metrics: one registry, written to by every job and read by the
//! `/metrics` endpoint of `postwarden run` (`metrics.listen`).
//!
//! | metric | labels |
//! |---|---|
//! | `postwarden_filter_messages_total` | `result`: accepted, rejected, tempfailed |
//! | `postwarden_filter_verdicts_total` | `action`: pass, tag, quarantine, reject, forward (per recipient) |
//! | `postwarden_processor_duration_seconds` | `processor` |
//! | `postwarden_log_lines_total` | `kind` (the parser's classification, or `unparsed`) |
//! | `postwarden_probe_up` | `probe`: 1 healthy, 0 failing |
//! | `postwarden_postfix_queue_messages` | `queue`: active, deferred, hold, incoming, maildrop |
//! | `postwarden_notifications_total` | `channel`, `status`: sent, retried, failed, rate_limited, … |
//!
//! Label values come from postwarden's own vocabulary (kinds, actions, configured names),
//! never from mail or log content, so the number of series stays bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProcessorLabel {
    processor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProbeLabel {
    probe: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NotificationLabels {
    channel: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOutcome {
    route: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    messages: Family<ResultLabel, Counter>,
    verdicts: Family<ActionLabel, Counter>,
    processor_seconds: Histograms<ProcessorLabel>,
    log_lines: Family<KindLabel, Counter>,
    probe_up: Family<ProbeLabel, Gauge>,
    queue_messages: Family<QueueLabel, Gauge>,
    notifications: Family<NotificationLabels, Counter>,
    mq_requests: Family<RouteOutcome, Counter>,
    mq_seconds: Histograms<RouteLabel>,
    mq_rejected: Family<ReasonLabel, Counter>,
    worker_messages: Family<ActionLabel, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Processor latencies from 1 ms to about 33 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("postwarden");
        let messages = Family::default();
        let verdicts = Family::default();
        let processor_seconds: Histograms<ProcessorLabel> =
            Family::new_with_constructor(latency_histogram);
        let log_lines = Family::default();
        let probe_up = Family::default();
        let queue_messages = Family::default();
        let notifications = Family::default();
        let mq_requests = Family::default();
        let mq_seconds: Histograms<RouteLabel> = Family::new_with_constructor(latency_histogram);
        let mq_rejected = Family::default();
        let worker_messages = Family::default();
        registry.register(
            "mq_requests",
            "Requests to users' workers, by route (the user) and outcome",
            mq_requests.clone(),
        );
        registry.register(
            "mq_request_duration_seconds",
            "From publishing a request to its reply, by route",
            mq_seconds.clone(),
        );
        registry.register(
            "mq_replies_rejected",
            "Replies dropped: not pending for that worker, or not a reply",
            mq_rejected.clone(),
        );
        registry.register(
            "worker_messages",
            "Requests a worker answered, by action",
            worker_messages.clone(),
        );
        registry.register(
            "filter_messages",
            "Messages the content filter answered, by result",
            messages.clone(),
        );
        registry.register(
            "filter_verdicts",
            "Recipients the policy decided on, by action",
            verdicts.clone(),
        );
        registry.register(
            "processor_duration_seconds",
            "Time each filter processor took per message",
            processor_seconds.clone(),
        );
        registry.register(
            "log_lines",
            "Postfix log lines read, by kind",
            log_lines.clone(),
        );
        registry.register(
            "probe_up",
            "Health probes: 1 when the last reading was healthy",
            probe_up.clone(),
        );
        registry.register(
            "postfix_queue_messages",
            "Messages in Postfix's queues at the last queue probe",
            queue_messages.clone(),
        );
        registry.register(
            "notifications",
            "Notification attempts, by channel and outcome",
            notifications.clone(),
        );
        Metrics {
            registry,
            messages,
            verdicts,
            processor_seconds,
            log_lines,
            probe_up,
            queue_messages,
            notifications,
            mq_requests,
            mq_seconds,
            mq_rejected,
            worker_messages,
        }
    }

    /// A request to a user's worker ended: `answered`, `timed-out`, `failed`.
    pub fn mq_request(&self, route: &str, outcome: &str, seconds: Option<f64>) {
        self.mq_requests
            .get_or_create(&RouteOutcome {
                route: route.into(),
                outcome: outcome.into(),
            })
            .inc();
        if let Some(seconds) = seconds {
            self.mq_seconds
                .get_or_create(&RouteLabel {
                    route: route.into(),
                })
                .observe(seconds);
        }
    }

    /// A worker's reply was dropped.
    pub fn mq_reply_rejected(&self, reason: &str) {
        self.mq_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.into(),
            })
            .inc();
    }

    /// A worker answered a request with `action`.
    pub fn worker_message(&self, action: &str) {
        self.worker_messages
            .get_or_create(&ActionLabel {
                action: action.into(),
            })
            .inc();
    }

    /// A message the filter answered: `accepted`, `rejected` or `tempfailed`.
    pub fn filter_message(&self, result: &str) {
        self.messages
            .get_or_create(&ResultLabel {
                result: result.into(),
            })
            .inc();
    }

    /// The policy's action for one recipient.
    pub fn filter_verdict(&self, action: &str) {
        self.verdicts
            .get_or_create(&ActionLabel {
                action: action.into(),
            })
            .inc();
    }

    /// How long a processor took on one message.
    pub fn processor_time(&self, processor: &str, seconds: f64) {
        self.processor_seconds
            .get_or_create(&ProcessorLabel {
                processor: processor.into(),
            })
            .observe(seconds);
    }

    /// `count` log lines of `kind` read.
    pub fn log_lines(&self, kind: &str, count: u64) {
        self.log_lines
            .get_or_create(&KindLabel { kind: kind.into() })
            .inc_by(count);
    }

    /// A probe's latest state.
    pub fn probe(&self, probe: &str, up: bool) {
        self.probe_up
            .get_or_create(&ProbeLabel {
                probe: probe.into(),
            })
            .set(i64::from(up));
    }

    /// The messages in one of Postfix's queues.
    pub fn queue(&self, queue: &str, messages: i64) {
        self.queue_messages
            .get_or_create(&QueueLabel {
                queue: queue.into(),
            })
            .set(messages);
    }

    /// A notification attempt's outcome.
    pub fn notification(&self, channel: &str, status: &str) {
        self.notifications
            .get_or_create(&NotificationLabels {
                channel: channel.into(),
                status: status.into(),
            })
            .inc();
    }

    /// Everything, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_exposed_with_its_labels() {
        let m = Metrics::new();
        m.filter_message("accepted");
        m.filter_verdict("tag");
        m.processor_time("clamav", 0.003);
        m.log_lines("auth_failed", 7);
        m.probe("postfix", false);
        m.queue("deferred", 12);
        m.notification("ops_sms", "sent");
        let text = m.encode();
        for line in [
            "postwarden_filter_messages_total{result=\"accepted\"} 1",
            "postwarden_filter_verdicts_total{action=\"tag\"} 1",
            "postwarden_processor_duration_seconds_count{processor=\"clamav\"} 1",
            "postwarden_log_lines_total{kind=\"auth_failed\"} 7",
            "postwarden_probe_up{probe=\"postfix\"} 0",
            "postwarden_postfix_queue_messages{queue=\"deferred\"} 12",
            "postwarden_notifications_total{channel=\"ops_sms\",status=\"sent\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
