//! `postwarden users route EMAIL` and `users unroute EMAIL`: a user's own worker, provisioned
//! on the broker (broker user and permissions, quorum queue and binding) and stored as a
//! route; and `postwarden mail status REF`: what each worker said about a message.
//!
//! Only whoever may run the CLI against the store and the broker (an admin) makes routes.
//! The worker's password is printed once, in `broker_url`, and kept nowhere else.

use crate::context::{ConfigPaths, open_store};
use anyhow::{Context, Result, bail};
use lapin::{Connection, ConnectionProperties};
use postwarden_core::{Config, OnTimeout};
use postwarden_mq::{BrokerUrl, Provisioner, WorkerUser, new_password, topology};
use postwarden_store::{NewRoute, Store};
use std::process::ExitCode;
use std::time::Duration;

/// What `users route` was asked.
pub struct RouteArgs {
    pub email: String,
    pub timeout: Option<String>,
    pub on_timeout: String,
    pub aliases: Vec<String>,
}

fn broker(config: &Config) -> Result<BrokerUrl> {
    let url = config.mq.url.as_ref().context(
        "per-user processing needs a broker: set `[mq] url = \"amqp://…\"` in the configuration",
    )?;
    Ok(BrokerUrl::parse(url.expose())?)
}

async fn connect(config: &Config) -> Result<Connection> {
    let url = config.mq.url.as_ref().context("`[mq] url` is not set")?;
    let shown = BrokerUrl::parse(url.expose())?.redacted();
    tokio::time::timeout(
        config.mq.connect_timeout,
        Connection::connect(url.expose(), ConnectionProperties::default()),
    )
    .await
    .with_context(|| format!("connecting to the broker at {shown} timed out"))?
    .with_context(|| format!("cannot connect to the broker at {shown} (`[mq] url`)"))
}

pub async fn route(args: RouteArgs, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let url = broker(&config)?;
    let timeout = match &args.timeout {
        Some(text) => humantime::parse_duration(text)
            .with_context(|| format!("--timeout `{text}`: use a duration such as 30s or 2m"))?,
        None => config.mq.default_timeout,
    };
    if timeout < Duration::from_millis(100) || timeout > postwarden_filter::routes::MAX_ROUTE_TIMEOUT {
        bail!(
            "--timeout must be between 100ms and {} (Postfix waits smtp_data_done_timeout for the filter)",
            humantime::format_duration(postwarden_filter::routes::MAX_ROUTE_TIMEOUT)
        );
    }
    let on_timeout: OnTimeout = args
        .on_timeout
        .parse()
        .map_err(|e| anyhow::anyhow!("--on-timeout: {e}"))?;
    let store = open_store(&config).await?;
    let user = store
        .user_by_address(&args.email)
        .await?
        .with_context(|| format!("no user `{}`; add one with `postwarden users add`", args.email))?;
    if store.route_of_user(user.id).await?.is_some() {
        bail!(
            "`{}` has a route already; `postwarden users unroute {}` first",
            user.address,
            user.address
        );
    }
    let mut addresses = vec![user.address.clone()];
    for alias in &args.aliases {
        let alias = alias.trim().to_lowercase();
        if !postwarden_core::users::is_address(&alias) {
            bail!("--alias `{alias}` is not an address");
        }
        if !addresses.contains(&alias) {
            addresses.push(alias);
        }
    }
    let queue = topology::user_queue(user.id);
    let broker_user = topology::broker_user(user.id);
    let password = new_password();
    let (configure, write, read) = topology::worker_permissions(&queue);
    Provisioner::from_config(&config.mq)?
        .create_worker_user(&WorkerUser {
            name: &broker_user,
            password: &password,
            vhost: &url.vhost,
            configure: &configure,
            write: &write,
            read: &read,
        })
        .await?;
    let connection = connect(&config).await?;
    let channel = connection.create_channel().await?;
    topology::declare_user_queue(&channel, &queue, config.mq.delivery_limit)
        .await
        .with_context(|| format!("declaring the queue `{queue}`"))?;
    let _ = connection.close(200, "done".into()).await;
    let route = store
        .create_route(&NewRoute {
            user_id: user.id,
            queue: &queue,
            broker_user: &broker_user,
            timeout,
            on_timeout,
            addresses: &addresses,
        })
        .await?;
    println!("user = {}", route.user_address);
    println!("addresses = {}", route.addresses.join(", "));
    println!("broker_url = {}", url.with_credentials(&broker_user, &password).expose());
    println!("broker_user = {broker_user}");
    println!("queue = {queue}");
    println!("reply_exchange = {}", topology::REPLIES_EXCHANGE);
    println!("timeout = {}", humantime::format_duration(timeout));
    println!("on_timeout = {}", on_timeout.as_str());
    eprintln!(
        "postwarden: the password in broker_url is shown only now; put broker_url and queue \
         in the worker's [worker] section (docs/mq.md)"
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn unroute(email: &str, paths: &ConfigPaths) -> Result<ExitCode> {
    let config = paths.load()?;
    let store = open_store(&config).await?;
    let user = store
        .user_by_address(email)
        .await?
        .with_context(|| format!("no user `{email}`"))?;
    let Some(route) = store.remove_route(user.id).await? else {
        bail!("`{}` has no route", user.address);
    };
    // The store first: the filter stops asking before the queue goes.
    let connection = connect(&config).await?;
    let channel = connection.create_channel().await?;
    topology::delete_user_queue(&channel, &route.queue)
        .await
        .with_context(|| format!("deleting the queue `{}`", route.queue))?;
    let _ = connection.close(200, "done".into()).await;
    Provisioner::from_config(&config.mq)?
        .delete_worker_user(&route.broker_user)
        .await?;
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
