//! The store answers a query (always on: every job writes to it).

use crate::Reading;
use postwarden_store::Store;

pub(super) const NAME: &str = "database";

pub(super) async fn check(store: &Result<Store, String>) -> Reading {
    let store = match store {
        Ok(store) => store,
        Err(e) => return Reading::failing(NAME, e.clone()),
    };
    let started = std::time::Instant::now();
    match store.ping().await {
        Ok(()) => {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            Reading::ok(NAME, format!("{} answers in {ms:.1} ms", store.backend()))
                .with("round_trip_ms", (ms * 10.0).round() / 10.0)
        }
        Err(e) => Reading::failing(NAME, e.to_string()),
    }
}
