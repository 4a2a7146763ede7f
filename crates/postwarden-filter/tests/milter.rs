//! The milter with a real, private Postfix (`smtpd_milters`, `milter_default_action =
//! tempfail`): what the sending client is told in its own session, and what Postfix
//! delivers — a clean message with our headers, a tagged one, a refused one (5xx in the
//! session, no bounce), one held for some recipients and delivered to the others, and the
//! milter gone (4xx: nothing accepted, nothing lost); real spamd and clamd behind it (the
//! clean body delivered as sent, GTUBE tagged, EICAR refused with 554 in the client's
//! session, no bounce); a shutdown with a message under way
//! (answered, then the next one deferred). Then clients that misbehave, spoken to in the
//! milter protocol directly: garbage, a huge length, a close mid-message, a body over the
//! limit, silence — each gets the protocol's answer and the milter goes on serving.

use postwarden_core::Config;
use postwarden_core::config::MilterConfig;
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

const CONFIG: &str = "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@blocked.example\"]\n\
     [filter.policy]\nsubject_prefix = \"[SUSPECT]\"\n\
     [filter.policy.domains.\"tag.example\"]\nblocked = \"tag\"\n\
     [filter.policy.domains.\"hold.example\"]\nblocked = \"quarantine\"\n";

/// A filter (lists processor, the policy above) on a fresh SQLite store in `dir`.
async fn filter(dir: &std::path::Path) -> (Filter, Store) {
    filter_with(dir, CONFIG).await
}

/// A filter with the `[filter]` configuration `toml` on a fresh SQLite store in `dir`.
async fn filter_with(dir: &std::path::Path, toml: &str) -> (Filter, Store) {
    let config = Config::from_toml(toml).unwrap();
    let store = postwarden_testkit::database::sqlite_store(dir).await;
    let filter = Filter::build(
        &config.filter,
        &config.dns,
        "mx.test.example",
        Quarantine::new(dir.join("quarantine")),
        Some(store.clone()),
    )
    .await
    .unwrap();
    (filter, store)
}

/// The milter on a free port, running until the sender is used or dropped.
async fn milter(
    filter: Filter,
    config: MilterConfig,
) -> (
    u16,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let port = free_port();
    let listener = Listener::bind(&format!("127.0.0.1:{port}"), None)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        serve(listener, Arc::new(filter), &config, async {
            let _ = stopped.await;
        })
        .await
    });
    (port, stop, running)
}

