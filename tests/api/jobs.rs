//! Email delivery through the job queue, against a local stand-in for Resend: delivery with the
//! right content, retries through failures and timeouts with exactly one email in the end, no
//! endless retries for a refused request, idempotency when a job runs twice, two workers
//! sharing a queue, rolled-back enqueues, and the daily digest's schedule.

use std::time::{Duration, Instant};

use cleantrack::model::accounts::PlatformConsole;
use cleantrack::model::role::Role;
use cleantrack::server::jobs::worker::{run_once, Outcome};
use cleantrack::server::{jobs, mailer};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, drain, spawn_app_with, TestApp};
use crate::resend_stub::{Answer, ResendStub, API_KEY};
use crate::world::{World, PASSWORD};

async fn app_with_resend(db: PgConnectOptions, stub: &ResendStub) -> TestApp {
    let url = stub.url();
    spawn_app_with(config_for(
        db,
        &[
            ("RESEND_API_KEY", API_KEY),
            ("RESEND_BASE_URL", &url),
            ("EMAIL_FROM", "CleanTrack <no-reply@cleantrack.test>"),
            ("EMAIL_TIMEOUT_SECS", "1"),
            ("JOB_RETRY_BASE_MS", "50"),
        ],
    ))
    .await
}

async fn job_states(app: &TestApp) -> Vec<(String, String, i32)> {
    sqlx::query_as("SELECT kind, state, attempts FROM jobs ORDER BY created_at").fetch_all(&app.pool).await.unwrap()
}

async fn register(app: &TestApp, email: &str) {
    let form = [("name", "Ana"), ("email", email), ("organization", "Clinic"), ("password", PASSWORD)];
    app.call(&app.browser(), "register", &form).await.assert_ok();
}

#[sqlx::test]
async fn an_email_is_delivered_with_its_recipient_subject_and_link(_: PgPoolOptions, db: PgConnectOptions) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    register(&app, "ana@clinic.example").await;
    assert!(stub.delivered().is_empty(), "delivery happens in a job, not in the request");

    drain(&app, Duration::from_secs(10)).await;
    let delivered = stub.delivered();
    assert_eq!(delivered.len(), 1);
    let email = &delivered[0];
    assert_eq!(email["to"], serde_json::json!(["ana@clinic.example"]));
    assert_eq!(email["from"], "CleanTrack <no-reply@cleantrack.test>");
    assert_eq!(email["subject"], "Confirm your email address");
    for part in ["text", "html"] {
        assert!(email[part].as_str().unwrap().contains("/verify-email?token="), "{part}: {email}");
    }
    let delivered_at: Option<String> =
        sqlx::query_scalar("SELECT provider_id FROM outbound_emails").fetch_one(&app.pool).await.unwrap();
    assert!(delivered_at.is_some_and(|id| id != "recorded-only"));
}

#[sqlx::test]
async fn failures_and_timeouts_are_retried_until_the_provider_recovers_and_one_email_arrives(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let stub =
        ResendStub::start(vec![Answer::Status(500), Answer::Status(503), Answer::Slow(Duration::from_millis(1500))])
            .await;
    let app = app_with_resend(db, &stub).await;
    register(&app, "ana@clinic.example").await;
    drain(&app, Duration::from_secs(20)).await;

    let jobs = job_states(&app).await;
    assert_eq!(jobs.len(), 1);
    let (_, state, attempts) = &jobs[0];
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(state, "succeeded", "last error: {error:?}");
    assert!(*attempts >= 4, "500, 503 and a timeout come before success: {attempts} attempts");
    // We gave up on the slow answer, but the provider still accepted that request; the retries
    // carried the same idempotency key, so nobody receives the email twice.
    assert_eq!(stub.delivered().len(), 1, "exactly one email delivered");
    assert_eq!(stub.requests() as i32, *attempts);
}

