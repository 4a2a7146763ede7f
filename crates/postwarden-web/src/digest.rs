//! The quarantine digest: each user, at their frequency, gets a mail (through the
//! notification engine, so it has a ticket and an audit row) listing what was newly held
//! for them, with one signed release link per message.
//!
//! A link is `…/digest/release?u=USER&e=ENTRY&x=EXPIRY&s=SIGNATURE`, the signature an
//! HMAC-SHA256 under the server's link key over user, entry and expiry: it releases that
//! entry to that user only, until it expires. Following it (GET) only shows a confirmation
//! page — mail scanners fetch links — and the page's button (POST) releases.

use crate::auth::keys::Keys;
use crate::auth::token::hex;
use crate::ops::entry_view;
use crate::render::{page, render};
use crate::state::WebState;
use crate::{PageError, WebError};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Html;
use chrono::{DateTime, Datelike, Utc};
use hmac::{Hmac, KeyInit, Mac};
use postwarden_core::config::{Due, ScheduledReportConfig};
use postwarden_core::users::DigestFrequency;
use postwarden_filter::quarantine::{EntryError, ReleaseTo};
use postwarden_store::{NewNotification, QuarantineQuery, Visibility};
use sha2::Sha256;
use std::collections::HashMap;

/// The schedule's name in `schedule_runs`.
pub const SCHEDULE: &str = "web.digest";

/// What a release link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub user_id: i64,
    pub entry: String,
    pub expires: i64,
}

impl Link {
    fn message(&self) -> String {
        format!("{}|{}|{}", self.user_id, self.entry, self.expires)
    }

    /// The signature of this link under `keys`.
    pub fn sign(&self, keys: &Keys) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&keys.link).expect("any key length");
        mac.update(self.message().as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The query string of the signed link.
    pub fn query(&self, keys: &Keys) -> String {
        format!(
            "u={}&e={}&x={}&s={}",
            self.user_id,
            crate::pages::urlencode(&self.entry),
            self.expires,
            self.sign(keys)
        )
    }

    /// The link named by `u`, `e`, `x`, `s`, if its signature holds and it has not expired.
    pub fn verify(
        fields: &HashMap<String, String>,
        keys: &Keys,
        now: DateTime<Utc>,
    ) -> Result<Link, WebError> {
        let refused = || {
            WebError::forbidden(
                "this release link is invalid or has expired; sign in to release the message",
            )
        };
        let link = Link {
            user_id: fields
                .get("u")
                .and_then(|u| u.parse().ok())
                .ok_or_else(refused)?,
            entry: fields.get("e").cloned().ok_or_else(refused)?,
            expires: fields
                .get("x")
                .and_then(|x| x.parse().ok())
                .ok_or_else(refused)?,
        };
        let given = fields.get("s").map(String::as_str).unwrap_or_default();
        if !crate::auth::session::same_secret(&link.sign(keys), given) {
            return Err(refused());
        }
        if link.expires < now.timestamp() {
            return Err(refused());
        }
        Ok(link)
    }
}

async fn resolve(
    state: &WebState,
    link: &Link,
) -> Result<
    (
        postwarden_store::UserRecord,
        postwarden_store::QuarantineRecord,
    ),
    WebError,