/// A private Postfix whose smtpd asks the milter on `milter_port`.
async fn postfix(dir: &std::path::Path, milter_port: u16) -> Postfix {
    let root = dir.join("pf");
    tokio::task::spawn_blocking(move || {
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
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_asks_the_milter_and_the_client_hears_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, store) = filter(dir.path()).await;
    let (milter_port, stop, milter) = milter(filter, MilterConfig::default()).await;
    let postfix = postfix(dir.path(), milter_port).await;
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

#[tokio::test(flavor = "multi_thread")]
async fn spamd_and_clamd_judge_in_the_session_gtube_tagged_eicar_refused_with_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let spamd = postwarden_testkit::scanners::spamd();
    let clamd = postwarden_testkit::scanners::clamd(dir.path());
    let (filter, store) = filter_with(
        dir.path(),
        &format!(
            "[[filter.processors]]\ntype = \"clamav\"\naddress = \"{}\"\n\
             [[filter.processors]]\ntype = \"spamassassin\"\naddress = \"{}\"\n\
             [filter.policy]\nsubject_prefix = \"***SPAM***\"\n",
            clamd.address(),
            spamd.address()
        ),
    )
    .await;
    let (milter_port, _stop, _milter) = milter(filter, MilterConfig::default()).await;
    let postfix = postfix(dir.path(), milter_port).await;

    let clean_body = "Hello.\r\nA second line, left as it was.\r\n";
    let clean = send(
        postfix.port,
        "friend@sender.example",
        &["a@ok.example"],
        &format!(
            "From: friend@sender.example\r\nTo: a@ok.example\r\nSubject: clean\r\n\r\n{clean_body}"
        ),
    )
    .await;
    assert_eq!(clean.code, 250, "{clean}");

    let gtube = send(
        postfix.port,
        "friend@sender.example",
        &["b@ok.example"],
        &format!(
            "From: friend@sender.example\r\nTo: b@ok.example\r\nSubject: offer\r\n\r\n{}\r\n",
            postwarden_testkit::scanners::GTUBE
        ),
    )
    .await;
    assert_eq!(gtube.code, 250, "tagged, not refused: {gtube}");

    let eicar = send(
        postfix.port,
        "friend@sender.example",
        &["c@ok.example"],
                // EICAR as a base64 attachment, as a virus arrives (clamd decodes MIME and finds it).
        "From: friend@sender.example\r\nTo: c@ok.example\r\nSubject: invoice\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
         --b\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=eicar.com\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=\r\n\
         --b--\r\n",
    )
    .await;
    assert_eq!(
        eicar.code, 554,
        "refused in the client's own session: {eicar}"
    );
    assert!(
        eicar.to_string().contains("ref "),
        "with our reference: {eicar}"
    );

    postfix.wait_until("the clean and the tagged copies", |p| {
        p.delivered().len() >= 2
    });
    let delivered = postfix.delivered();
    assert_eq!(delivered.len(), 2, "EICAR never delivered: {delivered:#?}");
    let clean_copy = delivered
        .iter()
        .find(|m| m.contains("Subject: clean"))
        .unwrap();
    let lf = |s: &str| s.replace("\r\n", "\n").trim_end().to_owned();
    assert!(
        lf(clean_copy).ends_with(&lf(clean_body)),
        "the body as it was sent: {clean_copy}"
    );
    assert!(
        clean_copy.contains("X-Postwarden-Verdict: pass"),
        "{clean_copy}"
    );
    let tagged = delivered.iter().find(|m| m.contains("offer")).unwrap();
    assert!(
        tagged.contains("X-Spam-Flag: YES") && tagged.contains("Subject: ***SPAM*** offer"),
        "{tagged}"
    );
    assert!(
        !postfix.log().contains("postmaster")
            && !delivered.iter().any(|m| m.contains("Undelivered")),
        "no bounce for the refused message"
    );
    assert_eq!(recorded(&store).await, 3, "every message recorded");
}

/// One line of Postfix's SMTP replies (the last line of a multi-line one).
async fn smtp_reply(reader: &mut (impl tokio::io::AsyncBufRead + Unpin)) -> String {
    use tokio::io::AsyncBufReadExt;
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).await.unwrap() > 0,
            "Postfix closed"
        );
        if line.as_bytes().get(3) != Some(&b'-') {
            return line.trim_end().to_string();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_under_way_at_shutdown_is_answered_and_the_next_one_deferred() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let (filter, _store) = filter(dir.path()).await;
    let (milter_port, stop, mut milter) = milter(filter, MilterConfig::default()).await;
    let postfix = postfix(dir.path(), milter_port).await;

    let stream = tokio::net::TcpStream::connect(("127.0.0.1", postfix.port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read);
    assert!(smtp_reply(&mut read).await.starts_with("220"));
    for (command, expected) in [
        ("EHLO client.sender.example", "250"),
        ("MAIL FROM:<friend@sender.example>", "250"),
        ("RCPT TO:<a@ok.example>", "250"),
        ("DATA", "354"),
    ] {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        let reply = smtp_reply(&mut read).await;
        assert!(reply.starts_with(expected), "{command}: {reply}");
    }
    write
        .write_all(b"From: friend@sender.example\r\nTo: a@ok.example\r\nSubject: in flight\r\n")
        .await
        .unwrap();

    // Shutdown while the message is under way: the milter must wait for it.
    stop.send(()).unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), &mut milter).await;
    assert!(
        early.is_err(),
        "the milter stopped with a message under way"
    );

    write.write_all(b"\r\nStill here.\r\n.\r\n").await.unwrap();
    let reply = smtp_reply(&mut read).await;
    assert!(reply.starts_with("250"), "the message in flight: {reply}");
    tokio::time::timeout(Duration::from_secs(30), milter)
        .await
        .expect("the milter stops once the message is answered")
        .unwrap();

    write
        .write_all(b"MAIL FROM:<friend@sender.example>\r\n")
        .await
        .unwrap();
    let next = smtp_reply(&mut read).await;
    assert!(
        next.starts_with('4'),
        "the next message is deferred: {next}"
    );

    postfix.wait_until("the message in flight delivered", |p| {
        !p.delivered().is_empty()
    });
    let delivered = postfix.delivered();
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0].contains("Subject: in flight")
            && delivered[0].contains("X-Postwarden-Verdict: pass"),
        "{}",
        delivered[0]
    );
}

