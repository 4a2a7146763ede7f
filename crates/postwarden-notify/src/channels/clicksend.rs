//! `type = "clicksend"`: SMS through ClickSend's REST v3 API.
//!
//! `POST {api_base}/v3/sms/send` with HTTP basic auth (API username and key) and up to
//! 1,000 messages per request, each with the ticket number as `custom_string`. A message
//! counts as sent only when the HTTP status is 200, `response_code` is `SUCCESS` **and its
//! own** `data.messages[i].status` is `SUCCESS`; any other per-message status
//! (`INVALID_RECIPIENT`, `INSUFFICIENT_CREDIT`, …) is a permanent failure for that message.
//! 401 and other 4xx answers are permanent; 429, 5xx, timeouts and connection errors are
//! retried. After a crash, `GET /v3/sms/history` tells whether a ticket's message was
//! already accepted, so it is not sent twice. When the history cannot answer (403 for a
//! subaccount without that permission, an outage), the outcome is never "failed", for the
//! message may have gone out: `on_unknown = "resend"` (default) sends it again — a possible
//! duplicate beats a lost page — and `"hold"` records it `unknown` for an operator.
//! `GET /v3/account` checks the credentials.

use super::{Delivered, Outgoing, SendError};
use crate::sms;
use postwarden_core::Secret;
use postwarden_core::config::{ClickSendConfig, OnUnknown};
use serde::Deserialize;
use serde_json::{Value, json};

/// ClickSend's limit of messages per request.
const MAX_PER_REQUEST: usize = 1000;
/// The `source` field: how ClickSend's dashboard shows where messages came from.
const SOURCE: &str = "postwarden";

/// A configured ClickSend account.
pub struct ClickSend {
    username: String,
    api_key: Secret,
    api_base: String,
    from: Option<String>,
    max_parts: usize,
    on_unknown: OnUnknown,
    client: reqwest::Client,
}

impl std::fmt::Debug for ClickSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickSend")
            .field("username", &self.username)
            .field("api_key", &self.api_key)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// ClickSend's answer envelope.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    response_code: String,
    #[serde(default)]
    response_msg: String,
    #[serde(default)]
    data: Value,
}

impl ClickSend {
    pub fn new(config: &ClickSendConfig) -> Result<ClickSend, String> {
        let api_key = config.api_key().map_err(|e| e.to_string())?;
        let client = postwarden_core::http::client(Some(config.timeout))?;
        Ok(ClickSend {
            username: config.username.clone(),
            api_key,
            api_base: config.api_base.trim_end_matches('/').to_owned(),
            from: config.from.clone(),
            max_parts: config.max_parts as usize,
            on_unknown: config.on_unknown,
            client,
        })
    }

