//! One test per line shape, with lines as Postfix 3.x writes them.

use std::net::IpAddr;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use postwarden_logs::parse::{
    Counter, DeliveryStatus, Detail, Kind, ParseContext, Record, RejectClass, Stage, Unparsed,
    Zone, parse_line,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap()
}

/// Parses a line built in the test (leaked: tests are short-lived).
fn parse(line: impl AsRef<str>) -> Record<'static> {
    let line: &'static str = Box::leak(line.as_ref().to_owned().into_boxed_str());
    let mut ctx = ParseContext::new(now(), Zone::Utc);
    parse_line(line.as_bytes(), &mut ctx).unwrap_or_else(|e| panic!("{e:?}: {line}"))
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

const H: &str = "Nov 21 23:56:43 mx1";

fn reject_detail<'a>(
    r: &Record<'a>,
) -> (
    Stage,
    Option<u16>,
    Option<&'a str>,
    RejectClass,
    Option<&'a str>,
) {
    match r.detail {
        Detail::Reject {
            stage,
            code,
            enhanced,
            class,
            rbl,
            ..
        } => (stage, code, enhanced, class, rbl),
        ref d => panic!("not a reject: {d:?}"),
    }
}

// ---------- header ----------

#[test]
fn header_fields() {
    let r = parse(
        "Nov 21 23:56:43 mx1 postfix/submission/smtpd[4242]: connect from unknown[192.0.2.7]",
    );
    assert_eq!(r.host, "mx1");
    assert_eq!(r.service, "postfix/submission/smtpd");
    assert_eq!(r.pid, Some(4242));
    assert_eq!(r.time.to_rfc3339(), "2026-11-21T23:56:43+00:00");
    assert_eq!(r.kind, Kind::Connect);
    assert_eq!(r.ip, ip("192.0.2.7"));
    assert_eq!(r.client_name, Some("unknown"));
    assert!(!r.abusive);
}

#[test]
fn services_and_optional_pid() {
    for svc in [
        "postfix/smtpd",
        "postfix/smtps/smtpd",
        "postfix-out/smtpd",
        "postfix/postscreen",
        "postfix",
    ] {
        let line = format!("{H} {svc}[1]: connect from a.example[192.0.2.1]");
        assert_eq!(parse(&line).service, svc);
        let line = format!("{H} {svc}: connect from a.example[192.0.2.1]");
        let r = parse(&line);
        assert_eq!((r.service, r.pid, r.kind), (svc, None, Kind::Connect));
    }
}

#[test]
fn two_space_day_and_crlf() {
    let r = parse("Nov  1 02:03:04 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed\r\n");
    assert_eq!(r.time.to_rfc3339(), "2026-11-01T02:03:04+00:00");
    assert_eq!(r.kind, Kind::Removed);
    assert_eq!(r.queue_id, Some("3F2A81C0B4"));
}

#[test]
fn rfc3339_timestamps() {
    let r = parse("2026-11-21T23:56:43.123456+01:00 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed");
    assert_eq!(r.time.to_rfc3339(), "2026-11-21T23:56:43.123456+01:00");
    let r = parse("2026-11-21T22:56:43Z mx1 postfix/qmgr[900]: 3F2A81C0B4: removed");
    assert_eq!(r.time.to_rfc3339(), "2026-11-21T22:56:43+00:00");
    let r = parse("2026-11-21T23:56:43.5-0500 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed");
    assert_eq!(r.time.to_rfc3339(), "2026-11-21T23:56:43.500-05:00");
}

#[test]
fn rfc3339_cache_keeps_fraction_and_offset_apart() {
    let mut ctx = ParseContext::new(now(), Zone::Utc);
    let a = "2026-11-21T23:56:43.100000+01:00 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed";
    let b = "2026-11-21T23:56:43.200000+02:00 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed";
    let ta = parse_line(a.as_bytes(), &mut ctx).unwrap().time;
    let tb = parse_line(b.as_bytes(), &mut ctx).unwrap().time;
    assert_eq!(ta.to_rfc3339(), "2026-11-21T23:56:43.100+01:00");
    assert_eq!(tb.to_rfc3339(), "2026-11-21T23:56:43.200+02:00");
}

#[test]
fn long_queue_id() {
    let r = parse(format!("{H} postfix/qmgr[900]: 4dSlWD0bY9z9vH3: removed"));
    assert_eq!(r.queue_id, Some("4dSlWD0bY9z9vH3"));
    assert_eq!(r.kind, Kind::Removed);
}

// ---------- year inference ----------

fn year_of(line: &str, now: DateTime<Utc>, zone: Zone) -> i32 {
    let mut ctx = ParseContext::new(now, zone);
    parse_line(line.as_bytes(), &mut ctx).unwrap().time.year()
}

