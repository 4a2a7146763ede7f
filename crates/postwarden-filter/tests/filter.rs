//! The filter end to end over TCP: our SMTP server with the real processors' daemons
//! (spamd, clamd) and Postfix's smtp-sink as the next hop, a SQLite store and a
//! quarantine directory in a temporary folder.

mod daemons;

use daemons::{
    CLAM_TEST_FILES, Daemon, EICAR, GTUBE, Postfix, clamd, dumped, free_port, smtp_sink, spamd,
};
use postwarden_core::Config;
use postwarden_filter::Filter;
use postwarden_filter::next_hop;
use postwarden_filter::quarantine::{EntryError, Quarantine, ReleaseTo, delete, release};
use postwarden_smtp::client::{Outgoing, Relay, RelayConfig, RelayError};
use postwarden_smtp::server::{ServerConfig, serve};
use postwarden_smtp::{MailParams, Reply};
use postwarden_store::Store;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

struct Harness {
    dir: tempfile::TempDir,
    filter: String,
    store: Store,
}

impl Harness {
    /// Starts the filter with `[filter]` settings `extra` relaying to `next_hop`.
    async fn start(next_hop: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = postwarden_testkit::database::sqlite_store(dir.path()).await;
        Self::start_on(dir, store, next_hop, extra).await
    }

    /// The same on a store the test has prepared.
    async fn start_on(dir: tempfile::TempDir, store: Store, next_hop: &str, extra: &str) -> Self {
        let config =
            Config::from_toml(&format!("[filter]\nnext_hop = \"{next_hop}\"\n{extra}")).unwrap();
        let filter = Filter::build(
            &config.filter,
            &config.dns,
            "filter.test",
            Quarantine::new(dir.path().join("quarantine")),
            Some(store.clone()),
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = ServerConfig {
            hostname: "filter.test".into(),
            max_message_size: 2_000_000,
            ..ServerConfig::default()
        };
        tokio::spawn(serve(
            listener,
            Arc::new(server),
            Arc::new(filter),
            std::future::pending(),
        ));
        Self {
            dir,
            filter: address,
            store,
        }
    }

    fn port(&self) -> u16 {
        self.filter.rsplit_once(':').unwrap().1.parse().unwrap()
    }

    /// Sends one message through the filter; the filter's reply to the end of DATA.
    async fn send(&self, from: &str, to: &[&str], message: &str) -> Reply {
        send_to(&self.filter, from, to, message).await
    }
}

/// Sends one message to the SMTP server at `address`; its reply to the end of DATA.
async fn send_to(address: &str, from: &str, to: &[&str], message: &str) -> Reply {
    let recipients: Vec<String> = to.iter().map(|s| s.to_string()).collect();
    let config = RelayConfig {
        address: address.to_string(),
        helo_name: "postfix.test".into(),
        connect_timeout: Duration::from_secs(5),
        reply_timeout: Duration::from_secs(60),
    };
    let xforward = vec![
        ("ADDR".to_string(), "198.51.100.7".to_string()),
        ("NAME".to_string(), "mx.sender.example".to_string()),
    ];
    let outgoing = Outgoing {
        xforward: &xforward,
        mail_from: from,
        params: &MailParams::default(),
        recipients: &recipients,
        message: message.as_bytes(),
    };
    match Relay::new(config).send(outgoing).await {
        Ok(reply) => reply,
        Err(RelayError::Refused { reply, .. }) => reply,
        Err(other) => panic!("talking to {address} failed: {other}"),
    }
}

/// clamd, then spamd; spam tagged with a subject prefix, but quarantined for one domain.
fn scanning_config(clamd: &Daemon, spamd: &Daemon) -> String {
    format!(
        "[[filter.processors]]\ntype = \"clamav\"\naddress = \"{}\"\n\
         [[filter.processors]]\ntype = \"spamassassin\"\naddress = \"{}\"\n\
         [filter.policy]\nsubject_prefix = \"***SPAM***\"\n\
         [filter.policy.domains.\"quarantine.example\"]\nspam = \"quarantine\"\n",
        clamd.address(),
        spamd.address()
    )
}

/// A message with EICAR as a base64 attachment (clamd decodes MIME and finds it).
fn eicar_message() -> String {
    message_with_attachment("eicar.com", EICAR)
}

/// A message with one base64 attachment.
fn message_with_attachment(name: &str, content: &[u8]) -> String {
    crlf(&format!(
        "From: s@sender.example\nSubject: invoice\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename={name}\nContent-Transfer-Encoding: base64\n\n{}\n--b--\n",
        base64(content)
    ))
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

#[tokio::test]
async fn clean_mail_is_relayed_with_trace_and_a_lone_dot_line_intact() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let h = Harness::start(
        &sink.address(),
        "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@spam.example\"]\n",
    )
    .await;
    let message = crlf("From: a@sender.example\nSubject: hello\n\nfirst\n.\n..two\nlast\n");
    let reply = h
        .send("a@sender.example", &["b@rcpt.example"], &message)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 1);
    assert!(
        dumps[0].contains("X-Rcpt-Args: <b@rcpt.example>"),
        "{}",
        dumps[0]
    );
    assert!(
        dumps[0].contains("X-Postwarden-Verdict: pass score=0.0\n"),
        "{}",
        dumps[0]
    );
    // smtp-sink writes LF line ends and one empty line after the message.
    assert!(
        dumps[0].ends_with("Subject: hello\n\nfirst\n.\n..two\nlast\n\n"),
        "byte for byte: {}",
        dumps[0]
    );

