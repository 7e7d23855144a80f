//! The audit trail: every change captured with before and after, security events recorded,
//! append-only even for the table's owner, tampering detected, parallel writers kept in one
//! chain, and an export that verifies with the documented algorithm implemented here anew.

use cleantrack::model::audit::{AuditPage, ChainCheck};
use cleantrack::model::role::Role;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::helpers::{cleantrack_command, database_url, spawn_app, superuser_pool, TestApp};
use crate::world::{World, PASSWORD};

/// (action, entity_id, before, after, actor) of every event, oldest first, all chains.
async fn events(inspector: &PgPool) -> Vec<(String, Option<String>, Option<Value>, Option<Value>, Option<uuid::Uuid>)> {
    sqlx::query_as("SELECT action, entity_id, before, after, actor_user_id FROM audit_events ORDER BY id")
        .fetch_all(inspector)
        .await
        .unwrap()
}

async fn actions_since(inspector: &PgPool, mark: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_events WHERE id > $1 ORDER BY id")
        .bind(mark)
        .fetch_all(inspector)
        .await
        .unwrap()
}

async fn mark(inspector: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_events").fetch_one(inspector).await.unwrap()
}

#[sqlx::test]
async fn every_mutating_server_function_leaves_its_events_with_before_and_after(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let inspector = superuser_pool(&db).await;
    let client = app.browser();
    let email = "ana@clinic.example";

    let m = mark(&inspector).await;
    app.call(
        &client,
        "register",
        &[("name", "Ana"), ("email", email), ("organization", "Clinic"), ("password", PASSWORD)],
    )
    .await
    .assert_ok();
    assert_eq!(actions_since(&inspector, m).await, ["users.insert", "organizations.insert", "memberships.insert"]);
    app.call(&client, "login", &[("email", email), ("password", PASSWORD)]).await.assert_ok();
    let all = events(&inspector).await;
    let user_insert = &all[0].3.as_ref().unwrap();
    assert_eq!(user_insert["email"], email);
    assert_eq!(user_insert["password_hash"], "[redacted]", "secrets never enter the trail");

    // (server function, its form, the audit actions it must leave)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        ("verify_email", vec![("token", app.last_token(email).await)], vec!["users.update"]),
        ("rename", vec![("name", "Ana Silva".into())], vec!["users.update"]),
        (
            "invite_member",
            vec![("email", "tom@clinic.example".into()), ("role", "staff".into())],
            vec!["invitations.insert"],
        ),
        (
            "change_password",
            vec![("current", PASSWORD.into()), ("password", "amber lantern orchard piano".into())],
            vec!["users.update"],
        ),
        ("logout", vec![], vec!["auth.logout"]),
    ];
    for (endpoint, form, expected) in cases {
        let m = mark(&inspector).await;
        app.call_owned(&client, endpoint, &form).await.assert_ok();
        assert_eq!(actions_since(&inspector, m).await, expected, "{endpoint}");
    }
    let all = events(&inspector).await;
    let rename =
        all.iter().find(|e| e.0 == "users.update" && e.3.as_ref().unwrap()["display_name"] == "Ana Silva").unwrap();
    assert_eq!(rename.2.as_ref().unwrap()["display_name"], "Ana", "the old value is kept");
    let password_change = all.iter().rev().find(|e| e.0 == "users.update").unwrap();
    assert_eq!(password_change.3.as_ref().unwrap()["password_hash"], "[redacted, changed]");

    // Signing in, failing to, and asking for a reset are recorded though they change no record.
    let m = mark(&inspector).await;
    app.call(&client, "login", &[("email", email), ("password", "wrong wrong wrong")]).await.assert_status(422);
    app.call(&client, "login", &[("email", email), ("password", "amber lantern orchard piano")]).await.assert_ok();
    app.call(&client, "request_password_reset", &[("email", email)]).await.assert_ok();
    assert_eq!(
        actions_since(&inspector, m).await,
        ["auth.login_failed", "auth.login_succeeded", "auth.password_reset_requested"]
    );
    let token = app.last_token(email).await;
    let m = mark(&inspector).await;
    app.call(&app.browser(), "reset_password", &[("token", &token), ("password", "quiet meadow copper violin")])
        .await
        .assert_ok();
    assert_eq!(actions_since(&inspector, m).await, ["users.update"]);
}