#[test]
fn year_inference() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
    let l = |ts: &str| format!("{ts} mx1 postfix/qmgr[9]: 3F2A81C0B4: removed");
    assert_eq!(year_of(&l("Dec 31 23:59:59"), now, Zone::Utc), 2025);
    assert_eq!(year_of(&l("Jan  1 00:10:00"), now, Zone::Utc), 2026);
    // A few hours in the future (clock skew, another zone) stays in this year.
    assert_eq!(year_of(&l("Jan  1 06:00:00"), now, Zone::Utc), 2026);
    // More than a day ahead goes back a year.
    assert_eq!(year_of(&l("Jan  3 00:00:00"), now, Zone::Utc), 2025);
    // Late in the year, early January is next year only within a day.
    let late = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
    assert_eq!(year_of(&l("Jan  1 00:05:00"), late, Zone::Utc), 2027);
    // Feb 29 goes back to the last leap year.
    assert_eq!(year_of(&l("Feb 29 12:00:00"), now, Zone::Utc), 2024);
}

#[test]
fn year_inference_in_named_zone() {
    // 2026-01-01T00:30Z is 01:30 in Berlin: "Jan 1 01:00" there is in the past, this year.
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
    let zone: Zone = "Europe/Berlin".parse().unwrap();
    let line = "Jan  1 01:00:00 mx1 postfix/qmgr[9]: 3F2A81C0B4: removed";
    let mut ctx = ParseContext::new(now, zone);
    let t = parse_line(line.as_bytes(), &mut ctx).unwrap().time;
    assert_eq!(t.to_rfc3339(), "2026-01-01T01:00:00+01:00");
}

#[test]
fn dst_gap_and_fold_do_not_panic() {
    let zone: Zone = "Europe/Berlin".parse().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let mut ctx = ParseContext::new(now, zone);
    // 02:30 on 29 March 2026 does not exist in Berlin; 02:30 on 25 October exists twice.
    for ts in [
        "Mar 29 02:30:00",
        "Mar 29 02:00:00",
        "Oct 25 02:30:00",
        "Oct 25 02:59:59",
        "Oct 25 03:00:00",
    ] {
        let line = format!("{ts} mx1 postfix/qmgr[9]: 3F2A81C0B4: removed");
        let r = parse_line(line.as_bytes(), &mut ctx).unwrap();
        assert_eq!(r.time.year(), 2026, "{ts}");
    }
    let line = "Oct 25 02:30:00 mx1 postfix/qmgr[9]: 3F2A81C0B4: removed";
    let t = parse_line(line.as_bytes(), &mut ctx).unwrap().time;
    assert_eq!(
        t.to_rfc3339(),
        "2026-10-25T02:30:00+02:00",
        "the earlier of the fold"
    );
    let line = "Mar 29 02:30:00 mx1 postfix/qmgr[9]: 3F2A81C0B4: removed";
    let t = parse_line(line.as_bytes(), &mut ctx).unwrap().time;
    assert_eq!(
        t.to_rfc3339(),
        "2026-03-29T02:30:00+01:00",
        "offset before the gap"
    );
    // Local never panics either.
    let mut ctx = ParseContext::new(now, Zone::Local);
    assert!(parse_line(line.as_bytes(), &mut ctx).is_ok());
}

#[test]
fn zone_from_str() {
    assert_eq!("UTC".parse::<Zone>().unwrap(), Zone::Utc);
    assert_eq!("utc".parse::<Zone>().unwrap(), Zone::Utc);
    assert_eq!("local".parse::<Zone>().unwrap(), Zone::Local);
    assert_eq!(
        "America/New_York".parse::<Zone>().unwrap(),
        Zone::Named(chrono_tz::America::New_York)
    );
    let e = "Mars/Olympus".parse::<Zone>().unwrap_err().to_string();
    assert!(e.contains("Mars/Olympus"), "{e}");
}

// ---------- SASL ----------

#[test]
fn auth_failed() {
    let r = parse(format!(
        "{H} postfix/submission/smtpd[4242]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
    ));
    assert_eq!(r.kind, Kind::AuthFailed);
    assert!(r.abusive);
    assert_eq!(r.ip, ip("192.0.2.7"));
    assert_eq!(r.client_name, Some("unknown"));
    assert_eq!(r.user, None);
    assert_eq!(
        r.detail,
        Detail::Auth {
            mechanism: Some("LOGIN"),
            reason: Some("UGFzc3dvcmQ6"),
            sender: None
        }
    );
}

#[test]
fn auth_failed_ipv6_port_and_username() {
    let r = parse(format!(
        "{H} postfix/smtps/smtpd[7]: warning: host-2001-db8.example.net[2001:db8:12::7]:50123: SASL PLAIN authentication failed: authentication failure, sasl_username=alice@example.com"
    ));
    assert_eq!(r.kind, Kind::AuthFailed);
    assert_eq!(r.ip, ip("2001:db8:12::7"));
    assert_eq!(r.port, Some(50123));
    assert_eq!(r.user, Some("alice@example.com"));
    match r.detail {
        Detail::Auth {
            mechanism, reason, ..
        } => {
            assert_eq!(mechanism, Some("PLAIN"));
            assert_eq!(reason, Some("authentication failure"));
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn auth_failed_empty_reason() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: unknown[192.0.2.7]: SASL CRAM-MD5 authentication failed: "
    ));
    assert_eq!(r.kind, Kind::AuthFailed);
    assert!(r.abusive);
}

