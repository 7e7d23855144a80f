//! Monitoring: errors reach Sentry (a local endpoint standing in for it) without personal data,
//! and `/metrics` answers only its token holder, with the requests that were made.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, database_url, serve_binary, spawn_app, spawn_app_with, superuser_pool};

/// A local endpoint speaking Sentry's envelope intake (`POST /api/<project>/envelope/`).
async fn sentry_standin() -> (String, Arc<Mutex<Vec<String>>>) {
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = Router::new()
        .route(
            "/api/42/envelope/",
            post(|State(store): State<Arc<Mutex<Vec<String>>>>, body: axum::body::Bytes| async move {
                store.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
                "{}"
            }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://publickey@{addr}/42"), received)
}

/// The first envelope the stand-in received that contains `needle`, waiting up to 15 s for it.
async fn arrival(received: &Mutex<Vec<String>>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = received.lock().unwrap().iter().find(|e| e.contains(needle)).cloned() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "nothing with {needle} reached the stand-in: {:?}",
            received.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test]
async fn an_error_in_a_request_reaches_sentry_without_email_or_ip(_: PgPoolOptions, db: PgConnectOptions) {
    let (dsn, received) = sentry_standin().await;
    let url = database_url(&db);
    let (mut server, addr) = serve_binary(&[
        ("APP_ENV", "development"),
        ("DATABASE_URL", url.as_str()),
        ("SECRET_KEY", "k"),
        ("JOB_WORKERS", "0"),
        ("SENTRY_DSN", dsn.as_str()),
        ("SENTRY_TRACES_SAMPLE_RATE", "1.0"),
        ("RELEASE", "0123456789abcdef"),
        // The client's address comes from X-Forwarded-For, as behind a platform's proxy.
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    // Break the database under the sticker page: its next query fails.
    sqlx::query("ALTER TABLE equipment RENAME TO equipment_gone").execute(&superuser_pool(&db).await).await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("http://{addr}/q/some-sticker?reported_by=ana.silva@clinic.example"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("cookie", "cleantrack=secret-session-value")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_server_error() || response.status().is_success(), "{}", response.status());

    let event = arrival(&received, "\"type\":\"event\"").await;
    let _ = server.kill();
    assert!(event.contains("database error"), "{event}");
    assert!(event.contains("equipment"), "the cause is kept: {event}");
    assert!(event.contains("\"environment\":\"development\""), "{event}");
    // (Whether the event also names its route depends on the task the page rendered in: leptos
    // renders in tasks of its own, which do not always carry the request's Sentry hub.)
    assert!(event.contains("\"release\":\"cleantrack@0.1.0+0123456789ab\""), "{event}");
    let everything = received.lock().unwrap().join("\n");
    for personal in ["ana.silva@clinic.example", "ana.silva%40clinic.example", "203.0.113.9", "secret-session-value"] {
        assert!(!everything.contains(personal), "{personal} was sent to Sentry:\n{everything}");
    }
}

#[sqlx::test]
async fn metrics_need_the_token_and_count_the_requests_made(_: PgPoolOptions, db: PgConnectOptions) {
    let token = "Vq7mZ2xL9rT4nB8cW1kP6sJ3hD5gF0aYeU2iO7pR";
    let app = spawn_app_with(config_for(db.clone(), &[("METRICS_TOKEN", token)])).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/q/unknown-sticker").await;
    app.get("/no/such/page").await;
    let response = app.client.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for line in [
        "cleantrack_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 3",
        "cleantrack_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"} 3",
        "cleantrack_http_requests_total{route=\"/q/{token}\",method=\"GET\",status=",
        "cleantrack_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"4xx\"} 1",
        "cleantrack_db_pool_connections{state=\"idle\"}",
        "cleantrack_jobs{state=\"dead\"} 0",
        "cleantrack_jobs{state=\"due\"} 0",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(!text.contains("unknown-sticker") && !text.contains("/no/such"), "raw paths never become labels");
    // Scraped by an instance's internal address, like the health probes.
    let internal =
        app.client.get(app.url("/metrics")).header("host", "10.0.3.7:8080").bearer_auth(token).send().await.unwrap();
    assert_eq!(internal.status(), 200);

    // Without a token configured there is no endpoint at all.
    assert_eq!(spawn_app(db).await.get("/metrics").await.status(), 404);
}

#[sqlx::test]
async fn a_panic_in_a_browser_is_reported_to_sentry_and_bad_reports_are_refused(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (dsn, received) = sentry_standin().await;
    let url = database_url(&db);
    let (mut server, addr) = serve_binary(&[
        ("APP_ENV", "development"),
        ("DATABASE_URL", url.as_str()),
        ("SECRET_KEY", "k"),
        ("JOB_WORKERS", "0"),
        ("SENTRY_DSN", dsn.as_str()),
    ]);
    let client = reqwest::Client::new();
    let post = |body: String, origin: &str| {
        client
            .post(format!("http://{addr}/client-errors"))
            .header("origin", origin)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body)
            .send()
    };
    let ours = format!("http://{addr}");
    let report =
        r#"{"message":"panicked at src/components/photo_picker.rs:88:5: index out of bounds","url":"http://x/q/abc"}"#;
    assert_eq!(post(report.into(), &ours).await.unwrap().status(), 204);
    assert_eq!(post(report.into(), "https://elsewhere.example").await.unwrap().status(), 403, "only our pages");
    assert_eq!(post("not json".into(), &ours).await.unwrap().status(), 422);
    assert_eq!(post(r#"{"message":1}"#.into(), &ours).await.unwrap().status(), 422);
    let huge = format!(r#"{{"message":"{}","url":""}}"#, "x".repeat(5000));
    assert_eq!(post(huge, &ours).await.unwrap().status(), 413);

    let event = arrival(&received, "panicked in the browser").await;
    let _ = server.kill();
    assert!(event.contains("photo_picker.rs:88:5: index out of bounds"), "{event}");
}
