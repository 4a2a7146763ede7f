//! postwarden: protects and watches a Postfix mail server.
//!
//! This binary wires the library crates into commands. Each command group lives in its own
//! file under `commands/`; the log ingestion pipeline shared by `logs scan` and
//! `logs follow` lives in `ingest.rs`, and report rendering in `report.rs`.

mod commands;
mod context;
mod daemon;
mod ingest;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// mimalloc: the store writer and the parser allocate many small strings per log line;
/// the system allocator spent a quarter of a scan in malloc/free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

/// Protects and watches a Postfix mail server: reads its log, detects abuse, reports.
#[derive(Debug, Parser)]
#[command(
    name = "postwarden",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("POSTWARDEN_COMMIT"), ")"),
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Configuration file [default: ./postwarden.toml, then /etc/postwarden/postwarden.toml]
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "POSTWARDEN_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,
    /// State directory, overriding `data_dir` from the configuration
    #[arg(long, global = true, env = "POSTWARDEN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// How postwarden's own diagnostics are written to standard error
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// More diagnostics (-v debug, -vv trace); RUST_LOG overrides
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate or show the configuration
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Manage the database (migrations)
    #[command(subcommand)]
    Db(commands::db::DbCommand),
    /// Read Postfix logs: parse, scan, follow, export, anonymize
    #[command(subcommand)]
    Logs(commands::logs::LogsCommand),
    /// Print a report of authentication failures or mail traffic
    Report(commands::report::ReportArgs),
    /// Manage the country and ASN databases
    #[command(subcommand)]
    Geo(commands::geo::GeoCommand),
    /// Show country, ASN, organisation and reverse DNS of IP addresses
    Ip(commands::ip::IpArgs),
    /// Run the content filter: an SMTP server for Postfix's content_filter
    Filter(commands::filter::FilterArgs),
    /// Run the filter's processors and policy on a message file and print the verdicts
    Scan(commands::filter::ScanArgs),
    /// Run the filter before the queue: a milter for Postfix's smtpd_milters
    Milter(commands::filter::MilterArgs),
    /// Print the main.cf and master.cf lines that put the filter in Postfix's path
    PostfixConfig(commands::filter::PostfixConfigArgs),
    /// List, show, release or delete messages the filter quarantined
    #[command(subcommand)]
    Quarantine(commands::quarantine::QuarantineCommand),
    /// Send, test, preview and audit notifications
    #[command(subcommand)]
    Notify(commands::notify::NotifyCommand),
    /// Route events, group them and deliver the notifications that are due
    Dispatch(commands::notify::DispatchArgs),
    /// Store events from outside (JSON lines), with their own directives
    #[command(subcommand)]
    Events(commands::notify::EventsCommand),
    /// Run every health probe once and print what it found (non-zero exit when one fails)
    Health(commands::health::HealthArgs),
    /// Run the enabled components (run.components) as one supervised daemon
    Run,
    /// Run the web console and HTTP API (the `web` component alone)
    Web(commands::web::WebArgs),
    /// Manage the users of the console and the API, and their tokens
    #[command(subcommand)]
    Users(commands::users::UsersCommand),
    /// Run a user's own processing worker (--config worker.toml; docs/mq.md)
    Worker,
    /// What happened to a message
    #[command(subcommand)]
    Mail(MailCommand),
    /// Install postwarden: write its configuration and systemd unit, print the Postfix lines
    Setup(Box<commands::setup::SetupArgs>),
    /// Make manual pages, shell completions, the packaged unit and configuration
    #[command(subcommand)]
    Generate(commands::generate::GenerateCommand),
}

#[derive(Debug, clap::Subcommand)]
enum MailCommand {
    /// The requests to users' workers for a message (by its ref): state, action, latency
    Status {
        /// The message's ref (as in its 250 reply, the console and the events)
        reference: String,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
}

/// The status a shell expects of a process whose reader went away (128 + SIGPIPE).
const BROKEN_PIPE: u8 = 141;

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    init_tracing(cli.log_format, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::from(BROKEN_PIPE),
        Err(e) => fail(&e),
    }
}

/// `postwarden logs export … | head`: when the reader goes away, the output simply ends —
/// no `error: Broken pipe`, no panic message from `println!` — with status 141.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if text.contains("Broken pipe") {
            std::process::exit(i32::from(BROKEN_PIPE));
        }
        default(info);
    }));
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = context::ConfigPaths {
        config: cli.config,
        data_dir: cli.data_dir,
    };
    match cli.command {
        Command::Config(cmd) => commands::config::run(cmd, &paths),
        Command::Db(cmd) => commands::db::run(cmd, &paths).await,
        Command::Logs(cmd) => commands::logs::run(cmd, &paths).await,
        Command::Report(args) => commands::report::run(args, &paths).await,
        Command::Geo(cmd) => commands::geo::run(cmd, &paths).await,
        Command::Ip(args) => commands::ip::run(args, &paths).await,
        Command::Filter(args) => commands::filter::run(args, &paths).await,
        Command::Scan(args) => commands::filter::scan(args, &paths).await,
        Command::Milter(args) => commands::filter::milter(args, &paths).await,
        Command::PostfixConfig(args) => commands::filter::postfix_config(args, &paths),
        Command::Quarantine(cmd) => commands::quarantine::run(cmd, &paths).await,
        Command::Notify(cmd) => commands::notify::run(cmd, &paths).await,
        Command::Dispatch(args) => commands::notify::dispatch(args, &paths).await,
        Command::Events(cmd) => commands::notify::events(cmd, &paths).await,
        Command::Health(args) => commands::health::run(args, &paths).await,
        Command::Run => daemon::run(&paths).await,
        Command::Web(args) => commands::web::run(args, &paths).await,
        Command::Users(cmd) => commands::users::run(cmd, &paths).await,
        Command::Setup(args) => commands::setup::run(*args, &paths),
        Command::Generate(cmd) => commands::generate::run(cmd, Cli::command()),
        Command::Worker => commands::worker::run(&paths).await,
        Command::Mail(MailCommand::Status { reference, json }) => {
            commands::route::status(&reference, json, &paths).await
        }
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("postwarden: error: {error:#}");
    ExitCode::FAILURE
}

fn init_tracing(format: LogFormat, verbose: u8) {
    // PostgreSQL's notices (such as "relation already exists, skipping" on every start) are
    // only worth showing when they warn.
    let default = match verbose {
        0 => "info,sqlx::postgres::notice=warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
