//! One request in, one reply out: the user's processors run in order, the filter's policy
//! turns the filter-type processors' findings into an action, and the worker's own
//! processors (`forward`, `delay`, `tag`, `command`) may ask for more. The strongest action
//! wins, as in the filter.

use crate::config::{OwnProcessorConfig, WorkerConfig, WorkerProcessorConfig};
use postwarden_core::config::{OnError, PolicyConfig};
use postwarden_core::{Action, Finding};
use postwarden_filter::Scanned;
use postwarden_filter::policy::decide;
use postwarden_filter::processors::Processor;
use postwarden_mq::{Reply, ReplyAction, ReplyFinding, Request};
use postwarden_smtp::server::Envelope;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

enum Step {
    Filter(Processor),
    Own(OwnProcessorConfig),
}

/// The user's processors, built once.
pub struct Pipeline {
    steps: Vec<Step>,
    policy: PolicyConfig,
}

impl Pipeline {
    pub async fn build(config: &WorkerConfig) -> Result<Self, String> {
        let mut steps = Vec::new();
        for processor in &config.processors {
            steps.push(match processor {
                WorkerProcessorConfig::Filter(p) => Step::Filter(Processor::build(p, None).await?),
                WorkerProcessorConfig::Own(p) => Step::Own(p.clone()),
            });
        }
        Ok(Self {
            steps,
            policy: config.policy.clone(),
        })
    }

    /// The reply to `request`. A processor that fails makes the reply `tempfail` (the
    /// route's worker could not judge: the filter defers the message rather than pass it).
    pub async fn answer(&self, request: &Request) -> Reply {
        let bytes = match request.message_bytes() {
            Ok(bytes) => bytes,
            Err(error) => return Reply::new(ReplyAction::Tempfail, error.to_string()),
        };
        let mut xforward = Vec::new();
        if let Some(addr) = &request.envelope.client_address {
            xforward.push(("ADDR".to_owned(), addr.clone()));
        }
        if let Some(name) = &request.envelope.client_name {
            xforward.push(("NAME".to_owned(), name.clone()));
        }
        let envelope = Envelope {
            mail_from: request.envelope.mail_from.clone(),
            recipients: request.envelope.recipients.clone(),
            xforward,
            ..Envelope::default()
        };
        let scanned = Scanned::new(envelope, bytes);
        let mut findings: Vec<Finding> = Vec::new();
        let mut own: Vec<Reply> = Vec::new();
        for step in &self.steps {
            match step {
                Step::Filter(processor) => match processor.run(&scanned).await {
                    Ok(found) => findings.extend(found),
                    Err(error) if processor.on_error() == OnError::Skip => {
                        tracing::warn!(processor = processor.name(), %error, "processor failed; skipped (on_error = \"skip\")");
                        findings.push(Finding {
                            processor: processor.name().into(),
                            score: 0.0,
                            tags: vec![postwarden_core::Tag::Skipped],
                            reason: format!("failed: {}", error.detail),
                            recipients: Vec::new(),
                            action: None,
                        });
                    }
                    Err(error) => {
                        return Reply::new(
                            ReplyAction::Tempfail,
                            format!("{} failed: {}", processor.name(), error.detail),
                        );
                    }
                },
                Step::Own(processor) => {
                    match run_own(processor, &scanned, &request.envelope.mail_from).await {
                        Ok(Some(reply)) => own.push(reply),
                        Ok(None) => {}
                        Err(error) => return Reply::new(ReplyAction::Tempfail, error),
                    }
                }
            }
        }
        combine(&self.policy, &scanned, &findings, own)
    }
}

/// The policy's strongest action over the user's recipients, then each own processor's.
fn combine(
    policy: &PolicyConfig,
    scanned: &Scanned,
    findings: &[Finding],
    own: Vec<Reply>,
) -> Reply {
    let mut reply = Reply::new(ReplyAction::Pass, "");
    for recipient in &scanned.envelope.recipients {
        let decision = decide(policy, findings, recipient, None);
        let action = from_action(decision.action);
        if strength(action) > strength(reply.action) {
            reply.action = action;
            reply.reason = decision.reason;
            // `forward` in the worker's policy forwards where that policy says.
            reply.forward_to = decision.rules.forward_to;
        }
    }
    reply.findings = findings
        .iter()
        .map(|f| ReplyFinding {
            processor: f.processor.clone(),
            score: f.score,
            tags: f.tags.clone(),
            reason: f.reason.chars().take(900).collect(),
        })
        .collect();
    for asked in own {
        reply.tags.extend(asked.tags);
        reply.findings.extend(asked.findings);
        if asked.subject_prefix.is_some() {
            reply.subject_prefix = asked.subject_prefix;
        }
        if !asked.forward_to.is_empty() {
            reply.forward_to = asked.forward_to;
        }
        if asked.hold_seconds.is_some() {
            reply.hold_seconds = asked.hold_seconds;
        }
        if strength(asked.action) > strength(reply.action) {
            reply.action = asked.action;
            reply.reason = asked.reason;
        }
    }
    if reply.action != ReplyAction::Forward {
        reply.forward_to.clear();
    }
    if reply.reason.is_empty() {
        reply.reason = reply.action.as_str().to_owned();
    }
    reply.tags.dedup();
    reply
}

fn from_action(action: Action) -> ReplyAction {
    match action {
        Action::Pass => ReplyAction::Pass,
        Action::Tag => ReplyAction::Tag,
        Action::Forward => ReplyAction::Forward,
        Action::Quarantine => ReplyAction::Quarantine,
        Action::Discard => ReplyAction::Discard,
        Action::Reject => ReplyAction::Reject,
        Action::Tempfail => ReplyAction::Tempfail,
    }
}

