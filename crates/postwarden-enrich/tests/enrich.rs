//! Integration tests of the enrichment crate: geo databases from the fixtures in
//! `testdata/geo`, `geo update` against local files and an in-test HTTP server, and
//! reverse DNS against a resolver the tests control (paused tokio clock, no network).

use postwarden_core::config::RdnsConfig;
use postwarden_enrich::{
    GeoDb, GeoError, GeoInfo, IpScope, LookupFailure, LookupFuture, Rdns, RdnsStatus, Resolve,
    ReverseDns, SourceFormat, update,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/geo")
        .join(name)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn fixtures(names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(|n| fixture(n)).collect()
}

// ---------------------------------------------------------------- geo: CSV and cache

fn check_fixture_answers(db: &GeoDb) {
    let google = GeoInfo {
        country: Some("US"),
        asn: Some(15169),
        as_org: Some("Google LLC"),
    };
    assert_eq!(db.lookup(ip("8.8.8.8")), google);
    assert_eq!(db.lookup(ip("::ffff:8.8.8.8")), google);
    assert_eq!(db.lookup(ip("2001:4860:4860::8888")), google);
    assert_eq!(
        db.lookup(ip("1.1.1.1")),
        GeoInfo {
            country: Some("AU"),
            asn: Some(13335),
            as_org: Some("Cloudflare, Inc.")
        }
    );
    assert_eq!(db.lookup(ip("2.26.201.1")).as_org, Some("LLC \"SPUTNIK\""));
    assert_eq!(db.lookup(ip("2a00:1450:4001::1")).country, Some("IE"));
    assert_eq!(
        db.lookup(ip("2001:4860:4805::1")).as_org,
        Some("Google Ireland Limited")
    );
    assert_eq!(db.lookup(ip("2606:4700:1::1")).asn, Some(13335));
    // In a country range but no ASN range; and in neither.
    assert_eq!(
        db.lookup(ip("2.27.0.1")),
        GeoInfo {
            country: Some("US"),
            asn: None,
            as_org: None
        }
    );
    assert_eq!(db.lookup(ip("10.0.0.1")), GeoInfo::default());
    assert_eq!(db.lookup(ip("2001:db8::1")), GeoInfo::default());
}

#[test]
fn dotted_csv_fixtures() {
    let cache = tempfile::tempdir().unwrap();
    let db = GeoDb::open(
        &fixtures(&["asn-country-ipv4.csv", "asn-country-ipv6.csv"]),
        &fixtures(&["asn-ipv4.csv", "asn-ipv6.csv"]),
        cache.path(),
    )
    .unwrap();
    check_fixture_answers(&db);
}

#[test]
fn numeric_csv_fixtures_give_the_same_answers() {
    let cache = tempfile::tempdir().unwrap();
    let db = GeoDb::open(
        &fixtures(&["asn-country-ipv4-num.csv", "asn-country-ipv6-num.csv"]),
        &fixtures(&["asn-ipv4-num.csv", "asn-ipv6-num.csv"]),
        cache.path(),
    )
    .unwrap();
    check_fixture_answers(&db);
}

#[test]
fn cache_is_reused_and_rebuilt_when_the_source_changes() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let asn = work.path().join("asn-ipv4.csv");
    std::fs::copy(fixture("asn-ipv4.csv"), &asn).unwrap();
    let formats = |db: &GeoDb| db.sources().map(|s| s.format).collect::<Vec<_>>();

    let first = GeoDb::open(&[], std::slice::from_ref(&asn), &cache).unwrap();
    assert_eq!(formats(&first), [SourceFormat::CsvParsed]);
    let second = GeoDb::open(&[], std::slice::from_ref(&asn), &cache).unwrap();
    assert_eq!(formats(&second), [SourceFormat::CsvCached]);
    assert_eq!(second.lookup(ip("9.9.9.9")).as_org, Some("Quad9"));
    assert_eq!(second.sources().next().unwrap().ranges, Some(6));
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        1,
        "one cache file, no temp files left"
    );

    // A changed source (size and mtime) is parsed again, and the new row is found.
    let mut text = std::fs::read_to_string(&asn).unwrap();
    text.push_str("5.5.5.0,5.5.5.255,64500,Example Net\n");
    std::fs::write(&asn, text).unwrap();
    let third = GeoDb::open(&[], std::slice::from_ref(&asn), &cache).unwrap();
    assert_eq!(formats(&third), [SourceFormat::CsvParsed]);
    assert_eq!(third.lookup(ip("5.5.5.5")).asn, Some(64500));
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        1,
        "the cache file is replaced, not added to"
    );

    // A damaged cache file is ignored and rewritten.
    let cache_file = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&cache_file).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&cache_file, bytes).unwrap();
    let fourth = GeoDb::open(&[], std::slice::from_ref(&asn), &cache).unwrap();
    assert_eq!(formats(&fourth), [SourceFormat::CsvParsed]);
    assert_eq!(fourth.lookup(ip("5.5.5.5")).asn, Some(64500));
    let fifth = GeoDb::open(&[], std::slice::from_ref(&asn), &cache).unwrap();
    assert_eq!(formats(&fifth), [SourceFormat::CsvCached]);
}

