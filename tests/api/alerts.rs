//! Alerts: each event once per person, by their settings and quiet hours, "due soon" before
//! "overdue", driven by rounds at chosen instants (the round's clock is its payload, as the
//! scheduler gives it the time it runs).

use cleantrack::model::alerts::{AlertKind, Inbox};
use cleantrack::model::ids::{EquipmentId, OrgId};
use cleantrack::model::role::Role;
use cleantrack::server::alerts::{OrgAt, OrgRound};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{drain, spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, scheduled_since, World, NO_PROTOCOL};

/// Runs organization `org`'s round as of `at` (any Postgres time expression, e.g. "due - 1 hour"
/// written out by the caller) through the job queue.
async fn round(app: &TestApp, org: OrgId, at: &str) {
    let mut conn = app.pool.acquire().await.unwrap();
    cleantrack::server::jobs::enqueue::<OrgRound>(&mut conn, &OrgAt { org, at: at.to_owned() }).await.unwrap();
    drop(conn);
    drain(app, std::time::Duration::from_secs(10)).await;
}

/// `base` moved by `offset` ("-1 hour"), as RFC 3339.
async fn shifted(db: &PgConnectOptions, base: &str, offset: &str) -> String {
    sqlx::query_scalar("SELECT app.utc($1::timestamptz + $2::interval)")
        .bind(base)
        .bind(offset)
        .fetch_one(&superuser_pool(db).await)
        .await
        .unwrap()
}

async fn inbox(app: &TestApp, client: &reqwest::Client) -> Inbox {
    app.call(client, "get_inbox", &[]).await.assert_ok().json()
}

