//! One definition of compliance: the overview, the compliance CSV (per equipment and total),
//! the PDF report and each log's `counted_as` in the logs CSV state the same figures for the
//! same history of on-time, late, failed, corrected and unverified cleanings.

use cleantrack::model::assets::Dashboard;
use cleantrack::model::compliance::Compliance;
use cleantrack::model::ids::{EquipmentId, FacilityId, LogId};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::reports::{export, pdf_text};
use crate::schedules::ago;
use crate::world::{facility_with_equipment, World};

/// Every 24 hours since `hours` ago.
async fn schedule(app: &TestApp, admin: &reqwest::Client, db: &PgConnectOptions, equipment: EquipmentId, hours: i32) {
    let e = equipment.to_string();
    app.call(admin, "set_schedule", &[("equipment_id", e.as_str()), ("unit", "hours"), ("every_n", "24")])
        .await
        .assert_ok();
    sqlx::query("UPDATE schedules SET starts_at = now() - make_interval(hours => $2) WHERE equipment_id = $1")
        .bind(equipment)
        .bind(hours)
        .execute(&superuser_pool(db).await)
        .await
        .unwrap();
}

async fn log(app: &TestApp, staff: &reqwest::Client, equipment: EquipmentId, outcome: &str, hours_ago: i32) -> LogId {
    let (e, at) = (equipment.to_string(), ago(app, &format!("{hours_ago} hours")).await);
    let form = [
        ("equipment_id", e.as_str()),
        ("outcome", outcome),
        ("notes", "noted"),
        ("performed_at", at.as_str()),
        ("no_protocol_reason", "Bench equipment without a written protocol"),
    ];
    app.call(staff, "log_cleaning", &form).await.assert_ok().json()
}

