//! `postwarden filter` (the content filter's SMTP server), `postwarden scan FILE.eml` (the
//! same processors and policy offline) and `postwarden postfix-config` (the main.cf and
//! master.cf lines that put the filter in Postfix's path).

use crate::context::{ConfigPaths, host_name, open_store};
use anyhow::{Context, Result};
use clap::Args;
use postwarden_core::Config;
use postwarden_core::config::{BareNewlineMode, FilterConfig};
use postwarden_filter::quarantine::Quarantine;
use postwarden_filter::{Filter, Scanned};
use postwarden_smtp::BareNewline;
use postwarden_smtp::server::{Envelope, ServerConfig, serve};
use postwarden_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Listen here instead of `filter.listen`
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct MilterArgs {
    /// Listen here instead of `milter.listen` (`host:port` or `unix:/path`)
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct PostfixConfigArgs {
    /// The lines for the milter (before the queue) instead of the content filter
    #[arg(long)]
    milter: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The message (RFC 5322, as in a .eml file)
    file: PathBuf,
    /// Envelope sender
    #[arg(long, default_value = "")]
    from: String,
    /// Envelope recipients
    #[arg(long = "to", default_value = "postmaster@localhost")]
    to: Vec<String>,
    /// The original client's address (as Postfix's XFORWARD ADDR would give it)
    #[arg(long)]
    client_ip: Option<String>,
    /// The original client's HELO name (XFORWARD HELO), for SPF
    #[arg(long)]
    helo: Option<String>,
    /// Print JSON instead of text
    #[arg(long, value_enum, default_value = "text")]
    format: ScanFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ScanFormat {
    Text,
    Json,
}

/// Builds the filter from the configuration: store, quarantine directory, processors.
/// Our name in the greeting and in EHLO to the next hop.
pub fn hostname(config: &Config) -> String {
    config.filter.hostname.clone().unwrap_or_else(host_name)
}

/// `filter.quarantine_dir`, by default `<data_dir>/quarantine`.
pub fn quarantine_dir(config: &Config) -> PathBuf {
    config.quarantine_dir()
}

async fn build(config: &Config, store: Store) -> Result<Filter> {
    Filter::build(
        &config.filter,
        &config.dns,
        &hostname(config),
        Quarantine::new(quarantine_dir(config)),
        Some(store),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))
}

pub async fn run(args: FilterArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let listen = args.listen.unwrap_or_else(|| config.filter.listen.clone());
    // Listening starts now (a SIGINT before the first session is a clean stop too).
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for SIGINT")?;
    let shutdown = async move {
        interrupt.recv().await;
        tracing::info!("shutting down: no new sessions; finishing those in flight");
    };
    let store = open_store(&config).await?;
    let listener = bind_filter(&listen).await?;
    serve_filter(&config, store, listener, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// The filter's socket on `listen`.
pub async fn bind_filter(listen: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (filter.listen)"))
}

/// Runs the content filter on `listener` until `shutdown` resolves; sessions in flight then
/// finish (`postwarden filter` and `postwarden run`).
pub async fn serve_filter(
    config: &Config,
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let mut filter = build(config, store.clone()).await?;
    if let Some(url) = &config.mq.url {
        let node = config.mq.node_name();
        tracing::info!(%node, "per-user processing through the broker");
        filter = filter.with_rpc(postwarden_mq::Rpc::start(
            url.clone(),
            node,
            config.mq.connect_timeout,
            Some(store),
        ));
    }
    let filter = Arc::new(filter);
    postwarden_filter::start_held(&filter, std::time::Duration::from_secs(5));
    let listen = listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    let server = ServerConfig {
        hostname: hostname(config),
        max_message_size: config.filter.max_message_size,
        max_recipients: config.filter.max_recipients,
        max_sessions: config.filter.max_sessions,
        bare_newline: match config.filter.bare_newline {
            BareNewlineMode::Normalize => BareNewline::Normalize,
            BareNewlineMode::Reject => BareNewline::Reject,
        },
        command_timeout: config.filter.command_timeout,
        data_timeout: config.filter.data_timeout,
    };
    tracing::info!(%listen, next_hop = %config.filter.next_hop, "content filter listening");
    serve(listener, Arc::new(server), filter, shutdown).await?;
    Ok(())
}

pub async fn scan(args: ScanArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let filter = build(&config, open_store(&config).await?).await?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut envelope = Envelope {
        mail_from: args.from,
        recipients: args.to,
        ..Envelope::default()
    };
    if let Some(ip) = args.client_ip {
        if ip.parse::<std::net::IpAddr>().is_err() {
            anyhow::bail!("--client-ip: `{ip}` is not an IP address");
        }
        envelope.xforward.push(("ADDR".into(), ip));
    }
    if let Some(helo) = args.helo {
        envelope.xforward.push(("HELO".into(), helo));
    }
    // CRLF line ends, as the filter stores what it receives over SMTP.
    let scanned = Scanned::new(envelope, postwarden_smtp::crlf_line_ends(&bytes));
    let mut findings = filter
        .findings(&scanned)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let users = filter.user_settings(&scanned).await;
    postwarden_filter::add_user_findings(&scanned, &mut findings, &users);
    let decisions = filter.decisions(&scanned, &findings, &users);
    let authentication_results = scanned.auth().map(|a| a.header.clone());
    match args.format {
        ScanFormat::Json => {
            let verdicts: Vec<_> = decisions
                .iter()
                .map(|(r, d)| serde_json::json!({"recipient": r, "action": d.action, "score": d.score, "reason": d.reason}))
                .collect();
            let scores = scanned.phishing();
            println!(
                "{}",
                serde_json::json!({
                    "findings": findings,
                    "phishing": scores.map(|s| s.phishing),
                    "bec": scores.map(|s| s.bec),
                    "phishing_reasons": scores.map(|s| &s.phishing_reasons),
                    "bec_reasons": scores.map(|s| &s.bec_reasons),
                    "authentication_results": authentication_results,
                    "verdicts": verdicts,
                })
            );
        }
        ScanFormat::Text => {
            for f in &findings {
                println!(
                    "finding  {:<13} {:>7.1}  {}  {}",
                    f.processor,
                    f.score,
                    f.tags
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    f.reason
                );
            }
            if let Some(scores) = scanned.phishing() {
                println!("phishing {:.2}  bec {:.2}", scores.phishing, scores.bec);
            }
            if let Some(header) = &authentication_results {
                println!("Authentication-Results: {}", header.replace("\r\n", "\n"));
            }
            for (recipient, d) in &decisions {
                println!(
                    "verdict  {recipient}: {} (score {:.1}; {})",
                    d.action.as_str(),
                    d.score,
                    d.reason
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn postfix_config(args: PostfixConfigArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    if args.milter {
        print!("{}", milter_snippet(&config.milter));
    } else {
        print!("{}", postfix_snippet(&config.filter));
    }
    Ok(ExitCode::SUCCESS)
}

/// The main.cf lines that put the milter in smtpd's path (`postwarden postfix-config
/// --milter`).
pub fn milter_snippet(milter: &postwarden_core::config::MilterConfig) -> String {
    let address = match milter.listen.strip_prefix("unix:") {
        Some(path) => format!("unix:{path}"),
        None => {
            let (host, port) = host_and_port(&milter.listen, "11332");
            if host.contains(':') {
                format!("inet:[{host}]:{port}")
            } else {
                format!("inet:{host}:{port}")
            }
        }
    };
    format!(
        "\
# ---- main.cf: postwarden as a milter of the SMTP server ({listen})
smtpd_milters = {address}
# Mail submitted locally (sendmail, pickup) skips it; add it here to scan that too.
non_smtpd_milters =
# The milter down or too slow: the client is told to try again (4xx), nothing is accepted
# unscanned and nothing is lost.
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 300s
# The macros postwarden reads: the queue id, the client's address and name.
milter_connect_macros = j {{client_addr}} {{client_name}} {{daemon_name}} v
milter_end_of_data_macros = i {{auth_authen}}
",
        listen = milter.listen,
    )
}

/// `postwarden milter`: the filter's processors and policy before the queue.
pub async fn milter(args: MilterArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let listen = args.listen.unwrap_or_else(|| config.milter.listen.clone());
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for SIGINT")?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    let store = open_store(&config).await?;
    let listener = bind_milter(&listen, &config).await?;
    serve_milter(&config, store, listener, async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down: no new milter connections; finishing those in flight");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The milter's socket on `listen`.
pub async fn bind_milter(
    listen: &str,
    config: &Config,
) -> Result<postwarden_filter::milter::Listener> {
    let mode = config
        .milter
        .socket_mode
        .as_deref()
        .map(|m| u32::from_str_radix(m, 8))
        .transpose()
        .context("milter.socket_mode")?;
    postwarden_filter::milter::Listener::bind(listen, mode)
        .await
        .with_context(|| format!("cannot listen on {listen} (milter.listen)"))
}

/// Runs the milter on `listener` until `shutdown`; sessions in flight then finish.
pub async fn serve_milter(
    config: &Config,
    store: Store,
    listener: postwarden_filter::milter::Listener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let filter = Arc::new(build(config, store).await?);
    tracing::info!(listen = %config.milter.listen, "milter listening");
    postwarden_filter::milter::serve(listener, filter, &config.milter, shutdown).await;
    Ok(())
}

/// The main.cf and master.cf lines that send mail through the filter at `filter.listen`
/// and take it back at `filter.next_hop` (`postwarden postfix-config` and `postwarden setup`).
pub fn postfix_snippet(filter: &FilterConfig) -> String {
    let listen = &filter.listen;
    let (listen_host, listen_port) = host_and_port(listen, "10024");
    let (next_host, next_port) = host_and_port(&filter.next_hop, "10025");
    // master.cf writes an IPv6 listener in brackets; main.cf's nexthop always has them.
    let next_host = if next_host.contains(':') {
        format!("[{next_host}]")
    } else {
        next_host
    };
    format!(
        "\
# ---- main.cf: send every accepted message through postwarden ({listen})
content_filter = postwarden:[{listen_host}]:{listen_port}

# ---- master.cf: the transport to postwarden, and the smtpd that takes mail back
postwarden unix  -       -       n       -       {sessions}      smtp
  -o smtp_data_done_timeout=1200
  -o smtp_send_xforward_command=yes
  -o disable_mime_output_conversion=yes
  -o smtp_generic_maps=
{next_host}:{next_port} inet  n  -       n       -       -       smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8,[::1]/128
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8,[::1]/128
",
        sessions = filter.max_sessions.min(20),
    )
}

/// The host (IPv6 without its brackets) and port of `HOST:PORT`, `[IPV6]:PORT` or `HOST`.
fn host_and_port(address: &str, default_port: &str) -> (String, String) {
    if let Ok(socket) = address.parse::<std::net::SocketAddr>() {
        return (socket.ip().to_string(), socket.port().to_string());
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host.to_owned(), port.to_owned()),
        _ => (
            address.trim_matches(['[', ']']).to_owned(),
            default_port.to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_get_postfix_brackets_once() {
        let filter = FilterConfig {
            listen: "[::1]:10024".into(),
            next_hop: "[::1]:10025".into(),
            ..FilterConfig::default()
        };
        let snippet = postfix_snippet(&filter);
        assert!(
            snippet.contains("content_filter = postwarden:[::1]:10024\n"),
            "{snippet}"
        );
        assert!(snippet.contains("\n[::1]:10025 inet "), "{snippet}");
        let filter = FilterConfig::default();
        let snippet = postfix_snippet(&filter);
        assert!(
            snippet.contains("content_filter = postwarden:[127.0.0.1]:10024\n"),
            "{snippet}"
        );
        assert!(snippet.contains("\n127.0.0.1:10025 inet "), "{snippet}");
    }
}
