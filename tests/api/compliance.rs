//! One definition of compliance: the overview, the compliance CSV (per equipment and total),
//! the PDF report and each log's `counted_as` in the logs CSV state the same figures for the
//! same history of on-time, late, late-entered, failed, corrected, unverified and
//! awaiting-verification cleanings.

use cleantrack::model::compliance::Compliance;
use cleantrack::model::dashboard::Dashboard;
use cleantrack::model::ids::{EquipmentId, FacilityId, LogId};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::reports::{export, pdf_words};
use crate::schedules::ago;
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

/// Every 24 hours since `hours` ago.
async fn schedule(app: &TestApp, admin: &reqwest::Client, db: &PgConnectOptions, equipment: EquipmentId, hours: i32) {
    crate::world::scheduled_since(app, admin, db, equipment, ("hours", "24"), &format!("{hours} hours")).await;
}

/// A cleaning recorded at the time, `hours` ago.
async fn recorded(app: &TestApp, db: &PgConnectOptions, equipment: EquipmentId, outcome: &str, hours: i32) -> LogId {
    crate::world::recorded(db, equipment, outcome, &ago(app, &format!("{hours} hours")).await).await
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
            assert_eq!(n(6), n(7) + n(8) + n(9) + n(10) + n(11), "came_due is the sum: {r:?}");
            let c = Compliance { on_time: n(7), late_entry: n(8), late: n(9), pending: n(10), not_done: n(11) };
            (r[1].to_owned(), c, r[12].to_owned())
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
    let on_time = recorded(&app, &db, hood, "pass", 100).await; // t0+20h, due t0+24h
    let late = recorded(&app, &db, hood, "pass", 70).await; // t0+50h, due t0+44h
    let failed = recorded(&app, &db, hood, "fail", 60).await; // does not count
    let corrected = recorded(&app, &db, hood, "pass", 54).await; // t0+66h, due t0+74h ...
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
                NO_PROTOCOL,
            ],
        )
        .await
        .assert_ok()
        .json(); // ... the correction counts instead, on time (a correction is not a late entry).
                 // Performed at t0+88h (32 hours ago), by its due time t0+90h, but recorded only now.
    let (h, at) = (hood.to_string(), ago(&app, "32 hours").await);
    let late_entry: LogId = app
        .call(
            staff,
            "log_cleaning",
            &[
                ("equipment_id", h.as_str()),
                ("outcome", "pass"),
                ("notes", ""),
                ("performed_at", at.as_str()),
                ("late_entry_reason", "No signal in the basement"),
                NO_PROTOCOL,
            ],
        )
        .await
        .assert_ok()
        .json(); // next due t0+112h = 8 hours ago: not done.
    app.call(&world.a.member(Role::Supervisor).client, "verify_log", &[("log_id", &on_time.to_string())])
        .await
        .assert_ok();
    // The oven, since 48 hours ago, under a protocol that requires verification: cleaned 30
    // hours ago (awaiting verification), not done since 6 hours ago.
    let protocol: cleantrack::model::ids::ProtocolId = app
        .call(
            admin,
            "create_protocol",
            &[
                ("name", "Oven degrease"),
                ("steps", "Degrease"),
                ("disinfectant", "Quat"),
                ("contact_time_minutes", "5"),
                ("verification_required", "on"),
            ],
        )
        .await
        .assert_ok()
        .json();
    app.call(admin, "assign_protocol", &[("equipment_id", &oven.to_string()), ("protocol_id", &protocol.to_string())])
        .await
        .assert_ok();
    schedule(&app, admin, &db, oven, 48).await;
    let awaiting = recorded(&app, &db, oven, "pass", 30).await;

    let lab_figures = Compliance { on_time: 2, late_entry: 1, late: 1, pending: 0, not_done: 1 };
    let all_figures = Compliance { on_time: 2, late_entry: 1, late: 1, pending: 1, not_done: 2 };

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
    assert_eq!(overview(Some(kitchen)).await, Compliance { pending: 1, not_done: 1, ..Default::default() });

    // The compliance CSV: per piece and the total.
    let lab_csv = compliance_csv(&app, auditor, &format!("facility={lab}")).await;
    assert_eq!(lab_csv, [("Hood 1".into(), lab_figures, "40".into()), ("Total".into(), lab_figures, "40".into())]);
    let all_csv = compliance_csv(&app, auditor, "").await;
    assert_eq!(all_csv.last().unwrap(), &("Total".to_owned(), all_figures, "29".to_owned()));
    assert_eq!(all_csv.len(), 3, "hood, oven, total: {all_csv:?}");
    // Dates before any of it: nothing came due.
    let old = compliance_csv(&app, auditor, "from=2001-01-01&to=2001-12-31").await;
    assert_eq!(old.last().unwrap(), &("Total".to_owned(), Compliance::default(), String::new()));

    // Each log says how it counted, in the logs CSV.
    let body = auditor.get(app.url(&format!("/reports/logs.csv?facility={lab}"))).send().await.unwrap();
    let body = body.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: std::collections::HashMap<String, csv::StringRecord> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[0].to_owned(), r)).collect();
    let counted: std::collections::HashMap<String, String> =
        rows.iter().map(|(id, r)| (id.clone(), r[24].to_owned())).collect();
    for (log, expected) in [
        (on_time, "on_time"),
        (late, "late"),
        (failed, "failed"),
        (corrected, "corrected"),
        (correction, "on_time"),
        (late_entry, "late_entry"),
    ] {
        assert_eq!(counted[&log.to_string()], expected, "{log}");
    }
    let entered_late = &rows[&late_entry.to_string()];
    assert_eq!((&entered_late[26], &entered_late[27], &entered_late[28]), ("yes", "No signal in the basement", "no"));
    assert_eq!(&rows[&on_time.to_string()][26], "no");

    // The PDF report of the lab, and the binder's compliance CSV.
    let (_, pdf) = export(&app, auditor, "report_pdf", lab).await;
    let text = pdf_words(&pdf);
    assert!(text.contains("Compliance in the period") && text.contains(&lab_figures.sentence()), "{text}");
    assert!(
        text.contains(
            "2 of 5 scheduled cleanings on time (40%): 1 entered late, 1 late, 0 awaiting verification, 1 not done."
        ),
        "{text}"
    );
    assert!(text.contains("How compliance is counted"), "the definition in words: {text}");

    // The overview page states it with the definition.
    let html = auditor.get(app.url("/app")).header("accept", "text/html").send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains(&all_figures.sentence()) && html.contains("How compliance is counted"), "{html}");

    // Verified, the oven's cleaning is done on time.
    app.call(&world.a.member(Role::Supervisor).client, "verify_log", &[("log_id", &awaiting.to_string())])
        .await
        .assert_ok();
    assert_eq!(overview(Some(kitchen)).await, Compliance { on_time: 1, not_done: 1, ..Default::default() });
}

#[sqlx::test]
async fn another_organization_sees_none_of_its_compliance(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    schedule(&app, admin, &db, hood, 48).await;
    recorded(&app, &db, hood, "pass", 30).await;

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