#[test]
fn auth_server_lost_is_not_abuse() {
    let r = parse(format!(
        "{H} postfix/submission/smtpd[7]: warning: mail.example.com[192.0.2.8]: SASL LOGIN authentication failed: Connection lost to authentication server"
    ));
    assert_eq!(r.kind, Kind::AuthServerLost);
    assert!(!r.abusive);
    assert_eq!(r.ip, ip("192.0.2.8"));
}

#[test]
fn auth_success() {
    let r = parse(format!(
        "{H} postfix/submission/smtpd[7]: 3F2A81C0B4: client=laptop.example.org[203.0.113.4], sasl_method=PLAIN, sasl_username=bob"
    ));
    assert_eq!(r.kind, Kind::AuthSuccess);
    assert!(!r.abusive);
    assert_eq!(r.user, Some("bob"));
    assert_eq!(r.queue_id, Some("3F2A81C0B4"));
    assert_eq!(r.ip, ip("203.0.113.4"));
    assert_eq!(
        r.detail,
        Detail::Auth {
            mechanism: Some("PLAIN"),
            reason: None,
            sender: None
        }
    );
}

#[test]
fn client_without_sasl() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: 3F2A81C0B4: client=mail.example.com[198.51.100.3]"
    ));
    assert_eq!(r.kind, Kind::Client);
    assert_eq!(r.ip, ip("198.51.100.3"));
    assert_eq!(r.user, None);
}

// ---------- rejects ----------

#[test]
fn reject_relay_denied_with_fields() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 <victim@example.org>: Relay access denied; from=<spam1@example.biz> to=<victim@example.org> proto=ESMTP helo=<User>"
    ));
    assert_eq!(r.kind, Kind::Reject);
    assert!(r.abusive);
    assert_eq!(r.queue_id, None);
    assert_eq!(r.ip, ip("198.51.100.9"));
    assert_eq!(
        r.detail,
        Detail::Reject {
            stage: Stage::Rcpt,
            code: Some(554),
            enhanced: Some("5.7.1"),
            class: RejectClass::RelayDenied,
            rbl: None,
            reason: Some("<victim@example.org>: Relay access denied"),
            from: Some("spam1@example.biz"),
            to: Some("victim@example.org"),
            helo: Some("User"),
            proto: Some("ESMTP"),
        }
    );
}

#[test]
fn reject_unknown_user() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from a.example[192.0.2.1]: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table; from=<a@b.example> to=<nobody@example.com> proto=ESMTP helo=<a.example>"
    ));
    let (stage, code, enh, class, _) = reject_detail(&r);
    assert_eq!(
        (stage, code, enh, class),
        (
            Stage::Rcpt,
            Some(550),
            Some("5.1.1"),
            RejectClass::UnknownUser
        )
    );
}

#[test]
fn reject_recipient_other() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from a.example[192.0.2.1]: 450 4.1.2 <x@nowhere.invalid>: Recipient address rejected: Domain not found; from=<a@b.example> to=<x@nowhere.invalid> proto=ESMTP helo=<a.example>"
    ));
    assert_eq!(reject_detail(&r).3, RejectClass::RecipientRejected);
    assert!(r.abusive);
}

#[test]
fn reject_rbl_names_list_and_ignores_ip_in_text() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/1.2.3.4; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"
    ));
    let (_, _, _, class, rbl) = reject_detail(&r);
    assert_eq!(class, RejectClass::Rbl);
    assert_eq!(rbl, Some("zen.spamhaus.org"));
    assert_eq!(
        r.ip,
        ip("198.51.100.9"),
        "ip comes from name[ip], not the text"
    );
}

#[test]
fn reject_connect_stage_without_from() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: CONNECT from unknown[198.51.100.9]: 554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using bl.spamcop.net; proto=SMTP"
    ));
    let (stage, _, _, class, rbl) = reject_detail(&r);
    assert_eq!(
        (stage, class, rbl),
        (Stage::Connect, RejectClass::Rbl, Some("bl.spamcop.net"))
    );
    match r.detail {
        Detail::Reject { proto, from, .. } => assert_eq!((proto, from), (Some("SMTP"), None)),
        _ => unreachable!(),
    }
}

#[test]
fn reject_helo() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 504 5.5.2 <ylmf-pc>: Helo command rejected: need fully-qualified hostname; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<ylmf-pc>"
    ));
    assert_eq!(reject_detail(&r).3, RejectClass::HeloRejected);
    match r.detail {
        Detail::Reject { helo, .. } => assert_eq!(helo, Some("ylmf-pc")),
        _ => unreachable!(),
    }
}