#[sqlx::test]
async fn team_changes_are_recorded_in_the_organizations_chain_with_actor_and_address(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let inspector = superuser_pool(&db).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let staff = world.a.member(Role::Staff).id.to_string();

    let m = mark(&inspector).await;
    app.call(&admin.client, "change_role", &[("user_id", &staff), ("role", "supervisor")]).await.assert_ok();
    app.call(&admin.client, "invite_member", &[("email", "x@mail.example"), ("role", "staff")]).await.assert_ok();
    let pending: Vec<cleantrack::model::accounts::PendingInvitation> =
        app.call(&admin.client, "list_invitations", &[]).await.json();
    app.call(&admin.client, "revoke_invitation", &[("invitation_id", &pending[0].id.to_string())]).await.assert_ok();
    app.call(&admin.client, "remove_member", &[("user_id", &staff)]).await.assert_ok();
    app.call(&admin.client, "invite_member", &[("email", "y@mail.example"), ("role", "auditor")]).await.assert_ok();
    let token = app.last_token("y@mail.example").await;
    app.call(&app.browser(), "accept_invitation", &[("token", &token), ("name", "Yan"), ("password", PASSWORD)])
        .await
        .assert_ok();
    assert_eq!(
        actions_since(&inspector, m).await,
        [
            "memberships.update",         // change_role,
            "auth.member_sessions_ended", //   which signs the member out
            "invitations.insert",         // invite_member
            "invitations.update",         // revoke_invitation
            "memberships.delete",         // remove_member,
            "auth.member_sessions_ended", //   likewise
            "invitations.insert",         // invite_member
            "users.insert",               // accept_invitation: the new account,
            "memberships.insert",         //   its membership,
            "invitations.update",         //   and the invitation used up
        ]
    );

    let (org, actor, ip, before, after): (Option<uuid::Uuid>, Option<uuid::Uuid>, Option<String>, Value, Value) = sqlx::query_as(
        "SELECT org_id, actor_user_id, host(ip), before, after FROM audit_events WHERE action = 'memberships.update' AND id > $1",
    )
    .bind(m)
    .fetch_one(&inspector)
    .await
    .unwrap();
    assert_eq!((org, actor, ip.as_deref()), (Some(world.a.id.0), Some(admin.id.0), Some("127.0.0.1")));
    assert_eq!((before["role"].as_str(), after["role"].as_str()), (Some("staff"), Some("supervisor")));
    let removed: Value = sqlx::query_scalar("SELECT before FROM audit_events WHERE action = 'memberships.delete'")
        .fetch_one(&inspector)
        .await
        .unwrap();
    assert_eq!(removed["user_id"], staff, "a deletion keeps what was deleted");

    // The audit page shows the same, newest first, with a readable diff.
    let page: AuditPage = app
        .call(&world.a.member(Role::Auditor).client, "list_audit_events", &[("entity_type", "memberships")])
        .await
        .assert_ok()
        .json();
    let update = page.entries.iter().find(|e| e.action == "memberships.update").unwrap();
    assert!(update.actor.contains(&admin.email));
    assert_eq!(update.changes.len(), 1);
    assert_eq!(
        (update.changes[0].before.as_deref(), update.changes[0].after.as_deref()),
        (Some("staff"), Some("supervisor"))
    );
    assert!(page.entries.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
}

#[sqlx::test]
async fn the_application_role_cannot_update_delete_or_truncate_the_trail(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let inspector = superuser_pool(&db).await;
    let before: Vec<String> = sqlx::query_scalar("SELECT encode(hash, 'hex') FROM audit_events ORDER BY id")
        .fetch_all(&inspector)
        .await
        .unwrap();

    // Inside the organization: row-level security grants reading and appending only, so
    // updates and deletes find nothing to change.
    let ctx = cleantrack::server::auth::TenantCtx::for_member(&app.pool, None, world.a.member(Role::Owner).id)
        .await
        .unwrap()
        .unwrap();
    let mut tx = cleantrack::server::auth::TenantTx::begin(&app.pool, &ctx).await.unwrap();
    for sql in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"] {
        assert_eq!(sqlx::query(sql).execute(tx.conn()).await.unwrap().rows_affected(), 0, "{sql}");
    }
    let err = sqlx::query("TRUNCATE audit_events").execute(tx.conn()).await.unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    drop(tx);

    // Even the owner switching row-level security off for itself meets the trigger.
    for sql in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"] {
        let mut tx = app.pool.begin().await.unwrap();
        sqlx::query("ALTER TABLE audit_events NO FORCE ROW LEVEL SECURITY").execute(&mut *tx).await.unwrap();
        let err = sqlx::query(sql).execute(&mut *tx).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let after: Vec<String> = sqlx::query_scalar("SELECT encode(hash, 'hex') FROM audit_events ORDER BY id")
        .fetch_all(&inspector)
        .await
        .unwrap();
    assert_eq!(before, after);
}

