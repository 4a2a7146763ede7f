//! `postwarden setup`: the first run of a new administrator. It gathers the few settings a
//! site must choose (from flags, or asked on a terminal), writes the configuration file
//! (mode 0600) and the systemd unit `postwarden.service`, creates the data directory, and
//! prints the Postfix lines and what to do next.
//!
//! Nothing is written unchecked: flag values are validated (naming the flag), every string
//! goes into TOML through the `toml` crate's escaping, the generated configuration is
//! parsed and validated by the code `postwarden config check` runs, an existing file is
//! replaced only with `--force`, and `--dry-run` prints everything and writes nothing.
//! docs/setup.md explains every generated line. Here: the flags, the settings they make and
//! the writing; `input` asks and checks values, `render` makes the text.

mod account;
mod input;
mod render;

use crate::commands::filter::postfix_snippet;
use crate::context::{ConfigPaths, host_name};
use anyhow::{Context, Result, anyhow, bail};
use clap::builder::PossibleValuesParser;
use clap::{Args, ValueEnum};
use input::{
    Asker, absolute_path, address, checked, component, e164, file_flag, host_port, listen_address,
    path_text, path_value, plain_text, secret_file, store_url, store_url_file,
};
use postwarden_core::Config;
use postwarden_core::config::RunConfig;
use postwarden_core::config::ScheduledReportConfig;
use render::{render_config, render_unit, toml_string, validate_generated};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const DEFAULT_CONFIG: &str = "/etc/postwarden/postwarden.toml";
const DEFAULT_DATA_DIR: &str = "/var/lib/postwarden";
const DEFAULT_COMPONENTS: &str = "health,notify,reports";
const DEFAULT_FILTER_LISTEN: &str = "127.0.0.1:10024";
const DEFAULT_POSTFIX_DIR: &str = "/etc/postfix";
const DEFAULT_MAIL_SMTP: &str = "127.0.0.1:25";
const UNIT_NAME: &str = "postwarden.service";
const DEFAULT_UNIT_DIR: &str = "/etc/systemd/system";
/// Where the Debian package installs the unit.
const PACKAGED_UNIT: &str = "/usr/lib/systemd/system/postwarden.service";
const DEFAULT_BINARY: &str = "/usr/bin/postwarden";
/// The service's own unprivileged user (and group of the same name).
pub const SERVICE_USER: &str = "postwarden";
/// `run.shutdown_timeout` in the configuration; the unit's `TimeoutStopSec` adds a margin.
const SHUTDOWN_SECS: u64 = 30;
const STOP_MARGIN_SECS: u64 = 15;
/// `WatchdogSec`: the daemon pings at half of it.
const WATCHDOG_SECS: u64 = 30;
const SMS_CHANNEL: &str = "ops_sms";
const MAIL_CHANNEL: &str = "ops_mail";

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Where to write the configuration [default: --config, else /etc/postwarden/postwarden.toml]
    #[arg(long, value_name = "FILE")]
    config_out: Option<PathBuf>,
    /// Where to write postwarden.service [default: /etc/systemd/system, unless the
    /// package's unit already says the same]
    #[arg(long, value_name = "DIR")]
    unit_dir: Option<PathBuf>,
    /// Database URL (postgres://…, mysql://…) [default: SQLite in the data directory]
    #[arg(long, value_name = "URL", conflicts_with = "store_url_file")]
    store_url: Option<String>,
    /// File holding the database URL, which keeps its password out of the configuration
    #[arg(long, value_name = "FILE")]
    store_url_file: Option<PathBuf>,
    /// What `postwarden run` starts, comma-separated [default: health,notify,reports]
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        value_parser = PossibleValuesParser::new(RunConfig::COMPONENTS)
    )]
    components: Vec<String>,
    /// Health probes to enable, comma-separated
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',',
          default_values_t = [Probe::Postfix, Probe::Queue, Probe::Disk])]
    probes: Vec<Probe>,
    /// Where the content filter listens (component `filter`) [default: 127.0.0.1:10024]
    #[arg(long, value_name = "ADDR")]
    filter_listen: Option<String>,
    /// Postfix's configuration directory, for the postfix and queue probes [default: /etc/postfix]
    #[arg(long, value_name = "DIR")]
    postfix_config_dir: Option<PathBuf>,
    /// Send health alerts by SMS (ClickSend) to this +E.164 number (repeatable)
    #[arg(long = "sms-to", value_name = "+E164")]
    sms_to: Vec<String>,
    /// ClickSend API username
    #[arg(long, value_name = "NAME", requires = "sms_to")]
    sms_username: Option<String>,
    /// File holding the ClickSend API key (the key stays out of the configuration)
    #[arg(long, value_name = "FILE", requires = "sms_to")]
    sms_api_key_file: Option<PathBuf>,
    /// Send health alerts by e-mail to this address (repeatable)
    #[arg(long = "mail-to", value_name = "ADDRESS")]
    mail_to: Vec<String>,
    /// SMTP server for alert mail [default: 127.0.0.1:25, the local Postfix]
    #[arg(long, value_name = "HOST:PORT", requires = "mail_to")]
    mail_smtp: Option<String>,
    /// How to secure that connection [default: none on loopback, tls on port 465, else starttls]
    #[arg(long, value_enum, requires = "mail_to")]
    mail_security: Option<MailSecurity>,
    /// From address of alert mail [default: postwarden@HOSTNAME]
    #[arg(long, value_name = "ADDRESS", requires = "mail_to")]
    mail_from: Option<String>,
    /// SMTP login name (with --mail-password-file)
    #[arg(long, value_name = "NAME", requires_all = ["mail_to", "mail_password_file"])]
    mail_username: Option<String>,
    /// File holding the SMTP password
    #[arg(long, value_name = "FILE", requires = "mail_username")]
    mail_password_file: Option<PathBuf>,
    /// When the daily report goes to the SMS and mail receivers (HH:MM), or `off`
    /// [default: 08:00; needs the `reports` component]
    #[arg(long, value_name = "HH:MM", default_value = "08:00")]
    report_at: String,
    /// Time zone of --report-at (IANA name) [default: this machine's]
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// The postwarden binary the unit starts [default: this one]
    #[arg(long, value_name = "FILE")]
    binary: Option<PathBuf>,
    /// The unprivileged user (and group) the service runs as; created when missing
    #[arg(long, value_name = "NAME", default_value = SERVICE_USER)]
    user: String,
    /// Never ask; what no flag gives takes its default
    #[arg(long, short = 'y', visible_alias = "yes")]
    non_interactive: bool,
    /// Print every file that would be written, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Replace files that already exist
    #[arg(long)]
    force: bool,
}

