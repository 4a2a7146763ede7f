//! Sender authentication end to end: the `auth` processor asks a real resolver, which asks
//! the test's own DNS server on loopback (SPF records, DKIM keys, DMARC policies; UDP, and
//! TCP for the truncated 2048-bit keys); messages are signed and sealed with real keys;
//! what the filter relays lands in Postfix's smtp-sink. And rspamd: a real one, private.

mod senders;

use postwarden_core::{Action, Config};
use postwarden_filter::Filter;
use postwarden_filter::quarantine::Quarantine;
use postwarden_smtp::server::Envelope;
use postwarden_store::Store;
use postwarden_testkit::daemons::{dumped, smtp_sink};
use postwarden_testkit::dns::{DnsServer, Zones};
use postwarden_testkit::rspamd::Rspamd;
use std::net::IpAddr;

const BANK_IP: &str = "192.0.2.10";
const SHOP_IP: &str = "192.0.2.20";
const LIST_IP: &str = "192.0.2.30";
const STRANGER_IP: &str = "203.0.113.5";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// bank.example (p=reject), shop.example (p=quarantine), two mailing lists (one trusted),
/// and slow.example whose records never answer.
fn zones() -> Zones {
    let zones = senders::publish(Zones::new(), "bank.example", &[ip(BANK_IP)], Some("reject"));
    let zones = senders::publish(zones, "shop.example", &[ip(SHOP_IP)], Some("quarantine"));
    let zones = senders::publish(zones, "lists.example.net", &[ip(LIST_IP)], None);
    let zones = senders::publish(zones, "other-list.example", &[ip(LIST_IP)], None);
    zones.silent("slow.example").silent("_dmarc.slow.example")
}

struct World {
    dir: tempfile::TempDir,
    dns: DnsServer,
    filter: Filter,
    store: Store,
    _sink: postwarden_testkit::daemons::Daemon,
}

impl World {
    async fn start(processors: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let dns = DnsServer::start(zones()).await;
        let sink = smtp_sink(&dir.path().join("sink"));
        let config = Config::from_toml(&format!(
            "[dns]\nnameservers = [\"{}\"]\ntimeout = \"400ms\"\nattempts = 1\n\
             [filter]\nnext_hop = \"{}\"\nauthserv_id = \"mx.example.org\"\n{processors}",
            dns.addr(),
            sink.address()
        ))
        .unwrap();
        let store = postwarden_testkit::database::sqlite_store(dir.path()).await;
        let filter = Filter::build(
            &config.filter,
            &config.dns,
            "filter.test",
            Quarantine::new(dir.path().join("quarantine")),
            Some(store.clone()),
        )
        .await
        .unwrap();
        Self {
            dir,
            dns,
            filter,
            store,
            _sink: sink,
        }
    }

    async fn handle(
        &self,
        client_ip: &str,
        mail_from: &str,
        message: Vec<u8>,
    ) -> postwarden_filter::Outcome {
        let envelope = Envelope {
            helo: "postfix.test".into(),
            xforward: vec![
                ("ADDR".into(), client_ip.into()),
                ("HELO".into(), "mx.sender.example".into()),
            ],
            mail_from: mail_from.into(),
            recipients: vec!["alice@example.org".into()],
            ..Envelope::default()
        };
        self.filter.handle(&envelope, message).await
    }

    fn relayed(&self) -> Vec<String> {
        dumped(&self.dir.path().join("sink"))
    }
}

const AUTH: &str =
    "[[filter.processors]]\ntype = \"auth\"\ntrusted_arc_sealers = [\"lists.example.net\"]\n";

