//! The milter with a real, private Postfix (`smtpd_milters`, `milter_default_action =
//! tempfail`): what the sending client is told in its own session, and what Postfix
//! delivers — a clean message with our headers, a tagged one, a refused one (5xx in the
//! session, no bounce), one held for some recipients and delivered to the others, and the
//! milter gone (4xx: nothing accepted, nothing lost).

use postwarden_core::{Config, Secret};
use postwarden_filter::Filter;
use postwarden_filter::milter::{Listener, serve};
use postwarden_filter::quarantine::Quarantine;
use postwarden_smtp::client::{Outgoing, Relay, RelayConfig, RelayError};
use postwarden_smtp::{MailParams, Reply};
use postwarden_store::Store;
use postwarden_testkit::daemons::free_port;
use postwarden_testkit::postfix::Postfix;
use std::sync::Arc;
use std::time::Duration;

/// Sends one message to Postfix as an outside client would; Postfix's reply to DATA.
async fn send(port: u16, from: &str, to: &[&str], message: &str) -> Reply {
    let recipients: Vec<String> = to.iter().map(|s| s.to_string()).collect();
    let relay = Relay::new(RelayConfig {
        address: format!("127.0.0.1:{port}"),
        helo_name: "client.sender.example".into(),
        connect_timeout: Duration::from_secs(10),
        reply_timeout: Duration::from_secs(60),
    });
    let outgoing = Outgoing {
        xforward: &[],
        mail_from: from,
        params: &MailParams::default(),
        recipients: &recipients,
        message: message.as_bytes(),
    };
    match relay.send(outgoing).await {
        Ok(reply) => reply,
        Err(RelayError::Refused { reply, .. }) => reply,
        Err(other) => panic!("talking to Postfix failed: {other}"),
    }
}

fn message(from: &str, to: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@sender.example>\r\n\r\nHello.\r\n",
        subject.replace(' ', "-")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_asks_the_milter_and_the_client_hears_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_toml(
        "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@blocked.example\"]\n\
         [filter.policy]\nsubject_prefix = \"[SUSPECT]\"\n\
         [filter.policy.domains.\"tag.example\"]\nblocked = \"tag\"\n\
         [filter.policy.domains.\"hold.example\"]\nblocked = \"quarantine\"\n",
    )
    .unwrap();
    let url = Secret::new(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pw.db").display()
    ));
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let filter = Filter::build(
        &config.filter,
        &config.dns,
        "mx.test.example",
        Quarantine::new(dir.path().join("quarantine")),
        Some(store.clone()),
    )
    .await
    .unwrap();
    let milter_port = free_port();
    let listener = Listener::bind(&format!("127.0.0.1:{milter_port}"), None)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let milter = tokio::spawn(serve(listener, Arc::new(filter), 1_000_000, async {
        let _ = stopped.await;
    }));
    let root = dir.path().join("pf");
    let postfix = tokio::task::spawn_blocking(move || {
        Postfix::start_with(
            &root,
            free_port(),
            free_port(),
            &["ok.example", "tag.example", "hold.example"],
            &format!(
                "content_filter =\nsmtpd_milters = inet:127.0.0.1:{milter_port}\n\
                 milter_default_action = tempfail\n\
                 milter_connect_macros = j {{client_addr}} {{client_name}} v\n\
                 milter_end_of_data_macros = i\n"
            ),
        )
    })
    .await
    .unwrap();
    let port = postfix.port;

    let clean = send(
        port,
        "friend@sender.example",
        &["a@ok.example"],
        &message("friend@sender.example", "a@ok.example", "clean"),
    )
    .await;
    assert_eq!(clean.code, 250, "{clean}");

    let refused = send(
        port,
        "spam@blocked.example",
        &["a@ok.example"],
        &message("spam@blocked.example", "a@ok.example", "refused"),
    )
    .await;
    assert_eq!(refused.code, 550, "at RCPT, in the session: {refused}");
    assert!(refused.to_string().contains("blocked"), "{refused}");

    let tagged = send(
        port,
        "spam@blocked.example",
        &["b@tag.example"],
        &message("spam@blocked.example", "b@tag.example", "tagged"),
    )
    .await;
    assert_eq!(tagged.code, 250, "{tagged}");

    let split = send(
        port,
        "spam@blocked.example",
        &["c@hold.example", "d@tag.example"],
        &message("spam@blocked.example", "c@hold.example", "split"),
    )
    .await;
    assert_eq!(split.code, 250, "{split}");

    postfix.wait_until("three copies delivered", |p| p.delivered().len() >= 3);
    let delivered = postfix.delivered();
    assert_eq!(delivered.len(), 3, "{delivered:#?}\n{}", postfix.log());
    let clean_copy = delivered
        .iter()
        .find(|m| m.contains("Subject: clean"))
        .unwrap();
    assert!(
        clean_copy.contains("X-Postwarden-Verdict: pass"),
        "{clean_copy}"
    );
    let tagged_copy = delivered
        .iter()
        .find(|m| m.contains("tagged") && m.contains("b@tag.example"))
        .unwrap();
    assert!(tagged_copy.contains("X-Spam-Flag: YES"), "{tagged_copy}");
    assert!(
        tagged_copy.contains("Subject: [SUSPECT] tagged"),
        "{tagged_copy}"
    );
    let split_copy = delivered.iter().find(|m| m.contains("split")).unwrap();
    assert!(
        split_copy.contains("d@tag.example")
            && !split_copy.contains("Delivered-To: c@hold.example"),
        "only the tag.example recipient got it: {split_copy}"
    );
    let held = store.quarantine_entries(10).await.unwrap();
    assert_eq!(held.len(), 1, "kept for c@hold.example");
    assert_eq!(held[0].recipients, vec!["c@hold.example".to_string()]);
    assert!(
        !postfix.log().contains("postmaster")
            && !delivered.iter().any(|m| m.contains("Undelivered")),
        "no bounce"
    );

    // The milter gone: the client is told to come back (4xx), nothing is accepted.
    let _ = stop.send(());
    milter.await.unwrap();
    let deferred = send(
        port,
        "friend@sender.example",
        &["a@ok.example"],
        &message("friend@sender.example", "a@ok.example", "later"),
    )
    .await;
    assert_eq!(deferred.code / 100, 4, "{deferred}");
    assert_eq!(postfix.delivered().len(), 3);
}