/// The health probes setup can enable (those that fit every Postfix host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Probe {
    /// Postfix's master process runs
    Postfix,
    /// The mail queue is short and young
    Queue,
    /// The file systems have room
    Disk,
}

/// `security` of the e-mail channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MailSecurity {
    None,
    Opportunistic,
    Starttls,
    Tls,
}

impl MailSecurity {
    fn as_str(self) -> &'static str {
        match self {
            MailSecurity::None => "none",
            MailSecurity::Opportunistic => "opportunistic",
            MailSecurity::Starttls => "starttls",
            MailSecurity::Tls => "tls",
        }
    }

    /// Plain SMTP to a relay on this machine, TLS on the submissions port, else STARTTLS.
    fn for_server(smtp: &str) -> MailSecurity {
        let (host, port) = smtp.rsplit_once(':').unwrap_or((smtp, ""));
        let host = host.trim_matches(['[', ']']);
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match (loopback, port) {
            (true, _) => MailSecurity::None,
            (false, "465") => MailSecurity::Tls,
            (false, _) => MailSecurity::Starttls,
        }
    }
}

/// Who wrote the files: the first line of each says so.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Setup,
    Package,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Setup => "written by `postwarden setup`",
            Origin::Package => "installed by the postwarden package",
        }
    }
}

/// Everything setup writes follows from these, validated.
#[derive(Debug)]
struct Settings {
    origin: Origin,
    user: String,
    config_path: PathBuf,
    unit_path: PathBuf,
    /// `--unit-dir` was given: the unit is written there whatever the package installed.
    unit_dir_given: bool,
    data_dir: PathBuf,
    binary: PathBuf,
    store: Store,
    components: Vec<String>,
    filter_listen: String,
    postfix_config_dir: PathBuf,
    probes: Vec<Probe>,
    sms: Option<Sms>,
    mail: Option<Mail>,
    /// The daily report's time and zone, when there is one.
    report: Option<(String, String)>,
}