#[sqlx::test]
async fn a_request_the_provider_refuses_goes_dead_without_retrying_and_operators_see_it(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    let world = World::build(&app).await;
    // Fixture users need no emails; from here on the provider refuses.
    drain(&app, Duration::from_secs(5)).await;
    let refusing = ResendStub::start(vec![Answer::Status(422)]).await;
    let mut state = app.state.clone();
    let mut config = (*state.config).clone();
    config.email.resend.as_mut().unwrap().base_url = Some(refusing.url().parse().unwrap());
    state.config = std::sync::Arc::new(config);

    app.call(&world.a.member(Role::Admin).client, "invite_member", &[("email", "x@mail.example"), ("role", "staff")])
        .await
        .assert_ok();
    assert_eq!(run_once(&state).await.unwrap(), Outcome::Failed { kind: "send_email".into(), dead: true });
    assert_eq!(run_once(&state).await.unwrap(), Outcome::Idle, "no further attempts");
    let (job_state, attempts, error): (String, i32, String) =
        sqlx::query_as("SELECT state, attempts, last_error FROM jobs WHERE state = 'dead'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((job_state.as_str(), attempts), ("dead", 1));
    assert!(error.contains("refused"), "{error}");
    assert_eq!(refusing.requests(), 1);

    let operator = world.b.member(Role::Staff);
    operator.make_operator(&app).await;
    let overview: PlatformConsole = app.call(&operator.client, "platform_overview", &[]).await.assert_ok().json();
    assert_eq!(overview.dead_jobs.len(), 1);
    assert!(overview.dead_jobs[0].last_error.contains("refused"));
}

#[sqlx::test]
async fn a_job_that_runs_twice_after_a_crash_sends_only_once(_: PgPoolOptions, db: PgConnectOptions) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    register(&app, "ana@clinic.example").await;
    drain(&app, Duration::from_secs(5)).await;
    assert_eq!(stub.delivered().len(), 1);

    // The worker died after Resend accepted the email but before it recorded anything: the job
    // is still leased and the outbox row undelivered. Once the lease runs out, it runs again.
    sqlx::query("UPDATE jobs SET state = 'running', leased_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE outbound_emails SET delivered_at = NULL, provider_id = NULL").execute(&app.pool).await.unwrap();
    drain(&app, Duration::from_secs(5)).await;

    assert_eq!(stub.requests(), 2, "the job did run again");
    assert_eq!(stub.delivered().len(), 1, "but the email went out once");
    assert_eq!(job_states(&app).await[0].1, "succeeded");
}

#[sqlx::test]
async fn two_workers_on_one_database_process_each_job_exactly_once(_: PgPoolOptions, db: PgConnectOptions) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    let mut tx = app.pool.begin().await.unwrap();
    for i in 0..40 {
        let email = mailer::Email {
            to: format!("p{i}@mail.example"),
            subject: format!("Message {i}"),
            text: "hello".into(),
            html: "<p>hello</p>".into(),
        };
        mailer::send(&mut tx, email).await.unwrap();
    }
    tx.commit().await.unwrap();

    let worker = |state: cleantrack::server::state::AppState| async move {
        let mut done = 0;
        while run_once(&state).await.unwrap() != Outcome::Idle {
            done += 1;
        }
        done
    };
    let (a, b) = tokio::join!(tokio::spawn(worker(app.state.clone())), tokio::spawn(worker(app.state.clone())));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 40);
    assert!(a > 0 && b > 0, "both workers took part ({a} and {b})");
    let mut recipients: Vec<String> =
        stub.delivered().iter().map(|e| e["to"][0].as_str().unwrap().to_owned()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 40, "every email once");
    assert_eq!(stub.requests(), 40, "no job ran twice");
    assert!(job_states(&app).await.iter().all(|(_, state, attempts)| state == "succeeded" && *attempts == 1));
}

