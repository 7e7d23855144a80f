//! Typed configuration, parsed once from the environment.
//!
//! Every problem is collected before giving up, so an operator sees the whole list in one message
//! instead of fixing variables one restart at a time. No secret has a default.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use ipnet::IpNet;
use sqlx::postgres::PgConnectOptions;
use url::Url;

use super::secret::{self, Secret};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Production,
    Development,
}

impl AppEnv {
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

#[derive(Clone)]
pub struct Config {
    pub env: AppEnv,
    pub listen_addr: SocketAddr,
    /// Where browsers reach us; links in emails are built from it.
    pub public_url: Url,
    /// Directory holding the compiled site (`pkg/` with JS, WASM, CSS) produced by cargo-leptos.
    pub site_root: String,
    pub database: DatabaseConfig,
    pub secret_key: Secret,
    pub allowed_hosts: Vec<String>,
    pub https: HttpsConfig,
    /// Peers whose `X-Forwarded-Proto` / `X-Forwarded-For` we believe. Empty: believe nobody.
    pub trusted_proxies: Vec<IpNet>,
    /// Registrations (and, separately, password-reset requests) allowed from one client address
    /// per hour. Raise it for many people behind one address (a hospital network, a test run).
    pub signups_per_address_per_hour: i64,
    pub max_request_body_bytes: usize,
    pub request_timeout: Duration,
    /// For photo uploads (`POST /photos`): a camera photo on a slow phone uplink takes far longer
    /// than any other request.
    pub upload_timeout: Duration,
    pub log_format: LogFormat,
    pub email: EmailConfig,
    pub jobs: JobsConfig,
    pub uploads: UploadConfig,
    /// Stripe, when its secret key for the chosen mode is set; otherwise billing is off.
    pub stripe: Option<StripeConfig>,
    /// Sentry, when SENTRY_DSN is set; otherwise errors are only logged.
    pub sentry: Option<SentryConfig>,
    /// Bearer token for `GET /metrics`; without it the endpoint does not exist.
    pub metrics_token: Option<Secret>,
    /// Signs audit checkpoints and issued files (`server::audit::signing`).
    pub audit_key: std::sync::Arc<crate::server::audit::signing::AuditKey>,
    /// Seals TOTP seeds and single sign-on client secrets (`server::auth::sealed`).
    pub field_key: std::sync::Arc<crate::server::auth::sealed::FieldKey>,
}

#[derive(Clone)]
pub struct SentryConfig {
    pub dsn: Secret,
    /// Share of requests whose tracing spans are sent (errors are always sent).
    pub traces_sample_rate: f32,
    pub environment: String,
    /// The running build, e.g. `cleantrack@0.1.0+<git sha>`.
    pub release: String,
}

/// Stripe billing. Test and live keys may both be configured; `STRIPE_LIVE_MODE` chooses.
#[derive(Clone)]
pub struct StripeConfig {
    pub live_mode: bool,
    pub secret_key: Secret,
    /// The Pro plan's per-facility monthly price (`price_…`) in the chosen mode.
    pub pro_price_id: String,
    /// Signs the events Stripe posts to `/webhooks/stripe` (`whsec_…`).
    pub webhook_secret: Secret,
    /// Stripe's API by default; tests point it at a local stand-in.
    pub api_base: Option<Url>,
    /// How long one call to Stripe's API may take.
    pub timeout: Duration,
}

/// Where photos go, and how big one may be.
#[derive(Clone)]
pub struct UploadConfig {
    pub storage: StorageConfig,
    pub max_photo_bytes: usize,
    /// Width × height, checked from the image's header before it is decoded: a small file can
    /// declare hundreds of megapixels and cost seconds of CPU.
    pub max_photo_pixels: u64,
}

#[derive(Clone)]
pub enum StorageConfig {
    /// A directory on local disk (the default; on a platform, a persistent disk).
    Local { dir: std::path::PathBuf },
    /// An S3 bucket (AWS or any S3-compatible service), when S3_BUCKET is set.
    S3(S3Config),
}

#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Another S3-compatible service (MinIO, R2, …); AWS when absent.
    pub endpoint: Option<Url>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    pub force_path_style: bool,
}

