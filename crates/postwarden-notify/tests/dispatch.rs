//! The dispatcher end to end: events in the store → rules → directives → groups →
//! rendered, ticketed notifications → real channels (the ClickSend test double, Postfix's
//! smtp-sink, a webhook receiver) → the audit log. The clock is the `now` handed to each
//! pass, so timers are tested without waiting.

use chrono::{DateTime, Duration, TimeZone, Utc};
use postwarden_core::{Config, Event, Severity};
use postwarden_notify::{Dispatcher, Pass};
use postwarden_store::{AttemptRecord, Backend, Store};
use postwarden_testkit::clicksend::ClickSend;
use postwarden_testkit::daemons::{Daemon, dumped, smtp_sink};
use postwarden_testkit::database::TestDatabase;
use postwarden_testkit::gpg::{Gpg, body, parts};
use postwarden_testkit::webhook::WebhookReceiver;

const USER: &str = "apiuser";
const KEY: &str = "s3cret-api-key";
const PHONE: &str = "+12345678901";

struct Setup {
    store: Store,
    dispatcher: Dispatcher,
    database: TestDatabase,
}

impl Setup {
    async fn new(backend: Backend, config: &str) -> Setup {
        let database = TestDatabase::create(backend).await;
        let text = format!(
            "data_dir = \"/nonexistent\"\n[database]\nurl = \"{}\"\n{config}",
            database.url
        );
        let config = Config::from_toml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let store = Store::connect(&config.database_url(), 4).await.unwrap();
        store.migrate().await.unwrap();
        let dispatcher = Dispatcher::new(&config, store.clone(), "mx.example.org").unwrap();
        Setup {
            store,
            dispatcher,
            database,
        }
    }

    async fn pass(&self, now: DateTime<Utc>) -> Pass {
        self.dispatcher.run_once(now).await.unwrap()
    }

    async fn log(&self) -> Vec<AttemptRecord> {
        self.store
            .notify_attempts(Utc.timestamp_opt(0, 0).unwrap(), 10_000)
            .await
            .unwrap()
    }

