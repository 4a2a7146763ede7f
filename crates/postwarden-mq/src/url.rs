//! `amqp://user:password@host:port/vhost`: the parts the node and `users route` need —
//! the vhost (percent-decoded; `%2f` is `/`), and the same URL with a worker's credentials
//! in place of the node's. Pure; the password stays a [`Secret`].

use postwarden_core::Secret;

/// A broker (or management API) URL taken apart.
#[derive(Clone)]
pub struct BrokerUrl {
    pub scheme: String,
    pub user: String,
    pub password: Secret,
    /// `host:port` (or `host`).
    pub host: String,
    /// Decoded; empty in the URL means the default vhost `/`.
    pub vhost: String,
}

/// A URL that is not `scheme://[user[:password]@]host[:port][/vhost]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`[mq]` URL: {0}")]
pub struct UrlError(String);

impl BrokerUrl {
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| UrlError("no `scheme://`".into()))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (user_info, host) = match authority.rsplit_once('@') {
            Some((info, host)) => (Some(info), host),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(UrlError("no host".into()));
        }
        let (user, password) = match user_info {
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (decode(u)?, decode(p)?),
                None => (decode(info)?, String::new()),
            },
            // RabbitMQ's defaults, as every AMQP client applies them.
            None => ("guest".into(), "guest".into()),
        };
        let vhost = path
            .strip_prefix('/')
            .unwrap_or(path)
            .split('?')
            .next()
            .unwrap_or_default();
        // No vhost (or `amqp://host/`, which names "" in the AMQP URI spec; RabbitMQ has
        // no such vhost and every client takes it as the default) is the default, `/`.
        let vhost = if vhost.is_empty() {
            "/".to_owned()
        } else {
            decode(vhost)?
        };
        Ok(Self {
            scheme: scheme.to_owned(),
            user,
            password: Secret::new(password),
            host: host.to_owned(),
            vhost,
        })
    }

    /// The same broker and vhost with other credentials.
    pub fn with_credentials(&self, user: &str, password: &Secret) -> Secret {
        Secret::new(format!(
            "{}://{}:{}@{}/{}",
            self.scheme,
            encode(user),
            encode(password.expose()),
            self.host,
            encode(&self.vhost)
        ))
    }

    /// The URL without credentials, for messages.
    pub fn redacted(&self) -> String {
        format!("{}://{}/{}", self.scheme, self.host, encode(&self.vhost))
    }

    /// `scheme://host` for the management API's paths.
    pub fn http_base(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }
}

fn decode(text: &str) -> Result<String, UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| UrlError(format!("bad percent-escape at byte {i}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError("escapes that are not UTF-8".into()))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_contract_url_names_the_default_vhost() {
        let url = BrokerUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        assert_eq!(
            (
                url.user.as_str(),
                url.password.expose(),
                url.host.as_str(),
                url.vhost.as_str()
            ),
            ("guest", "guest", "127.0.0.1:5672", "/")
        );
        assert_eq!(url.redacted(), "amqp://127.0.0.1:5672/%2f");
    }

    #[test]
    fn a_missing_vhost_is_the_default_one() {
        for text in ["amqp://h", "amqp://h/", "amqp://u:p@h:1"] {
            assert_eq!(BrokerUrl::parse(text).unwrap().vhost, "/", "{text}");
        }
        assert_eq!(
            BrokerUrl::parse("amqp://h/pw-test").unwrap().vhost,
            "pw-test"
        );
    }

    #[test]
    fn a_workers_url_keeps_the_broker_and_vhost() {
        let url = BrokerUrl::parse("amqps://admin:s3cret@mq.example:5671/mail").unwrap();
        let worker = url.with_credentials("postwarden-worker-7", &Secret::new("a/b:c"));
        assert_eq!(
            worker.expose(),
            "amqps://postwarden-worker-7:a%2fb%3ac@mq.example:5671/mail"
        );
        let back = BrokerUrl::parse(worker.expose()).unwrap();
        assert_eq!(back.password.expose(), "a/b:c");
    }

    #[test]
    fn a_url_without_a_scheme_or_host_is_refused() {
        assert!(BrokerUrl::parse("127.0.0.1:5672").is_err());
        assert!(BrokerUrl::parse("amqp://u:p@/x").is_err());
        assert!(BrokerUrl::parse("amqp://h/%zz").is_err());
    }

    proptest! {
        #[test]
        fn credentials_and_vhosts_survive_encoding(
            user in "[ -~]{1,20}", password in "[ -~]{0,20}", vhost in "[ -~]{1,20}"
        ) {
            let base = BrokerUrl {
                scheme: "amqp".into(), user: "x".into(), password: Secret::new("y"),
                host: "h:1".into(), vhost,
            };
            let url = base.with_credentials(&user, &Secret::new(password.clone()));
            let back = BrokerUrl::parse(url.expose()).unwrap();
            prop_assert_eq!(back.user, user);
            prop_assert_eq!(back.password.expose(), password.as_str());
            prop_assert_eq!(back.vhost, base.vhost);
        }
    }
}
