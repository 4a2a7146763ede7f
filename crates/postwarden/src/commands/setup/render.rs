//! The text setup writes: the configuration (every string escaped by the `toml` crate, then
//! validated by the code `postwarden config check` runs) and the systemd unit.

use super::{
    MAIL_CHANNEL, Probe, SHUTDOWN_SECS, SMS_CHANNEL, STOP_MARGIN_SECS, Settings, Store,
    WATCHDOG_SECS, dedup, shell_word,
};
use anyhow::{Context, Result, anyhow};
use postwarden_core::Config;
use std::path::Path;

/// A TOML string literal, escaped by the `toml` crate.
pub(super) fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn toml_path(path: &Path) -> String {
    // Paths were checked to be UTF-8 when gathered.
    toml_string(&path.to_string_lossy())
}

fn toml_list<S: AsRef<str>>(items: &[S]) -> String {
    let values = items
        .iter()
        .map(|s| toml::Value::String(s.as_ref().to_owned()))
        .collect();
    toml::Value::Array(values).to_string()
}

pub(super) fn render_config(s: &Settings) -> String {
    [
        config_header(s),
        database_section(s),
        run_section(s),
        health_section(s),
        channels_section(s),
        rules_section(s),
        report_section(s),
    ]
    .concat()
}

fn config_header(s: &Settings) -> String {
    format!(
        "# postwarden configuration, {origin} (docs/setup.md explains it).\n\
         # Every key with its default and meaning: postwarden.example.toml.\n\
         # After an edit: `postwarden --config {path} config check`, then\n\
         # `systemctl reload postwarden` (an invalid file is refused, the running one kept).\n\
         \n\
         # State: the SQLite database (unless [database] says otherwise), the quarantine.\n\
         data_dir = {data}\n",
        origin = s.origin.as_str(),
        path = shell_word(&s.config_path),
        data = toml_path(&s.data_dir),
    )
}

fn database_section(s: &Settings) -> String {
    match &s.store {
        Store::Embedded => String::new(),
        Store::Url(url) => format!("\n[database]\nurl = {}\n", toml_string(url)),
        Store::File(file) => format!(
            "\n[database]\n# The URL, password included, is read from this file.\nurl = {{ file = {} }}\n",
            toml_path(file)
        ),
    }
}

fn run_section(s: &Settings) -> String {
    let mut text = format!(
        "\n[run]\n\
         components = {}\n\
         # The unit's TimeoutStopSec={}s gives this a margin.\n\
         shutdown_timeout = \"{SHUTDOWN_SECS}s\"\n",
        toml_list(&s.components),
        SHUTDOWN_SECS + STOP_MARGIN_SECS,
    );
    if s.has("filter") {
        text += &format!(
            "\n[filter]\n# Postfix's content_filter sends mail here (see `postwarden postfix-config`).\nlisten = {}\n",
            toml_string(&s.filter_listen)
        );
    }
    text
}

fn health_section(s: &Settings) -> String {
    let mut text = String::new();
    for probe in &s.probes {
        text += &match probe {
            Probe::Postfix => format!(
                "\n# Postfix's master process runs (its pid file; no root needed).\n\
                 [health.postfix]\nconfig_dir = {}\n",
                toml_path(&s.postfix_config_dir)
            ),
            Probe::Queue => format!(
                "\n# `postqueue -j`: more than max_messages queued fails.\n\
                 [health.queue]\nconfig_dir = {}\nmax_messages = 50\n",
                toml_path(&s.postfix_config_dir)
            ),
            Probe::Disk => {
                let data = s.data_dir.to_string_lossy().into_owned();
                let paths = dedup(vec!["/".to_owned(), "/var".to_owned(), data]);
                format!(
                    "\n# Space and inodes of the file systems holding these paths.\n\
                     [health.disk]\npaths = {}\nmax_used_percent = 90\n",
                    toml_list(&paths)
                )
            }
        };
    }
    text
}

fn channels_section(s: &Settings) -> String {
    let mut text = String::new();
    if let Some(sms) = &s.sms {
        text += &format!(
            "\n[channels.{SMS_CHANNEL}]\ntype = \"clicksend\"\nusername = {}\n\
             # The key itself stays in this file (one line, readable by root only).\n\
             api_key_file = {}\n",
            toml_string(&sms.username),
            toml_path(&sms.api_key_file),
        );
    }
    if let Some(mail) = &s.mail {
        text += &format!(
            "\n[channels.{MAIL_CHANNEL}]\ntype = \"email\"\nsmtp = {}\nsecurity = \"{}\"\nfrom = {}\n",
            toml_string(&mail.smtp),
            mail.security.as_str(),
            toml_string(&mail.from),
        );
        if let Some((user, file)) = &mail.login {
            text += &format!(
                "username = {}\npassword = {{ file = {} }}\n",
                toml_string(user),
                toml_path(file)
            );
        }
    }
    text
}