async fn emails_to(app: &TestApp, to: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM outbound_emails WHERE recipient = $1 AND subject NOT ILIKE '%verify%' ORDER BY created_at, subject")
        .bind(to)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn due_at(db: &PgConnectOptions, equipment: EquipmentId) -> String {
    sqlx::query_scalar("SELECT app.utc(next_due_at) FROM equipment_due WHERE equipment_id = $1")
        .bind(equipment)
        .fetch_one(&superuser_pool(db).await)
        .await
        .unwrap()
}

fn kinds(inbox: &Inbox) -> Vec<AlertKind> {
    inbox.items.iter().map(|n| n.kind).collect()
}

#[sqlx::test]
async fn each_alert_fires_once_by_preferences_and_quiet_hours_and_due_soon_comes_before_overdue(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let org = world.a.id;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    scheduled_since(&app, admin, &db, hood, ("hours", "8"), "2 hours").await;
    let due = due_at(&db, hood).await;
    let (staff, supervisor, owner) =
        (world.a.member(Role::Staff), world.a.member(Role::Supervisor), world.a.member(Role::Owner));

    // The supervisor keeps quiet hours around the due time (UTC, the facility's zone here).
    let local = |offset: &'static str| {
        let db = db.clone();
        let due = due.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT to_char(($1::timestamptz + $2::interval) AT TIME ZONE 'UTC', 'HH24:MI')",
            )
            .bind(due)
            .bind(offset)
            .fetch_one(&superuser_pool(&db).await)
            .await
            .unwrap()
        }
    };
    let quiet = [
        ("overdue", "on".to_owned()),
        ("failed_cleaning", "on".to_owned()),
        ("action_overdue", "on".to_owned()),
        ("problem_reported", "on".to_owned()),
        ("email", "on".to_owned()),
        ("quiet_from", local("-30 minutes").await),
        ("quiet_until", local("+30 minutes").await),
    ];
    app.call_owned(&supervisor.client, "save_alert_settings", &quiet).await.assert_ok();

    // Three hours before: nobody is warned (staff's default is two hours).
    round(&app, org, &shifted(&db, &due, "-3 hours").await).await;
    assert!(inbox(&app, &staff.client).await.items.is_empty());
    // One hour before: staff are told it is due soon, by email too.
    round(&app, org, &shifted(&db, &due, "-1 hour").await).await;
    round(&app, org, &shifted(&db, &due, "-30 minutes").await).await;
    let staff_inbox = inbox(&app, &staff.client).await;
    assert_eq!(kinds(&staff_inbox), [AlertKind::DueSoon]);
    assert!(staff_inbox.items[0].body.contains("Hood 1 (Lab) is due at"), "{}", staff_inbox.items[0].body);
    assert_eq!(emails_to(&app, &staff.email).await.len(), 1);

    // Past due: overdue for staff and the supervisor, whose email waits for the quiet hours to end.
    let after = shifted(&db, &due, "+1 minute").await;
    round(&app, org, &after).await;
    round(&app, org, &after).await;
    round(&app, org, &shifted(&db, &due, "+10 minutes").await).await;
    let staff_inbox = inbox(&app, &staff.client).await;
    assert_eq!(kinds(&staff_inbox), [AlertKind::Overdue, AlertKind::DueSoon], "newest first, each once");
    assert_eq!(staff_inbox.unread, 2);
    assert_eq!(emails_to(&app, &staff.email).await.len(), 2);
    assert_eq!(kinds(&inbox(&app, &supervisor.client).await), [AlertKind::Overdue]);
    assert!(emails_to(&app, &supervisor.email).await.is_empty(), "quiet hours: no email yet");
    assert!(inbox(&app, &owner.client).await.items.is_empty(), "owners are not told of overdue equipment by default");
    round(&app, org, &shifted(&db, &due, "+31 minutes").await).await;
    let held = emails_to(&app, &supervisor.email).await;
    assert_eq!(held.len(), 1, "sent when the quiet hours ended: {held:?}");
    assert!(held[0].contains("Hood 1 is overdue"), "{held:?}");

    // Read: one, then all.
    let key = staff_inbox.items[0].key.clone();
    app.call(&staff.client, "mark_read", &[("key", &key)]).await.assert_ok();
    assert_eq!(inbox(&app, &staff.client).await.unread, 1);
    app.call(&staff.client, "mark_read", &[]).await.assert_ok();
    assert_eq!(app.call(&staff.client, "count_unread", &[]).await.json::<i64>(), 0);
    app.call(&staff.client, "mark_read", &[("key", "due_soon:nothing:0")]).await.assert_status(404);

    // A failed cleaning: supervisors are told (not staff); its corrective action, assigned to
    // staff, tells them; past due, it tells both.
    let e = hood.to_string();
    let failed = [("equipment_id", e.as_str()), ("outcome", "fail"), ("notes", "Residue left"), NO_PROTOCOL];
    app.call(&staff.client, "log_cleaning", &failed).await.assert_ok();
    let list: cleantrack::model::corrective_actions::ActionList =
        app.call(&supervisor.client, "list_corrective_actions", &[]).await.assert_ok().json();
    let assign =
        [("id", list.items[0].id.to_string()), ("owner_id", staff.id.to_string()), ("due_date", String::new())];
    app.call_owned(&supervisor.client, "assign_corrective_action", &assign).await.assert_ok();
    // Rounds run forward in time: this one after the last (the due time is hours from now).
    round(&app, org, &shifted(&db, &due, "+40 minutes").await).await;
    assert_eq!(inbox(&app, &supervisor.client).await.items[0].kind, AlertKind::FailedCleaning);
    assert_eq!(kinds(&inbox(&app, &staff.client).await)[0], AlertKind::ActionAssigned);
    let now: String = sqlx::query_scalar("SELECT app.utc(now())").fetch_one(&app.pool).await.unwrap();
    round(&app, org, &shifted(&db, &now, "+25 hours").await).await;
    assert_eq!(inbox(&app, &supervisor.client).await.items[0].kind, AlertKind::ActionOverdue);
    assert_eq!(inbox(&app, &staff.client).await.items[0].kind, AlertKind::ActionOverdue);

    // Settings: staff turn email off; what follows reaches the list only. Bad settings are refused.
    let before = emails_to(&app, &staff.email).await.len();
    let no_email = [("overdue", "on"), ("action_assigned", "on"), ("action_overdue", "on"), ("due_soon_hours", "2")];
    app.call(&staff.client, "save_alert_settings", &no_email).await.assert_ok();
    app.call(&staff.client, "save_alert_settings", &[("due_soon_hours", "500")]).await.assert_status(422);
    app.call(&staff.client, "save_alert_settings", &[("quiet_from", "22:00")]).await.assert_status(422);
    app.call(&staff.client, "save_alert_settings", &[("quiet_from", "25:00"), ("quiet_until", "06:00")])
        .await
        .assert_status(422);
    let (_, hood2) = facility_with_equipment(&app, admin, "Ward", "Hood 2", "").await;
    scheduled_since(&app, admin, &db, hood2, ("hours", "8"), "9 hours").await;
    let later = shifted(&db, &now, "+26 hours").await;
    round(&app, org, &later).await;
    assert!(inbox(&app, &staff.client).await.items.iter().any(|n| n.body.contains("Hood 2")));
    assert_eq!(emails_to(&app, &staff.email).await.len(), before, "email turned off");

    // A problem reported from a sticker reaches supervisors.
    app.call(admin, "update_settings", &[("public_status", "on")]).await.assert_ok();
    let token = crate::equipment::stickers::token_of(&db, hood2).await;
    let report = [("token", token.as_str()), ("description", "Glove box torn")];
    app.call(&app.browser(), "report_problem", &report).await.assert_ok();
    round(&app, org, &shifted(&db, &later, "+5 minutes").await).await;
    let problem = &inbox(&app, &supervisor.client).await.items[0];
    assert_eq!(problem.kind, AlertKind::ProblemReported);
    assert!(problem.body.contains("Glove box torn"), "{}", problem.body);
}

#[sqlx::test]
async fn alerts_of_a_reach_nobody_in_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (facility, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    scheduled_since(&app, admin, &db, hood, ("hours", "8"), "9 hours").await;
    let now: String = sqlx::query_scalar("SELECT app.utc(now())").fetch_one(&app.pool).await.unwrap();
    round(&app, world.a.id, &now).await;
    round(&app, world.b.id, &now).await;
    let a_staff = inbox(&app, &world.a.member(Role::Staff).client).await;
    assert_eq!(kinds(&a_staff), [AlertKind::Overdue]);

    let b = &world.b.member(Role::Staff).client;
    assert!(inbox(&app, b).await.items.is_empty());
    assert_eq!(app.call(b, "count_unread", &[]).await.json::<i64>(), 0);
    app.call(b, "mark_read", &[("key", &a_staff.items[0].key)]).await.assert_status(404);
    assert_eq!(inbox(&app, &world.a.member(Role::Staff).client).await.unread, 1, "still unread in A");
    let facilities = [("overdue", "on".to_owned()), ("facility_ids[0]", facility.to_string())];
    app.call_owned(b, "save_alert_settings", &facilities).await.assert_status(404);
    let emailed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbound_emails WHERE recipient LIKE '%@b.example' AND subject LIKE '%Hood 1%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(emailed, 0);
}
