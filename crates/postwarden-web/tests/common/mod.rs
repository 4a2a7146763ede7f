//! A console on a fresh SQLite store with people and mail in it, for the router and
//! end-to-end tests: an admin, a domain admin of corp.example, two users of corp.example
//! and one of other.example, each with a held message and an API token.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use postwarden_core::{Config, Role};
use postwarden_filter::quarantine::Quarantine;
use postwarden_smtp::client::{Relay, RelayConfig};
use postwarden_store::{MessageRecord, NewUser, QuarantineRecord, Store, UserRecord, UserSource};
use postwarden_web::{Keys, Scope, WebState, hash_password, issue_token, router};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Anonymous,
    Admin,
    DomainAdmin,
    Alice,
    Bob,
    Carol,
}

impl Who {
    pub const ALL: [Who; 6] = [
        Who::Anonymous,
        Who::Admin,
        Who::DomainAdmin,
        Who::Alice,
        Who::Bob,
        Who::Carol,
    ];
    pub fn address(self) -> &'static str {
        match self {
            Who::Anonymous => "",
            Who::Admin => "admin@corp.example",
            Who::DomainAdmin => "postmaster@corp.example",
            Who::Alice => "alice@corp.example",
            Who::Bob => "bob@corp.example",
            Who::Carol => "carol@other.example",
        }
    }
}

pub struct Console {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub state: WebState,
    pub config: Arc<Config>,
    /// API tokens by person (default scopes).
    pub tokens: BTreeMap<Who, String>,
    /// Session cookies (`pw_session=…`) and CSRF tokens by person.
    pub sessions: BTreeMap<Who, (String, String)>,
    /// Message / quarantine id held for each person (one each, from evil@spam.example).
    pub held: BTreeMap<Who, String>,
    pub users: BTreeMap<Who, UserRecord>,
}

