//! `[health.clamd]`: ClamAV's clamd answers `zPING` with `PONG`.

use crate::Reading;
use std::time::Duration;

pub(super) const NAME: &str = "clamd";

pub(super) async fn check(address: &str, timeout: Duration) -> Reading {
    match postwarden_filter::processors::clamav::ping(address, timeout).await {
        Ok(()) => Reading::ok(NAME, format!("{address} answers PING")),
        Err(e) => Reading::failing(NAME, e.to_string()),
    }
}
