//! The one place findings become decisions: for each recipient, the settings of
//! `[filter.policy]` (built-in defaults, the section's keys, then the recipient's domain, then the recipient),
//! then the recipient's own settings from the console ([`UserSettings`]: thresholds, subject
//! prefix, forward addresses), applied to the findings that concern that recipient. The
//! strongest applicable action wins. A user's allow and block senders become findings of
//! their own ([`user_findings`]), so they weigh like any list's.

use postwarden_core::config::{PolicyConfig, PolicyRules};
use postwarden_core::{Action, Finding, Tag, UserSettings};

/// The verdict for one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub action: Action,
    /// What the message is for this recipient (`Virus`, `Blocked`, `Spam`), whichever
    /// action won: the events report these.
    pub found: Vec<Tag>,
    /// Indices (into the findings) of those that concern this recipient.
    pub concerning: Vec<usize>,
    /// Their total score.
    pub score: f64,
    /// Why, in a few words (`virus Eicar-Test-Signature`, `spam, score 1000.0`).
    pub reason: String,
    /// The settings that applied (subject prefix, forward addresses).
    pub rules: PolicyRules,
}

/// Decides for `recipient`, whose own settings are `user` (if they have an account).
pub fn decide(
    policy: &PolicyConfig,
    findings: &[Finding],
    recipient: &str,
    user: Option<&UserSettings>,
) -> Decision {
    let mut rules = effective_rules(policy, recipient);
    if let Some(user) = user {
        overlay(
            &mut rules,
            PolicyRules {
                spam_score: user.spam_score,
                quarantine_score: user.quarantine_score,
                reject_score: user.reject_score,
                subject_prefix: user.subject_prefix.clone(),
                forward_to: user.forward.clone(),
                ..PolicyRules::default()
            },
        );
    }
    let concerning: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            let f = &findings[i];
            f.recipients.is_empty()
                || f.recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(recipient))
        })
        .collect();
    // `+ 0.0`: the sum of no floats is -0.0, which would print as "-0.0".
    let score: f64 = concerning.iter().map(|&i| findings[i].score).sum::<f64>() + 0.0;
    let tagged = |tag| {
        concerning
            .iter()
            .map(|&i| &findings[i])
            .find(|f| f.tags.contains(&tag))
    };
    let allowed = tagged(Tag::Allowed).is_some();

    let mut found = Vec::new();
    let mut action = Action::Pass;
    let mut reason = String::from("clean");
    let mut raise = |candidate: Option<Action>, why: String| {
        if let Some(candidate) = candidate
            && candidate > action
        {
            action = candidate;
            reason = why;
        }
    };
    if let Some(virus) = tagged(Tag::Virus) {
        found.push(Tag::Virus);
        raise(rules.virus, format!("virus {}", virus.reason));
    }
    // Not overridden by allow lists: an allowed sender's name is what a forger borrows.
    for (tag, action) in [
        (Tag::DmarcReject, rules.dmarc_reject),
        (Tag::DmarcQuarantine, rules.dmarc_quarantine),
        (Tag::Phishing, rules.phishing),
        (Tag::Bec, rules.bec),
    ] {
        if let Some(finding) = tagged(tag) {
            found.push(tag);
            raise(action, finding.reason.clone());
        }
    }
    if !allowed {
        if let Some(blocked) = tagged(Tag::Blocked) {
            found.push(Tag::Blocked);
            raise(rules.blocked, format!("blocked: {}", blocked.reason));
        }
        if tagged(Tag::Spam).is_some() || rules.spam_score.is_some_and(|t| score >= t) {
            found.push(Tag::Spam);
            let why = format!("spam, score {score:.1}");
            raise(rules.spam, why.clone());
            if rules.quarantine_score.is_some_and(|t| score >= t) {
                raise(Some(Action::Quarantine), why.clone());
            }
            if rules.reject_score.is_some_and(|t| score >= t) {
                raise(Some(Action::Reject), why);
            }
        }
    }
    for asked in concerning.iter().map(|&i| &findings[i]) {
        if let Some(wanted) = asked.action {
            raise(
                Some(wanted),
                format!("{} asked for {}", asked.processor, wanted.as_str()),
            );
        }
    }
    Decision {
        action,
        found,
        concerning,
        score,
        reason,
        rules,
    }
}

