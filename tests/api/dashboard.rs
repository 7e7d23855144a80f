//! The overview's numbers against a known history: which cleanings came due, which were on
//! time, what is overdue, the 30-day chart, recent activity; and nothing across organizations.

use cleantrack::model::dashboard::Dashboard;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::schedules::ago;
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

async fn dashboard(app: &TestApp, client: &reqwest::Client, days: &str) -> Dashboard {
    app.call(client, "get_dashboard", &[("days", days)]).await.assert_ok().json()
}

#[sqlx::test]
async fn compliance_counts_due_cleanings_done_on_time_and_what_is_overdue(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let (facility, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    // The schedule has been in place for ten days.
    crate::world::scheduled_since(&app, admin, &db, hood, ("days", "1"), "10 days").await;
    // Recorded at the time (a backdated entry through the API would be a late entry).
    let log = |outcome: &'static str, at: String| {
        let db = &db;
        async move {
            crate::world::recorded(db, hood, outcome, &at).await;
        }
    };
    // Due 9 days ago, done an hour early; due a day after that, done exactly then; due 7 days
    // and an hour ago, done 2 days late; due 4 days ago, not done: overdue.
    // From one reading of the clock, so "exactly then" stays exact across a second boundary.
    let now = ago(&app, "0 seconds").await;
    let before = |interval: &'static str| {
        let (app, now) = (&app, now.clone());
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT to_char(($1::timestamptz - $2::interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            )
            .bind(now)
            .bind(interval)
            .fetch_one(&app.pool)
            .await
            .unwrap()
        }
    };
    log("pass", before("9 days 1 hour").await).await;
    log("pass", before("8 days 1 hour").await).await;
    log("pass", before("5 days").await).await;
    log("fail", before("1 day").await).await;
    // Unscheduled equipment: activity, not compliance.
    let f = facility.to_string();
    let form = [
        ("facility_id", f.as_str()),
        ("name", "Bench"),
        ("kind", "Bench"),
        ("serial", ""),
        ("location", ""),
        ("risk_level", "low"),
    ];
    let bench: cleantrack::model::ids::EquipmentId =
        app.call(admin, "create_equipment", &form).await.assert_ok().json();
    let b = bench.to_string();
    app.call(staff, "log_cleaning", &[("equipment_id", b.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL])
        .await
        .assert_ok();

    let month = dashboard(&app, admin, "30").await;
    assert_eq!(
        (month.compliance.on_time, month.compliance.due(), month.compliance.percent()),
        (2, 4, Some(50)),
        "{month:?}"
    );
    assert_eq!(month.overdue.len(), 1);
    assert_eq!(month.overdue[0].name, "Hood 1");
    let week = dashboard(&app, &world.a.member(Role::Auditor).client, "7").await;
    // The late one came due 7 days and an hour ago: before this week. Only the open one is in it.
    assert_eq!(
        (week.compliance.on_time, week.compliance.due(), week.compliance.percent()),
        (0, 1, Some(0)),
        "{week:?}"
    );

    assert_eq!(month.days.len(), 30);
    let sum = |f: fn(&cleantrack::model::dashboard::DayCount) -> i64| month.days.iter().map(f).sum::<i64>();
    assert_eq!((sum(|d| d.on_time), sum(|d| d.late), sum(|d| d.failed)), (3, 1, 1), "bench counts as on time");
    assert!(month.days.windows(2).all(|w| w[0].day < w[1].day), "oldest first");

    assert_eq!(month.recent.len(), 5);
    assert_eq!((month.recent[0].equipment.as_str(), month.recent[0].outcome.as_str()), ("Bench", "pass"));
    assert_eq!(month.recent[1].signer, "Staff of Org A");

    app.call(admin, "get_dashboard", &[("days", "0")]).await.assert_status(422);

    // The home page draws it.
    let html = admin.get(app.url("/app")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("50%") && html.contains("<svg") && html.contains("Hood 1"), "{html}");
}

#[sqlx::test]
async fn the_dashboard_of_b_shows_nothing_of_a(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (facility, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let h = hood.to_string();
    app.call(admin, "set_schedule", &[("equipment_id", h.as_str()), ("unit", "hours"), ("every_n", "1")])
        .await
        .assert_ok();
    let at = ago(&app, "3 hours").await;
    let form = [
        ("equipment_id", h.as_str()),
        ("outcome", "pass"),
        ("notes", ""),
        ("performed_at", at.as_str()),
        ("late_entry_reason", "From the paper log"),
        NO_PROTOCOL,
    ];
    app.call(&world.a.member(Role::Staff).client, "log_cleaning", &form).await.assert_ok();
    assert_eq!(dashboard(&app, admin, "30").await.overdue.len(), 1);

    let b = &world.b.member(Role::Owner).client;
    for form in [vec![("days", "30")], vec![("days", "30"), ("facility_id", &facility.to_string())]] {
        let d: Dashboard = app.call(b, "get_dashboard", &form).await.assert_ok().json();
        assert_eq!((d.compliance.due(), d.overdue.len(), d.recent.len()), (0, 0, 0));
        assert!(d.days.iter().all(|d| d.on_time + d.late + d.failed == 0));
    }
}

#[sqlx::test]
async fn the_overview_counts_what_an_organization_has_set_up(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let empty = dashboard(&app, admin, "30").await.setup;
    assert_eq!((empty.facilities, empty.protocols, empty.equipment), (0, 0, 0));
    assert!(empty.people > 1 && !empty.is_complete(), "{empty:?}");
    facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let started = dashboard(&app, admin, "30").await.setup;
    assert_eq!((started.facilities, started.equipment, started.equipment_without_protocol), (1, 1, 1));
    assert!(!started.is_complete(), "the hood has no protocol yet");
    // Organization B's setup is its own.
    assert_eq!(dashboard(&app, &world.b.member(Role::Admin).client, "30").await.setup.facilities, 0);
}
