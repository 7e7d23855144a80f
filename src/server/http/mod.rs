//! The HTTP stack: plain axum routes, the Leptos pages and server functions, and the layers
//! every request passes through.

pub mod client;
pub mod client_errors;
pub mod csrf;
pub mod dev_mail;
pub mod downloads;
pub mod errors;
pub mod forms;
pub mod health;
pub mod hosts;
pub mod https;
pub mod input;
pub mod metrics;
pub mod origin;
pub mod photos;
pub mod qr;
pub mod security_headers;
pub mod sessions;
pub mod sso;
pub mod static_files;
pub mod stripe_webhook;
pub mod verify;

use std::sync::OnceLock;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::security_headers::CspNonce;
use super::state::AppState;
use crate::app::{shell, App};

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let leptos_options = state.leptos_options.clone();
    let leptos_site_root = leptos_options.site_root.clone();
    let routes = route_list();

    let sentry = config.sentry.is_some();
    let layers = ServiceBuilder::new()
        // Each request its own Sentry hub, so breadcrumbs of concurrent requests never mix.
        .option_layer(sentry.then(sentry::integrations::tower::NewSentryLayer::<axum::extract::Request>::new_from_top))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(from_fn_with_state(state.clone(), photos::time_limit))
        .layer(from_fn_with_state(state.clone(), client::resolve_client))
        .layer(from_fn_with_state(state.clone(), hosts::check_host))
        .layer(from_fn_with_state(state.clone(), https::enforce_https))
        .layer(from_fn_with_state(state.clone(), security_headers::security_headers))
        .layer(from_fn_with_state(state.clone(), csrf::check_origin))
        .layer(CompressionLayer::new())
        // Inside compression: it reads error bodies as the handler wrote them.
        .layer(from_fn_with_state(state.clone(), errors::fix_status))
        .layer(axum::middleware::from_fn(forms::plain_form_posts))
        .layer(from_fn_with_state(state.clone(), input::check_input))
        // Refuses an oversized Content-Length with 413 before reading a byte; the extractor limit
        // below covers chunked bodies.
        .layer(RequestBodyLimitLayer::new(config.max_request_body_bytes))
        .layer(DefaultBodyLimit::max(config.max_request_body_bytes));

    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::export))
        .route("/audit/export.jsonl", get(downloads::audit_trail))
        .route("/equipment/{id}", get(qr::equipment_page))
        .route("/equipment/{id}/qr.svg", get(qr::qr_svg))
        .route("/qr/sample.svg", get(qr::sample_svg))
        .route("/photos", axum::routing::post(photos::upload))
        .route("/photos/{id}", get(photos::original))
        .route("/photos/{id}/thumb", get(photos::thumbnail))
        .route("/reports/logs.csv", get(downloads::logs_csv))
        .route("/reports/compliance.csv", get(downloads::compliance_csv))
        .route("/reports/corrective-actions.csv", get(downloads::corrective_actions_csv))
        .route("/reports/monitoring.pdf", get(downloads::monitoring_pdf))
        .route("/exports/{id}", get(downloads::export))
        .route("/sso/start", get(sso::start))
        .route("/sso/callback", get(sso::callback))
        .route("/webhooks/stripe", axum::routing::post(stripe_webhook::receive))
        .route("/client-errors", axum::routing::post(client_errors::report))
        .route("/verify/file", axum::routing::post(verify::upload))
        .route("/.well-known/cleantrack-audit-key", get(verify::public_key))
        .leptos_routes_with_context(&state, routes, leptos_context, move || shell(leptos_options.clone()))
        // The site's files that `static_files::before_sessions` leaves to the app (other
        // methods, folders other than pkg), then the 404 page for anything else. Static files
        // are not left to leptos_axum's file handler: it builds each response under
        // `Owner::new()`, a child of whatever reactive owner the worker thread last had, so a
        // file could pick up another request's response options and go out with its 404
        // status (seen in the browser tests, on a revalidated cleantrack.js).
        .fallback_service(ServiceBuilder::new().layer(axum::middleware::from_fn(static_files::cache_headers)).service(
            ServeDir::new(&*leptos_site_root).precompressed_br().precompressed_gzip().fallback(Handler::with_state(
                leptos_axum::file_and_error_handler_with_context::<AppState, _>(leptos_context, shell),
                state.clone(),
            )),
        ));
    if !config.env.is_production() {
        router = router.route("/dev/mail", get(dev_mail::outbox));
    }
    // Per-route layers (they see the matched route's pattern): timing for /metrics, and the
    // request's transaction for Sentry.
    router
        .layer(from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(tower::util::option_layer(
            sentry.then(|| from_fn_with_state(state.clone(), crate::server::telemetry::sentry_request)),
        ))
        .layer(axum::middleware::from_fn(sessions::keep_alive))
        // Ended and idle sessions, last activity, required two-factor (auth::sessions).
        .layer(from_fn_with_state(state.clone(), crate::server::auth::sessions::guard))
        .layer(sessions::auth_layer(&state).build())
        // Outside the sessions: a site file costs no SQL (see `static_files`).
        .layer(from_fn_with_state(static_files::SiteFiles::new(&leptos_site_root), static_files::before_sessions))
        .layer(layers)
        .with_state(state)
}

/// The pages' routes, generated once per process. Generating renders the app with resource
/// loading suppressed through a process-wide flag in leptos_server; two generations at once (tests
/// build many apps in parallel) clear each other's flag, and a resource then runs without the
/// `AppState` context and panics. Once is also all a process needs: the list never changes.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Context for every page render and server function call (leptos_axum has already provided
/// the request `Parts` and the `AppState`). Replaces leptos's own random nonce with the one the
/// security-headers layer put in the CSP header, so the two agree.
fn leptos_context() {
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}
