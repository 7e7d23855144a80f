//! `scripts/backup_db.sh` and `scripts/restore_db.sh`, run as the application's own role (bound
//! by row-level security, as on a managed host): a backup restored into a new database has the
//! same rows and an audit trail that still verifies; old backups are rotated out.

use std::path::Path;
use std::process::Command;

use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::helpers::{cleantrack_command, database_url, fresh_dir, spawn_app, superuser_pool};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

fn script(name: &str) -> Command {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name))
}

/// Rows per table (all schemas of ours), read as a superuser so nothing is hidden.
async fn row_counts(pool: &PgPool) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname IN ('public', 'tower_sessions') ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap();
        counts.push((table, n));
    }
    counts
}

#[sqlx::test]
async fn a_backup_restores_into_a_new_database_with_the_same_rows_and_a_trail_that_verifies(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let staff = &world.a.member(Role::Staff).client;
    let (_, equipment) = facility_with_equipment(&app, &world.a.member(Role::Admin).client, "Lab", "Hood", "").await;
    let e = equipment.to_string();
    app.call(staff, "log_cleaning", &[("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL])
        .await
        .assert_ok();
    facility_with_equipment(&app, &world.b.member(Role::Admin).client, "B Lab", "B Hood", "").await;

    let dir = fresh_dir("backups");
    // A month-old backup is rotated out; a recent one stays.
    let (old, recent) = (dir.join("cleantrack-20000101T000000Z.dump"), dir.join("cleantrack-20000102T000000Z.dump"));
    for (file, age) in [(&old, "31 days ago"), (&recent, "29 days ago")] {
        std::fs::write(file, b"x").unwrap();
        assert!(Command::new("touch").args(["-d", age]).arg(file).status().unwrap().success());
    }
    let url = database_url(&db);
    let backup = script("backup_db.sh").env("DATABASE_URL", &url).env("BACKUP_DIR", &dir).output().unwrap();
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    let file = String::from_utf8(backup.stdout).unwrap().trim().to_owned();
    assert!(file.ends_with(".dump") && Path::new(&file).metadata().unwrap().len() > 1000, "{file}");
    assert!(!old.exists() && recent.exists(), "older than 30 days is removed, younger kept");

    // Restore into a new database, created and owned by the same (non-superuser) role.
    // (Test databases' names are at Postgres' 63-character limit: a suffix would be cut off.)
    let target = format!("restored_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {target}")).execute(&app.pool).await.unwrap();
    let mut target_url = url::Url::parse(&url).unwrap();
    target_url.set_path(&target);
    let restore = script("restore_db.sh").arg(&file).arg(target_url.as_str()).output().unwrap();
    assert!(restore.status.success(), "{}", String::from_utf8_lossy(&restore.stderr));

    let source = superuser_pool(&db).await;
    let restored = superuser_pool(&db.clone().database(&target)).await;
    let before = row_counts(&source).await;
    assert!(before.iter().any(|(t, n)| t == "public.audit_events" && *n > 10), "{before:?}");
    assert_eq!(row_counts(&restored).await, before);

    let verify =
        cleantrack_command(&[("APP_ENV", "development"), ("DATABASE_URL", target_url.as_str()), ("SECRET_KEY", "k")])
            .args(["audit", "verify"])
            .output()
            .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    assert!(verify.status.success(), "the restored trail must verify: {said}");
    restored.close().await;
    sqlx::query(&format!("DROP DATABASE {target}")).execute(&app.pool).await.unwrap();
}

#[sqlx::test]
async fn every_table_under_row_level_security_can_be_backed_up(pool: PgPool) {
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity \
           AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = c.relname || '_backup_reads')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(missing.is_empty(), "tables without a backup policy (add one in their migration): {missing:?}");
}
