//! Logging: readable lines in development, JSON in production, filtered by `RUST_LOG`.

use tracing_subscriber::{fmt, EnvFilter};

use super::config::LogFormat;

/// Installs the global subscriber. Called once by the binary; tests leave logging off.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // `try_init` so a second call (a test harness, say) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
