//! ALLOWED_HOSTS: answer only for the host names we serve, so a forged Host header can never
//! end up in a password-reset link or a cache key.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::health::is_probe;
use crate::server::state::AppState;

pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = request_host(&req).is_some_and(|host| is_allowed(host, &state.config.allowed_hosts));
    if allowed || is_probe(req.uri().path()) {
        next.run(req).await
    } else {
        (StatusCode::BAD_REQUEST, "Bad Request: this site does not answer to that host name.\n").into_response()
    }
}

/// The host the client asked for, with its port: the URI's authority (HTTP/2) or the Host header.
pub fn request_host(req: &Request) -> Option<&str> {
    req.uri().authority().map(|a| a.as_str()).or_else(|| req.headers().get(axum::http::header::HOST)?.to_str().ok())
}

/// Django's rules: `*` matches anything, `.example.com` matches it and every subdomain, anything
/// else must match exactly; case and a trailing dot do not matter, the port is not compared.
pub fn is_allowed(host_with_port: &str, allowed: &[String]) -> bool {
    let host = strip_port(host_with_port).trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return false;
    }
    allowed.iter().any(|pattern| {
        pattern == "*"
            || *pattern == host
            || pattern.strip_prefix('.').is_some_and(|domain| host == domain || host.ends_with(pattern.as_str()))
    })
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:3000 → ::1
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_names_match_regardless_of_case_port_and_trailing_dot() {
        let allowed = list(&["cleantrack.example.com", "127.0.0.1"]);
        assert!(is_allowed("CleanTrack.Example.com.:443", &allowed));
        assert!(is_allowed("127.0.0.1:3000", &allowed));
        assert!(!is_allowed("evil.example.com", &allowed));
        assert!(!is_allowed("cleantrack.example.com.evil.org", &allowed));
        assert!(!is_allowed("", &allowed));
    }

    #[test]
    fn a_leading_dot_allows_subdomains_only_of_that_domain() {
        let allowed = list(&[".example.com"]);
        assert!(is_allowed("example.com", &allowed));
        assert!(is_allowed("app.example.com", &allowed));
        assert!(!is_allowed("badexample.com", &allowed));
    }

    #[test]
    fn ipv6_literals_are_compared_without_their_port() {
        assert!(is_allowed("[::1]:3000", &list(&["::1"])));
    }
}
