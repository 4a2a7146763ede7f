//! postwarden's web console and HTTP API (`postwarden web`, and the `web` component of
//! `postwarden run`).
//!
//! [`router`] builds the whole application from a [`WebState`]; tests drive it with
//! `oneshot`, the daemon serves it with [`serve`]. The console is server-rendered HTML
//! (minijinja, auto-escaped, embedded) that works without JavaScript; the API is JSON under
//! `/api/v1` with bearer tokens. One [`WebError`] maps every failure to a status and a
//! message that names the field at fault.
//!
//! Who sees what is decided in one place, [`auth::Caller::visibility`], and enforced in
//! the store's queries: someone else's message or quarantine entry is "not found" (404),
//! never "forbidden", so ids cannot be probed.

mod api;
pub mod auth;
pub mod digest;
mod error;
mod ops;
mod pages;
mod render;
mod state;
mod tls;

pub use auth::keys::Keys;
pub use auth::password::{check_new as check_new_password, hash_password, verify_password};
pub use auth::token::{IssuedToken, Scope, issue_token, parse_expiry};
pub use error::{PageError, WebError};
pub use state::WebState;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// Default largest request body (forms and JSON); `/api/v1/send` has its own.
pub const MAX_BODY: usize = 256 * 1024;

/// The application: the console, the API and the assets, with security headers on every
/// response.
pub fn router(state: WebState) -> Router {
    Router::new()
        .merge(pages::routes(&state))
        .nest("/api/v1", api::routes(&state))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// CSP without inline script, no framing, no MIME sniffing, no referrer to other sites, and
/// nothing cached for signed-in pages.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}

/// The console of `config`: its keys from `<data_dir>/web.key` (made when absent), the
/// filter's quarantine, and the filter's next hop for releases.
pub fn state_from_config(
    config: std::sync::Arc<postwarden_core::Config>,
    store: postwarden_store::Store,
    hostname: &str,
) -> std::io::Result<WebState> {
    let keys = Keys::load_or_create(&config.data_dir)?;
    let quarantine = postwarden_filter::quarantine::Quarantine::new(config.quarantine_dir());
    let relay = postwarden_filter::next_hop(&config.filter, hostname);
    Ok(WebState::new(
        store,
        config,
        keys,
        quarantine,
        relay,
        hostname.to_string(),
    ))
}

/// Serves the console and the API on `listener` (HTTPS when `web.tls_cert` is set) and
/// sends the quarantine digest on its schedule, until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let digest_state = state.clone();
    let mut digest_stopped = stopped.clone();
    let digests = tokio::spawn(async move {
        loop {
            if let Err(e) = digest::run_due(&digest_state, chrono::Utc::now()).await {
                tracing::error!("web: quarantine digest: {e}; trying again in a minute");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                _ = digest_stopped.wait_for(|s| *s) => return,
            }
        }
    });
    let served = match (&state.config.web.tls_cert, &state.config.web.tls_key) {
        (Some(cert), Some(key)) => {
            let acceptor = tls::acceptor(cert, key)?;
            tls::serve(listener, acceptor, router(state.clone()), stopped).await
        }
        _ => serve(listener, state.clone(), shutdown_when(stopped)).await,
    };
    digests.abort();
    let _ = digests.await;
    served
}

async fn shutdown_when(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// Serves the application on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