    let blocked = h
        .send("x@mail.spam.example", &["b@rcpt.example"], &message)
        .await;
    assert_eq!(blocked.code, 554, "{blocked}");
    assert!(blocked.text().contains("ref "), "{blocked}");
    assert_eq!(
        dumped(&dir.path().join("sink")).len(),
        1,
        "nothing relayed for a reject"
    );
    let events = h
        .store
        .events(chrono::DateTime::UNIX_EPOCH, Some("mail."), 10)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event.kind.as_str())
            .collect::<Vec<_>>(),
        ["mail.blocked", "mail.rejected"]
    );
    drop(sink);
}

#[tokio::test]
async fn forward_discard_and_pass_in_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let config = "[[filter.processors]]\ntype = \"lists\"\n\
        block_recipients = [\"fwd@rcpt.example\", \"drop@rcpt.example\"]\n\
        [filter.policy.recipients.\"fwd@rcpt.example\"]\nblocked = \"forward\"\nforward_to = [\"abuse@corp.example\"]\n\
        [filter.policy.recipients.\"drop@rcpt.example\"]\nblocked = \"discard\"\n";
    let h = Harness::start(&sink.address(), config).await;
    let recipients = ["ok@rcpt.example", "fwd@rcpt.example", "drop@rcpt.example"];
    let reply = h
        .send(
            "a@sender.example",
            &recipients,
            "Subject: three\r\n\r\nhi\r\n",
        )
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(
        dumps.len(),
        2,
        "one copy for the pass, one for the forward: {dumps:?}"
    );
    let to = |rcpt: &str| {
        dumps
            .iter()
            .find(|d| d.contains(&format!("X-Rcpt-Args: <{rcpt}>\n")))
            .unwrap_or_else(|| panic!("no copy to {rcpt}: {dumps:?}"))
    };
    let forwarded = to("abuse@corp.example");
    assert!(
        forwarded.contains("X-Postwarden-Verdict: forward")
            && forwarded.contains("recipient on the block list"),
        "{forwarded}"
    );
    let passed = to("ok@rcpt.example");
    assert!(
        passed.contains("X-Postwarden-Verdict: pass") && !passed.contains("X-Postwarden-Findings"),
        "findings about other recipients stay out: {passed}"
    );
    assert!(
        !dumps
            .iter()
            .any(|d| d.contains("drop@rcpt.example") || d.contains("<fwd@rcpt.example>")),
        "{dumps:?}"
    );
}