#[test]
fn reject_client_host() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"
    ));
    let (_, code, _, class, _) = reject_detail(&r);
    assert_eq!((code, class), (Some(450), RejectClass::ClientHostRejected));
    assert!(r.abusive);
}

#[test]
fn reject_sender() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: MAIL from unknown[192.0.2.1]: 553 5.7.1 <ceo@example.org>: Sender address rejected: not logged in; from=<ceo@example.org> proto=ESMTP helo=<x>"
    ));
    let (stage, _, _, class, _) = reject_detail(&r);
    assert_eq!((stage, class), (Stage::Mail, RejectClass::SenderRejected));
}

#[test]
fn reject_other_and_greylisting_not_abusive() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: DATA from a.example[192.0.2.1]: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce; from=<> proto=ESMTP helo=<a.example>"
    ));
    assert_eq!(reject_detail(&r).0, Stage::Data);
    assert_eq!(reject_detail(&r).3, RejectClass::Other);
    assert!(r.abusive);
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from a.example[192.0.2.1]: 451 4.7.1 Service unavailable - try again later; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>"
    ));
    assert_eq!(reject_detail(&r).3, RejectClass::Other);
    assert!(
        !r.abusive,
        "temporary 4xx of class other (greylisting) is lawful"
    );
}

#[test]
fn milter_reject_end_of_message() {
    let r = parse(format!(
        "{H} postfix/cleanup[7]: 3F2A81C0B4: milter-reject: END-OF-MESSAGE from a.example[192.0.2.1]: 5.7.1 Spam message rejected; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>"
    ));
    assert_eq!(r.kind, Kind::Reject);
    assert_eq!(r.queue_id, Some("3F2A81C0B4"));
    let (stage, code, enh, class, _) = reject_detail(&r);
    assert_eq!(
        (stage, code, enh, class),
        (
            Stage::EndOfMessage,
            None,
            Some("5.7.1"),
            RejectClass::Milter
        )
    );
    assert!(r.abusive);
}

#[test]
fn reject_stages() {
    for (word, stage) in [
        ("CONNECT", Stage::Connect),
        ("EHLO", Stage::Ehlo),
        ("HELO", Stage::Helo),
        ("MAIL", Stage::Mail),
        ("RCPT", Stage::Rcpt),
        ("DATA", Stage::Data),
        ("BDAT", Stage::Bdat),
        ("VRFY", Stage::Vrfy),
        ("END-OF-MESSAGE", Stage::EndOfMessage),
    ] {
        let line = format!(
            "{H} postfix/smtpd[7]: NOQUEUE: reject: {word} from a.example[192.0.2.1]: 550 5.7.1 Access denied; proto=ESMTP helo=<a.example>"
        );
        assert_eq!(reject_detail(&parse(&line)).0, stage, "{word}");
    }
}

#[test]
fn reject_header_checks_content() {
    let r = parse(format!(
        "{H} postfix/cleanup[7]: 3F2A81C0B4: reject: header Subject: Cheap meds from a friend from a.example[192.0.2.1]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>: 5.7.1 Message content rejected"
    ));
    assert_eq!(r.kind, Kind::Reject);
    assert_eq!(r.ip, ip("192.0.2.1"));
    match r.detail {
        Detail::Reject {
            stage,
            class,
            enhanced,
            reason,
            helo,
            ..
        } => {
            assert_eq!(stage, Stage::Header);
            assert_eq!(class, RejectClass::Content);
            assert_eq!(enhanced, Some("5.7.1"));
            assert_eq!(reason, Some("Message content rejected"));
            assert_eq!(helo, Some("a.example"));
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn postscreen_reject_comma_tail() {
    let r = parse(format!(
        "{H} postfix/postscreen[7]: NOQUEUE: reject: RCPT from [192.0.2.1]:50000: 550 5.7.1 Service unavailable; client [192.0.2.1] blocked using b.barracudacentral.org; from=<a@b.example>, to=<c@d.example>, proto=ESMTP, helo=<x>"
    ));
    let (_, _, _, class, rbl) = reject_detail(&r);
    assert_eq!(
        (class, rbl),
        (RejectClass::Rbl, Some("b.barracudacentral.org"))
    );
    assert_eq!(r.port, Some(50000));
    match r.detail {
        Detail::Reject { to, helo, .. } => assert_eq!((to, helo), (Some("c@d.example"), Some("x"))),
        _ => unreachable!(),
    }
}

#[test]
fn reject_warning_is_not_abuse() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject_warning: RCPT from a.example[192.0.2.1]: 450 4.7.1 Client host rejected: cannot find your hostname; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>"
    ));
    assert_eq!(r.kind, Kind::RejectWarning);
    assert!(!r.abusive);
}

#[test]
fn every_reject_class_has_a_test() {
    // The tests above cover each class; this guards the list.
    assert_eq!(RejectClass::ALL.len(), 10);
    for c in RejectClass::ALL {
        assert!(!c.as_str().is_empty());
    }
}

// ---------- session events ----------

