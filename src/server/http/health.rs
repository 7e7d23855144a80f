//! Probes for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use crate::server::{db, state::AppState};

/// Liveness: 200 while the process can answer at all. Touches nothing else, so a slow database
/// never gets a healthy instance killed.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 200 only when the database answers, so traffic is sent to instances that can serve it.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(Duration::from_secs(2), db::ping(&state.pool)).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Paths that must answer whatever the Host header or scheme: platform health checks reach the
/// container directly, by its internal address and over plain HTTP.
pub fn is_probe(path: &str) -> bool {
    // Metrics too: Prometheus scrapes an instance by its internal address, and the token guards it.
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}
