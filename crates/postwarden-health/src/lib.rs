//! Health: probes that check what a mail server needs (Postfix, its queue, the store, disks,
//! spamd, clamd, SMTP services, certificates, the log), and the [`Monitor`] that turns their
//! readings into alerts.
//!
//! A probe only measures: it returns a [`Reading`] (ok or failing, and why). The monitor
//! decides: an alert fires after `failures_before_alert` failing readings in a row, is
//! repeated every `repeat_interval` while it lasts, and resolves on the first good reading —
//! each of those is one `health.<probe>` event (`attributes.status` = `firing` or
//! `resolved`), so rules route them like any other event.

mod monitor;
pub mod probes;

pub use monitor::Monitor;
pub use probes::{Probe, QUEUES, probes_of};

/// What one probe found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reading {
    /// The probe's name: `postfix`, `queue`, `disk`, … (the event kind is `health.<probe>`).
    pub probe: &'static str,
    pub ok: bool,
    /// One line for a person: what was measured, or what is wrong.
    pub detail: String,
    /// Figures behind it (`{"deferred": 3, …}`), for the event and `health --format json`.
    pub figures: serde_json::Map<String, serde_json::Value>,
}

impl Reading {
    pub fn ok(probe: &'static str, detail: impl Into<String>) -> Reading {
        Reading {
            probe,
            ok: true,
            detail: detail.into(),
            figures: Default::default(),
        }
    }

    pub fn failing(probe: &'static str, detail: impl Into<String>) -> Reading {
        Reading {
            ok: false,
            ..Reading::ok(probe, detail)
        }
    }

    /// Adds a figure.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Reading {
        self.figures.insert(name.to_owned(), value.into());
        self
    }
}