#[test]
fn pipelining() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: improper command pipelining after CONNECT from unknown[192.0.2.1]: EHLO User\\r\\n"
    ));
    assert_eq!(r.kind, Kind::Pipelining);
    assert!(r.abusive);
    assert_eq!(
        r.detail,
        Detail::Stage {
            stage: Stage::Connect,
            text: Some("EHLO User\\r\\n")
        }
    );
}

#[test]
fn lost_connection_by_stage() {
    for (stage, abusive) in [
        ("AUTH", true),
        ("CONNECT", true),
        ("STARTTLS", true),
        ("EHLO", true),
        ("UNKNOWN", true),
        ("RCPT", false),
        ("DATA (0 bytes)", false),
        ("END-OF-MESSAGE", false),
        ("QUIT", false),
    ] {
        let r = parse(format!(
            "{H} postfix/smtpd[7]: lost connection after {stage} from unknown[192.0.2.1]"
        ));
        assert_eq!(r.kind, Kind::LostConnection, "{stage}");
        assert_eq!(r.abusive, abusive, "{stage}");
        assert_eq!(r.ip, ip("192.0.2.1"));
    }
    let r = parse(format!(
        "{H} postfix/smtpd[7]: lost connection after DATA (0 bytes) from unknown[192.0.2.1]"
    ));
    assert!(matches!(
        r.detail,
        Detail::Stage {
            stage: Stage::Data,
            ..
        }
    ));
}

#[test]
fn timeout_and_too_many_errors() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: timeout after END-OF-MESSAGE from a.example[192.0.2.1]"
    ));
    assert_eq!((r.kind, r.abusive), (Kind::Timeout, false));
    let r = parse(format!(
        "{H} postfix/smtpd[7]: too many errors after RCPT from a.example[192.0.2.1]"
    ));
    assert_eq!((r.kind, r.abusive), (Kind::TooManyErrors, true));
    assert!(matches!(
        r.detail,
        Detail::Stage {
            stage: Stage::Rcpt,
            ..
        }
    ));
}

#[test]
fn non_smtp_command() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: non-SMTP command from unknown[192.0.2.1]: GET / HTTP/1.1"
    ));
    assert_eq!((r.kind, r.abusive), (Kind::NonSmtpCommand, true));
    assert_eq!(r.ip, ip("192.0.2.1"));
    assert!(matches!(
        r.detail,
        Detail::Stage {
            text: Some("GET / HTTP/1.1"),
            ..
        }
    ));
}

#[test]
fn protocol_violation_and_limits() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: Illegal address syntax from unknown[192.0.2.1] in MAIL command: <foo@bar"
    ));
    assert_eq!(
        (r.kind, r.abusive, r.ip),
        (Kind::ProtocolViolation, true, ip("192.0.2.1"))
    );
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: Connection rate limit exceeded: 31 from unknown[192.0.2.1] for service smtp"
    ));
    assert_eq!(
        (r.kind, r.abusive, r.ip),
        (Kind::LimitExceeded, true, ip("192.0.2.1"))
    );
}

#[test]
fn tls_errors() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: SSL_accept error from unknown[192.0.2.1]: lost connection"
    ));
    assert_eq!(
        (r.kind, r.abusive, r.ip),
        (Kind::TlsError, false, ip("192.0.2.1"))
    );
    assert_eq!(
        r.detail,
        Detail::Text {
            text: Some("lost connection")
        }
    );
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:ssl/record/rec_layer_s3.c:650:"
    ));
    assert_eq!((r.kind, r.ip), (Kind::TlsError, None));
    let r = parse(format!(
        "{H} postfix/smtp[7]: SSL_connect error to mx.example.com[198.51.100.7]:25: lost connection"
    ));
    assert_eq!(
        (r.kind, r.ip),
        (Kind::TlsError, None),
        "a server is not a client"
    );
}

#[test]
fn tls_established() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
    ));
    assert_eq!((r.kind, r.ip), (Kind::TlsEstablished, ip("192.0.2.1")));
}

#[test]
fn disconnect_stats() {
    let r = parse(format!(
        "{H} postfix/submission/smtpd[7]: disconnect from unknown[192.0.2.1] ehlo=1 auth=0/1 commands=1/2"
    ));
    assert_eq!(r.kind, Kind::Disconnect);
    assert!(r.abusive);
    assert_eq!(
        r.detail,
        Detail::Disconnect {
            auth: Some(Counter { ok: 0, total: 1 }),
            commands: Some(Counter { ok: 1, total: 2 }),
            stats: Some("ehlo=1 auth=0/1 commands=1/2"),
        }
    );
    let r = parse(format!(
        "{H} postfix/submission/smtpd[7]: disconnect from a.example[192.0.2.1] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8"
    ));
    assert!(!r.abusive);
    assert!(matches!(
        r.detail,
        Detail::Disconnect {
            auth: Some(Counter { ok: 1, total: 1 }),
            commands: Some(Counter { ok: 8, total: 8 }),
            ..
        }
    ));
}

