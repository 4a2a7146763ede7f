//! What the console and the API both do with mail, written once: show a message or an
//! entry as the caller may see it, release, delete, and search with parameters from a
//! query string. Handlers only translate between HTTP and these.

use crate::WebError;
use crate::auth::Caller;
use chrono::{DateTime, Utc};
use postwarden_core::{RequestState, Role};
use postwarden_filter::quarantine::{EntryError, ReleaseTo, delete, release};
use postwarden_store::{
    Cursor, MessageQuery, MessageRecord, QuarantineQuery, QuarantineRecord, RequestRecord,
    Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The search parameters of `/messages` (page and API alike).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageParams {
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub action: Option<String>,
    /// RFC 3339, or a duration back from now (`24h`).
    pub since: Option<String>,
    pub until: Option<String>,
    /// Reference id or Postfix queue id.
    pub id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

const ACTIONS: [&str; 7] = [
    "pass",
    "tag",
    "forward",
    "quarantine",
    "discard",
    "reject",
    "tempfail",
];

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `2026-12-03T08:00:00Z` or `24h` (that long ago).
pub fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, WebError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    humantime::parse_duration(text)
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| Utc::now() - d)
        .ok_or_else(|| {
            WebError::invalid(
                field,
                format!("`{text}` is neither RFC 3339 nor a duration like 24h"),
            )
        })
}

impl MessageParams {
    pub fn query(&self, visibility: Visibility) -> Result<MessageQuery, WebError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(WebError::invalid("limit", "between 1 and 500"));
        }
        let mut q = MessageQuery::new(visibility, limit);
        q.sender = blank(&self.sender);
        q.recipient = blank(&self.recipient);
        q.action = blank(&self.action);
        if let Some(action) = &q.action
            && !ACTIONS.contains(&action.as_str())
        {
            return Err(WebError::invalid(
                "action",
                format!("one of {}", ACTIONS.join(", ")),
            ));
        }
        q.since = blank(&self.since)
            .map(|t| parse_time("since", &t))
            .transpose()?;
        q.until = blank(&self.until)
            .map(|t| parse_time("until", &t))
            .transpose()?;
        q.id = blank(&self.id);
        q.after = blank(&self.cursor)
            .map(|c| {
                Cursor::decode(&c)
                    .ok_or_else(|| WebError::invalid("cursor", "not a cursor this API gave"))
            })
            .transpose()?;
        Ok(q)
    }
}

/// A message as the caller may see it: a recipient sees neither the other recipients
/// (Bcc stays private) nor their verdicts, unless they sent it.
#[derive(Debug, Serialize)]
pub struct MessageView {
    pub id: String,
    pub time: DateTime<Utc>,
    pub queue_id: Option<String>,
    pub client_ip: Option<String>,
    pub client_name: Option<String>,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub size: u64,
    pub score: f64,
    pub findings: Value,
    pub verdicts: Value,
    pub reply: String,
    /// What the recipients' own workers said (per-user processing, `mail_status`): only on
    /// a single message, and only the requests of users the caller covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing: Option<Vec<ProcessingView>>,
}

/// One request to a user's worker about a message, as the caller may see it.
#[derive(Debug, Serialize)]
pub struct ProcessingView {
    /// The route's owner.
    pub user: String,
    /// The copies it was asked about (the owner's own address and aliases).
    pub recipients: Vec<String>,
    pub state: RequestState,
    /// The worker's action, or the one the route's `on_timeout` applied.
    pub action: Option<String>,
    pub tags: Vec<String>,
    /// The worker's reason, or why no usable answer came.
    pub detail: Option<String>,
    /// The node that asked.
    pub node: String,
    pub sent: DateTime<Utc>,
    pub answered: Option<DateTime<Utc>>,
    /// From publishing the request to its answer.
    pub latency_ms: Option<f64>,
    /// A held copy's deadline: then the route's `on_timeout` applies.
    pub deadline: DateTime<Utc>,
}

/// The requests of `requests` that concern someone `visibility` covers: a user sees their
/// own worker's, never another user's (their reasons and tags are that user's business).
pub fn processing_view(
    requests: Vec<RequestRecord>,
    visibility: &Visibility,
) -> Vec<ProcessingView> {
    requests
        .into_iter()
        .filter(|r| {
            visibility.covers(&r.user_address) || r.recipients.iter().any(|a| visibility.covers(a))
        })
        .map(|r| ProcessingView {
            latency_ms: r.latency().map(|d| d.as_secs_f64() * 1000.0),
            user: r.user_address,
            recipients: r.recipients,
            state: r.state,
            action: r.action,
            tags: r.tags,
            detail: r.detail,
            node: r.node,
            sent: r.sent,
            answered: r.answered,
            deadline: r.deadline,
        })
        .collect()
}

