//! The `cleantrack` binary itself: configuration errors, `check --deploy`, `generate-secret`,
//! `migrate`, and a graceful stop on SIGTERM.

use std::process::Output;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::Connection;

use crate::helpers::{cleantrack_command, database_url, serve_binary};

const STRONG_KEY: &str = "q3V9xK2mP8rT5wZ1nB7cF4hJ6dL0sG3aY8eU2iO5pR9tW1zX4vC7bN0mQ6kJ3hF8";

fn run(args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    let Output { status, stdout, stderr } = cleantrack_command(vars).args(args).output().expect("binary runs");
    (status.success(), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

fn safe_production() -> Vec<(&'static str, &'static str)> {
    vec![
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://cleantrack:Xk29vLpQ7sNwE4@db.internal:5432/cleantrack"),
        ("SECRET_KEY", STRONG_KEY),
        ("ALLOWED_HOSTS", "cleantrack.example.com"),
        ("PUBLIC_URL", "https://cleantrack.example.com"),
        ("EMAIL_FROM", "CleanTrack <no-reply@cleantrack.example.com>"),
        ("RESEND_API_KEY", "re_test_key"),
        ("STRIPE_LIVE_MODE", "true"),
        ("STRIPE_LIVE_SECRET_KEY", "sk_live_key"),
        ("STRIPE_LIVE_PRO_PRICE_ID", "price_live_pro"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_live"),
        ("SENTRY_DSN", "https://key@o1.ingest.sentry.io/2"),
        ("UPLOAD_DIR", "/app/data/uploads"),
        ("METRICS_TOKEN", "Qm4v8Zr2Lx7Tn1Kc5Wp9Hs3Fd6Jg0Bq2Ye8Ua4Io7Rt"),
        ("AUDIT_SIGNING_KEY", "2tzKGh6xqQkOeTLEnIWM1FZcGokRkRwf5ruXlEVNchA="),
        ("FIELD_ENCRYPTION_KEY", "q3vN0bF8Zt1xWm5yR2cK7pLd9sQe4uHa6gJiTo0BnVY="),
        ("MIGRATION_DATABASE_URL", "postgres://cleantrack_owner:Pq83vLxR2sNw@db.internal:5432/cleantrack"),
    ]
}

#[test]
fn a_missing_secret_stops_the_program_with_a_message_naming_it() {
    let (ok, output) = run(&["serve"], &[("APP_ENV", "development"), ("DATABASE_URL", "postgres://a:b@127.0.0.1/x")]);
    assert!(!ok);
    assert!(output.contains("SECRET_KEY is required"), "{output}");
}

#[test]
fn every_configuration_problem_is_listed_in_one_message() {
    let (ok, output) = run(&["check"], &[("APP_ENV", "production"), ("LEPTOS_SITE_ADDR", "not-an-address")]);
    assert!(!ok);
    for name in ["DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "PUBLIC_URL", "LEPTOS_SITE_ADDR"] {
        assert!(output.contains(name), "{name} not named in:\n{output}");
    }
}

#[test]
fn check_deploy_passes_a_safe_production_configuration() {
    let (ok, output) = run(&["check", "--deploy"], &safe_production());
    assert!(ok, "{output}");
    assert!(output.contains("no issues"), "{output}");
}

#[test]
fn check_deploy_flags_every_unsafe_setting_and_fails() {
    let mut vars = safe_production();
    vars.extend([
        ("ALLOWED_HOSTS", "*"),
        ("SECURE_SSL_REDIRECT", "false"),
        ("SECURE_HSTS_SECONDS", "0"),
        ("SESSION_COOKIE_SECURE", "false"),
        ("DATABASE_URL", "postgres://cleantrack_user:secure_password_123@db:5432/cleantrack"),
        // Production on Stripe's test keys.
        ("STRIPE_LIVE_MODE", "false"),
        ("STRIPE_TEST_SECRET_KEY", "sk_test_key"),
        ("STRIPE_TEST_PRO_PRICE_ID", "price_test_pro"),
    ]);
    let (ok, output) = run(&["check", "--deploy"], &vars);
    assert!(!ok, "unsafe settings must fail the check");
    for id in ["ct.W003", "ct.W004", "ct.W005", "ct.W006", "ct.W007", "ct.W012"] {
        assert!(output.contains(id), "{id} missing from:\n{output}");
    }
    assert!(output.contains("identified 6 issue(s)"), "{output}");
}

#[test]
fn check_deploy_flags_development_mode_and_a_weak_key() {
    let mut vars = safe_production();
    vars.extend([("APP_ENV", "development"), ("SECRET_KEY", "short")]);
    let (ok, output) = run(&["check", "--deploy"], &vars);
    assert!(!ok);
    assert!(output.contains("ct.W001") && output.contains("ct.W002"), "{output}");
}

#[test]
fn production_refuses_to_start_with_a_weak_secret() {
    let mut vars = safe_production();
    vars.push(("SECRET_KEY", "<generate-new-strong-key>"));
    let (ok, output) = run(&["serve"], &vars);
    assert!(!ok);
    assert!(output.contains("SECRET_KEY is too weak"), "{output}");
}

#[test]
fn generate_secret_prints_a_new_strong_key_each_time() {
    let (ok, first) = run(&["generate-secret"], &[]);
    let (_, second) = run(&["generate-secret"], &[]);
    assert!(ok);
    assert_eq!(first.trim().len(), 64);
    assert_ne!(first, second);
    let mut vars = safe_production();
    vars.push(("SECRET_KEY", first.trim()));
    assert!(run(&["check", "--deploy"], &vars).0, "a generated key passes the deploy check");
}

#[sqlx::test(migrations = false)]
async fn migrate_lists_then_applies_the_embedded_migrations_and_can_run_twice(_: PgPoolOptions, db: PgConnectOptions) {
    let url = database_url(&db);
    let vars = [("APP_ENV", "development"), ("DATABASE_URL", url.as_str()), ("SECRET_KEY", "k")];
    let total = cleantrack::server::db::MIGRATOR.iter().count();
    let (ok, plan) = run(&["migrate", "--plan"], &vars);
    assert!(ok && plan.lines().filter(|l| l.starts_with("[pending]")).count() == total, "{plan}");
    for _ in 0..2 {
        let (ok, output) = run(&["migrate"], &vars);
        assert!(ok, "{output}");
    }
    let (_, plan) = run(&["migrate", "--plan"], &vars);
    assert_eq!(plan.lines().filter(|l| l.starts_with("[applied]")).count(), total, "{plan}");
    let mut conn = sqlx::PgConnection::connect_with(&db).await.unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut conn).await.unwrap();
    assert_eq!(applied as usize, cleantrack::server::db::MIGRATOR.iter().count());
}

#[sqlx::test]
async fn serve_stops_gracefully_on_sigterm(_: PgPoolOptions, db: PgConnectOptions) {
    let url = database_url(&db);
    let (mut child, addr) =
        serve_binary(&[("APP_ENV", "development"), ("DATABASE_URL", url.as_str()), ("SECRET_KEY", "k")]);
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let kill = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "server still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a graceful stop exits 0, got {status}");
}

#[sqlx::test]
async fn create_superuser_makes_a_verified_platform_operator_or_promotes_an_account(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let url = database_url(&db);
    let base = [("APP_ENV", "development"), ("DATABASE_URL", url.as_str()), ("SECRET_KEY", "k")];
    let mut with_password = base.to_vec();
    with_password.push(("CLEANTRACK_SUPERUSER_PASSWORD", "violet kettle harbour drum"));
    let (ok, output) = run(&["migrate"], &base);
    assert!(ok, "{output}");
    let (ok, output) = run(&["create-superuser", "--email", "Ops@CleanTrack.example", "--name", "Ops"], &with_password);
    assert!(ok && output.contains("Created platform operator"), "{output}");

    let mut weak = base.to_vec();
    weak.push(("CLEANTRACK_SUPERUSER_PASSWORD", "short"));
    let (ok, output) = run(&["create-superuser", "--email", "other@cleantrack.example"], &weak);
    assert!(!ok && output.contains("at least 12 characters"), "{output}");

    let mut conn = sqlx::PgConnection::connect_with(&db).await.unwrap();
    let rows: Vec<(String, bool, bool)> =
        sqlx::query_as("SELECT email, is_platform_operator, email_verified_at IS NOT NULL FROM users ORDER BY email")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(rows, [("ops@cleantrack.example".to_owned(), true, true)]);
}

#[sqlx::test(migrations = false)]
async fn demo_data_creates_a_working_organization_once_and_prints_the_logins(_: PgPoolOptions, db: PgConnectOptions) {
    let url = database_url(&db);
    let vars = [("APP_ENV", "development"), ("DATABASE_URL", url.as_str()), ("SECRET_KEY", "k")];
    let (ok, first) = run(&["demo-data"], &vars);
    assert!(ok, "{first}");
    assert!(first.contains("owner@demo.cleantrack.test") && first.contains("auditor@demo.cleantrack.test"), "{first}");
    assert!(first.contains(cleantrack::server::demo::PASSWORD));
    let (ok, second) = run(&["demo-data"], &vars);
    assert!(ok, "running it again is harmless: {second}");

    let mut conn = sqlx::PgConnection::connect_with(&db).await.unwrap();
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&mut conn).await.unwrap();
    assert_eq!(users, 6, "one user per role, created once");
    let (ok, verify) = run(&["audit", "verify"], &vars);
    assert!(ok && !verify.contains("BROKEN"), "the demo data is audited like any change: {verify}");

    // A demo login works and finds the organization filled in.
    let app = crate::helpers::spawn_app(db.clone()).await;
    let staff = app.browser();
    let form = [("email", "staff@demo.cleantrack.test"), ("password", cleantrack::server::demo::PASSWORD)];
    app.call(&staff, "login", &form).await.assert_ok();
    let equipment: cleantrack::model::equipment::EquipmentPage =
        app.call(&staff, "list_equipment", &[]).await.assert_ok().json();
    assert_eq!(equipment.total, 13, "two facilities of six, and the biosafety cabinet");
    let first = equipment.items[0].id.to_string();
    let logs: Vec<cleantrack::model::logs::CleaningLog> =
        app.call(&staff, "list_logs", &[("equipment_id", &first)]).await.json();
    assert!(logs.len() >= 20, "a month of cleanings: {}", logs.len());
    // Every piece is scheduled, and the skipped days leave some overdue.
    assert!(equipment.items.iter().all(|e| e.status.schedule.is_some()));
    let overdue: Vec<cleantrack::model::schedules::OverdueItem> =
        app.call(&staff, "list_overdue", &[]).await.assert_ok().json();
    assert!((1..12).contains(&overdue.len()), "some, not all, overdue: {overdue:?}");
    // What the quality features have to show: a measured failure whose action was closed by a
    // re-clean, another open and assigned, a reported problem, signed monitoring rounds.
    let supervisor = app.browser();
    let form = [("email", "supervisor@demo.cleantrack.test"), ("password", cleantrack::server::demo::PASSWORD)];
    app.call(&supervisor, "login", &form).await.assert_ok();
    let actions: cleantrack::model::corrective_actions::ActionList =
        app.call(&supervisor, "list_corrective_actions", &[("show", "all")]).await.assert_ok().json();
    assert_eq!(actions.items.iter().filter(|a| a.closed.as_ref().is_some_and(|c| c.reclean.is_some())).count(), 1);
    assert!(actions.items.iter().any(|a| a.closed.is_none() && a.owner.is_some() && a.description.contains("610 RLU")));
    assert_eq!(actions.problems.len(), 1);
    let rounds: cleantrack::model::monitoring::Monitoring =
        app.call(&supervisor, "list_rounds", &[]).await.assert_ok().json();
    assert_eq!((rounds.rounds.len(), rounds.units.len(), rounds.units[0].rounds), (5, 1, 4));
    assert!(rounds.units[0].rate().is_some_and(|r| (50.0..95.0).contains(&r)), "{:?}", rounds.units);
    let dashboard: cleantrack::model::dashboard::Dashboard =
        app.call(&staff, "get_dashboard", &[("days", "30")]).await.assert_ok().json();
    assert!(dashboard.compliance.percent().is_some_and(|p| (50..100).contains(&p)), "{dashboard:?}");
    let c = dashboard.compliance;
    assert!(c.late > 0 && c.not_done > 0 && c.on_time > c.late, "the demo has late and missed cleanings: {c:?}");
    // The same figures in the overview, the compliance CSV and the PDF report of a facility
    // over the same days (the demo has failures, corrections and unverified logs in them).
    let auditor = app.browser();
    let form = [("email", "auditor@demo.cleantrack.test"), ("password", cleantrack::server::demo::PASSWORD)];
    app.call(&auditor, "login", &form).await.assert_ok();
    let facilities: Vec<cleantrack::model::facilities::Facility> =
        app.call(&auditor, "list_facilities", &[]).await.assert_ok().json();
    let facility = &facilities[0];
    let f = facility.id.to_string();
    let overview: cleantrack::model::dashboard::Dashboard =
        app.call(&auditor, "get_dashboard", &[("days", "30"), ("facility_id", f.as_str())]).await.assert_ok().json();
    let from: String = sqlx::query_scalar("SELECT ((now() AT TIME ZONE $1)::date - 29)::text")
        .bind(&facility.time_zone)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let csv = auditor.get(app.url(&format!("/reports/compliance.csv?facility={f}&from={from}"))).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    let total = csv.lines().last().unwrap().to_owned();
    let o = overview.compliance;
    let figures = [o.due(), o.on_time, o.late_entry, o.late, o.pending, o.not_done].map(|n| n.to_string()).join(",");
    let expected = format!("All,Total,,,{from},,{figures},{}", o.percent().unwrap());
    assert_eq!(total, expected, "{csv}");
    let id: cleantrack::model::ids::ExportId = app
        .call(&auditor, "request_export", &[("kind", "report_pdf"), ("facility", f.as_str()), ("from", from.as_str())])
        .await
        .assert_ok()
        .json();
    while cleantrack::server::jobs::worker::run_once(&app.state).await.unwrap()
        != cleantrack::server::jobs::worker::Outcome::Idle
    {}
    let pdf = auditor.get(app.url(&format!("/exports/{id}"))).send().await.unwrap().bytes().await.unwrap();
    let text = crate::reports::pdf_words(&pdf);
    assert!(text.contains("Compliance in the period") && text.contains(&o.sentence()), "{}: {text}", o.sentence());
    // The demo inspector sees the first facility's equipment only.
    let inspector = app.browser();
    let form = [("email", "inspector@demo.cleantrack.test"), ("password", cleantrack::server::demo::PASSWORD)];
    app.call(&inspector, "login", &form).await.assert_ok();
    let seen: cleantrack::model::equipment::EquipmentPage =
        app.call(&inspector, "list_equipment", &[]).await.assert_ok().json();
    assert_eq!(seen.total, 7, "the first facility's six and its biosafety cabinet");

    let mut production = vars.to_vec();
    production.extend([
        ("APP_ENV", "production"),
        ("AUDIT_SIGNING_KEY", "2tzKGh6xqQkOeTLEnIWM1FZcGokRkRwf5ruXlEVNchA="),
        ("ALLOWED_HOSTS", "x.example"),
        ("PUBLIC_URL", "https://x.example"),
        ("EMAIL_FROM", "a@x.example"),
    ]);
    production.push(("SECRET_KEY", STRONG_KEY));
    let (ok, refused) = run(&["demo-data"], &production);
    assert!(!ok && refused.contains("development only"), "{refused}");
}