#[derive(Debug)]
enum Store {
    /// SQLite in the data directory: no `[database]` at all.
    Embedded,
    Url(String),
    File(PathBuf),
}

#[derive(Debug)]
struct Sms {
    username: String,
    api_key_file: PathBuf,
    to: Vec<String>,
}

#[derive(Debug)]
struct Mail {
    smtp: String,
    security: MailSecurity,
    from: String,
    login: Option<(String, PathBuf)>,
    to: Vec<String>,
}

impl Settings {
    fn has(&self, component: &str) -> bool {
        self.components.iter().any(|c| c == component)
    }

    /// Directories the service writes: the data directory, and an SQLite database's
    /// directory when the store URL puts it elsewhere.
    fn writable_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.data_dir.clone()];
        if let Store::Url(url) = &self.store
            && let Some(dir) = sqlite_dir(url)
            && !dir.starts_with(&self.data_dir)
        {
            dirs.push(dir);
        }
        dirs
    }
}

/// A file setup writes.
struct Output {
    path: PathBuf,
    text: String,
    mode: u32,
    /// Root's to change, the service's group's to read (the configuration).
    service_reads: bool,
}

pub fn run(args: SetupArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let (dry_run, force) = (args.dry_run, args.force);
    let asker = Asker::new(args.non_interactive);
    let settings = gather(args, paths, &asker)?;
    let config_text = render_config(&settings);
    let config = validate_generated(&config_text)?;
    let mut outputs = vec![Output {
        path: settings.config_path.clone(),
        text: config_text,
        mode: 0o640,
        service_reads: true,
    }];
    let unit = render_unit(&settings);
    match packaged_unit(&settings) {
        // A copy in /etc would override the package's and miss every upgrade's changes.
        Some(packaged) if same_unit(&packaged, &unit) => println!(
            "the package's unit {PACKAGED_UNIT} already runs this configuration: no unit written"
        ),
        packaged => {
            if packaged.is_some() {
                eprintln!(
                    "postwarden: warning: {} will override the package's {PACKAGED_UNIT} \
                     (this configuration needs another binary, user or data directory); \
                     an upgrade's changes to the unit will not reach it",
                    settings.unit_path.display()
                );
            }
            outputs.push(Output {
                path: settings.unit_path.clone(),
                text: unit,
                mode: 0o644,
                service_reads: false,
            });
        }
    }
    let snippet = settings
        .has("filter")
        .then(|| postfix_snippet(&config.filter));
    for warning in warnings(&settings) {
        eprintln!("postwarden: warning: {warning}");
    }
    if dry_run {
        print_dry_run(&outputs, &settings, snippet.as_deref());
        return Ok(ExitCode::SUCCESS);
    }
    refuse_existing(&outputs, force)?;
    let account = account::ensure(&settings.user, &settings.data_dir)?;
    for dir in settings.writable_dirs() {
        create_private_dir(&dir)?;
        account.own(&dir, true)?;
    }
    for output in &outputs {
        write_output(output, force)?;
        if output.service_reads {
            account.own(&output.path, false)?;
        }
        println!("wrote {} (mode {:04o})", output.path.display(), output.mode);
    }
    print_next_steps(&settings, snippet.as_deref());
    Ok(ExitCode::SUCCESS)
}

// ---- gathering the settings -------------------------------------------------------------

