//! The people postwarden serves: their [`Role`] and the [`UserSettings`] they tune
//! themselves. Kept here, beside [`Action`](crate::Action) and [`Finding`](crate::Finding),
//! because the store keeps them, the web console edits them and the filter's policy reads
//! them: one vocabulary for all three.
//!
//! Who sees what follows from the role alone ([`Role::sees_everything`]): a `user` sees
//! mail they sent or received, a `domain-admin` the mail of their domains, an `admin`
//! everything.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Their own mail: where they are a recipient, and what they sent.
    User,
    /// The mail of their domains, and the users of those domains.
    DomainAdmin,
    /// Everything, and the configuration.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::DomainAdmin, Role::User];

    /// The stored and displayed name: `admin`, `domain-admin`, `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DomainAdmin => "domain-admin",
            Role::User => "user",
        }
    }

    pub fn sees_everything(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of `admin`, `domain-admin`, `user`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`; use admin, domain-admin or user")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// How often a user hears about their new quarantined mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestFrequency {
    Never,
    #[default]
    Daily,
    Weekly,
}

impl DigestFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Never => "never",
            DigestFrequency::Daily => "daily",
            DigestFrequency::Weekly => "weekly",
        }
    }
}

/// What a mailbox owner tunes for their own mail. Every field is optional: what is unset
/// falls back to `[filter.policy]` (its domain and recipient tables). The filter overlays
/// these after the file's settings, on the next message after a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserSettings {
    /// Score from which mail is tagged as spam.
    pub spam_score: Option<f64>,
    /// Score from which mail is quarantined.
    pub quarantine_score: Option<f64>,
    /// Score from which mail is rejected.
    pub reject_score: Option<f64>,
    /// Prefix added to the subject of tagged mail (`[SPAM]`).
    pub subject_prefix: Option<String>,
    /// Senders (addresses or `@domain`) always let through.
    pub allow_senders: Vec<String>,
    /// Senders always blocked.
    pub block_senders: Vec<String>,
    /// Where a copy of quarantined mail goes as well.
    pub forward: Vec<String>,
    /// How often the quarantine digest comes.
    pub digest: DigestFrequency,
}

/// A setting that makes no sense, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct InvalidSetting {
    pub field: &'static str,
    pub message: String,
}

impl UserSettings {
    /// Checks ranges and addresses; the error names the field.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let bad = |field, message: String| Err(InvalidSetting { field, message });
        for (field, value) in [
            ("spam_score", self.spam_score),
            ("quarantine_score", self.quarantine_score),
            ("reject_score", self.reject_score),
        ] {
            if let Some(v) = value
                && (!v.is_finite() || v.abs() > 10_000.0)
            {
                return bad(
                    field,
                    format!("{v} is not a score between -10000 and 10000"),
                );
            }
        }
        if let (Some(q), Some(r)) = (self.quarantine_score, self.reject_score)
            && r < q
        {
            return bad(
                "reject_score",
                format!("{r} is below quarantine_score {q}; rejecting must need more"),
            );
        }
        if let Some(prefix) = &self.subject_prefix
            && (prefix.chars().count() > 40 || prefix.chars().any(char::is_control))
        {
            return bad(
                "subject_prefix",
                "at most 40 characters, no control characters".into(),
            );
        }
        for (field, list) in [
            ("allow_senders", &self.allow_senders),
            ("block_senders", &self.block_senders),
        ] {
            if list.len() > 1000 {
                return bad(field, "at most 1000 entries".into());
            }
            for entry in list {
                if !is_sender_pattern(entry) {
                    return bad(
                        field,
                        format!("`{}` is not an address or @domain", entry.escape_debug()),
                    );
                }
            }
        }
        if self.forward.len() > 5 {
            return bad("forward", "at most 5 addresses".into());
        }
        for address in &self.forward {
            if !is_address(address) {
                return bad(
                    "forward",
                    format!("`{}` is not an address", address.escape_debug()),
                );
            }
        }
        Ok(())
    }
}

/// `local@domain` with no spaces, controls or angle brackets (what an SMTP envelope takes).
pub fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty() && is_domain(domain) && text.len() <= 320 && !text.chars().any(forbidden)
}

/// A DNS name: labels of letters, digits, `-` (or IDN characters), dots between.
pub fn is_domain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// An address or `@domain`.
pub fn is_sender_pattern(text: &str) -> bool {
    match text.strip_prefix('@') {
        Some(domain) => is_domain(domain),
        None => is_address(text),
    }
}

fn forbidden(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';' | '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .to_string()
                .contains("domain-admin")
        );
    }

    #[test]
    fn settings_errors_name_the_field() {
        let s = UserSettings {
            quarantine_score: Some(8.0),
            reject_score: Some(5.0),
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "reject_score");
        let s = UserSettings {
            block_senders: vec!["evil@x.org\r\nBcc: a@b".into()],
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "block_senders");
        let s = UserSettings {
            allow_senders: vec!["@partner.example".into(), "boss@corp.example".into()],
            spam_score: Some(4.5),
            ..Default::default()
        };
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn addresses_are_checked_for_what_smtp_cannot_carry() {
        assert!(is_address("alice@example.org"));
        assert!(!is_address("alice@"));
        assert!(!is_address("<alice@example.org>"));
        assert!(!is_address("a b@example.org"));
        assert!(!is_address("a@exa..mple"));
    }
}
