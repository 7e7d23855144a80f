//! Logging (readable lines in development, JSON in production, filtered by `RUST_LOG`) and, when
//! SENTRY_DSN is set, Sentry: error logs and panics become events, other logs their
//! breadcrumbs, and a sample of requests' spans become transactions.
//!
//! No personal data leaves for Sentry: `send_default_pii` stays off (no cookies, headers or
//! client addresses from the HTTP integration), the user and the request's headers, cookies and
//! body are dropped from every event, and every string left (messages, exceptions, URLs, query
//! strings, breadcrumbs, extra data) has email addresses and IP addresses replaced.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use sentry::protocol::{Breadcrumb, Event};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use super::config::{Config, LogFormat, SentryConfig};

/// Keeps Sentry's client alive (and flushes it when dropped, at exit).
pub struct Telemetry {
    _sentry: Option<sentry::ClientInitGuard>,
}

/// Installs the global subscriber and Sentry. Called once by the binary's long-running commands;
/// tests leave logging off.
pub fn init(config: &Config) -> Telemetry {
    let sentry = config.sentry.as_ref().map(|s| sentry::init(options(s)));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let output = match config.log_format {
        LogFormat::Json => fmt::layer().with_target(false).json().flatten_event(true).with_current_span(true).boxed(),
        LogFormat::Pretty => fmt::layer().with_target(false).compact().boxed(),
    };
    // Spans of INFO and above become transactions (sampled), WARN and INFO events breadcrumbs,
    // ERROR events Sentry events.
    let to_sentry = sentry.is_some().then(|| {
        use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer, SpanLayer};
        use tracing_subscriber::filter::{filter_fn, LevelFilter};
        SpanLayer::new()
            .with_filter(LevelFilter::INFO)
            .and_then(
                BreadcrumbLayer::new()
                    .with_filter(filter_fn(|m| matches!(*m.level(), tracing::Level::WARN | tracing::Level::INFO))),
            )
            .and_then(ErrorLayer::new().with_filter(LevelFilter::ERROR))
    });
    // `try_init` so a second call (a test harness, say) is harmless.
    let _ = tracing_subscriber::registry().with(filter).with(output).with(to_sentry).try_init();
    Telemetry { _sentry: sentry }
}

fn options(config: &SentryConfig) -> sentry::ClientOptions {
    sentry::ClientOptions::new()
        .dsn(config.dsn.expose())
        .release(config.release.clone())
        .environment(config.environment.clone())
        .traces_sample_rate(config.traces_sample_rate)
        .send_default_pii(false)
        .before_send(scrub_event)
        .before_breadcrumb(scrub_breadcrumb)
}

static EMAIL: LazyLock<Regex> =
    // The top-level domain is letters, so `cleantrack@0.1.0` (a release) is not an address.
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+\.)+[A-Za-z]{2,}\b").expect("valid pattern"));
static IP: LazyLock<Regex> = LazyLock::new(|| {
    // IPv4, and IPv6 with at least three colons (so a time like 19:17:31 survives).
    Regex::new(r"\b(\d{1,3}\.){3}\d{1,3}\b|\b[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{0,4}){3,7}\b").expect("valid pattern")
});

/// `text` with email and IP addresses replaced.
pub fn scrub(text: &str) -> Cow<'_, str> {
    match EMAIL.replace_all(text, "[email]") {
        Cow::Borrowed(_) => IP.replace_all(text, "[ip]"),
        Cow::Owned(owned) => Cow::Owned(IP.replace_all(&owned, "[ip]").into_owned()),
    }
}

fn scrub_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(clean) = scrub(s) {
                *s = clean;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(scrub_json),
        _ => {}
    }
}

/// Every string of `item`, through its JSON form (the protocol's types all serialize); `None`
/// if that fails, so nothing unscrubbed is ever sent.
fn scrub_all<T: serde::Serialize + serde::de::DeserializeOwned>(item: &T) -> Option<T> {
    let mut json = serde_json::to_value(item).ok()?;
    scrub_json(&mut json);
    serde_json::from_value(json).ok()
}

