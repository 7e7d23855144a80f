//! `cleantrack check --deploy`: the unsafe production settings of
//! `seed/deployment-checklist.md`, reported the way Django's `check --deploy` does.

use std::path::Path;

use super::config::{AppEnv, Config, StorageConfig};
use super::secret;

/// One unsafe setting: a stable id (for monitors and docs) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: &'static str,
    pub message: String,
}

/// Database passwords that appear in examples and docker-compose files, the seed's among them.
const KNOWN_DB_PASSWORDS: &[&str] =
    &["", "postgres", "password", "secure_password_123", "cleantrack", "changeme", "secret", "admin", "root"];

/// Every unsafe setting in `config`. `cwd` is where a stray `.env` file would be found.
pub fn findings(config: &Config, cwd: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut flag = |id: &'static str, message: String| out.push(Finding { id, message });

    if config.env != AppEnv::Production {
        flag("ct.W001", "APP_ENV is not `production`: development conveniences (detailed errors, .env loading, migrations at start-up) are on".into());
    }
    if let Some(weakness) = secret::weakness(config.secret_key.expose()) {
        flag("ct.W002", format!("SECRET_KEY is weak ({weakness}); create one with `cleantrack generate-secret`"));
    }
    if config.allowed_hosts.iter().any(|h| h == "*") {
        flag("ct.W003", "ALLOWED_HOSTS contains `*`: any Host header is accepted; list the real domain names".into());
    }
    if !config.https.ssl_redirect {
        flag(
            "ct.W004",
            "SECURE_SSL_REDIRECT is off: plain-HTTP requests are served instead of redirected to HTTPS".into(),
        );
    }
    if config.https.hsts_seconds == 0 {
        flag(
            "ct.W005",
            format!(
                "SECURE_HSTS_SECONDS is 0: browsers are not told to insist on HTTPS (use {})",
                Config::RECOMMENDED_HSTS_SECONDS
            ),
        );
    }
    if !config.https.secure_cookies {
        flag("ct.W006", "SESSION_COOKIE_SECURE is off: session cookies would travel over plain HTTP".into());
    }
    // Only a password written in the URL is judged; PGPASSWORD or a .pgpass file are out of sight.
    if url_password(config.database.url.expose())
        .is_some_and(|pw| KNOWN_DB_PASSWORDS.contains(&pw.to_ascii_lowercase().as_str()))
    {
        flag(
            "ct.W007",
            "DATABASE_URL uses a well-known default password; use the one your database host generated".into(),
        );
    }
    if config.public_url.scheme() != "https" {
        flag(
            "ct.W008",
            format!("PUBLIC_URL is {}: links in emails and redirects would use plain HTTP", config.public_url),
        );
    }
    if config.email.resend.is_none() {
        flag("ct.W010", "RESEND_API_KEY is not set: emails (verification, password reset, invitations) are recorded but never delivered".into());
    }
    match &config.stripe {
        None => flag(
            "ct.W011",
            "Stripe is not configured (STRIPE_LIVE_SECRET_KEY): billing is off and plan limits are not enforced".into(),
        ),
        Some(stripe) if !stripe.live_mode => flag(
            "ct.W012",
            "STRIPE_LIVE_MODE is off: production runs on Stripe test keys and no payment is real".into(),
        ),
        Some(stripe) if stripe.api_base.is_some() => {
            flag("ct.W013", "STRIPE_API_BASE is set: Stripe calls go somewhere other than Stripe".into())
        }
        Some(_) => {}
    }
    if config.sentry.is_none() {
        flag("ct.W014", "SENTRY_DSN is not set: errors and panics are only in the logs, nobody is alerted".into());
    }
    match &config.uploads.storage {
        StorageConfig::S3(s3) if s3.endpoint.as_ref().is_some_and(|e| e.scheme() != "https") => {
            flag("ct.W015", "S3_ENDPOINT is plain HTTP: photos and their keys' signatures travel unencrypted".into())
        }
        StorageConfig::Local { dir } if dir.is_relative() => flag(
            "ct.W016",
            format!(
                "UPLOAD_DIR `{}` is relative: photos land inside the deployment and are lost with it; \
                 use an absolute path on a persistent disk, or S3_BUCKET",
                dir.display()
            ),
        ),
        _ => {}
    }
    if let Some(weakness) = config.metrics_token.as_ref().and_then(|t| secret::weakness(t.expose())) {
        flag("ct.W017", format!("METRICS_TOKEN is weak ({weakness}); create one with `cleantrack generate-secret`"));
    }
    if config.database.migration_connect_options.is_none() {
        flag(
            "ct.W018",
            "MIGRATION_DATABASE_URL is not set: the server's database role owns the tables, so anyone holding \
             DATABASE_URL can disable the audit trail's triggers and row-level security (signed checkpoints \
             still expose a rewritten trail); migrate as an owner role and serve as one that owns nothing"
                .into(),
        );
    }
    if !config.field_key.from_environment {
        flag(
            "ct.W019",
            "FIELD_ENCRYPTION_KEY is not set: two-factor seeds and single sign-on client secrets are sealed with a \
             key derived from SECRET_KEY, so changing SECRET_KEY makes them unreadable (everyone re-enrols, every \
             provider is set up again); create one with `cleantrack generate-audit-key`"
                .into(),
        );
    }
    if config.env == AppEnv::Production && cwd.join(".env").exists() {
        flag("ct.W009", "a .env file exists in the working directory; production ignores it, and secrets belong in the platform's settings, never in a file".into());
    }
    out
}

