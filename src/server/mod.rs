//! Everything that runs only on the server. Compiled with the `ssr` feature, never into WASM.

pub mod accounts;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod deploy_check;
pub mod http;
pub mod jobs;
pub mod mailer;
pub mod metrics;
pub mod photos;
pub mod reports;
pub mod secret;
pub mod smoke;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;

/// rustls finds both ring and aws-lc-rs in our dependency tree and refuses to guess; pick one
/// before anything opens a TLS connection (database, HTTP clients). Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