fn gather(args: SetupArgs, paths: &ConfigPaths, ask: &Asker) -> Result<Settings> {
    let config_out = args.config_out.or_else(|| paths.config.clone());
    let config_path = match config_out {
        Some(path) => absolute_path("--config-out", &path)?,
        None => absolute_path("--config-out", Path::new(DEFAULT_CONFIG))?,
    };
    let unit_dir_given = args.unit_dir.is_some();
    let unit_dir = args
        .unit_dir
        .unwrap_or_else(|| PathBuf::from(DEFAULT_UNIT_DIR));
    let unit_path = absolute_path("--unit-dir", &unit_dir)?.join(UNIT_NAME);
    let binary = match args.binary {
        Some(path) => absolute_path("--binary", &path)?,
        None => {
            std::env::current_exe().context("cannot tell where this binary is; pass --binary")?
        }
    };
    let data_dir = ask.value(
        "--data-dir",
        path_text("--data-dir", paths.data_dir.as_deref())?,
        "Data directory (database, quarantine)",
        DEFAULT_DATA_DIR,
        path_value,
    )?;
    let components = ask.list(
        "--components",
        args.components,
        &format!(
            "Components to run ({}), comma-separated",
            RunConfig::COMPONENTS.join(", ")
        ),
        DEFAULT_COMPONENTS,
        component,
    )?;
    let filter_listen = if components.iter().any(|c| c == "filter") {
        ask.value(
            "--filter-listen",
            args.filter_listen,
            "Address the content filter listens on",
            DEFAULT_FILTER_LISTEN,
            listen_address,
        )?
    } else {
        DEFAULT_FILTER_LISTEN.to_owned()
    };
    let postfix_config_dir = ask.value(
        "--postfix-config-dir",
        path_text("--postfix-config-dir", args.postfix_config_dir.as_deref())?,
        "Postfix configuration directory",
        DEFAULT_POSTFIX_DIR,
        path_value,
    )?;
    let store = gather_store(args.store_url, args.store_url_file.as_deref(), ask)?;
    let sms = gather_sms(
        args.sms_to,
        args.sms_username,
        args.sms_api_key_file.as_deref(),
        ask,
    )?;
    let mail_login = match (args.mail_username, args.mail_password_file) {
        (Some(user), Some(file)) => Some((
            checked("--mail-username", &user, plain_text)?,
            file_flag("--mail-password-file", &file, secret_file)?,
        )),
        _ => None,
    };
    let mail = gather_mail(
        MailFlags {
            to: args.mail_to,
            smtp: args.mail_smtp,
            security: args.mail_security,
            from: args.mail_from,
            login: mail_login,
        },
        ask,
    )?;
    let report = daily_report(&args.report_at, args.timezone, &components, &sms, &mail)?;
    Ok(Settings {
        origin: Origin::Setup,
        user: checked("--user", &args.user, account::user_name)?,
        config_path,
        unit_path,
        unit_dir_given,
        data_dir,
        binary,
        store,
        components,
        filter_listen,
        postfix_config_dir,
        probes: dedup(args.probes),
        report,
        sms,
        mail,
    })
}

/// The unit the Debian package installed, when `--unit-dir` leaves the choice to setup.
fn packaged_unit(s: &Settings) -> Option<String> {
    if s.unit_dir_given {
        return None;
    }
    std::fs::read_to_string(PACKAGED_UNIT).ok()
}

/// Two units that differ at most in their first line (the comment saying who wrote them).
fn same_unit(a: &str, b: &str) -> bool {
    let body = |text: &str| {
        text.split_once('\n')
            .map_or("", |(_, rest)| rest)
            .to_owned()
    };
    body(a) == body(b)
}

/// The configuration and the unit the Debian package installs: what `postwarden setup
/// --non-interactive` writes on a machine with the defaults, so the two never differ.
pub fn packaged_files() -> Result<(String, String)> {
    let settings = Settings {
        origin: Origin::Package,
        user: SERVICE_USER.to_owned(),
        config_path: PathBuf::from(DEFAULT_CONFIG),
        unit_path: PathBuf::from(PACKAGED_UNIT),
        unit_dir_given: true,
        data_dir: PathBuf::from(DEFAULT_DATA_DIR),
        binary: PathBuf::from(DEFAULT_BINARY),
        store: Store::Embedded,
        components: DEFAULT_COMPONENTS.split(',').map(str::to_owned).collect(),
        filter_listen: DEFAULT_FILTER_LISTEN.to_owned(),
        postfix_config_dir: PathBuf::from(DEFAULT_POSTFIX_DIR),
        probes: vec![Probe::Postfix, Probe::Queue, Probe::Disk],
        sms: None,
        mail: None,
        report: None,
    };
    let config = render_config(&settings);
    validate_generated(&config)?;
    Ok((config, render_unit(&settings)))
}

