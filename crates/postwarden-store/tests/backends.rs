//! The store test suite, run against every backend: SQLite (a fresh file in a temporary
//! directory), PostgreSQL and MySQL/MariaDB (a fresh `pw_test_<random>` database each).
//!
//! Servers: `postgres://postgres@127.0.0.1:5432/test` and `mysql://root@127.0.0.1:3306/test`
//! unless `POSTWARDEN_TEST_PG_URL` / `POSTWARDEN_TEST_MYSQL_URL` say otherwise. A server that
//! cannot be reached makes its tests fail with a message saying so; nothing is skipped.
//! Each test drops its database at the end (a failed test leaves its `pw_test_*` database
//! behind for inspection).

use chrono::{DateTime, Duration, TimeZone, Utc};
use postwarden_core::{Event, Secret, Severity};
use postwarden_core::{Role, UserSettings};
use postwarden_store::{
    AuthSummary, Backend, Cursor, FileState, JournalState, ListEntry, LogBatch, LogRecordRow,
    MessageQuery, MessageRecord, NewNotification, NewUser, QuarantineQuery, QuarantineRecord,
    SessionRecord, Store, StoreError, TokenRecord, TopAsn, TopIp, TrafficCount, UserSource,
    Visibility,
};
use postwarden_testkit::database::{TestDatabase, base_url};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
use std::collections::HashMap;
use std::net::IpAddr;

/// A store on a fresh, empty database that is dropped by [`TestDb::finish`].
struct TestDb {
    store: Store,
    /// URL of the test database itself (for side connections).
    url: String,
    database: TestDatabase,
}

impl TestDb {
    async fn open(backend: Backend) -> TestDb {
        TestDb::open_at(backend, i64::MAX).await
    }

    /// A store whose schema is migrated up to `version` only.
    async fn open_at(backend: Backend, version: i64) -> TestDb {
        let database = TestDatabase::create(backend).await;
        let url = database.url.clone();
        let store = Store::connect(&Secret::new(url.clone()), 4)
            .await
            .unwrap_or_else(|e| panic!("connecting the store to the {backend} test database: {e}"));
        assert_eq!(store.backend(), backend);
        store
            .migrate_through(version)
            .await
            .unwrap_or_else(|e| panic!("migrating {backend}: {e}"));
        TestDb {
            store,
            url,
            database,
        }
    }

    /// A separate plain connection to the test database, for sabotage and inspection.
    async fn side_connection(&self) -> AnyConnection {
        let url = if self.store.backend() == Backend::Sqlite {
            format!("{}?mode=rw", self.url)
        } else {
            self.url.clone()
        };
        AnyConnection::connect(&url).await.expect("side connection")
    }

    async fn count(&self, table: &str) -> i64 {
        let mut conn = self.side_connection().await;
        let n: (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        n.0
    }

    async fn finish(self) {
        self.store.close().await;
        self.database.drop_database().await;
    }
}

postwarden_testkit::on_every_backend!(
    migrate_twice_is_idempotent,
    upgrade_keeps_pending_directives,
    event_round_trip,
    events_filter_by_time_and_kind_prefix,
    file_state_upsert,
    journal_state_upsert,
    log_batch_round_trip_in_many_chunks,
    failed_batch_leaves_nothing,
    traffic_counts_add_up,
    auth_summary_numbers,
    traffic_summary_numbers,
    message_records_with_events_are_atomic,
    quarantine_lifecycle,
    list_entries_round_trip,
    filter_summary_numbers,
    schedule_runs_compare_and_set,
    users_sessions_and_tokens_round_trip,
    visibility_decides_what_each_caller_finds,
    every_search_pages_as_a_plain_filter_would,
    a_users_write_by_another_process_sharing_the_stamp_changes_the_generation,
    releasing_recipients_one_by_one,
    owned_list_entries_stay_out_of_the_global_list,
    migration_6_indexes_mail_already_stored,
    routes_and_request_status_round_trip,
    the_users_stamp_moves_with_every_change,
    correspondence_history_in_both_directions,
    auth_summary_matches_a_plain_count_of_the_records,
);

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn hour_of(time: DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(3600)
}

async fn migrate_twice_is_idempotent(backend: Backend) {
    let db = TestDb::open(backend).await;
    db.store.migrate().await.expect("second migrate");
    db.store.migrate().await.expect("third migrate");
    let id = db
        .store
        .insert_event(&Event::new(t(0), "x.y", Severity::Info, "test", "s"))
        .await
        .unwrap();
    assert!(id > 0);
    db.store.ping().await.unwrap();
    db.finish().await;
}

/// Migration 4 moves directives into groups: pending ones are carried over with their
/// group's timers and last flush, flushed ones are left out.
async fn upgrade_keeps_pending_directives(backend: Backend) {
    let db = TestDb::open_at(backend, 3).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let event = Event::new(t(i), "abuse.bruteforce", Severity::Warning, "test", "s");
        ids.push(db.store.insert_event(&event).await.unwrap());
    }
    let mut side = db.side_connection().await;
    let directive = |event: i64, created: i64, key: &str, status: &str| {
        format!(
            "INSERT INTO directives (event_id, created_us, rule, channel, recipient, template, \
             format, group_key, labels, group_wait_us, group_interval_us, repeat_interval_us, \
             status) VALUES ({event}, {created}, 'r', 'ops_mail', 'abuse@{key}.example', \
             'abuse_report', 'csv', '{key}', '{{}}', 10, 20, 30, '{status}')"
        )
    };
    for sql in [
        directive(ids[0], 100, "a", "grouped"),
        directive(ids[1], 200, "a", "pending"),
        directive(ids[2], 300, "a", "pending"),
        directive(ids[3], 400, "b", "pending"),
        "INSERT INTO notify_groups (group_key, last_flush_us, last_hash, not_before_us) \
         VALUES ('a', 150, 'h', 0)"
            .into(),
    ] {
        side.execute(AssertSqlSafe(sql)).await.unwrap();
    }
    db.store.migrate().await.unwrap();
    let mut pending = db.store.pending_groups().await.unwrap();
    pending.sort_by(|x, y| x.group_key.cmp(&y.group_key));
    let timers: Vec<_> = pending
        .iter()
        .map(|g| {
            let key = g.group_key.as_str();
            (
                key,
                g.first_created_us,
                g.last_flush_us,
                g.last_hash.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        timers,
        [("a", 200, Some(150), Some("h")), ("b", 400, None, None)]
    );
    assert_eq!(pending[0].group_interval_us, 20);
    let due: Vec<(i64, Option<i64>)> = pending.iter().map(|g| (g.id, g.last_flush_us)).collect();
    let mut claimed = Vec::new();
    db.store
        .flush_groups(&due, t(10), |groups, _tickets| {
            groups
                .into_iter()
                .map(|group| {
                    let events: Vec<i64> = group.directives.iter().map(|d| d.event.id).collect();
                    claimed.push((group.key.clone(), group.recipient.clone(), events.clone()));
                    NewNotification {
                        group_key: group.key,
                        channel: group.channel,
                        recipient: group.recipient,
                        template: group.template,
                        format: group.format,
                        subject: "s".into(),
                        body: "b".into(),
                        html: None,
                        csv: None,
                        content_hash: "x".into(),
                        event_ids: events,
                        directive_ids: group.directives.iter().map(|d| d.id).collect(),
                        status: postwarden_store::NewStatus::Ready,
                        error: None,
                    }
                })
                .collect()
        })
        .await
        .unwrap();
    assert_eq!(
        claimed,
        [
            ("a".into(), "abuse@a.example".into(), vec![ids[1], ids[2]]),
            ("b".into(), "abuse@b.example".into(), vec![ids[3]]),
        ]
    );
    assert!(db.store.pending_groups().await.unwrap().is_empty());
    db.finish().await;
}

fn full_event() -> Event {
    Event {
        time: Utc.timestamp_opt(1_700_000_123, 456_789_000).unwrap(),
        kind: "auth.bruteforce".into(),
        severity: Severity::Critical,
        source: "logs".into(),
        host: Some("mx1.example.org".into()),
        ip: Some("2001:db8::dead:beef".parse().unwrap()),
        user: Some("jürgen@exämple.de".into()),
        sender: Some("störung@example.com".into()),
        recipient: Some("用户@例子.中国".into()),
        summary: "12 failed logins from 2001:db8::dead:beef in 5 min — 🚨 'quoted' \"double\" ? %"
            .into(),
        attributes: serde_json::json!({
            "count": 12,
            "window_s": 300,
            "users": ["a", "b"],
            "nested": {"ok": true, "ratio": 0.5, "none": null},
            "text": "ünïcödé ✓ \n newline",
        }),
    }
}

async fn event_round_trip(backend: Backend) {
    let db = TestDb::open(backend).await;
    let full = full_event();
    let minimal = Event::new(
        full.time + Duration::seconds(1),
        "health.ok",
        Severity::Info,
        "health",
        "",
    );
    let id1 = db.store.insert_event(&full).await.unwrap();
    let id2 = db.store.insert_event(&minimal).await.unwrap();
    assert!(id2 > id1, "ids increase: {id1} then {id2}");
    let got = db.store.events(full.time, None, 10).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].id, id1);
    assert_eq!(got[0].event, full);
    assert_eq!(got[1].id, id2);
    assert_eq!(got[1].event, minimal);
    // IPv4 too.
    let mut v4 = minimal.clone();
    v4.ip = Some("192.0.2.55".parse().unwrap());
    let id3 = db.store.insert_event(&v4).await.unwrap();
    let got = db.store.events(v4.time, Some("health."), 10).await.unwrap();
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id2, id3]);
    assert_eq!(got[1].event.ip, v4.ip);
    db.finish().await;
}

