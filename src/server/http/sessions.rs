//! Sessions: kept in Postgres (so any instance serves any user) with the last few seconds'
//! in front (`auth::cache`), axum-login on top, and an inactivity expiry that slides.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum_login::AuthManagerLayerBuilder;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::cookie::SameSite;
use tower_sessions::{CachingSessionStore, Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::server::auth::cache::RecentSessions;
use crate::server::auth::Backend;
use crate::server::state::AppState;

/// A session nobody used for this long has ended.
pub const INACTIVITY_LIMIT: Duration = Duration::days(14);

/// How often a session in use moves its end forward: each move is a write to Postgres (and a
/// new cookie), so not on every request. A session in use ends at most this much earlier than
/// [`INACTIVITY_LIMIT`] after its last request.
pub const RENEW_EVERY: Duration = Duration::hours(1);

/// Where a session notes when its end last moved (Unix seconds).
pub const RENEWED_AT_KEY: &str = "renewed_at";

type Sessions = CachingSessionStore<RecentSessions, PostgresStore>;

pub fn auth_layer(state: &AppState) -> AuthManagerLayerBuilder<Backend, Sessions> {
    let secure = state.config.https.secure_cookies;
    let store = CachingSessionStore::new(state.auth_cache.sessions(), session_store(state));
    let sessions = SessionManagerLayer::new(store)
        // `__Host-` makes browsers refuse the cookie unless it is Secure, host-only and path `/`.
        .with_name(if secure { "__Host-cleantrack" } else { "cleantrack" })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(INACTIVITY_LIMIT));
    AuthManagerLayerBuilder::new(Backend::new(state.pool.clone(), state.auth_cache.clone()), sessions)
}

pub fn session_store(state: &AppState) -> PostgresStore {
    PostgresStore::new(state.pool.clone())
}

/// tower-sessions writes a session only when its data changed, so by itself a session in daily
/// use would still end 14 days after signing in. Noting the time once per [`RENEW_EVERY`]
/// changes it, which writes it with a new end (and sends the cookie with a new Max-Age).
pub async fn keep_alive(request: Request, next: Next) -> Response {
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let renewed: Option<i64> = session.get(RENEWED_AT_KEY).await.ok().flatten();
        if renewed.is_none_or(|at| now - at >= RENEW_EVERY.whole_seconds()) && !session.is_empty().await {
            let _ = session.insert(RENEWED_AT_KEY, now).await;
        }
    }
    next.run(request).await
}