// ---------- postscreen ----------

#[test]
fn postscreen_events() {
    let cases: &[(&str, Kind, bool)] = &[
        (
            "CONNECT from [192.0.2.1]:50000 to [198.51.100.1]:25",
            Kind::PostscreenConnect,
            false,
        ),
        ("PASS NEW [192.0.2.1]:50000", Kind::PostscreenPassNew, false),
        ("PASS OLD [192.0.2.1]:50000", Kind::PostscreenPassOld, false),
        (
            "PREGREET 11 after 0.08 from [192.0.2.1]:50000: EHLO User\\r\\n",
            Kind::PostscreenPregreet,
            true,
        ),
        (
            "HANGUP after 0.5 from [192.0.2.1]:50000 in tests after SMTP handshake",
            Kind::PostscreenHangup,
            true,
        ),
        (
            "DNSBL rank 3 for [192.0.2.1]:50000",
            Kind::PostscreenDnsbl,
            true,
        ),
        (
            "COMMAND PIPELINING from [192.0.2.1]:50000 after EHLO: QUIT\\r\\n",
            Kind::PostscreenPipelining,
            true,
        ),
        (
            "COMMAND TIME LIMIT from [192.0.2.1]:50000 after RCPT",
            Kind::PostscreenCommandTimeLimit,
            true,
        ),
        (
            "COMMAND COUNT LIMIT from [192.0.2.1]:50000 after RCPT",
            Kind::PostscreenCommandCountLimit,
            true,
        ),
        (
            "COMMAND LENGTH LIMIT from [192.0.2.1]:50000 after DATA",
            Kind::PostscreenCommandLengthLimit,
            true,
        ),
        (
            "NON-SMTP COMMAND from [192.0.2.1]:50000 after CONNECT: GET / HTTP/1.1",
            Kind::PostscreenNonSmtp,
            true,
        ),
        (
            "BARE NEWLINE from [192.0.2.1]:50000 after DATA",
            Kind::PostscreenBareNewline,
            true,
        ),
        (
            "WHITELISTED [192.0.2.1]:50000",
            Kind::PostscreenAllowlisted,
            false,
        ),
        (
            "ALLOWLISTED [192.0.2.1]:50000",
            Kind::PostscreenAllowlisted,
            false,
        ),
        (
            "DENYLISTED [192.0.2.1]:50000",
            Kind::PostscreenDenylisted,
            true,
        ),
        (
            "DISCONNECT [192.0.2.1]:50000",
            Kind::PostscreenDisconnect,
            false,
        ),
    ];
    for (msg, kind, abusive) in cases {
        let line = format!("{H} postfix/postscreen[7]: {msg}");
        let r = parse(&line);
        assert_eq!((r.kind, r.abusive), (*kind, *abusive), "{msg}");
        assert_eq!((r.ip, r.port), (ip("192.0.2.1"), Some(50000)), "{msg}");
    }
    let r = parse(format!(
        "{H} postfix/postscreen[7]: DNSBL rank 3 for [192.0.2.1]:50000"
    ));
    assert!(matches!(r.detail, Detail::Postscreen { rank: Some(3), .. }));
    let r = parse(format!(
        "{H} postfix/postscreen[7]: COMMAND PIPELINING from [192.0.2.1]:50000 after EHLO: QUIT\\r\\n"
    ));
    assert!(matches!(
        r.detail,
        Detail::Postscreen {
            stage: Some(Stage::Ehlo),
            ..
        }
    ));
}

// ---------- queue ----------

#[test]
fn received_and_message_id() {
    let r = parse(format!(
        "{H} postfix/qmgr[900]: 3F2A81C0B4: from=<sender1@example.net>, size=4242, nrcpt=1 (queue active)"
    ));
    assert_eq!(r.kind, Kind::Received);
    assert_eq!(
        r.detail,
        Detail::Received {
            from: Some("sender1@example.net"),
            size: Some(4242),
            nrcpt: Some(1)
        }
    );
    let r = parse(format!(
        "{H} postfix/qmgr[900]: 3F2A81C0B4: from=<>, size=1200, nrcpt=1 (queue active)"
    ));
    // The null sender is `Some("")`, not `None`.
    assert!(matches!(
        r.detail,
        Detail::Received {
            from: Some(""),
            size: Some(1200),
            ..
        }
    ));
    let r = parse(format!(
        "{H} postfix/cleanup[9]: 3F2A81C0B4: message-id=<123@a.example>"
    ));
    assert_eq!(r.kind, Kind::MessageId);
    assert_eq!(
        r.detail,
        Detail::MessageId {
            message_id: Some("123@a.example")
        }
    );
}

