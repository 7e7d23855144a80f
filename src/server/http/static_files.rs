//! The site's files (JS, WASM, CSS, favicon) from LEPTOS_SITE_ROOT, with cache headers: files
//! whose name carries a content hash (`/pkg/cleantrack.<hash>.wasm`, from cargo-leptos'
//! `hash-files`) never change and are cached for a year as immutable; anything else for five
//! minutes. Precompressed `.br`/`.gz` variants are served when the browser takes them, and
//! `Last-Modified` gives 304 for a fresh copy.
//!
//! They are answered before the session layer ([`before_sessions`]): a first visit of a page
//! fetches dozens of them (the WASM is split per page), and through the session layer each would
//! read the session and the user from Postgres for a file that is the same for everyone.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const SHORT: &str = "public, max-age=300";

/// Length of cargo-leptos' hashes: an MD5 in unpadded base64url.
const HASH_LEN: usize = 22;

/// `name.<hash>.ext` (or `.ext.br`, `.ext.gz`).
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.split('.')
        .skip(1)
        .any(|part| part.len() == HASH_LEN && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

pub async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let response = next.run(req).await;
    with_cache_policy(response, hashed)
}

fn with_cache_policy(mut response: Response, hashed: bool) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if hashed { IMMUTABLE } else { SHORT };
        response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(policy));
    }
    response
}

/// The site's files as the layer in front of the sessions sees them: everything under `/pkg/`
/// (cargo-leptos' output) and the files at the top of the site root (the favicon, `q.js`,
/// `sw.js`), listed once at start-up so a page request costs no file-system lookup.
#[derive(Clone)]
pub struct SiteFiles {
    top_level: Arc<HashSet<String>>,
    files: ServeDir,
}

impl SiteFiles {
    pub fn new(site_root: &str) -> SiteFiles {
        let top_level = std::fs::read_dir(site_root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .map(|name| format!("/{name}"))
            .collect();
        SiteFiles {
            top_level: Arc::new(top_level),
            files: ServeDir::new(site_root).precompressed_br().precompressed_gzip(),
        }
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with("/pkg/") || self.top_level.contains(path)
    }
}

/// Answers a GET or HEAD of a site file without reading the session; anything else goes on to
/// the app. A name under `/pkg/` that does not exist is a plain 404 (no page renders for it).
pub async fn before_sessions(State(site): State<SiteFiles>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) || !site.serves(req.uri().path()) {
        return next.run(req).await;
    }
    let hashed = is_hashed(req.uri().path());
    match site.files.oneshot(req).await {
        Ok(response) => with_cache_policy(response.map(axum::body::Body::new), hashed),
        Err(infallible) => match infallible {},
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_count_as_hashed() {
        assert!(is_hashed("/pkg/cleantrack.Xk3v9QeT1aBcDeFgHiJkLm.wasm"));
        assert!(is_hashed("/pkg/cleantrack.Xk3v9QeT1aBcDeFgHiJk-_.css.br"));
        assert!(!is_hashed("/pkg/cleantrack.js"));
        assert!(!is_hashed("/favicon.svg"));
        assert!(!is_hashed("/pkg/Xk3v9QeT1aBcDeFgHiJkLm"), "the name itself is not a hash segment");
    }
}
