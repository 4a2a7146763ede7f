//! The console and the API through `router(state)` with `oneshot`: who may reach what
//! (one table, every route, every kind of caller), and what each route answers.

mod common;

use axum::http::StatusCode;
use common::{Console, Who};

/// A closed port: these tests release nothing.
const NOWHERE: &str = "127.0.0.1:9";

/// What each kind of caller gets from a route: `(route, [anonymous, admin, domain admin,
/// alice, bob, carol])`. `{alice}` is the id of alice's held message (also a message id),
/// `{carol}` carol's. Pages answer 303 (to the sign-in page) to the anonymous.
fn matrix() -> Vec<(&'static str, &'static str, [u16; 6])> {
    vec![
        // API: anonymous 401; someone else's item 404.
        ("GET", "/api/v1/me", [401, 200, 200, 200, 200, 200]),
        ("GET", "/api/v1/health", [401, 200, 200, 200, 200, 200]),
        ("GET", "/api/v1/messages", [401, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/messages/{alice}",
            [401, 200, 200, 200, 404, 404],
        ),
        (
            "GET",
            "/api/v1/messages/{carol}",
            [401, 200, 404, 404, 404, 200],
        ),
        ("GET", "/api/v1/quarantine", [401, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/quarantine/{alice}",
            [401, 200, 200, 200, 404, 404],
        ),
        (
            "GET",
            "/api/v1/quarantine/{carol}",
            [401, 200, 404, 404, 404, 200],
        ),
        (
            "POST",
            "/api/v1/quarantine/{carol}/release",
            [401, 0, 404, 404, 404, 0],
        ),
        (
            "POST",
            "/api/v1/quarantine/{alice}/delete",
            [401, 0, 0, 0, 404, 404],
        ),
        ("GET", "/api/v1/lists", [401, 200, 200, 200, 200, 200]),
        ("POST", "/api/v1/events", [401, 403, 403, 403, 403, 403]),
        (
            "POST",
            "/api/v1/notify/send",
            [401, 403, 403, 403, 403, 403],
        ),
        ("POST", "/api/v1/send", [401, 0, 0, 0, 0, 0]),
        (
            "GET",
            "/api/v1/nothing-here",
            [404, 404, 404, 404, 404, 404],
        ),
        // Console.
        ("GET", "/", [303, 200, 200, 200, 200, 200]),
        ("GET", "/messages", [303, 200, 200, 200, 200, 200]),
        ("GET", "/messages/{alice}", [303, 200, 200, 200, 404, 404]),
        ("GET", "/quarantine", [303, 200, 200, 200, 200, 200]),
        ("GET", "/quarantine/{alice}", [303, 200, 200, 200, 404, 404]),
        ("GET", "/quarantine/{carol}", [303, 200, 404, 404, 404, 200]),
        (
            "POST",
            "/quarantine/{carol}/release",
            [303, 0, 404, 404, 404, 0],
        ),
        (
            "POST",
            "/quarantine/{alice}/delete",
            [303, 0, 0, 0, 404, 404],
        ),
        ("GET", "/lists", [303, 200, 200, 200, 200, 200]),
        ("GET", "/settings", [303, 200, 200, 200, 200, 200]),
        ("GET", "/admin/users", [303, 200, 200, 403, 403, 403]),
        ("GET", "/admin/config", [303, 200, 403, 403, 403, 403]),
        ("GET", "/admin/health", [303, 200, 403, 403, 403, 403]),
        (
            "GET",
            "/admin/notifications",
            [303, 200, 403, 403, 403, 403],
        ),
        ("GET", "/admin/logs", [303, 200, 403, 403, 403, 403]),
        (
            "GET",
            "/admin/logs?since=7d",
            [303, 200, 403, 403, 403, 403],
        ),
        ("GET", "/login", [200, 200, 200, 200, 200, 200]),
        ("GET", "/assets/style.css", [200, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/openapi.json",
            [200, 200, 200, 200, 200, 200],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_each_kind_of_caller_as_the_table_says() {
    let console = Console::start(NOWHERE, "").await;
    let mut wrong = Vec::new();
    for (method, route, expected) in matrix() {
        let uri = route
            .replace("{alice}", &console.held[&Who::Alice])
            .replace("{carol}", &console.held[&Who::Carol]);
        for (who, want) in Who::ALL.into_iter().zip(expected) {
            if want == 0 {
                continue; // allowed and state-changing: covered by its own test
            }
            let body =
                (method == "POST").then_some(if route.starts_with("/api/") { "{}" } else { "" });
            let (status, text) = console.call(who, method, &uri, body).await;
            if status.as_u16() != want {
                wrong.push(format!(
                    "{who:?} {method} {route}: {status} (want {want}): {}",
                    text.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_lists_only_their_own_quarantine_with_the_contract_fields() {
    let console = Console::start(NOWHERE, "").await;
    let (status, body) = console
        .json(Who::Alice, "GET", "/api/v1/quarantine", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    let item = &items[0];
    assert_eq!(item["id"], console.held[&Who::Alice].as_str());
    assert_eq!(item["sender"], "evil@spam.example");
    assert_eq!(
        item["recipients"],
        serde_json::json!(["alice@corp.example"])
    );
    assert_eq!(item["subject"], "Cheap pills for alice@corp.example");
    assert_eq!(item["reason"], "spam, score 12.5");

    let (_, all) = console
        .json(Who::DomainAdmin, "GET", "/api/v1/quarantine", None)
        .await;
    assert_eq!(
        all.as_array().unwrap().len(),
        4,
        "corp.example's four: {all}"
    );
    let (_, all) = console
        .json(Who::Admin, "GET", "/api/v1/quarantine", None)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recipient_never_sees_the_other_recipients_of_a_message() {
    let console = Console::start(NOWHERE, "").await;
    let id = console
        .hold(
            "evil@spam.example",
            &["alice@corp.example", "secret-bcc@corp.example"],
            "Both",
        )
        .await;
    let (_, entry) = console
        .json(Who::Alice, "GET", &format!("/api/v1/quarantine/{id}"), None)
        .await;
    assert_eq!(
        entry["recipients"],
        serde_json::json!(["alice@corp.example"])
    );
    let (_, message) = console
        .json(Who::Alice, "GET", &format!("/api/v1/messages/{id}"), None)
        .await;
    assert_eq!(
        message["recipients"],
        serde_json::json!(["alice@corp.example"])
    );
    assert!(
        message["verdicts"].get("secret-bcc@corp.example").is_none(),
        "{message}"
    );
    let (_, message) = console
        .json(
            Who::DomainAdmin,
            "GET",
            &format!("/api/v1/messages/{id}"),
            None,
        )
        .await;
    assert_eq!(message["recipients"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_searched_by_sender_recipient_verdict_and_paged_by_cursor() {
    let console = Console::start(NOWHERE, "").await;
    let console = &console;
    let page = |uri: String| async move {
        let (status, response) = console
            .send(console.request(Who::Admin, "GET", &uri, None))
            .await;
        assert_eq!(status, StatusCode::OK);
        let cursor = response
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_string());
        let body: serde_json::Value = serde_json::from_str(&common::text(response).await).unwrap();
        (body, cursor)
    };
    let first = "/api/v1/messages?limit=2&action=quarantine";
    let (body, cursor) = page(first.to_string()).await;
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (page2, cursor2) = page(format!("{first}&cursor={}", cursor.unwrap())).await;
    let (page3, cursor3) = page(format!("{first}&cursor={}", cursor2.unwrap())).await;
    assert_eq!(page3.as_array().unwrap().len(), 1);
    assert!(cursor3.is_none(), "the last page has no next cursor");
    let mut ids: Vec<String> = [&body, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(ids.len(), 5, "three pages hold all five");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no message twice");

    let (_, bob) = console
        .json(
            Who::Admin,
            "GET",
            "/api/v1/messages?recipient=BOB@corp.example",
            None,
        )
        .await;
    assert_eq!(bob.as_array().unwrap().len(), 1);
    let (_, none) = console
        .json(Who::Admin, "GET", "/api/v1/messages?action=pass", None)
        .await;
    assert!(none.as_array().unwrap().is_empty());
    let (_, by_sender) = console
        .json(
            Who::Alice,
            "GET",
            "/api/v1/messages?sender=evil@spam.example",
            None,
        )
        .await;
    assert_eq!(
        by_sender.as_array().unwrap().len(),
        1,
        "alice sees her one only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_named_and_changes_nothing() {
    let console = Console::start(NOWHERE, "").await;
    let (status, body) = console
        .json(Who::Alice, "GET", "/api/v1/messages?limit=0", None)
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let (status, body) = console
        .json(Who::Alice, "GET", "/api/v1/messages?action=nuke", None)
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("action"))
    );
    let (status, body) = console
        .json(Who::Alice, "GET", "/api/v1/messages?cursor=..%2F..", None)
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("cursor"))
    );
    let (status, body) = console
        .json(Who::Alice, "GET", "/api/v1/messages?colour=red", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("colour"),
        "{body}"
    );

    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/lists",
            Some("{\"list\": \"allow\","),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/lists",
            Some(r#"{"list": "allow", "value": "a@b.example", "colour": 1}"#),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("colour"),
        "{body}"
    );
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/lists",
            Some(r#"{"list": "allow", "value": "x@y\r\nBcc: z@w"}"#),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("value")),
        "{body}"
    );
    let (status, body) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/lists",
            Some(r#"{"list": 7, "value": "a@b.example"}"#),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("list")),
        "{body}"
    );
    let (status, _) = console
        .json(
            Who::Alice,
            "POST",
            "/api/v1/lists",
            Some(r#"{"list": "allow", "value": "a@b.example", "owner": "global"}"#),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a user edits only their own list"
    );
    let (_, lists) = console.json(Who::Admin, "GET", "/api/v1/lists", None).await;
    assert!(lists.as_array().unwrap().is_empty(), "nothing was stored");

    let huge = format!(
        "{{\"list\": \"allow\", \"value\": \"{}\"}}",
        "a".repeat(400 * 1024)
    );
    let (status, body) = console
        .json(Who::Alice, "POST", "/api/v1/lists", Some(&huge))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    let mut request = console.request(Who::Alice, "POST", "/api/v1/lists", Some("list=allow"));
    request.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let (status, _) = console.send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    for odd in ["%2e%2e", "x'%20OR%20'1'='1", "%00", &"9".repeat(300)] {
        let (status, _) = console
            .call(
                Who::Admin,
                "GET",
                &format!("/api/v1/quarantine/{odd}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{odd}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_or_forged_token_is_refused() {
    let console = Console::start(NOWHERE, "").await;
    let token = console.tokens[&Who::Alice].clone();
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    for bad in [forged.as_str(), "not.a.token", ""] {
        let mut request = console.request(Who::Anonymous, "GET", "/api/v1/me", None);
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {bad}").parse().unwrap());
        let (status, _) = console.send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let user = &console.users[&Who::Alice];
    let tokens = console.store.tokens_of(user.id).await.unwrap();
    assert!(
        console
            .store
            .revoke_token(user.id, &tokens[0].jti, chrono::Utc::now())
            .await
            .unwrap()
    );
    let (status, _) = console.call(Who::Alice, "GET", "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");

    let bob = &console.users[&Who::Bob];
    console.store.set_disabled(bob.id, true).await.unwrap();
    let (status, _) = console.call(Who::Bob, "GET", "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "disabled user's token");
    let (status, response) = console
        .send(console.request(Who::Bob, "GET", "/", None))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "disabled user's session");
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

/// Another process (`postwarden users …`, another node) revoking a token or disabling a
/// user is seen within `[web] token_cache`: the token verified a moment ago is trusted
/// until then. With `token_cache = "0s"` it is refused at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_revoked_by_another_process_is_trusted_until_the_token_cache_ends() {
    for (cache, refused_at_once) in [("1h", false), ("0s", true)] {
        let console = Console::start(NOWHERE, &format!("[web]\ntoken_cache = \"{cache}\"\n")).await;
        let (status, _) = console.call(Who::Alice, "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);
        let elsewhere = postwarden_store::Store::connect(&console.config.database_url(), 1)
            .await
            .unwrap();
        let alice = &console.users[&Who::Alice];
        let jti = elsewhere.tokens_of(alice.id).await.unwrap()[0].jti.clone();
        assert!(
            elsewhere
                .revoke_token(alice.id, &jti, chrono::Utc::now())
                .await
                .unwrap()
        );
        let (status, _) = console.call(Who::Alice, "GET", "/api/v1/me", None).await;
        let expected = if refused_at_once {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(status, expected, "token_cache = {cache}");
        // Anything this process's store writes about users ends every cached entry.
        let bob = &console.users[&Who::Bob];
        console.store.set_disabled(bob.id, true).await.unwrap();
        let (status, _) = console.call(Who::Alice, "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "token_cache = {cache}");
        elsewhere.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn console_forms_without_the_session_csrf_token_are_refused() {
    let console = Console::start(NOWHERE, "").await;
    let (cookie, _) = &console.sessions[&Who::Alice];
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/settings")
        .header("cookie", cookie.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("spam_score=1&csrf=forged"))
        .unwrap();
    let (status, _) = console.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = console
        .call(
            Who::Alice,
            "POST",
            "/settings",
            Some("spam_score=3.5&digest=weekly"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let alice = console
        .store
        .user_by_address("alice@corp.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.settings.spam_score, Some(3.5));
    let (status, text) = console
        .call(
            Who::Alice,
            "POST",
            "/settings",
            Some("quarantine_score=9&reject_score=4"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("reject_score"), "the page names the field");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_sets_a_new_session_and_wrong_passwords_are_throttled() {
    let console = Console::start(NOWHERE, "[web]\nthrottle_account = 3\n").await;
    let (_, login) = console
        .send(console.request(Who::Anonymous, "GET", "/login", None))
        .await;
    let set = login.headers()["set-cookie"].to_str().unwrap().to_string();
    let login_cookie = set.split(';').next().unwrap().to_string();
    let csrf = login_cookie.split_once('=').unwrap().1.to_string();
    let post = |password: &str| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/login")
            .header("cookie", login_cookie.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!(
                "csrf={csrf}&next=%2Fquarantine&address=alice%40corp.example&password={}",
                password.replace(' ', "+")
            )))
            .unwrap()
    };
    let (status, response) = console.send(post(common::PASSWORD)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/quarantine");
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("pw_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert_ne!(
        session.split(';').next().unwrap(),
        console.sessions[&Who::Alice].0,
        "a new id"
    );

    for _ in 0..3 {
        let (status, text) = console.send(post("wrong password")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            common::text(text)
                .await
                .contains("wrong address or password")
        );
    }
    let (status, response) = console.send(post(common::PASSWORD)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(response.headers().contains_key("retry-after"));
    let failures = console
        .store
        .events(
            chrono::Utc::now() - chrono::Duration::hours(1),
            Some("auth.web_failed"),
            100,
        )
        .await
        .unwrap();
    assert_eq!(failures.len(), 3, "one auth.web_failed event per failure");
    assert!(
        failures
            .iter()
            .all(|e| !e.event.summary.contains("wrong password")),
        "no password in events"
    );

    let forged = axum::http::Request::builder()
        .method("POST")
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(
            "csrf=x&address=bob%40corp.example&password=x",
        ))
        .unwrap();
    let (status, _) = console.send(forged).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no login CSRF cookie, no sign-in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let console = Console::start(NOWHERE, "").await;
    for (who, uri) in [
        (Who::Anonymous, "/login"),
        (Who::Alice, "/"),
        (Who::Alice, "/api/v1/me"),
        (Who::Anonymous, "/api/v1/me"),
    ] {
        let (_, response) = console.send(console.request(who, "GET", uri, None)).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_senders_subjects_and_file_names_come_out_escaped_on_every_page() {
    let console = Console::start(NOWHERE, "").await;
    let id = console
        .hold(
            "<script>alert(1)</script>@x.example",
            &["alice@corp.example"],
            "<img src=x onerror=alert(2)>\"'",
        )
        .await;
    for uri in [
        "/".to_string(),
        "/quarantine".into(),
        format!("/quarantine/{id}"),
        "/messages".into(),
        format!("/messages/{id}"),
    ] {
        let (status, html) = console.call(Who::Alice, "GET", &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(!html.contains("<script>alert"), "{uri} shows raw markup");
        assert!(!html.contains("<img src=x"), "{uri} shows raw markup");
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt;") || !html.contains("onerror"),
            "{uri}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_page_shows_detections_from_the_log_watcher_escaped() {
    let console = Console::start(NOWHERE, "").await;
    let mut event = postwarden_core::Event::new(
        chrono::Utc::now(),
        "auth.bruteforce",
        postwarden_core::Severity::Warning,
        "logs",
        "12 failures for <script>x</script> from 203.0.113.5",
    );
    event.ip = Some("203.0.113.5".parse().unwrap());
    console.store.insert_event(&event).await.unwrap();
    let (status, html) = console
        .call(Who::Admin, "GET", "/admin/logs?since=24h", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Authentication report"));
    assert!(
        html.contains("12 failures for &lt;script&gt;x&lt;&#x2f;script&gt; from 203.0.113.5"),
        "{html}"
    );
    assert!(!html.contains("<script>x"));
    let (status, page) = console
        .call(Who::Admin, "GET", "/admin/logs?since=soon", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("since"), "the page names the field");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_every_api_route() {
    let console = Console::start(NOWHERE, "").await;
    let (status, doc) = console
        .json(Who::Anonymous, "GET", "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, route, _) in matrix() {
        let Some(path) = route.strip_prefix("/api/v1") else {
            continue;
        };
        if path == "/nothing-here" || path == "/openapi.json" {
            continue;
        }
        let path = path.replace("{alice}", "{id}").replace("{carol}", "{id}");
        let path = path.split('?').next().unwrap();
        assert!(
            paths
                .get(path)
                .and_then(|p| p.get(method.to_lowercase()))
                .is_some(),
            "{method} {path} is not in openapi.json"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_or_old_session_ends() {
    let console = Console::start(
        NOWHERE,
        "[web]\nsession_idle = \"1h\"\nsession_max = \"1d\"\n",
    )
    .await;
    let (status, _) = console.call(Who::Alice, "GET", "/", None).await;
    assert_eq!(status, StatusCode::OK);
    let (cookie, _) = &console.sessions[&Who::Alice];
    let hash = postwarden_web::auth::session::id_hash(cookie.split_once('=').unwrap().1);
    console
        .store
        .touch_session(&hash, chrono::Utc::now() - chrono::Duration::minutes(61))
        .await
        .unwrap();
    let (status, response) = console
        .send(console.request(Who::Alice, "GET", "/", None))
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "idle for more than session_idle"
    );
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert!(
        console.store.session(&hash).await.unwrap().is_none(),
        "and removed"
    );

    let (cookie, _) = &console.sessions[&Who::Bob];
    let hash = postwarden_web::auth::session::id_hash(cookie.split_once('=').unwrap().1);
    let mut session = console.store.session(&hash).await.unwrap().unwrap();
    console.store.delete_session(&hash).await.unwrap();
    session.created = chrono::Utc::now() - chrono::Duration::hours(25);
    session.last_seen = chrono::Utc::now();
    console.store.create_session(&session).await.unwrap();
    let (status, _) = console.call(Who::Bob, "GET", "/", None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "older than session_max, however busy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn console_actions_make_tokens_lists_users_and_bulk_changes_for_their_owners_only() {
    let console = Console::start(NOWHERE, "").await;
    // A token made in the console, shown once, with the scopes asked for.
    let (status, page) = console
        .call(
            Who::Alice,
            "POST",
            "/settings/tokens",
            Some("name=phone&expires=7d&scope=read"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = page
        .split("<pre class=\"token\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the token on the page")
        .to_string();
    let call = |token: &str, method: &str, uri: &str, body: Option<&str>| {
        let mut request = console.request(Who::Anonymous, method, uri, body);
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        if body.is_some() {
            request
                .headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
        }
        console.send(request)
    };
    assert_eq!(
        call(&token, "GET", "/api/v1/me", None).await.0,
        StatusCode::OK
    );
    let (status, _) = call(
        &token,
        "POST",
        "/api/v1/lists",
        Some(r#"{"list":"allow","value":"a@b.example"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read only");
    let alice = console.users[&Who::Alice].id;
    let jti = console.store.tokens_of(alice).await.unwrap()[0].jti.clone();
    let revoke = format!("/settings/tokens/{jti}/revoke");
    assert_eq!(
        console.call(Who::Bob, "POST", &revoke, Some("")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        console.call(Who::Alice, "POST", &revoke, Some("")).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        call(&token, "GET", "/api/v1/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Lists: mine to add and remove, not bob's.
    let (status, _) = console
        .call(
            Who::Alice,
            "POST",
            "/lists",
            Some("list=block&field=sender&value=%40pushy.example"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let entries = console
        .store
        .owned_list_entries(&[Some("alice@corp.example".into())])
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let remove = format!("/lists/{}/delete", entries[0].id);
    assert_eq!(
        console.call(Who::Bob, "POST", &remove, Some("")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        console.call(Who::Alice, "POST", &remove, Some("")).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, _) = console
        .call(
            Who::Alice,
            "POST",
            "/lists",
            Some("list=block&value=%40x.example&owner=global"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Users: a domain admin adds plain users of their domain only.
    let add = |address: &str, role: &str| {
        format!(
            "address={}&role={role}&password=long+enough+secret",
            address.replace('@', "%40")
        )
    };
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                "/admin/users",
                Some(&add("new@corp.example", "user"))
            )
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                "/admin/users",
                Some(&add("new@other.example", "user"))
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                "/admin/users",
                Some(&add("boss@corp.example", "admin"))
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        console
            .call(
                Who::Alice,
                "POST",
                "/admin/users",
                Some(&add("x@corp.example", "user"))
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        console
            .call(
                Who::Admin,
                "POST",
                "/admin/users",
                Some(&add("new@corp.example", "user"))
            )
            .await
            .0,
        StatusCode::CONFLICT
    );
    let bob = console.users[&Who::Bob].id;
    let carol = console.users[&Who::Carol].id;
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                &format!("/admin/users/{carol}"),
                Some("action=disable")
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                &format!("/admin/users/{bob}"),
                Some("action=disable")
            )
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        console.call(Who::Bob, "GET", "/", None).await.0,
        StatusCode::SEE_OTHER,
        "bob's session ended"
    );
    assert_eq!(
        console
            .call(
                Who::DomainAdmin,
                "POST",
                &format!("/admin/users/{bob}"),
                Some("action=role&role=admin")
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Bulk: the admin deletes two held messages at once.
    let (a, c) = (
        console.held[&Who::Alice].clone(),
        console.held[&Who::Carol].clone(),
    );
    let (status, _) = console
        .call(
            Who::Admin,
            "POST",
            "/quarantine/bulk",
            Some(&format!("ids={a}&ids={c}&action=delete")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for id in [&a, &c] {
        assert!(
            console
                .store
                .quarantine_entry(id)
                .await
                .unwrap()
                .unwrap()
                .deleted
                .is_some()
        );
    }
    assert_eq!(
        console
            .call(
                Who::Admin,
                "POST",
                "/quarantine/bulk",
                Some("action=delete")
            )
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // No channel: the test form names the field.
    let (status, page) = console
        .call(
            Who::Admin,
            "POST",
            "/admin/notifications/test",
            Some("channel=sms&to=%2B4915112345678"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("channel"));

    // A password change ends every session, this one too.
    let (status, _) = console
        .call(
            Who::Carol,
            "POST",
            "/settings/password",
            Some("current=wrong&new=another+long+one&confirm=another+long+one"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, response) = console
        .send(console.request(
            Who::Carol,
            "POST",
            "/settings/password",
            Some("current=correct+horse+battery&new=another+long+one&confirm=another+long+one"),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert_eq!(
        console.call(Who::Carol, "GET", "/", None).await.0,
        StatusCode::SEE_OTHER
    );
    postwarden_web::auth::sign_in(
        &console.state,
        "192.0.2.9",
        "carol@other.example",
        "another long one",
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_shows_each_users_own_worker_answer_to_that_user_only() {
    use postwarden_core::RequestState;
    use postwarden_store::RequestRecord;
    let console = Console::start(NOWHERE, "").await;
    let id = console
        .hold(
            "news@letters.example",
            &["alice@corp.example", "bob@corp.example"],
            "Weekly",
        )
        .await;
    let sent = chrono::Utc::now();
    let request = |user: &str, state, action: &str, detail: &str| RequestRecord {
        request_id: format!("{id}-{user}"),
        message_id: id.clone(),
        route_id: 1,
        user_address: user.into(),
        recipients: vec![user.into()],
        node: "mx1".into(),
        state,
        action: Some(action.into()),
        tags: vec!["newsletter".into()],
        findings: None,
        detail: Some(detail.into()),
        sent,
        answered: Some(sent + chrono::Duration::milliseconds(4)),
        deadline: sent + chrono::Duration::hours(24),
    };
    console
        .store
        .record_requests(&[
            request(
                "alice@corp.example",
                RequestState::Answered,
                "tag",
                "weekly digest",
            ),
            request(
                "bob@corp.example",
                RequestState::Held,
                "delay",
                "<script>bob-private</script>",
            ),
        ])
        .await
        .unwrap();

    let uri = format!("/api/v1/messages/{id}");
    let (_, alices) = console.json(Who::Alice, "GET", &uri, None).await;
    let processing = alices["processing"].as_array().unwrap();
    assert_eq!(processing.len(), 1, "only her own worker's: {alices}");
    assert_eq!(processing[0]["user"], "alice@corp.example");
    assert_eq!(processing[0]["state"], "answered");
    assert_eq!(processing[0]["action"], "tag");
    assert_eq!(processing[0]["tags"], serde_json::json!(["newsletter"]));
    assert_eq!(processing[0]["latency_ms"], 4.0);
    let (_, admins) = console.json(Who::DomainAdmin, "GET", &uri, None).await;
    assert_eq!(
        admins["processing"].as_array().unwrap().len(),
        2,
        "the domain admin sees both: {admins}"
    );
    let (status, _) = console.call(Who::Carol, "GET", &uri, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not carol's message");
    let (_, listing) = console
        .json(
            Who::Alice,
            "GET",
            "/api/v1/messages?sender=news@letters.example",
            None,
        )
        .await;
    assert!(
        listing[0].get("processing").is_none(),
        "a listing leaves it out: {listing}"
    );

    let page = format!("/messages/{id}");
    let (_, html) = console.call(Who::Alice, "GET", &page, None).await;
    assert!(html.contains("Per-user processing"), "{html}");
    assert!(html.contains("weekly digest"));
    assert!(
        !html.contains("bob-private"),
        "bob's worker is bob's business"
    );
    let (_, html) = console.call(Who::DomainAdmin, "GET", &page, None).await;
    assert!(
        html.contains("&lt;script&gt;bob-private"),
        "escaped: {html}"
    );
    assert!(!html.contains("<script>bob-private"));
    assert!(
        html.contains("held</span> until"),
        "a held copy says until when"
    );
    let other = console.held[&Who::Bob].clone();
    let (_, html) = console
        .call(Who::Bob, "GET", &format!("/messages/{other}"), None)
        .await;
    assert!(
        !html.contains("Per-user processing"),
        "no section without requests"
    );
}
