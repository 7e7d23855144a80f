//! The Postgres pool and the migrations embedded in the binary.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::config::DatabaseConfig;

/// `migrations/`, compiled into the binary so a deploy needs nothing but the executable.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool that connects on first use: the server starts (and `/readyz` says 503) even while the
/// database is still coming up, instead of crash-looping.
pub fn pool(config: &DatabaseConfig) -> PgPool {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        // Fail a request fast rather than queueing it behind a dead database.
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(config.connect_options.clone())
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Every embedded migration, in order, and whether the database has it already (`migrate --plan`).
pub async fn migration_plan(pool: &PgPool) -> Result<Vec<(i64, String, bool)>, sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pool).await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR.iter().map(|m| (m.version, m.description.to_string(), applied.contains(&m.version))).collect())
}

/// The cheapest question the database can answer.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(drop)
}

/// Row-level security is the second wall between tenants, and Postgres skips it entirely for
/// superusers and BYPASSRLS roles. Refuse to serve as such a role rather than run with one wall.
pub async fn ensure_role_is_bound_by_rls(pool: &PgPool) -> anyhow::Result<()> {
    let (role, superuser, bypass): (String, bool, bool) =
        sqlx::query_as("SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await?;
    if superuser || bypass {
        anyhow::bail!(
            "the database role `{role}` is a superuser or has BYPASSRLS, so row-level security would not \
             apply to it; connect as an ordinary role that owns the tables (see README, \"Database\")"
        );
    }
    Ok(())
}
