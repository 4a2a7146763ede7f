//! `POST /api/v1/send`, the SMTP API: a JSON message becomes a MIME message (lettre's
//! builder: Message-ID, Date, RFC 2047 and quoted-printable or base64 where the text needs
//! them) submitted over SMTP to `[web.send] smtp` — the local Postfix, so its policies,
//! signing and the content filter apply as to any other mail. The answer carries Postfix's
//! queue id; a refusal is 502 with Postfix's reply.
//!
//! `from` must be the token owner's address, an address in a domain they administer, or
//! (admins) any address.

use super::ApiJson;
use crate::WebError;
use crate::auth::token::Scope;
use crate::auth::{ApiCaller, Caller};
use crate::state::WebState;
use axum::Json;
use axum::extract::{FromRequest, State};
use base64::Engine;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use postwarden_core::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Instant;

/// One address or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Addresses {
    One(String),
    Many(Vec<String>),
}

impl Addresses {
    fn into_vec(self) -> Vec<String> {
        match self {
            Addresses::One(a) => vec![a],
            Addresses::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub from: String,
    pub to: Addresses,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentRequest>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRequest {
    pub filename: String,
    pub content_type: String,
    /// Base64.
    pub content: String,
}

/// A mailbox from `address` (or `Name <address>`), naming `field` when it is not one.
fn mailbox(field: &str, text: &str) -> Result<Mailbox, WebError> {
    let mailbox: Mailbox = text.trim().parse().map_err(|_| {
        WebError::invalid(
            field,
            format!("`{}` is not an e-mail address", text.escape_debug()),
        )
    })?;
    if !postwarden_core::users::is_address(mailbox.email.as_ref()) {
        return Err(WebError::invalid(
            field,
            format!("`{}` is not an e-mail address", text.escape_debug()),
        ));
    }
    Ok(mailbox)
}

fn may_send_as(caller: &Caller, address: &str) -> bool {
    let user = &caller.user;
    let address = address.to_lowercase();
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    match user.role {
        Role::Admin => true,
        Role::DomainAdmin => address == user.address || user.domains.iter().any(|d| d == domain),
        Role::User => address == user.address,
    }
}

/// Checks the request and builds the message.
pub fn build(caller: &Caller, request: SendRequest) -> Result<Message, WebError> {
    let from = mailbox("from", &request.from)?;
    if !may_send_as(caller, from.email.as_ref()) {
        return Err(WebError::forbidden(format!(
            "you may not send as `{}`; `from` must be your own address",
            from.email
        )));
    }
    let to = request.to.into_vec();
    if to.is_empty() || to.len() > 10 {
        return Err(WebError::invalid("to", "between 1 and 10 recipients"));
    }
    if request.cc.len() > 20 {
        return Err(WebError::invalid("cc", "at most 20 recipients"));
    }
    if request.bcc.len() > 20 {
        return Err(WebError::invalid("bcc", "at most 20 recipients"));
    }
    if request.subject.chars().any(|c| c.is_control()) || request.subject.chars().count() > 998 {
        return Err(WebError::invalid(
            "subject",
            "one line of at most 998 characters",
        ));
    }
    let mut builder = Message::builder()
        .from(from)
        .subject(request.subject.clone())
        .date_now()
        .user_agent("postwarden".into());
    for (i, address) in to.iter().enumerate() {
        builder = builder.to(mailbox(&format!("to[{i}]"), address)?);
    }
    for (i, address) in request.cc.iter().enumerate() {
        builder = builder.cc(mailbox(&format!("cc[{i}]"), address)?);
    }
    for (i, address) in request.bcc.iter().enumerate() {
        builder = builder.bcc(mailbox(&format!("bcc[{i}]"), address)?);
    }
    if let Some(reply_to) = &request.reply_to {
        builder = builder.reply_to(mailbox("reply_to", reply_to)?);
    }
    let text = SinglePart::plain(request.text);
    let body = request.html.map(|html| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(SinglePart::html(html))
    });
    let message = if request.attachments.is_empty() {
        match body {
            Some(alternative) => builder.multipart(alternative),
            None => builder.singlepart(text),
        }
    } else {
        let mut mixed = match body {
            Some(alternative) => MultiPart::mixed().multipart(alternative),
            None => MultiPart::mixed().singlepart(text),
        };
        for (i, a) in request.attachments.into_iter().enumerate() {
            let field = |name: &str| format!("attachments[{i}].{name}");
            let filename: String = a.filename.chars().filter(|c| !c.is_control()).collect();
            if filename.trim().is_empty()
                || filename.chars().count() > 255
                || filename.contains(['/', '\\'])
            {
                return Err(WebError::invalid(
                    field("filename"),
                    "a file name without slashes, at most 255 characters",
                ));
            }
            let content_type = ContentType::parse(&a.content_type).map_err(|_| {
                WebError::invalid(
                    field("content_type"),
                    format!("`{}` is not a MIME type", a.content_type.escape_debug()),
                )
            })?;
            let content = base64::engine::general_purpose::STANDARD
                .decode(a.content.trim())
                .map_err(|e| WebError::invalid(field("content"), format!("not base64: {e}")))?;
            mixed = mixed.singlepart(Attachment::new(filename).body(content, content_type));
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| WebError::bad_request(format!("the message cannot be built: {e}")))
}

pub async fn send(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    request: axum::extract::Request,
) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Send)?;
    let ApiJson(request): ApiJson<SendRequest> = ApiJson::from_request(request, &()).await?;
    let message = build(&caller, request)?;
    if let Err(wait) = state
        .send_limit
        .take(&caller.user.address, 1, Instant::now())
    {
        return Err(WebError::too_many(
            format!(
                "at most {} messages an hour ([web.send] max_per_hour)",
                state.config.web.send.max_per_hour
            ),
            wait.as_secs(),
        ));
    }
    let message_id = message.headers().get_raw("Message-ID").map(str::to_string);
    let (host, port) = state
        .config
        .web
        .send
        .smtp
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_matches(['[', ']']).to_string(),
                p.parse::<u16>().ok()?,
            ))
        })
        .ok_or_else(|| WebError::internal("reading [web.send] smtp", "not host:port"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(state.config.web.send.timeout))
        .build();
    match transport.send(message).await {
        Ok(response) => {
            let reply: Vec<String> = response.message().map(str::to_string).collect();
            let reply = reply.join(" ");
            let queue_id = reply.split_once("queued as ").map(|(_, rest)| {
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
            tracing::info!(
                "web: {} sent a message through the SMTP API ({})",
                caller.user.address,
                queue_id.as_deref().unwrap_or("no queue id")
            );
            Ok(Json(json!({
                "queue_id": queue_id,
                "message_id": message_id,
                "reply": format!("{} {reply}", response.code()),
            })))
        }
        Err(e) if e.is_permanent() || e.is_transient() => Err(WebError::bad_gateway(format!(
            "the mail server refused the message: {e}"
        ))),
        Err(e) => Err(WebError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "upstream_unavailable",
            format!("the mail server could not be reached: {e}"),
        )),
    }
}
