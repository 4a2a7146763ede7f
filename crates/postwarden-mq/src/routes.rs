//! Making and removing a route: the store's row and the broker's side (broker user with
//! its permissions, quorum queue and binding), in the order that never leaves a route
//! pointing at nothing: broker first when making, store first when removing.

use crate::provision::{ProvisionError, Provisioner, WorkerUser, new_password};
use crate::topology;
use crate::url::{BrokerUrl, UrlError};
use lapin::{Connection, ConnectionProperties};
use postwarden_core::config::MqConfig;
use postwarden_core::{OnTimeout, Secret};
use postwarden_store::{NewRoute, RouteRecord, Store, StoreError, UserRecord};
use std::time::Duration;

/// Why a route could not be made or removed; the message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("per-user processing needs a broker: set `[mq] url = \"amqp://…\"`")]
    NoBroker,
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    #[error("the broker at {url}: {error}")]
    Broker { url: String, error: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("`{0}` has a route already; remove it first (`postwarden users unroute`)")]
    Exists(String),
    #[error("`{0}` has no route")]
    Missing(String),
    #[error("`{0}` is another user's address; an alias must not be")]
    Taken(String),
}

/// A route just made, with the worker's credentials (shown once, kept nowhere).
pub struct Provisioned {
    pub route: RouteRecord,
    /// The broker URL with the worker's own user and password.
    pub broker_url: Secret,
}

/// What a new route is asked to do.
pub struct RouteRequest<'a> {
    pub user: &'a UserRecord,
    pub timeout: Duration,
    pub on_timeout: OnTimeout,
    /// The user's other addresses (lower-cased, checked by the caller).
    pub aliases: &'a [String],
}

async fn connect(mq: &MqConfig) -> Result<(Connection, BrokerUrl), RouteError> {
    let url = mq.url.as_ref().ok_or(RouteError::NoBroker)?;
    let parsed = BrokerUrl::parse(url.expose())?;
    let connection = tokio::time::timeout(
        mq.connect_timeout,
        Connection::connect(url.expose(), ConnectionProperties::default()),
    )
    .await
    .map_err(|_| RouteError::Broker {
        url: parsed.redacted(),
        error: "connecting timed out".into(),
    })?
    .map_err(|e| RouteError::Broker {
        url: parsed.redacted(),
        error: e.to_string(),
    })?;
    Ok((connection, parsed))
}

/// Provisions the broker for `request.user` and stores the route.
pub async fn create_route(
    mq: &MqConfig,
    store: &Store,
    request: &RouteRequest<'_>,
) -> Result<Provisioned, RouteError> {
    let user = request.user;
    if store.route_of_user(user.id).await?.is_some() {
        return Err(RouteError::Exists(user.address.clone()));
    }
    for alias in request.aliases {
        if let Some(other) = store.user_by_address(alias).await?
            && other.id != user.id
        {
            return Err(RouteError::Taken(alias.clone()));
        }
    }
    let (connection, url) = connect(mq).await?;
    let broker_error = |e: lapin::Error| RouteError::Broker {
        url: url.redacted(),
        error: e.to_string(),
    };
    let queue = topology::user_queue(user.id);
    // Broker users are global across vhosts (and sites): a random part keeps them apart.
    let suffix: [u8; 4] = rand::random();
    let broker_user = format!(
        "{}-{}",
        topology::broker_user(user.id),
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let password = new_password();
    let (configure, write, read) = topology::worker_permissions(&queue);
    Provisioner::from_config(mq)?
        .create_worker_user(&WorkerUser {
            name: &broker_user,
            password: &password,
            vhost: &url.vhost,
            configure: &configure,
            write: &write,
            read: &read,
        })
        .await?;
    let declared = async {
        let channel = connection.create_channel().await?;
        topology::declare_user_queue(&channel, &queue, mq.delivery_limit).await
    }
    .await;
    let _ = connection.close(200, "done".into()).await;
    if let Err(error) = declared {
        // Leave no broker user behind for a route that does not exist.
        let _ = Provisioner::from_config(mq)?
            .delete_worker_user(&broker_user)
            .await;
        return Err(broker_error(error));
    }
    let mut addresses = vec![user.address.clone()];
    for alias in request.aliases {
        if !addresses.contains(alias) {
            addresses.push(alias.clone());
        }
    }
    let stored = store
        .create_route(&NewRoute {
            user_id: user.id,
            queue: &queue,
            broker_user: &broker_user,
            timeout: request.timeout,
            on_timeout: request.on_timeout,
            addresses: &addresses,
        })
        .await;
    let route = match stored {
        Ok(route) => route,
        Err(error) => {
            // Leave nothing behind on the broker for a route that does not exist.
            if let Ok((connection, _)) = connect(mq).await {
                if let Ok(channel) = connection.create_channel().await {
                    let _ = topology::delete_user_queue(&channel, &queue).await;
                }
                let _ = connection.close(200, "done".into()).await;
            }
            let _ = Provisioner::from_config(mq)?
                .delete_worker_user(&broker_user)
                .await;
            return Err(error.into());
        }
    };
    Ok(Provisioned {
        route,
        broker_url: url.with_credentials(&broker_user, &password),
    })
}

/// Removes the route from the store (the filter stops asking), then its queue and its
/// broker user.
pub async fn remove_route(
    mq: &MqConfig,
    store: &Store,
    user: &UserRecord,
) -> Result<RouteRecord, RouteError> {
    let route = store
        .remove_route(user.id)
        .await?
        .ok_or_else(|| RouteError::Missing(user.address.clone()))?;
    let (connection, url) = connect(mq).await?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| RouteError::Broker {
            url: url.redacted(),
            error: e.to_string(),
        })?;
    topology::delete_user_queue(&channel, &route.queue)
        .await
        .map_err(|e| RouteError::Broker {
            url: url.redacted(),
            error: e.to_string(),
        })?;
    let _ = connection.close(200, "done".into()).await;
    Provisioner::from_config(mq)?
        .delete_worker_user(&route.broker_user)
        .await?;
    Ok(route)
}
