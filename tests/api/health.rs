use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, spawn_app, spawn_app_with};

#[sqlx::test]
async fn healthz_answers_200_while_the_process_lives(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[sqlx::test]
async fn readyz_answers_200_when_the_database_answers(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_unreachable_while_healthz_stays_200() {
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    let unreachable: PgConnectOptions = "postgres://cleantrack@127.0.0.1:1/cleantrack".parse().unwrap();
    let app = spawn_app_with(config_for(unreachable, &[])).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text().await.unwrap(), "database unavailable");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// A page and server functions that need the database while it is away: 503 with
/// `Retry-After`, never 500. `signed_in`: the session itself is read from the database too.
async fn assert_unavailable(app: &crate::helpers::TestApp, client: &reqwest::Client, signed_in: bool) {
    let api = |endpoint: &str| client.post(app.url(&format!("/api/{endpoint}"))).header("accept", "application/json");
    let mut responses = vec![
        client.get(app.url("/q/some-sticker")).send().await.unwrap(),
        api("scan_equipment").form(&[("token", "some-sticker")]).send().await.unwrap(),
    ];
    if signed_in {
        responses.push(client.get(app.url("/app")).send().await.unwrap());
        responses.push(api("list_facilities").send().await.unwrap());
    }
    for response in responses {
        let url = response.url().to_string();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{url}");
        assert_eq!(response.headers()["retry-after"], "5", "{url}");
    }
}

#[tokio::test]
async fn pages_and_server_functions_answer_503_with_retry_after_when_the_database_is_unreachable() {
    let unreachable: PgConnectOptions = "postgres://cleantrack@127.0.0.1:1/cleantrack".parse().unwrap();
    let app = spawn_app_with(config_for(unreachable, &[])).await;
    assert_unavailable(&app, &app.browser(), false).await;
}

#[sqlx::test]
async fn a_database_that_goes_away_and_comes_back_gives_503_then_service_again(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = crate::world::World::build(&app).await;
    let owner = &world.a.member(cleantrack::model::role::Role::Owner).client;
    // Several connections at once, so that more sit idle in the pool than the requests below
    // will find dead: after the outage the pool must not lend the rest to anyone.
    let calls = (0..8).map(|_| app.call(owner, "list_facilities", &[]));
    for call in futures_util::future::join_all(calls).await {
        call.assert_ok();
    }
    assert!(app.pool.num_idle() > 4, "idle connections: {}", app.pool.num_idle());

    // Postgres refuses new connections to this database and ends the open ones, as during a
    // restart or fail-over (done from another database: one cannot lock itself out).
    let admin = sqlx::PgPool::connect(&std::env::var("TEST_SUPERUSER_DATABASE_URL").unwrap()).await.unwrap();
    let name = db.get_database().unwrap();
    sqlx::query(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).execute(&admin).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&admin)
        .await
        .unwrap();
    assert_unavailable(&app, owner, true).await;

    sqlx::query(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).execute(&admin).await.unwrap();
    app.call(owner, "list_facilities", &[]).await.assert_ok();
}