    async fn finish(self) {
        self.store.close().await;
        self.database.drop_database().await;
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
}

fn auth_failure(minute: i64, ip: &str, user: &str) -> Event {
    let mut e = Event::new(
        t0() + Duration::minutes(minute),
        "auth.failure",
        Severity::Warning,
        "logs",
        format!("SASL LOGIN authentication failed for {user}"),
    );
    e.ip = Some(ip.parse().unwrap());
    e.user = Some(user.into());
    e
}

/// `[channels.ops_mail]` delivering to `sink`, signing with a key real GnuPG made in
/// `gpg`'s home; `rest` follows (more channel keys, then other tables).
fn signed_mail_channel(gpg: &Gpg, sink: &Daemon, rest: &str) -> String {
    let uid = "Postwarden <postwarden@example.org>";
    gpg.generate(uid, "ed25519", "sign", "");
    let key_file = gpg.path("signing.asc");
    std::fs::write(&key_file, gpg.export_secret(uid, "")).unwrap();
    format!(
        r#"
[channels.ops_mail]
type = "email"
smtp = "{}"
security = "none"
from = "postwarden@example.org"
sign_key_file = "{}"
{rest}"#,
        sink.address(),
        key_file.display()
    )
}

fn sms_config(api_base: &str, extra: &str) -> String {
    format!(
        r#"
[channels.ops_sms]
type = "clicksend"
username = "{USER}"
api_key = "{KEY}"
api_base = "{api_base}"
from = "postwarden"
{extra}

[[rules]]
name = "auth"
match = {{ kind = "auth.*" }}
receivers = [{{ channel = "ops_sms", to = ["{PHONE}"] }}]
group_wait = "30s"
group_interval = "5m"
"#
    )
}

async fn events_become_one_ticketed_sms(backend: Backend) {
    let clicksend = ClickSend::start(USER, KEY).await;
    let setup = Setup::new(backend, &sms_config(&clicksend.base_url(), "")).await;
    let ips = ["203.0.113.7", "203.0.113.8", "198.51.100.1"];
    for i in 0..12 {
        setup
            .store
            .insert_event(&auth_failure(i, ips[i as usize % 3], "admin"))
            .await
            .unwrap();
    }
    let routed = t0() + Duration::minutes(12);
    // Within group_wait nothing goes out; the events are routed into one group.
    let first = setup.pass(routed).await;
    assert_eq!(
        (first.events_routed, first.notifications, first.sent),
        (12, 0, 0)
    );
    let pass = setup.pass(routed + Duration::seconds(31)).await;
    assert_eq!((pass.notifications, pass.sent), (1, 1), "{pass:?}");
    let sms = clicksend.accepted();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, PHONE);
    assert_eq!(
        sms[0].body,
        "12 auth failures from 3 IPs in 11 min [20261121-10000001]"
    );
    assert_eq!(sms[0].custom_string, "20261121-10000001");
    let log = setup.log().await;
    assert_eq!(log.len(), 1);
    let sent = &log[0];
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.ticket, "20261121-10000001");
    assert_eq!(
        sent.provider_id.as_deref(),
        Some(sms[0].message_id.as_str())
    );
    assert_eq!(sent.parts, Some(1));
    assert_eq!(sent.price.as_deref(), Some(sms[0].message_price.as_str()));
    assert_eq!(sent.event_ids.split(',').count(), 12);
    // A new event waits for group_interval after the last notification.
    setup
        .store
        .insert_event(&auth_failure(13, "203.0.113.9", "root"))
        .await
        .unwrap();
    let early = setup.pass(routed + Duration::minutes(3)).await;
    assert_eq!(early.sent, 0);
    let later = setup.pass(routed + Duration::minutes(6)).await;
    assert_eq!(later.sent, 1);
    assert_eq!(clicksend.accepted()[1].custom_string, "20261121-10000002");
    setup.finish().await;
}

async fn limits_hold_back_and_fold_events_into_the_next(backend: Backend) {
    let clicksend = ClickSend::start(USER, KEY).await;
    let limits = "limits = { max_per_hour = 1 }";
    let config = sms_config(&clicksend.base_url(), limits)
        .replace("group_wait = \"30s\"", "group_wait = \"0s\"");
    let setup = Setup::new(backend, &config).await;
    setup
        .store
        .insert_event(&auth_failure(0, "203.0.113.7", "a"))
        .await
        .unwrap();
    assert_eq!(setup.pass(t0()).await.sent, 1);
    setup
        .store
        .insert_event(&auth_failure(6, "203.0.113.8", "b"))
        .await
        .unwrap();
    let held = setup.pass(t0() + Duration::minutes(6)).await;
    assert_eq!((held.sent, held.held), (0, 1), "{held:?}");
    setup
        .store
        .insert_event(&auth_failure(20, "203.0.113.9", "c"))
        .await
        .unwrap();
    // Still within the hour: the group is held back until the window allows one more.
    let still = setup.pass(t0() + Duration::minutes(30)).await;
    assert_eq!(still.sent + still.held, 0, "{still:?}");
    let after = setup.pass(t0() + Duration::minutes(61)).await;
    assert_eq!(after.sent, 1, "{after:?}");
    let sms = clicksend.accepted();
    assert_eq!(sms.len(), 2);
    assert!(
        sms[1].body.starts_with("2 auth failures from 2 IPs"),
        "{}",
        sms[1].body
    );
    let statuses: Vec<String> = setup.log().await.into_iter().map(|a| a.status).collect();
    assert_eq!(statuses, ["sent", "rate_limited", "sent"]);
    let pending = setup.store.pending_groups().await.unwrap();
    assert!(pending.is_empty(), "{pending:?}");
    setup.finish().await;
}

