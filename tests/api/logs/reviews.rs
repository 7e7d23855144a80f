//! Verification that is enforced: a cleaning under a protocol that requires a second signature
//! awaits it (pending in compliance), shows in the review queue oldest first, leaves it when
//! verified, and once past the organization's deadline is overdue on the overview and in the
//! daily digest. Nothing of it crosses organizations.

use cleantrack::model::ids::{EquipmentId, LogId, ProtocolId};
use cleantrack::model::role::Role;
use cleantrack::model::{
    dashboard::Dashboard,
    logs::{ReviewCounts, ReviewQueue},
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

/// A hood under a protocol that requires verification (`verify`), in organization A.
async fn hood(app: &TestApp, world: &World, verify: bool) -> EquipmentId {
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(app, admin, "Lab", "Hood 1", "").await;
    let mut form =
        vec![("name", "Hood wipe"), ("steps", "Wipe"), ("disinfectant", "Ethanol"), ("contact_time_minutes", "5")];
    if verify {
        form.push(("verification_required", "on"));
    }
    let protocol: ProtocolId = app.call(admin, "create_protocol", &form).await.assert_ok().json();
    app.call(admin, "assign_protocol", &[("equipment_id", &hood.to_string()), ("protocol_id", &protocol.to_string())])
        .await
        .assert_ok();
    hood
}

async fn sign(app: &TestApp, client: &reqwest::Client, equipment: EquipmentId) -> LogId {
    let e = equipment.to_string();
    let form = [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), ("done[0]", "on")];
    app.call(client, "log_cleaning", &form).await.assert_ok().json()
}

async fn queue(app: &TestApp, client: &reqwest::Client) -> ReviewQueue {
    app.call(client, "list_reviews", &[]).await.assert_ok().json()
}

#[sqlx::test]
async fn a_required_verification_is_queued_until_given_and_overdue_after_the_deadline(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let hood = hood(&app, &world, true).await;
    let staff = &world.a.member(Role::Staff).client;
    let supervisor = &world.a.member(Role::Supervisor).client;
    let first = sign(&app, staff, hood).await;
    let second = sign(&app, staff, hood).await;

    let q = queue(&app, supervisor).await;
    assert_eq!(q.items.iter().map(|r| r.log_id).collect::<Vec<_>>(), [first, second], "oldest first");
    assert_eq!(q.counts, ReviewCounts { awaiting: 2, overdue: 0, review_days: 7 });
    assert_eq!((q.items[0].equipment.as_str(), q.items[0].signer.as_str()), ("Hood 1", "Staff of Org A"));
    // Staff neither list nor verify; everyone who reads the overview sees the counts.
    app.call(staff, "list_reviews", &[]).await.assert_status(403);
    let counts: ReviewCounts = app.call(staff, "count_reviews", &[]).await.assert_ok().json();
    assert_eq!(counts.awaiting, 2);
    // The queue page lists them for the supervisor.
    let html = supervisor.get(app.url("/reviews")).header("accept", "text/html").send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("2 awaiting verification, none past the 7-day deadline."), "{html}");
    assert!(html.contains("Verify (second signature)"));

    // Verified, it leaves the queue.
    app.call(supervisor, "verify_log", &[("log_id", &first.to_string())]).await.assert_ok();
    let q = queue(&app, supervisor).await;
    assert_eq!(q.items.iter().map(|r| r.log_id).collect::<Vec<_>>(), [second]);

    // Eight days later (the record says so), the other is overdue: the overview and the digest
    // say so.
    sqlx::query("ALTER TABLE cleaning_logs DISABLE TRIGGER cleaning_logs_immutable")
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap();
    sqlx::query("UPDATE cleaning_logs SET received_at = received_at - interval '8 days', performed_at = performed_at - interval '8 days' WHERE id = $1")
        .bind(second)
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE cleaning_logs ENABLE TRIGGER cleaning_logs_immutable")
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap();
    let q = queue(&app, supervisor).await;
    assert!(q.items[0].overdue && q.items[0].hours_waiting >= 192, "{:?}", q.items[0]);
    let overview: Dashboard = app.call(staff, "get_dashboard", &[("days", "30")]).await.assert_ok().json();
    assert_eq!((overview.reviews.awaiting, overview.reviews.overdue), (1, 1));

    crate::schedules::digest_only(&app, "2026-11-25").await;
    let sent: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, text_body FROM outbound_emails").fetch_all(&app.pool).await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(&sent[0].0, &world.a.member(Role::Supervisor).email);
    assert!(sent[0].1.contains("Review overdue: Hood 1 (Lab)"), "{}", sent[0].1);
}

#[sqlx::test]
async fn a_protocol_without_required_verification_queues_nothing(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let hood = hood(&app, &world, false).await;
    sign(&app, &world.a.member(Role::Staff).client, hood).await;
    let q = queue(&app, &world.a.member(Role::Supervisor).client).await;
    assert!(q.items.is_empty() && q.counts.awaiting == 0, "{q:?}");
}

#[sqlx::test]
async fn reviews_of_a_are_neither_listed_nor_verified_by_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let hood = hood(&app, &world, true).await;
    let log = sign(&app, &world.a.member(Role::Staff).client, hood).await;
    let b = &world.b.member(Role::Owner).client;
    let q = queue(&app, b).await;
    assert!(q.items.is_empty() && q.counts.awaiting == 0, "{q:?}");
    let counts: ReviewCounts = app.call(b, "count_reviews", &[]).await.assert_ok().json();
    assert_eq!(counts.awaiting, 0);
    app.call(b, "verify_log", &[("log_id", &log.to_string())]).await.assert_status(404);
    // A's facility named by B: an empty queue, nothing of A.
    let facilities: Vec<cleantrack::model::facilities::Facility> =
        app.call(&world.a.member(Role::Admin).client, "list_facilities", &[]).await.assert_ok().json();
    let q: ReviewQueue =
        app.call(b, "list_reviews", &[("facility_id", &facilities[0].id.to_string())]).await.assert_ok().json();
    assert!(q.items.is_empty());
    assert_eq!(queue(&app, &world.a.member(Role::Supervisor).client).await.items.len(), 1, "A's is still there");
}
