//! `postwarden health`: every configured probe once, as text or JSON, and an exit code
//! that says whether all of them passed.

use std::process::{Command, Output};

fn health(config: &str, format: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postwarden.toml");
    let config = config.replace("DIR", &dir.path().display().to_string());
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_postwarden"))
        .env_remove("RUST_LOG")
        .args([
            "--config",
            path.to_str().unwrap(),
            "health",
            "--format",
            format,
        ])
        .output()
        .unwrap();
    (out, dir)
}

#[test]
fn every_probe_once_and_a_failing_exit_code() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let config = format!(
        "data_dir = \"DIR\"\n[health.disk]\npaths = [\"DIR\"]\nmax_used_percent = 100\n\
         [health.smtp]\naddresses = [\"127.0.0.1:{dead_port}\"]\n"
    );
    let (out, _dir) = health(&config, "json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let readings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_probe = |name: &str| {
        readings
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["probe"] == name)
            .unwrap_or_else(|| panic!("no {name} in {readings}"))
            .clone()
    };
    assert_eq!(by_probe("database")["ok"], true);
    assert_eq!(by_probe("disk")["ok"], true);
    let smtp = by_probe("smtp");
    assert_eq!(smtp["ok"], false);
    assert!(
        smtp["detail"]
            .as_str()
            .unwrap()
            .contains(&dead_port.to_string()),
        "{smtp}"
    );

    let (out, _dir) = health(
        "data_dir = \"DIR\"\n[health.disk]\npaths = [\"DIR\"]\nmax_used_percent = 100\n",
        "text",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok    database  SQLite answers in ")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("ok    disk      ")),
        "{text}"
    );
}

#[test]
fn a_store_that_cannot_be_opened_is_a_failing_probe() {
    let (out, _dir) = health(
        "data_dir = \"DIR\"\n[database]\nurl = \"postgres://nobody@127.0.0.1:1/none\"\n",
        "text",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("FAIL  database  "), "{text}");
}

/// A configuration file holding a secret itself is refused while others can read it or its
/// group can write it; the error names the key and the chmod to run. Its group may read it
/// (the package's `root:postwarden` 0640). From a file, the same secret is fine at any mode.
#[test]
fn readable_configuration_with_secrets_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postwarden.toml");
    let key_file = dir.path().join("clicksend.key");
    std::fs::write(&key_file, "planted-secret-7f3a\n").unwrap();
    let channel = |api_key: &str| {
        format!(
            "data_dir = \"{}\"\n[channels.ops_sms]\ntype = \"clicksend\"\nusername = \"apiuser\"\n{api_key}\n",
            dir.path().display()
        )
    };
    let check = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_postwarden"))
            .env_remove("RUST_LOG")
            .args(["--config", path.to_str().unwrap(), "config", "check"])
            .output()
            .unwrap()
    };
    std::fs::write(&path, channel("api_key = \"planted-secret-7f3a\"")).unwrap();
    let refused = check(0o644);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(
        error.contains("holds secrets (channels.ops_sms.api_key)")
            && error.contains("(mode 0644)")
            && error.contains(&format!("run `chmod 640 {}`", path.display())),
        "{error}"
    );
    assert!(!error.contains("planted-secret-7f3a"), "{error}");
    assert!(!check(0o660).status.success());
    assert!(check(0o600).status.success());
    assert!(check(0o640).status.success());
    std::fs::write(
        &path,
        channel(&format!("api_key_file = \"{}\"", key_file.display())),
    )
    .unwrap();
    assert!(check(0o644).status.success());
}
