//! What every outgoing HTTP call of postwarden shares: the client (rustls with the ring
//! provider, reqwest being built without one; postwarden's user agent) and the HMAC-SHA256
//! signature of webhook bodies (the filter's webhook processor and the notifier's webhook
//! channel).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::Duration;

/// An HTTP client with postwarden's user agent and, when given, a timeout per request.
pub fn client(timeout: Option<Duration>) -> Result<reqwest::Client, String> {
    ensure_crypto_provider();
    let mut builder =
        reqwest::Client::builder().user_agent(concat!("postwarden/", env!("CARGO_PKG_VERSION")));
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

/// Installs rustls' ring provider as the process default, unless one is installed already.
/// Call before building a TLS client ([`client`] does).
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: some provider is then set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The `X-Postwarden-Signature` value: `sha256=` and the hex HMAC-SHA256, keyed with
/// `secret`, of `timestamp`, `.`, and the body (Stripe's scheme: the timestamp is signed too,
/// so a captured request cannot be replayed later).
pub fn sign_webhook(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_and_body() {
        // Reference value from Python: hmac.new(b"key", b"1700000000.{}", "sha256").hexdigest()
        assert_eq!(
            sign_webhook("key", "1700000000", b"{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