> {
    let user = state
        .store
        .user_by_id(link.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(WebError::not_found)?;
    let entry = state
        .store
        .quarantine_entry_visible(&link.entry, &Visibility::Address(user.address.clone()))
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok((user, entry))
}

/// GET: a confirmation page; changes nothing.
pub async fn confirm(
    State(state): State<WebState>,
    Query(fields): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let link = Link::verify(&fields, &state.keys, Utc::now())?;
    let (user, entry) = resolve(&state, &link).await?;
    let unreleased = state.store.quarantine_unreleased(&entry.id).await?;
    let open = unreleased
        .iter()
        .any(|u| u.eq_ignore_ascii_case(&user.address));
    let visibility = Visibility::Address(user.address.clone());
    Ok(page(
        "digest_confirm.html",
        minijinja::context! {
            title => "Release a held message", e => entry_view(entry, &visibility), open,
            address => user.address, fields => fields, done => false,
        },
    )?)
}

/// POST: releases the entry to the link's user.
pub async fn release_post(
    state: &WebState,
    fields: HashMap<String, String>,
) -> Result<Html<String>, PageError> {
    let link = Link::verify(&fields, &state.keys, Utc::now())?;
    let (user, entry) = resolve(state, &link).await?;
    let released = postwarden_filter::quarantine::release(
        &state.store,
        &state.quarantine,
        &state.relay,
        &entry.id,
        &format!("{} (digest link)", user.address),
        &ReleaseTo::Only(vec![user.address.clone()]),
    )
    .await;
    match released {
        Ok(_) | Err(EntryError::Done { .. }) => {}
        Err(e) => {
            return Err(
                WebError::bad_gateway(format!("the message could not be delivered: {e}")).into(),
            );
        }
    }
    let visibility = Visibility::Address(user.address.clone());
    Ok(page(
        "digest_confirm.html",
        minijinja::context! {
            title => "Released", e => entry_view(entry, &visibility), open => false,
            address => user.address, fields => fields, done => true,
        },
    )?)
}

pub async fn release_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Html<String>, PageError> {
    let form = crate::pages::FormData::parse(&headers, &body)?;
    let fields: HashMap<String, String> = ["u", "e", "x", "s"]
        .iter()
        .filter_map(|k| form.get(k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    release_post(&state, fields).await
}

/// The digest schedule of `[web.digest]`.
pub fn schedule(state: &WebState) -> Result<postwarden_core::config::Schedule, WebError> {
    let d = &state.config.web.digest;
    ScheduledReportConfig {
        at: Some(d.at.clone()),
        cron: None,
        timezone: d.timezone.clone(),
        receivers: Vec::new(),
    }
    .schedule("web.digest")
    .map_err(|e| WebError::internal("reading [web.digest]", e))
}

/// Runs the digest if an occurrence is due at `now`: one notification per user with new
/// quarantined mail since the last run, stored with the run in one transaction (so a
/// restart neither repeats nor skips one). Returns the tickets.
pub async fn run_due(state: &WebState, now: DateTime<Utc>) -> Result<Vec<String>, WebError> {
    let d = &state.config.web.digest;
    let Some(channel) = d.channel.clone().filter(|_| d.enabled) else {
        return Ok(Vec::new());
    };
    let schedule = schedule(state)?;
    let last = state.store.schedule_last_run(SCHEDULE).await?;
    match schedule.due(last, now) {
        Due::Nothing => Ok(Vec::new()),
        Due::Baseline(at) => {
            state
                .store
                .record_schedule_run(SCHEDULE, None, at, &[], now)
                .await?;
            Ok(Vec::new())
        }
        Due::Run { since, at } => {
            let made = compose(state, &channel, since, at).await?;
            let tickets = state
                .store
                .record_schedule_run(SCHEDULE, Some(since), at, &made, now)
                .await?
                .unwrap_or_default();
            tracing::info!("web: quarantine digest for {at}: {} mail(s)", tickets.len());
            Ok(tickets)
        }
    }
}

/// One digest mail per user with mail held since `since` (weekly users: on Mondays, the
/// week's), not yet released.
pub async fn compose(
    state: &WebState,
    channel: &str,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<Vec<NewNotification>, WebError> {
    let zone: chrono_tz::Tz = state
        .config
        .web
        .digest
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let monday = at.with_timezone(&zone).weekday() == chrono::Weekday::Mon;
    let expires = (at
        + chrono::Duration::from_std(state.config.web.digest.link_valid).unwrap_or_default())
    .timestamp();
    let base = state.config.web.public_url.trim_end_matches('/');
    let mut out = Vec::new();
    for user in state.store.users().await? {
        let from = match user.settings.digest {
            _ if user.disabled => continue,
            DigestFrequency::Never => continue,
            DigestFrequency::Daily => since,
            DigestFrequency::Weekly if monday => since.min(at - chrono::Duration::days(7)),
            DigestFrequency::Weekly => continue,
        };
        let visibility = Visibility::Address(user.address.clone());
        let entries = state
            .store
            .quarantine_visible(&QuarantineQuery {
                visibility: visibility.clone(),
                include_released: false,
                since: Some(from),
                after: None,
                limit: 200,
            })
            .await?;
        if entries.is_empty() {
            continue;
        }
        let items: Vec<_> = entries
            .into_iter()
            .map(|e| {
                let link = Link {
                    user_id: user.id,
                    entry: e.id.clone(),
                    expires,
                };
                let url = format!("{base}/digest/release?{}", link.query(&state.keys));
                minijinja::context! { e => entry_view(e, &visibility), url }
            })
            .collect();
        let context = minijinja::context! {
            address => user.address, items, count => items.len(), console => base,
            valid_days => state.config.web.digest.link_valid.as_secs() / 86_400,
        };
        let text = render("digest_mail.txt", context.clone())?;
        let html = render("digest_mail.html", context)?;
        let subject = postwarden_notify::sanitize::header(
            text.lines().next().unwrap_or("Quarantine digest"),
            200,
        );
        out.push(NewNotification {
            group_key: format!("digest:{}", user.address),
            channel: channel.to_string(),
            recipient: user.address.clone(),
            template: "quarantine_digest".into(),
            format: "email".into(),
            content_hash: postwarden_notify::content_hash(&subject, &text, ""),
            subject,
            body: text,
            html: Some(html),
            csv: None,
            event_ids: Vec::new(),
            directive_ids: Vec::new(),
            status: postwarden_store::NewStatus::Ready,
            error: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> HashMap<String, String> {
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn a_link_verifies_until_it_expires_and_not_once_altered() {
        let keys = Keys::from_secret(b"0123456789abcdef0123456789abcdef");
        let now = Utc::now();
        let link = Link {
            user_id: 7,
            entry: "18f0c3a2b4d5-1".into(),
            expires: now.timestamp() + 60,
        };
        let good = fields(&link.query(&keys));
        assert_eq!(Link::verify(&good, &keys, now).unwrap(), link);
        assert!(
            Link::verify(&good, &keys, now + chrono::Duration::seconds(61)).is_err(),
            "expired"
        );
        for (key, value) in [
            ("u", "8"),
            ("e", "18f0c3a2b4d5-2"),
            ("x", &(now.timestamp() + 6000).to_string()),
        ] {
            let mut altered = good.clone();
            altered.insert(key.into(), value.to_string());
            assert!(Link::verify(&altered, &keys, now).is_err(), "altered {key}");
        }
        let other = Keys::from_secret(b"another server's secret key.....");
        assert!(
            Link::verify(&good, &other, now).is_err(),
            "another server's key"
        );
    }
}