postwarden_testkit::on_every_backend!(
    events_become_one_ticketed_sms,
    limits_hold_back_and_fold_events_into_the_next,
);

#[tokio::test]
async fn clicksend_answers_per_message_outages_and_bad_credentials() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let config = sms_config(&clicksend.base_url(), "")
        .replace(
            &format!("to = [\"{PHONE}\"]"),
            "to = [\"+12345678901\", \"+19998887777\"]",
        )
        .replace("group_wait = \"30s\"", "group_wait = \"0s\"");
    let setup = Setup::new(Backend::Sqlite, &config).await;
    clicksend.reject_recipient("+19998887777", "INVALID_RECIPIENT");
    clicksend.fail_next(1, 500);
    setup
        .store
        .insert_event(&auth_failure(0, "203.0.113.7", "a"))
        .await
        .unwrap();
    let outage = setup.pass(t0()).await;
    assert_eq!((outage.sent, outage.retried), (0, 2), "{outage:?}");
    // The retry comes after the backoff (10 s ± 25 %), not before.
    assert_eq!(setup.pass(t0() + Duration::seconds(5)).await.sent, 0);
    let retry = setup.pass(t0() + Duration::seconds(20)).await;
    assert_eq!((retry.sent, retry.failed), (1, 1), "{retry:?}");
    let log = setup.log().await;
    let failed = log.iter().find(|a| a.status == "failed").unwrap();
    assert_eq!(failed.code.as_deref(), Some("INVALID_RECIPIENT"));
    assert_eq!(failed.recipient, "+19998887777");
    assert_eq!(log.iter().filter(|a| a.status == "retried").count(), 2);
    assert!(
        log.iter()
            .any(|a| a.code.as_deref() == Some("INTERNAL_SERVER_ERROR"))
    );
    assert_eq!(clicksend.accepted().len(), 1);
    setup.finish().await;

    // Wrong credentials: 401 is permanent, nothing is retried.
    let wrong = sms_config(&clicksend.base_url(), "")
        .replace(KEY, "wrong")
        .replace("group_wait = \"30s\"", "group_wait = \"0s\"");
    let setup = Setup::new(Backend::Sqlite, &wrong).await;
    setup
        .store
        .insert_event(&auth_failure(0, "203.0.113.7", "a"))
        .await
        .unwrap();
    let pass = setup.pass(t0()).await;
    assert_eq!((pass.failed, pass.retried), (1, 0), "{pass:?}");
    assert_eq!(setup.log().await[0].code.as_deref(), Some("UNAUTHORIZED"));
    setup.finish().await;
}

/// A dispatcher claims a notification, hands it to ClickSend and dies before recording the
/// outcome (its claim expires after a minute).
async fn crash_after_sending(clicksend: &ClickSend, extra: &str) -> Setup {
    let config = format!(
        "{}\n[notify]\nclaim_timeout = \"1m\"\n",
        sms_config(&clicksend.base_url(), extra)
            .replace("group_wait = \"30s\"", "group_wait = \"0s\"")
    );
    let setup = Setup::new(Backend::Sqlite, &config).await;
    setup
        .store
        .insert_event(&auth_failure(0, "203.0.113.7", "a"))
        .await
        .unwrap();
    setup.dispatcher.route(t0()).await.unwrap();
    setup.dispatcher.flush(t0()).await.unwrap();
    let claimed = setup
        .store
        .claim_notifications(t0(), 60_000_000, 10, None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let outgoing = postwarden_notify::channels::Outgoing {
        ticket: claimed[0].ticket.clone(),
        recipient: claimed[0].recipient.clone(),
        subject: String::new(),
        body: claimed[0].body.clone(),
        html: None,
        csv: None,
        format: "sms".into(),
        created: Utc::now(),
        recovering: false,
    };
    let channel = setup.dispatcher.channel("ops_sms").unwrap();
    assert!(channel.send(&[outgoing]).await[0].is_ok());
    setup
}

#[tokio::test]
async fn a_crashed_send_is_found_in_the_providers_history_not_sent_again() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let setup = crash_after_sending(&clicksend, "").await;
    // Before the claim expires nobody touches it; after, the next dispatcher checks
    // ClickSend's history, finds the ticket and records it as sent.
    assert_eq!(setup.pass(t0() + Duration::seconds(30)).await.sent, 0);
    let recovered = setup.pass(t0() + Duration::seconds(61)).await;
    assert_eq!(recovered.sent, 1, "{recovered:?}");
    assert_eq!(clicksend.accepted().len(), 1, "sent once, not twice");
    let log = setup.log().await;
    assert_eq!(
        log[0].provider_id.as_deref(),
        Some(clicksend.accepted()[0].message_id.as_str())
    );
    setup.finish().await;
}

