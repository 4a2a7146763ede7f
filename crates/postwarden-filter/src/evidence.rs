//! What one processor learns about a message that later ones and the filter itself use:
//! the authentication results (`auth`: the phishing processor asks whether mail claiming
//! our domain authenticated; the filter writes the `Authentication-Results` header) and
//! the phishing and BEC scores (`phishing`: the events carry them). Plain data, kept on
//! [`crate::Scanned`], so no processor imports another.

use serde::Serialize;

/// One method's result (RFC 8601's result values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    /// A DNS answer did not come in time: neither pass nor fail.
    TempError,
    /// A broken record or signature.
    PermError,
    None,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::Neutral => "neutral",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
            Self::None => "none",
        }
    }
}

/// The DMARC policy the From domain publishes (RFC 7489 `p=`, or `sp=` for a subdomain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }
}

/// What the `auth` processor found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthResults {
    /// The domain of the From header (lower case), if there is exactly one.
    pub from_domain: Option<String>,
    pub spf: CheckResult,
    /// `d=` of each DKIM signature and its result.
    pub dkim: Vec<(String, CheckResult)>,
    pub dmarc: CheckResult,
    pub dmarc_policy: Option<DmarcPolicy>,
    pub arc: CheckResult,
    /// `d=` of the newest ARC seal.
    pub arc_sealer: Option<String>,
    /// A DMARC failure excused by a trusted ARC sealer.
    pub arc_override: bool,
    /// The `Authentication-Results` value to add (authserv-id first, folded).
    pub header: String,
}

impl AuthResults {
    /// Whether the From domain is vouched for: DMARC passed, or an aligned DKIM signature
    /// passed when the domain has no DMARC record.
    pub fn from_authenticated(&self) -> bool {
        if self.dmarc == CheckResult::Pass || self.arc_override {
            return true;
        }
        let Some(from) = &self.from_domain else {
            return false;
        };
        self.dmarc == CheckResult::None
            && self.dkim.iter().any(|(d, r)| {
                *r == CheckResult::Pass
                    && (from == &d.to_ascii_lowercase()
                        || from.ends_with(&format!(".{}", d.to_ascii_lowercase())))
            })
    }

    /// Whether authentication failed outright (not a temporary error, not mere absence).
    pub fn failed(&self) -> bool {
        !self.arc_override
            && (self.dmarc == CheckResult::Fail
                || (self.dmarc != CheckResult::Pass
                    && self.spf == CheckResult::Fail
                    && !self.dkim.iter().any(|(_, r)| *r == CheckResult::Pass)))
    }
}

/// The phishing processor's two scores, each with its reasons (weight and text).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PhishingScores {
    pub phishing: f64,
    pub bec: f64,
    pub phishing_reasons: Vec<String>,
    pub bec_reasons: Vec<String>,
}