#[tokio::test]
async fn failures_answer_4xx_and_skip_goes_on() {
    // Nothing listens on these ports.
    let dead_hop = format!("127.0.0.1:{}", free_port());
    let dead_spamd = format!("127.0.0.1:{}", free_port());
    let h = Harness::start(&dead_hop, "").await;
    let reply = h
        .send("a@x.example", &["b@y.example"], "Subject: x\r\n\r\nhi\r\n")
        .await;
    assert_eq!(reply.code, 451, "next hop down: {reply}");

    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));

    // A clamd that accepts and never answers (hung): the processor's timeout defers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_address = hung.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = hung.accept().await {
            held.push(stream);
        }
    });
    let slow = format!(
        "[[filter.processors]]\ntype = \"clamav\"\naddress = \"{hung_address}\"\ntimeout = \"300ms\"\n"
    );
    let h = Harness::start(&sink.address(), &slow).await;
    let reply = h
        .send("a@x.example", &["b@y.example"], "Subject: x\r\n\r\nhi\r\n")
        .await;
    assert_eq!(reply.code, 451, "processor timeout: {reply}");

    let tempfail =
        format!("[[filter.processors]]\ntype = \"spamassassin\"\naddress = \"{dead_spamd}\"\n");
    let h = Harness::start(&sink.address(), &tempfail).await;
    let reply = h
        .send("a@x.example", &["b@y.example"], "Subject: x\r\n\r\nhi\r\n")
        .await;
    assert_eq!(
        reply.code, 451,
        "processor down, on_error = tempfail: {reply}"
    );
    assert!(dumped(&dir.path().join("sink")).is_empty());

    let h = Harness::start(&sink.address(), &format!("{tempfail}on_error = \"skip\"\n")).await;
    let reply = h
        .send("a@x.example", &["b@y.example"], "Subject: x\r\n\r\nhi\r\n")
        .await;
    assert_eq!(reply.code, 250, "processor down, on_error = skip: {reply}");
    let dumps = dumped(&dir.path().join("sink"));
    assert!(
        dumps[0].contains("spamassassin=0.0 (failed:"),
        "{}",
        dumps[0]
    );
}

