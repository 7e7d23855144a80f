//! The status of a failed request, made right in one place:
//!
//! - server_fn answers every error with a 500 unless the function set a status itself; a
//!   failure before the function ran (say, arguments that do not decode) gets the status of
//!   the `AppError` it carries instead, so bad input is never a 5xx.
//! - A 500 while the database cannot be reached (Postgres restarting, the pool exhausted, a
//!   layer such as the session store failing first) is a 503 with `Retry-After`: the phone or
//!   the load balancer may retry, and nothing was saved.
//! - Every 503 (the request timeout too) says when to come back.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::model::error::AppError;
use crate::server::{db, state::AppState};

pub use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Seconds a client should wait before retrying while the database is away.
pub const RETRY_AFTER_SECS: u64 = 5;

pub async fn fix_status(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let response = match response.status() {
        StatusCode::INTERNAL_SERVER_ERROR if response.headers().contains_key(SERVER_FN_ERROR_HEADER) => {
            server_fn_status(response).await
        }
        _ => response,
    };
    // A function's `Internal` too: a database that refuses new connections (say, while it is
    // being restored) answers with an error that does not look like a network failure.
    let mut response = match response.status() {
        StatusCode::INTERNAL_SERVER_ERROR if !database_answers(&state).await => {
            tracing::warn!("answered 503: the database is unavailable");
            let error = AppError::Unavailable;
            if response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
                // Still the function's error, as its client decodes it.
                let (mut parts, _) = response.into_parts();
                parts.status = StatusCode::SERVICE_UNAVAILABLE;
                Response::from_parts(parts, Body::from(serde_json::to_vec(&error).unwrap_or_default()))
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response()
            }
        }
        _ => response,
    };
    if response.status() == StatusCode::SERVICE_UNAVAILABLE && !response.headers().contains_key(header::RETRY_AFTER) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// The server function's error, with its own status (a 500 stays a 500 only for `Internal`).
async fn server_fn_status(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // Error bodies are one small JSON value.
    let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn database_answers(state: &AppState) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(1), db::ping(&state.pool)).await, Ok(Ok(())))
}
