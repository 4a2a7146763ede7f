//! Per-user processing: what happens when a user's worker does not answer in time
//! ([`OnTimeout`]), and the life of one request to it ([`RequestState`]). Kept here because
//! the store keeps both, the CLI sets the first, and the filter and console read them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a route does when its worker cannot answer: timeout, broker unreachable, a nack, a
/// dead-lettered request or a reply that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnTimeout {
    /// 4xx: Postfix keeps the message and tries again later. Nothing is lost.
    #[default]
    Tempfail,
    /// Deliver the user's copy as the site's policy decided.
    Pass,
    /// Keep the user's copy in the quarantine.
    Quarantine,
}

impl OnTimeout {
    pub const ALL: [OnTimeout; 3] = [OnTimeout::Tempfail, OnTimeout::Pass, OnTimeout::Quarantine];

    pub fn as_str(self) -> &'static str {
        match self {
            OnTimeout::Tempfail => "tempfail",
            OnTimeout::Pass => "pass",
            OnTimeout::Quarantine => "quarantine",
        }
    }
}

impl fmt::Display for OnTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is none of the known ones; the message lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`; use one of: {known}")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub known: String,
}

impl FromStr for OnTimeout {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OnTimeout::ALL
            .into_iter()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| UnknownName {
                what: "on-timeout action",
                given: text.to_owned(),
                known: OnTimeout::ALL.map(OnTimeout::as_str).join(", "),
            })
    }
}

/// Where one request to a user's worker stands (SendSwitch's `mail_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    /// Published; no answer yet. (The filter writes a request's row when it ends, so this
    /// state is only read from rows written before that.)
    Sent,
    /// The worker answered (its action, tags and findings are kept).
    Answered,
    /// No answer within the route's timeout; `on_timeout` applied.
    TimedOut,
    /// The broker was unreachable, refused it, dead-lettered it, or the reply was garbage;
    /// `on_timeout` applied.
    Failed,
    /// The worker asked to hold the user's copy (DELAY); waits for a decision.
    Held,
    /// A held copy was decided (by the worker, the API, the console or its deadline).
    Decided,
}

impl RequestState {
    pub const ALL: [RequestState; 6] = [
        RequestState::Sent,
        RequestState::Answered,
        RequestState::TimedOut,
        RequestState::Failed,
        RequestState::Held,
        RequestState::Decided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Sent => "sent",
            RequestState::Answered => "answered",
            RequestState::TimedOut => "timed-out",
            RequestState::Failed => "failed",
            RequestState::Held => "held",
            RequestState::Decided => "decided",
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestState {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RequestState::ALL
            .into_iter()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| UnknownName {
                what: "request state",
                given: text.to_owned(),
                known: RequestState::ALL.map(RequestState::as_str).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_itself() {
        for v in OnTimeout::ALL {
            assert_eq!(v.as_str().parse::<OnTimeout>(), Ok(v));
        }
        for v in RequestState::ALL {
            assert_eq!(v.as_str().parse::<RequestState>(), Ok(v));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_known_ones() {
        let error = "drop".parse::<OnTimeout>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown on-timeout action `drop`; use one of: tempfail, pass, quarantine"
        );
    }
}