#[test]
fn unwritable_cache_is_only_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let not_a_dir = work.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let db = GeoDb::open(
        &fixtures(&["asn-country-ipv4.csv"]),
        &[],
        &not_a_dir.join("cache"),
    )
    .unwrap();
    assert_eq!(db.lookup(ip("8.8.8.8")).country, Some("US"));
}

#[test]
fn bad_rows_name_the_file_and_line() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("asn-ipv4.csv");
    std::fs::write(
        &bad,
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\n8.8.8.0,8.8.8.255,notanumber,Google LLC\n",
    )
    .unwrap();
    let err = GeoDb::open(&[], std::slice::from_ref(&bad), work.path()).unwrap_err();
    assert!(matches!(err, GeoError::Csv { line: 3, .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}:3", bad.display())) && text.contains("notanumber"),
        "{text}"
    );

    let missing = work.path().join("nope.csv");
    let err = GeoDb::open(std::slice::from_ref(&missing), &[], work.path()).unwrap_err();
    assert!(
        matches!(err, GeoError::Io { .. }) && err.to_string().contains("nope.csv"),
        "{err}"
    );
}

#[test]
fn empty_db_knows_nothing() {
    let db = GeoDb::empty();
    assert!(db.is_empty());
    assert_eq!(db.lookup(ip("8.8.8.8")), GeoInfo::default());
}

// ---------------------------------------------------------------- geo: MaxMind files

#[test]
fn maxmind_country_and_asn_files() {
    let cache = tempfile::tempdir().unwrap();
    let db = GeoDb::open(
        &fixtures(&["GeoLite2-Country-Test.mmdb"]),
        &fixtures(&["GeoLite2-ASN-Test.mmdb"]),
        cache.path(),
    )
    .unwrap();
    assert_eq!(db.lookup(ip("81.2.69.142")).country, Some("GB"));
    assert_eq!(db.lookup(ip("2001:218::1")).country, Some("JP"));
    assert_eq!(db.lookup(ip("::ffff:81.2.69.142")).country, Some("GB"));
    assert_eq!(
        db.lookup(ip("1.0.0.1")),
        GeoInfo {
            country: None,
            asn: Some(15169),
            as_org: Some("Google Inc.")
        }
    );
    // An ASN without an organisation in the file.
    assert_eq!(
        db.lookup(ip("12.81.96.1")),
        GeoInfo {
            country: None,
            asn: Some(7018),
            as_org: None
        }
    );
    assert_eq!(db.lookup(ip("10.0.0.1")), GeoInfo::default());
    assert!(
        db.sources()
            .all(|s| s.format == SourceFormat::Mmdb && s.ranges.is_none())
    );
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "mmdb files are not cached"
    );
}

#[test]
fn sources_are_tried_in_order() {
    let cache = tempfile::tempdir().unwrap();
    // CSV first: 1.0.0.1 is Cloudflare there, Google in the MaxMind test file.
    let db = GeoDb::open(
        &[],
        &fixtures(&["asn-ipv4.csv", "GeoLite2-ASN-Test.mmdb"]),
        cache.path(),
    )
    .unwrap();
    assert_eq!(db.lookup(ip("1.0.0.1")).asn, Some(13335));
    // Not in the CSV: falls through to the mmdb.
    assert_eq!(db.lookup(ip("12.81.96.1")).asn, Some(7018));
    let db = GeoDb::open(
        &[],
        &fixtures(&["GeoLite2-ASN-Test.mmdb", "asn-ipv4.csv"]),
        cache.path(),
    )
    .unwrap();
    assert_eq!(db.lookup(ip("1.0.0.1")).as_org, Some("Google Inc."));
}

