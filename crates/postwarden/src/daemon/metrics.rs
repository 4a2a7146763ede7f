//! The Prometheus endpoint of `postwarden run` (`metrics.listen`): `GET /metrics` answers
//! the process's metrics (`postwarden_core::metrics`) in the OpenMetrics text format.

use anyhow::{Context, Result};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use postwarden_core::metrics::metrics;
use std::future::Future;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The endpoint's routes.
pub fn router() -> Router {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape() -> impl IntoResponse {
    ([(CONTENT_TYPE, OPENMETRICS)], metrics().encode())
}

/// Serves [`router`] on `listen` until `stop` resolves.
pub async fn serve(listen: &str, stop: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (metrics.listen)"))?;
    tracing::info!(%listen, "metrics at /metrics");
    axum::serve(listener, router())
        .with_graceful_shutdown(stop)
        .await
        .context("serving metrics")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn scrape_answers_openmetrics() {
        metrics().probe("disk", true);
        let response = router()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], OPENMETRICS);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("postwarden_probe_up{probe=\"disk\"} 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[tokio::test]
    async fn other_paths_are_not_found() {
        let response = router()
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
