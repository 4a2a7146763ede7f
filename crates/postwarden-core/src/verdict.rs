//! What the filter's processors find and what its policy decides: [`Finding`]s go in,
//! an [`Action`] per recipient comes out.

use serde::{Deserialize, Serialize};

/// One thing a processor noticed about a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The processor (`spamassassin`, `clamav`, `lists`, …).
    pub processor: String,
    /// Added to the message's total score.
    pub score: f64,
    /// What kind of finding it is; the policy reads these tags.
    pub tags: Vec<Tag>,
    /// Human-readable detail (`Eicar-Test-Signature`, `GTUBE,BAYES_99`, `sender @spam.example`).
    pub reason: String,
    /// The recipients it concerns; empty means the whole message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// An action the processor asks for (a webhook's reply): the policy applies at least
    /// this one — it can make the verdict stronger, never weaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// The categories the policy acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tag {
    Spam,
    Virus,
    Blocked,
    Allowed,
    /// A processor could not run and was skipped (`on_error = "skip"`).
    Skipped,
    /// DMARC failed and the From domain asks receivers to reject (`p=reject`).
    #[serde(rename = "dmarc_reject")]
    DmarcReject,
    /// DMARC failed and the From domain asks receivers to quarantine.
    #[serde(rename = "dmarc_quarantine")]
    DmarcQuarantine,
    /// The phishing score reached its threshold.
    Phishing,
    /// The business e-mail compromise score reached its threshold.
    Bec,
}

impl Tag {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Virus => "virus",
            Self::Blocked => "blocked",
            Self::Allowed => "allowed",
            Self::Skipped => "skipped",
            Self::DmarcReject => "dmarc_reject",
            Self::DmarcQuarantine => "dmarc_quarantine",
            Self::Phishing => "phishing",
            Self::Bec => "bec",
        }
    }
}

/// What happens to a message for one recipient, mildest first: when several rules apply,
/// the later (stronger) action wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Deliver with the trace header.
    Pass,
    /// Deliver with `X-Spam-Flag: YES`, the score and an optional subject prefix.
    Tag,
    /// Deliver to `forward_to` instead of the recipient.
    Forward,
    /// Keep in the quarantine; do not deliver.
    Quarantine,
    /// Accept and drop (recorded).
    Discard,
    /// Refuse with a 5xx.
    Reject,
    /// Refuse with a 4xx: try again later.
    Tempfail,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Tag => "tag",
            Self::Forward => "forward",
            Self::Quarantine => "quarantine",
            Self::Discard => "discard",
            Self::Reject => "reject",
            Self::Tempfail => "tempfail",
        }
    }
}
