//! Checklists that measure: readings against the range of the version in force, not applicable
//! with a reason, the disinfectant's lot and expiry, and the timed wet contact.

use cleantrack::model::corrective_actions::ActionList;
use cleantrack::model::ids::{EquipmentId, FacilityId, LogId, ProtocolId};
use cleantrack::model::logs::{CleaningLog, Outcome, StepResult};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

/// Equipment of organization A whose protocol has a tick-box, an ATP reading (≤ 250 RLU) and a
/// remark, plus the protocol form's `extra` fields.
async fn measured(app: &TestApp, world: &World, extra: &[(&str, &str)]) -> (EquipmentId, ProtocolId, FacilityId) {
    let admin = &world.a.member(Role::Admin).client;
    let (facility, equipment) = facility_with_equipment(app, admin, "Lab", "Hood 1", "").await;
    let form = [
        vec![
            ("name", "Hood wipe"),
            ("steps", "Wipe all surfaces\nATP swab [RLU ≤ 250]\nRemarks [text]"),
            ("disinfectant", "Ethanol 70%"),
            ("contact_time_minutes", "5"),
        ],
        extra.to_vec(),
    ]
    .concat();
    let protocol: ProtocolId = app.call(admin, "create_protocol", &form).await.assert_ok().json();
    let (e, p) = (equipment.to_string(), protocol.to_string());
    app.call(admin, "assign_protocol", &[("equipment_id", &e), ("protocol_id", &p)]).await.assert_ok();
    (equipment, protocol, facility)
}

fn answered<'a>(e: &'a str, atp: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("equipment_id", e),
        ("outcome", "pass"),
        ("notes", ""),
        ("done[0]", "on"),
        ("reading[1]", atp),
        ("text[2]", "Hinges checked"),
    ]
}

async fn history(app: &TestApp, client: &reqwest::Client, e: &str) -> Vec<CleaningLog> {
    app.call(client, "list_logs", &[("equipment_id", e)]).await.assert_ok().json()
}