/// A milter client speaking the protocol by hand (packets: a 4-octet length, a command
/// letter, its data), as a broken or hostile client might.
struct Client(tokio::net::TcpStream);

/// Postfix 3's option negotiation: protocol version 6, every action, every protocol flag.
const OPTNEG: [u8; 12] = [0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff];

impl Client {
    async fn connect(port: u16) -> Self {
        Self(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap(),
        )
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.0.write_all(bytes).await.unwrap();
    }

    async fn send(&mut self, command: u8, data: &[u8]) {
        let mut packet = ((data.len() + 1) as u32).to_be_bytes().to_vec();
        packet.push(command);
        packet.extend_from_slice(data);
        self.send_raw(&packet).await;
    }

    /// The next packet, or `None` once the milter has closed the connection.
    async fn recv(&mut self) -> Option<(u8, Vec<u8>)> {
        use tokio::io::AsyncReadExt;
        let read = async {
            let mut length = [0u8; 4];
            self.0.read_exact(&mut length).await.ok()?;
            let mut packet = vec![0u8; u32::from_be_bytes(length) as usize];
            self.0.read_exact(&mut packet).await.ok()?;
            let command = *packet.first()?;
            Some((command, packet[1..].to_vec()))
        };
        tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .expect("the milter neither answered nor closed")
    }

    async fn ask(&mut self, command: u8, data: &[u8]) -> (u8, Vec<u8>) {
        self.send(command, data).await;
        self.recv().await.expect("an answer")
    }

    /// Option negotiation, connection and HELO, as Postfix opens a session.
    async fn open(port: u16) -> Self {
        let mut client = Self::connect(port).await;
        assert_eq!(client.ask(b'O', &OPTNEG).await.0, b'O');
        assert_eq!(
            client
                .ask(b'C', b"client.example\x004\x30\x39192.0.2.1\0")
                .await
                .0,
            b'c'
        );
        assert_eq!(client.ask(b'H', b"client.example\0").await.0, b'c');
        client
    }

    /// MAIL, RCPT, one header and `body`; then the end of the message: the packets
    /// answered up to the final action.
    async fn message(&mut self, body: &[u8]) -> Vec<(u8, Vec<u8>)> {
        assert_eq!(self.ask(b'M', b"<friend@sender.example>\0").await.0, b'c');
        assert_eq!(self.ask(b'R', b"<a@ok.example>\0").await.0, b'c');
        assert_eq!(self.ask(b'L', b"Subject\0hello\0").await.0, b'c');
        assert_eq!(self.ask(b'N', b"").await.0, b'c');
        for chunk in body.chunks(60_000) {
            assert_eq!(self.ask(b'B', chunk).await.0, b'c');
        }
        self.send(b'E', b"").await;
        let mut answers = Vec::new();
        while let Some((command, data)) = self.recv().await {
            answers.push((command, data));
            if matches!(command, b'a' | b'c' | b'd' | b'r' | b't' | b'y') {
                break;
            }
        }
        answers
    }
}

fn final_action(answers: &[(u8, Vec<u8>)]) -> (char, String) {
    let (command, data) = answers.last().expect("an answer to the end of the message");
    (
        char::from(*command),
        String::from_utf8_lossy(data).into_owned(),
    )
}

async fn recorded(store: &Store) -> usize {
    let query = postwarden_store::MessageQuery {
        visibility: postwarden_store::Visibility::All,
        sender: None,
        recipient: None,
        action: None,
        since: None,
        until: None,
        id: None,
        after: None,
        limit: 100,
    };
    store.search_messages(&query).await.unwrap().len()
}

#[tokio::test]
async fn garbage_a_huge_length_and_an_unknown_command_close_only_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, store) = filter(dir.path()).await;
    let (port, _stop, _milter) = milter(filter, MilterConfig::default()).await;

    let mut http = Client::connect(port).await;
    http.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(
        http.recv().await,
        None,
        "an HTTP request is not a milter packet"
    );

    let mut huge = Client::connect(port).await;
    huge.send_raw(&[0xff, 0xff, 0xff, 0xff, b'B']).await;
    assert_eq!(huge.recv().await, None, "a 4 GiB packet is refused unread");

    let mut unknown = Client::open(port).await;
    unknown.send(b'Z', b"what is this").await;
    assert_eq!(unknown.recv().await, None, "an unknown command");

    let mut fine = Client::open(port).await;
    let answers = fine.message(b"Hello.\r\n").await;
    assert_eq!(final_action(&answers).0, 'c', "{answers:?}");
    assert_eq!(recorded(&store).await, 1);
}

