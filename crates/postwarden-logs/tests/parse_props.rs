//! Properties of the parser: no input panics, and lines built from known parts give those
//! parts back.

use std::net::IpAddr;

use chrono::{TimeZone, Utc};
use postwarden_logs::parse::{Detail, Kind, ParseContext, Zone, parse_line};
use proptest::prelude::*;

fn ctx() -> ParseContext {
    ParseContext::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap(),
        Zone::Utc,
    )
}

const SAMPLES: &[&str] = &[
    "Nov 21 23:56:43 mx1 postfix/submission/smtpd[4242]: warning: unknown[192.0.2.7]:4444: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin",
    "Nov 21 23:56:43 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
    "Nov 21 23:56:43 mx1 postfix/smtpd[7]: disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 commands=1/2",
    "Nov 21 23:56:43 mx1 postfix/smtpd[7]: lost connection after DATA (0 bytes) from unknown[192.0.2.7]",
    "Nov 21 23:56:43 mx1 postfix/smtpd[7]: 3F2A81C0B4: client=a.example[192.0.2.7], sasl_method=PLAIN, sasl_username=bob",
    "Nov 21 23:56:43 mx1 postfix/cleanup[7]: 3F2A81C0B4: milter-reject: END-OF-MESSAGE from a.example[192.0.2.7]: 5.7.1 Spam; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>",
    "Nov 21 23:56:43 mx1 postfix/cleanup[7]: 3F2A81C0B4: reject: header Subject: hi from a.example[192.0.2.7]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<a.example>: 5.7.1 no",
    "Nov 21 23:56:43 mx1 postfix/postscreen[7]: PREGREET 11 after 0.08 from [192.0.2.7]:50000: EHLO User\\r\\n",
    "Nov 21 23:56:43 mx1 postfix/smtpd[7]: improper command pipelining after CONNECT from unknown[192.0.2.7]: EHLO x",
    "2026-11-21T23:56:43.123456+01:00 mx1 postfix/smtpd[7]: warning: non-SMTP command from unknown[192.0.2.7]: GET / HTTP/1.1",
    "Nov 21 23:56:43 mx1 postfix/smtp[7]: 3F2A81C0B4: to=<a@b.example>, orig_to=<c@d.example>, relay=mx.example.com[198.51.100.7]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host said: 550 5.1.1 User unknown)",
    "Nov 21 23:56:43 mx1 postfix/qmgr[900]: 3F2A81C0B4: from=<a@b.example>, size=4242, nrcpt=1 (queue active)",
];

fn mech() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["LOGIN", "PLAIN", "CRAM-MD5", "login", "DIGEST-MD5"])
}

fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_line(&bytes, &mut ctx());
    }

    #[test]
    fn arbitrary_message_after_valid_header_never_panics(
        svc in "postfix(/[a-z]{1,8}){0,2}",
        msg in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut line = format!("Nov 21 23:56:43 mx1 {svc}[12]: ").into_bytes();
        line.extend_from_slice(&msg);
        let r = parse_line(&line, &mut ctx());
        prop_assert!(r.is_ok());
    }

    #[test]
    fn text_like_messages_never_panic(
        msg in "(warning: |NOQUEUE: |3F2A81C0B4: |reject: |[A-Z]{2,8} )?[ -~]{0,120}",
    ) {
        let line = format!("Nov 21 23:56:43 mx1 postfix/smtpd[12]: {msg}");
        prop_assert!(parse_line(line.as_bytes(), &mut ctx()).is_ok());
    }

    /// Cutting or corrupting a real line anywhere never panics, and never yields an IP
    /// other than the client's.
    #[test]
    fn cut_and_mutated_lines(i in 0..SAMPLES.len(), cut in 0usize..400, flip in 0usize..400, byte in any::<u8>()) {
        let full = SAMPLES[i].as_bytes();
        let want: IpAddr = "192.0.2.7".parse().unwrap();
        let cut_line = &full[..cut.min(full.len())];
        if let Ok(r) = parse_line(cut_line, &mut ctx()) {
            prop_assert!(r.ip.is_none() || r.ip == Some(want), "{:?}", r);
        }
        let mut m = full.to_vec();
        let at = flip % m.len();
        m[at] = byte;
        let _ = parse_line(&m, &mut ctx());
    }

    /// A generated auth-failure line gives back the IP, port, user and mechanism it was
    /// built with.
    #[test]
    fn auth_failure_round_trip(
        ip in ip_addr(),
        port in prop::option::of(1u16..),
        name in "(unknown|[a-z0-9-]{1,20}(\\.[a-z]{2,6}){1,2})",
        m in mech(),
        reason in "(authentication failure|UGFzc3dvcmQ6|Invalid authentication mechanism|)",
        user in prop::option::of("[a-z0-9._@-]{1,24}"),
        svc in prop::sample::select(vec!["postfix/smtpd", "postfix/submission/smtpd", "postfix-out/smtps/smtpd"]),
    ) {
        let port_s = port.map(|p| format!(":{p}")).unwrap_or_default();
        let user_s = user.as_ref().map(|u| format!(", sasl_username={u}")).unwrap_or_default();
        let line = format!(
            "Nov  1 02:03:04 mx1 {svc}[77]: warning: {name}[{ip}]{port_s}: SASL {m} authentication failed: {reason}{user_s}"
        );
        let r = parse_line(line.as_bytes(), &mut ctx()).unwrap();
        prop_assert_eq!(r.kind, Kind::AuthFailed);
        prop_assert!(r.abusive);
        prop_assert_eq!(r.ip, Some(ip));
        prop_assert_eq!(r.port, port);
        prop_assert_eq!(r.client_name, Some(name.as_str()));
        prop_assert_eq!(r.user, user.as_deref());
        prop_assert_eq!(r.service, svc);
        match &r.detail {
            Detail::Auth { mechanism, .. } => prop_assert_eq!(*mechanism, Some(m)),
            d => prop_assert!(false, "{:?}", d),
        }
        let j = r.to_json();
        prop_assert_eq!(j["ip"].as_str().unwrap(), ip.to_string());
    }

    /// Year-less timestamps never land more than a day after `now`, nor more than a
    /// year (plus a leap day's slack) before it.
    #[test]
    fn inferred_year_is_bounded(
        mon in 0usize..12, day in 1u32..=31, h in 0u32..24, mi in 0u32..60, s in 0u32..60,
        now_secs in 1_500_000_000i64..2_500_000_000,
        zone in prop::sample::select(vec!["UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "local"]),
    ) {
        const M: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let now = Utc.timestamp_opt(now_secs, 0).unwrap();
        let mut ctx = ParseContext::new(now, zone.parse().unwrap());
        let line = format!("{} {day:>2} {h:02}:{mi:02}:{s:02} mx1 postfix/qmgr[9]: 3F2A81C0B4: removed", M[mon]);
        if let Ok(r) = parse_line(line.as_bytes(), &mut ctx) {
            let t = r.time.timestamp();
            prop_assert!(t <= now_secs + 86_400 + 3 * 3600, "{} after {}", r.time, now);
            // Feb 29 may go back up to 8 years.
            prop_assert!(t >= now_secs - 9 * 366 * 86_400);
            if !(mon == 1 && day == 29) {
                prop_assert!(t >= now_secs - 366 * 86_400 - 86_400, "{} before {}", r.time, now);
            }
        }
    }
}

/// The header forms a line may come in, each written from one instant.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// `Mar  7 02:09:33` (day space-padded)
    Syslog,
    /// `Mar 7 02:09:33` (day not padded, as some daemons and shippers write)
    SyslogUnpadded,
    /// `Mar 07 02:09:33`
    SyslogZeroPadded,
    /// `<22>Mar  7 02:09:33` (RFC 3164 with its priority)
    Rfc3164,
    /// `2026-03-07T02:09:33Z`, `…+01:00`, with or without a fraction
    Rfc3339,
    /// `2026-03-07 02:09:33.123+0100`: ISO 8601 with a space
    IsoSpace,
    /// `<22>1 2026-03-07T02:09:33.123456Z mx1 postfix/smtpd 77 - - msg`
    Rfc5424,
    /// RFC 5424 with structured data holding spaces, an escaped `]` and a BOM
    Rfc5424Sd,
}

