//! SECURE_SSL_REDIRECT and HSTS, as Django's SecurityMiddleware does them.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::health::is_probe;
use super::hosts::request_host;
use super::origin::ClientInfo;
use crate::server::config::HttpsConfig;
use crate::server::state::AppState;

pub async fn enforce_https(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let https = &state.config.https;
    let secure = req.extensions().get::<ClientInfo>().is_some_and(|c| c.secure);
    if https.ssl_redirect && !secure && !is_probe(req.uri().path()) {
        // The host was checked against ALLOWED_HOSTS before this runs, so it is safe to echo.
        let host = request_host(&req).unwrap_or_default();
        let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        // 301 for reads; 308 keeps the method and body of anything else.
        let status = if matches!(*req.method(), Method::GET | Method::HEAD) {
            StatusCode::MOVED_PERMANENTLY
        } else {
            StatusCode::PERMANENT_REDIRECT
        };
        return match HeaderValue::try_from(format!("https://{host}{path}")) {
            Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
            Err(_) => StatusCode::BAD_REQUEST.into_response(),
        };
    }
    let mut response = next.run(req).await;
    // Browsers ignore HSTS received over plain HTTP, and sending it there would be a lie.
    if secure {
        if let Some(value) = hsts_value(https) {
            response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, value);
        }
    }
    response
}

fn hsts_value(https: &HttpsConfig) -> Option<HeaderValue> {
    if https.hsts_seconds == 0 {
        return None;
    }
    let mut value = format!("max-age={}", https.hsts_seconds);
    if https.hsts_include_subdomains {
        value.push_str("; includeSubDomains");
    }
    if https.hsts_preload {
        value.push_str("; preload");
    }
    HeaderValue::try_from(value).ok()
}
