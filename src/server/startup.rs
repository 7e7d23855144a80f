//! Building and running the server, separately, so tests can start it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;

use super::config::Config;
use super::state::AppState;
use super::storage::Storage;
use super::{db, http, jobs};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds the listening socket (port 0 picks a free one) and prepares the state. Nothing here
    /// waits for the database: readiness is `/readyz`'s business.
    pub async fn build(config: Config) -> std::io::Result<Application> {
        let listener = TcpListener::bind(config.listen_addr).await?;
        let state = state(config, listener.local_addr()?);
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then stops accepting and lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then shuts down gracefully.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let pool = self.state.pool.clone();
        // Expired sessions are deleted hourly; several instances doing so at once is harmless.
        let cleanup = tokio::spawn(tower_sessions::session_store::ExpiredDeletion::continuously_delete_expired(
            http::sessions::session_store(&self.state),
            tokio::time::Duration::from_secs(3600),
        ));
        // Background workers stop with the server: they finish their current job first.
        let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
        let workers = jobs::worker::spawn(&self.state, self.state.config.jobs.workers, &workers_stopped);
        let app = http::router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app).with_graceful_shutdown(stop).await?;
        cleanup.abort();
        let _ = stop_workers.send(true);
        for worker in workers {
            let _ = worker.await;
        }
        pool.close().await;
        Ok(())
    }
}

/// Everything handlers and jobs need; `addr` is where the site is served.
pub fn state(config: Config, addr: SocketAddr) -> AppState {
    let pool = db::pool(&config.database);
    let leptos_options = LeptosOptions::builder()
        .output_name("cleantrack")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(if config.env.is_production() { Env::PROD } else { Env::DEV })
        .hash_files(site_files_are_hashed())
        .build();
    let storage = Storage::from_config(&config.uploads.storage);
    tracing::info!(storage = %storage.describe(), "uploads");
    AppState {
        config: Arc::new(config),
        pool,
        leptos_options,
        storage,
        metrics: Default::default(),
        auth_cache: Default::default(),
    }
}

/// cargo-leptos (with `hash-files`) names the JS, WASM and CSS after their content and writes
/// the names to `hash.txt` next to the server binary it built; leptos reads them from there.
/// A binary without one (a test binary, a plain `cargo build`) uses the plain names.
fn site_files_are_hashed() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists())).unwrap_or(false)
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