/// The daily report's `at` and zone: when `reports` runs, someone receives alerts, and
/// `--report-at` is not `off`.
fn daily_report(
    at: &str,
    timezone: Option<String>,
    components: &[String],
    sms: &Option<Sms>,
    mail: &Option<Mail>,
) -> Result<Option<(String, String)>> {
    let wanted = at != "off"
        && components.iter().any(|c| c == "reports")
        && (sms.is_some() || mail.is_some());
    if !wanted {
        return Ok(None);
    }
    let zone = timezone.unwrap_or_else(system_zone);
    let report = ScheduledReportConfig {
        at: Some(at.to_owned()),
        cron: None,
        timezone: zone.clone(),
        receivers: Vec::new(),
    };
    report
        .schedule("daily")
        .map_err(|e| anyhow!("--report-at/--timezone: {e}"))?;
    Ok(Some((at.to_owned(), zone)))
}

/// This machine's IANA zone (`/etc/timezone`, else the `/etc/localtime` link), else UTC.
fn system_zone() -> String {
    let named = std::fs::read_to_string("/etc/timezone")
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|zone| zone.parse::<chrono_tz::Tz>().is_ok());
    let linked = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let text = target.to_str()?;
        let zone = text.split_once("zoneinfo/")?.1.to_owned();
        zone.parse::<chrono_tz::Tz>().is_ok().then_some(zone)
    };
    named.or_else(linked).unwrap_or_else(|| "UTC".into())
}

fn gather_store(url: Option<String>, file: Option<&Path>, ask: &Asker) -> Result<Store> {
    if let Some(file) = file {
        return Ok(Store::File(file_flag(
            "--store-url-file",
            file,
            store_url_file,
        )?));
    }
    let url = ask.value(
        "--store-url",
        url,
        "Database URL (postgres://…, mysql://…; empty: SQLite in the data directory)",
        "",
        store_url,
    )?;
    Ok(if url.is_empty() {
        Store::Embedded
    } else {
        Store::Url(url)
    })
}

fn gather_sms(
    to: Vec<String>,
    username: Option<String>,
    key_file: Option<&Path>,
    ask: &Asker,
) -> Result<Option<Sms>> {
    let to = ask.list(
        "--sms-to",
        to,
        "SMS recipients of health alerts, +E.164, comma-separated (empty: none)",
        "",
        e164,
    )?;
    if to.is_empty() {
        return Ok(None);
    }
    let username = ask.required(
        "--sms-username",
        username,
        "ClickSend API username",
        plain_text,
    )?;
    let api_key_file = ask.required(
        "--sms-api-key-file",
        path_text("--sms-api-key-file", key_file)?,
        "File holding the ClickSend API key",
        path_value,
    )?;
    Ok(Some(Sms {
        username,
        api_key_file,
        to,
    }))
}

/// The e-mail flags, as given.
struct MailFlags {
    to: Vec<String>,
    smtp: Option<String>,
    security: Option<MailSecurity>,
    from: Option<String>,
    login: Option<(String, PathBuf)>,
}

