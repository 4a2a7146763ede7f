//! The service's own system account. postwarden runs as an unprivileged user (`postwarden`
//! by default) whose groups give it what its components read: `adm` for
//! /var/log/mail.log, `systemd-journal` for the journal, `postdrop` for `postqueue` (the
//! unit's NoNewPrivileges=yes keeps postqueue's set-group-ID bit from working, so the group
//! must be the user's own). The Debian package's postinst does the same with `adduser`.
//!
//! Accounts are made with the system's own tools (`useradd`, `usermod`, `getent`), never by
//! editing /etc/passwd: they know about the site's NSS, shadow and locking rules.

use crate::context::getent;
use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;
use std::process::Command;

/// The groups the service user joins where they exist on this machine.
pub(crate) const GROUPS: [&str; 3] = ["adm", "systemd-journal", "postdrop"];

/// A system user name as useradd accepts it: a lowercase letter or `_`, then up to 31
/// lowercase letters, digits, `_` or `-`.
pub(super) fn user_name(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c));
    if first_ok && rest_ok && text.len() <= 32 {
        Ok(text.to_owned())
    } else {
        Err("must be a system user name: a lowercase letter or `_`, then lowercase letters, digits, `_` or `-` (at most 32)".into())
    }
}

/// Whether the user exists (in any NSS database).
pub(super) fn exists(user: &str) -> bool {
    getent("passwd", user).is_some()
}

/// The user and group the service's files belong to.
pub(super) struct Account {
    uid: u32,
    gid: u32,
    name: String,
}

/// Finds the user, creating it (and its group) as a system account when it does not exist.
pub(super) fn ensure(user: &str, home: &Path) -> Result<Account> {
    if !exists(user) {
        create(user, home)?;
    }
    let entry = getent("passwd", user)
        .ok_or_else(|| anyhow!("the user {user} was created but cannot be looked up"))?;
    // name:password:uid:gid:gecos:home:shell
    let fields: Vec<&str> = entry.split(':').collect();
    let number = |i: usize| -> Result<u32> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("getent passwd {user} gave an entry without ids: {entry}"))
    };
    Ok(Account {
        uid: number(2)?,
        gid: number(3)?,
        name: user.to_owned(),
    })
}

fn create(user: &str, home: &Path) -> Result<()> {
    let home = home.to_str().context("the data directory is not UTF-8")?;
    run(Command::new("useradd").args([
        "--system",
        "--user-group",
        "--home-dir",
        home,
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        "--comment",
        "postwarden",
        user,
    ]))
    .with_context(|| {
        format!(
            "cannot create the system user {user} (run setup as root, or create it and pass --user)"
        )
    })?;
    println!("created system user and group {user}");
    for group in GROUPS.iter().filter(|g| getent("group", g).is_some()) {
        run(Command::new("usermod").args(["--append", "--groups", group, user]))
            .with_context(|| format!("cannot add {user} to the group {group}"))?;
        println!("added {user} to the group {group}");
    }
    Ok(())
}

impl Account {
    /// Gives the service a directory (owner and group), or a file its group reads and root
    /// changes (group only).
    pub(super) fn own(&self, path: &Path, directory: bool) -> Result<()> {
        let owner = directory.then_some(self.uid);
        std::os::unix::fs::chown(path, owner, Some(self.gid)).with_context(|| {
            format!(
                "cannot give {} to {user}: run `chown {spec} {}` as root",
                path.display(),
                path.display(),
                user = self.name,
                spec = if directory {
                    format!("{0}:{0}", self.name)
                } else {
                    format!(":{}", self.name)
                },
            )
        })
    }
}

fn run(command: &mut Command) -> Result<()> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_what_useradd_takes() {
        for good in ["postwarden", "_pw", "pw-2", "a"] {
            assert_eq!(user_name(good).as_deref(), Ok(good));
        }
        for bad in ["", "Postwarden", "1pw", "pw user", "pw;rm", &"a".repeat(33)] {
            assert!(user_name(bad).is_err(), "{bad:?}");
        }
    }
}