/// As the filter orders actions (a delay weighs as a quarantine, just above it).
fn strength(action: ReplyAction) -> u8 {
    match action {
        ReplyAction::Pass => 0,
        ReplyAction::Tag => 1,
        ReplyAction::Forward => 2,
        ReplyAction::Quarantine => 3,
        ReplyAction::Delay => 4,
        ReplyAction::Discard => 5,
        ReplyAction::Reject => 6,
        ReplyAction::Tempfail => 7,
    }
}

fn sender_matches(patterns: &[String], sender: &str) -> bool {
    let sender = sender.to_lowercase();
    patterns.is_empty()
        || patterns.iter().any(|p| {
            let p = p.to_lowercase();
            if let Some(domain) = p.strip_prefix('@') {
                sender
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| d == domain || d.ends_with(&format!(".{domain}")))
            } else {
                sender == p
            }
        })
}

async fn run_own(
    processor: &OwnProcessorConfig,
    scanned: &Scanned,
    sender: &str,
) -> Result<Option<Reply>, String> {
    Ok(match processor {
        OwnProcessorConfig::Forward { to, senders } => sender_matches(senders, sender).then(|| {
            let mut reply = Reply::new(ReplyAction::Forward, "forwarded by the user's rule");
            reply.forward_to = to.clone();
            reply
        }),
        OwnProcessorConfig::Delay { senders, hold } => sender_matches(senders, sender).then(|| {
            let mut reply = Reply::new(ReplyAction::Delay, "held by the user's rule");
            reply.hold_seconds = hold.map(|h| h.as_secs());
            reply
        }),
        OwnProcessorConfig::Tag {
            tags,
            subject_prefix,
            senders,
        } => sender_matches(senders, sender).then(|| {
            let mut reply = Reply::new(ReplyAction::Tag, "tagged by the user's rule");
            reply.tags = tags.clone();
            reply.subject_prefix = subject_prefix.clone();
            reply
        }),
        OwnProcessorConfig::Command {
            program,
            args,
            timeout,
        } => Some(command(program, args, *timeout, &scanned.bytes).await?),
    })
}

/// Runs a user's program: no shell, the message on stdin, a reply on stdout (the `version`
/// may be left out), stderr logged. A program that fails, times out or prints no reply is
/// an error (the reply becomes `tempfail`).
async fn command(
    program: &std::path::Path,
    args: &[String],
    timeout: Duration,
    message: &[u8],
) -> Result<Reply, String> {
    let shown = program.display().to_string();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("command {shown} could not start: {e}"))?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let run = async {
        let feed = async {
            if let Some(mut pipe) = stdin.take() {
                // A program that does not read its input is not an error.
                let _ = pipe.write_all(message).await;
            }
        };
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(pipe) = stdout.as_mut() {
                let _ = pipe.take(1 << 20).read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(pipe) = stderr.as_mut() {
                let _ = pipe.take(64 << 10).read_to_end(&mut err).await;
            }
        };
        tokio::join!(feed, read_out, read_err);
        let status = child.wait().await;
        (status, out, err)
    };
    let (status, out, err) = tokio::time::timeout(timeout, run).await.map_err(|_| {
        format!(
            "command {shown} took longer than {}",
            humantime::format_duration(timeout)
        )
    })?;
    let status = status.map_err(|e| format!("command {shown}: {e}"))?;
    for line in String::from_utf8_lossy(&err)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        tracing::info!(command = %shown, "stderr: {line}");
    }
    if !status.success() {
        return Err(format!("command {shown} exited with {status}"));
    }
    let mut value: serde_json::Value = serde_json::from_slice(&out)
        .map_err(|e| format!("command {shown} printed no JSON reply: {e}"))?;
    if let Some(object) = value.as_object_mut() {
        object
            .entry("version")
            .or_insert(serde_json::json!(postwarden_mq::wire::VERSION));
    }
    Reply::from_json(value.to_string().as_bytes())
        .map_err(|e| format!("command {shown} printed a bad reply: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_action_wins_and_forward_keeps_its_addresses() {
        let scanned = Scanned::new(
            Envelope {
                mail_from: "a@b.example".into(),
                recipients: vec!["u@example.org".into()],
                ..Envelope::default()
            },
            b"Subject: x\r\n\r\nbody\r\n".to_vec(),
        );
        let mut forward = Reply::new(ReplyAction::Forward, "fw");
        forward.forward_to = vec!["other@example.org".into()];
        let mut tag = Reply::new(ReplyAction::Tag, "t");
        tag.tags = vec!["news".into()];
        let reply = combine(&PolicyConfig::default(), &scanned, &[], vec![tag, forward]);
        assert_eq!(reply.action, ReplyAction::Forward);
        assert_eq!(reply.forward_to, ["other@example.org"]);
        assert_eq!(reply.tags, ["news"]);
    }

    #[test]
    fn senders_match_by_address_or_domain() {
        assert!(sender_matches(&[], "any@x.example"));
        assert!(sender_matches(
            &["@pushy.example".into()],
            "Sales@Pushy.example"
        ));
        assert!(sender_matches(
            &["@pushy.example".into()],
            "a@mail.pushy.example"
        ));
        assert!(!sender_matches(
            &["@pushy.example".into()],
            "a@notpushy.example"
        ));
        assert!(sender_matches(
            &["boss@corp.example".into()],
            "boss@corp.example"
        ));
    }
}
