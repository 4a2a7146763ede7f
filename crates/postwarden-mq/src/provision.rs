//! Provisioning a route on the broker: the worker's broker user with a password of its own
//! and its permissions (read its queue, write replies, configure nothing), then its quorum
//! queue and binding over AMQP with the node's credentials.
//!
//! Broker users cannot be made over AMQP. Two ways are offered: RabbitMQ's management HTTP
//! API when `[mq] management_url` is set (works from any host), else `rabbitmqctl` on this
//! machine (needs to run where the broker's Erlang cookie is readable: root or the
//! `rabbitmq` user). The password goes to `rabbitmqctl` on its standard input, never on a
//! command line where `ps` would show it.

use crate::url::BrokerUrl;
use postwarden_core::Secret;
use postwarden_core::config::MqConfig;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Why the broker could not be provisioned; the message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(
        "`{program}` could not run ({error}); install RabbitMQ's tools on this machine, run as root, or set `[mq] management_url`"
    )]
    Spawn {
        program: String,
        error: std::io::Error,
    },
    #[error("`{program} {command}` failed: {output}")]
    Rabbitmqctl {
        program: String,
        command: &'static str,
        output: String,
    },
    #[error("the management API refused {what}: HTTP {status}: {body}")]
    Management {
        what: String,
        status: u16,
        body: String,
    },
    #[error("the management API at {url} could not be reached: {error}")]
    Unreachable { url: String, error: String },
    #[error("{0}")]
    Url(#[from] crate::url::UrlError),
}

/// Makes and removes workers' broker users.
pub enum Provisioner {
    Rabbitmqctl { program: String },
    Management { url: BrokerUrl },
}

impl std::fmt::Debug for Provisioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Provisioner::Rabbitmqctl { program } => f
                .debug_struct("Rabbitmqctl")
                .field("program", program)
                .finish(),
            Provisioner::Management { url } => f
                .debug_struct("Management")
                .field("url", &url.redacted())
                .finish(),
        }
    }
}

/// A worker's broker user and what it may do.
pub struct WorkerUser<'a> {
    pub name: &'a str,
    pub password: &'a Secret,
    pub vhost: &'a str,
    pub configure: &'a str,
    pub write: &'a str,
    pub read: &'a str,
}

impl Provisioner {
    pub fn from_config(mq: &MqConfig) -> Result<Self, ProvisionError> {
        Ok(match &mq.management_url {
            Some(url) => Provisioner::Management {
                url: BrokerUrl::parse(url.expose())?,
            },
            None => Provisioner::Rabbitmqctl {
                program: mq.rabbitmqctl.clone(),
            },
        })
    }

    /// Creates the user (or sets a new password when it exists) and its permissions.
    pub async fn create_worker_user(&self, user: &WorkerUser<'_>) -> Result<(), ProvisionError> {
        match self {
            Provisioner::Rabbitmqctl { program } => {
                let added = rabbitmqctl(
                    program,
                    "add_user",
                    &[user.name],
                    Some(user.password.expose()),
                )
                .await;
                if let Err(ProvisionError::Rabbitmqctl { output, .. }) = &added
                    && output.contains("already exists")
                {
                    rabbitmqctl(
                        program,
                        "change_password",
                        &[user.name],
                        Some(user.password.expose()),
                    )
                    .await?;
                } else {
                    added?;
                }
                rabbitmqctl(
                    program,
                    "set_permissions",
                    &[
                        "-p",
                        user.vhost,
                        user.name,
                        user.configure,
                        user.write,
                        user.read,
                    ],
                    None,
                )
                .await
            }
            Provisioner::Management { url } => {
                let client = http_client(url)?;
                let base = url.http_base();
                let put = |path: String, body: serde_json::Value, what: String| {
                    let request = client
                        .put(format!("{base}{path}"))
                        .basic_auth(&url.user, Some(url.password.expose()))
                        .json(&body);
                    async move { management(request, what).await }
                };
                put(
                    format!("/api/users/{}", encode(user.name)),
                    serde_json::json!({ "password": user.password.expose(), "tags": "" }),
                    format!("creating broker user `{}`", user.name),
                )
                .await?;
                put(
                    format!(
                        "/api/permissions/{}/{}",
                        encode(user.vhost),
                        encode(user.name)
                    ),
                    serde_json::json!({
                        "configure": user.configure, "write": user.write, "read": user.read
                    }),
                    format!("setting the permissions of `{}`", user.name),
                )
                .await
            }
        }
    }

    /// Removes the user; one that is not there is not an error.
    pub async fn delete_worker_user(&self, name: &str) -> Result<(), ProvisionError> {
        match self {
            Provisioner::Rabbitmqctl { program } => {
                match rabbitmqctl(program, "delete_user", &[name], None).await {
                    Err(ProvisionError::Rabbitmqctl { output, .. })
                        if output.contains("does not exist") || output.contains("no_such_user") =>
                    {
                        Ok(())
                    }
                    other => other,
                }
            }
            Provisioner::Management { url } => {
                let request = http_client(url)?
                    .delete(format!("{}/api/users/{}", url.http_base(), encode(name)))
                    .basic_auth(&url.user, Some(url.password.expose()));
                match management(request, format!("removing broker user `{name}`")).await {
                    Err(ProvisionError::Management { status: 404, .. }) => Ok(()),
                    other => other,
                }
            }
        }
    }
}

/// The management API's client: postwarden's (rustls with the ring provider installed,
/// which a bare `reqwest::Client::new()` lacks), each request bounded.
fn http_client(url: &BrokerUrl) -> Result<reqwest::Client, ProvisionError> {
    postwarden_core::http::client(Some(MANAGEMENT_TIMEOUT)).map_err(|error| {
        ProvisionError::Unreachable {
            url: url.http_base(),
            error,
        }
    })
}

/// The longest one management API request may take.
const MANAGEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn management(request: reqwest::RequestBuilder, what: String) -> Result<(), ProvisionError> {
    let response = request
        .send()
        .await
        .map_err(|e| ProvisionError::Unreachable {
            url: e
                .url()
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default(),
            error: e.without_url().to_string(),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(ProvisionError::Management {
        what,
        status: status.as_u16(),
        body: body.chars().take(300).collect(),
    })
}

/// Percent-encodes one path segment of the management API (`/` as the default vhost).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn rabbitmqctl(
    program: &str,
    command: &'static str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<(), ProvisionError> {
    let mut child = Command::new(program)
        .arg("-q")
        .arg(command)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| ProvisionError::Spawn {
            program: program.to_owned(),
            error,
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The password, then end of input.
        let _ = pipe.write_all(text.as_bytes()).await;
        drop(pipe);
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|error| ProvisionError::Spawn {
            program: program.to_owned(),
            error,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    Err(ProvisionError::Rabbitmqctl {
        program: program.to_owned(),
        command,
        output: text.trim().chars().take(500).collect(),
    })
}

/// A password for a worker's broker user: 256 random bits, URL-safe base64 (it goes into
/// the worker's `broker_url` as it is).
pub fn new_password() -> Secret {
    use base64::Engine as _;
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_vhost_is_one_encoded_segment() {
        assert_eq!(encode("/"), "%2F");
        assert_eq!(encode("pw-test.1"), "pw-test.1");
    }

    #[test]
    fn passwords_differ_and_print_redacted() {
        let (a, b) = (new_password(), new_password());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert_eq!(format!("{a:?}"), "Secret([redacted])");
    }
}
