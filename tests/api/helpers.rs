//! Starting the real application for a test: its own database (from `#[sqlx::test]`), a random
//! port, real HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use cleantrack::server::config::Config;
use cleantrack::server::startup::Application;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The variables of a development configuration listening on a random port.
pub fn dev_vars() -> HashMap<String, String> {
    [
        ("APP_ENV", "development"),
        // Replaced by the test's own database below; the URL only has to parse.
        ("DATABASE_URL", "postgres://unused@127.0.0.1/unused"),
        ("SECRET_KEY", "test-secret-key"),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn config_for(db: PgConnectOptions, overrides: &[(&str, &str)]) -> Config {
    let mut vars = dev_vars();
    vars.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut config = Config::from_vars(&vars).expect("test configuration is valid");
    config.database.connect_options = db;
    config
}

pub async fn spawn_app(db: PgConnectOptions) -> TestApp {
    spawn_app_with(config_for(db, &[])).await
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    cleantrack::server::install_crypto_provider();
    let app = Application::build(config).await.expect("application builds");
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client builds");
    TestApp { addr, client, stop: Some(stop) }
}

/// A connection URL for the database `#[sqlx::test]` made: the harness's DATABASE_URL with the
/// database name swapped, for tests that run the `cleantrack` binary itself.
pub fn database_url(db: &PgConnectOptions) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by scripts/test.sh");
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.set_path(db.get_database().expect("sqlx::test names its database"));
    url.to_string()
}

/// The compiled `cleantrack` binary, run in an empty directory so no developer's `.env` leaks in.
pub fn cleantrack_command(vars: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cleantrack"));
    command.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).current_dir(empty_dir());
    command.envs(vars.iter().copied());
    command
}

fn empty_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cleantrack-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
