//! The console and the API with real mail parts: releases reach a real next hop
//! (Postfix's smtp-sink), the SMTP API submits through a private Postfix, and the
//! quarantine digest goes through the notification engine to smtp-sink with links that
//! release only when confirmed.

mod common;

use axum::http::StatusCode;
use chrono::{Duration as Days, Utc};
use common::{Console, Who};
use postwarden_testkit::daemons::{dumped, free_port, smtp_sink};
use postwarden_testkit::postfix::Postfix;
use std::path::Path;
use std::time::{Duration, Instant};

/// Waits (polling, at most 60 s) for `n` transactions in smtp-sink's directory.
fn wait_for_dumps(dir: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let dumps = dumped(dir);
        if dumps.len() >= n {
            return dumps;
        }
        assert!(
            Instant::now() < deadline,
            "smtp-sink got {} of {n} messages",
            dumps.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn parse(dump: &str) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(dump.as_bytes())
        .expect("a message")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_releases_their_own_copy_and_it_reaches_the_next_hop() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let console = Console::start(&sink.address(), "").await;

    // Through the API: alice's message goes to alice.
    let alice_entry = console.held[&Who::Alice].clone();
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            &format!("/api/v1/quarantine/{alice_entry}/release"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let dumps = wait_for_dumps(&sink_dir, 1);
    assert!(
        dumps[0].contains("X-Rcpt-Args: <alice@corp.example>"),
        "{}",
        dumps[0]
    );
    assert!(dumps[0].contains("Subject: Cheap pills for alice@corp.example"));
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            &format!("/api/v1/quarantine/{alice_entry}/release"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "released once: {body}");

    // Through the console: one copy of a message held for two, to bob only, and bob's
    // sender allowed from now on.
    let shared = console
        .hold(
            "friend@partner.example",
            &["bob@corp.example", "alice@corp.example"],
            "Lunch?",
        )
        .await;
    let (status, _) = console
        .call(
            Who::Bob,
            "POST",
            &format!("/quarantine/{shared}/release"),
            Some("to=me&allow_sender=on"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let dumps = wait_for_dumps(&sink_dir, 2);
    let lunch = dumps
        .iter()
        .find(|d| d.contains("Subject: Lunch?"))
        .unwrap();
    assert!(lunch.contains("X-Rcpt-Args: <bob@corp.example>"));
    assert!(
        !lunch.contains("X-Rcpt-Args: <alice@corp.example>"),
        "alice's copy stays held"
    );
    let bob = console
        .store
        .user_by_address("bob@corp.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.settings.allow_senders, ["friend@partner.example"]);
    let (_, alice_list) = console
        .json(Who::Alice, "GET", "/api/v1/quarantine", None)
        .await;
    assert!(
        alice_list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == shared.as_str()),
        "still held for alice: {alice_list}"
    );
    let (_, bob_list) = console
        .json(Who::Bob, "GET", "/api/v1/quarantine", None)
        .await;
    assert!(
        !bob_list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == shared.as_str()),
        "no longer held for bob"
    );

    // A domain admin deletes what is held for their domain only.
    let (status, _) = console
        .call(
            Who::DomainAdmin,
            "POST",
            &format!("/api/v1/quarantine/{}/delete", console.held[&Who::Bob]),
            Some("{}"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        wait_for_dumps(&sink_dir, 2).len(),
        2,
        "a delete sends nothing"
    );
    drop(sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_api_submits_through_postfix_with_proper_headers_and_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let postfix = Postfix::start(
        &dir.path().join("postfix"),
        sink.port,
        free_port(),
        &["corp.example"],
    );
    let console = Console::start(
        "127.0.0.1:9",
        &format!(
            "[web.send]\nsmtp = \"127.0.0.1:{}\"\nmax_per_hour = 3\n",
            postfix.port
        ),
    )
    .await;
    let request = serde_json::json!({
        "from": "Alice Ünal <alice@corp.example>",
        "to": ["bob@corp.example"],
        "cc": ["carol@other.example"],
        "bcc": ["hidden@corp.example"],
        "subject": "Grüße — 日本語 <script>",
        "text": "Zoë's text, with a long line: ".to_string() + &"ä".repeat(200),
        "html": "<p>Zoë</p>",
        "reply_to": "replies@corp.example",
        "attachments": [{
            "filename": "report\r\nBcc: x@evil.example.pdf",
            "content_type": "application/pdf",
            "content": "JVBERi0xLjQK"
        }]
    });
    let (status, answer) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/send",
            Some(&request.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let queue_id = answer["queue_id"]
        .as_str()
        .expect("Postfix's queue id")
        .to_string();
    assert!(
        answer["reply"].as_str().unwrap().starts_with("250"),
        "{answer}"
    );

    let dumps = wait_for_dumps(&sink_dir, 1);
    let dump = &dumps[0];
    for rcpt in [
        "bob@corp.example",
        "carol@other.example",
        "hidden@corp.example",
    ] {
        assert!(
            dump.contains(&format!("X-Rcpt-Args: <{rcpt}>")),
            "{rcpt}: {dump}"
        );
    }
    let message = parse(dump);
    assert_eq!(message.subject(), Some("Grüße — 日本語 <script>"));
    assert!(message.message_id().is_some() && message.date().is_some());
    assert!(
        !dump.contains("hidden@corp.example>\nBcc") && message.header("Bcc").is_none(),
        "Bcc is not in the headers"
    );
    assert!(
        !dump.contains("\nBcc: x@evil.example"),
        "no header injection through a file name"
    );
    assert!(message.body_text(0).unwrap().starts_with("Zoë's text"));
    assert_eq!(message.body_html(0).unwrap().trim(), "<p>Zoë</p>");
    assert_eq!(message.attachment_count(), 1);
    assert!(
        dump.lines().all(|l| l.len() <= 998),
        "no line over SMTP's limit"
    );
    postfix.wait_until("the queue id in Postfix's log", |p| {
        p.log().contains(&queue_id)
    });

    let foreign = serde_json::json!({"from": "ceo@corp.example", "to": "bob@corp.example", "subject": "x", "text": "y"});
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/send",
            Some(&foreign.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let eleven: Vec<String> = (0..11).map(|i| format!("r{i}@corp.example")).collect();
    let many = serde_json::json!({"from": "alice@corp.example", "to": eleven, "subject": "x", "text": "y"});
    let (status, body) = console
        .json(Who::Alice, "POST", "/api/v1/send", Some(&many.to_string()))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to")),
        "{body}"
    );
    let bad = serde_json::json!({"from": "alice@corp.example", "to": "bob@corp.example", "subject": "x", "text": "y",
        "attachments": [{"filename": "a.txt", "content_type": "text/plain", "content": "***"}]});
    let (status, body) = console
        .json(Who::Alice, "POST", "/api/v1/send", Some(&bad.to_string()))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("attachments[0].content"))
    );
    let bad_to = serde_json::json!({"from": "alice@corp.example", "to": ["bob@corp.example", "not an address"], "subject": "x", "text": "y"});
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/send",
            Some(&bad_to.to_string()),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to[1]"))
    );

    // Postfix refuses (a recipient domain it does not relay for, from a sender it knows):
    // 502 with its reply. Then the hourly limit (3) is reached.
    let refused = serde_json::json!({"from": "alice@corp.example", "to": "x@nonexistent.invalid", "subject": "x", "text": "y"});
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/send",
            Some(&refused.to_string()),
        )
        .await;
    if status == StatusCode::OK {
        // This Postfix accepted it (no DNS check); the limit still counts it.
    } else {
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    }
    let ok = serde_json::json!({"from": "alice@corp.example", "to": "bob@corp.example", "subject": "x", "text": "y"});
    let mut last = StatusCode::OK;
    for _ in 0..3 {
        last = console
            .json(Who::Alice, "POST", "/api/v1/send", Some(&ok.to_string()))
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    drop(postfix);
    drop(sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_digest_mails_signed_links_that_release_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let console = Console::start(
        &sink.address(),
        &format!(
            "[web]\npublic_url = \"https://mail.corp.example\"\n[web.digest]\nat = \"08:00\"\nchannel = \"mail\"\n\
             [channels.mail]\ntype = \"email\"\nsmtp = \"{}\"\nsecurity = \"none\"\nfrom = \"postwarden@corp.example\"\n",
            sink.address()
        ),
    )
    .await;
    // carol wants no digest.
    let carol = &console.users[&Who::Carol];
    let mut settings = carol.settings.clone();
    settings.digest = postwarden_core::users::DigestFrequency::Never;
    console
        .store
        .set_user_settings(carol.id, &settings)
        .await
        .unwrap();
    let hostile = console
        .hold(
            "\"<b>x</b>\"@evil.example",
            &["alice@corp.example"],
            "<script>alert(1)</script> win",
        )
        .await;

    let now = Utc::now();
    assert!(
        postwarden_web::digest::run_due(&console.state, now - Days::days(2))
            .await
            .unwrap()
            .is_empty(),
        "a first start only records"
    );
    let tickets = postwarden_web::digest::run_due(&console.state, now + Days::days(1))
        .await
        .unwrap();
    assert_eq!(
        tickets.len(),
        4,
        "admin, domain admin, alice, bob; not carol"
    );
    assert!(
        postwarden_web::digest::run_due(&console.state, now + Days::days(1))
            .await
            .unwrap()
            .is_empty(),
        "not twice"
    );
    let dispatcher = postwarden_notify::Dispatcher::new(
        &console.config,
        console.store.clone(),
        "console.test.example",
    )
    .unwrap();
    dispatcher.run_once(now + Days::days(1)).await.unwrap();

    let dumps = wait_for_dumps(&sink_dir, 4);
    let to_alice = dumps
        .iter()
        .find(|d| d.contains("X-Rcpt-Args: <alice@corp.example>"))
        .unwrap();
    let mail = parse(to_alice);
    assert_eq!(
        mail.subject(),
        Some("2 new messages held for alice@corp.example")
    );
    let text = mail.body_text(0).unwrap().to_string();
    let html = mail.body_html(0).unwrap().to_string();
    assert!(
        !html.contains("<script>alert"),
        "the HTML part escapes: {html}"
    );
    assert!(html.contains("&lt;script&gt;"));
    let links: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with("https://mail.corp.example/digest/release?"))
        .collect();
    assert_eq!(links.len(), 2, "{text}");
    let link = links
        .iter()
        .find(|l| l.contains(&format!("e={}", console.held[&Who::Alice])))
        .unwrap()
        .trim_start_matches("https://mail.corp.example");
    assert!(links.iter().any(|l| l.contains(&format!("e={hostile}"))));

    // GET (what a mail scanner does): a page, nothing released.
    let (status, page) = console.call(Who::Anonymous, "GET", link, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Release this message?"));
    assert_eq!(dumped(&sink_dir).len(), 4, "GET released nothing");

    // Altered and expired links are refused.
    let altered = link.replace(&console.held[&Who::Alice], &console.held[&Who::Bob]);
    assert_eq!(
        console.call(Who::Anonymous, "GET", &altered, None).await.0,
        StatusCode::FORBIDDEN
    );
    let query = link.split_once('?').unwrap().1;
    let altered_post = query.replace(&console.held[&Who::Alice], &console.held[&Who::Bob]);
    let (status, _) = console
        .call(
            Who::Anonymous,
            "POST",
            "/digest/release",
            Some(&altered_post),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let expired = postwarden_web::digest::Link {
        user_id: console.users[&Who::Alice].id,
        entry: console.held[&Who::Alice].clone(),
        expires: (Utc::now() - Days::seconds(1)).timestamp(),
    };
    let (status, _) = console
        .call(
            Who::Anonymous,
            "POST",
            "/digest/release",
            Some(&expired.query(&console.state_keys())),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(dumped(&sink_dir).len(), 4);

    // The button's POST releases, to alice only.
    let (status, page) = console
        .call(Who::Anonymous, "POST", "/digest/release", Some(query))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Released"));
    let dumps = wait_for_dumps(&sink_dir, 5);
    let released = dumps
        .iter()
        .find(|d| d.contains("Subject: Cheap pills for alice@corp.example"))
        .unwrap();
    assert!(released.contains("X-Rcpt-Args: <alice@corp.example>"));
    let entry = console
        .store
        .quarantine_entry(&console.held[&Who::Alice])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.released_by.as_deref(),
        Some("alice@corp.example (digest link)")
    );
    let audit = console
        .store
        .notify_attempts(now - Days::hours(1), 100)
        .await
        .unwrap();
    let audit: Vec<_> = audit.into_iter().filter(|a| a.time > now).collect();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.template == "quarantine_digest" && a.status == "sent")
            .count(),
        4
    );
    drop(sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_certificate_the_console_speaks_https_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let console = Console::start(
        "127.0.0.1:9",
        &format!(
            "[web]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            cert.display(),
            key.display()
        ),
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(postwarden_web::run(
        listener,
        console.state.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let curl = |url: String| {
        let cert = cert.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{scheme}",
                    "--max-time",
                    "10",
                    "--cacert",
                ])
                .arg(&cert)
                .arg("--resolve")
                .arg(format!(
                    "localhost:{}:127.0.0.1",
                    url.split(':').nth(2).unwrap().split('/').next().unwrap()
                ))
                .arg(&url)
                .output()
                .unwrap()
        })
    };
    let https = curl(format!("https://localhost:{port}/login"))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&https.stdout),
        "200 HTTPS",
        "{}",
        String::from_utf8_lossy(&https.stderr)
    );
    let plain = curl(format!("http://localhost:{port}/login"))
        .await
        .unwrap();
    assert_ne!(
        String::from_utf8_lossy(&plain.stdout),
        "200 HTTP",
        "no plain HTTP on the TLS port"
    );
    let (_, login) = console
        .send(console.request(Who::Anonymous, "GET", "/login", None))
        .await;
    assert!(
        login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure"),
        "cookies are Secure under HTTPS"
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_post_events_and_send_notifications_through_the_api_and_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    let sink = smtp_sink(&sink_dir);
    let console = Console::start(
        "127.0.0.1:9",
        &format!(
            "[channels.mail]\ntype = \"email\"\nsmtp = \"{}\"\nsecurity = \"none\"\nfrom = \"postwarden@corp.example\"\n",
            sink.address()
        ),
    )
    .await;
    let admin = &console.users[&Who::Admin];
    let events_token = postwarden_web::issue_token(
        &console.store,
        &console.state_keys(),
        admin,
        "producer",
        &[postwarden_web::Scope::Events],
        Duration::from_secs(600),
        Duration::from_secs(3600),
    )
    .await
    .unwrap()
    .token;
    let post = |uri: &str, body: String| {
        let mut request = console.request(Who::Anonymous, "POST", uri, Some(&body));
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {events_token}").parse().unwrap(),
        );
        request
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        console.send(request)
    };
    let events = serde_json::json!([
        {"kind": "bec.suspected", "severity": "warning", "source": "external", "summary": "CEO fraud attempt"},
        {"kind": "bec.suspected", "severity": "warning", "source": "external", "summary": "another"}
    ]);
    let (status, response) = post("/api/v1/events", events.to_string()).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        common::text(response).await
    );
    let stored = console
        .store
        .events(Utc::now() - Days::hours(1), Some("bec."), 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let bad = serde_json::json!([{"kind": "x", "severity": "loud", "source": "s"}]);
    let (status, response) = post("/api/v1/events", bad.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        common::text(response).await.contains("[0]"),
        "the bad event is named"
    );

    let send =
        serde_json::json!({"channel": "mail", "to": "oncall@corp.example", "text": "API test"});
    let (status, response) = post("/api/v1/notify/send", send.to_string()).await;
    let body: serde_json::Value = serde_json::from_str(&common::text(response).await).unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "sent", "{body}");
    let dumps = wait_for_dumps(&sink_dir, 1);
    assert!(
        dumps[0].contains("X-Rcpt-Args: <oncall@corp.example>") && dumps[0].contains("API test")
    );

    let (status, _) = console
        .call(
            Who::Admin,
            "POST",
            "/admin/notifications/test",
            Some("channel=mail&to=oncall%40corp.example"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let dumps = wait_for_dumps(&sink_dir, 2);
    assert!(
        dumps
            .iter()
            .any(|d| d.contains("postwarden test from admin@corp.example via the console"))
    );
    let (_, page) = console
        .call(Who::Admin, "GET", "/admin/notifications", None)
        .await;
    assert!(
        page.contains("oncall@corp.example"),
        "the audit lists both sends"
    );
    drop(sink);
}
