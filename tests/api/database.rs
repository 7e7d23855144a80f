//! The database side of the foundation: the tenant-context settings row-level security will
//! read, and the refusal to run as a role that row-level security does not bind.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

const ORG: &str = "6f1c2f5e-8d7a-4c1b-9e3f-2a4b5c6d7e8f";

async fn current_org(conn: &mut PgConnection) -> Option<String> {
    sqlx::query_scalar("SELECT app.current_org_id()::text").fetch_one(conn).await.unwrap()
}

#[sqlx::test]
async fn the_tenant_context_lives_only_as_long_as_its_transaction(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(current_org(&mut conn).await, None, "no tenant outside a tenant transaction");

    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.org_id', $1, true)").bind(ORG).execute(&mut *tx).await.unwrap();
    assert_eq!(current_org(&mut tx).await.as_deref(), Some(ORG));
    tx.commit().await.unwrap();

    // The same pooled connection must not carry the tenant into the next request.
    assert_eq!(current_org(&mut conn).await, None);
}

#[sqlx::test]
async fn tests_and_the_app_run_as_a_role_bound_by_row_level_security(pool: PgPool) {
    cleantrack::server::db::ensure_role_is_bound_by_rls(&pool).await.expect("the test role is an ordinary role");
}

#[sqlx::test]
async fn a_superuser_connection_is_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let superuser = crate::helpers::superuser_pool(&db).await;
    let err = cleantrack::server::db::ensure_role_is_bound_by_rls(&superuser).await.unwrap_err();
    assert!(err.to_string().contains("BYPASSRLS"), "{err}");
}
