//! `[health.postfix]`: is the instance's master process alive? Its pid file (in the queue
//! directory `postconf` names) must hold the pid of a running `master` — no root needed,
//! unlike `postfix status`.

use super::{last_line, run};
use crate::Reading;
use std::path::Path;

pub(super) const NAME: &str = "postfix";

pub(super) async fn check(config_dir: &Path) -> Reading {
    let dir = config_dir.display().to_string();
    let queue = match run("postconf", &["-c", &dir, "-h", "queue_directory"]).await {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => {
            return Reading::failing(NAME, format!("postconf -c {dir}: {}", last_line(&out)));
        }
        Err(e) => return Reading::failing(NAME, e),
    };
    let pid_file = Path::new(&queue).join("pid/master.pid");
    let pid = match std::fs::read_to_string(&pid_file) {
        Ok(text) => text.trim().to_owned(),
        Err(e) => {
            return Reading::failing(
                NAME,
                format!("master not running ({}: {e})", pid_file.display()),
            );
        }
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if pid.parse::<u32>().is_ok() && comm.trim() == "master" {
        Reading::ok(NAME, format!("master running (pid {pid}, {dir})")).with("pid", pid)
    } else {
        Reading::failing(
            NAME,
            format!(
                "master not running (stale pid {pid} in {})",
                pid_file.display()
            ),
        )
    }
}
