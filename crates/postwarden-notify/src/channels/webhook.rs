//! `type = "webhook"`: each notification as a JSON POST (`ticket`, `channel`, `recipient`,
//! `labels`, `text`, `count`, `events`), with `Idempotency-Key: <ticket>` and, when a
//! `secret` is set, `X-Postwarden-Signature: sha256=<hex>`, the HMAC-SHA256 of
//! `<X-Postwarden-Timestamp>.<body>`. 2xx is sent; 408, 429, 5xx and network errors are
//! retried; any other answer is permanent.

use super::{Delivered, Outgoing, SendError};
use postwarden_core::Secret;
use postwarden_core::config::WebhookChannelConfig;
use postwarden_core::http::sign_webhook;

/// A configured webhook.
pub struct Webhook {
    url: String,
    /// The URL as errors and logs show it: webhook URLs often carry a token in their path or
    /// query, so only scheme, host and port.
    shown: String,
    secret: Option<Secret>,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(config: &WebhookChannelConfig) -> Result<Webhook, String> {
        let client = postwarden_core::http::client(Some(config.timeout))?;
        Ok(Webhook {
            shown: shown_url(&config.url),
            url: config.url.clone(),
            secret: config.secret.clone(),
            client,
        })
    }

    pub async fn send(&self, batch: &[Outgoing]) -> Vec<Result<Delivered, SendError>> {
        let mut results = Vec::with_capacity(batch.len());
        for message in batch {
            results.push(self.post(message).await);
        }
        results
    }

    async fn post(&self, message: &Outgoing) -> Result<Delivered, SendError> {
        let body = message.body.clone().into_bytes();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let mut request = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", &message.ticket)
            .header("X-Postwarden-Ticket", &message.ticket)
            .header("X-Postwarden-Timestamp", &timestamp);
        if let Some(secret) = &self.secret {
            request = request.header(
                "X-Postwarden-Signature",
                sign_webhook(secret.expose(), &timestamp, &body),
            );
        }
        let response = request.body(body).send().await.map_err(|e| {
            let code = if e.is_timeout() {
                "TIMEOUT"
            } else {
                "CONNECTION"
            };
            SendError::retryable(code, format!("{}: {}", self.shown, e.without_url()))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Delivered::default());
        }
        let code = format!("HTTP_{}", status.as_u16());
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let message = format!("{} answered {status}: {text}", self.shown);
        if matches!(status.as_u16(), 408 | 429) || status.is_server_error() {
            Err(SendError::retryable(code, message))
        } else {
            Err(SendError::permanent(code, message))
        }
    }

    /// A webhook cannot be checked without sending; says where it would post.
    pub async fn check(&self) -> Result<String, SendError> {
        Ok(format!("webhook posts to {}", self.shown))
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.shown)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// `scheme://host:port/…` of a URL, without the path and query that may hold a token.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let host = parsed.host_str().unwrap_or("?");
            format!("{}://{host}{port}/…", parsed.scheme())
        }
        Err(_) => "(an invalid URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_urls_are_not_shown() {
        assert_eq!(
            shown_url("https://hooks.example.org/services/T000/B000/XXXXSECRET?token=abc"),
            "https://hooks.example.org/…"
        );
        assert_eq!(
            shown_url("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080/…"
        );
    }
}
