//! Per-user processing end to end: the content filter (our SMTP server) asks each routed
//! user's worker over the machine's real RabbitMQ — in a vhost of the test's own, with
//! broker users made by `rabbitmqctl` exactly as `postwarden users route` makes them — and
//! relays to Postfix's smtp-sink. Raw AMQP clients stand in for misbehaving workers.

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions,
    ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use postwarden_core::config::MqConfig;
use postwarden_core::{Config, OnTimeout, RequestState, Role, Secret};
use postwarden_filter::Filter;
use postwarden_filter::quarantine::Quarantine;
use postwarden_mq::topology::{REPLIES_EXCHANGE, REQUESTS_EXCHANGE};
use postwarden_mq::{Provisioned, Reply, ReplyAction, Request, RouteRequest, Rpc};
use postwarden_smtp::client::{Outgoing, Relay, RelayConfig, RelayError};
use postwarden_smtp::server::{ServerConfig, serve};
use postwarden_smtp::{MailParams, Reply as SmtpReply};
use postwarden_store::{NewUser, Store, UserSource};
use postwarden_testkit::daemons::{Daemon, dumped, smtp_sink};
use postwarden_testkit::proxy::TcpProxy;
use postwarden_testkit::rabbit::Vhost;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const NODE: &str = "node-a";

struct Site {
    dir: tempfile::TempDir,
    /// The test's vhost on the machine's broker (none on a private node).
    vhost: Option<Vhost>,
    mq: MqConfig,
    store: Store,
    filter: String,
    rpc: Rpc,
    /// The filter itself, to settle held copies when a test says so.
    handler: Arc<Filter>,
    _sink: Daemon,
}

impl Site {
    /// A filter with `[filter]` settings `extra`, asking workers through `broker_url` (the
    /// vhost's own URL unless a proxy's is given).
    async fn start(extra: &str) -> Self {
        let vhost = Vhost::create();
        let url = vhost.url();
        Self::start_with(vhost, &url, extra).await
    }

    async fn start_with(vhost: Vhost, broker_url: &str, extra: &str) -> Self {
        let mq = format!("url = \"{}\"\n", vhost.url());
        Self::start_on(Some(vhost), &mq, broker_url, extra).await
    }

    /// A filter on a private broker node: `[mq]` holds `mq`.
    async fn start_private(mq: &str, broker_url: &str) -> Self {
        Self::start_on(None, mq, broker_url, "").await
    }

    async fn start_on(vhost: Option<Vhost>, mq: &str, broker_url: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sink = smtp_sink(&dir.path().join("sink"));
        let config = Config::from_toml(&format!(
            "[filter]\nnext_hop = \"{}\"\n{extra}\n[mq]\n{mq}node = \"{NODE}\"\n\
             delivery_limit = 2\nconnect_timeout = \"2s\"\n",
            sink.address(),
        ))
        .unwrap();
        let store = postwarden_testkit::database::sqlite_store(dir.path()).await;
        let rpc = Rpc::start(
            Secret::new(broker_url),
            NODE.into(),
            Duration::from_secs(2),
            Some(store.clone()),
        );
        let filter = Filter::build(
            &config.filter,
            &config.dns,
            "filter.test",
            Quarantine::new(dir.path().join("quarantine")),
            Some(store.clone()),
        )
        .await
        .unwrap()
        .with_rpc(rpc.clone());
        let filter = Arc::new(filter);
        // Workers' later decisions are taken; the periodic sweep is left to the tests.
        postwarden_filter::start_held(&filter, Duration::from_secs(3600));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(serve(
            listener,
            Arc::new(ServerConfig {
                hostname: "filter.test".into(),
                // Room for the 50 concurrent senders of the load test and the ones closing.
                max_sessions: 256,
                ..ServerConfig::default()
            }),
            filter.clone(),
            std::future::pending(),
        ));
        Self {
            dir,
            vhost,
            mq: config.mq,
            store,
            filter: address,
            rpc,
            handler: filter,
            _sink: sink,
        }
    }