fn gather_mail(flags: MailFlags, ask: &Asker) -> Result<Option<Mail>> {
    let to = ask.list(
        "--mail-to",
        flags.to,
        "E-mail recipients of health alerts, comma-separated (empty: none)",
        "",
        address,
    )?;
    if to.is_empty() {
        return Ok(None);
    }
    let smtp = ask.value(
        "--mail-smtp",
        flags.smtp,
        "SMTP server for alert mail",
        DEFAULT_MAIL_SMTP,
        host_port,
    )?;
    let from = ask.value(
        "--mail-from",
        flags.from,
        "From address of alert mail",
        &format!("postwarden@{}", host_name()),
        address,
    )?;
    Ok(Some(Mail {
        security: flags
            .security
            .unwrap_or_else(|| MailSecurity::for_server(&smtp)),
        smtp,
        from,
        login: flags.login,
        to,
    }))
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The directory of an SQLite database named by `sqlite://PATH` or `sqlite:PATH`.
fn sqlite_dir(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = Path::new(rest.split('?').next()?);
    path.is_absolute()
        .then(|| path.parent().map(Path::to_path_buf))
        .flatten()
}

/// A path as a shell word to copy into a command line: single-quoted unless plain.
fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._+-:@%,=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

// ---- writing ----------------------------------------------------------------------------

/// What the administrator should know before starting: files the unit hides from the
/// service, secret files still to be made, a password written into the configuration.
fn warnings(s: &Settings) -> Vec<String> {
    let mut paths = vec![
        ("the binary", s.binary.clone()),
        ("the configuration", s.config_path.clone()),
        ("the data directory", s.data_dir.clone()),
    ];
    if let Some(sms) = &s.sms {
        paths.push(("--sms-api-key-file", sms.api_key_file.clone()));
    }
    if let Some((_, file)) = s.mail.as_ref().and_then(|m| m.login.as_ref()) {
        paths.push(("--mail-password-file", file.clone()));
    }
    if let Store::File(file) = &s.store {
        paths.push(("--store-url-file", file.clone()));
    }
    let mut out: Vec<String> = paths
        .iter()
        .filter_map(|(what, path)| {
            hidden_by_unit(path).map(|why| format!("{what} {} is {why}", path.display()))
        })
        .collect();
    if !s.binary.exists() {
        out.push(format!(
            "the binary {} does not exist (--binary)",
            s.binary.display()
        ));
    }
    // The other secret files were read already: the configuration reads them when loaded.
    if let Some(sms) = &s.sms
        && !sms.api_key_file.exists()
    {
        out.push(format!(
            "{} (--sms-api-key-file) does not exist yet: create it before starting postwarden",
            sms.api_key_file.display()
        ));
    }
    if let Store::Url(url) = &s.store
        && Config::from_toml(&format!("[database]\nurl = {}\n", toml_string(url)))
            .is_ok_and(|c| !c.inline_secrets().is_empty())
    {
        out.push("--store-url holds a password, written into the configuration (mode 0600); --store-url-file keeps it in a file of its own".into());
    }
    out
}

/// Why the unit's sandbox hides `path` from the service, if it does.
fn hidden_by_unit(path: &Path) -> Option<&'static str> {
    let under = |dirs: &[&str]| dirs.iter().any(|d| path.starts_with(d));
    if under(&["/home", "/root", "/run/user"]) {
        Some("hidden from the service by the unit's ProtectHome=yes: move it, or edit the unit")
    } else if under(&["/tmp", "/var/tmp"]) {
        Some("hidden from the service by the unit's PrivateTmp=yes: move it, or edit the unit")
    } else {
        None
    }
}

fn print_dry_run(outputs: &[Output], s: &Settings, snippet: Option<&str>) {
    for output in outputs {
        let exists = if output.path.symlink_metadata().is_ok() {
            ", exists: replaced only with --force"
        } else {
            ""
        };
        println!(
            "# ==> {} (mode {:04o}{exists}) <==\n{}",
            output.path.display(),
            output.mode,
            output.text
        );
    }
    for dir in s.writable_dirs().iter().filter(|d| !d.exists()) {
        println!(
            "# ==> {} (directory, mode 0750, owner {}) <==\n",
            dir.display(),
            s.user
        );
    }
    if !account::exists(&s.user) {
        println!(
            "# ==> system user and group {user} (created; member of {groups} where they exist) <==\n",
            user = s.user,
            groups = account::GROUPS.join(", ")
        );
    }
    if let Some(snippet) = snippet {
        println!(
            "# ==> Postfix: add to {dir}/main.cf and {dir}/master.cf yourself (not written) <==\n{snippet}",
            dir = s.postfix_config_dir.display()
        );
    }
    eprintln!("postwarden: dry run: nothing was written");
}

/// Refuses to go on when any file exists and `--force` is not given, naming every one.
fn refuse_existing(outputs: &[Output], force: bool) -> Result<()> {
    let existing: Vec<String> = outputs
        .iter()
        .filter(|o| o.path.symlink_metadata().is_ok())
        .map(|o| o.path.display().to_string())
        .collect();
    if force || existing.is_empty() {
        return Ok(());
    }
    bail!(
        "{} already exists; nothing was written (pass --force to replace it)",
        existing.join(" and ")
    )
}

