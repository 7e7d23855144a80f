//! The site's files (JS, WASM, CSS, favicon) from LEPTOS_SITE_ROOT, with cache headers: files
//! whose name carries a content hash (`/pkg/cleantrack.<hash>.wasm`, from cargo-leptos'
//! `hash-files`) never change and are cached for a year as immutable; anything else for five
//! minutes. Precompressed `.br`/`.gz` variants are served when the browser takes them, and
//! `Last-Modified` gives 304 for a fresh copy.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

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
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if hashed { IMMUTABLE } else { SHORT };
        response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(policy));
    }
    response
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