async fn events_filter_by_time_and_kind_prefix(backend: Backend) {
    let db = TestDb::open(backend).await;
    for (i, kind) in [
        "auth.bruteforce",
        "auth.fail",
        "mail.virus",
        "Auth.other",
        "auth_x",
    ]
    .iter()
    .enumerate()
    {
        db.store
            .insert_event(&Event::new(
                t(i as i64 * 10),
                *kind,
                Severity::Warning,
                "test",
                format!("e{i}"),
            ))
            .await
            .unwrap();
    }
    let kinds = |events: Vec<postwarden_store::StoredEvent>| {
        events.into_iter().map(|e| e.event.kind).collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(db.store.events(t(0), None, 100).await.unwrap()).len(),
        5
    );
    assert_eq!(
        kinds(db.store.events(t(0), Some("auth."), 100).await.unwrap()),
        ["auth.bruteforce", "auth.fail"]
    );
    assert_eq!(
        kinds(db.store.events(t(5), Some("auth."), 100).await.unwrap()),
        ["auth.fail"]
    );
    assert_eq!(
        kinds(db.store.events(t(0), None, 2).await.unwrap()),
        ["auth.bruteforce", "auth.fail"]
    );
    assert_eq!(
        kinds(db.store.events(t(0), Some("Auth"), 100).await.unwrap()),
        ["Auth.other"]
    );
    assert!(
        db.store
            .events(t(1000), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    db.finish().await;
}

async fn file_state_upsert(backend: Backend) {
    let db = TestDb::open(backend).await;
    assert_eq!(
        db.store.file_state("/var/log/mail.log").await.unwrap(),
        None
    );
    let first = FileState {
        path: "/var/log/mail.log".into(),
        device: u64::MAX,
        inode: 1 << 63,
        offset: 12_345,
        fingerprint: vec![0, 1, 2, 0xff, 0xfe, 0],
        updated: t(0),
    };
    db.store
        .commit_log_batch(&LogBatch {
            file_state: Some(first.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.store.file_state(&first.path).await.unwrap(),
        Some(first.clone())
    );
    let second = FileState {
        inode: 42,
        offset: 99_999_999_999,
        fingerprint: b"new first line hash".to_vec(),
        updated: t(60),
        ..first.clone()
    };
    db.store
        .commit_log_batch(&LogBatch {
            file_state: Some(second.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.store.file_state(&first.path).await.unwrap(),
        Some(second)
    );
    let other = FileState {
        path: "/var/log/mail.log.ü".into(),
        device: 0,
        inode: 0,
        offset: 0,
        fingerprint: vec![],
        updated: t(1),
    };
    db.store
        .commit_log_batch(&LogBatch {
            file_state: Some(other.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(db.store.file_state(&other.path).await.unwrap(), Some(other));
    assert_eq!(db.count("log_files").await, 2);
    db.finish().await;
}

async fn journal_state_upsert(backend: Backend) {
    let db = TestDb::open(backend).await;
    assert_eq!(
        db.store.journal_state("journal:system").await.unwrap(),
        None
    );
    let first = JournalState {
        source: "journal:system".into(),
        cursor: "s=8b12414d369c46ec8adbf00b7f0d487e;i=2;b=0123;m=3e9;t=64c65a92d7380;x=fb45".into(),
        updated: t(0),
    };
    db.store
        .commit_log_batch(&LogBatch {
            journal_state: Some(first.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.store.journal_state(&first.source).await.unwrap(),
        Some(first.clone())
    );
    let second = JournalState {
        cursor: "s=8b12414d369c46ec8adbf00b7f0d487e;i=9;b=0123;m=3f0;t=64c65a92d7999;x=aa".into(),
        updated: t(60),
        ..first.clone()
    };
    db.store
        .commit_log_batch(&LogBatch {
            journal_state: Some(second.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.store.journal_state(&first.source).await.unwrap(),
        Some(second)
    );
    assert_eq!(db.count("log_journals").await, 1);
    db.finish().await;
}

fn record(time: DateTime<Utc>, kind: &str, ip: &str, user: Option<&str>) -> LogRecordRow {
    LogRecordRow {
        time,
        host: "mx1".into(),
        service: "postfix/smtpd".into(),
        kind: kind.into(),
        abusive: false,
        ip: Some(ip.parse().unwrap()),
        client_name: None,
        user: user.map(Into::into),
        reason: None,
        country: None,
        asn: None,
        as_org: None,
        rdns: None,
        rdns_status: None,
    }
}

async fn log_batch_round_trip_in_many_chunks(backend: Backend) {
    let db = TestDb::open(backend).await;
    let n = 5_003; // several full chunks and a partial one on every backend
    let records: Vec<LogRecordRow> = (0..n)
        .map(|i| LogRecordRow {
            time: t(i) + Duration::microseconds(i),
            host: format!("mx{}", i % 3),
            service: "postfix/smtpd".into(),
            kind: if i % 2 == 0 {
                "auth_failed".into()
            } else {
                "reject".into()
            },
            abusive: i % 5 == 0,
            ip: Some(if i % 7 == 0 {
                format!("2001:db8::{:x}", i).parse().unwrap()
            } else {
                IpAddr::from([10, 0, (i / 256 % 256) as u8, (i % 256) as u8])
            }),
            client_name: (i % 4 == 0).then(|| format!("host-{i}.example.net")),
            user: (i % 3 == 0).then(|| format!("user{i}@example.org")),
            reason: Some("authentication failure".into()),
            country: Some("DE".into()),
            asn: (i % 2 == 0).then_some(4_294_967_295),
            as_org: Some("Örg 🚀".into()),
            rdns: None,
            rdns_status: Some("nxdomain".into()),
        })
        .collect();
    let batch = LogBatch {
        records: records.clone(),
        traffic: vec![],
        events: vec![full_event(), full_event()],
        file_state: Some(FileState {
            path: "/l".into(),
            device: 1,
            inode: 2,
            offset: 3,
            fingerprint: vec![4],
            updated: t(0),
        }),
        journal_state: None,
    };
    db.store.commit_log_batch(&batch).await.unwrap();
    let all = db.store.log_records(t(0), false).await.unwrap();
    assert_eq!(all.len(), n as usize);
    assert_eq!(all, records, "records come back as stored, in time order");
    let failures = db.store.log_records(t(0), true).await.unwrap();
    assert_eq!(failures.len(), (n as usize).div_ceil(2));
    assert!(failures.iter().all(|r| r.kind == "auth_failed"));
    assert_eq!(
        db.store.log_records(t(n - 10), false).await.unwrap().len(),
        10
    );
    assert_eq!(
        db.store
            .events(t(-100_000_000), None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(db.store.file_state("/l").await.unwrap().unwrap().offset, 3);
    db.finish().await;
}

async fn failed_batch_leaves_nothing(backend: Backend) {
    let db = TestDb::open(backend).await;
    // Sabotage: without the events table, the batch fails after records and counters went in.
    let mut side = db.side_connection().await;
    side.execute("DROP TABLE events").await.unwrap();
    side.close().await.ok();
    let batch = LogBatch {
        records: (0..2500)
            .map(|i| LogRecordRow {
                country: Some("NL".into()),
                ..record(t(i), "auth_failed", "192.0.2.1", Some("u"))
            })
            .collect(),
        traffic: vec![TrafficCount {
            hour: 1,
            host: "mx".into(),
            metric: "received".into(),
            key: "".into(),
            count: 5,
        }],
        events: vec![full_event()],
        file_state: Some(FileState {
            path: "/var/log/mail.log".into(),
            device: 1,
            inode: 2,
            offset: 3,
            fingerprint: vec![],
            updated: t(0),
        }),
        journal_state: None,
    };
    let err = db
        .store
        .commit_log_batch(&batch)
        .await
        .expect_err("the batch must fail");
    assert!(matches!(err, StoreError::Query { .. }), "{err}");
    assert!(err.to_string().contains("storing an event"), "{err}");
    assert_eq!(
        db.count("log_records").await,
        0,
        "no records after a failed batch"
    );
    assert_eq!(
        db.count("traffic_counts").await,
        0,
        "no counts after a failed batch"
    );
    assert_eq!(
        db.store.file_state("/var/log/mail.log").await.unwrap(),
        None,
        "no file state after a failed batch"
    );
    // The store still works afterwards.
    db.store
        .commit_log_batch(&LogBatch {
            records: batch.records.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(db.count("log_records").await, 2500);
    // The failed batch's enrichment was not remembered as stored: the retry stored it.
    assert_eq!(db.count("ip_info").await, 1);
    let stored = db.store.log_records(t(-1), true).await.unwrap();
    assert_eq!(stored[0].country.as_deref(), Some("NL"));
    db.finish().await;
}

fn traffic(hour: i64, metric: &str, key: &str, count: i64) -> TrafficCount {
    TrafficCount {
        hour,
        host: "mx1".into(),
        metric: metric.into(),
        key: key.into(),
        count,
    }
}

async fn traffic_counts_add_up(backend: Backend) {
    let db = TestDb::open(backend).await;
    let h = hour_of(t(0));
    let long_domain = format!("{}.example.com", "a".repeat(300));
    let batch = LogBatch {
        traffic: vec![
            traffic(h, "received", "", 3),
            traffic(h, "received", "", 2), // same key twice in one batch
            traffic(h, "sender_domain", &long_domain, 1),
            traffic(h, "sender_domain", "Example.com", 1),
            traffic(h, "sender_domain", "example.com", 1), // case-sensitive keys
        ],
        ..Default::default()
    };
    db.store.commit_log_batch(&batch).await.unwrap();
    db.store.commit_log_batch(&batch).await.unwrap();
    let mut more = batch.clone();
    more.traffic = vec![
        traffic(h, "received", "", 10),
        traffic(h + 1, "received", "", 7),
    ];
    db.store.commit_log_batch(&more).await.unwrap();

    let s = db.store.traffic_summary(t(0), 10).await.unwrap();
    assert_eq!(s.received, 5 + 5 + 10 + 7);
    assert_eq!(s.per_hour, vec![(h, 20, 0, 0), (h + 1, 7, 0, 0)]);
    let truncated: String = long_domain.chars().take(255).collect();
    assert_eq!(
        s.top_sender_domains,
        vec![
            ("Example.com".to_string(), 2),
            (truncated, 2),
            ("example.com".to_string(), 2)
        ]
    );
    assert_eq!(db.count("traffic_counts").await, 5);
    db.finish().await;
}

/// A known dataset: failures from three IPs, successes, and rows outside the window.
fn auth_dataset() -> Vec<LogRecordRow> {
    let enrich = |mut r: LogRecordRow,
                  country: &str,
                  asn: u32,
                  org: &str,
                  rdns: Option<&str>,
                  status: &str| {
        r.country = Some(country.into());
        r.asn = Some(asn);
        r.as_org = Some(org.into());
        r.rdns = rdns.map(Into::into);
        r.rdns_status = Some(status.into());
        r.abusive = true;
        r
    };
    let mut rows = Vec::new();
    for s in [0, 100, 3_700] {
        rows.push(enrich(
            record(t(s), "auth_failed", "10.0.0.1", Some("alice")),
            "DE",
            3320,
            "DTAG",
            Some("a.example"),
            "ok",
        ));
    }
    for s in [200, 3_800] {
        rows.push(enrich(
            record(t(s), "auth_failed", "2001:db8::1", Some("bob")),
            "US",
            15169,
            "Google",
            None,
            "nxdomain",
        ));
    }
    rows.push(enrich(
        record(t(300), "auth_failed", "192.0.2.7", Some("alice")),
        "DE",
        3320,
        "DTAG",
        Some("b.example"),
        "ok",
    ));
    rows.push(record(t(400), "auth_failed", "198.51.100.9", None)); // no user, no enrichment
    rows.push(record(t(500), "auth_success", "10.0.0.9", Some("carol")));
    rows.push(record(t(600), "auth_success", "10.0.0.9", Some("carol")));
    rows.push(record(t(700), "reject", "10.0.0.1", None));
    // Before the window:
    rows.push(record(t(-10), "auth_failed", "10.0.0.1", Some("alice")));
    rows.push(record(t(-10), "auth_success", "10.0.0.1", Some("alice")));
    rows
}

async fn auth_summary_numbers(backend: Backend) {
    let db = TestDb::open(backend).await;
    db.store
        .commit_log_batch(&LogBatch {
            records: auth_dataset(),
            ..Default::default()
        })
        .await
        .unwrap();
    let h0 = hour_of(t(0));
    let h1 = hour_of(t(3_700));
    assert_ne!(h0, h1);
    let s = db.store.auth_summary(t(0), 10).await.unwrap();
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let expected = AuthSummary {
        total_failures: 7,
        unique_ips: 4,
        top_ips: vec![
            TopIp {
                ip: ip("10.0.0.1"),
                count: 3,
                rdns: Some("a.example".into()),
                country: Some("DE".into()),
            },
            TopIp {
                ip: ip("2001:db8::1"),
                count: 2,
                rdns: None,
                country: Some("US".into()),
            },
            TopIp {
                ip: ip("192.0.2.7"),
                count: 1,
                rdns: Some("b.example".into()),
                country: Some("DE".into()),
            },
            TopIp {
                ip: ip("198.51.100.9"),
                count: 1,
                rdns: None,
                country: None,
            },
        ],
        top_users: vec![("alice".into(), 4), ("bob".into(), 2)],
        top_countries: vec![("DE".into(), 4), ("US".into(), 2)],
        top_asns: vec![
            TopAsn {
                asn: 3320,
                org: Some("DTAG".into()),
                count: 4,
            },
            TopAsn {
                asn: 15169,
                org: Some("Google".into()),
                count: 2,
            },
        ],
        per_hour: {
            let mut v = vec![(h0, 0), (h1, 0)];
            for s in [0, 100, 3_700, 200, 3_800, 300, 400] {
                let h = hour_of(t(s));
                v.iter_mut().find(|(x, _)| *x == h).unwrap().1 += 1;
            }
            v
        },
        rdns_status: vec![("ok".into(), 4), ("nxdomain".into(), 2)],
        successes: 2,
    };
    assert_eq!(s, expected);
    let small = db.store.auth_summary(t(0), 2).await.unwrap();
    assert_eq!(small.top_ips, expected.top_ips[..2]);
    assert_eq!(small.top_users.len(), 2);
    assert_eq!(small.top_asns.len(), 2);
    assert_eq!(
        small.per_hour, expected.per_hour,
        "per_hour is not cut by top"
    );
    let later = db.store.auth_summary(t(3_750), 10).await.unwrap();
    assert_eq!(
        (later.total_failures, later.unique_ips, later.successes),
        (1, 1, 0)
    );
    let empty = db.store.auth_summary(t(100_000), 10).await.unwrap();
    assert_eq!(empty, AuthSummary::default());
    db.finish().await;
}

/// The summary from hourly counters (and the records of a partial first hour) against a
/// plain count of the records, for start times on and off the hour, across several batches.
async fn auth_summary_matches_a_plain_count_of_the_records(backend: Backend) {
    let db = TestDb::open(backend).await;
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let mut records = Vec::new();
    for _ in 0..1_500 {
        let client = next(40);
        let ip = format!("198.51.100.{client}");
        let kind = if next(10) == 0 {
            "auth_success"
        } else {
            "auth_failed"
        };
        let user = ["alice", "bob", "carol"].get(next(4) as usize).copied();
        records.push(LogRecordRow {
            country: (client % 3 != 0).then(|| ["DE", "NL", "US"][(client % 3) as usize].into()),
            asn: (client % 4 != 0).then_some(64_500 + (client % 5) as u32),
            as_org: Some(format!("AS{}", 64_500 + client % 5)),
            rdns_status: Some(["ok", "nxdomain"][(client % 2) as usize].into()),
            ..record(t(next(6 * 3600) as i64), kind, &ip, user)
        });
    }
    for chunk in records.chunks(400) {
        db.store
            .commit_log_batch(&LogBatch {
                records: chunk.to_vec(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let ranked = |counts: HashMap<String, i64>, top: usize| {
        let mut list: Vec<(String, i64)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        list.truncate(top);
        list
    };
    for since in [
        t(0),
        t(1_800),
        t(3_600 - 1_700_000_000 % 3_600),
        t(4 * 3_600 + 17),
        t(7 * 3_600),
    ] {
        let failed: Vec<&LogRecordRow> = records
            .iter()
            .filter(|r| r.kind == "auth_failed" && r.time >= since)
            .collect();
        let count_by = |key: &dyn Fn(&LogRecordRow) -> Option<String>| {
            let mut counts = HashMap::new();
            for r in &failed {
                if let Some(k) = key(r) {
                    *counts.entry(k).or_insert(0i64) += 1;
                }
            }
            counts
        };
        let summary = db.store.auth_summary(since, 5).await.unwrap();
        let ips = count_by(&|r| r.ip.map(|ip| ip.to_string()));
        assert_eq!(summary.total_failures, failed.len() as i64, "since {since}");
        assert_eq!(summary.unique_ips, ips.len() as i64);
        assert_eq!(
            summary
                .top_ips
                .iter()
                .map(|t| (t.ip.to_string(), t.count))
                .collect::<Vec<_>>(),
            ranked(ips, 5)
        );
        assert_eq!(summary.top_users, ranked(count_by(&|r| r.user.clone()), 5));
        assert_eq!(
            summary.top_countries,
            ranked(count_by(&|r| r.country.clone()), 5)
        );
        assert_eq!(
            summary
                .top_asns
                .iter()
                .map(|a| (a.asn.to_string(), a.count))
                .collect::<Vec<_>>(),
            ranked(count_by(&|r| r.asn.map(|a| a.to_string())), 5)
        );
        assert!(
            summary
                .top_asns
                .iter()
                .all(|a| a.org == Some(format!("AS{}", a.asn)))
        );
        assert_eq!(
            summary.rdns_status,
            ranked(count_by(&|r| r.rdns_status.clone()), 10)
        );
        let mut hours = std::collections::BTreeMap::new();
        for r in &failed {
            *hours.entry(hour_of(r.time)).or_insert(0i64) += 1;
        }
        assert_eq!(summary.per_hour, hours.into_iter().collect::<Vec<_>>());
        assert_eq!(
            summary.successes,
            records
                .iter()
                .filter(|r| r.kind == "auth_success" && r.time >= since)
                .count() as i64
        );
    }
    db.finish().await;
}

async fn traffic_summary_numbers(backend: Backend) {
    let db = TestDb::open(backend).await;
    let h = hour_of(t(0));
    let batch = LogBatch {
        traffic: vec![
            traffic(h - 1, "received", "", 1000), // before the window
            traffic(h, "received", "", 5),
            traffic(h + 1, "received", "", 3),
            traffic(h, "delivered", "", 4),
            traffic(h + 1, "delivered", "", 2),
            traffic(h, "deferred", "", 6),
            traffic(h, "bounced", "", 1),
            traffic(h + 2, "expired", "", 1),
            traffic(h, "rejected", "rbl", 1),
            traffic(h + 1, "rejected", "rbl", 1),
            traffic(h + 1, "rejected", "helo", 1),
            traffic(h + 1, "rejected", "", 3),
            traffic(h, "sender_domain", "example.com", 3),
            traffic(h, "sender_domain", "example.org", 1),
            traffic(h + 1, "sender_domain", "example.net", 3),
            traffic(h, "recipient_domain", "mail.test", 9),
        ],
        ..Default::default()
    };
    db.store.commit_log_batch(&batch).await.unwrap();
    // Mid-hour `since` counts from the start of that hour.
    let s = db
        .store
        .traffic_summary(t(0) + Duration::minutes(1), 2)
        .await
        .unwrap();
    assert_eq!(
        (
            s.received,
            s.delivered,
            s.deferred,
            s.bounced,
            s.expired,
            s.rejected
        ),
        (8, 6, 6, 1, 1, 6)
    );
    assert_eq!(
        s.rejected_by_reason,
        vec![("".to_string(), 3), ("rbl".to_string(), 2)]
    );
    assert_eq!(
        s.top_sender_domains,
        vec![
            ("example.com".to_string(), 3),
            ("example.net".to_string(), 3)
        ]
    );
    assert_eq!(s.top_recipient_domains, vec![("mail.test".to_string(), 9)]);
    assert_eq!(s.per_hour, vec![(h, 5, 4, 1), (h + 1, 3, 2, 5)]);
    let empty = db.store.traffic_summary(t(100_000), 5).await.unwrap();
    assert_eq!(empty, Default::default());
    db.finish().await;
}

// ---- Connection errors: say what to do, never show the password. ----

async fn connect_error(url: &str) -> String {
    let err = Store::connect(&Secret::new(url), 1)
        .await
        .expect_err("connecting must fail");
    let text = format!("{err} / {err:?}");
    assert!(!text.contains("Hunter2Secret"), "password leaked: {text}");
    assert!(!text.contains("Hunter2%53ecret"), "password leaked: {text}");
    text
}

#[tokio::test]
async fn postgres_connect_error_hides_the_password() {
    let text = connect_error("postgres://postgres:Hunter2Secret@127.0.0.1:1/test").await;
    assert!(
        text.contains("postgres://postgres:***@127.0.0.1:1/test"),
        "{text}"
    );
    assert!(text.contains("check that the server is running"), "{text}");
    assert!(text.contains("refused"), "the cause is named: {text}");
}

#[tokio::test]
async fn mysql_connect_error_hides_the_password() {
    let text =
        connect_error("mysql://root:Hunter2%53ecret@127.0.0.1:1/test?ssl-mode=disabled").await;
    assert!(text.contains("mysql://root:***@127.0.0.1:1/test"), "{text}");
}

#[tokio::test]
async fn wrong_password_error_hides_the_password() {
    // A real server that refuses the user (PostgreSQL may trust local users, so use a
    // user that does not exist).
    let (base, _) = base_url(Backend::Postgres);
    let host = base
        .split('@')
        .nth(1)
        .unwrap_or("127.0.0.1:5432/test")
        .to_string();
    let text = connect_error(&format!("postgres://no_such_user_pw:Hunter2Secret@{host}")).await;
    assert!(text.contains("***"), "{text}");
    let (base, _) = base_url(Backend::MySql);
    let host = base
        .split('@')
        .nth(1)
        .unwrap_or("127.0.0.1:3306/test")
        .to_string();
    connect_error(&format!("mysql://no_such_user_pw:Hunter2Secret@{host}")).await;
}

#[tokio::test]
async fn bad_urls_are_explained_without_the_password() {
    let text = connect_error("postgres://u:Hunter2Secret@db.example:notaport/x").await;
    assert!(text.contains("not usable"), "{text}");
    let text = connect_error("oracle://u:Hunter2Secret@db.example/x").await;
    assert!(text.contains("sqlite:, postgres: or mysql:"), "{text}");
}

#[tokio::test]
async fn sqlite_in_memory_keeps_one_database() {
    let store = Store::connect(&Secret::new("sqlite::memory:"), 8)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.insert_event(&full_event()).await.unwrap();
    assert_eq!(
        store.events(t(-1_000_000), None, 10).await.unwrap().len(),
        1
    );
}

fn message_record(id: &str) -> MessageRecord {
    MessageRecord {
        id: id.into(),
        time: t(10),
        queue_id: Some("4Xk2Lm0abc".into()),
        client_ip: Some("2001:db8::7".into()),
        client_name: Some("mx.sender.example".into()),
        mail_from: "störung@example.com".into(),
        recipients: vec!["a@x.example".into(), "b@y.example".into()],
        subject: Some("Grüße ✓".into()),
        size: 12_345,
        score: 1000.5,
        findings: serde_json::json!([{"processor": "spamassassin", "score": 1000.5}]),
        verdicts: serde_json::json!({"a@x.example": {"action": "tag"}}),
        reply: "250 2.0.0 Ok: filtered as 1".into(),
        duration_us: 4_200,
    }
}

async fn message_records_with_events_are_atomic(backend: Backend) {
    let db = TestDb::open(backend).await;
    let event = Event::new(t(10), "mail.spam", Severity::Notice, "filter", "spam");
    let batch = vec![
        (message_record("m1"), vec![event.clone()]),
        (message_record("m2"), vec![event.clone(), event.clone()]),
    ];
    db.store.record_messages(&batch).await.unwrap();
    let refused = [
        (message_record("m3"), vec![event.clone()]),
        (message_record("m1"), vec![event]),
    ];
    let again = db.store.record_messages(&refused).await;
    assert!(again.is_err(), "the same message id twice is refused");
    let events = db.store.events(t(0), Some("mail."), 10).await.unwrap();
    assert_eq!(
        events.len(),
        3,
        "the refused batch left nothing behind, m3's event included"
    );
    db.finish().await;
}

async fn quarantine_lifecycle(backend: Backend) {
    let db = TestDb::open(backend).await;
    let entry = |id: &str, secs| QuarantineRecord {
        id: id.into(),
        time: t(secs),
        digest: "ab".repeat(32),
        mail_from: "".into(),
        recipients: vec!["q@quarantine.example".into()],
        subject: None,
        size: 99,
        reason: "spam, score 1000.0".into(),
        released: None,
        released_by: None,
        deleted: None,
    };
    db.store.insert_quarantine(&entry("old", 1)).await.unwrap();
    db.store.insert_quarantine(&entry("new", 2)).await.unwrap();
    let listed: Vec<String> = db
        .store
        .quarantine_entries(10)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(listed, ["new", "old"], "newest first");
    let whole = db
        .store
        .mark_recipients_released(
            "old",
            &["q@quarantine.example".into()],
            "admin@example.org",
            t(5),
        )
        .await
        .unwrap();
    assert!(whole, "its only recipient released: the entry is released");
    let old = db.store.quarantine_entry("old").await.unwrap().unwrap();
    assert_eq!(
        (old.released, old.released_by.as_deref()),
        (Some(t(5)), Some("admin@example.org"))
    );
    assert_eq!(old.recipients, ["q@quarantine.example"]);
    assert_eq!(
        old,
        QuarantineRecord {
            released: Some(t(5)),
            released_by: Some("admin@example.org".into()),
            ..entry("old", 1)
        }
    );
    assert!(
        db.store
            .quarantine_digest_in_use(&"ab".repeat(32))
            .await
            .unwrap()
    );
    db.store.mark_deleted("new", t(6)).await.unwrap();
    assert!(
        db.store
            .quarantine_digest_in_use(&"ab".repeat(32))
            .await
            .unwrap(),
        "old still uses it"
    );
    assert_eq!(
        db.store.quarantine_entries(10).await.unwrap().len(),
        1,
        "deleted entries are not listed"
    );
    assert!(
        db.store
            .quarantine_entry("missing")
            .await
            .unwrap()
            .is_none()
    );
    db.finish().await;
}

async fn list_entries_round_trip(backend: Backend) {
    let db = TestDb::open(backend).await;
    let entry = |list: &str, field: &str, value: &str| ListEntry {
        list: list.into(),
        field: field.into(),
        value: value.into(),
    };
    db.store
        .add_list_entry(
            &entry("block", "sender", "@spam.example"),
            Some("seen in a campaign"),
        )
        .await
        .unwrap();
    db.store
        .add_list_entry(&entry("allow", "client", "192.0.2.0/24"), None)
        .await
        .unwrap();
    assert_eq!(
        db.store.list_entries().await.unwrap(),
        [
            entry("block", "sender", "@spam.example"),
            entry("allow", "client", "192.0.2.0/24")
        ]
    );
    db.finish().await;
}

async fn filter_summary_numbers(backend: Backend) {
    let db = TestDb::open(backend).await;
    let mut virus = message_record("m1");
    virus.findings = serde_json::json!([
        {"processor": "clamav", "score": 0.0, "tags": ["virus"], "reason": "Eicar-Signature"},
        {"processor": "spamassassin", "score": 3.0, "tags": ["spam"], "reason": "BAYES_99"}
    ]);
    let mut blocked = message_record("m2");
    blocked.findings = serde_json::json!([
        {"processor": "lists", "score": 0.0, "tags": ["blocked"], "reason": "sender @spam.example"},
        {"processor": "clamav", "score": 0.0, "tags": ["virus"], "reason": "Eicar-Signature"}
    ]);
    let event = |kind: &str| Event::new(t(10), kind, Severity::Notice, "filter", kind);
    let batch = vec![
        (virus, vec![event("mail.virus"), event("mail.rejected")]),
        (blocked, vec![event("mail.blocked"), event("mail.virus")]),
        (message_record("m3"), vec![]),
        // Before the period: not counted.
        (
            MessageRecord {
                time: t(-100),
                ..message_record("m0")
            },
            vec![],
        ),
    ];
    db.store.record_messages(&batch).await.unwrap();
    let summary = db.store.filter_summary(t(0), 10).await.unwrap();
    assert_eq!(summary.processed, 3);
    assert_eq!(
        (summary.virus, summary.blocked, summary.rejected),
        (2, 1, 1)
    );
    assert_eq!(summary.spam, 0);
    assert_eq!(
        summary.top_threats,
        vec![
            ("clamav: Eicar-Signature".to_string(), 2),
            ("lists: sender @spam.example".to_string(), 1)
        ]
    );
    db.finish().await;
}

async fn schedule_runs_compare_and_set(backend: Backend) {
    let db = TestDb::open(backend).await;
    let store = &db.store;
    assert_eq!(store.schedule_last_run("daily").await.unwrap(), None);
    let first = store
        .record_schedule_run("daily", None, t(0), &[], t(5))
        .await
        .unwrap();
    assert_eq!(first, Some(vec![]));
    // Another node that read "never ran" is too late.
    let late = store
        .record_schedule_run("daily", None, t(0), &[], t(6))
        .await
        .unwrap();
    assert_eq!(late, None);
    assert_eq!(store.schedule_last_run("daily").await.unwrap(), Some(t(0)));
    let notification = NewNotification {
        group_key: "report:daily".into(),
        channel: "ops_sms".into(),
        recipient: "+12345678901".into(),
        template: "report:daily".into(),
        format: "sms".into(),
        subject: String::new(),
        body: "12 processed".into(),
        html: None,
        csv: None,
        content_hash: "h".into(),
        event_ids: vec![],
        directive_ids: vec![],
        status: postwarden_store::NewStatus::Ready,
        error: None,
    };
    let next = store
        .record_schedule_run(
            "daily",
            Some(t(0)),
            t(86_400),
            std::slice::from_ref(&notification),
            t(86_401),
        )
        .await
        .unwrap()
        .expect("the run is recorded");
    assert_eq!(next.len(), 1);
    assert_eq!(
        store
            .notification_state(&next[0])
            .await
            .unwrap()
            .unwrap()
            .status,
        "ready"
    );
    // The same run again (a restart that read the old last run): refused, nothing stored.
    let again = store
        .record_schedule_run("daily", Some(t(0)), t(86_400), &[notification], t(86_402))
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(
        store.schedule_last_run("daily").await.unwrap(),
        Some(t(86_400))
    );
    db.finish().await;
}

fn new_user<'a>(address: &'a str, role: Role, domains: &'a [String]) -> NewUser<'a> {
    NewUser {
        address,
        display_name: Some("Zoë Ünal"),
        role,
        domains,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        source: UserSource::Local,
    }
}

async fn users_sessions_and_tokens_round_trip(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    let domains = vec!["Corp.Example".to_string()];
    let admin = s
        .create_user(&new_user(
            "Postmaster@Corp.Example",
            Role::DomainAdmin,
            &domains,
        ))
        .await
        .unwrap();
    assert_eq!(
        admin.address, "postmaster@corp.example",
        "stored lower-cased"
    );
    assert_eq!(admin.domains, ["corp.example"]);
    assert_eq!(admin.display_name.as_deref(), Some("Zoë Ünal"));
    assert!(!admin.disabled);
    let again = s
        .create_user(&new_user("postmaster@corp.example", Role::User, &[]))
        .await;
    assert!(matches!(again, Err(StoreError::Exists(_))), "{again:?}");
    let alice = s
        .create_user(&new_user("alice@corp.example", Role::User, &[]))
        .await
        .unwrap();
    assert_eq!(
        s.users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.address.as_str())
            .collect::<Vec<_>>(),
        ["alice@corp.example", "postmaster@corp.example"]
    );
    assert_eq!(
        s.user_by_address("ALICE@corp.example")
            .await
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );

    let settings = UserSettings {
        spam_score: Some(4.5),
        allow_senders: vec!["@partner.example".into()],
        ..Default::default()
    };
    assert!(s.set_user_settings(alice.id, &settings).await.unwrap());
    let found = s.all_settings().await.unwrap();
    assert!(!found.contains_key("nobody@corp.example"));
    assert_eq!(found["alice@corp.example"], settings);
    assert!(s.set_role(alice.id, Role::Admin, &[]).await.unwrap());
    assert!(
        s.set_password_hash(alice.id, "$argon2id$new")
            .await
            .unwrap()
    );
    s.record_login(alice.id, t(50)).await.unwrap();
    let alice = s.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(
        (alice.role, alice.password_hash.as_deref(), alice.last_login),
        (Role::Admin, Some("$argon2id$new"), Some(t(50)))
    );
    assert!(s.set_disabled(alice.id, true).await.unwrap());
    assert!(
        !s.all_settings()
            .await
            .unwrap()
            .contains_key("alice@corp.example"),
        "disabled users' settings do not apply"
    );

    let session = SessionRecord {
        id_hash: "f".repeat(64),
        user_id: alice.id,
        csrf: "c".repeat(43),
        created: t(0),
        last_seen: t(0),
    };
    s.create_session(&session).await.unwrap();
    assert_eq!(
        s.session(&"f".repeat(64)).await.unwrap(),
        Some(session.clone())
    );
    s.touch_session(&session.id_hash, t(100)).await.unwrap();
    assert_eq!(
        s.session(&session.id_hash)
            .await
            .unwrap()
            .unwrap()
            .last_seen,
        t(100)
    );
    assert_eq!(s.expire_sessions(t(50), t(-100)).await.unwrap(), 0);
    assert_eq!(s.expire_sessions(t(101), t(-100)).await.unwrap(), 1, "idle");
    s.create_session(&session).await.unwrap();
    s.delete_sessions_of(alice.id).await.unwrap();
    assert!(s.session(&session.id_hash).await.unwrap().is_none());

    let token = TokenRecord {
        jti: "a".repeat(32),
        user_id: alice.id,
        name: "backup script".into(),
        scopes: vec!["read".into(), "send".into()],
        created: t(0),
        expires: t(86_400),
        revoked: None,
    };
    s.create_token(&token).await.unwrap();
    assert_eq!(s.token(&token.jti).await.unwrap(), Some(token.clone()));
    let (found, owner) = s.token_with_user(&token.jti).await.unwrap().unwrap();
    assert_eq!(
        (found, owner.address.as_str()),
        (token.clone(), "alice@corp.example")
    );
    assert!(s.token_with_user("nope").await.unwrap().is_none());
    assert!(
        !s.revoke_token(admin.id, &token.jti, t(5)).await.unwrap(),
        "only its owner revokes it"
    );
    assert!(s.revoke_token(alice.id, &token.jti, t(5)).await.unwrap());
    assert!(
        !s.revoke_token(alice.id, &token.jti, t(6)).await.unwrap(),
        "once"
    );
    assert_eq!(s.tokens_of(alice.id).await.unwrap()[0].revoked, Some(t(5)));

    s.create_session(&session).await.unwrap();
    assert!(s.delete_user("alice@corp.example").await.unwrap());
    assert!(!s.delete_user("alice@corp.example").await.unwrap());
    assert!(
        s.session(&session.id_hash).await.unwrap().is_none(),
        "sessions go with the user"
    );
    assert!(s.token(&token.jti).await.unwrap().is_none(), "tokens too");
    db.finish().await;
}

fn mail(id: &str, secs: i64, from: &str, to: &[&str], action: &str) -> MessageRecord {
    let verdicts: serde_json::Map<String, serde_json::Value> = to
        .iter()
        .map(|r| {
            (
                r.to_string(),
                serde_json::json!({"action": action, "score": 1.0, "reason": "r"}),
            )
        })
        .collect();
    MessageRecord {
        id: id.into(),
        time: t(secs),
        queue_id: Some(format!("Q{id}")),
        client_ip: None,
        client_name: None,
        mail_from: from.into(),
        recipients: to.iter().map(|s| s.to_string()).collect(),
        subject: Some(format!("subject {id}")),
        size: 100,
        score: 1.0,
        findings: serde_json::json!([]),
        verdicts: serde_json::Value::Object(verdicts),
        reply: "250".into(),
        duration_us: 1,
    }
}

fn held(id: &str, secs: i64, to: &[&str]) -> QuarantineRecord {
    QuarantineRecord {
        id: id.into(),
        time: t(secs),
        digest: "cd".repeat(32),
        mail_from: "evil@spam.example".into(),
        recipients: to.iter().map(|s| s.to_string()).collect(),
        subject: None,
        size: 9,
        reason: "spam".into(),
        released: None,
        released_by: None,
        deleted: None,
    }
}

fn ids(messages: &[MessageRecord]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

/// Every visibility's search, paged with its cursor, finds what a plain filter over all the
/// records finds, in the same order: a domain admin's search reads one branch per domain
/// and merges them, a person's reads their index rows, everyone else's walks the messages.
async fn every_search_pages_as_a_plain_filter_would(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    let domains = ["a.example", "b.example", "c.example", "d.example"];
    let actions = ["pass", "tag", "quarantine", "reject"];
    let address = |n: usize| format!("u{}@{}", n % 5, domains[n % domains.len()]);
    let mut records = Vec::new();
    for n in 0..90usize {
        let to: Vec<String> = (0..1 + n % 3).map(|k| address(n * 7 + k * 3)).collect();
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        // Some seconds hold two messages, so the cursor's id decides between them.
        let mut record = mail(
            &format!("m{n:02}"),
            (n / 2) as i64,
            &address(n * 11 + 1),
            &to,
            "pass",
        );
        for (k, recipient) in record.recipients.iter().enumerate() {
            record.verdicts[recipient]["action"] = actions[(n + k) % actions.len()].into();
        }
        records.push(record);
    }
    s.record_messages(
        &records
            .iter()
            .map(|r| (r.clone(), vec![]))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();

    let domain_of = |a: &str| a.rsplit('@').next().unwrap_or("").to_string();
    let mut sorted: Vec<&MessageRecord> = records.iter().collect();
    sorted.sort_by(|x, y| (y.time, &y.id).cmp(&(x.time, &x.id)));
    let visibilities = [
        Visibility::All,
        Visibility::Address("u1@b.example".into()),
        Visibility::Domains(vec!["b.example".into()]),
        Visibility::Domains(vec!["a.example".into(), "c.example".into()]),
        Visibility::Domains(domains.iter().map(|d| d.to_string()).collect()),
    ];
    for visibility in &visibilities {
        for action in [None, Some("quarantine"), Some("pass")] {
            let expected: Vec<&str> = sorted
                .iter()
                .filter(|m| {
                    let addresses = std::iter::once(&m.mail_from).chain(&m.recipients);
                    let seen = addresses.into_iter().any(|a| match visibility {
                        Visibility::All => true,
                        Visibility::Address(x) => x == a,
                        Visibility::Domains(ds) => ds.contains(&domain_of(a)),
                    });
                    let acted = action.is_none_or(|wanted| {
                        m.recipients
                            .iter()
                            .any(|r| m.verdicts[r]["action"] == wanted)
                    });
                    seen && acted
                })
                .map(|m| m.id.as_str())
                .collect();
            let mut found: Vec<String> = Vec::new();
            let mut q = MessageQuery::new(visibility.clone(), 7);
            q.action = action.map(str::to_string);
            loop {
                let page = s.search_messages(&q).await.unwrap();
                assert!(page.len() <= 7);
                found.extend(page.iter().map(|m| m.id.clone()));
                match page.last() {
                    Some(last) if page.len() == 7 => {
                        q.after = Some(Cursor {
                            time_us: last.time.timestamp_micros(),
                            id: last.id.clone(),
                        })
                    }
                    _ => break,
                }
            }
            assert!(
                !expected.is_empty(),
                "{visibility:?} {action:?} finds something"
            );
            assert_eq!(found, expected, "{visibility:?}, action {action:?}");
        }
    }
    db.finish().await;
}

/// The token cache's promise: a write to users through this store, or through another one
/// (another process) that shares the stamp file, changes the generation; reads do not.
async fn a_users_write_by_another_process_sharing_the_stamp_changes_the_generation(
    backend: Backend,
) {
    let db = TestDb::open(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let stamp = dir.path().join("users.changed");
    let daemon = db.store.clone().with_users_stamp(stamp.clone());
    let cli = Store::connect(&Secret::new(db.url.clone()), 1)
        .await
        .unwrap()
        .with_users_stamp(stamp.clone());
    let alone = Store::connect(&Secret::new(db.url.clone()), 1)
        .await
        .unwrap();

    let before = daemon.users_generation();
    let alice = cli
        .create_user(&new_user("alice@corp.example", Role::User, &[]))
        .await
        .unwrap();
    let after_create = daemon.users_generation();
    assert_ne!(before, after_create, "another process's write is seen");
    cli.user_by_address("alice@corp.example").await.unwrap();
    assert_eq!(
        daemon.users_generation(),
        after_create,
        "a read changes nothing"
    );
    daemon.set_disabled(alice.id, true).await.unwrap();
    assert_ne!(daemon.users_generation(), after_create, "its own write");
    let settled = daemon.users_generation();
    alone.set_disabled(alice.id, false).await.unwrap();
    assert_eq!(
        daemon.users_generation(),
        settled,
        "a process without the stamp is not seen (another node: within token_cache)"
    );
    cli.close().await;
    alone.close().await;
    db.finish().await;
}

async fn visibility_decides_what_each_caller_finds(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    for kind in ["auth.web_failed", "auth.bruteforce", "authority.x"] {
        s.insert_event(&Event::new(t(5), kind, Severity::Warning, "web", "x"))
            .await
            .unwrap();
    }
    assert_eq!(s.count_events(t(0), "auth.").await.unwrap(), 2);
    assert_eq!(s.count_events(t(6), "auth.").await.unwrap(), 0);
    s.analyze().await.unwrap();
    s.record_messages(&[
        (
            mail("m1", 10, "x@out.example", &["Alice@Corp.Example"], "pass"),
            vec![],
        ),
        (
            mail(
                "m2",
                20,
                "alice@corp.example",
                &["bob@other.example"],
                "tag",
            ),
            vec![],
        ),
        (
            mail(
                "m3",
                30,
                "x@out.example",
                &["bob@corp.example", "carol@other.example"],
                "quarantine",
            ),
            vec![],
        ),
        (
            mail("m4", 40, "", &["carol@other.example"], "reject"),
            vec![],
        ),
    ])
    .await
    .unwrap();
    let alice = Visibility::Address("alice@corp.example".into());
    let corp = Visibility::Domains(vec!["corp.example".into()]);
    let search = |v: &Visibility| MessageQuery::new(v.clone(), 10);
    assert_eq!(
        ids(&s.search_messages(&search(&Visibility::All)).await.unwrap()),
        ["m4", "m3", "m2", "m1"]
    );
    assert_eq!(
        ids(&s.search_messages(&search(&alice)).await.unwrap()),
        ["m2", "m1"],
        "received and sent"
    );
    assert_eq!(
        ids(&s.search_messages(&search(&corp)).await.unwrap()),
        ["m3", "m2", "m1"]
    );
    assert!(
        s.search_messages(&search(&Visibility::Domains(vec![])))
            .await
            .unwrap()
            .is_empty()
    );

    let mut q = search(&Visibility::All);
    q.action = Some("quarantine".into());
    assert_eq!(ids(&s.search_messages(&q).await.unwrap()), ["m3"]);
    let mut q = search(&Visibility::All);
    q.recipient = Some("CAROL@other.example".into());
    assert_eq!(ids(&s.search_messages(&q).await.unwrap()), ["m4", "m3"]);
    let mut q = search(&Visibility::All);
    q.sender = Some("alice@corp.example".into());
    assert_eq!(ids(&s.search_messages(&q).await.unwrap()), ["m2"]);
    let mut q = search(&Visibility::All);
    q.id = Some("Qm1".into());
    assert_eq!(
        ids(&s.search_messages(&q).await.unwrap()),
        ["m1"],
        "by queue id"
    );
    let mut q = search(&Visibility::All);
    (q.since, q.until) = (Some(t(20)), Some(t(40)));
    assert_eq!(ids(&s.search_messages(&q).await.unwrap()), ["m3", "m2"]);
    let mut q = MessageQuery::new(Visibility::All, 2);
    q.after = Some(Cursor {
        time_us: t(30).timestamp_micros(),
        id: "m3".into(),
    });
    assert_eq!(
        ids(&s.search_messages(&q).await.unwrap()),
        ["m2", "m1"],
        "the page after m3"
    );

    assert!(s.message_visible("m3", &alice).await.unwrap().is_none());
    assert_eq!(
        s.message_visible("m3", &corp).await.unwrap().unwrap().id,
        "m3"
    );

    let flow = s.mail_flow(&Visibility::All, t(0)).await.unwrap();
    let total: i64 = flow.iter().map(|p| p.count).sum();
    assert_eq!(total, 5, "one per recipient: {flow:?}");
    assert!(
        flow.iter()
            .any(|p| p.action == "quarantine" && p.count == 2)
    );
    let corp_flow = s.mail_flow(&corp, t(0)).await.unwrap();
    assert_eq!(
        corp_flow.iter().map(|p| p.count).sum::<i64>(),
        2,
        "alice's pass, bob's quarantine"
    );
    assert_eq!(
        corp_flow[0].hour,
        Utc.timestamp_opt(hour_of(t(10)) * 3600, 0).unwrap()
    );

    s.insert_quarantine(&held("h1", 10, &["alice@corp.example"]))
        .await
        .unwrap();
    s.insert_quarantine(&held(
        "h2",
        20,
        &["Bob@Corp.Example", "carol@other.example"],
    ))
    .await
    .unwrap();
    let listing = |v: &Visibility| QuarantineQuery {
        visibility: v.clone(),
        include_released: false,
        since: None,
        after: None,
        limit: 10,
    };
    let names =
        |entries: Vec<QuarantineRecord>| entries.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        names(s.quarantine_visible(&listing(&alice)).await.unwrap()),
        ["h1"]
    );
    assert_eq!(
        names(s.quarantine_visible(&listing(&corp)).await.unwrap()),
        ["h2", "h1"]
    );
    assert_eq!(
        names(
            s.quarantine_visible(&listing(&Visibility::Address("carol@other.example".into())))
                .await
                .unwrap()
        ),
        ["h2"]
    );
    assert!(
        s.quarantine_entry_visible("h2", &alice)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.quarantine_entry_visible("h2", &corp)
            .await
            .unwrap()
            .is_some()
    );
    db.finish().await;
}

async fn releasing_recipients_one_by_one(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    s.insert_quarantine(&held("h", 10, &["a@x.example", "b@x.example"]))
        .await
        .unwrap();
    assert_eq!(
        s.quarantine_unreleased("h").await.unwrap(),
        ["a@x.example", "b@x.example"]
    );
    assert!(
        !s.mark_recipients_released("h", &["A@x.example".into()], "a@x.example", t(20))
            .await
            .unwrap()
    );
    assert_eq!(s.quarantine_unreleased("h").await.unwrap(), ["b@x.example"]);
    assert!(
        s.quarantine_entry("h")
            .await
            .unwrap()
            .unwrap()
            .released
            .is_none(),
        "b's copy is still held"
    );
    let a = Visibility::Address("a@x.example".into());
    let q = |v: &Visibility, include_released| QuarantineQuery {
        visibility: v.clone(),
        include_released,
        since: None,
        after: None,
        limit: 10,
    };
    assert!(
        s.quarantine_visible(&q(&a, false))
            .await
            .unwrap()
            .is_empty(),
        "released for a"
    );
    assert_eq!(s.quarantine_visible(&q(&a, true)).await.unwrap().len(), 1);
    assert_eq!(
        s.quarantine_visible(&q(&Visibility::All, false))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.mark_recipients_released("h", &["b@x.example".into()], "admin", t(30))
            .await
            .unwrap()
    );
    let entry = s.quarantine_entry("h").await.unwrap().unwrap();
    assert_eq!(
        (entry.released, entry.released_by.as_deref()),
        (Some(t(30)), Some("admin"))
    );
    assert!(
        s.quarantine_visible(&q(&Visibility::All, false))
            .await
            .unwrap()
            .is_empty()
    );
    db.finish().await;
}

async fn owned_list_entries_stay_out_of_the_global_list(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    let entry = |list: &str, value: &str| ListEntry {
        list: list.into(),
        field: "sender".into(),
        value: value.into(),
    };
    let global = s
        .add_owned_list_entry(&entry("block", "@spam.example"), None, Some("all of it"))
        .await
        .unwrap();
    let mine = s
        .add_owned_list_entry(
            &entry("allow", "friend@x.example"),
            Some("Alice@Corp.Example"),
            None,
        )
        .await
        .unwrap();
    let domain = s
        .add_owned_list_entry(
            &entry("allow", "@partner.example"),
            Some("@corp.example"),
            None,
        )
        .await
        .unwrap();
    assert!(global != mine && mine != domain);
    assert_eq!(
        s.list_entries().await.unwrap(),
        [entry("block", "@spam.example")],
        "the filter's global list"
    );
    let alices = s
        .owned_list_entries(&[Some("alice@corp.example".into())])
        .await
        .unwrap();
    assert_eq!(alices.len(), 1);
    assert_eq!(
        (alices[0].id, alices[0].owner.as_deref()),
        (mine, Some("alice@corp.example"))
    );
    let all = s
        .owned_list_entries(&[None, Some("@corp.example".into())])
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        [global, domain]
    );
    assert_eq!(
        s.owned_list_entry(global)
            .await
            .unwrap()
            .unwrap()
            .comment
            .as_deref(),
        Some("all of it")
    );
    assert!(s.delete_list_entry(mine).await.unwrap());
    assert!(!s.delete_list_entry(mine).await.unwrap());
    db.finish().await;
}

/// Migration 6 indexes the messages and quarantine entries stored before it, so existing
/// mail is visible to its recipients at once.
async fn migration_6_indexes_mail_already_stored(backend: Backend) {
    let db = TestDb::open_at(backend, 5).await;
    let mut side = db.side_connection().await;
    for sql in [
        "INSERT INTO messages (id, time_us, mail_from, recipients, subject, size, score, findings, verdicts, reply, duration_us) \
         VALUES ('old1', 1700000000000000, 'Boss@Corp.Example', '[\"alice@corp.example\",\"bob@other.example\"]', 's', 1, 0, '[]', \
         '{\"alice@corp.example\":{\"action\":\"quarantine\"},\"bob@other.example\":{\"action\":\"pass\"}}', '250', 1)",
        "INSERT INTO quarantine (id, time_us, digest, mail_from, recipients, size, reason) \
         VALUES ('old1', 1700000000000000, 'ab', 'boss@corp.example', '[\"alice@corp.example\"]', 1, 'spam')",
    ] {
        side.execute(AssertSqlSafe(sql)).await.unwrap();
    }
    db.store.migrate().await.unwrap();
    let alice = Visibility::Address("alice@corp.example".into());
    assert_eq!(
        db.store
            .message_visible("old1", &alice)
            .await
            .unwrap()
            .unwrap()
            .id,
        "old1"
    );
    let sender = Visibility::Address("boss@corp.example".into());
    assert!(
        db.store
            .message_visible("old1", &sender)
            .await
            .unwrap()
            .is_some(),
        "the sender, lower-cased"
    );
    let mut q = MessageQuery::new(Visibility::All, 10);
    q.action = Some("quarantine".into());
    assert_eq!(
        db.store.search_messages(&q).await.unwrap().len(),
        1,
        "verdicts carried over"
    );
    assert!(
        db.store
            .quarantine_entry_visible("old1", &alice)
            .await
            .unwrap()
            .is_some()
    );
    let flow = db.store.mail_flow(&Visibility::All, t(-10)).await.unwrap();
    assert_eq!(
        flow.iter().map(|p| p.count).sum::<i64>(),
        2,
        "the chart counts old mail: {flow:?}"
    );
    let corp = db
        .store
        .mail_flow(&Visibility::Domains(vec!["corp.example".into()]), t(-10))
        .await
        .unwrap();
    assert_eq!((corp.len(), corp[0].action.as_str()), (1, "quarantine"));
    assert_eq!(
        db.store.quarantine_unreleased("old1").await.unwrap(),
        ["alice@corp.example"]
    );
    db.finish().await;
}

async fn routes_and_request_status_round_trip(backend: Backend) {
    use postwarden_core::{OnTimeout, RequestState};
    use postwarden_store::{NewRoute, RequestEnd, RequestRecord};
    let db = TestDb::open(backend).await;
    let s = &db.store;
    let alice = s
        .create_user(&new_user("alice@corp.example", Role::User, &[]))
        .await
        .unwrap();
    let bob = s
        .create_user(&new_user("bob@corp.example", Role::User, &[]))
        .await
        .unwrap();
    let addresses = vec![
        "alice@corp.example".to_string(),
        "Sales@Corp.Example".to_string(),
    ];
    let route = s
        .create_route(&NewRoute {
            user_id: alice.id,
            queue: "postwarden.user.1",
            broker_user: "postwarden-worker-1-ab",
            timeout: std::time::Duration::from_millis(2500),
            on_timeout: OnTimeout::Quarantine,
            addresses: &addresses,
        })
        .await
        .unwrap();
    assert_eq!(route.user_address, "alice@corp.example");
    assert_eq!(
        route.addresses,
        ["alice@corp.example", "sales@corp.example"]
    );
    assert_eq!(route.timeout, std::time::Duration::from_millis(2500));
    assert_eq!(route.on_timeout, OnTimeout::Quarantine);
    let again = s
        .create_route(&NewRoute {
            user_id: bob.id,
            queue: "postwarden.user.2",
            broker_user: "postwarden-worker-2-cd",
            timeout: std::time::Duration::from_secs(1),
            on_timeout: OnTimeout::Tempfail,
            addresses: &["sales@corp.example".to_string()],
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::Exists(_))),
        "an address goes to one route: {again:?}"
    );
    assert!(
        s.route_of_user(bob.id).await.unwrap().is_none(),
        "and the failed route left nothing behind"
    );
    let active = s.active_routes().await.unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].addresses.len(), 2);
    s.set_disabled(alice.id, true).await.unwrap();
    assert!(
        s.active_routes().await.unwrap().is_empty(),
        "a disabled user's route is not active"
    );
    s.set_disabled(alice.id, false).await.unwrap();

    let sent = t(0);
    let mut request = RequestRecord {
        request_id: "req1".into(),
        message_id: "msg1".into(),
        route_id: route.id,
        user_address: route.user_address.clone(),
        recipients: vec!["alice@corp.example".into()],
        node: "node-a".into(),
        state: RequestState::Sent,
        action: None,
        tags: Vec::new(),
        findings: None,
        detail: None,
        sent,
        answered: None,
        deadline: t(30),
    };
    s.record_request(&request).await.unwrap();
    let tags = vec!["news".to_string()];
    let findings = serde_json::json!([{"processor": "mine", "score": 1.5}]);
    let end = RequestEnd {
        state: RequestState::Answered,
        action: Some("tag"),
        tags: &tags,
        findings: Some(&findings),
        detail: Some("a newsletter"),
        answered: t(0) + chrono::Duration::milliseconds(7),
        deadline: None,
    };
    assert!(s.finish_request("req1", &end).await.unwrap());
    assert!(
        !s.finish_request("req1", &end).await.unwrap(),
        "a request ends once: a late reply changes nothing"
    );
    request.request_id = "req2".into();
    request.sent = t(1);
    s.record_request(&request).await.unwrap();
    let timed_out = RequestEnd {
        state: RequestState::TimedOut,
        action: Some("quarantine"),
        tags: &[],
        findings: None,
        detail: Some("no reply within the route's timeout"),
        answered: t(31),
        deadline: None,
    };
    assert!(s.finish_request("req2", &timed_out).await.unwrap());
    let status = s.requests_of("msg1").await.unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(status[0].state, RequestState::Answered);
    assert_eq!(status[0].tags, ["news"]);
    assert_eq!(status[0].findings.as_ref(), Some(&findings));
    assert_eq!(
        status[0].latency(),
        Some(std::time::Duration::from_millis(7))
    );
    assert_eq!(status[1].state, RequestState::TimedOut);
    let stats = s.route_stats(route.id, t(-1)).await.unwrap();
    assert_eq!((stats.requests, stats.answered, stats.timed_out), (2, 1, 1));
    assert_eq!(stats.latency_p50_ms, Some(7.0));

    request.request_id = "req3".into();
    request.sent = t(2);
    s.record_request(&request).await.unwrap();
    let held = RequestEnd {
        state: RequestState::Held,
        action: Some("delay"),
        tags: &[],
        findings: None,
        detail: None,
        answered: t(3),
        deadline: Some(t(3600)),
    };
    assert!(s.finish_request("req3", &held).await.unwrap());
    let waiting = s.held_requests().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0].deadline,
        t(3600),
        "a held copy waits until its own deadline"
    );
    let decided = RequestEnd {
        state: RequestState::Decided,
        action: Some("pass"),
        deadline: None,
        ..held
    };
    assert!(s.finish_request("req3", &decided).await.unwrap());
    assert!(
        !s.finish_request("req3", &decided).await.unwrap(),
        "decided once, by whichever node comes first"
    );
    assert!(s.held_requests().await.unwrap().is_empty());
    assert_eq!(
        s.route_by_id(route.id).await.unwrap().unwrap().queue,
        "postwarden.user.1"
    );

    let removed = s.remove_route(alice.id).await.unwrap().unwrap();
    assert_eq!(removed.queue, "postwarden.user.1");
    assert!(s.route_of_user(alice.id).await.unwrap().is_none());
    assert!(s.remove_route(alice.id).await.unwrap().is_none());
    db.finish().await;
}

async fn the_users_stamp_moves_with_every_change(backend: Backend) {
    let db = TestDb::open(backend).await;
    let s = &db.store;
    let empty = s.users_stamp().await.unwrap();
    assert_eq!(empty, (0, 0));
    let alice = s
        .create_user(&new_user("alice@corp.example", Role::User, &[]))
        .await
        .unwrap();
    let one = s.users_stamp().await.unwrap();
    assert_ne!(one, empty);
    let settings = postwarden_core::UserSettings {
        block_senders: vec!["@pushy.example".into()],
        ..Default::default()
    };
    // Two writes within one microsecond would leave the sum alone; wait one out.
    let before = std::time::Instant::now();
    while before.elapsed() < std::time::Duration::from_micros(2) {}
    s.set_user_settings(alice.id, &settings).await.unwrap();
    let two = s.users_stamp().await.unwrap();
    assert_ne!(two, one, "a settings change moves the stamp");
    assert_eq!(
        s.all_settings().await.unwrap()["alice@corp.example"].block_senders,
        ["@pushy.example"]
    );
    s.set_disabled(alice.id, true).await.unwrap();
    assert!(
        s.all_settings().await.unwrap().is_empty(),
        "disabled users have none"
    );
    assert_ne!(s.users_stamp().await.unwrap(), two);
    s.delete_user("alice@corp.example").await.unwrap();
    assert_eq!(s.users_stamp().await.unwrap(), (0, 0));
    db.finish().await;
}

/// The phishing processor's history: who has written to whom (either way), and the
/// domains mail comes from, most frequent first.
async fn correspondence_history_in_both_directions(backend: Backend) {
    let db = TestDb::open(backend).await;
    let now = Utc::now();
    let mail = |id: &str, from: &str, to: &str| {
        let mut record = message_record(id);
        record.time = now;
        record.mail_from = from.into();
        record.recipients = vec![to.into()];
        (record, Vec::new())
    };
    db.store
        .record_messages(&[
            mail("h1", "Partner@Acme.example", "alice@example.org"),
            mail("h2", "bob@example.org", "someone@northwind.example"),
            mail("h3", "news@acme.example", "carla@example.org"),
        ])
        .await
        .unwrap();
    let store = &db.store;
    assert!(
        store
            .have_corresponded("partner@acme.example", "ALICE@example.org")
            .await
            .unwrap()
    );
    assert!(
        store
            .have_corresponded("someone@northwind.example", "bob@example.org")
            .await
            .unwrap(),
        "bob wrote to them first: a reply is not a first contact"
    );
    assert!(
        !store
            .have_corresponded("partner@acme.example", "bob@example.org")
            .await
            .unwrap()
    );
    assert!(
        !store
            .have_corresponded("stranger@evil.example", "alice@example.org")
            .await
            .unwrap()
    );
    let domains = store.correspondent_domains(10).await.unwrap();
    assert_eq!(domains, vec!["acme.example", "example.org"]);
    db.finish().await;
}