#[tokio::test]
async fn spamd_and_clamd_verdicts_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let spamd: Daemon = spamd();
    let clamd: Daemon = clamd(dir.path());
    let config = scanning_config(&clamd, &spamd);
    let h = Harness::start(&sink.address(), &config).await;

    // clamd's health check (the health monitor's probe will use it).
    let second = Duration::from_secs(1);
    postwarden_filter::processors::clamav::ping(&clamd.address(), second)
        .await
        .unwrap();
    let dead = format!("127.0.0.1:{}", free_port());
    assert!(
        postwarden_filter::processors::clamav::ping(&dead, second)
            .await
            .is_err()
    );

    // REPORT mode against the real spamd: the rules come with their points.
    let report_mode = postwarden_core::config::SpamassassinConfig {
        address: spamd.address(),
        mode: postwarden_core::config::SpamdMode::Report,
        ..Default::default()
    };
    let gtube_only = crlf(&format!("Subject: t\n\n{GTUBE}\n"));
    let verdict = postwarden_filter::processors::spamassassin::Spamassassin::new(report_mode)
        .check(gtube_only.as_bytes())
        .await
        .unwrap();
    assert!(
        verdict.spam && verdict.symbols.contains(&"GTUBE=1000".to_string()),
        "{verdict:?}"
    );

    // GTUBE to two recipients: tagged for one, quarantined for the other.
    let gtube = crlf(&format!(
        "From: s@sender.example\nSubject: offer\nMessage-ID: <1@sender.example>\n\n{GTUBE}\n"
    ));
    let reply = h
        .send(
            "s@sender.example",
            &["tag@rcpt.example", "q@quarantine.example"],
            &gtube,
        )
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 1, "one copy relayed");
    assert!(
        dumps[0].contains("X-Rcpt-Args: <tag@rcpt.example>\n")
            && !dumps[0].contains("quarantine.example>"),
        "{}",
        dumps[0]
    );
    assert!(dumps[0].contains("X-Spam-Flag: YES\n"), "{}", dumps[0]);
    assert!(
        dumps[0].contains("Subject: ***SPAM*** offer\n"),
        "{}",
        dumps[0]
    );
    let held = h.store.quarantine_entries(10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].recipients, ["q@quarantine.example"]);
    let stored = Quarantine::new(h.dir.path().join("quarantine"))
        .read(&held[0].digest)
        .unwrap();
    assert_eq!(stored, gtube.as_bytes(), "the original bytes are kept");

    // Released: the original bytes reach the held recipient, unfiltered; recorded once.
    let quarantine = Quarantine::new(h.dir.path().join("quarantine"));
    let relay = next_hop(
        &Config::from_toml(&format!("[filter]\nnext_hop = \"{}\"", sink.address()))
            .unwrap()
            .filter,
        "admin.test",
    );
    let released = release(
        &h.store,
        &quarantine,
        &relay,
        &held[0].id,
        "admin@corp.example",
        &ReleaseTo::All,
    )
    .await
    .unwrap();
    assert_eq!(released.released_by.as_deref(), Some("admin@corp.example"));
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 2);
    // smtp-sink names its files by the second plus a random suffix: find the copy by recipient.
    let copy = dumps
        .iter()
        .find(|d| d.contains("X-Rcpt-Args: <q@quarantine.example>\n"))
        .expect("the released copy");
    assert!(copy.contains(GTUBE), "{copy}");
    assert!(
        !copy.contains("X-Postwarden-Verdict"),
        "not filtered again: {copy}"
    );
    let again = release(
        &h.store,
        &quarantine,
        &relay,
        &held[0].id,
        "admin@corp.example",
        &ReleaseTo::All,
    )
    .await;
    assert!(
        matches!(
            again,
            Err(EntryError::Done {
                what: "released",
                ..
            })
        ),
        "{again:?}"
    );
    assert_eq!(
        h.store
            .quarantine_entry(&held[0].id)
            .await
            .unwrap()
            .unwrap()
            .released_by
            .as_deref(),
        Some("admin@corp.example")
    );
    // Deleted: the file goes (no other entry holds it), and once is enough.
    delete(&h.store, &quarantine, &held[0].id).await.unwrap();
    assert!(quarantine.read(&held[0].digest).is_err());
    assert!(matches!(
        delete(&h.store, &quarantine, &held[0].id).await,
        Err(EntryError::Done {
            what: "deleted",
            ..
        })
    ));
    assert!(matches!(
        delete(&h.store, &quarantine, "nope").await,
        Err(EntryError::Unknown(_))
    ));

    // EICAR as an attachment: rejected, nothing relayed, a mail.virus event.
    let eicar = eicar_message();
    let reply = h
        .send("s@sender.example", &["tag@rcpt.example"], &eicar)
        .await;
    assert_eq!(reply.code, 554, "{reply}");
    assert!(reply.text().contains("Eicar-Test-Signature"), "{reply}");
    assert_eq!(
        dumped(&dir.path().join("sink")).len(),
        2,
        "nothing more relayed"
    );
    let kinds: Vec<String> = h
        .store
        .events(chrono::DateTime::UNIX_EPOCH, Some("mail."), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.kind)
        .collect();
    assert!(
        kinds.contains(&"mail.virus".to_string())
            && kinds.contains(&"mail.quarantined".to_string()),
        "{kinds:?}"
    );

    // ClamAV's own test program inside a zip archive (clamav-testfiles): clamd unpacks it.
    let zip = std::fs::read(format!("{CLAM_TEST_FILES}/clam.zip")).unwrap();
    let reply = h
        .send(
            "s@sender.example",
            &["tag@rcpt.example"],
            &message_with_attachment("clam.zip", &zip),
        )
        .await;
    assert_eq!(reply.code, 554, "{reply}");
    assert!(reply.text().contains("Clamav.Test.File"), "{reply}");
}

