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
        // sqlx pings every idle connection before lending it: a round trip before each
        // transaction's BEGIN (5% of the server's CPU on the QR page). Under load connections
        // are idle for milliseconds, so only one that sat unused for a while (when a database
        // restart would have gone unnoticed) is pinged, and replaced if the ping fails; and,
        // for half a minute after a query found the database unreachable, every one (those
        // idle in the pool then are likely dead).
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                let failed_at =
                    crate::model::error::DATABASE_LAST_UNREACHABLE.load(std::sync::atomic::Ordering::Relaxed);
                let recently = time::OffsetDateTime::now_utc().unix_timestamp() - failed_at < 30;
                if meta.idle_for > Duration::from_secs(30) || recently {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(config.connect_options.clone())
}

/// Applies the migrations: as the owner role when `MIGRATION_DATABASE_URL` names one, which then
/// grants the serving role what it needs (and nothing that changes the schema); otherwise as the
/// serving role itself, which then owns the tables.
pub async fn migrate(config: &DatabaseConfig, pool: &PgPool) -> anyhow::Result<()> {
    match &config.migration_connect_options {
        None => Ok(MIGRATOR.run(pool).await?),
        Some(owner) => {
            let owner = PgPoolOptions::new().max_connections(2).connect_with(owner.clone()).await?;
            MIGRATOR.run(&owner).await?;
            grant_to_serving_role(&owner, config.connect_options.get_username()).await?;
            owner.close().await;
            Ok(())
        }
    }
}

/// What the serving role may do with what the migrations made: read and write rows (row-level
/// security decides which), use sequences, run functions. Not ALTER, DISABLE TRIGGER, change
/// row-level security or TRUNCATE: those need ownership (or a grant never made here). Run by the
/// owner after every migration, so new tables are covered.
pub async fn grant_to_serving_role(owner: &PgPool, role: &str) -> Result<(), sqlx::Error> {
    // Not `sqlx::query!`: a role and a schema are identifiers, which no statement can take as
    // parameters. The role is quoted here; the schemas are ours.
    let role = format!("\"{}\"", role.replace('"', "\"\""));
    let mut tx = owner.begin().await?;
    for schema in ["public", "app", "tower_sessions"] {
        for grant in [
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
            format!("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}"),
        ] {
            sqlx::query(&grant).execute(&mut *tx).await?;
        }
    }
    // The migrations' own ledger is the owner's alone.
    sqlx::query(&format!("REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {role}")).execute(&mut *tx).await?;
    tx.commit().await
}

/// Whether the role `pool` connects as owns any of our tables: then it could disable the audit
/// trail's triggers and row-level security (`check --deploy` and start-up say so).
pub async fn serving_role_owns_tables(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname IN ('public', 'app', 'tower_sessions') \
         AND tableowner = current_user) AS \"v!\""
    )
    .fetch_one(pool)
    .await
}

/// Every embedded migration, in order, and whether the database has it already (`migrate --plan`).
pub async fn migration_plan(pool: &PgPool) -> Result<Vec<(i64, String, bool)>, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar!("SELECT to_regclass('_sqlx_migrations') IS NOT NULL AS \"v!\"").fetch_one(pool).await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR.iter().map(|m| (m.version, m.description.to_string(), applied.contains(&m.version))).collect())
}

/// The cheapest question the database can answer.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT 1 AS "one!""#).fetch_one(pool).await.map(drop)
}

/// Row-level security is the second wall between tenants, and Postgres skips it entirely for
/// superusers and BYPASSRLS roles. Refuse to serve as such a role rather than run with one wall.
pub async fn ensure_role_is_bound_by_rls(pool: &PgPool) -> anyhow::Result<()> {
    let (role, superuser, bypass): (String, bool, bool) =
        sqlx::query!("SELECT rolname::text AS \"rolname!: String\", rolsuper AS \"rolsuper!: bool\", rolbypassrls AS \"rolbypassrls!: bool\" FROM pg_roles WHERE rolname = current_user").map(|r| (r.rolname, r.rolsuper, r.rolbypassrls))
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
