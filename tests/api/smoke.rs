//! `cleantrack smoke` against the app behind a TLS-terminating proxy: every check passes on a
//! sound deployment, and a missing header fails the run, naming its check.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{cleantrack_command, config_for, fresh_dir, spawn_app_with, TestApp};
use crate::stripe_standin::{PRICE, SECRET_KEY, WEBHOOK_SECRET};
use crate::tls_proxy;

/// The app as deployed: HTTPS settings on, behind a proxy it trusts, with billing configured.
async fn deployed(db: PgConnectOptions, overrides: &[(&str, &str)]) -> TestApp {
    // This test binary has no hash.txt beside it, so pages name the plain site files.
    let site = fresh_dir("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/cleantrack.css"), "body{}").unwrap();
    std::fs::write(site.join("pkg/cleantrack.js"), "export default function(){}").unwrap();
    let site = site.to_string_lossy().into_owned();
    let mut vars = vec![
        ("LEPTOS_SITE_ROOT", site.as_str()),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("SECURE_SSL_REDIRECT", "true"),
        ("SECURE_HSTS_SECONDS", "31536000"),
        ("STRIPE_TEST_SECRET_KEY", SECRET_KEY),
        ("STRIPE_TEST_PRO_PRICE_ID", PRICE),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    vars.extend_from_slice(overrides);
    spawn_app_with(config_for(db, &vars)).await
}

/// Runs `cleantrack smoke` without blocking this runtime, which also runs the app and proxy.
async fn smoke(proxy: std::net::SocketAddr) -> (bool, String) {
    let mut command = cleantrack_command(&[]);
    command.args(["smoke", "--url", &format!("https://127.0.0.1:{}/", proxy.port())]);
    command.arg("--ca-cert").arg(tls_proxy::fixture("ca.pem"));
    let output = tokio::process::Command::from(command).output().await.unwrap();
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

#[sqlx::test]
async fn smoke_passes_against_a_sound_deployment_behind_tls(_: PgPoolOptions, db: PgConnectOptions) {
    let app = deployed(db, &[]).await;
    let proxy = tls_proxy::start(app.addr).await;
    let (ok, output) = smoke(proxy).await;
    assert!(ok, "{output}");
    for check in
        ["https", "hsts", "security headers", "static files", "database", "sign-in page", "QR image", "stripe webhook"]
    {
        assert!(output.lines().any(|l| l.starts_with("PASS") && l.contains(check)), "{check} did not pass:\n{output}");
    }
    assert!(output.contains("smoke: 8 passed, 0 failed"), "{output}");
}

#[sqlx::test]
async fn smoke_fails_and_names_the_check_when_a_header_is_missing(_: PgPoolOptions, db: PgConnectOptions) {
    let app = deployed(db, &[("SECURE_HSTS_SECONDS", "0")]).await;
    let proxy = tls_proxy::start(app.addr).await;
    let (ok, output) = smoke(proxy).await;
    assert!(!ok, "a missing HSTS header must fail the run:\n{output}");
    assert!(output.contains("FAIL  hsts"), "{output}");
    assert!(output.contains("smoke: 7 passed, 1 failed"), "{output}");
}