fn url_password(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let raw = url.password()?;
    Some(percent_decode(raw))
}

/// `%40` → `@`: passwords with reserved characters are percent-encoded in URLs.
fn percent_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Renders the report printed by the command.
pub fn report(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "System check identified no issues.\n".into();
    }
    let mut text = String::from("System check identified some issues:\n\n");
    for finding in findings {
        text.push_str(&format!("  ({}) {}\n", finding.id, finding.message));
    }
    text.push_str(&format!("\nSystem check identified {} issue(s).\n", findings.len()));
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn production(overrides: &[(&str, &str)]) -> Config {
        let mut vars: HashMap<String, String> = [
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://ct:Xk29vLpQ7sNw@db.internal/ct"),
            ("SECRET_KEY", &secret::generate()),
            ("ALLOWED_HOSTS", "cleantrack.example.com"),
            ("PUBLIC_URL", "https://cleantrack.example.com"),
            ("EMAIL_FROM", "CleanTrack <no-reply@cleantrack.example.com>"),
            ("RESEND_API_KEY", "re_live_key"),
            ("STRIPE_LIVE_MODE", "true"),
            ("STRIPE_LIVE_SECRET_KEY", "sk_live_key"),
            ("STRIPE_LIVE_PRO_PRICE_ID", "price_live_pro"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_live"),
            ("SENTRY_DSN", "https://key@o1.ingest.sentry.io/2"),
            ("UPLOAD_DIR", "/app/data/uploads"),
            ("AUDIT_SIGNING_KEY", "2tzKGh6xqQkOeTLEnIWM1FZcGokRkRwf5ruXlEVNchA="),
            ("FIELD_ENCRYPTION_KEY", "q3vN0bF8Zt1xWm5yR2cK7pLd9sQe4uHa6gJiTo0BnVY="),
            ("MIGRATION_DATABASE_URL", "postgres://ct_owner:Pq83vLxR2sNw@db.internal/ct"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::from_vars(&vars).expect("valid test config")
    }

    fn ids(config: &Config) -> Vec<&'static str> {
        findings(config, Path::new("/nonexistent")).into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn a_safe_production_config_has_no_findings() {
        assert_eq!(ids(&production(&[])), Vec::<&str>::new());
    }

    #[test]
    fn serving_as_the_tables_owner_is_flagged() {
        let mut config = production(&[]);
        config.database.migration_connect_options = None;
        assert_eq!(ids(&config), ["ct.W018"]);
    }

    #[test]
    fn each_unsafe_setting_is_flagged_by_its_own_id() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("ALLOWED_HOSTS", "*")], "ct.W003"),
            (&[("SECURE_SSL_REDIRECT", "false")], "ct.W004"),
            (&[("SECURE_HSTS_SECONDS", "0")], "ct.W005"),
            (&[("SESSION_COOKIE_SECURE", "off")], "ct.W006"),
            (&[("DATABASE_URL", "postgres://cleantrack_user:secure_password_123@db/cleantrack")], "ct.W007"),
            (&[("PUBLIC_URL", "http://cleantrack.example.com")], "ct.W008"),
            (&[("STRIPE_LIVE_SECRET_KEY", "")], "ct.W011"),
            (
                &[
                    ("STRIPE_LIVE_MODE", "false"),
                    ("STRIPE_TEST_SECRET_KEY", "sk_test_key"),
                    ("STRIPE_TEST_PRO_PRICE_ID", "price_t"),
                ],
                "ct.W012",
            ),
            (&[("STRIPE_API_BASE", "http://127.0.0.1:12111/")], "ct.W013"),
            (&[("SENTRY_DSN", "")], "ct.W014"),
            (
                &[
                    ("S3_BUCKET", "p"),
                    ("S3_ACCESS_KEY_ID", "k"),
                    ("S3_SECRET_ACCESS_KEY", "s"),
                    ("S3_ENDPOINT", "http://minio:9000"),
                ],
                "ct.W015",
            ),
            (&[("UPLOAD_DIR", "data/uploads")], "ct.W016"),
            (&[("METRICS_TOKEN", "changeme")], "ct.W017"),
            (&[("FIELD_ENCRYPTION_KEY", "")], "ct.W019"),
        ];
        for (overrides, id) in cases {
            assert_eq!(ids(&production(overrides)), [*id], "for {overrides:?}");
        }
    }

    #[test]
    fn development_and_a_weak_key_are_flagged() {
        let config = production(&[("APP_ENV", "development"), ("SECRET_KEY", "dev")]);
        let found = ids(&config);
        assert!(found.contains(&"ct.W001") && found.contains(&"ct.W002"), "{found:?}");
    }

    #[test]
    fn a_stray_env_file_is_flagged_in_production() {
        let dir = std::env::temp_dir().join(format!("ct-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".env"), "SECRET_KEY=x").unwrap();
        let found: Vec<_> = findings(&production(&[]), &dir).into_iter().map(|f| f.id).collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, ["ct.W009"]);
    }
}