pub fn message_view(message: MessageRecord, visibility: &Visibility) -> MessageView {
    let sent_it = visibility.covers(&message.mail_from) && !message.mail_from.is_empty();
    let shown = |r: &String| sent_it || visibility.covers(r);
    let recipients: Vec<String> = message
        .recipients
        .iter()
        .filter(|r| shown(r))
        .cloned()
        .collect();
    let verdicts = match message.verdicts {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(r, _)| recipients.iter().any(|x| x == r))
                .collect(),
        ),
        other => other,
    };
    MessageView {
        id: message.id,
        time: message.time,
        queue_id: message.queue_id,
        client_ip: message.client_ip,
        client_name: message.client_name,
        sender: message.mail_from,
        recipients,
        subject: message.subject,
        size: message.size,
        score: message.score,
        findings: message.findings,
        verdicts,
        reply: message.reply,
        processing: None,
    }
}

/// A quarantine entry as the caller may see it (only the recipients they cover).
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub id: String,
    pub time: DateTime<Utc>,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub size: u64,
    pub reason: String,
    pub released: Option<DateTime<Utc>>,
    pub released_by: Option<String>,
}

pub fn entry_view(entry: QuarantineRecord, visibility: &Visibility) -> EntryView {
    EntryView {
        recipients: entry
            .recipients
            .iter()
            .filter(|r| visibility.covers(r))
            .cloned()
            .collect(),
        id: entry.id,
        time: entry.time,
        sender: entry.mail_from,
        subject: entry.subject,
        size: entry.size,
        reason: entry.reason,
        released: entry.released,
        released_by: entry.released_by,
    }
}

pub fn quarantine_query(
    visibility: Visibility,
    cursor: Option<&str>,
    limit: Option<u32>,
    include_released: bool,
) -> Result<QuarantineQuery, WebError> {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(WebError::invalid("limit", "between 1 and 500"));
    }
    Ok(QuarantineQuery {
        visibility,
        include_released,
        since: None,
        after: cursor
            .filter(|c| !c.is_empty())
            .map(|c| {
                Cursor::decode(c)
                    .ok_or_else(|| WebError::invalid("cursor", "not a cursor this API gave"))
            })
            .transpose()?,
        limit,
    })
}

/// One page of a listing and where the next one starts (`None`: this was the last).
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The cursor after `last` when the page came back full.
fn next_cursor(len: usize, limit: u32, last: Option<(DateTime<Utc>, &str)>) -> Option<String> {
    (len == limit as usize)
        .then_some(last)
        .flatten()
        .map(|(time, id)| {
            Cursor {
                time_us: time.timestamp_micros(),
                id: id.to_string(),
            }
            .encode()
        })
}

/// The messages `q` finds, as its visibility shows them.
pub async fn search_messages(
    state: &crate::WebState,
    q: &MessageQuery,
) -> Result<Page<MessageView>, WebError> {
    let found = state.store.search_messages(q).await?;
    let next_cursor = next_cursor(
        found.len(),
        q.limit,
        found.last().map(|m| (m.time, m.id.as_str())),
    );
    let items = found
        .into_iter()
        .map(|m| message_view(m, &q.visibility))
        .collect();
    Ok(Page { items, next_cursor })
}

/// The quarantine entries `q` lists, as its visibility shows them.
pub async fn list_quarantine(
    state: &crate::WebState,
    q: &QuarantineQuery,
) -> Result<Page<EntryView>, WebError> {
    let found = state.store.quarantine_visible(q).await?;
    let next_cursor = next_cursor(
        found.len(),
        q.limit,
        found.last().map(|e| (e.time, e.id.as_str())),
    );
    let items = found
        .into_iter()
        .map(|e| entry_view(e, &q.visibility))
        .collect();
    Ok(Page { items, next_cursor })
}

/// Message `id` as `visibility` shows it; 404 when it is not the caller's.
pub async fn visible_message(
    state: &crate::WebState,
    id: &str,
    visibility: &Visibility,
) -> Result<MessageView, WebError> {
    let message = state
        .store
        .message_visible(id, visibility)
        .await?
        .ok_or_else(WebError::not_found)?;
    let requests = state.store.requests_of(id).await?;
    let mut view = message_view(message, visibility);
    view.processing = Some(processing_view(requests, visibility));
    Ok(view)
}

/// Quarantine entry `id`; 404 when it is not held for someone `visibility` covers.
pub async fn visible_entry(
    state: &crate::WebState,
    id: &str,
    visibility: &Visibility,
) -> Result<QuarantineRecord, WebError> {
    state
        .store
        .quarantine_entry_visible(id, visibility)
        .await?
        .ok_or_else(WebError::not_found)
}

/// Whom a release goes to, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseScope {
    /// Every recipient the caller covers (a user: themselves).
    #[default]
    All,
    /// The caller's own address only.
    Me,
}

