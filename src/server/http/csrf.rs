//! Cross-site request forgery: every request that can change something (anything but GET, HEAD,
//! OPTIONS) must come from our own pages. Browsers say where a request comes from in
//! `Sec-Fetch-Site` (all current ones) or `Origin` (older ones); a request with neither, or from
//! elsewhere, is refused. Webhooks are exempt: they come from other sites by design and carry
//! their own signatures.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::hosts::request_host;
use crate::server::state::AppState;

pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) || req.uri().path().starts_with("/webhooks/") || same_origin(&req, &state) {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-origin request refused");
        (StatusCode::FORBIDDEN, "Forbidden: this request did not come from a CleanTrack page.\n").into_response()
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(req: &Request, state: &AppState) -> bool {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    let Some(origin) = header(header::ORIGIN.as_str()) else {
        return false;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    // Either the public address, or the very host the request was sent to.
    let public = &state.config.public_url;
    let matches_public = origin.origin() == public.origin();
    let authority = match origin.port() {
        Some(port) => format!("{}:{port}", origin.host_str().unwrap_or_default()),
        None => origin.host_str().unwrap_or_default().to_owned(),
    };
    matches_public || request_host(req).is_some_and(|host| host.eq_ignore_ascii_case(&authority))
}
