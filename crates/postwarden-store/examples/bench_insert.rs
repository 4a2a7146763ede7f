//! Measures `commit_log_batch` throughput on SQLite: 400,000 log records (what a
//! 1-million-line Postfix log yields), as one batch and as batches of 10,000.
//!
//! Run: `cargo run --release -p postwarden-store --example bench_insert`.

use chrono::{Duration, TimeZone, Utc};
use postwarden_core::Secret;
use postwarden_store::{FileState, LogBatch, LogRecordRow, Store, TrafficCount};
use std::net::IpAddr;
use std::time::Instant;

const RECORDS: usize = 400_000;

fn records() -> Vec<LogRecordRow> {
    let start = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    (0..RECORDS)
        .map(|i| LogRecordRow {
            time: start + Duration::milliseconds(i as i64 * 50),
            host: "mx1".into(),
            service: "postfix/smtpd".into(),
            kind: if i % 3 == 0 {
                "auth_failure".into()
            } else {
                "reject".into()
            },
            abusive: i % 3 == 0,
            ip: Some(IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8])),
            client_name: Some(format!("host-{}.example.net", i % 5000)),
            user: (i % 3 == 0).then(|| format!("user{}@example.org", i % 700)),
            reason: Some("SASL LOGIN authentication failed: UGFzc3dvcmQ6".into()),
            country: Some("DE".into()),
            asn: Some(3320),
            as_org: Some("Deutsche Telekom AG".into()),
            rdns: Some(format!("p{}.dip0.t-ipconnect.de", i % 5000)),
            rdns_status: Some("ok".into()),
        })
        .collect()
}

async fn run(label: &str, per_batch: usize) {
    let dir = tempfile::tempdir().unwrap();
    let url = Secret::new(format!("sqlite://{}/bench.db", dir.path().display()));
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let records = records();
    let batches: Vec<LogBatch> = records
        .chunks(per_batch)
        .enumerate()
        .map(|(n, chunk)| LogBatch {
            records: chunk.to_vec(),
            traffic: (0..50)
                .map(|k| TrafficCount {
                    hour: 472_222 + (n as i64 % 24),
                    host: "mx1".into(),
                    metric: "sender_domain".into(),
                    key: format!("domain{k}.example"),
                    count: 3,
                })
                .collect(),
            events: vec![],
            file_state: Some(FileState {
                path: "/var/log/mail.log".into(),
                device: 2049,
                inode: 123_456,
                offset: (n as u64 + 1) * 1_000_000,
                fingerprint: vec![7; 32],
                updated: Utc::now(),
            }),
            journal_state: None,
        })
        .collect();
    let started = Instant::now();
    for batch in &batches {
        store.commit_log_batch(batch).await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{label}: {RECORDS} records in {:.3} s = {:.0} rows/s",
        elapsed.as_secs_f64(),
        RECORDS as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    run("one batch", RECORDS).await;
    run("batches of 10000", 10_000).await;
}
