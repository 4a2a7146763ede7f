//! `postwarden notify send|test|render|log`, `postwarden dispatch` and
//! `postwarden events ingest`: the notification engine from the command line.

use crate::commands::filter::hostname;
use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use postwarden_notify::Dispatcher;
use postwarden_notify::parse_ingest_line;
use postwarden_notify::{RenderInput, Templates};
use postwarden_store::{NewDirective, StoredEvent};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send one text now, through the same limits and audit as every notification; exits
    /// non-zero saying why when it was held back or the provider did not take it
    Send {
        /// The channel, as named in [channels.NAME]
        #[arg(long)]
        channel: String,
        /// The recipient: an E.164 number for SMS, an address for e-mail
        #[arg(long)]
        to: String,
        /// The text (for e-mail, its first line is also the subject)
        text: String,
    },
    /// Check a channel (all when none is named) without sending: credentials, connection
    Test { channel: Option<String> },
    /// Render a template for one or more events and print it
    Render {
        /// Template name (built-ins: email, sms, webhook, abuse_report)
        template: String,
        /// An event as JSON, in the `events ingest` format (repeat for several)
        #[arg(long, required = true)]
        event: Vec<String>,
        /// text, html, csv, sms or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Print the audit log: every attempt with its ticket, status and provider's answer
    Log {
        /// From this time (RFC 3339) or this long ago ("2h"); default: 24 hours ago
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// One pass (route, group, deliver what is due) and exit, as mailgen's run
    #[arg(long)]
    once: bool,
    /// Run the pass as if it were this time (RFC 3339): for trying timers and limits
    #[arg(long, hide = true, value_name = "TIME")]
    at: Option<DateTime<Utc>>,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Store events from a file of JSON lines (`-`: standard input); events may carry their
    /// own directives. Every line is checked first: a bad one stores nothing.
    Ingest { file: PathBuf },
}

pub async fn run(command: NotifyCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    match command {
        NotifyCommand::Render {
            template,
            event,
            format,
        } => render(&config, &template, &event, &format),
        NotifyCommand::Log { since, limit, json } => {
            let store = open_store(&config).await?;
            log(&store, since.as_deref(), limit, json).await
        }
        NotifyCommand::Send { channel, to, text } => {
            let store = open_store(&config).await?;
            let dispatcher =
                Dispatcher::new(&config, store, &hostname(&config)).map_err(anyhow::Error::msg)?;
            send(&dispatcher, &channel, &to, &text).await
        }
        NotifyCommand::Test { channel } => {
            let store = open_store(&config).await?;
            let dispatcher =
                Dispatcher::new(&config, store, &hostname(&config)).map_err(anyhow::Error::msg)?;
            test(&dispatcher, &config, channel.as_deref()).await
        }
    }
}

async fn send(dispatcher: &Dispatcher, channel: &str, to: &str, text: &str) -> Result<ExitCode> {
    let (ticket, state) = dispatcher
        .send_now(channel, to, text, Utc::now())
        .await
        .map_err(anyhow::Error::msg)?;
    let why = state.last_error.unwrap_or_default();
    match state.status.as_str() {
        "sent" => {
            println!(
                "sent: ticket {ticket}{}",
                state
                    .provider_id
                    .map(|id| format!(", provider id {id}"))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        "ready" => {
            bail!("not delivered yet (ticket {ticket}): {why}; the dispatcher will retry it")
        }
        status => bail!("not sent (ticket {ticket}): {status}: {why}"),
    }
}

async fn test(
    dispatcher: &Dispatcher,
    config: &postwarden_core::Config,
    only: Option<&str>,
) -> Result<ExitCode> {
    let names: Vec<&String> = match only {
        Some(name) if !config.channels.contains_key(name) => {
            bail!("no channel `{name}` in the configuration")
        }
        Some(_) => config
            .channels
            .keys()
            .filter(|n| Some(n.as_str()) == only)
            .collect(),
        None => config.channels.keys().collect(),
    };
    if names.is_empty() {
        bail!("no channels are configured ([channels.NAME])");
    }
    let mut failed = false;
    for name in names {
        let Some(channel) = dispatcher.channel(name) else {
            continue;
        };
        match channel.check().await {
            Ok(line) => println!("{name}: ok: {line}"),
            Err(e) => {
                failed = true;
                println!("{name}: FAILED: {e}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn render(
    config: &postwarden_core::Config,
    template: &str,
    events: &[String],
    format: &str,
) -> Result<ExitCode> {
    let templates = Templates::load(
        config.notify.templates_dir.as_deref(),
        config.notify.max_value_length,
    )
    .map_err(anyhow::Error::msg)?;
    let now = Utc::now();
    let stored: Vec<StoredEvent> = events
        .iter()
        .enumerate()
        .map(|(i, json)| {
            parse_ingest_line(json, &config.channels, now)
                .map(|(event, _)| StoredEvent {
                    id: i as i64 + 1,
                    event,
                })
                .map_err(|e| anyhow::anyhow!("--event {}: {e}", i + 1))
        })
        .collect::<Result<_>>()?;
    let labels = BTreeMap::new();
    let ticket = format!("{}-00000000", now.format("%Y%m%d"));
    let host = hostname(config);
    let rendered = templates
        .render(
            template,
            format,
            RenderInput {
                events: &stored,
                labels: &labels,
                ticket: &ticket,
                channel: "preview",
                recipient: "preview",
                hostname: &host,
            },
        )
        .map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    if !rendered.subject.is_empty() {
        writeln!(out, "Subject: {}\n", rendered.subject)?;
    }
    writeln!(out, "{}", rendered.body)?;
    if format == "sms" {
        let segments = postwarden_notify::sms::segments(&rendered.body);
        writeln!(
            out,
            "\n({} characters, {}, {} part{})",
            rendered.body.chars().count(),
            if segments.ucs2 { "UCS-2" } else { "GSM-7" },
            segments.parts,
            if segments.parts == 1 { "" } else { "s" }
        )?;
    }
    for (name, part) in [("HTML", &rendered.html), ("CSV", &rendered.csv)] {
        if let Some(part) = part {
            writeln!(out, "\n--- {name} ---\n{part}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--since`: an RFC 3339 time or a duration back from now.
fn since_time(since: Option<&str>) -> Result<DateTime<Utc>> {
    let Some(text) = since else {
        return Ok(Utc::now() - chrono::Duration::hours(24));
    };
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let ago = humantime::parse_duration(text).with_context(|| {
        format!("--since `{text}`: give an RFC 3339 time or a duration like 2h")
    })?;
    Ok(Utc::now() - chrono::Duration::from_std(ago)?)
}

async fn log(
    store: &postwarden_store::Store,
    since: Option<&str>,
    limit: u32,
    json: bool,
) -> Result<ExitCode> {
    let rows = store.notify_attempts(since_time(since)?, limit).await?;
    let mut out = std::io::stdout().lock();
    for row in rows {
        if json {
            serde_json::to_writer(&mut out, &row)?;
            writeln!(out)?;
            continue;
        }
        let detail = [
            row.code.clone(),
            row.message.clone(),
            row.provider_id.clone().map(|id| format!("id {id}")),
            row.parts.map(|p| format!("{p} parts")),
            row.price.clone().map(|p| format!("price {p}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
        writeln!(
            out,
            "{}  {}  {:<12}  {} → {}  {}  events [{}]  {}",
            row.time.format("%Y-%m-%d %H:%M:%S"),
            row.ticket,
            row.status,
            row.channel,
            row.recipient.escape_debug(),
            row.template,
            row.event_ids,
            detail.escape_debug()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn dispatch(args: DispatchArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let store = open_store(&config).await?;
    let dispatcher =
        Dispatcher::new(&config, store, &hostname(&config)).map_err(anyhow::Error::msg)?;
    if args.once {
        let pass = dispatcher
            .run_once(args.at.unwrap_or_else(Utc::now))
            .await?;
        println!(
            "routed {} events; {} notifications; sent {}, failed {}, retrying {}, held back {}, duplicates {}",
            pass.events_routed,
            pass.notifications,
            pass.sent,
            pass.failed,
            pass.retried,
            pass.held,
            pass.duplicates
        );
        return Ok(if pass.failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    // Listening for SIGINT starts now, not when the loop first waits: a SIGINT during the
    // first pass stops the dispatcher cleanly instead of killing it.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for SIGINT")?;
    dispatcher
        .run(async move {
            interrupt.recv().await;
        })
        .await;
    Ok(ExitCode::SUCCESS)
}

pub async fn events(command: EventsCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let EventsCommand::Ingest { file } = command;
    let config = paths.load()?;
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?,
        ))
    };
    let now = Utc::now();
    let mut items: Vec<(postwarden_core::Event, Vec<NewDirective>)> = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_ingest_line(&line, &config.channels, now) {
            Ok((event, specs)) => {
                let directives = specs.into_iter().map(|d| d.into_new(now)).collect();
                items.push((event, directives));
            }
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if !errors.is_empty() {
        let shown: Vec<&String> = errors.iter().take(20).collect();
        bail!(
            "{} bad line{}; nothing was stored:\n  {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    let store = open_store(&config).await?;
    let directives: usize = items.iter().map(|(_, d)| d.len()).sum();
    store.insert_events_with_directives(&items).await?;
    println!("stored {} events with {directives} directives", items.len());
    Ok(ExitCode::SUCCESS)
}
