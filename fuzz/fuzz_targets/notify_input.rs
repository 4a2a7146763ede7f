//! Fuzzes the notification engine's parsers of outside input: an `events ingest` line, and
//! the sanitizers and SMS segment counter that every rendered value and text goes through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwarden_notify::directive::{ChannelLookup, parse_ingest_line};
use postwarden_notify::{sanitize, sms};

struct AnyChannel;

impl ChannelLookup for AnyChannel {
    fn default_format(&self, _channel: &str) -> Option<&'static str> {
        Some("text")
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_ingest_line(&text, &AnyChannel, chrono::DateTime::UNIX_EPOCH);
    let value = sanitize::value(&text, 64);
    assert!(!value.contains('\n') && !value.contains('\r'));
    assert!(sms::segments(&sms::fit(&text, 2)).parts <= 2);
});