/// The same crash, and ClickSend's history then refuses to say (403): the next dispatcher
/// resends (`on_unknown = "resend"`) or holds it as `unknown` (`"hold"`) — never `failed`.
async fn crashed_send_with_history_refused(
    on_unknown: &str,
) -> (ClickSend, Vec<AttemptRecord>, Pass) {
    let clicksend = ClickSend::start(USER, KEY).await;
    let setup = crash_after_sending(&clicksend, &format!("on_unknown = \"{on_unknown}\"")).await;
    clicksend.refuse_history();
    let pass = setup.pass(t0() + Duration::seconds(61)).await;
    let log = setup.log().await;
    setup.finish().await;
    (clicksend, log, pass)
}

#[tokio::test]
async fn an_unanswerable_history_resends_rather_than_recording_a_failure() {
    let (clicksend, log, pass) = crashed_send_with_history_refused("resend").await;
    assert_eq!(
        (pass.sent, pass.failed, pass.unknown),
        (1, 0, 0),
        "{pass:?}"
    );
    assert_eq!(
        clicksend.accepted().len(),
        2,
        "sent again: at worst a duplicate"
    );
    assert_eq!(log[0].status, "sent");
    assert_eq!(log[0].code.as_deref(), Some("RESENT"));
    let why = log[0].message.as_deref().unwrap_or_default();
    assert!(
        why.contains("FORBIDDEN") && why.contains("possibly a duplicate"),
        "{why}"
    );
}

#[tokio::test]
async fn an_unanswerable_history_can_hold_the_message_as_unknown() {
    let (clicksend, log, pass) = crashed_send_with_history_refused("hold").await;
    assert_eq!(
        (pass.sent, pass.failed, pass.unknown),
        (0, 0, 1),
        "{pass:?}"
    );
    assert_eq!(clicksend.accepted().len(), 1, "not sent again");
    assert_eq!(log[0].status, "unknown");
    assert_eq!(log[0].code.as_deref(), Some("HISTORY_UNAVAILABLE"));
}

/// While the store is down, alerts go straight to their channel (`direct`): a long one is
/// cut to `max_parts` before its ticket, never through it.
#[tokio::test]
async fn an_alert_sent_while_the_store_is_down_keeps_its_ticket_however_long() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let config = Config::from_toml(&sms_config(&clicksend.base_url(), "max_parts = 1")).unwrap();
    let direct = postwarden_notify::direct::DirectSender::new(&config, "mx.test").unwrap();
    let mut event = auth_failure(0, "203.0.113.7", "a");
    event.summary = format!(
        "database unreachable: {}",
        "connection refused (os error 111) ".repeat(20)
    );
    let receivers = direct.receivers(&event);
    assert_eq!(receivers.len(), 1);
    let outcome = direct.send(&event, receivers, Utc::now()).await;
    let ticket = outcome.sent[0].rsplit(' ').next().unwrap().to_owned();
    let sent = clicksend.accepted();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].body.ends_with(&format!("[{ticket}]")),
        "cut before the ticket: {}",
        sent[0].body
    );
    assert_eq!(
        postwarden_notify::sms::segments(&sent[0].body).parts,
        1,
        "{}",
        sent[0].body
    );
    assert_eq!(sent[0].custom_string, ticket);
}

