//! HTTPS for the console when `web.tls_cert` and `web.tls_key` are set: rustls with the
//! ring provider (the process's one TLS provider), HTTP/1.1 per connection through hyper.
//! Without them the console speaks plain HTTP, meant for loopback behind a reverse proxy
//! (docs/web.md has the recipe).

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The acceptor for the PEM chain `cert` and key `key`; errors name the file.
pub fn acceptor(cert: &Path, key: &Path) -> io::Result<TlsAcceptor> {
    let invalid = |path: &Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} (web.tls_cert / web.tls_key): {e}", path.display()),
        )
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(cert, &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(cert, &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(cert, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TLS connections until `stopped` turns true; connections in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    app: Router,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> io::Result<()> {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("web: accepting a connection: {e}");
                    continue;
                }
            },
            _ = stopped.wait_for(|s| *s) => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        connections.spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::debug!("web: TLS handshake with {peer} failed: {e}");
                    return;
                }
            };
            let service = app.map_request(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(peer));
                    request
                },
            );
            let hyper_service = TowerToHyperService::new(service);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hyper_service)
                .await
            {
                tracing::debug!("web: connection from {peer}: {e}");
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}
