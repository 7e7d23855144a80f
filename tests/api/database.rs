//! The database side of the foundation: the tenant-context settings row-level security reads,
//! the refusal to run as a role that row-level security does not bind, the guards every table
//! of an organization carries, and what the serving role cannot switch off.

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

/// The two-role set-up (README, "Database roles"): the owner migrates and grants; the server's
/// role owns nothing, so whoever holds its credentials cannot switch off what guards the trail,
/// and the application works as it all the same.
#[sqlx::test]
async fn a_serving_role_that_owns_nothing_cannot_disable_the_trails_guards(_: PgPoolOptions, db: PgConnectOptions) {
    use cleantrack::model::audit::ChainCheck;
    use cleantrack::model::role::Role;

    let su = crate::helpers::superuser_pool(&db).await;
    let role = format!("serving_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'serving-role-pass'"))
        .execute(&su)
        .await
        .unwrap();
    let owner = PgPool::connect_with(db.clone()).await.unwrap();
    cleantrack::server::db::grant_to_serving_role(&owner, &role).await.unwrap();
    let serving_options = db.clone().username(&role).password("serving-role-pass");
    let serving = PgPool::connect_with(serving_options.clone()).await.unwrap();
    assert!(!cleantrack::server::db::serving_role_owns_tables(&serving).await.unwrap());
    assert!(cleantrack::server::db::serving_role_owns_tables(&owner).await.unwrap());

    for attempt in [
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "ALTER TABLE audit_events NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE cleaning_logs DISABLE ROW LEVEL SECURITY",
        "DROP POLICY audit_events_tenant_reads ON audit_events",
        "TRUNCATE audit_events",
        "TRUNCATE audit_checkpoints",
        "ALTER TABLE cleaning_logs DISABLE TRIGGER seal_record",
        "DELETE FROM _sqlx_migrations",
    ] {
        let err = sqlx::query(attempt).execute(&serving).await.unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{attempt}: {err}");
    }

    // The application, served as that role, records and verifies as usual.
    let mut config = crate::helpers::config_for(serving_options, &[]);
    config.database.migration_connect_options = Some(db.clone());
    let app = crate::helpers::spawn_app_with(config).await;
    let world = crate::world::World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = crate::world::facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let e = hood.to_string();
    let form = [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), crate::world::NO_PROTOCOL];
    app.call(&world.a.member(Role::Staff).client, "log_cleaning", &form).await.assert_ok();
    let check: ChainCheck = app.call(admin, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(matches!(check, ChainCheck::Verified { .. }), "{check:?}");

    drop((serving, app));
    sqlx::query(&format!("DROP OWNED BY {role}")).execute(&su).await.unwrap();
    // Its sessions may still be closing; a leftover role owns nothing and can do nothing.
    let _ = sqlx::query(&format!("DROP ROLE {role}")).execute(&su).await;
}

/// Tenancy is enforced by the database for every table that belongs to an organization: each
/// table with an `org_id` has row-level security on and FORCEd (the owner is bound too), at
/// least one policy, and the audit trigger, unless it is listed here with the reason. A new
/// table that forgets one of them fails this test.
#[sqlx::test]
async fn every_table_of_an_organization_has_forced_row_level_security_a_policy_and_the_audit_trigger(pool: PgPool) {
    // Tables with an `org_id` whose changes are not audit events, and why.
    const NOT_AUDITED: [(&str, &str); 5] = [
        ("audit_events", "the trail itself: append-only, hash-chained"),
        ("audit_checkpoints", "the trail's signed heads: append-only, checked against the trail"),
        ("issued_files", "the record of each file handed out: append-only, itself the evidence"),
        ("digest_runs", "a job's note that a day's digest went out, so it goes once"),
        ("notifications", "messages to people about records, not records; keyed by event so each goes once"),
    ];
    // Tables with an `org_id` that no tenant reads through row-level security, and why.
    const NOT_TENANT_ROWS: [(&str, &str); 1] = [(
        "stripe_events",
        "Stripe's deliveries: no tenant until processed, the organization comes from Stripe's customer, like jobs",
    )];

    let tables: Vec<(String, bool, bool, i64, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity, \
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), \
                EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped) \
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.len() >= 15, "the catalog query finds the organization's tables: {tables:?}");
    let listed = |list: &[(&str, &str)], table: &str| list.iter().any(|(t, _)| *t == table);
    let mut missing = Vec::new();
    for (table, rls, forced, policies, audited) in &tables {
        if !listed(&NOT_TENANT_ROWS, table) && (!*rls || !*forced || *policies == 0) {
            missing.push(format!("{table}: row-level security {rls}, forced {forced}, {policies} policies"));
        }
        if !listed(&NOT_AUDITED, table) && !listed(&NOT_TENANT_ROWS, table) && !audited {
            missing.push(format!("{table}: no audit trigger"));
        }
    }
    assert!(missing.is_empty(), "tables of an organization without their guards: {missing:#?}");
    // The lists name tables that exist, so a renamed table cannot hide behind an old name.
    for (table, _) in NOT_AUDITED.iter().chain(NOT_TENANT_ROWS.iter()) {
        assert!(tables.iter().any(|(t, ..)| t == table), "{table} is listed but is not a table of an organization");
    }
}