    /// Sends every message of `batch` (1,000 per request); recovering ones that ClickSend
    /// already has are reported as delivered without sending them again.
    pub async fn send(&self, batch: &[Outgoing]) -> Vec<Result<Delivered, SendError>> {
        let mut results: Vec<Option<Result<Delivered, SendError>>> = vec![None; batch.len()];
        let mut to_send = Vec::new();
        let mut unknown: Vec<(usize, String)> = Vec::new();
        for (i, message) in batch.iter().enumerate() {
            if !sms::is_e164(&message.recipient) {
                results[i] = Some(Err(SendError::permanent(
                    "INVALID_RECIPIENT",
                    format!("`{}` is not an E.164 number", message.recipient),
                )));
            } else if message.recovering {
                match self.already_accepted(message).await {
                    Ok(Some(delivered)) => results[i] = Some(Ok(delivered)),
                    Ok(None) => to_send.push(i),
                    // The history cannot answer: never a failure, for it may have gone out.
                    Err(e) => {
                        let why = format!(
                            "an earlier attempt crashed and ClickSend's history cannot say whether it was accepted ({}: {})",
                            e.code(),
                            e.message()
                        );
                        match self.on_unknown {
                            OnUnknown::Resend => {
                                unknown.push((i, why));
                                to_send.push(i);
                            }
                            OnUnknown::Hold => {
                                results[i] = Some(Err(SendError::Unknown {
                                    code: "HISTORY_UNAVAILABLE".into(),
                                    message: format!(
                                        "{why}; held for an operator (on_unknown = \"hold\")"
                                    ),
                                }))
                            }
                        }
                    }
                }
            } else {
                to_send.push(i);
            }
        }
        for chunk in to_send.chunks(MAX_PER_REQUEST) {
            let messages: Vec<&Outgoing> = chunk.iter().map(|&i| &batch[i]).collect();
            for (&i, result) in chunk.iter().zip(self.send_request(&messages).await) {
                results[i] = Some(result);
            }
        }
        for (i, why) in unknown {
            if let Some(Ok(delivered)) = &mut results[i] {
                delivered.note = Some(format!("{why}; sent again, possibly a duplicate"));
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SendError::retryable("INTERNAL", "not attempted"))))
            .collect()
    }

    fn message_json(&self, message: &Outgoing) -> Value {
        let mut m = json!({
            "source": SOURCE,
            "body": sms::fit_keeping(&message.body, &format!("[{}]", message.ticket), self.max_parts),
            "to": message.recipient,
            "custom_string": message.ticket,
        });
        if let Some(from) = &self.from {
            m["from"] = Value::from(from.as_str());
        }
        m
    }

    async fn send_request(&self, messages: &[&Outgoing]) -> Vec<Result<Delivered, SendError>> {
        let body = json!({ "messages": messages.iter().map(|m| self.message_json(m)).collect::<Vec<_>>() });
        let answer = self
            .client
            .post(format!("{}/v3/sms/send", self.api_base))
            .basic_auth(&self.username, Some(self.api_key.expose()))
            .json(&body)
            .send()
            .await;
        let answer = match read_answer(answer).await {
            Ok(answer) => answer,
            Err(e) => return vec![Err(e); messages.len()],
        };
        let per_message = answer.data["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        messages
            .iter()
            .map(|m| {
                per_message
                    .iter()
                    .find(|r| r["custom_string"].as_str() == Some(m.ticket.as_str()))
                    .map(message_result)
                    .unwrap_or_else(|| {
                        Err(SendError::retryable(
                            "NO_STATUS",
                            "ClickSend's answer has no status for this message",
                        ))
                    })
            })
            .collect()
    }

    /// Whether ClickSend's history holds a message with this ticket as `custom_string`.
    async fn already_accepted(&self, message: &Outgoing) -> Result<Option<Delivered>, SendError> {
        let from = message.created.timestamp() - 300;
        let to = chrono::Utc::now().timestamp() + 300;
        let mut page = 1;
        loop {
            let answer = self
                .client
                .get(format!("{}/v3/sms/history", self.api_base))
                .basic_auth(&self.username, Some(self.api_key.expose()))
                .query(&[
                    ("date_from", from.to_string()),
                    ("date_to", to.to_string()),
                    ("page", page.to_string()),
                    ("limit", "100".into()),
                ])
                .send()
                .await;
            let answer = read_answer(answer).await?;
            let rows = answer.data["data"].as_array().cloned().unwrap_or_default();
            if let Some(found) = rows
                .iter()
                .find(|r| r["custom_string"].as_str() == Some(message.ticket.as_str()))
            {
                return Ok(Some(delivered_of(found)));
            }
            let last = answer.data["last_page"].as_i64().unwrap_or(1);
            if page >= last || rows.is_empty() {
                return Ok(None);
            }
            page += 1;
        }
    }

    /// `GET /v3/account`: the credentials work; the balance.
    pub async fn check(&self) -> Result<String, SendError> {
        let answer = self
            .client
            .get(format!("{}/v3/account", self.api_base))
            .basic_auth(&self.username, Some(self.api_key.expose()))
            .send()
            .await;
        let answer = read_answer(answer).await?;
        let data = &answer.data;
        let balance = text(&data["balance"]);
        let currency = data["_currency"]["currency_name_short"]
            .as_str()
            .unwrap_or_default();
        Ok(format!(
            "ClickSend account `{}`: balance {balance} {currency}",
            text(&data["username"])
        ))
    }
}

/// The answer of a request, or the error it amounts to (retryable or not, by status).
async fn read_answer(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<Answer, SendError> {
    let response = response.map_err(|e| {
        let code = if e.is_timeout() {
            "TIMEOUT"
        } else {
            "CONNECTION"
        };
        SendError::retryable(code, format!("ClickSend did not answer: {e}"))
    })?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| {
        SendError::retryable("CONNECTION", format!("reading ClickSend's answer: {e}"))
    })?;
    let answer: Option<Answer> = serde_json::from_slice(&bytes).ok();
    let (code, message) = match &answer {
        Some(a) => (a.response_code.clone(), a.response_msg.clone()),
        None => (
            format!("HTTP_{}", status.as_u16()),
            String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        ),
    };
    let message = format!("HTTP {}: {message}", status.as_u16());
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(SendError::retryable(code, message));
    }
    match answer {
        Some(a) if status.as_u16() == 200 && a.response_code == "SUCCESS" => Ok(a),
        _ => Err(SendError::permanent(code, message)),
    }
}

fn message_result(r: &Value) -> Result<Delivered, SendError> {
    match r["status"].as_str() {
        Some("SUCCESS") => Ok(delivered_of(r)),
        Some(status) => Err(SendError::permanent(
            status,
            format!("ClickSend refused the message to {}", text(&r["to"])),
        )),
        None => Err(SendError::retryable(
            "NO_STATUS",
            "ClickSend gave no status",
        )),
    }
}

fn delivered_of(r: &Value) -> Delivered {
    Delivered {
        provider_id: r["message_id"].as_str().map(str::to_owned),
        parts: match &r["message_parts"] {
            Value::Number(n) => n.as_f64().map(|p| p as i64),
            Value::String(s) => s.parse::<f64>().ok().map(|p| p as i64),
            _ => None,
        },
        price: Some(text(&r["message_price"])).filter(|p| !p.is_empty()),
        note: None,
    }
}

/// A JSON string or number as text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
