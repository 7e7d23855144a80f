//! Schedules through the server functions: who may set them, how logs move "next due", which
//! logs count (passed, not corrected), the overdue list and filter, and the daily digest.

mod rules;

use cleantrack::model::ids::{EquipmentId, LogId};
use cleantrack::model::role::Role;
use cleantrack::model::{
    equipment::EquipmentPage,
    schedules::{IntervalUnit, OverdueItem, Schedule},
};
use cleantrack::server::jobs::digest::{OrgDay, OrgDigest};
use cleantrack::server::jobs::{self, worker::run_once, worker::Outcome};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

/// An RFC 3339 time `interval` ago ("30 hours"), by the database's clock.
pub async fn ago(app: &TestApp, interval: &str) -> String {
    sqlx::query_scalar("SELECT to_char((now() - $1::interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
        .bind(interval)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn equipment_page(app: &TestApp, client: &reqwest::Client, overdue_only: bool) -> EquipmentPage {
    let flag = overdue_only.to_string();
    app.call(client, "list_equipment", &[("overdue_only", flag.as_str())]).await.assert_ok().json()
}

async fn log(app: &TestApp, client: &reqwest::Client, equipment: EquipmentId, outcome: &str, at: &str) -> LogId {
    let e = equipment.to_string();
    let form = [
        ("equipment_id", e.as_str()),
        ("outcome", outcome),
        ("notes", "noted"),
        ("performed_at", at),
        // Backdated: a late entry, which counts for "next due" like any cleaning.
        ("late_entry_reason", "From the paper log"),
        NO_PROTOCOL,
    ];
    app.call(client, "log_cleaning", &form).await.assert_ok().json()
}

fn daily(equipment: EquipmentId) -> Vec<(&'static str, String)> {
    vec![("equipment_id", equipment.to_string()), ("unit", "days".into()), ("every_n", "1".into())]
}

async fn set_schedule(app: &TestApp, client: &reqwest::Client, form: &[(&str, String)]) -> crate::helpers::Call {
    app.call_owned(client, "set_schedule", form).await
}

#[sqlx::test]
async fn admins_set_schedules_and_bad_ones_are_refused_clearly(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let e = equipment.to_string();

    for role in [Role::Supervisor, Role::Staff, Role::Auditor] {
        set_schedule(&app, &world.a.member(role).client, &daily(equipment)).await.assert_status(403);
    }
    for (form, message) in [
        (vec![("unit", "days"), ("every_n", "0")], "from 1 to 1000"),
        (vec![("unit", "days"), ("every_n", "often")], "not a whole number"),
        (vec![("unit", "fortnights"), ("every_n", "1")], "hours, days, weeks or weekdays"),
        (vec![("unit", "weekdays"), ("due_time", "17:00")], "at least one weekday"),
        (vec![("unit", "weekdays"), ("weekdays[1]", "on"), ("due_time", "5pm")], "like 17:00"),
    ] {
        let form: Vec<(&str, &str)> = [vec![("equipment_id", e.as_str())], form].concat();
        let call = app.call(admin, "set_schedule", &form).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{message}: {}", call.body);
    }

    set_schedule(&app, admin, &daily(equipment)).await.assert_ok();
    let page = equipment_page(&app, admin, false).await;
    let status = &page.items[0].status;
    assert_eq!(status.schedule, Some(Schedule::Every { n: 1, unit: IntervalUnit::Days }));
    assert!(status.next_due.is_some() && !status.overdue, "a new schedule counts from now: {status:?}");
    assert_eq!(status.last_cleaned, None);

    // Replacing it keeps one schedule; weekdays read back as set.
    let weekdays = [
        ("equipment_id", e.clone()),
        ("unit", "weekdays".into()),
        ("weekdays[5]", "on".into()),
        ("weekdays[1]", "on".into()),
        ("due_time", "17:00".into()),
    ];
    set_schedule(&app, admin, &weekdays).await.assert_ok();
    let page = equipment_page(&app, admin, false).await;
    assert_eq!(page.items[0].status.schedule, Some(Schedule::Weekdays { days: vec![1, 5], due_time: "17:00".into() }));

    app.call(admin, "clear_schedule", &[("equipment_id", &e)]).await.assert_ok();
    let page = equipment_page(&app, admin, false).await;
    assert_eq!((page.items[0].status.schedule.clone(), page.items[0].status.next_due.clone()), (None, None));
    app.call(admin, "clear_schedule", &[("equipment_id", &e)]).await.assert_status(404);

    // Retired equipment takes no schedule.
    app.call(admin, "retire_equipment", &[("id", &e), ("reason", "Out of service")]).await.assert_ok();
    set_schedule(&app, admin, &daily(equipment)).await.assert_status(422);
}

#[sqlx::test]
async fn passed_uncorrected_logs_move_next_due_and_the_rest_is_overdue(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "Room 2").await;
    set_schedule(&app, admin, &daily(hood)).await.assert_ok();

    // Cleaned 30 hours ago: due 6 hours ago.
    let first = log(&app, staff, hood, "pass", &ago(&app, "30 hours").await).await;
    let page = equipment_page(&app, admin, true).await;
    assert_eq!(page.total, 1, "overdue filter");
    assert!(page.items[0].status.overdue);
    let overdue: Vec<OverdueItem> = app.call(admin, "list_overdue", &[]).await.assert_ok().json();
    assert_eq!(overdue.len(), 1);
    assert_eq!((overdue[0].name.as_str(), overdue[0].location.as_str()), ("Hood 1", "Room 2"));
    assert!((5..=6).contains(&overdue[0].hours_overdue), "{overdue:?}");

    // A failed cleaning does not count.
    log(&app, staff, hood, "fail", &ago(&app, "1 hour").await).await;
    assert_eq!(equipment_page(&app, admin, true).await.total, 1);

    // A passed one does.
    let second = log(&app, staff, hood, "pass", &ago(&app, "2 hours").await).await;
    let page = equipment_page(&app, admin, false).await;
    assert!(!page.items[0].status.overdue, "{:?}", page.items[0].status);
    assert_eq!(equipment_page(&app, admin, true).await.total, 0);
    assert!(app.call(admin, "list_overdue", &[]).await.assert_ok().json::<Vec<OverdueItem>>().is_empty());

    // Corrected to a failure, it no longer counts: the earlier pass is the last again.
    let s = second.to_string();
    let amendment = [
        ("log_id", s.as_str()),
        ("reason", "Disinfectant was expired"),
        ("outcome", "fail"),
        ("notes", "Redo"),
        NO_PROTOCOL,
    ];
    app.call(staff, "amend_log", &amendment).await.assert_ok();
    assert_eq!(equipment_page(&app, admin, true).await.total, 1, "the correction undoes the pass");
    let _ = first;

    // Another organization sees none of it.
    let b_admin = &world.b.member(Role::Admin).client;
    assert!(app.call(b_admin, "list_overdue", &[]).await.assert_ok().json::<Vec<OverdueItem>>().is_empty());
    assert_eq!(equipment_page(&app, b_admin, false).await.total, 0);
}

/// Runs the queue dry, forgets the email it sent, then runs the daily digest of `day`: what is in
/// `outbound_emails` afterwards is the digest's.
pub async fn digest_only(app: &TestApp, day: &str) {
    while run_once(&app.state).await.unwrap() != Outcome::Idle {}
    sqlx::query("DELETE FROM outbound_emails").execute(&app.pool).await.unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    assert!(jobs::digest::schedule_for(&mut conn, day).await.unwrap());
    drop(conn);
    while run_once(&app.state).await.unwrap() != Outcome::Idle {}
}

#[sqlx::test]
async fn the_daily_digest_tells_each_organizations_supervisors_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "Room 2").await;
    set_schedule(&app, admin, &daily(hood)).await.assert_ok();
    log(&app, &world.a.member(Role::Staff).client, hood, "pass", &ago(&app, "3 days").await).await;
    // Organization B has equipment too, cleaned on time.
    let b_admin = &world.b.member(Role::Admin).client;
    let (_, b_hood) = facility_with_equipment(&app, b_admin, "B lab", "B hood", "").await;
    set_schedule(&app, b_admin, &daily(b_hood)).await.assert_ok();
    digest_only(&app, "2026-11-25").await;

    let supervisor = &world.a.member(Role::Supervisor).email;
    let sent: Vec<(String, String, String)> =
        sqlx::query_as("SELECT recipient, subject, text_body FROM outbound_emails ORDER BY recipient")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(sent.len(), 1, "only A's supervisor: {sent:?}");
    assert_eq!(&sent[0].0, supervisor);
    assert_eq!(sent[0].1, "1 item is overdue at Org A");
    assert!(sent[0].2.contains("Hood 1 (Lab · Room 2): overdue since"), "{}", sent[0].2);
    assert!(sent[0].2.contains("/equipment?overdue=1"), "{}", sent[0].2);

    // The organization's job run again (a crash after its commit) sends nothing more.
    let org = world.a.id;
    let mut tx = app.pool.begin().await.unwrap();
    jobs::enqueue::<OrgDigest>(&mut tx, &OrgDay { day: "2026-11-25".into(), org }).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Succeeded { kind: "overdue_digest_org".into() });
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM outbound_emails").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test]
async fn schedules_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    set_schedule(&app, admin, &daily(hood)).await.assert_ok();
    log(&app, &world.a.member(Role::Staff).client, hood, "pass", &ago(&app, "3 days").await).await;

    let b_owner = &world.b.member(Role::Owner).client;
    let weekly = [("equipment_id", hood.to_string()), ("unit", "weeks".into()), ("every_n", "1".into())];
    set_schedule(&app, b_owner, &weekly).await.assert_status(404);
    app.call(b_owner, "clear_schedule", &[("equipment_id", &hood.to_string())]).await.assert_status(404);
    assert!(app.call(b_owner, "list_overdue", &[]).await.assert_ok().json::<Vec<OverdueItem>>().is_empty());
    assert_eq!(equipment_page(&app, b_owner, true).await.total, 0);

    let page = equipment_page(&app, admin, true).await;
    assert_eq!(page.items[0].status.schedule, Some(Schedule::Every { n: 1, unit: IntervalUnit::Days }), "unchanged");
}