#[tokio::test]
async fn mailgen_directives_become_one_signed_mail_per_asn_with_csv() {
    let gpg = Gpg::new();
    let dumps = tempfile::tempdir().unwrap();
    let sink = smtp_sink(dumps.path());
    let config = signed_mail_channel(&gpg, &sink, "");
    let setup = Setup::new(Backend::Sqlite, &config).await;
    let mut lines = String::new();
    for i in 0..30 {
        let asn = 64500 + i % 3;
        lines.push_str(&format!(
            r#"{{"kind":"abuse.bruteforce","time":"2026-11-21T10:{:02}:00Z","severity":"warning","ip":"203.0.113.{}","user":"=cmd|' /C calc'!A0","attributes":{{"source.asn":{asn}}},"directives":[{{"channel":"ops_mail","recipient":"abuse@as{asn}.example","template":"abuse_report","format":"csv","aggregate":["source.asn"],"interval":"1h"}}]}}"#,
            i, i + 1
        ));
        lines.push('\n');
    }
    let config_channels = Config::from_toml(&config).unwrap().channels;
    let items: Vec<_> = lines
        .lines()
        .map(|line| {
            let (event, specs) =
                postwarden_notify::parse_ingest_line(line, &config_channels, t0()).unwrap();
            (event, specs.into_iter().map(|s| s.into_new(t0())).collect())
        })
        .collect();
    setup
        .store
        .insert_events_with_directives(&items)
        .await
        .unwrap();
    let pass = setup.pass(t0()).await;
    assert_eq!(
        (pass.events_routed, pass.notifications, pass.sent),
        (0, 3, 3),
        "{pass:?}"
    );
    let mails = dumped(dumps.path());
    assert_eq!(mails.len(), 3);
    let mail = mails
        .iter()
        .find(|m| m.contains("abuse@as64501.example"))
        .expect("a mail for AS64501");
    let message = mail.replace('\n', "\r\n");
    let at = message.find("Subject: ").unwrap();
    let subject = &message[at..message[at..].find("\r\n").unwrap() + at];
    assert!(
        subject.starts_with("Subject: [20261121-1000000")
            && subject.ends_with("Abuse report: 10 events source.asn=64501"),
        "{subject}"
    );
    assert!(message.contains("Message-ID: <20261121-1000000"));
    // RFC 3156: verify the signed part with real GnuPG.
    let entity_start = message.find("Content-Type: multipart/signed").unwrap();
    let entity = &message.as_bytes()[entity_start..];
    let signed = parts(entity);
    assert_eq!(signed.len(), 2);
    let verdict = gpg.verify(signed[0], body(signed[1]));
    assert!(
        String::from_utf8_lossy(&verdict.stderr).contains("Good signature"),
        "{}",
        String::from_utf8_lossy(&verdict.stderr)
    );
    // The CSV is attached, one row per event, with formula cells neutralised.
    let inner = String::from_utf8_lossy(signed[0]);
    assert!(inner.contains("filename=\"events.csv\""));
    let csv_b64 = inner
        .split("filename=\"events.csv\"")
        .nth(1)
        .and_then(|rest| rest.split("\r\n\r\n").nth(1))
        .map(|b| b.split("\r\n--").next().unwrap().replace("\r\n", ""))
        .unwrap();
    use base64::Engine;
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(csv_b64)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(csv.lines().count(), 11, "{csv}");
    assert!(csv.contains(",'=cmd|"), "{csv}");
    setup.finish().await;
}

