//! Measures the geo index on real files: CSV parse time, cache load time, lookup cost.
//!
//! `cargo run --release -p postwarden-enrich --example geo_bench -- DIR` where DIR holds
//! the sapics files `asn-ipv4.csv`, `asn-ipv6.csv`, `asn-country-ipv4.csv` and
//! `asn-country-ipv6.csv` (e.g. unpacked from `npm pack @ip-location-db/asn` and
//! `@ip-location-db/asn-country`). Add `-num` as a second argument for the `-num` files.

use postwarden_enrich::GeoDb;
use std::hint::black_box;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: geo_bench DIR [-num]"));
    let suffix = args.next().unwrap_or_default();
    let file = |stem: &str| dir.join(format!("{stem}{suffix}.csv"));
    let country = [file("asn-country-ipv4"), file("asn-country-ipv6")];
    let asn = [file("asn-ipv4"), file("asn-ipv6")];
    let cache = tempfile_dir();

    let t = Instant::now();
    let parsed = GeoDb::open(&country, &asn, &cache).expect("open");
    println!("first open (CSV parse + cache write): {:?}", t.elapsed());
    for s in parsed.sources() {
        println!(
            "  {:?} {} ranges, {:?}",
            s.path.file_name().unwrap(),
            s.ranges.unwrap_or(0),
            s.load_time
        );
    }
    let mut cache_bytes = 0;
    for e in std::fs::read_dir(&cache).unwrap() {
        cache_bytes += e.unwrap().metadata().unwrap().len();
    }
    println!("cache files: {:.1} MiB", cache_bytes as f64 / 1048576.0);
    drop(parsed);

    let mut best = std::time::Duration::MAX;
    let mut db = None;
    for _ in 0..5 {
        let t = Instant::now();
        let d = GeoDb::open(&country, &asn, &cache).expect("open");
        best = best.min(t.elapsed());
        db = Some(d);
    }
    let db = db.unwrap();
    println!("open from cache (best of 5): {best:?}");
    for s in db.sources() {
        println!(
            "  {:?} {:?} {:?}",
            s.path.file_name().unwrap(),
            s.format,
            s.load_time
        );
    }

    // Pseudo-random public-ish addresses, v4 and v6.
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let v4: Vec<IpAddr> = (0..1_000_000)
        .map(|_| IpAddr::from((next() as u32).to_be_bytes()))
        .collect();
    let v6: Vec<IpAddr> = (0..1_000_000)
        .map(|_| {
            IpAddr::from(
                (((0x2000u128 | (next() as u128 & 0x0fff)) << 112) | next() as u128).to_be_bytes(),
            )
        })
        .collect();
    for (name, ips) in [("IPv4", &v4), ("IPv6", &v6)] {
        let t = Instant::now();
        let mut hits = 0usize;
        for &ip in ips {
            let info = black_box(db.lookup(ip));
            hits += info.asn.is_some() as usize;
        }
        let ns = t.elapsed().as_nanos() as f64 / ips.len() as f64;
        println!(
            "{name} lookup (country + ASN): {ns:.0} ns each, {hits} of {} with an ASN",
            ips.len()
        );
    }
    println!("8.8.8.8 -> {:?}", db.lookup("8.8.8.8".parse().unwrap()));
    println!(
        "2a00:1450:4001::1 -> {:?}",
        db.lookup("2a00:1450:4001::1".parse().unwrap())
    );
    let _ = std::fs::remove_dir_all(&cache);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("geo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
