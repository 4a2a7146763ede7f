//! `[health.disk]`: used space and free inodes of the file system under each path
//! (`statvfs`, counted as `df` does: space reserved for root is not free for the rest).

use crate::Reading;
use postwarden_core::config::DiskProbeConfig;
use std::path::Path;

pub(super) const NAME: &str = "disk";

/// One file system's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Usage {
    pub used_percent: f64,
    /// `None` when the file system has no inode count (btrfs, some network ones).
    pub free_inodes_percent: Option<f64>,
}

pub(super) fn check(config: &DiskProbeConfig) -> Reading {
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    let mut figures = serde_json::Map::new();
    for path in &config.paths {
        match usage(path) {
            Ok(usage) => {
                parts.push(format!(
                    "{} {:.0} % used",
                    path.display(),
                    usage.used_percent
                ));
                problems.extend(problems_of(path, usage, config));
                figures.insert(
                    path.display().to_string(),
                    serde_json::json!({
                        "used_percent": (usage.used_percent * 10.0).round() / 10.0,
                        "free_inodes_percent": usage.free_inodes_percent.map(|p| (p * 10.0).round() / 10.0),
                    }),
                );
            }
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    let mut reading = if problems.is_empty() {
        Reading::ok(NAME, parts.join(", "))
    } else {
        Reading::failing(NAME, problems.join("; "))
    };
    reading.figures = figures;
    reading
}

fn usage(path: &Path) -> Result<Usage, String> {
    let stats = rustix::fs::statvfs(path).map_err(|e| e.to_string())?;
    let used = stats.f_blocks.saturating_sub(stats.f_bfree) as f64;
    let usable = used + stats.f_bavail as f64;
    Ok(Usage {
        used_percent: if usable > 0.0 {
            used * 100.0 / usable
        } else {
            0.0
        },
        free_inodes_percent: (stats.f_files > 0)
            .then(|| stats.f_favail as f64 * 100.0 / stats.f_files as f64),
    })
}

fn problems_of(path: &Path, usage: Usage, config: &DiskProbeConfig) -> Vec<String> {
    let mut problems = Vec::new();
    if usage.used_percent >= config.max_used_percent {
        problems.push(format!(
            "{} is {:.0} % full (max_used_percent {})",
            path.display(),
            usage.used_percent,
            config.max_used_percent
        ));
    }
    if let Some(free) = usage.free_inodes_percent
        && free < config.min_free_inodes_percent
    {
        problems.push(format!(
            "{} has {free:.1} % of its inodes free (min_free_inodes_percent {})",
            path.display(),
            config.min_free_inodes_percent
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config(max_used: f64, min_inodes: f64, paths: Vec<PathBuf>) -> DiskProbeConfig {
        DiskProbeConfig {
            paths,
            max_used_percent: max_used,
            min_free_inodes_percent: min_inodes,
        }
    }

    #[test]
    fn thresholds_name_the_path_and_the_key() {
        let path = Path::new("/var");
        let full = Usage {
            used_percent: 93.4,
            free_inodes_percent: Some(2.5),
        };
        let problems = problems_of(path, full, &config(90.0, 5.0, vec![]));
        assert_eq!(
            problems,
            [
                "/var is 93 % full (max_used_percent 90)",
                "/var has 2.5 % of its inodes free (min_free_inodes_percent 5)"
            ]
        );
        let fine = Usage {
            used_percent: 40.0,
            free_inodes_percent: None,
        };
        assert!(problems_of(path, fine, &config(90.0, 5.0, vec![])).is_empty());
    }

    #[test]
    fn measures_a_real_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let usage = usage(dir.path()).unwrap();
        assert!((0.0..=100.0).contains(&usage.used_percent), "{usage:?}");
        // Any real file system is more than 0 % used: a limit of 0 % must fail.
        let failing = check(&config(0.0, 0.0, vec![dir.path().to_path_buf()]));
        assert!(!failing.ok, "{failing:?}");
        let fine = check(&config(100.1, 0.0, vec![dir.path().to_path_buf()]));
        assert!(fine.ok, "{fine:?}");
        let missing = check(&config(90.0, 0.0, vec![dir.path().join("nope")]));
        assert!(!missing.ok);
        assert!(missing.detail.contains("nope"), "{}", missing.detail);
    }
}
