//! `postwarden users route EMAIL` and `users unroute EMAIL`: a user's own worker, provisioned
//! on the broker and stored as a route ([`postwarden_mq::create_route`]); and `postwarden
//! mail status REF`: what each worker said about a message.
//!
//! Only whoever may run the CLI against the store and the broker (an admin) makes routes.
//! The worker's password is printed once, in `broker_url`, and kept nowhere else.

use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result, bail};
use postwarden_core::{Config, OnTimeout};
use postwarden_mq::{RouteRequest, topology};
use postwarden_store::Store;
use std::process::ExitCode;
use std::time::Duration;

/// What `users route` was asked.
pub struct RouteArgs {
    pub email: String,
    pub timeout: Option<String>,
    pub on_timeout: String,
    pub aliases: Vec<String>,
}

/// `users route`, on the configuration and store `users` opened.
pub async fn route(args: RouteArgs, config: &Config, store: &Store) -> Result<ExitCode> {
    let timeout = match &args.timeout {
        Some(text) => humantime::parse_duration(text)
            .with_context(|| format!("--timeout `{text}`: use a duration such as 30s or 2m"))?,
        None => config.mq.default_timeout,
    };
    let longest = postwarden_filter::routes::MAX_ROUTE_TIMEOUT;
    if timeout < Duration::from_millis(100) || timeout > longest {
        bail!(
            "--timeout must be between 100ms and {} (Postfix waits smtp_data_done_timeout for the filter)",
            humantime::format_duration(longest)
        );
    }
    let on_timeout: OnTimeout = args
        .on_timeout
        .parse()
        .map_err(|e| anyhow::anyhow!("--on-timeout: {e}"))?;
    let mut aliases = Vec::new();
    for alias in &args.aliases {
        let alias = alias.trim().to_lowercase();
        if !postwarden_core::users::is_address(&alias) {
            bail!("--alias `{alias}` is not an address");
        }
        aliases.push(alias);
    }
    let user = store.user_by_address(&args.email).await?.with_context(|| {
        format!(
            "no user `{}`; add one with `postwarden users add`",
            args.email
        )
    })?;
    let made = postwarden_mq::create_route(
        &config.mq,
        store,
        &RouteRequest {
            user: &user,
            timeout,
            on_timeout,
            aliases: &aliases,
        },
    )
    .await?;
    let route = &made.route;
    println!("user = {}", route.user_address);
    println!("addresses = {}", route.addresses.join(", "));
    println!("broker_url = {}", made.broker_url.expose());
    println!("broker_user = {}", route.broker_user);
    println!("queue = {}", route.queue);
    println!("reply_exchange = {}", topology::REPLIES_EXCHANGE);
    println!("timeout = {}", humantime::format_duration(route.timeout));
    println!("on_timeout = {}", route.on_timeout.as_str());
    eprintln!(
        "postwarden: the password in broker_url is shown only now; put broker_url and queue \
         in the worker's [worker] section as `broker` and `queue` (docs/mq.md)"
    );
    Ok(ExitCode::SUCCESS)
}

/// `users unroute`, on the configuration and store `users` opened.
pub async fn unroute(email: &str, config: &Config, store: &Store) -> Result<ExitCode> {
    let user = store
        .user_by_address(email)
        .await?
        .with_context(|| format!("no user `{email}`"))?;
    let route = postwarden_mq::remove_route(&config.mq, store, &user).await?;
    println!(
        "removed the route of {} (queue {}, broker user {})",
        route.user_address, route.queue, route.broker_user
    );
    Ok(ExitCode::SUCCESS)
}

/// `postwarden mail status REF`.
pub async fn status(reference: &str, json: bool, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let store: Store = open_store(&config).await?;
    let requests = store.requests_of(reference).await?;
    if requests.is_empty() {
        bail!("no worker was asked about message `{reference}`");
    }
    for request in &requests {
        if json {
            println!("{}", serde_json::to_string(request)?);
            continue;
        }
        let latency = request
            .latency()
            .map(|l| format!("{} ms", l.as_millis()))
            .unwrap_or_else(|| "-".into());
        println!(
            "{}  {}  {}  state={}  action={}  latency={}  node={}{}{}",
            request.sent.format("%Y-%m-%d %H:%M:%S%.3f"),
            request.user_address,
            request.recipients.join(","),
            request.state.as_str(),
            request.action.as_deref().unwrap_or("-"),
            latency,
            request.node,
            if request.tags.is_empty() {
                String::new()
            } else {
                format!("  tags={}", request.tags.join(","))
            },
            request
                .detail
                .as_deref()
                .map(|d| format!("  ({d})"))
                .unwrap_or_default(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