/// Creates a directory (and its parents) for the service and its group only; an existing
/// one is left as it is.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    println!("created {} (mode 0750)", dir.display());
    Ok(())
}

/// Writes a file atomically with its mode from the start: a temporary file beside it,
/// then renamed over it (`--force`) or linked into place (which fails if it exists).
fn write_output(output: &Output, force: bool) -> Result<()> {
    let path = &output.path;
    let parent = path
        .parent()
        .ok_or_else(|| anyhow!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = parent.join(format!(".{name}.setup-{}", std::process::id()));
    let result = write_temp(&temp, output).and_then(|()| {
        if force {
            std::fs::rename(&temp, path)
                .with_context(|| format!("cannot replace {}", path.display()))
        } else {
            std::fs::hard_link(&temp, path).with_context(|| {
                format!(
                    "cannot write {} (pass --force to replace it)",
                    path.display()
                )
            })
        }
    });
    let _ = std::fs::remove_file(&temp);
    result
}

fn write_temp(temp: &Path, output: &Output) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(output.mode)
        .open(temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    // The umask may have taken bits away; set exactly the mode wanted.
    file.set_permissions(std::fs::Permissions::from_mode(output.mode))?;
    file.write_all(output.text.as_bytes())?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", temp.display()))
}

fn print_next_steps(s: &Settings, snippet: Option<&str>) {
    let config = shell_word(&s.config_path);
    let mut steps = Vec::new();
    if let Some(sms) = &s.sms
        && !sms.api_key_file.exists()
    {
        steps.push(format!(
            "Put the ClickSend API key into {} (one line), then `chmod 600` it.",
            sms.api_key_file.display()
        ));
    }
    steps.push(format!(
        "See what the probes find: postwarden --config {config} health"
    ));
    if s.sms.is_some() || s.mail.is_some() {
        steps.push(format!(
            "Check the alert channels: postwarden --config {config} notify test"
        ));
    }
    steps.push(
        "Start postwarden: systemctl daemon-reload && systemctl enable --now postwarden\n     \
         and watch it: journalctl -u postwarden -f"
            .to_owned(),
    );
    if snippet.is_some() {
        steps.push(format!(
            "Put the content filter in Postfix's path: add the lines below to {dir}/main.cf and\n     \
             {dir}/master.cf, then `postfix check && postfix reload`.",
            dir = s.postfix_config_dir.display()
        ));
    }
    println!("\nNext steps:");
    for (i, step) in steps.iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
    match snippet {
        Some(snippet) => println!("\n{snippet}"),
        None => println!(
            "\nPostfix needs no change: the content filter is not among the components\n\
             (add `filter` to run.components, then see `postwarden postfix-config`)."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_differing_only_in_their_comment_line_are_the_same() {
        let (_, packaged) = packaged_files().unwrap();
        let by_hand = packaged.replacen(
            "installed by the postwarden package",
            "written by `postwarden setup`",
            1,
        );
        assert_ne!(packaged, by_hand);
        assert!(same_unit(&packaged, &by_hand));
        let other_user = by_hand.replace("User=postwarden", "User=mail");
        assert!(!same_unit(&packaged, &other_user));
    }

    #[test]
    fn mail_security_follows_the_server() {
        assert_eq!(MailSecurity::for_server("[::1]:25"), MailSecurity::None);
        assert_eq!(MailSecurity::for_server("localhost:25"), MailSecurity::None);
        assert_eq!(
            MailSecurity::for_server("smtp.example.org:465"),
            MailSecurity::Tls
        );
        assert_eq!(
            MailSecurity::for_server("smtp.example.org:587"),
            MailSecurity::Starttls
        );
    }

    #[test]
    fn sqlite_outside_the_data_dir_is_found() {
        assert_eq!(
            sqlite_dir("sqlite:///srv/pw/pw.db?mode=rwc"),
            Some(PathBuf::from("/srv/pw"))
        );
        assert_eq!(sqlite_dir("sqlite:relative.db"), None);
        assert_eq!(sqlite_dir("postgres://db/x"), None);
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word(Path::new("/etc/pw.toml")), "/etc/pw.toml");
        assert_eq!(shell_word(Path::new("/my dir/it's")), "'/my dir/it'\\''s'");
    }
}