    /// A user with a route, provisioned as `users route` does.
    async fn route(&self, address: &str, timeout: Duration, on_timeout: OnTimeout) -> Provisioned {
        let user = self
            .store
            .create_user(&NewUser {
                address,
                display_name: None,
                role: Role::User,
                domains: &[],
                password_hash: None,
                source: UserSource::Local,
            })
            .await
            .unwrap();
        postwarden_mq::create_route(
            &self.mq,
            &self.store,
            &RouteRequest {
                user: &user,
                timeout,
                on_timeout,
                aliases: &[],
            },
        )
        .await
        .unwrap()
    }

    /// Runs `postwarden worker`'s loop for `route` with `processors` (TOML) until dropped.
    async fn worker(&self, route: &Provisioned, processors: &str) -> Worker {
        let file = postwarden_worker::WorkerFile::from_toml(&format!(
            "[worker]\nbroker = \"{}\"\nqueue = \"{}\"\nprefetch = 4\n{processors}",
            route.broker_url.expose(),
            route.route.queue
        ))
        .unwrap();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(postwarden_worker::run(file.worker, stopped));
        Worker { stop, task }
    }

    fn vhost(&self) -> &Vhost {
        self.vhost.as_ref().expect("a site on the machine's broker")
    }

    async fn connected(&self) {
        assert!(
            self.rpc.wait_connected(Duration::from_secs(10)).await,
            "the node connects to the broker"
        );
    }

    async fn send(&self, from: &str, to: &[&str], message: &str) -> SmtpReply {
        let recipients: Vec<String> = to.iter().map(|s| s.to_string()).collect();
        let config = RelayConfig {
            address: self.filter.clone(),
            helo_name: "postfix.test".into(),
            connect_timeout: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(60),
        };
        let xforward = vec![("ADDR".to_string(), "198.51.100.7".to_string())];
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
            Err(other) => panic!("talking to the filter failed: {other}"),
        }
    }

    fn delivered(&self) -> Vec<String> {
        dumped(&self.dir.path().join("sink"))
    }

    /// The ref in a 250 or 4xx/5xx reply's text (`… (ref ID)` or `filtered as ID`).
    fn reference(reply: &SmtpReply) -> String {
        let text = reply.to_string();
        let text = text.trim_end_matches(')');
        text.rsplit([' ', '(']).next().unwrap().to_owned()
    }
}

struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), postwarden_worker::WorkerError>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
    }
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn message(from: &str, subject: &str) -> String {
    crlf(&format!(
        "From: {from}\nTo: someone@corp.example\nSubject: {subject}\n\nhello\n"
    ))
}

async fn connect(url: &str) -> Connection {
    Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap()
}

