//! The console and API under load, in one run: fills a store with MESSAGES message records
//! (default 1,000,000) and QUARANTINE held entries (default 10,000) for 10,000 users in 20
//! domains over 30 days, serves the console on a loopback port, and measures over HTTP:
//! the dashboard and the message search (admin, domain admin, user: p50/p99), then
//! `GET /api/v1/messages?limit=50` with CONCURRENCY clients for SECONDS seconds
//! (requests/s, p50/p99). `DATABASE_URL` picks the backend (default: SQLite in a
//! temporary directory); with `REUSE=1` an already filled database is used as is.
//!
//! `cargo run --release -p postwarden-web --example bench_web` (scripts/bench-web runs it
//! on SQLite and PostgreSQL).

use axum::body::Body;
use chrono::{Duration as Days, Utc};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use postwarden_core::{Config, Role, Secret};
use postwarden_store::{MessageRecord, NewUser, QuarantineRecord, Store, UserSource};
use postwarden_web::{Keys, Scope, WebState, issue_token};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The allocator `postwarden` itself runs with (crates/postwarden/src/main.rs), so the
/// figures are the daemon's: under the system allocator a third of this benchmark's CPU
/// went to malloc, free and their arena locks (rows are built on SQLite's worker threads
/// and dropped on tokio's).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so every run fills the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const USERS: u64 = 10_000;
const DOMAINS: u64 = 20;

fn user(i: u64) -> String {
    format!("u{i}@d{}.example", i % DOMAINS)
}

