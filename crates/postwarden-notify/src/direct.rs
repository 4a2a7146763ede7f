//! Alerts sent straight to their channels while the store is down (OpenEFA can never send
//! its "database down" SMS).
//!
//! The rules route the event and the templates render it as a group of one, with a ticket
//! made here (`YYYYMMDD-D` and seven random digits: the store's ticket sequence is out of
//! reach); each receiver's channel gets it at once. Directives, group timers, limits and
//! the audit all live in the store, so none of them applies: the caller keeps the receivers
//! still to reach, tries them again later, and stores the event as already notified (with
//! the tickets sent) once the store is back, so the dispatcher does not send it twice.

use crate::channels::{Channel, Outgoing, SendError, build_all};
use crate::directive::DirectiveSpec;
use crate::rules::Rule;
use crate::template::{RenderInput, Templates};
use chrono::{DateTime, Utc};
use postwarden_core::{Config, Event};
use postwarden_store::StoredEvent;
use std::collections::BTreeMap;

/// Rules, templates and channels, without the store.
pub struct DirectSender {
    rules: Vec<Rule>,
    templates: Templates,
    channels: BTreeMap<String, Channel>,
    hostname: String,
}

impl std::fmt::Debug for DirectSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectSender")
            .field("rules", &self.rules.len())
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

/// What one attempt to send an event straight to its receivers did.
#[derive(Debug, Default)]
pub struct DirectOutcome {
    /// `channel:recipient ticket` of every receiver that has it now.
    pub sent: Vec<String>,
    /// The receivers a retryable error kept from it: try them again later.
    pub retry: Vec<DirectiveSpec>,
}

impl DirectSender {
    /// Compiles the rules, loads the templates and builds the channels, as the dispatcher
    /// does; errors name what is wrong.
    pub fn new(config: &Config, hostname: &str) -> Result<DirectSender, String> {
        let (rules, templates) = crate::check_config(config)?;
        Ok(DirectSender {
            rules,
            templates,
            channels: build_all(config, hostname)?,
            hostname: hostname.to_owned(),
        })
    }

    /// The receivers the rules route `event` to.
    pub fn receivers(&self, event: &Event) -> Vec<DirectiveSpec> {
        self.rules
            .iter()
            .filter(|rule| rule.matches(event))
            .flat_map(|rule| rule.directives(event))
            .collect()
    }

    /// Sends `event` to each of `receivers` now; every outcome is logged.
    pub async fn send(
        &self,
        event: &Event,
        receivers: Vec<DirectiveSpec>,
        now: DateTime<Utc>,
    ) -> DirectOutcome {
        let mut outcome = DirectOutcome::default();
        for receiver in receivers {
            let ticket = direct_ticket(now);
            match self.send_one(event, &receiver, &ticket, now).await {
                Ok(()) => {
                    tracing::warn!(
                        channel = %receiver.channel,
                        %ticket,
                        "{} sent straight to its channel: the store is down",
                        event.kind
                    );
                    outcome.sent.push(format!(
                        "{}:{} {ticket}",
                        receiver.channel, receiver.recipient
                    ));
                }
                Err(SendError::Retryable { code, message }) => {
                    tracing::warn!(channel = %receiver.channel, "{code}: {message}; trying again");
                    outcome.retry.push(receiver);
                }
                Err(
                    SendError::Permanent { code, message } | SendError::Unknown { code, message },
                ) => {
                    tracing::error!(channel = %receiver.channel, "{} not sent: {code}: {message}", event.kind);
                }
            }
        }
        outcome
    }

    async fn send_one(
        &self,
        event: &Event,
        receiver: &DirectiveSpec,
        ticket: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SendError> {
        let channel = self.channels.get(&receiver.channel).ok_or_else(|| {
            SendError::permanent(
                "CONFIG",
                format!("channel `{}` is not configured", receiver.channel),
            )
        })?;
        let events = [StoredEvent {
            id: 0,
            event: event.clone(),
        }];
        let input = RenderInput {
            events: &events,
            labels: &receiver.labels,
            ticket,
            channel: &receiver.channel,
            recipient: &receiver.recipient,
            hostname: &self.hostname,
        };
        let rendered = self
            .templates
            .render(&receiver.template, &receiver.format, input)
            .map_err(|e| SendError::permanent("TEMPLATE", e))?;
        let outgoing = Outgoing {
            ticket: ticket.to_owned(),
            recipient: receiver.recipient.clone(),
            subject: rendered.subject,
            body: rendered.body,
            html: rendered.html,
            csv: rendered.csv,
            format: receiver.format.clone(),
            created: now,
            recovering: false,
        };
        channel
            .send(std::slice::from_ref(&outgoing))
            .await
            .pop()
            .unwrap_or_else(|| Err(SendError::retryable("CHANNEL", "no answer for the message")))
            .map(|_| ())
    }
}

/// A ticket made without the store: the day, `D`, seven random digits.
fn direct_ticket(now: DateTime<Utc>) -> String {
    format!(
        "{}-D{:07}",
        now.format("%Y%m%d"),
        rand::random_range(0..10_000_000u32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_tickets_are_told_apart_from_stored_ones() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ticket = direct_ticket(now);
        assert_eq!(ticket.len(), "20261201-D1234567".len(), "{ticket}");
        assert!(ticket.starts_with("20261201-D"), "{ticket}");
        assert!(ticket[10..].bytes().all(|b| b.is_ascii_digit()), "{ticket}");
    }
}