/// What an event keeps of its request: the method and the path, nothing the client sent.
fn bare_request(request: &sentry::protocol::Request) -> sentry::protocol::Request {
    let url = request.url.clone().map(|mut url| {
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url
    });
    sentry::protocol::Request { method: request.method.clone(), url, ..Default::default() }
}

pub fn scrub_event(mut event: Event<'static>) -> Option<Event<'static>> {
    event.user = None;
    // Set aside: a URL whose host is an address would not survive the text pass as a URL.
    let request = event.request.take().map(|r| bare_request(&r));
    let mut clean = scrub_all(&event)?;
    clean.request = request;
    Some(clean)
}

fn scrub_breadcrumb(crumb: Breadcrumb) -> Option<Breadcrumb> {
    scrub_all(&crumb)
}

/// Middleware (per route): the request as a Sentry transaction named by its route pattern, and
/// as the request of any error event captured while it runs. Only the method and the route's
/// pattern are recorded (`/q/{token}`, never the token): Sentry's own HTTP integration would add
/// the path, query string and headers, and transactions do not pass through `before_send`.
pub async fn sentry_request(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str().to_owned());
    let name = format!("{} {}", req.method(), route.as_deref().unwrap_or("unmatched"));
    let request = sentry::protocol::Request {
        method: Some(req.method().to_string()),
        url: Some(route.and_then(|r| state.config.public_url.join(&r).ok()).unwrap_or(state.config.public_url.clone())),
        ..Default::default()
    };
    let transaction = sentry::start_transaction(sentry::TransactionContext::new(&name, "http.server"));
    transaction.set_request(request.clone());
    let parent = sentry::configure_scope(|scope| {
        let parent = scope.get_span();
        scope.set_span(Some(transaction.clone().into()));
        scope.set_transaction(Some(&name));
        scope.add_event_processor(move |mut event| {
            event.request.get_or_insert_with(|| request.clone());
            Some(event)
        });
        parent
    });
    let response = next.run(req).await;
    let status = response.status().as_u16();
    transaction.set_data("http.response.status_code", status.into());
    transaction.set_status(match status {
        ..400 => sentry::protocol::SpanStatus::Ok,
        401 => sentry::protocol::SpanStatus::Unauthenticated,
        403 => sentry::protocol::SpanStatus::PermissionDenied,
        404 => sentry::protocol::SpanStatus::NotFound,
        429 => sentry::protocol::SpanStatus::ResourceExhausted,
        400..500 => sentry::protocol::SpanStatus::InvalidArgument,
        _ => sentry::protocol::SpanStatus::InternalError,
    });
    transaction.finish();
    sentry::configure_scope(|scope| scope.set_span(parent));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_addresses_are_replaced_and_the_rest_kept() {
        assert_eq!(
            scrub("login failed for ana.silva+x@clinic.example.com from 203.0.113.9 (v1.2)"),
            "login failed for [email] from [ip] (v1.2)"
        );
        assert_eq!(scrub("peer 2001:db8::1 said no at 19:17:31"), "peer [ip] said no at 19:17:31");
        assert!(matches!(scrub("nothing personal in cleantrack@0.1.0+abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_event_loses_its_user_headers_and_personal_strings() {
        let mut event = Event { message: Some("database error for bob@x.example".into()), ..Default::default() };
        event.user = Some(sentry::protocol::User { email: Some("bob@x.example".into()), ..Default::default() });
        event.request = Some(sentry::protocol::Request {
            query_string: Some("search=bob%40x.example&email=bob@x.example".into()),
            headers: [("x-forwarded-for".to_owned(), "198.51.100.7".to_owned())].into_iter().collect(),
            ..Default::default()
        });
        let clean = scrub_event(event).unwrap();
        let text = serde_json::to_string(&clean).unwrap();
        assert!(!text.contains("bob@x.example") && !text.contains("198.51.100.7"), "{text}");
        assert_eq!(clean.message.as_deref(), Some("database error for [email]"));
    }
}
