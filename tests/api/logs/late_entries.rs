//! Contemporaneous records: the server's receipt time is the record time; a cleaning entered
//! longer after it was performed than the organization allows is a late entry, with a reason,
//! marked wherever the log appears and counted apart from cleaning recorded on time.

use cleantrack::model::ids::LogId;
use cleantrack::model::role::Role;
use cleantrack::model::{dashboard::Dashboard, logs::CleaningLog};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool};
use crate::reports::{export, pdf_words};
use crate::schedules::ago;
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

#[sqlx::test]
async fn a_backdated_cleaning_needs_a_reason_is_marked_late_and_does_not_count_as_on_time(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let h = hood.to_string();
    crate::world::scheduled_since(&app, admin, &db, hood, ("days", "14"), "10 days").await;
    let nine_days_ago = ago(&app, "9 days").await;
    let form = |extra: Vec<(&'static str, String)>| {
        let mut form = vec![
            ("equipment_id", h.clone()),
            ("outcome", "pass".to_owned()),
            ("notes", String::new()),
            (NO_PROTOCOL.0, NO_PROTOCOL.1.to_owned()),
        ];
        form.extend(extra);
        form
    };
    let call = |form: Vec<(&'static str, String)>| {
        let app = &app;
        async move { app.call_owned(staff, "log_cleaning", &form).await }
    };

    // Nine days ago, without a reason: refused, saying why.
    let refused = call(form(vec![("performed_at", nine_days_ago.clone())])).await;
    refused.assert_status(422);
    assert!(refused.body.contains("more than 30 minutes ago"), "{}", refused.body);
    // In the future (device time or typed local time): refused.
    for future in [("performed_at", "2999-01-01T00:00:00Z"), ("performed_local", "2999-01-01T08:00")] {
        let refused = call(form(vec![(future.0, future.1.to_owned())])).await;
        refused.assert_status(422);
        assert!(refused.body.contains("in the future"), "{}", refused.body);
    }
    // Not a time: refused by name.
    call(form(vec![("performed_local", "tuesday".to_owned())])).await.assert_status(422);

    // With a reason: recorded, marked.
    let late: LogId = call(form(vec![
        ("performed_at", nine_days_ago.clone()),
        ("late_entry_reason", "Paper log from the night shift".to_owned()),
    ]))
    .await
    .assert_ok()
    .json();
    // Within the window (ten minutes ago), no reason is asked and nothing is marked; a typed
    // local time (the facility is in UTC) works as the device time does.
    let recent_local: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '10 minutes', 'YYYY-MM-DD\"T\"HH24:MI')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let on_time: LogId = call(form(vec![("performed_local", recent_local)])).await.assert_ok().json();

    let history: Vec<CleaningLog> =
        app.call(staff, "list_logs", &[("equipment_id", h.as_str())]).await.assert_ok().json();
    let entry = |id: LogId| history.iter().find(|l| l.id == id).expect("in the history").clone();
    let marked = entry(late);
    assert!(marked.late_entry && !marked.entered_offline);
    assert_eq!(marked.late_entry_reason.as_deref(), Some("Paper log from the night shift"));
    assert_ne!(marked.performed_at, marked.received_at, "both times are kept and shown");
    assert!(!entry(on_time).late_entry && entry(on_time).late_entry_reason.is_none());

    // The CSV marks it; the PDF says so with the reason.
    let auditor = &world.a.member(Role::Auditor).client;
    let csv = auditor.get(app.url("/reports/logs.csv")).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row = rows.iter().find(|r| &r[0] == late.to_string().as_str()).unwrap();
    assert_eq!((&row[24], &row[26], &row[27]), ("late_entry", "yes", "Paper log from the night shift"));
    let row = rows.iter().find(|r| &r[0] == on_time.to_string().as_str()).unwrap();
    assert_eq!(&row[26], "no");
    let (_, pdf) = export(&app, auditor, "report_pdf", lab).await;
    let text = pdf_words(&pdf);
    assert!(
        text.contains("LATE ENTRY: performed") && text.contains("Reason: Paper log from the night shift"),
        "{text}"
    );

    // The late entry answered the first due time (performed by it), but was not recorded then:
    // entered late, not on time. The cleaning ten minutes ago answered the next (early): on time.
    let overview: Dashboard = app.call(auditor, "get_dashboard", &[("days", "30")]).await.assert_ok().json();
    assert_eq!((overview.compliance.on_time, overview.compliance.late_entry), (1, 1), "{:?}", overview.compliance);
    assert_eq!(overview.compliance.percent(), Some(50), "a late entry does not raise the on-time rate");

    // The database itself marks and refuses: a direct insert nine days back without a reason.
    let refused = sqlx::query(
        "INSERT INTO cleaning_logs (id, org_id, equipment_id, performed_by, signer_name, performed_at, outcome, no_protocol_reason) \
         SELECT gen_random_uuid(), org_id, id, (SELECT id FROM users LIMIT 1), 'x', now() - interval '9 days', 'pass', 'x' \
         FROM equipment WHERE id = $1",
    )
    .bind(hood)
    .execute(&superuser_pool(&db).await)
    .await;
    assert!(refused.unwrap_err().to_string().contains("cleaning_logs_late_entry_explained"));
}

#[sqlx::test]
async fn the_late_entry_window_is_the_organizations_and_admins_set_it(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let settings = [("public_status", ""), ("retention_years", "6")];
    for bad in ["4", "1441", "soon"] {
        let form = [&settings[..1], &[("late_entry_minutes", bad)]].concat();
        let call = app.call(admin, "update_settings", &form).await;
        assert!(call.status.is_client_error(), "{bad}: {} {}", call.status, call.body);
    }
    app.call(staff, "update_settings", &[("late_entry_minutes", "240")]).await.assert_status(403);
    app.call(admin, "update_settings", &[("late_entry_minutes", "240")]).await.assert_ok();
    // Two hours back is now within the window: no reason needed.
    let (h, at) = (hood.to_string(), ago(&app, "2 hours").await);
    let form =
        [("equipment_id", h.as_str()), ("outcome", "pass"), ("notes", ""), ("performed_at", at.as_str()), NO_PROTOCOL];
    app.call(staff, "log_cleaning", &form).await.assert_ok();
    // Organization B's window is its own.
    let b = &world.b.member(Role::Admin).client;
    let theirs: cleantrack::model::accounts::OrgSettings = app.call(b, "get_settings", &[]).await.assert_ok().json();
    assert_eq!(theirs.late_entry_minutes, 30);
}
