//! The server session over real TCP: every kind of bad input gets its SMTP reply and
//! nothing half-received reaches the handler. The handler here records what it is given
//! (it is this crate's own trait; the filter's real handler is tested in postwarden-filter).

use postwarden_smtp::reply::ReplyParser;
use postwarden_smtp::server::{Envelope, Handler, ServerConfig, serve};
use postwarden_smtp::{BareNewline, Reply};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<(Envelope, Vec<u8>)>>,
}

impl Handler for Recorder {
    async fn deliver(&self, envelope: &Envelope, message: Vec<u8>) -> Reply {
        self.delivered
            .lock()
            .unwrap()
            .push((envelope.clone(), message));
        Reply::new(250, "2.0.0", "Ok: recorded")
    }
}

impl Recorder {
    fn count(&self) -> usize {
        self.delivered.lock().unwrap().len()
    }
}

async fn start(config: ServerConfig) -> (String, Arc<Recorder>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let recorder = Arc::new(Recorder::default());
    tokio::spawn(serve(
        listener,
        Arc::new(config),
        recorder.clone(),
        std::future::pending(),
    ));
    (address, recorder)
}

struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects and reads the greeting.
    async fn connect(address: &str) -> Self {
        let (read, writer) = TcpStream::connect(address).await.unwrap().into_split();
        let mut client = Self {
            reader: BufReader::new(read),
            writer,
        };
        assert_eq!(client.reply().await.code, 220);
        client
    }

    async fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).await.unwrap();
    }

    /// The next whole reply (code 0 if the server closed the connection).
    async fn reply(&mut self) -> Reply {
        let mut parser = ReplyParser::default();
        loop {
            let mut line = Vec::new();
            let read = tokio::time::timeout(
                Duration::from_secs(10),
                self.reader.read_until(b'\n', &mut line),
            )
            .await
            .expect("a reply within 10 s")
            .unwrap();
            if read == 0 {
                return Reply::new(0, "", "closed");
            }
            let line = line.strip_suffix(b"\r\n").unwrap_or(&line);
            if let Some(reply) = parser.line(line).unwrap() {
                return reply;
            }
        }
    }

    /// Sends a command and returns the code of its reply.
    async fn code(&mut self, command: &str) -> u16 {
        self.send(&format!("{command}\r\n")).await;
        self.reply().await.code
    }
}

