//! `postwarden users add|list|remove|passwd|role|disable|enable|token`: the people who
//! sign in to the console and the API. A password never appears on a command line: it is
//! asked for on a terminal (twice) and read from the first line of stdin otherwise.

use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use postwarden_core::Role;
use postwarden_store::{NewUser, Store, UserRecord, UserSource};
use postwarden_web::{Keys, Scope, check_new_password, hash_password, issue_token, parse_expiry};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user (the password is asked for, or read from stdin)
    Add {
        email: String,
        /// admin, domain-admin or user
        #[arg(long, default_value = "user")]
        role: String,
        /// The domains a domain-admin administers (repeat or comma-separate)
        #[arg(long = "domain", value_delimiter = ',')]
        domains: Vec<String>,
        /// The name shown in the console
        #[arg(long)]
        name: Option<String>,
    },
    /// List users
    List {
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Remove a user, their sessions and tokens
    Remove { email: String },
    /// Set a user's password (asked for, or read from stdin); ends their sessions
    Passwd { email: String },
    /// Set a user's role (and a domain-admin's domains)
    Role {
        email: String,
        role: String,
        #[arg(long = "domain", value_delimiter = ',')]
        domains: Vec<String>,
    },
    /// Stop a user from signing in and their tokens from working
    Disable { email: String },
    /// Let a disabled user in again
    Enable { email: String },
    /// Issue an API token; prints only the token
    Token {
        email: String,
        /// How long it works (30d, 12h, 1y)
        #[arg(long, default_value = "30d")]
        expires: String,
        /// read, quarantine, lists, send, events (repeat or comma-separate); default all but events
        #[arg(long = "scope", value_delimiter = ',')]
        scopes: Vec<String>,
        /// A name to recognise it by in the console
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Send the user's mail to their own worker over RabbitMQ; prints the worker's settings
    Route {
        email: String,
        /// How long the filter waits for the worker (default `[mq] default_timeout`)
        #[arg(long)]
        timeout: Option<String>,
        /// tempfail (4xx, Postfix retries), pass, or quarantine
        #[arg(long, default_value = "tempfail")]
        on_timeout: String,
        /// Other addresses of this user that go to the same worker (repeat)
        #[arg(long = "alias")]
        aliases: Vec<String>,
    },
    /// Remove the user's route, its queue and its broker user
    Unroute { email: String },
}

pub async fn run(command: UsersCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let store = open_store(&config).await?;
    match command {
        UsersCommand::Add {
            email,
            role,
            domains,
            name,
        } => {
            let address = checked_address(&email)?;
            let role: Role = role.parse()?;
            let domains = checked_domains(role, &domains)?;
            let password = read_password(&format!("Password for {address}"))?;
            let hash = hash_password(&password);
            store
                .create_user(&NewUser {
                    address: &address,
                    display_name: name.as_deref(),
                    role,
                    domains: &domains,
                    password_hash: Some(&hash),
                    source: UserSource::Local,
                })
                .await
                .with_context(|| format!("adding {address}"))?;
            eprintln!("added {address} ({role})");
        }
        UsersCommand::List { json } => {
            // Each route with its last 24 hours (requests, latency, timeouts).
            let since = chrono::Utc::now() - chrono::Duration::hours(24);
            let mut routes = std::collections::HashMap::new();
            for route in store.routes().await? {
                let stats = store.route_stats(route.id, since).await?;
                routes.insert(route.user_id, (route, stats));
            }
            let mut out = std::io::stdout().lock();
            for user in store.users().await? {
                let route = routes.get(&user.id);
                if json {
                    let mut value = serde_json::to_value(&user)?;
                    value["route"] = serde_json::to_value(route.map(|(r, _)| r))?;
                    value["route_last_24h"] = serde_json::to_value(route.map(|(_, s)| s))?;
                    serde_json::to_writer(&mut out, &value)?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "{:<40} {:<12} {:<5} {}{}{}{}",
                        user.address,
                        user.role.as_str(),
                        user.source.as_str(),
                        user.last_login
                            .map(|t| format!("last sign-in {}", t.format("%Y-%m-%d %H:%M")))
                            .unwrap_or_else(|| "never signed in".into()),
                        if user.domains.is_empty() {
                            String::new()
                        } else {
                            format!("  domains: {}", user.domains.join(", "))
                        },
                        route
                            .map(|(r, stats)| format!(
                                "  route: {} (timeout {}, on_timeout {}{}){}",
                                r.queue,
                                humantime::format_duration(r.timeout),
                                r.on_timeout.as_str(),
                                if r.addresses.len() > 1 {
                                    format!(", addresses {}", r.addresses.join(", "))
                                } else {
                                    String::new()
                                },
                                route_figures(stats)
                            ))
                            .unwrap_or_default(),
                        if user.disabled { "  DISABLED" } else { "" },
                    )?;
                }
            }
        }
        UsersCommand::Remove { email } => {
            if let Some(found) = store.user_by_address(&email).await?
                && store.route_of_user(found.id).await?.is_some()
            {
                bail!(
                    "`{email}` has a route to their own worker; remove it first with \
                     `postwarden users unroute {email}` (it removes the broker user and queue too)"
                );
            }
            if !store.delete_user(&email).await? {
                bail!("no user `{email}` (see `postwarden users list`)");
            }
            eprintln!("removed {email}");
        }
        UsersCommand::Passwd { email } => {
            let user = user(&store, &email).await?;
            let password = read_password(&format!("New password for {}", user.address))?;
            store
                .set_password_hash(user.id, &hash_password(&password))
                .await?;
            store.delete_sessions_of(user.id).await?;
            eprintln!("password of {} changed; their sessions ended", user.address);
        }
        UsersCommand::Role {
            email,
            role,
            domains,
        } => {
            let user = user(&store, &email).await?;
            let role: Role = role.parse()?;
            let domains = checked_domains(role, &domains)?;
            store.set_role(user.id, role, &domains).await?;
            eprintln!("{} is now {role}", user.address);
        }
        UsersCommand::Disable { email } => {
            let user = user(&store, &email).await?;
            store.set_disabled(user.id, true).await?;
            store.delete_sessions_of(user.id).await?;
            eprintln!("{} is disabled", user.address);
        }
        UsersCommand::Enable { email } => {
            let user = user(&store, &email).await?;
            store.set_disabled(user.id, false).await?;
            eprintln!("{} is enabled", user.address);
        }
        UsersCommand::Token {
            email,
            expires,
            scopes,
            name,
        } => {
            let user = user(&store, &email).await?;
            if user.disabled {
                bail!(
                    "{} is disabled; `postwarden users enable` first",
                    user.address
                );
            }
            let scopes = if scopes.is_empty() {
                Scope::defaults()
            } else {
                scopes
                    .iter()
                    .map(|s| {
                        Scope::parse(s).with_context(|| {
                            format!(
                                "unknown scope `{s}`; use read, quarantine, lists, send, events"
                            )
                        })
                    })
                    .collect::<Result<_>>()?
            };
            let valid =
                parse_expiry(&expires).map_err(|e| anyhow::anyhow!("--expires: {}", e.message))?;
            let keys = Keys::load_or_create(&config.data_dir).with_context(|| {
                format!("reading the console's key in {}", config.data_dir.display())
            })?;
            let issued = issue_token(
                &store,
                &keys,
                &user,
                &name,
                &scopes,
                valid,
                config.web.token_max,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            println!("{}", issued.token);
        }
        UsersCommand::Route {
            email,
            timeout,
            on_timeout,
            aliases,
        } => {
            let args = super::route::RouteArgs {
                email,
                timeout,
                on_timeout,
                aliases,
            };
            return super::route::route(args, &config, &store).await;
        }
        UsersCommand::Unroute { email } => {
            return super::route::unroute(&email, &config, &store).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user(store: &Store, email: &str) -> Result<UserRecord> {
    store
        .user_by_address(email)
        .await?
        .with_context(|| format!("no user `{email}` (see `postwarden users list`)"))
}

fn checked_address(email: &str) -> Result<String> {
    let address = email.trim().to_lowercase();
    if !postwarden_core::users::is_address(&address) {
        bail!("`{email}` is not an e-mail address");
    }
    Ok(address)
}

fn checked_domains(role: Role, domains: &[String]) -> Result<Vec<String>> {
    let domains: Vec<String> = domains
        .iter()
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(bad) = domains
        .iter()
        .find(|d| !postwarden_core::users::is_domain(d))
    {
        bail!("`{bad}` is not a domain");
    }
    match role {
        Role::DomainAdmin if domains.is_empty() => {
            bail!("a domain-admin needs --domain (the domains they administer)")
        }
        Role::DomainAdmin => Ok(domains),
        _ if !domains.is_empty() => bail!("--domain is for domain-admins only"),
        _ => Ok(domains),
    }
}

/// Asks twice on a terminal; otherwise reads the first line of stdin.
fn read_password(prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = prompt_hidden(&format!("{prompt}: "))?;
        let again = prompt_hidden("Again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    check_new_password(&password).map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
    Ok(password)
}

/// Reads a line from the terminal with echo turned off (`stty -echo`).
fn prompt_hidden(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
    };
    let _ = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    let _ = stty("echo");
    eprintln!();
    read.context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// A route's last 24 hours, for `users list`.
fn route_figures(stats: &postwarden_store::RouteStats) -> String {
    if stats.requests == 0 {
        return ", no requests in 24 h".into();
    }
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    format!(
        ", 24 h: {} requests, {} timed out, {} failed, p50 {}, p99 {}",
        stats.requests,
        stats.timed_out,
        stats.failed,
        ms(stats.latency_p50_ms),
        ms(stats.latency_p99_ms)
    )
}