async fn fill(store: &Store, messages: u64, held: u64) {
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let now = Utc::now();
    let span_us = Days::days(30).num_microseconds().unwrap() as u64;
    let mut batch = Vec::with_capacity(2000);
    let mut held_left = held;
    let mut quarantine = Vec::new();
    for n in 0..messages {
        let time = now - Days::microseconds((span_us - n * span_us / messages) as i64);
        let recipients: Vec<String> = (0..1 + rng.below(3))
            .map(|_| user(rng.below(USERS)))
            .collect();
        let action = match rng.below(100) {
            0..80 => "pass",
            80..90 => "tag",
            90..95 => "quarantine",
            95..99 => "reject",
            _ => "tempfail",
        };
        let sender = if rng.below(10) == 0 {
            user(rng.below(USERS))
        } else {
            format!("s{}@ext{}.example", rng.below(50_000), rng.below(2_000))
        };
        let id = format!("{:013x}-{n}", time.timestamp_micros());
        let verdicts: serde_json::Map<String, serde_json::Value> = recipients
            .iter()
            .map(|r| {
                (
                    r.clone(),
                    serde_json::json!({"action": action, "score": 5.5, "reason": "bench"}),
                )
            })
            .collect();
        // About 5 % of messages are quarantined: hold each with the chance that yields `held`.
        if action == "quarantine" && held_left > 0 && rng.below(messages) < held * 20 {
            held_left -= 1;
            quarantine.push(QuarantineRecord {
                id: id.clone(),
                time,
                digest: format!("{:064x}", n),
                mail_from: sender.clone(),
                recipients: recipients.clone(),
                subject: Some(format!("Offer number {n}")),
                size: 4096,
                reason: "spam, score 5.5".into(),
                released: None,
                released_by: None,
                deleted: None,
            });
        }
        batch.push((
            MessageRecord {
                id,
                time,
                queue_id: Some(format!("Q{n:X}")),
                client_ip: Some("192.0.2.1".into()),
                client_name: Some("mx.ext.example".into()),
                mail_from: sender,
                recipients,
                subject: Some(format!("Subject {n}")),
                size: 4096,
                score: 5.5,
                findings: serde_json::json!([{"processor": "spamassassin", "score": 5.5, "tags": [], "reason": "BAYES_50"}]),
                verdicts: serde_json::Value::Object(verdicts),
                reply: "250 2.0.0 Ok".into(),
                duration_us: 1500,
            },
            Vec::new(),
        ));
        if batch.len() == 2000 {
            store.record_messages(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.record_messages(&batch).await.unwrap();
    for q in &quarantine {
        store.insert_quarantine(q).await.unwrap();
    }
    // PostgreSQL's autovacuum analyzes a table this size soon after the load; SQLite never
    // does by itself (and with statistics it plans the domain search worse: see
    // docs/benchmarks.md), so it is left as an installation would have it.
    if store.backend() != postwarden_store::Backend::Sqlite {
        store.analyze().await.unwrap();
    }
    eprintln!(
        "filled {messages} messages and {} held entries in {:.1} s",
        quarantine.len(),
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Body>;

async fn get(client: &HttpClient, url: &str, header: (&str, &str)) -> Duration {
    let started = Instant::now();
    let request = axum::http::Request::get(url)
        .header(header.0, header.1)
        .body(Body::empty())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{url}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    started.elapsed()
}

async fn latency(client: &HttpClient, label: &str, url: &str, header: (&str, &str), n: usize) {
    get(client, url, header).await;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        times.push(get(client, url, header).await);
    }
    times.sort();
    println!(
        "{label:<44} p50 {:>7.2} ms   p99 {:>7.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

#[tokio::main]
async fn main() {
    let messages = env_or("MESSAGES", 1_000_000);
    let held = env_or("QUARANTINE", 10_000);
    let concurrency = env_or("CONCURRENCY", 16) as usize;
    let seconds = env_or("SECONDS", 10);
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    // As `postwarden` opens it: with the stamp file that other processes' changes to users
    // rewrite (the token cache reads it on every request).
    let store = Store::connect(&Secret::new(url.clone()), 16)
        .await
        .unwrap()
        .with_users_stamp(dir.path().join("users.changed"));
    store.migrate().await.unwrap();
    if std::env::var("REUSE").is_err() {
        fill(&store, messages, held).await;
    }
    let config =
        Arc::new(Config::from_toml(&format!("data_dir = \"{}\"\n", dir.path().display())).unwrap());
    let keys = Keys::load_or_create(&config.data_dir).unwrap();
    let mut tokens = Vec::new();
    let mut cookies = Vec::new();
    let state = WebState::new(
        store.clone(),
        config.clone(),
        keys.clone(),
        postwarden_filter::quarantine::Quarantine::new(dir.path().join("q")),
        postwarden_filter::next_hop(&config.filter, "bench"),
        "bench".into(),
    );
    for (address, role, domains) in [
        ("admin@d0.example".to_string(), Role::Admin, vec![]),
        (
            "postmaster@d3.example".to_string(),
            Role::DomainAdmin,
            vec!["d3.example".to_string()],
        ),
        (user(4242), Role::User, vec![]),
    ] {
        let found = match store.user_by_address(&address).await.unwrap() {
            Some(u) => u,
            None => store
                .create_user(&NewUser {
                    address: &address,
                    display_name: None,
                    role,
                    domains: &domains,
                    password_hash: None,
                    source: UserSource::Local,
                })
                .await
                .unwrap(),
        };
        let issued = issue_token(
            &store,
            &keys,
            &found,
            "bench",
            &Scope::defaults(),
            Duration::from_secs(3600),
            Duration::from_secs(7200),
        )
        .await
        .unwrap();
        tokens.push((address.clone(), format!("Bearer {}", issued.token)));
        let cookie = postwarden_web::auth::session::start(&state, &found)
            .await
            .unwrap();
        cookies.push((address, cookie.split(';').next().unwrap().to_string()));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(postwarden_web::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build_http();

    println!(
        "backend {}, {messages} messages, {held} held entries",
        store.backend()
    );
    for ((who, cookie), role) in cookies.iter().zip(["admin", "domain admin", "user"]) {
        latency(
            &client,
            &format!("dashboard, {role}"),
            &format!("{base}/"),
            ("cookie", cookie),
            200,
        )
        .await;
        let search = if role == "admin" {
            format!("{base}/messages?recipient={}", user(77))
        } else {
            format!("{base}/messages?action=quarantine")
        };
        latency(
            &client,
            &format!("message search page, {role} ({who})"),
            &search,
            ("cookie", cookie),
            200,
        )
        .await;
    }
    for ((who, token), role) in tokens.iter().zip(["admin", "domain admin", "user"]) {
        let url = format!("{base}/api/v1/messages?limit=50");
        get(&client, &url, ("authorization", token)).await;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline {
                    times.push(get(&client, &url, ("authorization", &token)).await);
                }
                times
            }));
        }
        let started = Instant::now();
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed().as_secs_f64();
        times.sort();
        println!(
            "GET /api/v1/messages?limit=50, {role:<12} {:>7.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({concurrency} clients, {who})",
            times.len() as f64 / elapsed,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}