#[test]
fn delivery_sent_deferred_bounced_expired() {
    let r = parse(format!(
        "{H} postfix/lmtp[9]: 3F2A81C0B4: to=<user1@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.12, delays=0.1/0/0/0.05, dsn=2.0.0, status=sent (250 2.0.0 <user@example.org> Saved)"
    ));
    assert_eq!(r.kind, Kind::Delivery);
    assert_eq!(r.ip, None);
    assert_eq!(
        r.detail,
        Detail::Delivery {
            to: Some("user1@example.org"),
            orig_to: None,
            relay: Some("mail.example.org[private/dovecot-lmtp]"),
            delay: Some(0.12),
            delays: Some("0.1/0/0/0.05"),
            dsn: Some("2.0.0"),
            status: DeliveryStatus::Sent,
            text: Some("250 2.0.0 <user@example.org> Saved"),
        }
    );
    let r = parse(format!(
        "{H} postfix/smtp[9]: 3F2A81C0B4: to=<ext1@example.com>, relay=none, delay=4200, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com[198.51.100.7]:25: Connection timed out)"
    ));
    assert!(matches!(
        r.detail,
        Detail::Delivery {
            status: DeliveryStatus::Deferred,
            ..
        }
    ));
    assert_eq!(r.ip, None);
    let r = parse(format!(
        "{H} postfix/smtp[9]: 3F2A81C0B4: to=<gone@example.com>, orig_to=<alias@example.org>, relay=mx.example.com[198.51.100.7]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.com[198.51.100.7] said: 550 5.1.1 User unknown (in reply to RCPT TO command))"
    ));
    assert_eq!(r.ip, None, "the relay is not a client");
    match r.detail {
        Detail::Delivery {
            status,
            relay,
            orig_to,
            text,
            ..
        } => {
            assert_eq!(status, DeliveryStatus::Bounced);
            assert_eq!(relay, Some("mx.example.com[198.51.100.7]:25"));
            assert_eq!(orig_to, Some("alias@example.org"));
            assert_eq!(
                text,
                Some(
                    "host mx.example.com[198.51.100.7] said: 550 5.1.1 User unknown (in reply to RCPT TO command)"
                )
            );
        }
        d => panic!("{d:?}"),
    }
    let r = parse(format!(
        "{H} postfix/qmgr[900]: 3F2A81C0B4: from=<a@b.example>, status=expired, returned to sender"
    ));
    assert_eq!(r.kind, Kind::Delivery);
    assert!(matches!(
        r.detail,
        Detail::Delivery {
            status: DeliveryStatus::Expired,
            ..
        }
    ));
}

#[test]
fn removed() {
    let r = parse(format!("{H} postfix/qmgr[900]: 3F2A81C0B4: removed"));
    assert_eq!((r.kind, r.queue_id), (Kind::Removed, Some("3F2A81C0B4")));
}

// ---------- levels and other ----------

#[test]
fn warning_fatal_panic_error() {
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: hostname mail.example.com does not resolve to address 192.0.2.1: Name or service not known"
    ));
    assert_eq!((r.kind, r.ip), (Kind::Warning, None));
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: a.example[192.0.2.1]: address not listed for hostname b.example"
    ));
    assert_eq!(
        (r.kind, r.ip, r.abusive),
        (Kind::Warning, ip("192.0.2.1"), false)
    );
    let r = parse(format!(
        "{H} postfix/master[1]: fatal: bind 0.0.0.0 port 25: Address already in use"
    ));
    assert_eq!(r.kind, Kind::Fatal);
    assert_eq!(
        r.detail,
        Detail::Text {
            text: Some("bind 0.0.0.0 port 25: Address already in use")
        }
    );
    let r = parse(format!(
        "{H} postfix/smtpd[7]: panic: myfree: corrupt or unallocated memory block"
    ));
    assert_eq!(r.kind, Kind::Panic);
    let r = parse(format!(
        "{H} postfix/local[7]: error: open database /etc/aliases.db: No such file or directory"
    ));
    assert_eq!(r.kind, Kind::Error);
}

#[test]
fn other_postfix_lines_are_ok_other() {
    for msg in [
        "statistics: max connection rate 1/60s for (smtp:192.0.2.1) at Nov 21 23:50:00",
        "3F2A81C0B4: sender non-delivery notification: 4A1B2C3D4E",
        "connect to mx.example.com[198.51.100.7]:25: Connection refused",
        "",
        "daemon started -- version 3.8.6, configuration /etc/postfix",
    ] {
        let r = parse(format!("{H} postfix/qmgr[7]: {msg}"));
        assert_eq!(r.kind, Kind::Other, "{msg}");
        assert_eq!(r.ip, None, "{msg}");
        assert!(!r.abusive);
    }
}

#[test]
fn kind_names_are_unique_and_round_trip() {
    let mut seen = std::collections::HashSet::new();
    for k in Kind::ALL {
        assert!(seen.insert(k.as_str()), "{k:?}");
        assert_eq!(Kind::from_name(k.as_str()), Some(*k));
        assert!(
            k.as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
        );
    }
}

// ---------- bad input ----------