/// Defaults, overlaid by the recipient's domain, overlaid by the recipient.
fn effective_rules(policy: &PolicyConfig, recipient: &str) -> PolicyRules {
    let recipient = recipient.to_lowercase();
    let domain = recipient
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default();
    let mut rules = PolicyConfig::builtin();
    overlay(&mut rules, policy.rules.clone());
    let lookup = |map: &std::collections::BTreeMap<String, PolicyRules>, key: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    for layer in [
        lookup(&policy.domains, domain),
        lookup(&policy.recipients, &recipient),
    ]
    .into_iter()
    .flatten()
    {
        overlay(&mut rules, layer);
    }
    rules
}

/// The findings a recipient's own allow and block senders make for `sender`: `Allowed`
/// or `Blocked`, concerning that recipient only.
pub fn user_findings(sender: &str, recipient: &str, user: &UserSettings) -> Vec<Finding> {
    let sender = sender.to_lowercase();
    let domain = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let matches = |pattern: &String| {
        let pattern = pattern.to_lowercase();
        match pattern.strip_prefix('@') {
            Some(d) => d == domain || domain.ends_with(&format!(".{d}")),
            None => pattern == sender,
        }
    };
    let mut found = Vec::new();
    for (list, tag) in [
        (&user.allow_senders, Tag::Allowed),
        (&user.block_senders, Tag::Blocked),
    ] {
        if !sender.is_empty()
            && let Some(hit) = list.iter().find(|p| matches(p))
        {
            found.push(Finding {
                processor: "user-lists".into(),
                score: 0.0,
                tags: vec![tag],
                reason: format!("{recipient}'s list: {hit}"),
                recipients: vec![recipient.to_string()],
                action: None,
            });
        }
    }
    found
}