#[derive(Clone)]
pub struct EmailConfig {
    /// Resend, when RESEND_API_KEY is set; otherwise emails are only recorded (and shown at
    /// `/dev/mail` in development).
    pub resend: Option<ResendConfig>,
    /// The sender, e.g. `CleanTrack <no-reply@cleantrack.example>`.
    pub from: String,
    /// How long one delivery attempt may take before it counts as failed (and is retried).
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct ResendConfig {
    pub api_key: Secret,
    /// Resend's API by default; tests point it at a local stand-in.
    pub base_url: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Jobs one instance runs at once; 0 runs none (a separate `cleantrack worker` does).
    pub workers: usize,
    pub poll_interval: Duration,
    /// Delay before the first retry; doubles with each further attempt, up to an hour.
    pub retry_base: Duration,
    /// A job running longer than this is presumed abandoned by a dead worker and runs again.
    pub lease: Duration,
    /// How often each organization's audit chain head is signed (while events arrive).
    pub checkpoint_minutes: u32,
}

#[derive(Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub connect_options: PgConnectOptions,
    pub max_connections: u32,
    /// `MIGRATION_DATABASE_URL`: the role that owns the schema and runs the migrations, when the
    /// server's own role (`DATABASE_URL`) is a separate one that owns nothing (see README,
    /// "Database roles"). `None`: one role does both.
    pub migration_connect_options: Option<PgConnectOptions>,
}

#[derive(Debug, Clone)]
pub struct HttpsConfig {
    pub ssl_redirect: bool,
    pub hsts_seconds: u64,
    pub hsts_include_subdomains: bool,
    pub hsts_preload: bool,
    pub secure_cookies: bool,
}

/// Every problem found while reading the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration is not usable ({} problem(s)):", self.problems.len())?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("listen_addr", &self.listen_addr)
            .field("public_url", &self.public_url.as_str())
            .field("allowed_hosts", &self.allowed_hosts)
            .field("https", &self.https)
            .finish_non_exhaustive()
    }
}

const ONE_YEAR_SECONDS: u64 = 31_536_000;
const DEV_ALLOWED_HOSTS: &str = "localhost,127.0.0.1";

impl Config {
    /// Reads the process environment. Outside production a `.env` file in the working directory
    /// is loaded first (variables already set win); in production it is never read, so secrets
    /// come only from the platform.
    pub fn from_env() -> Result<Config, ConfigError> {
        if std::env::var("APP_ENV").as_deref() != Ok("production") {
            // A missing file is the normal case; a malformed one is reported by name.
            if let Err(err) = dotenvy::dotenv() {
                if !err.not_found() {
                    return Err(ConfigError { problems: vec![format!(".env could not be read: {err}")] });
                }
            }
        }
        Config::from_vars(&std::env::vars().collect())
    }

    /// Parses a set of variables; pure, so tests can feed it any map.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut p = Parser { vars, problems: Vec::new() };

        let env = match p.get("APP_ENV") {
            Some("production") => Some(AppEnv::Production),
            Some("development") => Some(AppEnv::Development),
            Some(other) => p.problem(format!("APP_ENV must be `production` or `development`, not `{other}`")),
            None => p.problem("APP_ENV is required (`production` or `development`)".into()),
        };
        // Defaults below depend on the environment; assume production (the strict one) when unknown.
        let prod = env.is_none_or(AppEnv::is_production);

        let listen_addr = p.parsed("LEPTOS_SITE_ADDR", "an address like 127.0.0.1:3000", Some("127.0.0.1:3000"));
        let site_root = p.get("LEPTOS_SITE_ROOT").unwrap_or("target/site").to_owned();

        let database = p.database();
        let secret_key = p.secret_key(prod);

        let allowed_hosts = match p.get("ALLOWED_HOSTS") {
            Some(list) => split_list(list).map(str::to_ascii_lowercase).collect(),
            None if !prod => split_list(DEV_ALLOWED_HOSTS).map(str::to_owned).collect(),
            None => Vec::new(),
        };
        if allowed_hosts.is_empty() {
            p.problem::<()>(
                "ALLOWED_HOSTS is required in production: the host names this site answers to, comma separated".into(),
            );
        }

