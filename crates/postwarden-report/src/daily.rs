//! The daily report (`postwarden report daily`, and every `[reports.NAME]` the scheduler
//! runs): gathered from the store, then made into one notification per receiver — the
//! SMS-sized summary for SMS, the digest (text, HTML with charts, CSV attached) for
//! e-mail, the numbers as JSON for webhooks.

use crate::{Digest, Heading, csv, daily_sms, daily_view, html, text};
use chrono::{DateTime, Utc};
use postwarden_core::Config;
use postwarden_core::config::ReceiverConfig;
use postwarden_notify::content_hash;
use postwarden_store::{NewNotification, Store, StoreError};

/// Most health events a report lists.
const INCIDENTS_MAX: u32 = 1_000;

/// Everything the report shows for the time since `since`.
pub async fn gather(store: &Store, since: DateTime<Utc>, top: u32) -> Result<Digest, StoreError> {
    Ok(Digest {
        filter: store.filter_summary(since, top).await?,
        auth: store.auth_summary(since, top).await?,
        traffic: store.traffic_summary(since, top).await?,
        incidents: store
            .events(since, Some("health."), INCIDENTS_MAX)
            .await?
            .into_iter()
            .map(|stored| stored.event)
            .collect(),
    })
}

/// The report in each of its forms.
pub struct Rendered {
    pub subject: String,
    pub sms: String,
    pub text: String,
    pub html: String,
    pub csv: String,
    pub json: String,
}

/// Renders the digest for the period of `heading`.
pub fn render(heading: &Heading, digest: &Digest) -> Rendered {
    let view = daily_view(digest);
    Rendered {
        subject: format!(
            "postwarden daily report for {}, {}",
            heading.server,
            heading.until.format("%Y-%m-%d")
        ),
        sms: daily_sms(heading.server, digest, heading.until),
        text: text(heading, &view),
        html: html(heading, &view),
        csv: csv(&view),
        json: serde_json::to_string_pretty(digest).unwrap_or_default(),
    }
}

/// One notification per recipient of `receivers`, in the form its channel takes.
pub fn notifications(
    config: &Config,
    report: &str,
    rendered: &Rendered,
    receivers: &[ReceiverConfig],
) -> Vec<NewNotification> {
    let mut out = Vec::new();
    for receiver in receivers {
        let format = config
            .channels
            .get(&receiver.channel)
            .map_or("text", |c| c.default_format());
        let (subject, body, html, csv) = match format {
            "sms" => (String::new(), rendered.sms.clone(), None, None),
            "json" => (String::new(), rendered.json.clone(), None, None),
            _ => (
                rendered.subject.clone(),
                rendered.text.clone(),
                Some(rendered.html.clone()),
                Some(rendered.csv.clone()),
            ),
        };
        for to in &receiver.to {
            out.push(NewNotification {
                group_key: format!("report:{report}"),
                channel: receiver.channel.clone(),
                recipient: to.clone(),
                template: format!("report:{report}"),
                format: format.into(),
                content_hash: content_hash(&subject, &body, ""),
                subject: subject.clone(),
                body: body.clone(),
                html: html.clone(),
                csv: csv.clone(),
                event_ids: Vec::new(),
                directive_ids: Vec::new(),
                status: postwarden_store::NewStatus::Ready,
                error: None,
            });
        }
    }
    out
}