pub async fn cli_verify(db: &PgConnectOptions) -> (bool, String) {
    let url = database_url(db);
    // The test application's SECRET_KEY: outside production the audit key derives from it, so the
    // command checks the checkpoints the application signed.
    let output = cleantrack_command(&[
        ("APP_ENV", "development"),
        ("DATABASE_URL", url.as_str()),
        ("SECRET_KEY", "test-secret-key"),
    ])
    .args(["audit", "verify"])
    .output()
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Runs `sql` as a superuser with triggers off: what an attacker with database access could do.
pub async fn tamper(inspector: &PgPool, sql: &str) {
    let mut tx = inspector.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// An organization whose chain has 5 events: its creation, the owner's membership, three invitations.
async fn org_with_five_events(app: &TestApp, tag: &str) -> uuid::Uuid {
    let owner = app.browser();
    let email = format!("owner@{tag}.example");
    let form = [("name", "Owner"), ("email", email.as_str()), ("organization", tag), ("password", PASSWORD)];
    app.call(&owner, "register", &form).await.assert_ok();
    app.call(&owner, "verify_email", &[("token", &app.last_token(&email).await)]).await.assert_ok();
    app.call(&owner, "login", &[("email", email.as_str()), ("password", PASSWORD)]).await.assert_ok();
    for i in 0..3 {
        app.call(&owner, "invite_member", &[("email", &format!("p{i}@{tag}.example")), ("role", "staff")])
            .await
            .assert_ok();
    }
    let session: cleantrack::model::accounts::SessionInfo = app.call(&owner, "session", &[]).await.json();
    session.current.unwrap().org_id.0
}

#[sqlx::test]
async fn altering_removing_or_inserting_an_event_directly_is_detected(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let inspector = superuser_pool(&db).await;
    let (altered, middle, last, forged, untouched) = (
        org_with_five_events(&app, "altered").await,
        org_with_five_events(&app, "middle").await,
        org_with_five_events(&app, "last").await,
        org_with_five_events(&app, "forged").await,
        org_with_five_events(&app, "untouched").await,
    );
    let (ok, output) = cli_verify(&db).await;
    assert!(ok, "{output}");
    assert!(output.contains(&format!("organization {untouched}: all 5 events verify")), "{output}");

    tamper(
        &inspector,
        &format!(
            "UPDATE audit_events SET after = after || '{{\"role\": \"owner\"}}' WHERE org_id = '{altered}' AND seq = 3"
        ),
    )
    .await;
    tamper(&inspector, &format!("DELETE FROM audit_events WHERE org_id = '{middle}' AND seq = 3")).await;
    tamper(&inspector, &format!("DELETE FROM audit_events WHERE org_id = '{last}' AND seq = 5")).await;
    tamper(
        &inspector,
        &format!(
            "INSERT INTO audit_events (org_id, seq, occurred_at, actor_kind, action, entity_type, prev_hash, hash) \
             SELECT org_id, 6, now(), 'system', 'memberships.insert', 'memberships', hash, hash \
             FROM audit_events WHERE org_id = '{forged}' AND seq = 5"
        ),
    )
    .await;

    let (ok, output) = cli_verify(&db).await;
    assert!(!ok, "verify must fail:\n{output}");
    for (org, expected) in [
        (altered, "BROKEN at event 3: its content does not match its hash"),
        (middle, "BROKEN at event 3: it is missing"),
        (last, "BROKEN at event 5: the chain ends at event 4 but 5 were appended"),
        (forged, "BROKEN at event 6: its content does not match its hash"),
        (untouched, "all 5 events verify"),
    ] {
        assert!(output.contains(&format!("organization {org}: {expected}")), "{org} {expected}:\n{output}");
    }
    assert!(output.contains("platform: all"), "the platform chain is untouched:\n{output}");
}

#[sqlx::test]
async fn parallel_writers_in_one_organization_keep_one_unbroken_chain(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin).client.clone();
    let calls = (0..24).map(|i| {
        let (app_url, admin) = (app.url("/api/invite_member"), admin.clone());
        tokio::spawn(async move {
            admin
                .post(app_url)
                .header("accept", "application/json")
                .form(&[("email", format!("p{i}@mail.example")), ("role", "staff".into())])
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for call in calls.collect::<Vec<_>>() {
        assert!(call.await.unwrap().is_success());
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM audit_events WHERE org_id = $1 ORDER BY seq")
        .bind(world.a.id)
        .fetch_all(&superuser_pool(&db).await)
        .await
        .unwrap();
    assert_eq!(seqs, (1..=31).collect::<Vec<i64>>(), "6 memberships, 1 organization, 24 invitations, no gaps");
    let check: ChainCheck =
        app.call(&world.a.member(Role::Auditor).client, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(matches!(check, ChainCheck::Verified { events: 31, .. }), "{check:?}");
}

/// The documented algorithm (docs/verifying-the-audit-trail.md), written again from its description: SHA-256 over
/// "cleantrack-audit-v1", then each of the 13 fields in order, each preceded by a newline.
fn verify_export(text: &str) -> Result<usize, String> {
    const FIELDS: [&str; 13] = [
        "org_id",
        "seq",
        "occurred_at",
        "actor_kind",
        "actor_user_id",
        "ip",
        "user_agent",
        "action",
        "entity_type",
        "entity_id",
        "before",
        "after",
        "prev_hash",
    ];
    let mut prev = "0".repeat(64);
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let event: serde_json::Map<String, Value> =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let field = |name: &str| {
            event.get(name).and_then(Value::as_str).map(str::to_owned).ok_or(format!("line {}: no {name}", i + 1))
        };
        if field("seq")? != (i + 1).to_string() {
            return Err(format!("line {}: out of sequence", i + 1));
        }
        if field("prev_hash")? != prev {
            return Err(format!("line {}: does not link", i + 1));
        }
        let mut text = String::from("cleantrack-audit-v1");
        for name in FIELDS {
            text.push('\n');
            text.push_str(&field(name)?);
        }
        let digest: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        if digest != field("hash")? {
            return Err(format!("line {}: hash mismatch", i + 1));
        }
        prev = digest;
        count += 1;
    }
    Ok(count)
}

async fn export(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let response = client.get(app.url("/audit/export.jsonl")).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[sqlx::test]
async fn an_export_verifies_independently_and_stops_verifying_after_one_changed_byte(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    app.call(admin, "change_role", &[("user_id", &world.a.member(Role::Staff).id.to_string()), ("role", "auditor")])
        .await
        .assert_ok();

    let (status, text) = export(&app, admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        verify_export(&text),
        Ok(10),
        "7 fixture events, the role change, the sessions it ended, and this export itself"
    );
    assert!(text.lines().last().unwrap().contains("audit.exported"));

    let tampered = text.replacen("\\\"auditor\\\"", "\\\"owner\\\"", 1);
    assert_ne!(tampered, text);
    assert!(verify_export(&tampered).unwrap_err().contains("hash mismatch"));
    let mut bytes = text.into_bytes();
    let position = bytes.iter().position(|b| *b == b'T').unwrap();
    bytes[position] = b'X';
    assert!(verify_export(&String::from_utf8(bytes).unwrap()).is_err(), "one changed byte");
}

#[sqlx::test]
async fn the_trail_of_a_is_invisible_to_b_in_the_page_the_check_and_the_export(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let a_ids: Vec<String> = world.a.members.values().map(|p| p.id.to_string()).collect();
    for role in [Role::Owner, Role::Admin, Role::Auditor] {
        let client = &world.b.member(role).client;
        let page: AuditPage = app.call(client, "list_audit_events", &[]).await.assert_ok().json();
        assert!(page.entries.len() >= 6);
        assert!(
            page.entries
                .iter()
                .all(|e| e.entity_id.as_ref().is_none_or(|id| !a_ids.contains(id) && *id != world.a.id.to_string())),
            "{page:?}"
        );
        let check: ChainCheck = app.call(client, "verify_audit_chain", &[]).await.json();
        assert!(matches!(check, ChainCheck::Verified { .. }));
        let (status, text) = export(&app, client).await;
        assert_eq!(status, 200);
        assert!(a_ids.iter().all(|id| !text.contains(id.as_str())) && !text.contains(&world.a.id.to_string()));
    }
    for role in [Role::Supervisor, Role::Staff] {
        let client = &world.b.member(role).client;
        app.call(client, "list_audit_events", &[]).await.assert_status(403);
        app.call(client, "verify_audit_chain", &[]).await.assert_status(403);
        assert_eq!(export(&app, client).await.0, 403);
    }
    assert_eq!(export(&app, &app.browser()).await.0, 401, "signed out");
}

#[sqlx::test]
async fn a_compressed_export_arrives_whole(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    // As browsers ask: the compression layer then reads the streamed body to its end and once
    // more, which must not break the stream (it once panicked the connection's task).
    for _ in 0..3 {
        let response =
            admin.get(app.url("/audit/export.jsonl")).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let body = response.bytes().await.expect("the whole body arrives");
        assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
        assert!(body.len() > 100);
    }
}

/// Each signature is sealed with the hash of what was signed: a log or verification changed in
/// the database afterwards (here by a superuser with triggers off) is
/// named by the audit check, in the page's check and in `cleantrack audit verify`, even when
/// the change bypassed every trigger (the audit trail's included).
#[sqlx::test]
async fn a_signed_record_changed_afterwards_is_named_by_the_audit_check(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = crate::world::facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let e = hood.to_string();
    let form = [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", "Wiped"), crate::world::NO_PROTOCOL];
    let log: cleantrack::model::ids::LogId =
        app.call(&world.a.member(Role::Staff).client, "log_cleaning", &form).await.assert_ok().json();
    app.call(&world.a.member(Role::Supervisor).client, "verify_log", &[("log_id", &log.to_string())]).await.assert_ok();
    let auditor = &world.a.member(Role::Auditor).client;
    let check: ChainCheck = app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(matches!(check, ChainCheck::Verified { .. }), "{check:?}");
    let sealed: (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT l.content_hash, v.content_hash FROM cleaning_logs l JOIN verifications v ON v.log_id = l.id WHERE l.id = $1",
    )
    .bind(log)
    .fetch_one(&superuser_pool(&db).await)
    .await
    .unwrap();
    assert!(sealed.0.is_some_and(|h| h.len() == 32) && sealed.1.is_some_and(|h| h.len() == 32));

    let su = superuser_pool(&db).await;
    // A note rewritten: the log is named.
    tamper(&su, &format!("UPDATE cleaning_logs SET notes = 'Wiped twice' WHERE id = '{log}'")).await;
    let check: ChainCheck = app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert_eq!(
        check,
        ChainCheck::RecordAltered { events: check_events(&check), record: format!("cleaning log {log}") },
        "{check:?}"
    );
    let (ok, stdout) = cli_verify(&db).await;
    assert!(!ok && stdout.contains(&format!("ALTERED: cleaning log {log}")), "{stdout}");
    // Put back, the log verifies again; the verifier's name changed instead: the verification.
    tamper(&su, &format!("UPDATE cleaning_logs SET notes = 'Wiped' WHERE id = '{log}'")).await;
    tamper(&su, &format!("UPDATE verifications SET signer_name = 'Someone Else' WHERE log_id = '{log}'")).await;
    let check: ChainCheck = app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(
        matches!(&check, ChainCheck::RecordAltered { record, .. } if record == &format!("verification of cleaning log {log}")),
        "{check:?}"
    );
}

pub fn check_events(check: &ChainCheck) -> i64 {
    match check {
        ChainCheck::Verified { events, .. } | ChainCheck::RecordAltered { events, .. } => *events,
        ChainCheck::Broken { .. } => -1,
    }
}