#[test]
fn a_broken_mmdb_is_an_error_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("broken.mmdb");
    std::fs::write(&bad, b"not a maxmind database").unwrap();
    let err = GeoDb::open(std::slice::from_ref(&bad), &[], work.path()).unwrap_err();
    assert!(
        matches!(err, GeoError::Mmdb { .. }) && err.to_string().contains("broken.mmdb"),
        "{err}"
    );
}

// ---------------------------------------------------------------- geo update

/// Serves `response` (raw HTTP) to every connection; with `stall`, sends it and then keeps
/// the connection open without closing it.
async fn serve(response: Vec<u8>, stall: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&response).await;
                if stall {
                    std::future::pending::<()>().await;
                }
            });
        }
    });
    addr
}

fn http_ok(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn old_file(dir: &Path, name: &str) -> PathBuf {
    let dest = dir.join(name);
    std::fs::write(&dest, "1.0.0.0,1.0.0.255,AU\n").unwrap();
    dest
}

fn only_file_is(dir: &Path, dest: &Path) {
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        names,
        [dest.to_path_buf()],
        "temporary files must be removed"
    );
}

#[tokio::test]
async fn update_copies_a_local_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = old_file(dir.path(), "asn-ipv4.csv");
    let mut calls = Vec::new();
    let source = fixture("asn-ipv4.csv").display().to_string();
    update(
        &[(source, dest.clone())],
        Duration::from_secs(10),
        |done, total| calls.push((done, total)),
    )
    .await
    .unwrap();
    let want = std::fs::read(fixture("asn-ipv4.csv")).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), want);
    assert_eq!(
        calls.last(),
        Some(&(want.len() as u64, Some(want.len() as u64)))
    );
    only_file_is(dir.path(), &dest);
}

#[tokio::test]
async fn update_downloads_over_http() {
    let body = std::fs::read(fixture("asn-country-ipv6-num.csv")).unwrap();
    let addr = serve(http_ok(&body), false).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = old_file(dir.path(), "asn-country-ipv6-num.csv");
    let mut last = (0, None);
    update(
        &[(format!("http://{addr}/c.csv"), dest.clone())],
        Duration::from_secs(10),
        |d, t| last = (d, t),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(last, (body.len() as u64, Some(body.len() as u64)));
    only_file_is(dir.path(), &dest);
    // And the result opens.
    let db = GeoDb::open(&[dest], &[], &dir.path().join("cache")).unwrap();
    assert_eq!(db.lookup(ip("2001:4860::1")).country, Some("US"));
}

#[tokio::test]
async fn update_downloads_an_mmdb_and_verifies_it() {
    let body = std::fs::read(fixture("GeoLite2-ASN-Test.mmdb")).unwrap();
    let addr = serve(http_ok(&body), false).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("asn.mmdb");
    update(
        &[(format!("http://{addr}/asn.mmdb"), dest.clone())],
        Duration::from_secs(10),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
}

#[tokio::test]
async fn stalled_download_times_out_and_keeps_the_old_file() {
    let body = std::fs::read(fixture("asn-ipv4.csv")).unwrap();
    let mut response = http_ok(&body);
    response.truncate(response.len() - 20); // promise more than is sent, then stall
    let addr = serve(response, true).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = old_file(dir.path(), "asn-ipv4.csv");
    let before = std::fs::read(&dest).unwrap();
    let err = update(
        &[(format!("http://{addr}/a.csv"), dest.clone())],
        Duration::from_millis(300),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GeoError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), before);
    only_file_is(dir.path(), &dest);
}

#[tokio::test]
async fn corrupt_download_is_rejected_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = old_file(dir.path(), "asn-ipv4.csv");
    let before = std::fs::read(&dest).unwrap();
    for body in [
        &b"<html>\n<body>Service unavailable</body>\n"[..],
        b"1.0.0.0,1.0.0.255,13335,Ok\n1.0.1.0,oops\n",
        b"",
    ] {
        let addr = serve(http_ok(body), false).await;
        let err = update(
            &[(format!("http://{addr}/a.csv"), dest.clone())],
            Duration::from_secs(10),
            |_, _| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(err, GeoError::Invalid { .. }), "{err:?}");
        assert_eq!(std::fs::read(&dest).unwrap(), before);
        only_file_is(dir.path(), &dest);
    }
    // CSV content where an .mmdb is expected.
    let mmdb_dest = dir.path().join("country.mmdb");
    let err = update(
        &[(
            fixture("asn-ipv4.csv").display().to_string(),
            mmdb_dest.clone(),
        )],
        Duration::from_secs(10),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GeoError::Invalid { .. }), "{err:?}");
    assert!(!mmdb_dest.exists());
}