        let public_url = match p.get("PUBLIC_URL") {
            Some(raw) => match Url::parse(raw) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                _ => p.problem(format!("PUBLIC_URL must be an http(s) URL, not `{raw}`")),
            },
            None if !prod => listen_addr.map(|addr: SocketAddr| {
                Url::parse(&format!("http://{addr}")).expect("a socket address makes a valid URL")
            }),
            None => p.problem("PUBLIC_URL is required in production (e.g. https://cleantrack.example.com)".into()),
        };

        let https = HttpsConfig {
            ssl_redirect: p.flag("SECURE_SSL_REDIRECT", prod),
            hsts_seconds: p
                .parsed("SECURE_HSTS_SECONDS", "a number of seconds", Some(if prod { "31536000" } else { "0" }))
                .unwrap_or(0),
            hsts_include_subdomains: p.flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", prod),
            hsts_preload: p.flag("SECURE_HSTS_PRELOAD", prod),
            secure_cookies: p.flag("SESSION_COOKIE_SECURE", prod),
        };

        let trusted_proxies = p
            .get("TRUSTED_PROXIES")
            .map(split_list)
            .into_iter()
            .flatten()
            .filter_map(|item| {
                // A bare address means exactly that host.
                let parsed = item.parse::<IpNet>().or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from));
                parsed
                    .map_err(|_| {
                        p.problems.push(format!("TRUSTED_PROXIES: `{item}` is not an IP address or CIDR range"))
                    })
                    .ok()
            })
            .collect();

        let signups_per_address_per_hour =
            p.parsed("SIGNUPS_PER_ADDRESS_PER_HOUR", "a number", Some("10")).unwrap_or(10);
        let max_request_body_bytes = p.parsed("MAX_REQUEST_BODY_BYTES", "a number of bytes", Some("16777216"));
        let request_timeout_secs: Option<u64> = p.parsed("REQUEST_TIMEOUT_SECS", "a number of seconds", Some("30"));
        // 10 MB at 750 kbit/s takes about 110 s.
        let upload_timeout_secs: Option<u64> = p.parsed("UPLOAD_TIMEOUT_SECS", "a number of seconds", Some("300"));
        let log_format = match p.get("LOG_FORMAT") {
            Some("json") => Some(LogFormat::Json),
            Some("pretty") => Some(LogFormat::Pretty),
            Some(other) => p.problem(format!("LOG_FORMAT must be `json` or `pretty`, not `{other}`")),
            None => Some(if prod { LogFormat::Json } else { LogFormat::Pretty }),
        };

        let email = p.email(prod);
        let uploads = p.uploads(max_request_body_bytes);
        let stripe = p.stripe();
        let sentry = p.sentry(env);
        let metrics_token = p.get("METRICS_TOKEN").map(|t| Secret::new(t.to_owned()));
        let audit_key = p.audit_key(prod, secret_key.as_ref());
        let field_key = p.field_key(secret_key.as_ref());
        let jobs = JobsConfig {
            workers: p.parsed("JOB_WORKERS", "a number", Some("2")).unwrap_or(2),
            poll_interval: Duration::from_millis(p.parsed("JOB_POLL_MS", "milliseconds", Some("1000")).unwrap_or(1000)),
            retry_base: Duration::from_millis(
                p.parsed("JOB_RETRY_BASE_MS", "milliseconds", Some("10000")).unwrap_or(10_000),
            ),
            lease: Duration::from_secs(p.parsed("JOB_LEASE_SECS", "seconds", Some("300")).unwrap_or(300)),
            checkpoint_minutes: p.parsed("AUDIT_CHECKPOINT_MINUTES", "a number of minutes", Some("60")).unwrap_or(60),
        };

        if !p.problems.is_empty() {
            return Err(ConfigError { problems: p.problems });
        }
        // Every `None` above pushed a problem, so these unwraps cannot fail.
        Ok(Config {
            env: env.unwrap(),
            listen_addr: listen_addr.unwrap(),
            public_url: public_url.unwrap(),
            site_root,
            database: database.unwrap(),
            secret_key: secret_key.unwrap(),
            allowed_hosts,
            https,
            trusted_proxies,
            signups_per_address_per_hour,
            max_request_body_bytes: max_request_body_bytes.unwrap(),
            request_timeout: Duration::from_secs(request_timeout_secs.unwrap()),
            upload_timeout: Duration::from_secs(upload_timeout_secs.unwrap()),
            log_format: log_format.unwrap(),
            email: email.unwrap(),
            jobs,
            uploads: uploads.unwrap(),
            stripe,
            sentry,
            metrics_token,
            audit_key: std::sync::Arc::new(audit_key.unwrap()),
            field_key: std::sync::Arc::new(field_key.unwrap()),
        })
    }

    /// The HSTS lifetime production should use unless an operator has a reason not to.
    pub const RECOMMENDED_HSTS_SECONDS: u64 = ONE_YEAR_SECONDS;
}

fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

struct Parser<'a> {
    vars: &'a HashMap<String, String>,
    problems: Vec<String>,
}

impl<'a> Parser<'a> {
    /// A variable's value; set-but-empty counts as unset, as in most platforms' dashboards.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn problem<T>(&mut self, message: String) -> Option<T> {
        self.problems.push(message);
        None
    }

    fn parsed<T: std::str::FromStr>(&mut self, name: &str, what: &str, default: Option<&str>) -> Option<T> {
        let raw = self.get(name).or(default)?.to_owned();
        match raw.parse() {
            Ok(value) => Some(value),
            Err(_) => self.problem(format!("{name} must be {what}, not `{raw}`")),
        }
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(other) => {
                self.problems.push(format!("{name} must be true or false, not `{other}`"));
                default
            }
        }
    }

    fn database(&mut self) -> Option<DatabaseConfig> {
        let max_connections = self.parsed("DATABASE_MAX_CONNECTIONS", "a number", Some("10"));
        let Some(url) = self.get("DATABASE_URL").map(str::to_owned) else {
            return self.problem("DATABASE_URL is required (postgres://user:password@host:port/database)".into());
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return self.problem("DATABASE_URL must start with postgres:// or postgresql://".into());
        }
        // The URL holds a password: never echo it back in the message.
        let connect_options = match url.parse::<PgConnectOptions>() {
            Ok(options) => plain_on_loopback(options, &url, self.get("PGSSLMODE").is_some()),
            Err(_) => return self.problem("DATABASE_URL is not a valid Postgres URL".into()),
        };
        let migration_connect_options = match self.get("MIGRATION_DATABASE_URL").map(str::parse::<PgConnectOptions>) {
            None => None,
            Some(Ok(options)) => Some(options),
            Some(Err(_)) => return self.problem("MIGRATION_DATABASE_URL is not a valid Postgres URL".into()),
        };
        Some(DatabaseConfig {
            url: Secret::new(url),
            connect_options,
            max_connections: max_connections?,
            migration_connect_options,
        })
    }

    fn email(&mut self, prod: bool) -> Option<EmailConfig> {
        let timeout = Duration::from_secs(self.parsed("EMAIL_TIMEOUT_SECS", "seconds", Some("20"))?);
        let base_url = match self.get("RESEND_BASE_URL") {
            Some(raw) => Some(
                Url::parse(raw).ok().or_else(|| self.problem(format!("RESEND_BASE_URL must be a URL, not `{raw}`")))?,
            ),
            None => None,
        };
        let resend =
            self.get("RESEND_API_KEY").map(|key| ResendConfig { api_key: Secret::new(key.to_owned()), base_url });
        let from = match self.get("EMAIL_FROM") {
            Some(from) if from.contains('@') => from.to_owned(),
            Some(other) => return self.problem(format!("EMAIL_FROM must contain an address, not `{other}`")),
            None if resend.is_some() || prod => {
                return self.problem(
                    "EMAIL_FROM is required to send email (e.g. CleanTrack <no-reply@cleantrack.example>)".into(),
                )
            }
            None => "CleanTrack <no-reply@cleantrack.localhost>".to_owned(),
        };
        Some(EmailConfig { resend, from, timeout })
    }

    fn uploads(&mut self, max_request_body: Option<usize>) -> Option<UploadConfig> {
        // The upload is one request: the photo and a little multipart framing must fit in it.
        const FRAMING: usize = 64 * 1024;
        let body = max_request_body.unwrap_or(usize::MAX);
        let max_photo_bytes: usize = match self.get("MAX_PHOTO_BYTES") {
            None => (10 * 1024 * 1024).min(body.saturating_sub(FRAMING)),
            Some(_) => {
                let max = self.parsed("MAX_PHOTO_BYTES", "a number of bytes", None)?;
                if max + FRAMING > body {
                    return self.problem(format!(
                        "MAX_PHOTO_BYTES ({max}) must stay 64 KiB under MAX_REQUEST_BODY_BYTES ({body})"
                    ));
                }
                max
            }
        };
        let storage = match self.get("S3_BUCKET") {
            None => StorageConfig::Local { dir: self.get("UPLOAD_DIR").unwrap_or("data/uploads").into() },
            Some(bucket) => {
                let endpoint = match self.get("S3_ENDPOINT") {
                    Some(raw) => Some(
                        Url::parse(raw)
                            .ok()
                            .or_else(|| self.problem(format!("S3_ENDPOINT must be a URL, not `{raw}`")))?,
                    ),
                    None => None,
                };
                let (Some(key), Some(secret)) = (self.get("S3_ACCESS_KEY_ID"), self.get("S3_SECRET_ACCESS_KEY")) else {
                    return self
                        .problem("S3_BUCKET is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required".into());
                };
                StorageConfig::S3(S3Config {
                    bucket: bucket.to_owned(),
                    endpoint,
                    region: self.get("S3_REGION").unwrap_or("us-east-1").to_owned(),
                    access_key_id: key.to_owned(),
                    secret_access_key: Secret::new(secret.to_owned()),
                    force_path_style: self.flag("S3_FORCE_PATH_STYLE", false),
                })
            }
        };
        let megapixels: u64 = self.parsed("MAX_PHOTO_MEGAPIXELS", "a whole number of megapixels", Some("40"))?;
        Some(UploadConfig { storage, max_photo_bytes, max_photo_pixels: megapixels * 1_000_000 })
    }

    /// Billing is on when the secret key of the chosen mode is set; then the price and the
    /// webhook secret are required too, and a key of the other mode is refused.
    fn stripe(&mut self) -> Option<StripeConfig> {
        let live_mode = self.flag("STRIPE_LIVE_MODE", false);
        let (mode, key_prefix) = if live_mode { ("LIVE", "sk_live_") } else { ("TEST", "sk_test_") };
        let secret_key = self.get(&format!("STRIPE_{mode}_SECRET_KEY"))?.to_owned();
        let mut missing = Vec::new();
        if !secret_key.starts_with(key_prefix) && !secret_key.starts_with(&key_prefix.replace("sk_", "rk_")) {
            self.problems.push(format!(
                "STRIPE_{mode}_SECRET_KEY must be a {} key (starting {key_prefix}); STRIPE_LIVE_MODE is {live_mode}",
                mode.to_ascii_lowercase()
            ));
        }
        let price_var = format!("STRIPE_{mode}_PRO_PRICE_ID");
        let pro_price_id = self.get(&price_var).map(str::to_owned);
        if pro_price_id.is_none() {
            missing.push(price_var);
        }
        let webhook_secret = self.get("STRIPE_WEBHOOK_SECRET").map(|s| Secret::new(s.to_owned()));
        if webhook_secret.is_none() {
            missing.push("STRIPE_WEBHOOK_SECRET".to_owned());
        }
        if !missing.is_empty() {
            return self.problem(format!("STRIPE_{mode}_SECRET_KEY is set: {} required too", missing.join(" and ")));
        }
        let api_base = match self.get("STRIPE_API_BASE") {
            Some(raw) => Some(
                Url::parse(raw).ok().or_else(|| self.problem(format!("STRIPE_API_BASE must be a URL, not `{raw}`")))?,
            ),
            None => None,
        };
        let timeout = Duration::from_secs(self.parsed("STRIPE_TIMEOUT_SECS", "seconds", Some("20"))?);
        Some(StripeConfig {
            live_mode,
            secret_key: Secret::new(secret_key),
            pro_price_id: pro_price_id?,
            webhook_secret: webhook_secret?,
            api_base,
            timeout,
        })
    }

    fn sentry(&mut self, env: Option<AppEnv>) -> Option<SentryConfig> {
        let dsn = self.get("SENTRY_DSN")?.to_owned();
        if !Url::parse(&dsn).is_ok_and(|u| u.username() != "" && matches!(u.scheme(), "http" | "https")) {
            return self.problem("SENTRY_DSN must be a DSN like https://<key>@o0.ingest.sentry.io/<project>".into());
        }
        let rate: f32 = self.parsed("SENTRY_TRACES_SAMPLE_RATE", "a number from 0 to 1", Some("0.1"))?;
        if !(0.0..=1.0).contains(&rate) {
            return self.problem(format!("SENTRY_TRACES_SAMPLE_RATE must be from 0 to 1, not {rate}"));
        }
        let default_env = if env.is_none_or(AppEnv::is_production) { "production" } else { "development" };
        let version = env!("CARGO_PKG_VERSION");
        let release = match self.get("RELEASE").or(self.get("RENDER_GIT_COMMIT")) {
            Some(commit) => format!("cleantrack@{version}+{}", &commit[..commit.len().min(12)]),
            None => format!("cleantrack@{version}"),
        };
        Some(SentryConfig {
            dsn: Secret::new(dsn),
            traces_sample_rate: rate,
            environment: self.get("SENTRY_ENVIRONMENT").unwrap_or(default_env).to_owned(),
            release,
        })
    }

    /// `AUDIT_SIGNING_KEY`; outside production, one derived from SECRET_KEY when it is absent.
    fn audit_key(
        &mut self,
        prod: bool,
        secret_key: Option<&Secret>,
    ) -> Option<crate::server::audit::signing::AuditKey> {
        use crate::server::audit::signing::AuditKey;
        match self.get("AUDIT_SIGNING_KEY").map(str::to_owned) {
            Some(value) => AuditKey::from_setting(&value).map_err(|problem| self.problems.push(problem)).ok(),
            None if prod => self.problem(
                "AUDIT_SIGNING_KEY is required in production: it signs the audit trail's checkpoints and every \
                 file issued; create one with `cleantrack generate-audit-key` and keep it outside the database"
                    .into(),
            ),
            // A missing SECRET_KEY is reported already.
            None => secret_key
                .map(AuditKey::derived_from)
                .or_else(|| Some(AuditKey::derived_from(&Secret::new(String::new())))),
        }
    }

    /// `FIELD_ENCRYPTION_KEY`, or (flagged by `check --deploy`) one derived from SECRET_KEY.
    fn field_key(&mut self, secret_key: Option<&Secret>) -> Option<crate::server::auth::sealed::FieldKey> {
        use crate::server::auth::sealed::FieldKey;
        match self.get("FIELD_ENCRYPTION_KEY").map(str::to_owned) {
            Some(value) => FieldKey::from_setting(&value).map_err(|problem| self.problems.push(problem)).ok(),
            // A missing SECRET_KEY is reported already.
            None => Some(FieldKey::derived_from(secret_key.unwrap_or(&Secret::new(String::new())))),
        }
    }

    fn secret_key(&mut self, prod: bool) -> Option<Secret> {
        let Some(key) = self.get("SECRET_KEY").map(str::to_owned) else {
            return self.problem("SECRET_KEY is required; create one with `cleantrack generate-secret`".into());
        };
        if prod {
            if let Some(weakness) = secret::weakness(&key) {
                return self.problem(format!("SECRET_KEY is too weak for production: {weakness}"));
            }
        }
        Some(Secret::new(key))
    }
}

