//! Everything that runs only on the server. Compiled with the `ssr` feature, never into WASM.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod corrective_actions;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod deploy_check;
pub mod equipment;
pub mod facilities;
pub mod http;
pub mod jobs;
pub mod logs;
pub mod mailer;
pub mod metrics;
pub mod monitoring;
pub mod photos;
pub mod protocols;
pub mod reports;
pub mod schedules;
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