#[tokio::test]
async fn webhooks_get_signed_json_and_outages_are_retried() {
    let receiver = WebhookReceiver::start(503);
    let config = format!(
        r#"
[channels.hook]
type = "webhook"
url = "{}"
secret = "hook-secret"

[[rules]]
match = {{ kind = "mail.virus" }}
receivers = [{{ channel = "hook", to = "soc" }}]
group_wait = "0s"
"#,
        receiver.url()
    );
    let setup = Setup::new(Backend::Sqlite, &config).await;
    let mut virus = Event::new(
        t0(),
        "mail.virus",
        Severity::Critical,
        "filter",
        "Eicar-Signature in mail from x@example.net",
    );
    virus.sender = Some("x@example.net".into());
    setup.store.insert_event(&virus).await.unwrap();
    assert_eq!(setup.pass(t0()).await.retried, 1);
    receiver.set_status(200);
    assert_eq!(setup.pass(t0() + Duration::minutes(1)).await.sent, 1);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    let last = &got[1];
    let json: serde_json::Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(json["ticket"], "20261121-10000001");
    assert_eq!(json["events"][0]["sender"], "x@example.net");
    assert_eq!(last.headers["idempotency-key"], "20261121-10000001");
    let expected = postwarden_core::http::sign_webhook(
        "hook-secret",
        &last.headers["x-postwarden-timestamp"],
        &last.body,
    );
    assert_eq!(last.headers["x-postwarden-signature"], expected);
    setup.finish().await;
}

#[tokio::test]
async fn duplicates_and_unchanged_repeats_are_suppressed_and_audited() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let config = sms_config(
        &clicksend.base_url(),
        "limits = { duplicate_window = \"30m\" }",
    )
    .replace("group_wait = \"30s\"", "group_wait = \"0s\"")
    .replace("group_interval = \"5m\"", "group_interval = \"1m\"");
    let setup = Setup::new(Backend::Sqlite, &config).await;
    let (ticket, state) = setup
        .dispatcher
        .send_now("ops_sms", PHONE, "Postfix is down on mx1", t0())
        .await
        .unwrap();
    assert_eq!(state.status, "sent", "{ticket}: {state:?}");
    let (_, again) = setup
        .dispatcher
        .send_now(
            "ops_sms",
            PHONE,
            "Postfix is down on mx1",
            t0() + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(again.status, "duplicate");
    let (_, other) = setup
        .dispatcher
        .send_now(
            "ops_sms",
            PHONE,
            "Postfix is up again on mx1",
            t0() + Duration::minutes(6),
        )
        .await
        .unwrap();
    assert_eq!(other.status, "sent");
    // A text that failed was not delivered: sending it again is no duplicate.
    clicksend.reject_recipient("+19998887777", "INSUFFICIENT_CREDIT");
    for minute in [7, 8] {
        let at = t0() + Duration::minutes(minute);
        let (_, failed) = setup
            .dispatcher
            .send_now("ops_sms", "+19998887777", "Postfix is down on mx2", at)
            .await
            .unwrap();
        assert_eq!(failed.status, "failed", "{failed:?}");
    }
    let bad = setup
        .dispatcher
        .send_now("ops_sms", "12345", "x", t0())
        .await
        .unwrap_err();
    assert!(bad.contains("not an E.164 number"), "{bad}");
    assert_eq!(clicksend.accepted().len(), 2);
    let statuses: Vec<String> = setup.log().await.into_iter().map(|a| a.status).collect();
    assert_eq!(statuses, ["sent", "duplicate", "sent", "failed", "failed"]);
    setup.finish().await;
}