#[sqlx::test]
async fn a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(_: PgPoolOptions, db: PgConnectOptions) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    let mut tx = app.pool.begin().await.unwrap();
    let email =
        mailer::Email { to: "x@mail.example".into(), subject: "Never".into(), text: "-".into(), html: "-".into() };
    mailer::send(&mut tx, email).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Idle);
    assert!(job_states(&app).await.is_empty());
    assert_eq!(stub.requests(), 0);

    // A refused registration (a password too weak) enqueues nothing either.
    let form = [("name", "A"), ("email", "a@mail.example"), ("organization", "O"), ("password", "short")];
    app.call(&app.browser(), "register", &form).await.assert_status(422);
    assert!(job_states(&app).await.is_empty());
}

#[sqlx::test]
async fn the_daily_digest_is_enqueued_once_per_day_and_sends_nothing_while_nothing_is_overdue(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    World::build(&app).await;
    drain(&app, Duration::from_secs(5)).await;
    let mut conn = app.pool.acquire().await.unwrap();
    assert!(jobs::digest::schedule_for(&mut conn, "2026-11-25").await.unwrap());
    assert!(!jobs::digest::schedule_for(&mut conn, "2026-11-25").await.unwrap(), "a second instance adds nothing");
    assert!(jobs::digest::schedule_for(&mut conn, "2026-11-26").await.unwrap());
    drop(conn);
    assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Succeeded { kind: "overdue_digest".into() });
    assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Succeeded { kind: "overdue_digest".into() });
    drain(&app, Duration::from_secs(5)).await;
    assert_eq!(stub.requests(), 0, "no equipment, nothing overdue, no digest emails");
}

#[sqlx::test]
async fn the_worker_command_delivers_queued_email_and_stops_on_sigterm(_: PgPoolOptions, db: PgConnectOptions) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db.clone(), &stub).await;
    let mut tx = app.pool.begin().await.unwrap();
    let email = mailer::Email {
        to: "w@mail.example".into(),
        subject: "From the worker".into(),
        text: "-".into(),
        html: "-".into(),
    };
    mailer::send(&mut tx, email).await.unwrap();
    tx.commit().await.unwrap();

    let url = crate::helpers::database_url(&db);
    let resend_url = stub.url();
    let vars = [
        ("APP_ENV", "development"),
        ("DATABASE_URL", url.as_str()),
        ("SECRET_KEY", "k"),
        ("RESEND_API_KEY", API_KEY),
        ("RESEND_BASE_URL", resend_url.as_str()),
        ("EMAIL_FROM", "no-reply@cleantrack.test"),
        ("JOB_POLL_MS", "100"),
        ("RUST_LOG", "warn"),
    ];
    let mut child = crate::helpers::cleantrack_command(&vars).arg("worker").spawn().unwrap();
    let start = Instant::now();
    while stub.delivered().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20), "the worker delivered nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stub.delivered()[0]["subject"], "From the worker");

    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "worker still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}

#[sqlx::test]
async fn a_payload_that_does_not_read_as_its_kind_and_an_unknown_kind_are_dead_at_once(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let stub = ResendStub::start(vec![]).await;
    let app = app_with_resend(db, &stub).await;
    for (kind, payload) in [("send_email", r#"{"email_id": "not a uuid"}"#), ("no_such_kind", "{}")] {
        sqlx::query("INSERT INTO jobs (id, kind, payload) VALUES (gen_random_uuid(), $1, $2::jsonb)")
            .bind(kind)
            .bind(payload)
            .execute(&app.state.pool)
            .await
            .unwrap();
        assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Failed { kind: kind.into(), dead: true });
    }
    let errors: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT kind, last_error, attempts FROM jobs WHERE state = 'dead' ORDER BY kind DESC")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert!(errors[0].1.contains("a `send_email` job's payload does not read"), "{errors:?}");
    assert!(errors[1].1.contains("no handler for job kind `no_such_kind`"), "{errors:?}");
    assert!(errors.iter().all(|e| e.2 == 1), "never retried: {errors:?}");
    assert_eq!(stub.requests(), 0, "nothing sent");
}