#[sqlx::test]
async fn a_reading_in_range_passes_and_one_out_of_range_fails_the_log_and_opens_a_corrective_action(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (equipment, protocol, facility) = measured(&app, &world, &[]).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;

    let ok: LogId = app.call(staff, "log_cleaning", &answered(&e, "120")).await.assert_ok().json();
    // Chosen "pass", but 310 RLU is above 250: the step and the log fail, no notes needed.
    let high: LogId = app.call(staff, "log_cleaning", &answered(&e, "310")).await.assert_ok().json();
    let logs = history(&app, staff, &e).await;
    let (high_log, ok_log) = (&logs[0], &logs[1]);
    assert_eq!((high_log.id, ok_log.id), (high, ok));
    assert_eq!((ok_log.outcome, high_log.outcome), (Outcome::Pass, Outcome::Fail));
    let atp = |l: &CleaningLog| l.checklist[1].clone();
    assert_eq!(atp(ok_log).result(), StepResult::Pass);
    assert_eq!(atp(high_log).result(), StepResult::Fail);
    let reading = atp(high_log).reading.unwrap();
    assert_eq!((reading.value, reading.unit.as_str(), reading.min, reading.max), (310.0, "RLU", None, Some(250.0)));
    assert_eq!(high_log.checklist[2].text.as_deref(), Some("Hinges checked"));
    assert_eq!(high_log.corrective_action.as_deref(), Some("open"));
    assert_eq!(ok_log.corrective_action, None);

    // The failure opened a corrective action by itself, saying what was out of range.
    let supervisor = &world.a.member(Role::Supervisor).client;
    let list: ActionList = app.call(supervisor, "list_corrective_actions", &[]).await.assert_ok().json();
    assert_eq!(list.items.len(), 1);
    let action = &list.items[0];
    assert_eq!((action.log_id, action.opened_by.as_deref()), (Some(high), None));
    assert!(action.description.contains("ATP swab: 310 RLU, accepted ≤ 250 RLU"), "{}", action.description);

    // Wrong answers are refused, each with what to do.
    for (form, message) in [
        (
            vec![("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), ("done[0]", "on"), ("text[2]", "x")],
            "Tick every step",
        ),
        ([answered(&e, "lots")].concat(), "“lots” is not a number"),
        ([answered(&e, ""), vec![("na[1]", "on")]].concat(), "say why it does not apply"),
        ([answered(&e, "100"), vec![("na[1]", "on"), ("na_reason[1]", "No swabs")]].concat(), "answered too"),
    ] {
        let call = app.call(staff, "log_cleaning", &form).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{message}: {}", call.body);
    }
    // Not applicable with a reason is an answer: the log passes.
    let na = [answered(&e, ""), vec![("na[1]", "on"), ("na_reason[1]", "Swab kit out of stock")]].concat();
    app.call(staff, "log_cleaning", &na).await.assert_ok();
    let latest = &history(&app, staff, &e).await[0];
    assert_eq!(latest.outcome, Outcome::Pass);
    assert_eq!(
        (latest.checklist[1].result(), latest.checklist[1].na_reason.as_deref()),
        (StepResult::Na, Some("Swab kit out of stock"))
    );

    // A revised range is a new version; logs keep the range they were signed against.
    let admin = &world.a.member(Role::Admin).client;
    let revised = [
        ("id", protocol.to_string()),
        ("name", "Hood wipe".into()),
        ("steps", "Wipe all surfaces\nATP swab [RLU ≤ 100]\nRemarks [text]".into()),
        ("disinfectant", "Ethanol 70%".into()),
        ("contact_time_minutes", "5".into()),
    ];
    app.call_owned(admin, "revise_protocol", &revised).await.assert_ok();
    app.call(staff, "log_cleaning", &answered(&e, "120")).await.assert_ok();
    let logs = history(&app, staff, &e).await;
    assert_eq!((logs[0].outcome, logs[0].protocol.as_deref()), (Outcome::Fail, Some("Hood wipe v2")));
    assert_eq!(atp(&logs[0]).reading.unwrap().max, Some(100.0));
    let first = logs.iter().find(|l| l.id == ok).unwrap();
    assert_eq!((first.outcome, atp(first).reading.unwrap().max), (Outcome::Pass, Some(250.0)));

    // The reports print what was measured: the CSV's `steps` column, the PDF's log entries.
    let auditor = &world.a.member(Role::Auditor).client;
    let csv = auditor.get(app.url("/reports/logs.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("ATP swab: 310 RLU (accepted ≤ 250 RLU) ✗"), "{csv}");
    assert!(csv.contains("ATP swab N/A: Swab kit out of stock"), "{csv}");
    let (_, pdf) = crate::reports::export(&app, auditor, "report_pdf", facility).await;
    let text = crate::reports::pdf_text(&pdf);
    assert!(text.contains("ATP swab: 310 RLU (accepted <= 250 RLU) (FAIL)"), "{text}");

    // A step line the server cannot read is refused with the line.
    let bad = [("name", "Broken"), ("steps", "ATP [RLU about 5]"), ("disinfectant", ""), ("contact_time_minutes", "0")];
    let call = app.call(admin, "create_protocol", &bad).await;
    call.assert_status(422);
    assert!(call.body.contains("ATP [RLU about 5]"), "{}", call.body);
}

#[sqlx::test]
async fn an_expired_lot_is_refused_and_an_in_date_lot_is_sealed_with_the_log(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _, _) = measured(&app, &world, &[("product_lot_required", "on")]).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;
    let su = superuser_pool(&db).await;
    let (yesterday, next_year): (String, String) =
        sqlx::query_as("SELECT (current_date - 1)::text, (current_date + 365)::text").fetch_one(&su).await.unwrap();

    for (extra, message) in [
        (vec![], "lot number and expiry date"),
        (vec![("product_lot", "L2291")], "expiry date with the lot"),
        (vec![("product_lot", "L2291"), ("product_expiry", "31/12/2027")], "not a date"),
        (vec![("product_lot", "L2291"), ("product_expiry", yesterday.as_str())], "expired on"),
    ] {
        let call = app.call(staff, "log_cleaning", &[answered(&e, "50"), extra].concat()).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{message}: {}", call.body);
    }
    let log: LogId = app
        .call(
            staff,
            "log_cleaning",
            &[answered(&e, "50"), vec![("product_lot", "L2291"), ("product_expiry", &next_year)]].concat(),
        )
        .await
        .assert_ok()
        .json();
    let entry = &history(&app, staff, &e).await[0];
    assert_eq!(
        (entry.product_lot.as_deref(), entry.product_expiry.as_deref()),
        (Some("L2291"), Some(next_year.as_str()))
    );

    // The lot is part of what was signed: changed afterwards, the audit check names the log.
    crate::audit::tamper(&su, &format!("UPDATE cleaning_logs SET product_lot = 'L0000' WHERE id = '{log}'")).await;
    let auditor = &world.a.member(Role::Auditor).client;
    let check: cleantrack::model::audit::ChainCheck =
        app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(
        matches!(&check, cleantrack::model::audit::ChainCheck::RecordAltered { record, .. } if record == &format!("cleaning log {log}")),
        "{check:?}"
    );
}

#[sqlx::test]
async fn signing_before_the_contact_time_has_elapsed_is_refused_and_the_elapsed_time_is_stored(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _, _) = measured(&app, &world, &[("contact_timed", "on")]).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;
    // Times of day in the facility's zone (UTC in these tests), as the phone's timer writes them.
    let ago = async |minutes: i32| -> String {
        sqlx::query_scalar("SELECT to_char(now() - make_interval(mins => $1), 'HH24:MI:SS')")
            .bind(minutes)
            .fetch_one(&superuser_pool(&db).await)
            .await
            .unwrap()
    };

    let call = app.call(staff, "log_cleaning", &answered(&e, "50")).await;
    call.assert_status(422);
    assert!(call.body.contains("Start the contact timer"), "{}", call.body);
    let two = ago(2).await;
    let call =
        app.call(staff, "log_cleaning", &[answered(&e, "50"), vec![("applied_at", two.as_str())]].concat()).await;
    call.assert_status(422);
    assert!(call.body.contains("needs 5 minutes of wet contact; 2:0"), "{}", call.body);
    let call = app.call(staff, "log_cleaning", &[answered(&e, "50"), vec![("applied_at", "25:61")]].concat()).await;
    call.assert_status(422);

    let six = ago(6).await;
    app.call(staff, "log_cleaning", &[answered(&e, "50"), vec![("applied_at", six.as_str())]].concat())
        .await
        .assert_ok();
    let entry = &history(&app, staff, &e).await[0];
    let seconds = entry.contact_seconds.expect("the elapsed time is stored");
    assert!((360..=370).contains(&seconds), "{seconds}");

    // A failed cleaning is recorded without the timer: the failure is what matters then.
    let failed = [("equipment_id", e.as_str()), ("outcome", "fail"), ("notes", "Spill kit empty")];
    app.call(staff, "log_cleaning", &failed).await.assert_ok();

    // A timer needs a time to count.
    let admin = &world.a.member(Role::Admin).client;
    let untimed = [
        ("name", "No time"),
        ("steps", "Wipe"),
        ("disinfectant", ""),
        ("contact_time_minutes", "0"),
        ("contact_timed", "on"),
    ];
    app.call(admin, "create_protocol", &untimed).await.assert_status(422);
}