#[tokio::test]
async fn commands_out_of_sequence_and_bad_syntax() {
    let (address, recorder) = start(ServerConfig::default()).await;
    let mut c = Client::connect(&address).await;
    assert_eq!(c.code("MAIL FROM:<a@x.example>").await, 503, "before EHLO");
    assert_eq!(c.code("FROB").await, 502);
    let ehlo = {
        c.send("EHLO postfix.test\r\n").await;
        c.reply().await
    };
    for extension in [
        "PIPELINING",
        "SIZE 10240000",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "XFORWARD NAME ADDR",
    ] {
        assert!(
            ehlo.lines.iter().any(|l| l.starts_with(extension)),
            "EHLO lacks {extension}: {ehlo:?}"
        );
    }
    assert_eq!(
        c.code("RCPT TO:<b@y.example>").await,
        503,
        "RCPT before MAIL"
    );
    assert_eq!(c.code("DATA").await, 503, "DATA before MAIL");
    assert_eq!(
        c.code("MAIL FROM:<a@x.example> SIZE=99999999").await,
        552,
        "SIZE over the limit"
    );
    assert_eq!(c.code("MAIL FROM:<a@x.example>").await, 250);
    assert_eq!(c.code("MAIL FROM:<a@x.example>").await, 503, "nested MAIL");
    assert_eq!(
        c.code("XFORWARD ADDR=192.0.2.1").await,
        503,
        "XFORWARD inside a transaction"
    );
    assert_eq!(c.code("RCPT TO:<no-domain>").await, 501);
    assert_eq!(
        c.code("RCPT TO:<jörg@y.example>").await,
        553,
        "UTF-8 without SMTPUTF8"
    );
    assert_eq!(c.code("DATA").await, 554, "no valid recipients");
    assert_eq!(
        c.code(&format!("NOOP {}", "x".repeat(5000))).await,
        500,
        "line too long"
    );
    assert_eq!(
        c.code("NOOP").await,
        250,
        "the session goes on after a long line"
    );
    assert_eq!(c.code("QUIT").await, 221);
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn pipelined_transaction_with_xforward_and_recipient_limit() {
    let config = ServerConfig {
        max_recipients: 1000,
        ..ServerConfig::default()
    };
    let (address, recorder) = start(config).await;
    let mut c = Client::connect(&address).await;
    let mut batch = String::from(
        "EHLO postfix.test\r\nXFORWARD NAME=mx.example ADDR=192.0.2.1\r\nXFORWARD HELO=[UNAVAILABLE]\r\nMAIL FROM:<a@x.example> BODY=8BITMIME\r\n",
    );
    for i in 0..1001 {
        batch.push_str(&format!("RCPT TO:<r{i}@y.example>\r\n"));
    }
    c.send(&batch).await;
    let mut codes = Vec::new();
    for _ in 0..1005 {
        codes.push(c.reply().await.code);
    }
    assert!(
        codes[..1004].iter().all(|&code| code == 250),
        "{:?}",
        &codes[..10]
    );
    assert_eq!(codes[1004], 452, "the 1001st recipient: too many");
    assert_eq!(c.code("DATA").await, 354);
    // 8-bit header without SMTPUTF8: passed on untouched, not refused.
    c.send("Subject: Grüße\r\n\r\n..dot\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    let delivered = recorder.delivered.lock().unwrap();
    let (envelope, message) = &delivered[0];
    assert_eq!(envelope.recipients.len(), 1000);
    assert_eq!(envelope.xforward("ADDR").as_deref(), Some("192.0.2.1"));
    assert_eq!(envelope.xforward("HELO"), None, "[UNAVAILABLE] is no value");
    assert!(envelope.params.eight_bit);
    assert_eq!(message, "Subject: Grüße\r\n\r\n.dot\r\n".as_bytes());
}

#[tokio::test]
async fn oversize_bare_lf_and_unsynchronized_data_deliver_nothing() {
    let config = ServerConfig {
        max_message_size: 100,
        bare_newline: BareNewline::Reject,
        ..ServerConfig::default()
    };
    let (address, recorder) = start(config).await;
    let mut c = Client::connect(&address).await;
    let start = "EHLO p\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n";
    c.send(start).await;
    for _ in 0..4 {
        c.reply().await;
    }
    c.send(&format!("Subject: big\r\n\r\n{}\r\n.\r\n", "x".repeat(200)))
        .await;
    assert_eq!(c.reply().await.code, 552, "over max_message_size");
    assert_eq!(
        c.code("MAIL FROM:<a@x.example>").await,
        250,
        "the session goes on"
    );
    assert_eq!(c.code("RCPT TO:<b@y.example>").await, 250);
    assert_eq!(c.code("DATA").await, 354);
    c.send("Subject: lf\nbare\r\n.\r\n").await;
    let reply = c.reply().await;
    assert_eq!(
        (reply.code, reply.text().contains("bare <LF>")),
        (550, true),
        "{reply}"
    );

    // The message sent with DATA, before our 354: refused and the connection closed.
    let mut c = Client::connect(&address).await;
    c.send("EHLO p\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n")
        .await;
    for _ in 0..3 {
        c.reply().await;
    }
    c.send("DATA\r\nSubject: rushed\r\n\r\nhi\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 554);
    assert_eq!(c.reply().await.code, 0, "closed");
    assert_eq!(recorder.count(), 0);
}

#[tokio::test]
async fn session_limit_and_data_timeout() {
    let config = ServerConfig {
        max_sessions: 1,
        data_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let (address, recorder) = start(config).await;
    let mut first = Client::connect(&address).await;
    let (read, write) = TcpStream::connect(&address).await.unwrap().into_split();
    let mut second = Client {
        reader: BufReader::new(read),
        writer: write,
    };
    assert_eq!(second.reply().await.code, 421, "over max_sessions");

    first
        .send("EHLO p\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n")
        .await;
    for _ in 0..3 {
        first.reply().await;
    }
    assert_eq!(first.code("DATA").await, 354);
    first.send("Subject: slow\r\n\r\nand then nothing").await;
    let reply = first.reply().await;
    assert_eq!(reply.code, 421, "{reply}");
    assert_eq!(recorder.count(), 0);
}
