//! What every handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use super::config::Config;
use super::storage::Storage;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    /// Where photos are kept.
    pub storage: Storage,
    /// Request and job counters for `GET /metrics`.
    pub metrics: Arc<super::metrics::Metrics>,
    /// Sessions, users and their organizations read in the last few seconds.
    pub auth_cache: super::auth::cache::AuthCache,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
