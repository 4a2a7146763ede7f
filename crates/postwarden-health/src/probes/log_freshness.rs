//! `[health.log_freshness]`: Postfix runs but its log stopped growing (syslog died, the
//! disk is full, rotation went wrong).

use crate::Reading;
use postwarden_core::config::LogFreshnessProbeConfig;
use std::time::SystemTime;

pub(super) const NAME: &str = "log_freshness";

pub(super) fn check(config: &LogFreshnessProbeConfig, now: SystemTime) -> Reading {
    let path = config.path.display();
    let modified = match std::fs::metadata(&config.path).and_then(|m| m.modified()) {
        Ok(modified) => modified,
        Err(e) => return Reading::failing(NAME, format!("{path}: {e}")),
    };
    let silence = now.duration_since(modified).unwrap_or_default();
    let reading = if silence > config.max_silence {
        Reading::failing(
            NAME,
            format!(
                "{path} not written for {} s (max_silence {} s)",
                silence.as_secs(),
                config.max_silence.as_secs()
            ),
        )
    } else {
        Reading::ok(NAME, format!("{path} written {} s ago", silence.as_secs()))
    };
    reading.with("silence_seconds", silence.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_quiet_log_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::write(&path, "x\n").unwrap();
        let config = LogFreshnessProbeConfig {
            path: path.clone(),
            max_silence: Duration::from_secs(600),
        };
        let written = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(check(&config, written + Duration::from_secs(60)).ok);
        let quiet = check(&config, written + Duration::from_secs(601));
        assert!(!quiet.ok);
        assert_eq!(quiet.figures["silence_seconds"], 601);
        let missing = LogFreshnessProbeConfig {
            path: dir.path().join("gone.log"),
            max_silence: Duration::from_secs(600),
        };
        assert!(!check(&missing, written).ok);
    }
}