/// A database on this machine (loopback address or Unix socket) is reached without TLS unless
/// the URL or `PGSSLMODE` asks for a mode: the bytes never leave the kernel, and encrypting them
/// cost a fifth of the QR page's throughput (BENCHMARKS.md). Anywhere else the default stays
/// sqlx's (and libpq's) `prefer`, and production URLs name `sslmode=require` or stricter.
fn plain_on_loopback(options: PgConnectOptions, url: &str, mode_from_env: bool) -> PgConnectOptions {
    let mode_in_url = url::Url::parse(url)
        .map(|u| u.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("sslmode") || k.eq_ignore_ascii_case("ssl-mode")))
        .unwrap_or(true);
    let host = options.get_host();
    let local = host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if local && !mode_in_url && !mode_from_env {
        options.ssl_mode(sqlx::postgres::PgSslMode::Disable)
    } else {
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const STRONG: &str = "Zx8mQ2vLr5TtYp0Wn3KsHd7Gf1JbVc9XaE4uRiOqMlNk6Ss_-Pz";

    fn dev() -> Vec<(&'static str, &'static str)> {
        vec![("APP_ENV", "development"), ("DATABASE_URL", "postgres://ct:pw@localhost/ct"), ("SECRET_KEY", "dev-key")]
    }

    #[test]
    fn a_database_on_this_machine_is_reached_without_tls_unless_the_url_asks() {
        use sqlx::postgres::PgSslMode;
        let mode = |url: &str, env: bool| {
            let options = plain_on_loopback(url.parse().unwrap(), url, env);
            format!("{:?}", options.get_ssl_mode())
        };
        let disabled = format!("{:?}", PgSslMode::Disable);
        let preferred = format!("{:?}", PgSslMode::Prefer);
        assert_eq!(mode("postgres://ct:pw@127.0.0.1:5432/ct", false), disabled);
        assert_eq!(mode("postgres://ct:pw@localhost/ct", false), disabled);
        assert_eq!(mode("postgres://ct:pw@[::1]/ct", false), disabled);
        assert_eq!(mode("postgres://ct:pw@127.0.0.1/ct?sslmode=require", false), format!("{:?}", PgSslMode::Require));
        assert_eq!(mode("postgres://ct:pw@127.0.0.1/ct", true), preferred);
        assert_eq!(mode("postgres://ct:pw@db.internal/ct", false), preferred);
        assert_eq!(mode("postgres://ct:pw@10.0.0.5/ct", false), preferred);
    }

    #[test]
    fn development_defaults_are_local_and_relaxed() {
        let config = Config::from_vars(&vars(&dev())).unwrap();
        assert_eq!(config.allowed_hosts, ["localhost", "127.0.0.1"]);
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!config.https.ssl_redirect && !config.https.secure_cookies);
        assert_eq!(config.https.hsts_seconds, 0);
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn production_defaults_are_secure() {
        let config = Config::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://ct:pw@db.internal/ct"),
            ("SECRET_KEY", STRONG),
            ("AUDIT_SIGNING_KEY", "2tzKGh6xqQkOeTLEnIWM1FZcGokRkRwf5ruXlEVNchA="),
            ("ALLOWED_HOSTS", "cleantrack.example.com"),
            ("PUBLIC_URL", "https://cleantrack.example.com"),
            ("EMAIL_FROM", "CleanTrack <no-reply@cleantrack.example.com>"),
        ]))
        .unwrap();
        assert!(config.https.ssl_redirect && config.https.secure_cookies && config.https.hsts_include_subdomains);
        assert_eq!(config.https.hsts_seconds, Config::RECOMMENDED_HSTS_SECONDS);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Config::from_vars(&vars(&[("APP_ENV", "production"), ("SECURE_SSL_REDIRECT", "maybe")])).unwrap_err();
        let all = err.problems.join("\n");
        for name in
            ["DATABASE_URL", "SECRET_KEY", "AUDIT_SIGNING_KEY", "ALLOWED_HOSTS", "PUBLIC_URL", "SECURE_SSL_REDIRECT"]
        {
            assert!(all.contains(name), "{name} missing from {all}");
        }
    }

    #[test]
    fn missing_app_env_is_an_error_not_a_default() {
        let mut v = vars(&dev());
        v.remove("APP_ENV");
        let err = Config::from_vars(&v).unwrap_err();
        assert!(err.problems.iter().any(|p| p.starts_with("APP_ENV is required")));
    }

    #[test]
    fn a_weak_secret_is_refused_in_production_only() {
        let mut v = vars(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://ct:pw@db/ct"),
            ("SECRET_KEY", "changeme"),
            ("ALLOWED_HOSTS", "a.example"),
            ("PUBLIC_URL", "https://a.example"),
            ("EMAIL_FROM", "no-reply@a.example"),
        ]);
        let err = Config::from_vars(&v).unwrap_err();
        assert!(err.problems[0].starts_with("SECRET_KEY is too weak"), "{err}");
        v.insert("APP_ENV".into(), "development".into());
        assert!(Config::from_vars(&v).is_ok());
    }

    #[test]
    fn database_url_errors_never_echo_the_password() {
        let mut v = vars(&dev());
        v.insert("DATABASE_URL".into(), "mysql://root:hunter2@db/x".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_ranges() {
        let mut v = vars(&dev());
        v.insert("TRUSTED_PROXIES".into(), "10.0.0.0/8, 127.0.0.1, nonsense".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert_eq!(err.problems, ["TRUSTED_PROXIES: `nonsense` is not an IP address or CIDR range"]);
        v.insert("TRUSTED_PROXIES".into(), "10.0.0.0/8, 127.0.0.1".into());
        let config = Config::from_vars(&v).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
    }

    #[test]
    fn uploads_go_to_a_local_directory_unless_a_bucket_is_configured() {
        let mut v = vars(&dev());
        let config = Config::from_vars(&v).unwrap();
        assert!(matches!(config.uploads.storage, StorageConfig::Local { .. }));
        assert_eq!(config.uploads.max_photo_bytes, 10 * 1024 * 1024);
        assert_eq!(config.uploads.max_photo_pixels, 40_000_000);

        v.insert("S3_BUCKET".into(), "photos".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert_eq!(err.problems, ["S3_BUCKET is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required"]);
        v.insert("S3_ACCESS_KEY_ID".into(), "id".into());
        v.insert("S3_SECRET_ACCESS_KEY".into(), "secret".into());
        v.insert("S3_ENDPOINT".into(), "http://127.0.0.1:9000".into());
        let StorageConfig::S3(s3) = Config::from_vars(&v).unwrap().uploads.storage else { panic!("S3 expected") };
        assert_eq!((s3.bucket.as_str(), s3.region.as_str(), s3.force_path_style), ("photos", "us-east-1", false));

        v.insert("MAX_PHOTO_BYTES".into(), "20000000".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert!(err.problems[0].starts_with("MAX_PHOTO_BYTES (20000000) must stay 64 KiB under"), "{err}");
    }

    #[test]
    fn billing_is_off_without_a_key_and_live_mode_picks_the_live_settings() {
        let mut v = vars(&dev());
        v.insert("STRIPE_LIVE_SECRET_KEY".into(), "sk_live_abc".into());
        assert!(Config::from_vars(&v).unwrap().stripe.is_none(), "test mode by default, and no test key");

        v.insert("STRIPE_TEST_SECRET_KEY".into(), "sk_test_abc".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert_eq!(
            err.problems,
            ["STRIPE_TEST_SECRET_KEY is set: STRIPE_TEST_PRO_PRICE_ID and STRIPE_WEBHOOK_SECRET required too"]
        );
        v.insert("STRIPE_TEST_PRO_PRICE_ID".into(), "price_test".into());
        v.insert("STRIPE_LIVE_PRO_PRICE_ID".into(), "price_live".into());
        v.insert("STRIPE_WEBHOOK_SECRET".into(), "whsec_abc".into());
        let stripe = Config::from_vars(&v).unwrap().stripe.unwrap();
        assert_eq!((stripe.live_mode, stripe.pro_price_id.as_str()), (false, "price_test"));

        v.insert("STRIPE_LIVE_MODE".into(), "true".into());
        let stripe = Config::from_vars(&v).unwrap().stripe.unwrap();
        assert_eq!((stripe.live_mode, stripe.pro_price_id.as_str()), (true, "price_live"));
        assert_eq!(stripe.secret_key.expose(), "sk_live_abc");

        v.insert("STRIPE_LIVE_SECRET_KEY".into(), "sk_test_oops".into());
        let err = Config::from_vars(&v).unwrap_err();
        assert!(err.problems[0].starts_with("STRIPE_LIVE_SECRET_KEY must be a live key"), "{err}");
    }
}