/// (channel, recipients) of every receiver the flags gave.
fn receivers(s: &Settings) -> Vec<(&'static str, &Vec<String>)> {
    let sms = s.sms.as_ref().map(|sms| (SMS_CHANNEL, &sms.to));
    let mail = s.mail.as_ref().map(|mail| (MAIL_CHANNEL, &mail.to));
    sms.into_iter().chain(mail).collect()
}

fn rules_section(s: &Settings) -> String {
    let receivers = receivers(s);
    if receivers.is_empty() {
        return String::new();
    }
    let mut text = "\n# Health alerts, one notification per probe, and another when it recovers.\n\
         [[rules]]\nname = \"health\"\nmatch = { kind = \"health.*\" }\n\
         group_by = [\"kind\"]\ngroup_wait = \"0s\"\nsend_resolved = true\n"
        .to_owned();
    for (channel, to) in receivers {
        text += &format!(
            "\n[[rules.receivers]]\nchannel = \"{channel}\"\nto = {}\n",
            toml_list(to)
        );
    }
    text
}

fn report_section(s: &Settings) -> String {
    let Some((at, zone)) = &s.report else {
        return String::new();
    };
    let receivers: Vec<String> = receivers(s)
        .into_iter()
        .map(|(channel, to)| format!("{{ channel = \"{channel}\", to = {} }}", toml_list(to)))
        .collect();
    format!(
        "\n# Every morning: the summary by SMS, the digest (HTML, CSV) by mail (docs/run.md).\n\
         [reports.daily]\nat = {}\ntimezone = {}\nreceivers = [{}]\n",
        toml_string(at),
        toml_string(zone),
        receivers.join(", ")
    )
}

/// Parses and validates the generated text as `postwarden config check` would.
pub(super) fn validate_generated(text: &str) -> Result<Config> {
    let config =
        Config::from_toml(text).context("the generated configuration does not validate")?;
    postwarden_notify::check_config(&config).map_err(|e| {
        anyhow!(
            "the generated notification settings do not validate (a bug in `postwarden setup`): {e}"
        )
    })?;
    Ok(config)
}

/// One word of a unit file: `%` (specifiers) doubled, `$` (variables) doubled when `exec`,
/// quoted with C escapes when it holds spaces or quotes.
fn unit_word(path: &Path, exec: bool) -> String {
    let text = path.to_string_lossy();
    let mut word = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => word.push_str("%%"),
            '$' if exec => word.push_str("$$"),
            '\\' => word.push_str("\\\\"),
            '"' => word.push_str("\\\""),
            c => word.push(c),
        }
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || "\"'\\;".contains(c))
    {
        format!("\"{word}\"")
    } else {
        word
    }
}

pub(super) fn render_unit(s: &Settings) -> String {
    let writable: Vec<String> = s
        .writable_dirs()
        .iter()
        .map(|d| unit_word(d, false))
        .collect();
    format!(
        "\
# postwarden.service, {origin} (docs/setup.md explains every line).
[Unit]
Description=postwarden: content filter, health probes and notifications beside Postfix
Documentation=man:postwarden(1)
After=network-online.target postfix.service
Wants=network-online.target

[Service]
Type=notify
User={user}
Group={user}
ExecStart={binary} --config {config} run
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
WatchdogSec={WATCHDOG_SECS}s
TimeoutStopSec={stop}s
Environment=NO_COLOR=1
UMask=0027

# An unprivileged user: its groups (adm for /var/log/mail.log, systemd-journal for the
# journal, postdrop for postqueue) give it what the components read. The file system is
# read-only except for the data directory; no capabilities. A filter or milter listening
# on a port below 1024 needs AmbientCapabilities=CAP_NET_BIND_SERVICE and the same in
# CapabilityBoundingSet. Holding or deleting queue files (postsuper) needs root: that is
# left to the administrator's shell, never done by this service.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ReadWritePaths={writable}
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
",
        origin = s.origin.as_str(),
        user = s.user,
        binary = unit_word(&s.binary, true),
        config = unit_word(&s.config_path, true),
        stop = SHUTDOWN_SECS + STOP_MARGIN_SECS,
        writable = writable.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_words_are_escaped() {
        assert_eq!(unit_word(Path::new("/usr/bin/pw"), true), "/usr/bin/pw");
        assert_eq!(
            unit_word(Path::new("/opt/my pw/50%$x\"y"), true),
            "\"/opt/my pw/50%%$$x\\\"y\""
        );
        assert_eq!(unit_word(Path::new("/a/$b"), false), "/a/$b");
    }

    #[test]
    fn strings_cannot_add_keys() {
        let value = "a\"\n[x]\nb = 1";
        let table: toml::Table = toml::from_str(&format!("k = {}", toml_string(value))).unwrap();
        assert_eq!(table.len(), 1);
        assert_eq!(table["k"].as_str(), Some(value));
    }
}