#[tokio::test]
async fn a_client_gone_mid_message_leaves_no_record_and_no_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, store) = filter(dir.path()).await;
    let (port, _stop, _milter) = milter(filter, MilterConfig::default()).await;

    let mut gone = Client::open(port).await;
    assert_eq!(gone.ask(b'M', b"<friend@sender.example>\0").await.0, b'c');
    assert_eq!(gone.ask(b'R', b"<a@ok.example>\0").await.0, b'c');
    assert_eq!(gone.ask(b'B', b"half a mess").await.0, b'c');
    drop(gone);

    let mut next = Client::open(port).await;
    let answers = next.message(b"Whole.\r\n").await;
    assert_eq!(final_action(&answers).0, 'c', "{answers:?}");
    assert_eq!(recorded(&store).await, 1, "only the whole message");
    assert!(store.quarantine_entries(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_552_in_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, store) = filter(dir.path()).await;
    let config = MilterConfig {
        max_message_size: 100_000,
        ..MilterConfig::default()
    };
    let (port, _stop, _milter) = milter(filter, config).await;

    let mut client = Client::open(port).await;
    let answers = client.message(&vec![b'x'; 250_000]).await;
    let (action, text) = final_action(&answers);
    assert_eq!(action, 'y', "{answers:?}");
    assert!(text.starts_with("552 5.3.4"), "{text}");
    assert!(text.contains("100000"), "names the limit: {text}");

    // The connection goes on: the next message is judged.
    let answers = client.message(b"Small.\r\n").await;
    assert_eq!(final_action(&answers).0, 'c', "{answers:?}");
    assert_eq!(recorded(&store).await, 1);
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, _store) = filter(dir.path()).await;
    let config = MilterConfig {
        idle_timeout: Duration::from_millis(200),
        ..MilterConfig::default()
    };
    let (port, _stop, _milter) = milter(filter, config).await;
    let mut silent = Client::connect(port).await;
    // Half a packet, then nothing.
    silent.send_raw(&[0, 0, 0, 13, b'O', 0, 0]).await;
    assert_eq!(silent.recv().await, None);
}

mod any_packets {
    //! Whatever packets a client sends, the session answers or ends: never a panic.

    use super::*;
    use miltr_server::Server;
    use postwarden_filter::milter::Session;
    use proptest::prelude::*;
    use tokio_util::compat::TokioAsyncReadCompatExt;

    fn packet() -> impl Strategy<Value = (u8, Vec<u8>)> {
        let command = prop_oneof![
            prop::sample::select(b"OCHMRLNBETDAQKU".to_vec()),
            any::<u8>(),
        ];
        (command, prop::collection::vec(any::<u8>(), 0..48))
    }

    fn frames(packets: &[(u8, Vec<u8>)], garbage: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (command, data) in packets {
            out.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
            out.push(*command);
            out.extend_from_slice(data);
        }
        out.extend_from_slice(garbage);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_sequence_of_packets_is_answered_or_closed(
            packets in prop::collection::vec(packet(), 0..24),
            garbage in prop::collection::vec(any::<u8>(), 0..16),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let (filter, _store) = filter(dir.path()).await;
                let (ours, theirs) = tokio::io::duplex(1 << 20);
                let (mut their_read, mut their_write) = tokio::io::split(theirs);
                let input = frames(&packets, &garbage);
                let client = tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    their_write.write_all(&input).await.unwrap();
                    their_write.shutdown().await.unwrap();
                    let mut answers = Vec::new();
                    tokio::io::AsyncReadExt::read_to_end(&mut their_read, &mut answers)
                        .await
                        .unwrap();
                });
                let mut session = Session::new(Arc::new(filter), 10_000);
                let mut server = Server::default_postfix(&mut session);
                let ended = tokio::time::timeout(
                    Duration::from_secs(30),
                    server.handle_connection(ours.compat()),
                )
                .await;
                assert!(ended.is_ok(), "the session neither ended nor closed");
                client.await.unwrap();
            });
        }
    }
}