#[tokio::test]
async fn http_errors_and_missing_files_fail_without_touching_anything() {
    let addr = serve(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
        false,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = old_file(dir.path(), "asn-ipv4.csv");
    let err = update(
        &[(format!("http://{addr}/gone.csv"), dest.clone())],
        Duration::from_secs(10),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, GeoError::Fetch { .. }) && err.to_string().contains("404"),
        "{err}"
    );
    let err = update(
        &[("/nonexistent/asn.csv".into(), dest.clone())],
        Duration::from_secs(10),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GeoError::Fetch { .. }), "{err:?}");
    only_file_is(dir.path(), &dest);
}

#[tokio::test]
async fn one_bad_source_replaces_none() {
    let dir = tempfile::tempdir().unwrap();
    let good = old_file(dir.path(), "asn-country-ipv4.csv");
    let bad = old_file(dir.path(), "asn-ipv4.csv");
    let before = std::fs::read(&good).unwrap();
    let sources = [
        (
            fixture("asn-country-ipv4.csv").display().to_string(),
            good.clone(),
        ),
        ("/nonexistent/asn-ipv4.csv".to_string(), bad.clone()),
    ];
    update(&sources, Duration::from_secs(10), |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(std::fs::read(&good).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

// ---------------------------------------------------------------- reverse DNS

/// A resolver with canned answers, call counters, a delay and an in-flight gauge.
#[derive(Default)]
struct FakeDns {
    ptr: HashMap<IpAddr, Result<Vec<String>, LookupFailure>>,
    forward: HashMap<String, Result<Vec<IpAddr>, LookupFailure>>,
    delay: Duration,
    forward_delay: Duration,
    ptr_calls: AtomicUsize,
    forward_calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FakeDns {
    fn with_ptr(mut self, addr: &str, names: &[&str]) -> Self {
        self.ptr
            .insert(ip(addr), Ok(names.iter().map(|n| n.to_string()).collect()));
        self
    }
    fn with_forward(mut self, name: &str, addrs: &[&str]) -> Self {
        self.forward
            .insert(name.into(), Ok(addrs.iter().map(|a| ip(a)).collect()));
        self
    }
    fn ptrs(&self) -> usize {
        self.ptr_calls.load(Ordering::SeqCst)
    }
}

impl Resolve for FakeDns {
    fn ptr(&self, addr: IpAddr) -> LookupFuture<'_, Vec<String>> {
        Box::pin(async move {
            self.ptr_calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.ptr
                .get(&addr)
                .cloned()
                .unwrap_or(Err(LookupFailure::NotFound))
        })
    }

    fn forward<'a>(&'a self, name: &'a str) -> LookupFuture<'a, Vec<IpAddr>> {
        Box::pin(async move {
            self.forward_calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.forward_delay).await;
            self.forward
                .get(name)
                .cloned()
                .unwrap_or(Err(LookupFailure::NotFound))
        })
    }
}

fn config() -> RdnsConfig {
    RdnsConfig {
        timeout: Duration::from_secs(2),
        concurrency: 4,
        cache_size: 100,
        cache_ttl: Duration::from_secs(60),
        ..RdnsConfig::default()
    }
}

fn rdns(fake: &Arc<FakeDns>, config: &RdnsConfig) -> ReverseDns {
    ReverseDns::new(Arc::clone(fake) as Arc<dyn Resolve>, config)
}

fn answer(name: Option<&str>, status: RdnsStatus) -> Rdns {
    Rdns {
        name: name.map(str::to_owned),
        status,
    }
}

#[tokio::test(start_paused = true)]
async fn forward_confirmation() {
    let fake = Arc::new(
        FakeDns::default()
            .with_ptr("8.8.8.8", &["dns.google"])
            .with_forward("dns.google", &["8.8.4.4", "8.8.8.8"])
            .with_ptr("1.2.3.4", &["liar.example"])
            .with_forward("liar.example", &["5.6.7.8"])
            .with_ptr("1.2.3.5", &["gone.example"])
            .with_ptr("1.2.3.6", &["a.example", "b.example"])
            .with_forward("b.example", &["1.2.3.6"])
            .with_ptr("2001:4860:4860::8888", &["dns.google"]),
    );
    let r = rdns(&fake, &config());
    assert_eq!(
        r.lookup(ip("8.8.8.8")).await,
        answer(Some("dns.google"), RdnsStatus::Confirmed)
    );
    assert_eq!(
        r.lookup(ip("1.2.3.4")).await,
        answer(Some("liar.example"), RdnsStatus::Unconfirmed)
    );
    assert_eq!(
        r.lookup(ip("1.2.3.5")).await,
        answer(Some("gone.example"), RdnsStatus::Unconfirmed)
    );
    assert_eq!(
        r.lookup(ip("1.2.3.6")).await,
        answer(Some("b.example"), RdnsStatus::Confirmed)
    );
    // The name resolves, but not to this IPv6 address.
    assert_eq!(
        r.lookup(ip("2001:4860:4860::8888")).await.status,
        RdnsStatus::Unconfirmed
    );
    assert_eq!(
        r.lookup(ip("9.9.9.9")).await,
        answer(None, RdnsStatus::NoPtr)
    );
    assert_eq!(RdnsStatus::NoPtr.as_str(), "no_ptr");
}

#[tokio::test(start_paused = true)]
async fn repeated_lookups_hit_the_cache_failures_too() {
    let mut fake = FakeDns::default()
        .with_ptr("8.8.8.8", &["dns.google"])
        .with_forward("dns.google", &["8.8.8.8"]);
    fake.ptr
        .insert(ip("7.7.7.7"), Err(LookupFailure::Other("SERVFAIL".into())));
    let fake = Arc::new(fake);
    let r = rdns(&fake, &config());
    for _ in 0..5 {
        assert_eq!(r.lookup(ip("8.8.8.8")).await.status, RdnsStatus::Confirmed);
        assert_eq!(
            r.lookup(ip("::ffff:8.8.8.8")).await.status,
            RdnsStatus::Confirmed
        );
        assert_eq!(r.lookup(ip("9.9.9.9")).await.status, RdnsStatus::NoPtr);
        assert_eq!(r.lookup(ip("7.7.7.7")).await.status, RdnsStatus::Failed);
    }
    assert_eq!(fake.ptrs(), 3);
    assert_eq!(fake.forward_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn entries_expire_after_the_ttl() {
    let fake = Arc::new(FakeDns::default());
    let r = rdns(&fake, &config());
    r.lookup(ip("9.9.9.9")).await;
    tokio::time::advance(Duration::from_secs(59)).await;
    r.lookup(ip("9.9.9.9")).await;
    assert_eq!(fake.ptrs(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    r.lookup(ip("9.9.9.9")).await;
    assert_eq!(fake.ptrs(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_lru_evicts_beyond_cache_size() {
    let fake = Arc::new(FakeDns::default());
    let r = rdns(
        &fake,
        &RdnsConfig {
            cache_size: 2,
            ..config()
        },
    );
    for a in ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.1"] {
        r.lookup(ip(a)).await;
    }
    assert_eq!(fake.ptrs(), 4, "1.1.1.1 was evicted by the third address");
}

#[tokio::test(start_paused = true)]
async fn slow_answers_time_out_and_the_timeout_is_cached() {
    let fake = Arc::new(
        FakeDns {
            delay: Duration::from_secs(30),
            ..FakeDns::default()
        }
        .with_ptr("8.8.8.8", &["x"]),
    );
    let r = rdns(&fake, &config());
    let started = tokio::time::Instant::now();
    assert_eq!(
        r.lookup(ip("8.8.8.8")).await,
        answer(None, RdnsStatus::Timeout)
    );
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(r.lookup(ip("8.8.8.8")).await.status, RdnsStatus::Timeout);
    assert_eq!(fake.ptrs(), 1);

    // PTR in time, forward confirmation too slow: the name is kept.
    let fake = Arc::new(
        FakeDns {
            forward_delay: Duration::from_secs(30),
            ..FakeDns::default()
        }
        .with_ptr("8.8.8.8", &["dns.google"])
        .with_forward("dns.google", &["8.8.8.8"]),
    );
    let r = rdns(&fake, &config());
    assert_eq!(
        r.lookup(ip("8.8.8.8")).await,
        answer(Some("dns.google"), RdnsStatus::Timeout)
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let fake = Arc::new(FakeDns {
        delay: Duration::from_millis(500),
        ..FakeDns::default()
    });
    let r = rdns(
        &fake,
        &RdnsConfig {
            concurrency: 3,
            ..config()
        },
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20u8 {
        let r = r.clone();
        tasks.spawn(async move { r.lookup(IpAddr::from([8, 8, 8, i])).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(
            done.unwrap().status,
            RdnsStatus::NoPtr,
            "waiting for a permit is not a timeout here"
        );
    }
    assert_eq!(fake.ptrs(), 20);
    assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_lookups_of_one_address_share_a_query() {
    let fake = Arc::new(
        FakeDns {
            delay: Duration::from_millis(500),
            ..FakeDns::default()
        }
        .with_ptr("8.8.8.8", &["dns.google"])
        .with_forward("dns.google", &["8.8.8.8"]),
    );
    let r = rdns(&fake, &config());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let r = r.clone();
        tasks.spawn(async move { r.lookup(ip("8.8.8.8")).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().status, RdnsStatus::Confirmed);
    }
    assert_eq!(fake.ptrs(), 1);
}

#[tokio::test(start_paused = true)]
async fn non_public_and_disabled_never_query() {
    let fake = Arc::new(FakeDns::default());
    let r = rdns(&fake, &config());
    for (a, scope) in [
        ("10.0.0.1", IpScope::Private),
        ("127.0.0.1", IpScope::Loopback),
        ("::ffff:192.168.1.1", IpScope::Private),
        ("192.0.2.1", IpScope::Documentation),
        ("100.64.1.1", IpScope::Cgnat),
        ("fe80::1", IpScope::LinkLocal),
    ] {
        let got = r.lookup(ip(a)).await;
        assert_eq!(got, answer(None, RdnsStatus::NotPublic(scope)), "{a}");
        assert_eq!(got.status.as_str(), "not_public");
    }
    let off = rdns(
        &fake,
        &RdnsConfig {
            enabled: false,
            ..config()
        },
    );
    assert!(!off.enabled());
    assert_eq!(
        off.lookup(ip("8.8.8.8")).await,
        answer(None, RdnsStatus::Disabled)
    );
    assert_eq!(
        ReverseDns::disabled().lookup(ip("8.8.8.8")).await.status,
        RdnsStatus::Disabled
    );
    assert_eq!(fake.ptrs(), 0);
    assert_eq!(fake.forward_calls.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------- HickoryResolver, for real

/// PTR 8.8.8.8 → dns.google, A dns.google → 8.8.8.8, NXDOMAIN for anything else.
async fn dns_responder() -> postwarden_testkit::dns::DnsServer {
    use postwarden_testkit::dns::{DnsServer, Zones};
    let zones = Zones::new()
        .ptr(ip("8.8.8.8"), "dns.google")
        .address("dns.google", ip("8.8.8.8"));
    DnsServer::start(zones).await
}

#[tokio::test]
async fn hickory_resolver_against_a_local_responder() {
    use postwarden_enrich::HickoryResolver;
    let server = dns_responder().await;
    let resolver = HickoryResolver::with_servers(&[server.addr()]).unwrap();
    assert_eq!(
        resolver.ptr(ip("8.8.8.8")).await,
        Ok(vec!["dns.google".to_string()])
    );
    assert_eq!(
        resolver.ptr(ip("9.9.9.9")).await,
        Err(LookupFailure::NotFound)
    );
    assert_eq!(
        resolver.forward("dns.google").await,
        Ok(vec![ip("8.8.8.8")])
    );
    let r = ReverseDns::new(
        Arc::new(resolver),
        &RdnsConfig {
            timeout: Duration::from_secs(5),
            ..config()
        },
    );
    assert_eq!(
        r.lookup(ip("8.8.8.8")).await,
        answer(Some("dns.google"), RdnsStatus::Confirmed)
    );
    assert_eq!(
        r.lookup(ip("9.9.9.9")).await,
        answer(None, RdnsStatus::NoPtr)
    );
}