/// The compliance CSV: its rows by equipment name (the total as "Total").
async fn compliance_csv(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<(String, Compliance, String)> {
    let response = client.get(app.url(&format!("/reports/compliance.csv?{query}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        cleantrack::server::reports::csv_export::COMPLIANCE_COLUMNS
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let n = |i: usize| r[i].parse::<i64>().unwrap();
            assert_eq!(n(6), n(7) + n(8) + n(9), "came_due is the sum: {r:?}");
            (r[1].to_owned(), Compliance { on_time: n(7), late: n(8), not_done: n(9) }, r[10].to_owned())
        })
        .collect()
}

#[sqlx::test]
async fn the_overview_the_csv_and_the_pdf_state_the_same_figures(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let auditor = &world.a.member(Role::Auditor).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let (kitchen, oven) = facility_with_equipment(&app, admin, "Kitchen", "Oven", "").await;

    // The hood, every 24 hours since 120 hours ago (t0):
    schedule(&app, admin, &db, hood, 120).await;
    let on_time = log(&app, staff, hood, "pass", 100).await; // t0+20h, due t0+24h
    let late = log(&app, staff, hood, "pass", 70).await; // t0+50h, due t0+44h
    let failed = log(&app, staff, hood, "fail", 60).await; // does not count
    let corrected = log(&app, staff, hood, "pass", 54).await; // t0+66h, due t0+74h ...
    let e = corrected.to_string();
    let correction: LogId = app
        .call(
            staff,
            "amend_log",
            &[
                ("log_id", e.as_str()),
                ("reason", "Disinfectant lot left out"),
                ("outcome", "pass"),
                ("notes", "Lot L2291"),
                ("no_protocol_reason", "Bench equipment without a written protocol"),
            ],
        )
        .await
        .assert_ok()
        .json(); // ... the correction counts instead, on time; next due t0+90h = 30 hours ago: not done.
    app.call(&world.a.member(Role::Supervisor).client, "verify_log", &[("log_id", &on_time.to_string())])
        .await
        .assert_ok();
    // The oven, since 48 hours ago: on time 30 hours ago, not done since 6 hours ago.
    schedule(&app, admin, &db, oven, 48).await;
    log(&app, staff, oven, "pass", 30).await;

    let lab_figures = Compliance { on_time: 2, late: 1, not_done: 1 };
    let all_figures = Compliance { on_time: 3, late: 1, not_done: 2 };

    // The overview, of one facility and of all.
    let overview = |facility: Option<FacilityId>| {
        let (app, auditor) = (&app, auditor);
        async move {
            let f = facility.map(|f| f.to_string()).unwrap_or_default();
            let form = [("days", "30"), ("facility_id", f.as_str())];
            let form = if facility.is_some() { &form[..] } else { &form[..1] };
            app.call(auditor, "get_dashboard", form).await.assert_ok().json::<Dashboard>().compliance
        }
    };
    assert_eq!(overview(Some(lab)).await, lab_figures);
    assert_eq!(overview(None).await, all_figures);
    assert_eq!(overview(Some(kitchen)).await, Compliance { on_time: 1, late: 0, not_done: 1 });

    // The compliance CSV: per piece and the total.
    let lab_csv = compliance_csv(&app, auditor, &format!("facility={lab}")).await;
    assert_eq!(lab_csv, [("Hood 1".into(), lab_figures, "50".into()), ("Total".into(), lab_figures, "50".into())]);
    let all_csv = compliance_csv(&app, auditor, "").await;
    assert_eq!(all_csv.last().unwrap(), &("Total".to_owned(), all_figures, "50".to_owned()));
    assert_eq!(all_csv.len(), 3, "hood, oven, total: {all_csv:?}");
    // Dates before any of it: nothing came due.
    let old = compliance_csv(&app, auditor, "from=2001-01-01&to=2001-12-31").await;
    assert_eq!(old.last().unwrap(), &("Total".to_owned(), Compliance::default(), String::new()));

    // Each log says how it counted, in the logs CSV.
    let body = auditor.get(app.url(&format!("/reports/logs.csv?facility={lab}"))).send().await.unwrap();
    let body = body.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let counted: std::collections::HashMap<String, String> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[0].to_owned(), r[24].to_owned())).collect();
    for (log, expected) in
        [(on_time, "on_time"), (late, "late"), (failed, "failed"), (corrected, "corrected"), (correction, "on_time")]
    {
        assert_eq!(counted[&log.to_string()], expected, "{log}");
    }

    // The PDF report of the lab, and the binder's compliance CSV.
    let (_, pdf) = export(&app, auditor, "report_pdf", lab).await;
    let text = pdf_text(&pdf);
    assert!(text.contains("Compliance in the period") && text.contains(&lab_figures.sentence()), "{text}");
    assert!(text.contains("2 of 4 scheduled cleanings on time (50%): 1 late, 1 not done."), "{text}");
    assert!(text.contains("How compliance is counted"), "the definition in words: {text}");

    // The overview page states it with the definition.
    let html = auditor.get(app.url(&format!("/app"))).header("accept", "text/html").send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains(&all_figures.sentence()) && html.contains("How compliance is counted"), "{html}");
}

#[sqlx::test]
async fn another_organization_sees_none_of_its_compliance(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    schedule(&app, admin, &db, hood, 48).await;
    log(&app, &world.a.member(Role::Staff).client, hood, "pass", 30).await;

    let b = &world.b.member(Role::Owner).client;
    let rows = compliance_csv(&app, b, "").await;
    assert_eq!(rows, [("Total".to_owned(), Compliance::default(), String::new())]);
    // A's facility or equipment named in B's request: not found, as any unknown id.
    for query in [format!("facility={lab}"), format!("equipment={hood}")] {
        let response = b.get(app.url(&format!("/reports/compliance.csv?{query}"))).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status == 404 || (status == 200 && !text.contains("Hood")), "{query}: {status} {text}");
    }
    // Staff do not export reports.
    let staff = &world.a.member(Role::Staff).client;
    assert_eq!(staff.get(app.url("/reports/compliance.csv")).send().await.unwrap().status(), 403);
}