impl Console {
    /// The console with `extra` TOML appended to its configuration and releases relayed
    /// to `next_hop` (an smtp-sink, or a closed port when the test releases nothing).
    pub async fn start(next_hop: &str, extra: &str) -> Console {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = \"{}\"\n[filter]\nnext_hop = \"{next_hop}\"\n{extra}",
            dir.path().display()
        );
        let config = Arc::new(Config::from_toml(&text).unwrap());
        let store = Store::connect(&config.database_url(), 4).await.unwrap();
        store.migrate().await.unwrap();
        let keys = Keys::load_or_create(&config.data_dir).unwrap();
        let quarantine = Quarantine::new(config.quarantine_dir());
        let relay = Relay::new(RelayConfig {
            address: next_hop.to_string(),
            helo_name: "console.test.example".into(),
            connect_timeout: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(10),
        });
        let state = WebState::new(
            store.clone(),
            config.clone(),
            keys.clone(),
            quarantine.clone(),
            relay,
            "console.test.example".into(),
        );
        let mut console = Console {
            dir,
            store,
            state,
            config,
            tokens: BTreeMap::new(),
            sessions: BTreeMap::new(),
            held: BTreeMap::new(),
            users: BTreeMap::new(),
        };
        let hash = hash_password(PASSWORD);
        for who in Who::ALL.into_iter().skip(1) {
            let (role, domains) = match who {
                Who::Admin => (Role::Admin, vec![]),
                Who::DomainAdmin => (Role::DomainAdmin, vec!["corp.example".to_string()]),
                _ => (Role::User, vec![]),
            };
            let user = console
                .store
                .create_user(&NewUser {
                    address: who.address(),
                    display_name: None,
                    role,
                    domains: &domains,
                    password_hash: Some(&hash),
                    source: UserSource::Local,
                })
                .await
                .unwrap();
            let issued = issue_token(
                &console.store,
                &keys,
                &user,
                "test",
                &Scope::defaults(),
                Duration::from_secs(3600),
                Duration::from_secs(86400),
            )
            .await
            .unwrap();
            console.tokens.insert(who, issued.token);
            let cookie = postwarden_web::auth::session::start(&console.state, &user)
                .await
                .unwrap();
            let value = cookie.split(';').next().unwrap().to_string();
            let hash = postwarden_web::auth::session::id_hash(value.split_once('=').unwrap().1);
            let csrf = console.store.session(&hash).await.unwrap().unwrap().csrf;
            console.sessions.insert(who, (value, csrf));
            console.users.insert(who, user);
        }
        for who in [
            Who::Admin,
            Who::DomainAdmin,
            Who::Alice,
            Who::Bob,
            Who::Carol,
        ] {
            let id = console
                .hold(
                    "evil@spam.example",
                    &[who.address()],
                    &format!("Cheap pills for {}", who.address()),
                )
                .await;
            console.held.insert(who, id);
        }
        console
    }

    /// Records a message from `from` to `to` and holds it in the quarantine; returns its id.
    pub async fn hold(&self, from: &str, to: &[&str], subject: &str) -> String {
        let id = format!("t{:x}", rand_id());
        let bytes = format!(
            "From: {from}\r\nTo: {}\r\nSubject: {subject}\r\nMessage-ID: <{id}@spam.example>\r\n\r\nBuy now.\r\n",
            to.join(", ")
        )
        .into_bytes();
        let digest = self.state.quarantine.store(bytes.clone()).await.unwrap();
        let now = Utc::now();
        let recipients: Vec<String> = to.iter().map(|s| s.to_string()).collect();
        let verdicts: serde_json::Map<String, serde_json::Value> = recipients
            .iter()
            .map(|r| (r.clone(), serde_json::json!({"action": "quarantine", "score": 12.5, "reason": "spam, score 12.5"})))
            .collect();
        self.store
            .record_messages(&[(
                MessageRecord {
                    id: id.clone(),
                    time: now,
                    queue_id: Some(format!("Q{id}")),
                    client_ip: Some("192.0.2.7".into()),
                    client_name: Some("bad.spam.example".into()),
                    mail_from: from.into(),
                    recipients: recipients.clone(),
                    subject: Some(subject.into()),
                    size: bytes.len() as u64,
                    score: 12.5,
                    findings: serde_json::json!([{"processor": "spamassassin", "score": 12.5, "tags": ["spam"], "reason": "GTUBE"}]),
                    verdicts: serde_json::Value::Object(verdicts),
                    reply: "250 2.0.0 held".into(),
                    duration_us: 1000,
                },
                Vec::new(),
            )])
            .await
            .unwrap();
        self.store
            .insert_quarantine(&QuarantineRecord {
                id: id.clone(),
                time: now,
                digest,
                mail_from: from.into(),
                recipients,
                subject: Some(subject.into()),
                size: bytes.len() as u64,
                reason: "spam, score 12.5".into(),
                released: None,
                released_by: None,
                deleted: None,
            })
            .await
            .unwrap();
        id
    }

    /// A request as `who`: the API with their bearer token, pages with their session
    /// cookie (and, for a form POST, their CSRF token appended to `body`).
    pub fn request(&self, who: Who, method: &str, uri: &str, body: Option<&str>) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(uri);
        let api = uri.starts_with("/api/");
        let mut body = body.map(str::to_string);
        if who != Who::Anonymous {
            if api {
                builder = builder.header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", self.tokens[&who]),
                );
            } else {
                let (cookie, csrf) = &self.sessions[&who];
                builder = builder.header(header::COOKIE, cookie.as_str());
                if method == "POST" {
                    let form = body.take().unwrap_or_default();
                    let sep = if form.is_empty() { "" } else { "&" };
                    body = Some(format!("{form}{sep}csrf={csrf}"));
                }
            }
        }
        if body.is_some() {
            builder = builder.header(
                header::CONTENT_TYPE,
                if api {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                },
            );
        }
        builder
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap()
    }

    /// The keys the console signs with (to make links a test needs).
    pub fn state_keys(&self) -> Keys {
        self.state.keys.clone()
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Response<Body>) {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        (response.status(), response)
    }

    /// Status and body text.
    pub async fn call(
        &self,
        who: Who,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> (StatusCode, String) {
        let (status, response) = self.send(self.request(who, method, uri, body)).await;
        (status, text(response).await)
    }

    pub async fn json(
        &self,
        who: Who,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let (status, text) = self.call(who, method, uri, body).await;
        (
            status,
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({e}): {text}")),
        )
    }
}

pub async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
