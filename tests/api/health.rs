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