#[test]
fn unparsed() {
    let mut ctx = ParseContext::new(now(), Zone::Utc);
    let mut p = |b: &[u8]| parse_line(b, &mut ctx).map(|r| r.kind);
    assert_eq!(p(b""), Err(Unparsed::Empty));
    assert_eq!(p(b"\n"), Err(Unparsed::Empty));
    assert_eq!(p(b"hello world"), Err(Unparsed::NoTimestamp));
    assert_eq!(
        p(b"Foo 21 23:56:43 mx1 postfix/smtpd[1]: x"),
        Err(Unparsed::NoTimestamp)
    );
    assert_eq!(
        p(b"Feb 30 23:56:43 mx1 postfix/smtpd[1]: x"),
        Err(Unparsed::BadTimestamp)
    );
    assert_eq!(
        p(b"Nov 21 25:56:43 mx1 postfix/smtpd[1]: x"),
        Err(Unparsed::BadTimestamp)
    );
    assert_eq!(
        p(b"Nov 21 23:56:43 mx1 dovecot[1]: imap-login: x"),
        Err(Unparsed::NotPostfix)
    );
    assert_eq!(
        p(b"Nov 21 23:56:43 mx1 postfixfoo[1]: x"),
        Err(Unparsed::NotPostfix)
    );
    assert_eq!(
        p(b"Nov 21 23:56:43 mx1 postfix/smtpd[12"),
        Err(Unparsed::Truncated)
    );
    assert_eq!(p(b"Nov 21 23:56:43 mx1"), Err(Unparsed::Truncated));
    assert_eq!(
        p(b"Nov 21 23:56:43 mx\xff postfix/smtpd[1]: x"),
        Err(Unparsed::NotUtf8)
    );
    let mut long = b"Nov 21 23:56:43 mx1 postfix/smtpd[1]: ".to_vec();
    long.resize(64 * 1024 + 1, b'a');
    assert_eq!(p(&long), Err(Unparsed::TooLong));
    for u in [Unparsed::Empty, Unparsed::TooLong, Unparsed::NotPostfix] {
        assert!(!u.as_str().is_empty() && !u.to_string().is_empty());
    }
}

#[test]
fn invalid_utf8_in_message_still_classifies() {
    let mut ctx = ParseContext::new(now(), Zone::Utc);
    let line = b"Nov 21 23:56:43 mx1 postfix/smtpd[1]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: \xff\xfe, sasl_username=bob";
    let r = parse_line(line, &mut ctx).unwrap();
    assert_eq!(r.kind, Kind::AuthFailed);
    assert_eq!(r.ip, ip("192.0.2.7"));
    assert_eq!(r.user, Some("bob"));
    assert!(matches!(r.detail, Detail::Auth { reason: None, .. }));
}

#[test]
fn truncated_messages_do_not_invent_fields() {
    for msg in [
        "warning: unknown[192.0.2.7",
        "NOQUEUE: reject: RCPT from unknown[192.0.2.",
        "3F2A81C0B4: to=<a@b",
        "disconnect from ",
        "lost connection after AUTH",
        "PREGREET 11 after 0.08 from [",
    ] {
        let r = parse(format!("{H} postfix/smtpd[7]: {msg}"));
        assert!(r.ip.is_none(), "{msg}: {r:?}");
    }
    // A complete client but a cut SASL text: the client is real, the kind is not guessed.
    let r = parse(format!(
        "{H} postfix/smtpd[7]: warning: unknown[192.0.2.7]: SASL"
    ));
    assert_eq!((r.kind, r.ip), (Kind::Warning, ip("192.0.2.7")));
}

// ---------- JSON ----------

#[test]
fn json_contract() {
    let r = parse(format!(
        "{H} postfix/submission/smtpd[4242]: warning: unknown[192.0.2.7]:4444: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin"
    ));
    let j = r.to_json();
    assert_eq!(j["time"], "2026-11-21T23:56:43+00:00");
    assert_eq!(j["host"], "mx1");
    assert_eq!(j["service"], "postfix/submission/smtpd");
    assert_eq!(j["kind"], "auth_failed");
    assert_eq!(j["abusive"], true);
    assert_eq!(j["ip"], "192.0.2.7");
    assert_eq!(j["port"], 4444);
    assert_eq!(j["user"], "admin");
    assert_eq!(j["mechanism"], "LOGIN");
    assert_eq!(j["pid"], 4242);
    assert!(j.get("queue_id").is_none());

    let r = parse(format!(
        "{H} postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"
    ));
    let j = r.to_json();
    assert_eq!(j["kind"], "reject");
    assert_eq!(j["stage"], "RCPT");
    assert_eq!(j["code"], 554);
    assert_eq!(j["enhanced_code"], "5.7.1");
    assert_eq!(j["reason_class"], "rbl");
    assert_eq!(j["rbl"], "zen.spamhaus.org");
    assert_eq!(j["to"], "c@d.example");

    let r = parse(format!("{H} postfix/qmgr[900]: 3F2A81C0B4: removed"));
    assert_eq!(r.to_json()["queue_id"], "3F2A81C0B4");
}