// The client side uses blocking sockets: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggled_commands_stay_inside_the_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let h = Harness::start(&sink.address(), "").await;
    for vector in ["\n.\r\n", "\r\n.\n", "\r.\r\n", "\n.\n", "\r\n.\r"] {
        let mut client = std::net::TcpStream::connect(&h.filter).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let expect = |client: &mut std::net::TcpStream, code: &str| {
            let mut seen = String::new();
            let mut byte = [0u8; 1];
            // Read whole replies until one starts with `code` and is the last line.
            while !(seen.lines().any(|l| l.starts_with(&format!("{code} ")))
                && seen.ends_with("\r\n"))
            {
                assert_eq!(
                    client.read(&mut byte).unwrap(),
                    1,
                    "closed while waiting for {code}: {seen}"
                );
                seen.push(byte[0] as char);
            }
            seen
        };
        expect(&mut client, "220");
        client.write_all(b"EHLO postfix.test\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n").unwrap();
        expect(&mut client, "354");
        let smuggle = format!(
            "Subject: smuggle\r\n\r\nbody{vector}MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@y.example>\r\nDATA\r\nsmuggled\r\n\r\n.\r\n"
        );
        client.write_all(smuggle.as_bytes()).unwrap();
        let reply = expect(&mut client, "250");
        assert!(reply.contains("filtered as"), "{vector:?}: {reply}");
        client.write_all(b"QUIT\r\n").unwrap();
        expect(&mut client, "221");
    }
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 5, "one message per vector, none split");
    for dump in dumps {
        assert!(
            dump.contains("X-Rcpt-Args: <b@y.example>\n") && !dump.contains("X-Rcpt-Args: <victim"),
            "{dump}"
        );
        assert!(
            dump.contains("MAIL FROM:<evil@x.example>"),
            "the smuggled command is content: {dump}"
        );
    }
}

// The client side uses blocking sockets: the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_mid_data_relays_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let h = Harness::start(&sink.address(), "").await;
    {
        let mut client = std::net::TcpStream::connect(&h.filter).unwrap();
        client
            .write_all(b"EHLO p\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<half@y.example>\r\n")
            .unwrap();
        client.write_all(b"DATA\r\n").unwrap();
        let mut buffer = [0u8; 512];
        let mut seen = String::new();
        while !seen.contains("354 ") {
            let n = client.read(&mut buffer).unwrap();
            assert!(n > 0);
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        client
            .write_all(b"Subject: half\r\n\r\nthis message never ends")
            .unwrap();
    } // dropped: the connection closes mid-DATA
    let reply = h
        .send(
            "a@x.example",
            &["whole@y.example"],
            "Subject: whole\r\n\r\nok\r\n",
        )
        .await;
    assert_eq!(reply.code, 250);
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 1, "only the complete message: {dumps:?}");
    assert!(dumps[0].contains("<whole@y.example>"));
}

/// Base64 in lines of 76 characters, as in a MIME body.
fn base64(bytes: &[u8]) -> String {
    let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    lines.join("\n")
}

