//! `[health.spamd]`: SpamAssassin's spamd answers `PING` with `PONG`.

use crate::Reading;
use std::time::Duration;

pub(super) const NAME: &str = "spamd";

pub(super) async fn check(address: &str, timeout: Duration) -> Reading {
    match postwarden_filter::processors::spamassassin::ping(address, timeout).await {
        Ok(()) => Reading::ok(NAME, format!("{address} answers PING")),
        Err(e) => Reading::failing(NAME, e.to_string()),
    }
}