/// The broker's refusal when `route`'s worker, with its own credentials, tries to consume
/// `queue` (a panic if the broker lets it).
async fn consume_refused(route: &Provisioned, queue: &str) -> String {
    let connection = connect(route.broker_url.expose()).await;
    let channel = connection.create_channel().await.unwrap();
    let consumed = channel
        .basic_consume(
            queue.into(),
            "spy".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await;
    match consumed {
        Ok(_) => panic!("the broker lets a worker consume another user's queue"),
        Err(error) => error.to_string(),
    }
}

/// A hand-written worker for a route: raw AMQP with the worker's own credentials, to play
/// the well-behaved, the confused and the flaky worker.
struct HandWorker {
    _connection: Connection,
    channel: lapin::Channel,
    requests: lapin::Consumer,
    user: String,
}

impl HandWorker {
    async fn start(route: &Provisioned) -> HandWorker {
        let connection = connect(route.broker_url.expose()).await;
        let channel = connection.create_channel().await.unwrap();
        let requests = channel
            .basic_consume(
                route.route.queue.as_str().into(),
                "hand".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        HandWorker {
            _connection: connection,
            channel,
            requests,
            user: route.route.broker_user.clone(),
        }
    }

    async fn next(&mut self) -> lapin::message::Delivery {
        self.requests.next().await.unwrap().unwrap()
    }

    /// Publishes `body` as the reply to `request`, as this route's worker.
    async fn answer(&self, request: &lapin::message::Delivery, body: &[u8]) {
        self.channel
            .basic_publish(
                REPLIES_EXCHANGE.into(),
                request.properties.reply_to().clone().unwrap(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_correlation_id(request.properties.correlation_id().clone().unwrap())
                    .with_user_id(self.user.as_str().into()),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_users_worker_rejects_their_copy_from_a_blocked_sender_and_the_others_get_theirs() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let _worker = site
        .worker(
            &alice,
            "[[worker.processors]]\ntype = \"lists\"\nblock_senders = [\"@pushy.example\"]\n",
        )
        .await;
    site.connected().await;

    let pushy = message("sales@pushy.example", "offer");
    let reply = site
        .send("sales@pushy.example", &["alice@corp.example"], &pushy)
        .await;
    assert_eq!(reply.code, 554, "alice's worker refuses her copy: {reply}");
    let requests = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    assert_eq!(requests.len(), 1, "one request per message and user");
    assert_eq!(requests[0].state, RequestState::Answered);
    assert_eq!(requests[0].action.as_deref(), Some("reject"));
    assert_eq!(requests[0].node, NODE);
    assert!(requests[0].latency().is_some());

    let reply = site
        .send(
            "sales@pushy.example",
            &["alice@corp.example", "bob@corp.example"],
            &pushy,
        )
        .await;
    assert_eq!(reply.code, 250, "bob has no worker: {reply}");
    let delivered = site.delivered();
    let to_bob: Vec<_> = delivered
        .iter()
        .filter(|d| d.contains("X-Rcpt-Args: <bob@corp.example>"))
        .collect();
    assert_eq!(to_bob.len(), 1, "bob's copy is delivered: {delivered:?}");
    assert!(
        !delivered
            .iter()
            .any(|d| d.contains("X-Rcpt-Args: <alice@corp.example>")),
        "alice's is not"
    );
    assert!(
        delivered
            .iter()
            .any(|d| d.contains("X-Rcpt-Args: <sales@pushy.example>")
                && d.contains("alice@corp.example")),
        "the sender learns alice's copy was refused: {delivered:?}"
    );

    let friendly = message("friend@partner.example", "lunch");
    let reply = site
        .send("friend@partner.example", &["alice@corp.example"], &friendly)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
}

#[tokio::test]
async fn a_request_holds_only_that_users_recipients_and_a_reply_returns_to_the_node_that_asked() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    // A hand-written worker: reads the request, answers `tag`.
    let mut worker = HandWorker::start(&alice).await;
    let seen = tokio::spawn(async move {
        let delivery = worker.next().await;
        let request = Request::from_json(&delivery.data).unwrap();
        let mut reply = Reply::new(ReplyAction::Tag, "newsletter");
        reply.tags = vec!["newsletter".into()];
        reply.subject_prefix = Some("[news] ".into());
        worker.answer(&delivery, &reply.to_json()).await;
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .unwrap();
        (request, delivery.properties)
    });
    let reply = site
        .send(
            "news@letters.example",
            &["alice@corp.example", "carol@corp.example"],
            &message("news@letters.example", "weekly"),
        )
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    let (request, properties) = seen.await.unwrap();
    assert_eq!(request.envelope.recipients, ["alice@corp.example"]);
    assert_eq!(request.user, "alice@corp.example");
    assert_eq!(request.envelope.mail_from, "news@letters.example");
    assert_eq!(
        request.envelope.client_address.as_deref(),
        Some("198.51.100.7")
    );
    assert!(
        String::from_utf8(request.message_bytes().unwrap())
            .unwrap()
            .contains("Subject: weekly")
    );
    assert_eq!(properties.reply_to().as_ref().unwrap().as_str(), NODE);
    let expiration: u64 = properties
        .expiration()
        .as_ref()
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    assert!(
        expiration <= 10_000 && expiration > 0,
        "expires at the deadline: {expiration}"
    );
    let delivered = site.delivered();
    let to_alice = delivered
        .iter()
        .find(|d| d.contains("X-Rcpt-Args: <alice@corp.example>"))
        .expect("alice's copy");
    assert!(to_alice.contains("Subject: [news] weekly"), "{to_alice}");
    let to_carol = delivered
        .iter()
        .find(|d| d.contains("X-Rcpt-Args: <carol@corp.example>"))
        .expect("carol's copy");
    assert!(
        to_carol.contains("Subject: weekly"),
        "carol's is untouched: {to_carol}"
    );
    let requests = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    assert_eq!(requests[0].tags, ["newsletter"]);
}

#[tokio::test]
async fn the_broker_keeps_a_worker_to_its_own_queue_and_its_own_name() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let bob = site
        .route(
            "bob@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let error = consume_refused(&alice, &bob.route.queue).await;
    assert!(error.contains("ACCESS_REFUSED"), "{error}");
    let connection = connect(alice.broker_url.expose()).await;

    // Publishing a request (to reach bob's worker) is refused too.
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let refused = async {
        channel
            .basic_publish(
                REQUESTS_EXCHANGE.into(),
                bob.route.queue.as_str().into(),
                BasicPublishOptions::default(),
                b"{}",
                BasicProperties::default(),
            )
            .await?
            .await
    }
    .await;
    assert!(refused.is_err(), "{refused:?}");

    // A reply that claims to come from bob's worker is refused by the broker.
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let forged = async {
        channel
            .basic_publish(
                REPLIES_EXCHANGE.into(),
                NODE.into(),
                BasicPublishOptions::default(),
                &Reply::new(ReplyAction::Pass, "").to_json(),
                BasicProperties::default()
                    .with_correlation_id("x".into())
                    .with_user_id(bob.route.broker_user.as_str().into()),
            )
            .await?
            .await
    }
    .await;
    let error = format!("{forged:?}");
    assert!(error.contains("PRECONDITION_FAILED"), "{error}");
}

#[tokio::test]
async fn a_reply_no_request_awaits_is_dropped_and_recorded() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    let connection = connect(alice.broker_url.expose()).await;
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let confirm = channel
        .basic_publish(
            REPLIES_EXCHANGE.into(),
            NODE.into(),
            BasicPublishOptions::default(),
            &Reply::new(ReplyAction::Pass, "").to_json(),
            BasicProperties::default()
                .with_correlation_id("no-such-request".into())
                .with_user_id(alice.route.broker_user.as_str().into()),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_ack());
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let events = site
                .store
                .events(since, Some("mq.reply_rejected"), 10)
                .await
                .unwrap();
            if let Some(event) = events.into_iter().next() {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the rejected reply is recorded");
    assert!(
        event.event.summary.contains("no-such-request"),
        "{}",
        event.event.summary
    );
    assert_eq!(
        event.event.user.as_deref(),
        Some(alice.route.broker_user.as_str())
    );
}

#[tokio::test]
async fn without_an_answer_the_routes_on_timeout_decides() {
    let site = Site::start("").await;
    let _alice = site
        .route(
            "alice@corp.example",
            Duration::from_millis(800),
            OnTimeout::Tempfail,
        )
        .await;
    let _bob = site
        .route(
            "bob@corp.example",
            Duration::from_millis(800),
            OnTimeout::Pass,
        )
        .await;
    let _carol = site
        .route(
            "carol@corp.example",
            Duration::from_millis(800),
            OnTimeout::Quarantine,
        )
        .await;
    site.connected().await;
    let mail = message("x@sender.example", "hello");

    let reply = site
        .send("x@sender.example", &["alice@corp.example"], &mail)
        .await;
    assert_eq!(
        reply.code, 451,
        "nobody answers alice's: Postfix keeps it: {reply}"
    );
    let requests = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    assert_eq!(requests[0].state, RequestState::TimedOut);
    assert_eq!(requests[0].action.as_deref(), Some("tempfail"));

    let reply = site
        .send("x@sender.example", &["bob@corp.example"], &mail)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(
        site.delivered().len(),
        1,
        "bob's is delivered as the site decided"
    );

    let reply = site
        .send("x@sender.example", &["carol@corp.example"], &mail)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(site.delivered().len(), 1, "carol's is not delivered");
    let held = site.store.quarantine_entries(10).await.unwrap();
    assert_eq!(held.len(), 1, "carol's is quarantined");
}

#[tokio::test]
async fn a_garbage_reply_is_refused_and_the_route_falls_back() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    let mut worker = HandWorker::start(&alice).await;
    tokio::spawn(async move {
        let delivery = worker.next().await;
        worker
            .answer(&delivery, b"{\"version\":1,\"action\":\"explode\"}")
            .await;
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .unwrap();
    });
    let reply = site
        .send(
            "x@sender.example",
            &["alice@corp.example"],
            &message("x@sender.example", "hi"),
        )
        .await;
    assert_eq!(reply.code, 451, "{reply}");
    let requests = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    assert_eq!(requests[0].state, RequestState::Failed);
    let detail = requests[0].detail.clone().unwrap();
    assert!(
        detail.contains("not one") && detail.contains("explode"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_request_no_worker_can_take_is_dead_lettered_back_before_its_deadline() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(60),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    // A worker that always gives the request back: the delivery limit (2) ends it.
    let mut worker = HandWorker::start(&alice).await;
    tokio::spawn(async move {
        loop {
            let _ = worker
                .next()
                .await
                .acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await;
        }
    });
    let started = std::time::Instant::now();
    let reply = site
        .send(
            "x@sender.example",
            &["alice@corp.example"],
            &message("x@sender.example", "hi"),
        )
        .await;
    assert_eq!(reply.code, 451, "{reply}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "answered by the dead letter, not the deadline"
    );
    let requests = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    let detail = requests[0].detail.clone().unwrap();
    assert!(detail.contains("delivery limit"), "{detail}");
    assert_eq!(site.vhost().depth(&alice.route.queue), Some(0));
}

/// Runs blocking work (the proxy drives a runtime of its own) off the test's runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

#[tokio::test]
async fn a_broker_down_is_a_4xx_and_the_node_reconnects_when_it_is_back() {
    let vhost = Vhost::create();
    let proxy = Arc::new(blocking(|| TcpProxy::start("127.0.0.1:5672".parse().unwrap())).await);
    let via = vhost.url_via(proxy.port());
    let p = proxy.clone();
    blocking(move || p.cut()).await;
    let site = Site::start_with(vhost, &via, "").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let _worker = site.worker(&alice, "").await;
    let mail = message("x@sender.example", "hi");
    let reply = site
        .send("x@sender.example", &["alice@corp.example"], &mail)
        .await;
    assert_eq!(
        reply.code, 451,
        "broker down: Postfix keeps the message: {reply}"
    );
    assert!(site.delivered().is_empty());

    let p = proxy.clone();
    blocking(move || p.restore()).await;
    site.connected().await;
    let reply = site
        .send("x@sender.example", &["alice@corp.example"], &mail)
        .await;
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(site.delivered().len(), 1);

    // Gone while a request is out: 4xx, and nothing delivered.
    let slow = site.worker(&alice, "[[worker.processors]]\ntype = \"command\"\nprogram = \"/bin/sh\"\nargs = [\"-c\", \"cat >/dev/null; sleep 3; echo '{\\\"action\\\":\\\"pass\\\"}'\"]\n").await;
    drop(_worker);
    let sending = site.send("y@sender.example", &["alice@corp.example"], &mail);
    let cut = async {
        // Cut once the request is out (pending at the node).
        while site.rpc.pending() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let p = proxy.clone();
        blocking(move || p.cut()).await;
    };
    let (reply, ()) = tokio::join!(sending, cut);
    assert_eq!(reply.code, 451, "{reply}");
    assert_eq!(site.delivered().len(), 1, "nothing more delivered");
    drop(slow);
    blocking(move || drop(proxy)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_for_an_offline_worker_keep_their_deadlines_and_leave_nothing_behind() {
    // (The filter's memory under the same load is measured on its own process, in
    // crates/postwarden/tests/worker.rs: this test binary runs other tests beside it.)
    let site = Arc::new(Site::start("").await);
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_millis(500),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    let mail = Arc::new(message("x@sender.example", "while you were out"));
    let round = |count: usize| {
        let site = site.clone();
        let mail = mail.clone();
        async move {
            let mut sessions = tokio::task::JoinSet::new();
            for _ in 0..count / 50 {
                for _ in 0..50 {
                    let (site, mail) = (site.clone(), mail.clone());
                    sessions.spawn(async move {
                        let started = std::time::Instant::now();
                        let reply = site
                            .send("x@sender.example", &["alice@corp.example"], &mail)
                            .await;
                        (reply.code, started.elapsed())
                    });
                }
                while let Some(done) = sessions.join_next().await {
                    let (code, took) = done.unwrap();
                    assert_eq!(code, 451, "nobody answers: Postfix keeps it");
                    assert!(
                        took < Duration::from_millis(500) + Duration::from_secs(5),
                        "the deadline is kept: {took:?}"
                    );
                }
            }
        }
    };
    round(500).await;
    round(1000).await;
    assert_eq!(site.rpc.pending(), 0, "nothing left pending");
    // The requests expire in the worker's queue at their deadline instead of piling up.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while site.vhost().depth(&alice.route.queue) != Some(0) {
        assert!(
            std::time::Instant::now() < deadline,
            "expired requests leave the queue: {:?}",
            site.vhost().depth(&alice.route.queue)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_delayed_copy_waits_and_its_deadline_applies_the_routes_on_timeout() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Pass,
        )
        .await;
    let _worker = site
        .worker(
            &alice,
            "[[worker.processors]]\ntype = \"delay\"\nsenders = [\"@slow.example\"]\nhold = \"1s\"\n",
        )
        .await;
    site.connected().await;
    let reply = site
        .send(
            "x@slow.example",
            &["alice@corp.example"],
            &message("x@slow.example", "wait"),
        )
        .await;
    assert_eq!(reply.code, 250, "accepted and held: {reply}");
    assert!(site.delivered().is_empty(), "not delivered yet");
    let reference = Site::reference(&reply);
    let held = site.store.requests_of(&reference).await.unwrap();
    assert_eq!(held[0].state, RequestState::Held);
    assert_eq!(
        site.handler.settle_held().await,
        0,
        "nothing is due before the hold's deadline"
    );
    // The hold was one second: wait it out, then the sweep applies on_timeout = pass.
    while chrono::Utc::now() <= held[0].deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(site.handler.settle_held().await, 1);
    assert_eq!(site.delivered().len(), 1, "delivered at the deadline");
    let decided = site.store.requests_of(&reference).await.unwrap();
    assert_eq!(decided[0].state, RequestState::Decided);
    assert_eq!(decided[0].action.as_deref(), Some("deliver"));
    assert_eq!(site.handler.settle_held().await, 0, "decided once");
}

#[tokio::test]
async fn a_worker_decides_a_held_copy_later_and_a_refused_one_goes_back_to_the_sender() {
    let site = Site::start("").await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    site.connected().await;
    let mut worker = HandWorker::start(&alice).await;
    let later = message("x@partner.example", "decide later");
    let sending = site.send("x@partner.example", &["alice@corp.example"], &later);
    let working = async {
        let delivery = worker.next().await;
        worker
            .answer(
                &delivery,
                &Reply::new(ReplyAction::Delay, "let me think").to_json(),
            )
            .await;
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .unwrap();
        delivery
    };
    let (reply, delivery) = tokio::join!(sending, working);
    assert_eq!(reply.code, 250, "{reply}");
    assert!(site.delivered().is_empty());
    // Later, the worker releases it.
    worker
        .answer(
            &delivery,
            &Reply::new(ReplyAction::Pass, "fine after all").to_json(),
        )
        .await;
    let reference = Site::reference(&reply);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while site.store.requests_of(&reference).await.unwrap()[0].state != RequestState::Decided {
        assert!(
            std::time::Instant::now() < deadline,
            "the later reply decides"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(site.delivered().len(), 1, "delivered on the worker's word");

    // Held, then past its deadline with on_timeout = tempfail: a report to the sender.
    let never = message("y@partner.example", "never decided");
    let sending = site.send("y@partner.example", &["alice@corp.example"], &never);
    let working = async {
        let delivery = worker.next().await;
        let mut hold = Reply::new(ReplyAction::Delay, "hold");
        hold.hold_seconds = Some(0);
        worker.answer(&delivery, &hold.to_json()).await;
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .unwrap();
    };
    let (reply, ()) = tokio::join!(sending, working);
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(site.handler.settle_held().await, 1);
    let delivered = site.delivered();
    assert_eq!(delivered.len(), 2);
    assert!(
        delivered
            .iter()
            .any(|d| d.contains("X-Rcpt-Args: <y@partner.example>")
                && d.contains("alice@corp.example")),
        "the sender learns the copy was not delivered: {delivered:?}"
    );
    let status = site
        .store
        .requests_of(&Site::reference(&reply))
        .await
        .unwrap();
    assert_eq!(status[0].action.as_deref(), Some("refuse"));
}

#[tokio::test]
async fn another_users_address_cannot_be_an_alias_and_a_refused_route_leaves_nothing() {
    let site = Site::start("").await;
    let _bob = site
        .route(
            "bob@corp.example",
            Duration::from_secs(5),
            OnTimeout::Tempfail,
        )
        .await;
    let alice = site
        .store
        .create_user(&NewUser {
            address: "alice@corp.example",
            display_name: None,
            role: Role::User,
            domains: &[],
            password_hash: None,
            source: UserSource::Local,
        })
        .await
        .unwrap();
    let refused = postwarden_mq::create_route(
        &site.mq,
        &site.store,
        &RouteRequest {
            user: &alice,
            timeout: Duration::from_secs(5),
            on_timeout: OnTimeout::Tempfail,
            aliases: &["bob@corp.example".to_string()],
        },
    )
    .await;
    let error = refused.err().expect("refused").to_string();
    assert!(error.contains("another user's address"), "{error}");
    assert!(site.store.route_of_user(alice.id).await.unwrap().is_none());
    assert_eq!(
        site.vhost().users().len(),
        1,
        "only bob's worker has a broker user"
    );
}

/// The management API's way of provisioning, on a node of the test's own with the plugin
/// (the machine's broker has none, and is not reconfigured): `rabbitmqctl` is made
/// unreachable, so everything on the broker comes through HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_provisioned_through_the_management_api_keep_workers_apart_and_unroute_removes_them()
{
    let broker = blocking(postwarden_testkit::rabbit::PrivateBroker::start).await;
    let mq = format!(
        "url = \"{}\"\nmanagement_url = \"{}\"\nrabbitmqctl = \"/nonexistent/rabbitmqctl\"\n",
        broker.url(),
        broker.management_url()
    );
    let site = Site::start_private(&mq, &broker.url()).await;
    let alice = site
        .route(
            "alice@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let bob = site
        .route(
            "bob@corp.example",
            Duration::from_secs(10),
            OnTimeout::Tempfail,
        )
        .await;
    let user_path = |name: &str| format!("/api/users/{name}");
    let (status, body) = broker.get(&user_path(&alice.route.broker_user));
    assert_eq!(status, 200, "alice's broker user exists: {body}");
    let (_, permissions) = broker.get(&format!(
        "/api/users/{}/permissions",
        alice.route.broker_user
    ));
    assert!(
        permissions.contains(&format!(
            "\"read\":\"^{}$\"",
            alice.route.queue.replace('.', "\\\\.")
        )),
        "she may read her own queue only: {permissions}"
    );

    // Her worker answers with her credentials; bob's queue stays closed to them.
    let _worker = site
        .worker(
            &alice,
            "[[worker.processors]]\ntype = \"lists\"\nblock_senders = [\"@pushy.example\"]\n",
        )
        .await;
    site.connected().await;
    let reply = site
        .send(
            "sales@pushy.example",
            &["alice@corp.example"],
            &message("sales@pushy.example", "offer"),
        )
        .await;
    assert_eq!(reply.code, 554, "alice's worker refuses her copy: {reply}");
    let error = consume_refused(&alice, &bob.route.queue).await;
    assert!(error.contains("ACCESS_REFUSED"), "{error}");

    let user = site
        .store
        .user_by_address("alice@corp.example")
        .await
        .unwrap()
        .unwrap();
    postwarden_mq::remove_route(&site.mq, &site.store, &user)
        .await
        .unwrap();
    assert_eq!(
        broker.get(&user_path(&alice.route.broker_user)).0,
        404,
        "her broker user is gone"
    );
    assert_eq!(
        broker
            .get(&format!("/api/queues/%2F/{}", alice.route.queue))
            .0,
        404,
        "her queue is gone"
    );
    assert_eq!(
        broker.get(&user_path(&bob.route.broker_user)).0,
        200,
        "bob's stays"
    );
}