/// Releases entry `id` for the caller; 404 when it is not theirs to see.
pub async fn release_entry(
    state: &crate::WebState,
    caller: &Caller,
    id: &str,
    scope: ReleaseScope,
    allow_sender: bool,
) -> Result<EntryView, WebError> {
    let visibility = caller.visibility();
    let entry = visible_entry(state, id, &visibility).await?;
    let to = match (scope, &visibility) {
        (ReleaseScope::Me, _) => {
            if !entry
                .recipients
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&caller.user.address))
            {
                return Err(WebError::invalid(
                    "to",
                    "`me`: you are not a recipient of this message",
                ));
            }
            ReleaseTo::Only(vec![caller.user.address.clone()])
        }
        (ReleaseScope::All, Visibility::All) => ReleaseTo::All,
        (ReleaseScope::All, v) => ReleaseTo::Only(
            entry
                .recipients
                .iter()
                .filter(|r| v.covers(r))
                .cloned()
                .collect(),
        ),
    };
    let released = release(
        &state.store,
        &state.quarantine,
        &state.relay,
        id,
        &caller.user.address,
        &to,
    )
    .await
    .map_err(entry_error)?;
    if allow_sender && !entry.mail_from.is_empty() {
        let mut settings = caller.user.settings.clone();
        let sender = entry.mail_from.to_lowercase();
        if !settings.allow_senders.contains(&sender) && postwarden_core::users::is_address(&sender)
        {
            settings.allow_senders.push(sender);
            settings
                .block_senders
                .retain(|s| !s.eq_ignore_ascii_case(&entry.mail_from));
            state
                .store
                .set_user_settings(caller.user.id, &settings)
                .await?;
        }
    }
    tracing::info!(
        "web: {} released quarantine entry {id} to {}",
        caller.user.address,
        released.recipients.join(", ")
    );
    Ok(entry_view(released, &visibility))
}

/// Deletes entry `id`: admins any, domain admins and users only entries held for nobody
/// outside what they cover.
pub async fn delete_entry(
    state: &crate::WebState,
    caller: &Caller,
    id: &str,
) -> Result<(), WebError> {
    let visibility = caller.visibility();
    let entry = visible_entry(state, id, &visibility).await?;
    if caller.user.role != Role::Admin && !entry.recipients.iter().all(|r| visibility.covers(r)) {
        return Err(WebError::forbidden(
            "this message is held for others too; ask an admin to delete it",
        ));
    }
    delete(&state.store, &state.quarantine, id)
        .await
        .map_err(entry_error)?;
    tracing::info!("web: {} deleted quarantine entry {id}", caller.user.address);
    Ok(())
}

fn entry_error(e: EntryError) -> WebError {
    match e {
        EntryError::Unknown(_) => WebError::not_found(),
        EntryError::Done { what, .. } => {
            WebError::conflict(format!("the message was already {what}"))
        }
        EntryError::Relay { source, .. } => {
            WebError::bad_gateway(format!("the next hop did not take the message: {source}"))
        }
        other => WebError::internal("releasing a quarantined message", other),
    }
}

/// The held message as plain text for a preview: headers and the text body, HTML never
/// rendered, attachments listed by name, type and size but never opened.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub attachments: Vec<(String, String, usize)>,
}

pub fn preview(raw: &[u8]) -> Preview {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Preview {
            headers: Vec::new(),
            text: String::from_utf8_lossy(raw).chars().take(20_000).collect(),
            attachments: Vec::new(),
        };
    };
    let headers = message
        .headers()
        .iter()
        .take(100)
        .map(|h| {
            let raw_value = raw
                .get(h.offset_start() as usize..h.offset_end() as usize)
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
                .unwrap_or_default();
            (h.name().to_string(), raw_value.chars().take(2000).collect())
        })
        .collect();
    let text = message
        .body_text(0)
        .map(|t| t.chars().take(20_000).collect())
        .unwrap_or_default();
    let attachments = message
        .attachments()
        .take(100)
        .map(|a| {
            use mail_parser::MimeHeaders;
            let name = a.attachment_name().unwrap_or("(unnamed)").to_string();
            let kind = a
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{sub}", c.ctype()),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            (name, kind, a.len())
        })
        .collect();
    Preview {
        headers,
        text,
        attachments,
    }
}

/// Sends one text to `to` through `channel` now, through its limits and the audit (as
/// `postwarden notify send`); returns the ticket and what became of it.
pub async fn send_notification(
    state: &crate::WebState,
    channel: &str,
    to: &str,
    text: &str,
) -> Result<(String, postwarden_store::NotificationState), WebError> {
    // The dispatcher's future is not `Send` for every lifetime (a compiler limitation with
    // its borrowed batches), so it runs on a blocking thread's own executor.
    let (config, store, hostname) = (
        state.config.clone(),
        state.store.clone(),
        state.hostname.clone(),
    );
    let (channel, to, text) = (channel.to_string(), to.to_string(), text.to_string());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        handle.block_on(async move {
            let dispatcher = postwarden_notify::Dispatcher::new(&config, store, &hostname)
                .map_err(|e| WebError::internal("starting the notification engine", e))?;
            dispatcher
                .send_now(&channel, &to, &text, chrono::Utc::now())
                .await
                .map_err(|e| WebError::invalid("to", e))
        })
    })
    .await
    .map_err(|e| WebError::internal("sending a notification", e))?
}
