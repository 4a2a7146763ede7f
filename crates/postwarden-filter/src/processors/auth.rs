//! `type = "auth"`: who really sent it — SPF (the original client's IP from XFORWARD, its
//! HELO, MAIL FROM), DKIM (every signature), DMARC (alignment and the From domain's
//! policy) and ARC (the chain; a trusted sealer's passing chain excuses a DMARC failure
//! that forwarding caused), all by mail-auth through [`crate::dns::Dns`].
//!
//! Results become findings named by their first word (`dmarc_fail`, `spf_fail`,
//! `dkim_fail`, `arc_fail`, `…_temperror`); a DMARC failure under `p=reject` or
//! `p=quarantine` carries the tag the policy acts on ([`Tag::DmarcReject`],
//! [`Tag::DmarcQuarantine`]). A DNS timeout is a `temperror`: noted, never a failure.
//! The `Authentication-Results` header (RFC 8601) is kept on the message for the filter
//! to add ([`Scanned::auth`]); the findings carry no score (the policy decides by tags).

use super::ProcessorError;
use crate::dns::Dns;
use crate::evidence::{AuthResults, CheckResult, DmarcPolicy};
use crate::message::Scanned;
use mail_auth::dmarc::Policy;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, AuthenticationResults, DkimResult, DmarcResult, SpfResult};
use postwarden_core::config::AuthCheckConfig;
use postwarden_core::{Finding, Tag};

use std::sync::Arc;

const NAME: &str = "auth";

pub struct Auth {
    pub(crate) config: AuthCheckConfig,
    dns: Arc<Dns>,
    authserv_id: String,
    trusted_sealers: Vec<String>,
}

impl Auth {
    pub fn new(config: AuthCheckConfig, dns: Arc<Dns>, authserv_id: &str) -> Self {
        let trusted_sealers = config
            .trusted_arc_sealers
            .iter()
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .collect();
        Self {
            config,
            dns,
            authserv_id: authserv_id.to_string(),
            trusted_sealers,
        }
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        let Some(parsed) = AuthenticatedMessage::parse(&message.bytes) else {
            return Ok(vec![finding(
                "auth_none: no header section to authenticate".into(),
                Vec::new(),
            )]);
        };
        let auth = self.dns.authenticator();
        let mail_from = message.envelope.mail_from.as_str();
        let helo = message
            .helo()
            .or_else(|| message.client_name())
            .unwrap_or_default();
        let ip = message.client_ip();
        let mail_from_domain = mail_from
            .rsplit_once('@')
            .map_or(helo.as_str(), |(_, d)| d)
            .to_ascii_lowercase();

        let spf = match ip {
            Some(ip) => Some(
                auth.verify_spf(self.dns.parameters(SpfParameters::verify(
                    ip,
                    &helo,
                    &self.authserv_id,
                    mail_from,
                )))
                .await,
            ),
            None => None,
        };
        let dkim = auth.verify_dkim(self.dns.parameters(&parsed)).await;
        let arc = auth.verify_arc(self.dns.parameters(&parsed)).await;
        let no_spf = mail_auth::SpfOutput::new(mail_from_domain.clone());
        let spf_output = spf.as_ref().unwrap_or(&no_spf);
        let dmarc = auth
            .verify_dmarc(self.dns.parameters(DmarcParameters::new(
                &parsed,
                &dkim,
                &mail_from_domain,
                spf_output,
            )))
            .await;

        let from_domain = match parsed.from.as_slice() {
            [one] => one
                .rsplit_once('@')
                .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase()),
            _ => None,
        };
        let mut header = AuthenticationResults::new(&self.authserv_id)
            .with_dkim_results(&dkim, parsed.from.first().map_or("", String::as_str));
        if let Some(ip) = ip {
            header = header
                .with_spf_mailfrom_result(spf_output, ip, mail_from, &helo)
                .with_arc_result(&arc, ip);
        }
        header = header.with_dmarc_result(&dmarc);

        let spf_result = spf
            .as_ref()
            .map_or(CheckResult::None, |s| spf_check(s.result()));
        let dkim_results: Vec<(String, CheckResult)> = dkim
            .iter()
            .map(|out| {
                (
                    out.signature().map(|s| s.d.clone()).unwrap_or_default(),
                    dkim_check(out.result()),
                )
            })
            .collect();
        let dmarc_result = dmarc_check(&dmarc.result());
        let policy = match dmarc.policy() {
            Policy::Reject => Some(DmarcPolicy::Reject),
            Policy::Quarantine => Some(DmarcPolicy::Quarantine),
            Policy::None => Some(DmarcPolicy::None),
            Policy::Unspecified => None,
        };
        let arc_result = dkim_check(arc.result());
        let arc_sealer = arc
            .sets()
            .last()
            .map(|set| set.seal.header.d.to_ascii_lowercase());
        let arc_override = dmarc_result == CheckResult::Fail
            && arc_result == CheckResult::Pass
            && arc_sealer
                .as_ref()
                .is_some_and(|s| self.trusted_sealers.iter().any(|t| t == s));