fn message(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{}@test>\r\n\r\n\
         Your statement is ready.\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn reasons(outcome: &postwarden_filter::Outcome) -> String {
    outcome
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.processor, f.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn aligned_mail_passes_with_our_authentication_results_and_forged_ones_go() {
    let world = World::start(AUTH).await;
    let mut signed = senders::dkim_sign(
        &message("Bank <news@bank.example>", "statement"),
        "bank.example",
    );
    let forged = b"Authentication-Results: mx.example.org; dkim=pass header.d=forged.example\r\n";
    signed.splice(0..0, forged.iter().copied());
    let outcome = world.handle(BANK_IP, "bounce@bank.example", signed).await;
    assert_eq!(outcome.reply.code, 250, "{}", reasons(&outcome));
    let relayed = world.relayed();
    assert_eq!(relayed.len(), 1);
    let copy = &relayed[0];
    let ours = copy
        .split("Authentication-Results: mx.example.org;")
        .nth(1)
        .expect("our header")
        .split("\n\n")
        .next()
        .unwrap();
    for result in [
        "dkim=pass",
        "spf=pass",
        "dmarc=pass",
        "header.d=bank.example",
    ] {
        assert!(ours.contains(result), "{result} in {copy}");
    }
    assert!(
        !copy.contains("forged.example"),
        "the forged header is gone: {copy}"
    );
    assert_eq!(copy.matches("Authentication-Results:").count(), 1, "{copy}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spoofed_sender_is_refused_under_p_reject_and_held_under_p_quarantine() {
    let world = World::start(AUTH).await;
    let spoofed = world
        .handle(
            STRANGER_IP,
            "x@stranger.example",
            message("Bank <security@bank.example>", "verify"),
        )
        .await;
    assert_eq!(spoofed.reply.code, 554, "{}", reasons(&spoofed));
    assert!(
        spoofed
            .reply
            .to_string()
            .contains("dmarc_fail: bank.example p=reject"),
        "{}",
        spoofed.reply
    );
    let held = world
        .handle(
            STRANGER_IP,
            "x@stranger.example",
            message("Shop <orders@shop.example>", "order"),
        )
        .await;
    assert_eq!(held.reply.code, 250);
    assert_eq!(
        held.decisions[0].1.action,
        Action::Quarantine,
        "{}",
        reasons(&held)
    );
    assert_eq!(world.store.quarantine_entries(10).await.unwrap().len(), 1);
    assert!(world.relayed().is_empty(), "nothing delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_lists_arc_seal_excuses_what_forwarding_broke_and_an_untrusted_one_does_not() {
    let world = World::start(AUTH).await;
    let original = senders::dkim_sign(
        &message("Bank <news@bank.example>", "newsletter"),
        "bank.example",
    );
    let trusted = senders::forward_and_seal(&original, "lists.example.net", world.dns.addr()).await;
    let outcome = world
        .handle(LIST_IP, "list-bounces@lists.example.net", trusted)
        .await;
    assert_eq!(outcome.reply.code, 250, "{}", reasons(&outcome));
    assert!(
        reasons(&outcome).contains("excused: ARC chain sealed by trusted lists.example.net"),
        "{}",
        reasons(&outcome)
    );

    let untrusted =
        senders::forward_and_seal(&original, "other-list.example", world.dns.addr()).await;
    let refused = world
        .handle(LIST_IP, "bounces@other-list.example", untrusted)
        .await;
    assert_eq!(refused.reply.code, 554, "{}", reasons(&refused));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dns_timeout_is_a_temporary_error_never_a_failure() {
    let world = World::start(AUTH).await;
    let outcome = world
        .handle(
            STRANGER_IP,
            "news@slow.example",
            message("Slow <news@slow.example>", "slow"),
        )
        .await;
    assert_eq!(outcome.reply.code, 250, "{}", reasons(&outcome));
    let all = reasons(&outcome);
    assert!(all.contains("spf_temperror"), "{all}");
    assert!(all.contains("dmarc_temperror"), "{all}");
    assert!(!all.contains("_fail"), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_are_cached_between_messages() {
    let world = World::start(AUTH).await;
    let signed = senders::dkim_sign(&message("Bank <news@bank.example>", "one"), "bank.example");
    let first = world
        .handle(BANK_IP, "bounce@bank.example", signed.clone())
        .await;
    assert_eq!(first.reply.code, 250);
    let asked = world.dns.queries();
    assert!(asked >= 3, "SPF, DKIM key and DMARC were asked: {asked}");
    let second = world.handle(BANK_IP, "bounce@bank.example", signed).await;
    assert_eq!(second.reply.code, 250);
    assert_eq!(
        world.dns.queries(),
        asked,
        "the second message asked nothing"
    );
}

/// rspamd's own verdicts through its HTTP protocol: GTUBE is rspamd's reject, which is
/// ours; a high score without reject tags; rspamd down follows `on_error`.
#[tokio::test(flavor = "multi_thread")]
async fn rspamd_verdicts_become_ours_and_its_absence_follows_on_error() {
    let rspamd = Rspamd::start().expect("rspamd");
    let processors = |url: &str, on_error: &str| {
        format!(
            "[[filter.processors]]\ntype = \"rspamd\"\nurl = \"{url}\"\ntimeout = \"5s\"\non_error = \"{on_error}\"\n"
        )
    };
    let world = World::start(&processors(&rspamd.url(), "tempfail")).await;
    let gtube = format!(
        "From: a@b.example\r\nTo: alice@example.org\r\nSubject: test\r\nMessage-ID: <g@b.example>\r\n\r\n{}\r\n",
        postwarden_testkit::rspamd::GTUBE
    );
    let rejected = world
        .handle(STRANGER_IP, "a@b.example", gtube.into_bytes())
        .await;
    assert_eq!(rejected.reply.code, 554, "{}", reasons(&rejected));
    let finding = &rejected.findings[0];
    assert_eq!(finding.processor, "rspamd");
    assert!(
        finding.reason.starts_with("reject, score"),
        "{}",
        finding.reason
    );
    assert!(finding.reason.contains("GTUBE"), "{}", finding.reason);
    let log = rspamd.log();
    assert!(
        log.contains("alice@example.org") && log.contains(STRANGER_IP),
        "rspamd saw the envelope: {log}"
    );

    let clean = world
        .handle(
            STRANGER_IP,
            "a@b.example",
            message("A <a@b.example>", "hello"),
        )
        .await;
    assert_eq!(clean.reply.code, 250, "{}", reasons(&clean));
    assert!(
        clean.findings[0].reason.starts_with("no action"),
        "{}",
        reasons(&clean)
    );

    let port = rspamd.port();
    drop(rspamd);
    let down = format!("http://127.0.0.1:{port}");
    let deferring = World::start(&processors(&down, "tempfail")).await;
    let deferred = deferring
        .handle(
            STRANGER_IP,
            "a@b.example",
            message("A <a@b.example>", "hello"),
        )
        .await;
    assert_eq!(deferred.reply.code, 451);
    let skipping = World::start(&processors(&down, "skip")).await;
    let skipped = skipping
        .handle(
            STRANGER_IP,
            "a@b.example",
            message("A <a@b.example>", "hello"),
        )
        .await;
    assert_eq!(skipped.reply.code, 250);
    assert!(
        skipped.findings[0].reason.starts_with("failed: "),
        "{}",
        reasons(&skipped)
    );
}
