//! Fuzz `parse_line`: no input may panic, and `to_json` must work on whatever parses.
//! The first byte picks the zone, so DST handling of named and local zones is exercised.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use postwarden_logs::parse::{ParseContext, Zone, parse_line};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, line)) = data.split_first() else {
        return;
    };
    let zone = match sel % 4 {
        0 => Zone::Utc,
        1 => Zone::Local,
        2 => "Europe/Berlin".parse().unwrap(),
        _ => "Australia/Lord_Howe".parse().unwrap(),
    };
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
    let mut ctx = ParseContext::new(now, zone);
    // Twice: the second pass goes through the timestamp caches.
    for _ in 0..2 {
        if let Ok(r) = parse_line(line, &mut ctx) {
            let _ = r.to_json();
        }
    }
});
