//! The `postwarden` binary as the end-to-end tests run it: its own data directory, a
//! configuration, and the output of each command checked.

#![allow(dead_code)] // each test binary uses its own part of this

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A postwarden with its own data directory and a configuration file.
pub struct Warden {
    pub data: tempfile::TempDir,
    config: PathBuf,
}

impl Warden {
    /// With the demo configuration (`testdata/demo.toml`).
    pub fn new() -> Self {
        Self::with_config(repo().join("testdata/demo.toml"))
    }

    pub fn with_config(config: PathBuf) -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            config,
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postwarden"));
        cmd.current_dir(repo())
            .env_remove("RUST_LOG")
            .env("POSTWARDEN_DATA_DIR", self.data.path())
            .arg("--config")
            .arg(&self.config)
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "postwarden {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn stdout(&self, args: &[&str]) -> String {
        String::from_utf8(self.run(args).stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.stdout(args)).unwrap()
    }

    /// Every stored abusive or authentication record.
    pub fn exported(&self) -> Vec<Value> {
        self.stdout(&["logs", "export", "--format", "jsonl", "--all"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
