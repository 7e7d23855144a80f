//! Starting the real application for a test: its own database (from `#[sqlx::test]`), a random
//! port, real HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use cleantrack::server::config::Config;
use cleantrack::server::startup::Application;
use reqwest::StatusCode;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    /// Plain client: no cookies, no Origin header, redirects not followed.
    pub client: reqwest::Client,
    /// The application's own pool (the application role, bound by row-level security).
    pub pool: PgPool,
    pub state: cleantrack::server::state::AppState,
    stop: Option<oneshot::Sender<()>>,
}

/// The answer of a server function called over HTTP.
#[derive(Debug)]
pub struct Call {
    pub status: StatusCode,
    pub body: String,
}

impl Call {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.body))
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(self.status.is_success(), "expected success, got {} {}", self.status, self.body);
        self
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }

    /// The status of a GET of `path` as `client` (a plain download, such as a CSV).
    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> u16 {
        client.get(self.url(path)).send().await.expect("request failed").status().as_u16()
    }

    /// A browser-like client: its own cookie jar, and the Origin header our pages' requests carry.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", self.url("").parse().unwrap());
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds")
    }

    /// Signs in without a cookie jar, sending `cookie` if given: the response's `Set-Cookie` is the
    /// session cookie (`name=value; attributes`), as someone who copied it would hold it.
    pub async fn login_response(&self, email: &str, password: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/api/login"))
            .header("origin", self.url(""))
            .header("accept", "application/json")
            .form(&[("email", email), ("password", password)]);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request failed")
    }

    /// Calls server function `endpoint` (`/api/<endpoint>`) the way the WASM client does.
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Call {
        let response = client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request failed");
        Call { status: response.status(), body: response.text().await.unwrap() }
    }

    /// [`call`](Self::call) with owned values, for forms built from ids and formatted text.
    pub async fn call_owned(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, String)]) -> Call {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.call(client, endpoint, &form).await
    }

    /// The latest email recorded for `to`: its subject and the link in it.
    pub async fn last_email(&self, to: &str) -> Option<(String, String)> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT subject, text_body FROM outbound_emails WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(to)
        .fetch_optional(&self.pool)
        .await
        .unwrap();
        row.map(|(subject, body)| {
            let link = body.split_whitespace().find(|w| w.starts_with("http")).unwrap_or_default().to_owned();
            (subject, link)
        })
    }

    /// The `token` query parameter of the latest link emailed to `to`.
    pub async fn last_token(&self, to: &str) -> String {
        let (_, link) = self.last_email(to).await.unwrap_or_else(|| panic!("no email to {to}"));
        let url = url::Url::parse(&link).unwrap();
        url.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).expect("token in link")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Runs jobs until none is due or waiting for a retry, or `limit` passes.
pub async fn drain(app: &TestApp, limit: std::time::Duration) {
    use cleantrack::server::jobs::worker::{run_once, Outcome};
    let start = std::time::Instant::now();
    loop {
        let outcome = run_once(&app.state).await.unwrap();
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state IN ('pending', 'running')")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if outcome == Outcome::Idle && waiting == 0 {
            return;
        }
        assert!(start.elapsed() < limit, "jobs still pending after {limit:?}");
        if outcome == Outcome::Idle {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
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
        // Tests run jobs themselves (worker::run_once), so nothing happens behind their back.
        ("JOB_WORKERS", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    // Each application its own upload directory, never the working tree.
    .chain([("UPLOAD_DIR".to_owned(), fresh_dir("uploads").display().to_string())])
    .collect()
}

/// A new empty directory under the system's temporary directory.
pub fn fresh_dir(purpose: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cleantrack-{purpose}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
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
    let pool = app.state().pool.clone();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client builds");
    TestApp { addr, client, pool, state, stop: Some(stop) }
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

/// `cleantrack serve` as its own process, on a random port: the process and the address it
/// logged. Its output keeps being read (a full pipe would stall the server's logging).
pub fn serve_binary(vars: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut vars = vars.to_vec();
    vars.push(("LEPTOS_SITE_ADDR", "127.0.0.1:0"));
    vars.push(("LOG_FORMAT", "pretty"));
    let mut child = cleantrack_command(&vars)
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split("listening on http://").nth(1).map(|a| a.trim().to_owned()))
        .expect("the server logs its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

fn empty_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cleantrack-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A superuser connection to the test's database: for tests that play an inspector or an
/// attacker with direct database access. Superusers bypass row-level security and can disable
/// triggers; the application never connects like this.
pub async fn superuser_pool(db: &PgConnectOptions) -> PgPool {
    let url = std::env::var("TEST_SUPERUSER_DATABASE_URL").expect("scripts/test.sh sets TEST_SUPERUSER_DATABASE_URL");
    let options: PgConnectOptions = url.parse().expect("a Postgres URL");
    PgPool::connect_with(options.database(db.get_database().expect("sqlx::test names its database")))
        .await
        .expect("superuser connects")
}