fn overlay(base: &mut PolicyRules, layer: PolicyRules) {
    base.virus = layer.virus.or(base.virus);
    base.spam = layer.spam.or(base.spam);
    base.blocked = layer.blocked.or(base.blocked);
    base.dmarc_reject = layer.dmarc_reject.or(base.dmarc_reject);
    base.dmarc_quarantine = layer.dmarc_quarantine.or(base.dmarc_quarantine);
    base.phishing = layer.phishing.or(base.phishing);
    base.bec = layer.bec.or(base.bec);
    base.spam_score = layer.spam_score.or(base.spam_score);
    base.quarantine_score = layer.quarantine_score.or(base.quarantine_score);
    base.reject_score = layer.reject_score.or(base.reject_score);
    base.subject_prefix = layer.subject_prefix.or(base.subject_prefix.take());
    if !layer.forward_to.is_empty() {
        base.forward_to = layer.forward_to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(tags: Vec<Tag>, score: f64, recipients: Vec<&str>) -> Finding {
        Finding {
            processor: "test".into(),
            score,
            tags,
            reason: "because".into(),
            recipients: recipients.into_iter().map(String::from).collect(),
            action: None,
        }
    }

    #[test]
    fn defaults_reject_virus_tag_spam_reject_blocked() {
        let policy = PolicyConfig::default();
        assert_eq!(
            decide(&policy, &[], "a@x.example", None).action,
            Action::Pass
        );
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![Tag::Virus], 100.0, vec![])],
                "a@x.example",
                None
            )
            .action,
            Action::Reject
        );
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![Tag::Spam], 9.0, vec![])],
                "a@x.example",
                None
            )
            .action,
            Action::Tag
        );
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![Tag::Blocked], 0.0, vec![])],
                "a@x.example",
                None
            )
            .action,
            Action::Reject
        );
    }

    #[test]
    fn allow_list_beats_spam_and_block_but_not_virus() {
        let policy = PolicyConfig::default();
        let allowed = finding(vec![Tag::Allowed], 0.0, vec![]);
        let spam = finding(vec![Tag::Spam, Tag::Blocked], 50.0, vec![]);
        assert_eq!(
            decide(&policy, &[allowed.clone(), spam], "a@x.example", None).action,
            Action::Pass
        );
        let virus = finding(vec![Tag::Virus], 100.0, vec![]);
        assert_eq!(
            decide(&policy, &[allowed, virus], "a@x.example", None).action,
            Action::Reject
        );
    }

    #[test]
    fn per_domain_and_per_recipient_overrides() {
        let text = r#"
            spam = "tag"
            quarantine_score = 20.0
            [domains."x.example"]
            spam = "quarantine"
            [recipients."tagme@x.example"]
            spam = "tag"
            subject_prefix = "[SPAM] "
        "#;
        let policy: PolicyConfig = toml::from_str(text).unwrap();
        let spam = [finding(vec![Tag::Spam], 8.0, vec![])];
        assert_eq!(
            decide(&policy, &spam, "a@y.example", None).action,
            Action::Tag
        );
        assert_eq!(
            decide(&policy, &spam, "A@X.example", None).action,
            Action::Quarantine
        );
        let tagged = decide(&policy, &spam, "tagme@x.example", None);
        assert_eq!(tagged.action, Action::Tag);
        assert_eq!(tagged.rules.subject_prefix.as_deref(), Some("[SPAM] "));
        let very = [finding(vec![Tag::Spam], 25.0, vec![])];
        assert_eq!(
            decide(&policy, &very, "a@y.example", None).action,
            Action::Quarantine
        );
    }

    #[test]
    fn recipient_scoped_findings_apply_to_that_recipient_only() {
        let policy = PolicyConfig::default();
        let blocked = [finding(vec![Tag::Blocked], 0.0, vec!["old@x.example"])];
        assert_eq!(
            decide(&policy, &blocked, "old@x.example", None).action,
            Action::Reject
        );
        assert_eq!(
            decide(&policy, &blocked, "new@x.example", None).action,
            Action::Pass
        );
    }

    #[test]
    fn a_processor_can_strengthen_but_never_weaken() {
        let policy = PolicyConfig::default();
        let asking = |action| Finding {
            action: Some(action),
            ..finding(vec![], 0.0, vec![])
        };
        let quarantine = decide(&policy, &[asking(Action::Quarantine)], "a@x.example", None);
        assert_eq!(
            (quarantine.action, quarantine.reason.as_str()),
            (Action::Quarantine, "test asked for quarantine")
        );
        let virus = finding(vec![Tag::Virus], 100.0, vec![]);
        assert_eq!(
            decide(&policy, &[virus, asking(Action::Pass)], "a@x.example", None).action,
            Action::Reject
        );
    }

    #[test]
    fn score_threshold_makes_spam() {
        let policy: PolicyConfig = toml::from_str("spam_score = 5.0\nreject_score = 15.0").unwrap();
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![], 6.0, vec![])],
                "a@b.example",
                None
            )
            .action,
            Action::Tag
        );
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![], 16.0, vec![])],
                "a@b.example",
                None
            )
            .action,
            Action::Reject
        );
        assert_eq!(
            decide(
                &policy,
                &[finding(vec![], 4.0, vec![])],
                "a@b.example",
                None
            )
            .action,
            Action::Pass
        );
    }

    #[test]
    fn a_users_thresholds_and_prefix_come_after_the_files() {
        let policy: PolicyConfig = toml::from_str(
            "spam_score = 5.0\nquarantine_score = 8.0\n[recipients.\"a@x.example\"]\nquarantine_score = 20.0\n",
        )
        .unwrap();
        let scored = [finding(vec![], 9.0, vec![])];
        assert_eq!(
            decide(&policy, &scored, "a@x.example", None).action,
            Action::Tag
        );
        let strict = UserSettings {
            quarantine_score: Some(6.0),
            subject_prefix: Some("[maybe spam]".into()),
            ..Default::default()
        };
        let decision = decide(&policy, &scored, "a@x.example", Some(&strict));
        assert_eq!(
            decision.action,
            Action::Quarantine,
            "the user's own threshold wins"
        );
        assert_eq!(
            decision.rules.subject_prefix.as_deref(),
            Some("[maybe spam]")
        );
        let lenient = UserSettings {
            spam_score: Some(50.0),
            ..Default::default()
        };
        assert_eq!(
            decide(&policy, &scored, "a@x.example", Some(&lenient)).action,
            Action::Pass
        );
    }

    #[test]
    fn user_lists_match_addresses_and_domains_for_their_recipient_only() {
        let user = UserSettings {
            allow_senders: vec!["@partner.example".into()],
            block_senders: vec!["Pest@Other.example".into()],
            ..Default::default()
        };
        let allowed = user_findings("a@mail.partner.example", "me@x.example", &user);
        assert_eq!(allowed[0].tags, [Tag::Allowed]);
        assert_eq!(allowed[0].recipients, ["me@x.example"]);
        assert_eq!(
            user_findings("pest@other.example", "me@x.example", &user)[0].tags,
            [Tag::Blocked]
        );
        assert!(user_findings("a@notpartner.example", "me@x.example", &user).is_empty());
        assert!(
            user_findings("", "me@x.example", &user).is_empty(),
            "the null sender matches nothing"
        );
    }
}