        let mut findings = Vec::new();
        if let Some(spf) = &spf {
            let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
            match spf_result {
                CheckResult::Fail | CheckResult::SoftFail | CheckResult::PermError => {
                    findings.push(finding(
                        format!(
                            "spf_{}: {} does not authorize {ip}{}",
                            spf_result.as_str(),
                            spf.domain(),
                            spf.explanation()
                                .map(|e| format!(" ({e})"))
                                .unwrap_or_default()
                        ),
                        Vec::new(),
                    ));
                }
                CheckResult::TempError => findings.push(finding(
                    format!("spf_temperror: no DNS answer for {}", spf.domain()),
                    Vec::new(),
                )),
                _ => {}
            }
        }
        for (out, (domain, result)) in dkim.iter().zip(&dkim_results) {
            if matches!(
                result,
                CheckResult::Fail | CheckResult::PermError | CheckResult::TempError
            ) {
                let why = match out.result() {
                    DkimResult::Fail(e)
                    | DkimResult::PermError(e)
                    | DkimResult::TempError(e)
                    | DkimResult::Neutral(e) => e.to_string(),
                    _ => String::new(),
                };
                findings.push(finding(
                    format!("dkim_{}: d={domain}: {why}", result.as_str()),
                    Vec::new(),
                ));
            }
        }
        if matches!(arc_result, CheckResult::Fail | CheckResult::PermError) {
            findings.push(finding(
                format!(
                    "arc_fail: chain{} does not validate",
                    arc_sealer
                        .as_ref()
                        .map(|s| format!(" sealed by {s}"))
                        .unwrap_or_default()
                ),
                Vec::new(),
            ));
        }
        match dmarc_result {
            CheckResult::Fail => {
                let published = policy.unwrap_or(DmarcPolicy::None);
                let what = format!(
                    "dmarc_fail: {} p={} (spf {}, dkim {})",
                    dmarc.domain(),
                    published.as_str(),
                    dmarc_check(dmarc.spf_result()).as_str(),
                    dmarc_check(dmarc.dkim_result()).as_str(),
                );
                if arc_override {
                    findings.push(finding(
                        format!(
                            "{what}; excused: ARC chain sealed by trusted {} passes",
                            arc_sealer.as_deref().unwrap_or_default()
                        ),
                        Vec::new(),
                    ));
                } else {
                    let tags = match published {
                        DmarcPolicy::Reject => vec![Tag::DmarcReject],
                        DmarcPolicy::Quarantine => vec![Tag::DmarcQuarantine],
                        DmarcPolicy::None => Vec::new(),
                    };
                    findings.push(finding(what, tags));
                }
            }
            CheckResult::TempError => findings.push(finding(
                format!("dmarc_temperror: no DNS answer for {}", dmarc.domain()),
                Vec::new(),
            )),
            _ => {}
        }
        message.set_auth(AuthResults {
            from_domain,
            spf: spf_result,
            dkim: dkim_results,
            dmarc: dmarc_result,
            dmarc_policy: policy,
            arc: arc_result,
            arc_sealer,
            arc_override,
            header: header.to_string(),
        });
        Ok(findings)
    }
}

fn finding(reason: String, tags: Vec<Tag>) -> Finding {
    Finding {
        processor: NAME.into(),
        score: 0.0,
        tags,
        reason,
        recipients: Vec::new(),
        action: None,
    }
}

fn spf_check(result: SpfResult) -> CheckResult {
    match result {
        SpfResult::Pass => CheckResult::Pass,
        SpfResult::Fail => CheckResult::Fail,
        SpfResult::SoftFail => CheckResult::SoftFail,
        SpfResult::Neutral => CheckResult::Neutral,
        SpfResult::TempError => CheckResult::TempError,
        SpfResult::PermError => CheckResult::PermError,
        SpfResult::None => CheckResult::None,
    }
}

fn dkim_check(result: &DkimResult) -> CheckResult {
    match result {
        DkimResult::Pass => CheckResult::Pass,
        DkimResult::Neutral(_) => CheckResult::Neutral,
        DkimResult::Fail(_) => CheckResult::Fail,
        DkimResult::PermError(_) => CheckResult::PermError,
        DkimResult::TempError(_) => CheckResult::TempError,
        DkimResult::None => CheckResult::None,
    }
}

fn dmarc_check(result: &DmarcResult) -> CheckResult {
    match result {
        DmarcResult::Pass => CheckResult::Pass,
        DmarcResult::Fail(_) => CheckResult::Fail,
        DmarcResult::TempError(_) => CheckResult::TempError,
        DmarcResult::PermError(_) => CheckResult::PermError,
        DmarcResult::None => CheckResult::None,
    }
}

/// Whether an `Authentication-Results` value claims `authserv_id` (its first token,
/// before `;`, comments and the optional version removed; any case): such a header came
/// from outside and must not be believed (RFC 8601 §5).
pub fn claims_authserv_id(value: &str, authserv_id: &str) -> bool {
    let first = value.split(';').next().unwrap_or_default();
    let mut without_comments = String::with_capacity(first.len());
    let mut depth = 0u32;
    for c in first.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => without_comments.push(c),
            _ => {}
        }
    }
    without_comments
        .split_whitespace()
        .next()
        .is_some_and(|id| id.trim_matches('"').eq_ignore_ascii_case(authserv_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn our_id_is_recognised_with_comments_and_versions() {
        assert!(claims_authserv_id(
            "mx.example.org; spf=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            " MX.example.org (forged) 1; dkim=pass",
            "mx.example.org"
        ));
        assert!(claims_authserv_id(
            "(c) mx.example.org; none",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "mx.example.net; spf=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id(
            "mx.example.org.evil; spf=pass",
            "mx.example.org"
        ));
        assert!(!claims_authserv_id("", "mx.example.org"));
    }

    proptest! {
        #[test]
        fn any_value_is_judged_without_panicking(value in ".{0,200}") {
            let _ = claims_authserv_id(&value, "mx.example.org");
        }
    }
}