/// The whole sandwich with a real Postfix: submission → Postfix → content_filter →
/// postwarden (clamd, spamd) → Postfix's re-injection smtpd → virtual delivery to a Maildir.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_sandwich_delivers_tags_splits_and_bounces() {
    let dir = tempfile::tempdir().unwrap();
    let spamd: Daemon = spamd();
    let clamd: Daemon = clamd(dir.path());
    let reinject_port = free_port();
    let config = scanning_config(&clamd, &spamd);
    let h = Harness::start(&format!("127.0.0.1:{reinject_port}"), &config).await;
    let postfix = Postfix::start(
        &dir.path().join("postfix"),
        h.port(),
        reinject_port,
        &["rcpt.example", "quarantine.example"],
    );
    let submit = format!("127.0.0.1:{}", postfix.port);

    let clean = crlf("From: a@sender.example\nSubject: clean\n\nfirst\n.\n..two\nlast\n");
    assert_eq!(
        send_to(&submit, "a@sender.example", &["u@rcpt.example"], &clean)
            .await
            .code,
        250
    );
    postfix.wait_until("the clean message", |p| p.delivered().len() == 1);
    let delivered = &postfix.delivered()[0];
    assert!(
        delivered.contains("X-Postwarden-Verdict: pass"),
        "{delivered}"
    );
    assert!(
        delivered.ends_with("\n\nfirst\n.\n..two\nlast\n"),
        "lone dot intact: {delivered}"
    );

    let gtube = crlf(&format!(
        "From: s@sender.example\nSubject: offer\n\n{GTUBE}\n"
    ));
    let to = ["tag@rcpt.example", "q@quarantine.example"];
    assert_eq!(
        send_to(&submit, "s@sender.example", &to, &gtube).await.code,
        250
    );
    postfix.wait_until("the tagged copy", |p| p.delivered().len() == 2);
    // Maildir names do not sort by time within a second: find the copy by its recipient.
    let delivered = postfix.delivered();
    let tagged = delivered
        .iter()
        .find(|m| m.contains("Delivered-To: tag@rcpt.example"))
        .expect("a copy for tag@rcpt.example");
    assert!(tagged.contains("X-Spam-Flag: YES"), "{tagged}");
    assert!(tagged.contains("Subject: ***SPAM*** offer"), "{tagged}");
    let held = h.store.quarantine_entries(10).await.unwrap();
    assert_eq!(
        held.iter()
            .map(|q| q.recipients.clone())
            .collect::<Vec<_>>(),
        [vec!["q@quarantine.example".to_string()]]
    );

    let eicar = eicar_message();
    assert_eq!(
        send_to(&submit, "s@sender.example", &["u@rcpt.example"], &eicar)
            .await
            .code,
        250,
        "Postfix queues it first"
    );
    postfix.wait_until("the bounce of the virus", |p| {
        p.log().lines().any(|l| {
            l.contains("status=bounced")
                && l.contains("554 5.7.1")
                && l.contains("Eicar-Test-Signature")
        })
    });
    assert_eq!(postfix.delivered().len(), 2, "the virus was not delivered");
    assert!(
        postfix.log().contains("orig_client="),
        "XFORWARD reached the re-injection smtpd"
    );
}