fn write_line(form: Form, t: chrono::DateTime<chrono::FixedOffset>, micros: u32) -> String {
    let msg = "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6";
    let frac = t.format("%S").to_string() + &format!(".{micros:06}");
    match form {
        Form::Syslog => format!(
            "{} mx1 postfix/smtpd[77]: {msg}",
            t.format("%b %e %H:%M:%S")
        ),
        Form::SyslogUnpadded => {
            format!(
                "{} mx1 postfix/smtpd[77]: {msg}",
                t.format("%b %-d %H:%M:%S")
            )
        }
        Form::SyslogZeroPadded => {
            format!(
                "{} mx1 postfix/smtpd[77]: {msg}",
                t.format("%b %d %H:%M:%S")
            )
        }
        Form::Rfc3164 => format!(
            "<22>{} mx1 postfix/smtpd[77]: {msg}",
            t.format("%b %e %H:%M:%S")
        ),
        Form::Rfc3339 if micros.is_multiple_of(2) => format!(
            "{}{frac}{} mx1 postfix/smtpd[77]: {msg}",
            t.format("%Y-%m-%dT%H:%M:"),
            t.format("%:z")
        ),
        Form::Rfc3339 => format!(
            "{}Z mx1 postfix/smtpd[77]: {msg}",
            t.naive_utc().format("%Y-%m-%dT%H:%M:%S")
        ),
        Form::IsoSpace => format!(
            "{}{frac}{} mx1 postfix/smtpd[77]: {msg}",
            t.format("%Y-%m-%d %H:%M:"),
            t.format("%z")
        ),
        Form::Rfc5424 => format!(
            "<22>1 {}{frac}{} mx1 postfix/smtpd 77 - - {msg}",
            t.format("%Y-%m-%dT%H:%M:"),
            t.format("%:z")
        ),
        Form::Rfc5424Sd => format!(
            "<22>1 {}{frac}{} mx1 postfix/smtpd 77 ID47 [meta a=\"x y\" b=\"\\]\"][x@1 c=\"d\"] \u{feff}{msg}",
            t.format("%Y-%m-%dT%H:%M:"),
            t.format("%:z")
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every form gives back the instant it was written from (to the second for syslog's,
    /// to the microsecond for the others), the host, the service, the pid and the message.
    #[test]
    fn every_timestamp_form_round_trips(
        secs in 1_700_000_000i64..1_790_000_000,
        micros in 0u32..1_000_000,
        offset_min in -720i32..=840,
        form in prop::sample::select(vec![
            Form::Syslog, Form::SyslogUnpadded, Form::SyslogZeroPadded, Form::Rfc3164,
            Form::Rfc3339, Form::IsoSpace, Form::Rfc5424, Form::Rfc5424Sd,
        ]),
    ) {
        let syslog = matches!(form, Form::Syslog | Form::SyslogUnpadded | Form::SyslogZeroPadded | Form::Rfc3164);
        // Syslog stamps carry no zone: written and read in UTC.
        let offset = if syslog { 0 } else { offset_min * 60 };
        let zone = chrono::FixedOffset::east_opt(offset).unwrap();
        let t = Utc.timestamp_opt(secs, 0).unwrap().with_timezone(&zone);
        let line = write_line(form, t, micros);
        let now = Utc.timestamp_opt(secs + 3600, 0).unwrap();
        let mut ctx = ParseContext::new(now, Zone::Utc);
        let r = parse_line(line.as_bytes(), &mut ctx).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        let want_us = match form {
            _ if syslog => secs * 1_000_000,
            Form::Rfc3339 if !micros.is_multiple_of(2) => secs * 1_000_000,
            _ => secs * 1_000_000 + i64::from(micros),
        };
        prop_assert_eq!(r.time.timestamp_micros(), want_us, "{}", line);
        prop_assert_eq!(r.host, "mx1");
        prop_assert_eq!(r.service, "postfix/smtpd");
        prop_assert_eq!(r.pid, Some(77));
        prop_assert_eq!(r.kind, Kind::AuthFailed, "{}", line);
        prop_assert_eq!(r.ip, Some("192.0.2.7".parse::<IpAddr>().unwrap()));
    }
}

#[test]
fn the_forms_users_send_are_read() {
    let mut ctx = ParseContext::new(
        Utc.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap(),
        Zone::Utc,
    );
    for line in [
        "Mar 7 02:09:33 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "Mar  7 02:09:33 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "Mar 07 02:09:33 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "<22>Mar  7 02:09:33 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "2026-03-07T02:09:33Z host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "2026-03-07T02:09:33.000000+00:00 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "2026-03-07 02:09:33 host postfix/smtpd[1]: connect from unknown[192.0.2.7]",
        "<22>1 2026-03-07T02:09:33Z host postfix/smtpd 1 - - connect from unknown[192.0.2.7]",
        "<22>1 2026-03-07T03:09:33+01:00 host postfix/smtpd 1 - [x y=\"1\"] connect from unknown[192.0.2.7]",
    ] {
        let r = parse_line(line.as_bytes(), &mut ctx).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(r.time.timestamp(), 1_772_849_373, "{line}");
        assert_eq!(r.kind, Kind::Connect, "{line}");
    }
    for (line, why) in [
        ("Mar 7 2:09:33 host postfix/smtpd[1]: x", "one-digit hour"),
        (
            "<22>1 - host postfix/smtpd 1 - - x",
            "RFC 5424 without a time",
        ),
        (
            "<999>Mar  7 02:09:33 host postfix/smtpd[1]: x",
            "priority out of range",
        ),
        (
            "<22>1 2026-03-07T02:09:33Z host postfix/smtpd 1 - [unclosed x",
            "structured data cut",
        ),
        (
            "<22>1 2026-03-07T02:09:33Z host sshd 1 - - x",
            "not Postfix",
        ),
    ] {
        assert!(
            parse_line(line.as_bytes(), &mut ctx).is_err(),
            "{why}: {line}"
        );
    }
}
