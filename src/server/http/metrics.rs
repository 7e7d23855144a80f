//! `GET /metrics` in Prometheus' text format, for whoever holds METRICS_TOKEN (as a bearer
//! token): requests and their latency per route, the database pool, the job queue and job
//! failures. Counters are per instance, as Prometheus expects; it sums across instances.
//!
//! Routes are labelled by their pattern (`/q/{token}`, `/api/log_cleaning`), never by the raw
//! path, and anything unrouted is one `unmatched` label, so a scan of random URLs cannot grow
//! the series without bound.

use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::metrics::Metrics;
use crate::server::state::AppState;

/// Middleware (per route, so the route's pattern is known): times every request.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(route, method, response.status(), started.elapsed().as_secs_f64());
    response
}

/// Equal without revealing where two strings differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else { return StatusCode::NOT_FOUND.into_response() };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same(g.as_bytes(), token.expose().as_bytes())) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "A metrics token is required.\n")
            .into_response();
    }
    let mut out = String::new();
    state.metrics.render_requests(&mut out);
    state.metrics.render_job_failures(&mut out);
    let pool = &state.pool;
    let (size, idle) = (pool.size(), pool.num_idle() as u32);
    out.push_str("# HELP cleantrack_db_pool_connections Database connections of this instance, by state.\n");
    out.push_str("# TYPE cleantrack_db_pool_connections gauge\n");
    let _ = writeln!(out, "cleantrack_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(out, "cleantrack_db_pool_connections{{state=\"in_use\"}} {}", size.saturating_sub(idle));
    let _ = writeln!(out, "cleantrack_db_pool_connections_max {}", state.config.database.max_connections);
    // The queue is shared by every instance: read from the database at each scrape.
    let queue = sqlx::query!(
        r#"SELECT s.state AS "state!", count(j.id) AS "count!" FROM unnest(ARRAY['pending', 'running', 'dead', 'due']) AS s(state)
         LEFT JOIN jobs j ON (j.state = s.state AND s.state <> 'due')
                          OR (s.state = 'due' AND j.state = 'pending' AND j.run_at <= now())
         GROUP BY s.state ORDER BY s.state"#
    )
    .map(|r| (r.state, r.count))
    .fetch_all(pool)
    .await;
    out.push_str("# HELP cleantrack_jobs Jobs in the queue by state; `due` are pending jobs whose time has come.\n");
    out.push_str("# TYPE cleantrack_jobs gauge\n");
    match queue {
        Ok(rows) => rows.iter().for_each(|(s, n)| {
            let _ = writeln!(out, "cleantrack_jobs{{state=\"{s}\"}} {n}");
        }),
        Err(err) => tracing::warn!(error = %err, "metrics: job queue unreadable"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}
