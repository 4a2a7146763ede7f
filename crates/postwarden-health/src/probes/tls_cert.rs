//! `[health.tls_cert]`: days until each certificate file (PEM, its first certificate)
//! expires.

use crate::Reading;
use chrono::{DateTime, Utc};
use postwarden_core::config::TlsCertProbeConfig;
use std::path::Path;
use x509_cert::Certificate;
use x509_cert::der::DecodePem;

pub(super) const NAME: &str = "tls_cert";

pub(super) fn check(config: &TlsCertProbeConfig, now: DateTime<Utc>) -> Reading {
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    let mut figures = serde_json::Map::new();
    for file in &config.files {
        match not_after(file) {
            Ok(expiry) => {
                let days = (expiry - now).num_days();
                figures.insert(file.display().to_string(), days.into());
                let line = format!(
                    "{} expires {} ({days} days)",
                    file.display(),
                    expiry.format("%Y-%m-%d")
                );
                if days < config.min_days {
                    problems.push(format!("{line}, fewer than min_days {}", config.min_days));
                } else {
                    parts.push(line);
                }
            }
            Err(e) => problems.push(format!("{}: {e}", file.display())),
        }
    }
    let mut reading = if problems.is_empty() {
        Reading::ok(NAME, parts.join("; "))
    } else {
        Reading::failing(NAME, problems.join("; "))
    };
    reading.figures = figures;
    reading
}

/// When the first certificate in the PEM file stops being valid.
fn not_after(file: &Path) -> Result<DateTime<Utc>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let begin = text
        .find("-----BEGIN CERTIFICATE-----")
        .ok_or("no PEM certificate in the file")?;
    let end_marker = "-----END CERTIFICATE-----";
    let end = text[begin..]
        .find(end_marker)
        .ok_or("unterminated PEM certificate")?
        + begin
        + end_marker.len();
    let certificate = Certificate::from_pem(&text[begin..end]).map_err(|e| e.to_string())?;
    let seconds = certificate
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration()
        .as_secs();
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(i64::MAX), 0)
        .ok_or_else(|| "expiry out of range".to_owned())
}