/// A webhook receiver (the user's own service, which cannot run here: a small HTTP/1.1
/// server). It checks the signature and answers `reply`; it keeps each request body.
async fn webhook_receiver(
    secret: &'static str,
    reply: &'static str,
) -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scan", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 8192];
            let (head, body) = loop {
                let n = stream.read(&mut buffer).await.unwrap();
                assert!(n > 0, "request cut short");
                request.extend_from_slice(&buffer[..n]);
                let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if request.len() >= end + 4 + length {
                    break (head, request[end + 4..end + 4 + length].to_vec());
                }
            };
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_string())
            };
            let timestamp = header("x-postwarden-timestamp:").expect("timestamp header");
            let expected = postwarden_core::http::sign_webhook(secret, &timestamp, &body);
            let (status, answer) = if header("x-postwarden-signature:") == Some(expected) {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                ("200 OK", reply)
            } else {
                ("401 Unauthorized", "{}")
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            stream.write_all(response.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

#[tokio::test]
async fn webhook_findings_and_action_are_applied_and_signed() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let (url, seen) = webhook_receiver("s3cret", r#"{"findings":[{"score":3.5,"tags":["spam"],"reason":"remote says spam"}],"action":"quarantine"}"#).await;
    let config = format!(
        "[[filter.processors]]\ntype = \"webhook\"\nurl = \"{url}\"\nsecret = \"s3cret\"\ninclude_message = true\n"
    );
    let h = Harness::start(&sink.address(), &config).await;
    let message = "Subject: remote\r\n\r\nhello\r\n";
    let reply = h
        .send("a@sender.example", &["b@rcpt.example"], message)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    assert!(
        dumped(&dir.path().join("sink")).is_empty(),
        "quarantined, not relayed"
    );
    let held = h.store.quarantine_entries(10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(
        held[0].reason.contains("webhook asked for quarantine"),
        "{}",
        held[0].reason
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "the signature checked out");
    assert_eq!(
        requests[0]["recipients"],
        serde_json::json!(["b@rcpt.example"])
    );
    assert_eq!(requests[0]["client_ip"], "198.51.100.7");
    assert_eq!(
        requests[0]["headers"][0],
        serde_json::json!(["Subject", "remote"])
    );
    let sent = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        requests[0]["message_base64"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(sent, message.as_bytes());

    // A wrong secret: the receiver says 401, and the processor's failure defers the message.
    let wrong = config.replace("s3cret", "guess");
    let h = Harness::start(&sink.address(), &wrong).await;
    let reply = h
        .send("a@sender.example", &["b@rcpt.example"], message)
        .await;
    assert_eq!(reply.code, 451, "{reply}");
}

#[tokio::test]
async fn a_partly_refused_message_is_delivered_and_the_sender_told() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let config =
        "[[filter.processors]]\ntype = \"lists\"\nblock_recipients = [\"old@rcpt.example\"]\n";
    let h = Harness::start(&sink.address(), config).await;
    let to = ["ok@rcpt.example", "old@rcpt.example"];
    let reply = h
        .send("s@sender.example", &to, "Subject: news\r\n\r\nhi\r\n")
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 2, "the copy and the report: {dumps:?}");
    let copy = dumps
        .iter()
        .find(|d| d.contains("X-Rcpt-Args: <ok@rcpt.example>\n"))
        .expect("the copy");
    assert!(!copy.contains("old@rcpt.example"), "{copy}");
    let report = dumps
        .iter()
        .find(|d| d.contains("X-Mail-Args: <>\n"))
        .expect("a report from the null sender");
    assert!(
        report.contains("X-Rcpt-Args: <s@sender.example>\n"),
        "{report}"
    );
    assert!(
        report.contains("Final-Recipient: rfc822; old@rcpt.example\nAction: failed\nStatus: 5.7.1"),
        "{report}"
    );
    assert!(
        report.contains("Subject: news"),
        "the original headers: {report}"
    );

    // From the null sender there is nobody to tell: the refused copy is held instead.
    let reply = h.send("", &to, "Subject: bounce\r\n\r\nhi\r\n").await;
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(
        dumped(&dir.path().join("sink")).len(),
        3,
        "only the copy to ok@"
    );
    let held = h.store.quarantine_entries(10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].recipients, ["old@rcpt.example"]);
}

/// A mailbox owner's own allow and block senders (stored by the console) apply to the next
/// message, without a restart, and only to their own copy.
#[tokio::test(flavor = "multi_thread")]
async fn a_users_own_lists_apply_to_the_next_message_and_only_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let h = Harness::start(
        &sink.address(),
        "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@pushy.example\"]\n",
    )
    .await;
    let message = crlf("From: sales@pushy.example\nSubject: offer\n\nbuy\n");
    let to = ["alice@corp.example"];
    assert_eq!(
        h.send("sales@pushy.example", &to, &message).await.code,
        554,
        "blocked globally"
    );

    let alice = h
        .store
        .create_user(&postwarden_store::NewUser {
            address: "alice@corp.example",
            display_name: None,
            role: postwarden_core::Role::User,
            domains: &[],
            password_hash: None,
            source: postwarden_store::UserSource::Local,
        })
        .await
        .unwrap();
    let mut settings = postwarden_core::UserSettings {
        allow_senders: vec!["@pushy.example".into()],
        ..Default::default()
    };
    h.store
        .set_user_settings(alice.id, &settings)
        .await
        .unwrap();
    assert_eq!(
        h.send("sales@pushy.example", &to, &message).await.code,
        250,
        "alice allows them"
    );
    assert_eq!(
        h.send("sales@pushy.example", &["bob@corp.example"], &message)
            .await
            .code,
        554,
        "bob does not"
    );

    settings.allow_senders.clear();
    settings.block_senders = vec!["friend@partner.example".into()];
    h.store
        .set_user_settings(alice.id, &settings)
        .await
        .unwrap();
    let friendly = crlf("From: friend@partner.example\nSubject: lunch\n\nhi\n");
    assert_eq!(
        h.send("Friend@Partner.example", &to, &friendly).await.code,
        554,
        "her own block, any case"
    );
    assert_eq!(
        h.send("friend@partner.example", &["bob@corp.example"], &friendly)
            .await
            .code,
        250
    );
    let dumps = dumped(&dir.path().join("sink"));
    assert_eq!(dumps.len(), 2, "the two passed messages only");
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_a_domain_or_a_user_owns_apply_to_their_own_copies_only() {
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&dir.path().join("sink"));
    let store = postwarden_testkit::database::sqlite_store(dir.path()).await;
    let entry = |list: &str, field: &str, value: &str| postwarden_store::ListEntry {
        list: list.into(),
        field: field.into(),
        value: value.into(),
    };
    // As the console and the API add them: the site's, corp.example's, alice's.
    for (list, value, owner) in [
        ("block", "@spam.example", None),
        ("block", "@pushy.example", Some("@corp.example")),
        ("allow", "sales@pushy.example", Some("alice@corp.example")),
        ("block", "friend@partner.example", Some("Bob@Corp.example")),
    ] {
        store
            .add_owned_list_entry(&entry(list, "sender", value), owner, None)
            .await
            .unwrap();
    }
    let h = Harness::start_on(
        dir,
        store,
        &sink.address(),
        "[[filter.processors]]\ntype = \"lists\"\nfrom_store = true\n",
    )
    .await;
    let offer = crlf("From: sales@pushy.example\nSubject: offer\n\nbuy\n");
    let reply = h
        .send(
            "sales@pushy.example",
            &[
                "alice@corp.example",
                "carol@corp.example",
                "dave@third.example",
            ],
            &offer,
        )
        .await;
    assert_eq!(reply.code, 250, "alice and dave get theirs: {reply}");
    let delivered = dumped(&h.dir.path().join("sink"));
    let to = |who: &str| {
        delivered
            .iter()
            .filter(|d| d.contains(&format!("X-Rcpt-Args: <{who}>")))
            .count()
    };
    assert_eq!(
        to("alice@corp.example"),
        1,
        "her allow beats her domain's block"
    );
    assert_eq!(
        to("dave@third.example"),
        1,
        "corp.example's list is not his"
    );
    assert_eq!(to("carol@corp.example"), 0, "her domain blocks them");
    let reference = reply.to_string();
    let reference = reference
        .trim_end_matches(')')
        .rsplit([' ', '('])
        .next()
        .unwrap();
    let record = h
        .store
        .message_visible(reference, &postwarden_store::Visibility::All)
        .await
        .unwrap()
        .expect("recorded");
    let carol = &record.verdicts["carol@corp.example"];
    assert_eq!(carol["action"], "reject", "{carol}");
    assert!(
        carol["reason"]
            .as_str()
            .unwrap()
            .contains("@corp.example's block list"),
        "the reason names whose list: {carol}"
    );

    let other = crlf("From: boss@pushy.example\nSubject: offer\n\nbuy\n");
    assert_eq!(
        h.send("boss@pushy.example", &["alice@corp.example"], &other)
            .await
            .code,
        554,
        "her allow names one sender only"
    );
    let lunch = crlf("From: friend@partner.example\nSubject: lunch\n\nhi\n");
    assert_eq!(
        h.send("friend@partner.example", &["bob@corp.example"], &lunch)
            .await
            .code,
        554,
        "bob's own block, his address in any case"
    );
    assert_eq!(
        h.send("friend@partner.example", &["alice@corp.example"], &lunch)
            .await
            .code,
        250,
        "bob's list is not alice's"
    );
    let spam = crlf("From: x@spam.example\nSubject: hi\n\nhi\n");
    assert_eq!(
        h.send("x@spam.example", &["dave@third.example"], &spam)
            .await
            .code,
        554,
        "the site's list applies to everyone"
    );
}
