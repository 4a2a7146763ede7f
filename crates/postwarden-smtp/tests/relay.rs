//! The relay client's connection reuse. The next hop here is a scripted SMTP peer so the
//! test can count connections and close one at will (what Postfix's smtpd does to an idle
//! client after its timeout); the real next hops (smtp-sink, Postfix) are in the filter's
//! end-to-end tests.

use postwarden_smtp::MailParams;
use postwarden_smtp::client::{Outgoing, Relay, RelayConfig, RelayError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    messages: AtomicUsize,
}

/// A next hop that accepts every message and, with `close_after_each`, hangs up after it
/// without a word (as a server whose idle timer fired). It refuses recipients starting
/// with `refused` yet still answers DATA with 354, the worst case for a pipelining client.
async fn next_hop(close_after_each: bool) -> (String, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let counts = Arc::new(Counts::default());
    let shared = counts.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let counts = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 hop ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        counts.messages.fetch_add(1, Ordering::SeqCst);
                        b"250 2.0.0 queued\r\n"
                    } else if line.starts_with("EHLO") {
                        b"250-hop\r\n250 PIPELINING\r\n"
                    } else if line.starts_with("RCPT TO:<refused") {
                        b"550 5.1.1 no such user\r\n"
                    } else if line == "DATA" {
                        in_data = true;
                        b"354 go on\r\n"
                    } else {
                        b"250 2.0.0 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                    if reply.starts_with(b"250 2.0.0 queued") && close_after_each {
                        return;
                    }
                }
            });
        }
    });
    (address, counts)
}

async fn send(relay: &Relay, subject: &str) -> u16 {
    send_to(relay, subject, &["b@y.example"])
        .await
        .expect("relayed")
        .code
}

async fn send_to(
    relay: &Relay,
    subject: &str,
    to: &[&str],
) -> Result<postwarden_smtp::Reply, RelayError> {
    let recipients: Vec<String> = to.iter().map(|s| s.to_string()).collect();
    let message = format!("Subject: {subject}\r\n\r\nhi\r\n");
    let outgoing = Outgoing {
        xforward: &[],
        mail_from: "a@x.example",
        params: &MailParams::default(),
        recipients: &recipients,
        message: message.as_bytes(),
    };
    relay.send(outgoing).await
}

fn relay(address: String) -> Relay {
    Relay::new(RelayConfig {
        address,
        helo_name: "filter.test".into(),
        connect_timeout: Duration::from_secs(5),
        reply_timeout: Duration::from_secs(5),
    })
}

#[tokio::test]
async fn one_connection_serves_many_messages() {
    let (address, counts) = next_hop(false).await;
    let relay = relay(address);
    for i in 0..5 {
        assert_eq!(send(&relay, &format!("m{i}")).await, 250);
    }
    assert_eq!(counts.messages.load(Ordering::SeqCst), 5);
    assert_eq!(counts.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced() {
    let (address, counts) = next_hop(true).await;
    let relay = relay(address);
    for i in 0..3 {
        assert_eq!(send(&relay, &format!("m{i}")).await, 250, "message {i}");
    }
    assert_eq!(
        counts.messages.load(Ordering::SeqCst),
        3,
        "each exactly once"
    );
    assert_eq!(counts.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_refused_recipient_relays_nothing_even_after_354() {
    let (address, counts) = next_hop(false).await;
    let relay = relay(address);
    let error = send_to(&relay, "split", &["b@y.example", "refused@y.example"])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RelayError::Refused { stage: "RCPT TO", reply } if reply.code == 550),
        "{error}"
    );
    assert!(error.is_permanent());
    assert_eq!(
        send(&relay, "next").await,
        250,
        "the next message goes on a new connection"
    );
    assert_eq!(
        counts.messages.load(Ordering::SeqCst),
        1,
        "only the second message was delivered"
    );
    assert_eq!(
        counts.connections.load(Ordering::SeqCst),
        2,
        "the abandoned connection was not reused"
    );
}
