//! Response headers that make the browser refuse what we never intend: foreign scripts, framing,
//! MIME sniffing, leaking URLs to other sites.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::server::state::AppState;

/// This request's CSP nonce; the page shell stamps it on the hydration scripts.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

const FIXED: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    // The camera is for photos of cleaned equipment; nothing else is ever needed.
    ("permissions-policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
];

pub async fn security_headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in FIXED {
        headers.entry(HeaderName::from_static(name)).or_insert(HeaderValue::from_static(value));
    }
    let csp = content_security_policy(&nonce, state.config.env.is_production(), &billing_form_targets(&state));
    if let Ok(csp) = HeaderValue::try_from(csp) {
        headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    }
    response
}

/// Where a form may send the browser besides our origin: the billing page's buttons answer
/// with a redirect to Stripe's hosted checkout and portal (or, in tests, to the stand-in), and
/// `form-action` governs the redirect's target too.
fn billing_form_targets(state: &AppState) -> String {
    let Some(stripe) = &state.config.stripe else { return String::new() };
    match &stripe.api_base {
        Some(base) => format!(" {}", base.origin().ascii_serialization()),
        None => " https://checkout.stripe.com https://billing.stripe.com".to_owned(),
    }
}

/// Scripts run only from our origin or with this response's nonce; `'wasm-unsafe-eval'` lets the
/// browser compile our WASM (it allows nothing for JavaScript). Development adds the websocket
/// that `cargo leptos watch` reloads pages through.
fn content_security_policy(nonce: &str, production: bool, form_targets: &str) -> String {
    let connect = if production { "'self'" } else { "'self' ws://127.0.0.1:3001 ws://localhost:3001" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob:; connect-src {connect}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'{form_targets}; frame-ancestors 'none'"
    )
}