/// A recipient whose public key is in `encrypt_keys_dir` gets the notification signed and
/// encrypted (RFC 3156 multipart/encrypted); GnuPG decrypts it to the signed entity and
/// verifies the signature.
#[tokio::test]
async fn mail_to_a_recipient_with_a_key_is_encrypted_and_signed() {
    let gpg = Gpg::new();
    gpg.generate("SOC <soc@example.net>", "default", "default", "");
    let keys = tempfile::tempdir().unwrap();
    let recipients = keys.path().join("recipients");
    std::fs::create_dir(&recipients).unwrap();
    std::fs::write(
        recipients.join("soc@example.net.asc"),
        gpg.export_public("SOC <soc@example.net>"),
    )
    .unwrap();
    let dumps = tempfile::tempdir().unwrap();
    let sink = smtp_sink(dumps.path());
    let rest = format!(
        r#"encrypt_keys_dir = "{}"

[[rules]]
match = {{ kind = "mail.virus" }}
receivers = [{{ channel = "ops_mail", to = ["soc@example.net", "admin@example.org"] }}]
group_wait = "0s"
"#,
        recipients.display()
    );
    let config = signed_mail_channel(&gpg, &sink, &rest);
    let setup = Setup::new(Backend::Sqlite, &config).await;
    let virus = Event::new(
        t0(),
        "mail.virus",
        Severity::Critical,
        "filter",
        "Eicar-Signature in a mail to soc",
    );
    setup.store.insert_event(&virus).await.unwrap();
    assert_eq!(setup.pass(t0()).await.sent, 2);
    let mails = dumped(dumps.path());
    let to_soc = mails
        .iter()
        .find(|m| m.contains("To: soc@example.net"))
        .unwrap();
    let to_admin = mails
        .iter()
        .find(|m| m.contains("To: admin@example.org"))
        .unwrap();
    assert!(to_admin.contains("multipart/signed") && !to_admin.contains("multipart/encrypted"));
    assert!(
        !to_soc.contains("Eicar-Signature"),
        "the text is not readable on the way"
    );
    let message = to_soc.replace('\n', "\r\n");
    let entity = &message.as_bytes()[message.find("Content-Type: multipart/encrypted").unwrap()..];
    let encrypted = parts(entity);
    let decrypted = gpg.decrypt(body(encrypted[1]));
    let decrypted = String::from_utf8(decrypted).unwrap();
    assert!(
        decrypted.starts_with("Content-Type: multipart/signed"),
        "{decrypted}"
    );
    let signed = parts(decrypted.as_bytes());
    let verdict = gpg.verify(signed[0], body(signed[1]));
    assert!(String::from_utf8_lossy(&verdict.stderr).contains("Good signature"));
    // The text part (base64: the template's "-- " line ends in a space) holds the real subject.
    let inner = String::from_utf8_lossy(signed[0]).into_owned();
    let encoded = inner
        .split("Content-Transfer-Encoding: base64\r\n\r\n")
        .nth(1)
        .unwrap()
        .replace("\r\n", "");
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("Subject: [postwarden] CRITICAL: Eicar-Signature"),
        "{text}"
    );
    setup.finish().await;
}

/// Events stored while no dispatcher ran, older than `max_event_age` when first routed,
/// page nobody; fresh ones still do.
#[tokio::test]
async fn events_older_than_max_event_age_notify_nobody() {
    let clicksend = ClickSend::start(USER, KEY).await;
    let config = sms_config(&clicksend.base_url(), "")
        .replace("group_wait = \"30s\"", "group_wait = \"0s\"")
        + "\n[notify]\nmax_event_age = \"1h\"\n";
    let setup = Setup::new(Backend::Sqlite, &config).await;
    let mut stale = auth_failure(0, "203.0.113.7", "old");
    stale.time = t0() - Duration::days(2);
    setup.store.insert_event(&stale).await.unwrap();
    setup
        .store
        .insert_event(&auth_failure(0, "203.0.113.8", "new"))
        .await
        .unwrap();
    let pass = setup.pass(t0() + Duration::minutes(1)).await;
    assert_eq!((pass.events_routed, pass.sent), (2, 1), "{pass:?}");
    assert!(
        clicksend.accepted()[0]
            .body
            .contains("authentication failed for new")
    );
    setup.finish().await;
}
