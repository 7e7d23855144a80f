//! Cleaning logs: signed records the database keeps unchanged, verification by someone else,
//! amendments that keep the original, the protocol version followed, and isolation.

mod late_entries;
mod offline;
mod readings;
mod reviews;
mod signatures;

use cleantrack::model::ids::{EquipmentId, LogId, ProtocolId};
use cleantrack::model::logs::CleaningLog;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

/// Equipment of organization A with a two-step protocol.
async fn setup(app: &TestApp, world: &World) -> (EquipmentId, ProtocolId) {
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(app, admin, "Lab", "Hood 1", "").await;
    let protocol: ProtocolId = app
        .call(
            admin,
            "create_protocol",
            &[
                ("name", "Hood wipe"),
                ("steps", "Empty\nWipe"),
                ("disinfectant", "Ethanol"),
                ("contact_time_minutes", "5"),
            ],
        )
        .await
        .assert_ok()
        .json();
    app.call(
        admin,
        "assign_protocol",
        &[("equipment_id", &equipment.to_string()), ("protocol_id", &protocol.to_string())],
    )
    .await
    .assert_ok();
    (equipment, protocol)
}

fn pass(equipment: &str) -> Vec<(&str, &str)> {
    vec![("equipment_id", equipment), ("outcome", "pass"), ("notes", ""), ("done[0]", "on"), ("done[1]", "on")]
}

#[sqlx::test]
async fn a_signed_log_records_who_when_and_which_protocol_version_and_never_changes(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let staff = world.a.member(Role::Staff);

    for (form, message) in [
        (vec![("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), ("done[0]", "on")], "Tick every step"),
        (vec![("equipment_id", e.as_str()), ("outcome", "fail"), ("notes", "")], "what went wrong"),
        (vec![("equipment_id", e.as_str()), ("outcome", "maybe"), ("notes", "")], "pass or fail"),
        ([pass(&e), vec![("performed_at", "2999-01-01T00:00:00Z")]].concat(), "in the future"),
        ([pass(&e), vec![("performed_at", "yesterday-ish")]].concat(), "not a date"),
    ] {
        let call = app.call(&staff.client, "log_cleaning", &form).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{message}: {}", call.body);
    }
    let at = "2026-11-25T08:30:00Z";
    let log: LogId = app
        .call(
            &staff.client,
            "log_cleaning",
            &[pass(&e), vec![("performed_at", at), ("late_entry_reason", "From the paper log")]].concat(),
        )
        .await
        .assert_ok()
        .json();
    let history: Vec<CleaningLog> =
        app.call(&staff.client, "list_logs", &[("equipment_id", &e)]).await.assert_ok().json();
    assert_eq!(history.len(), 1);
    let entry = &history[0];
    assert_eq!(entry.id, log);
    // Shown in the facility's time zone (UTC here), to the minute, as every time people read.
    assert_eq!((entry.performed_by.as_str(), entry.performed_at.as_str()), ("Staff of Org A", "2026-11-25 08:30"));
    assert_eq!(entry.protocol.as_deref(), Some("Hood wipe v1"));
    let steps: Vec<(&str, bool)> = entry.checklist.iter().map(|c| (c.step.as_str(), c.done)).collect();
    assert_eq!(steps, [("Empty", true), ("Wipe", true)]);

    // Auditors read but do not log.
    app.call(&world.a.member(Role::Auditor).client, "log_cleaning", &pass(&e)).await.assert_status(403);

    // Immutable for everyone, superuser included (short of disabling triggers).
    let inspector = superuser_pool(&db).await;
    for sql in ["UPDATE cleaning_logs SET outcome = 'fail'", "DELETE FROM cleaning_logs"] {
        let err = sqlx::query(sql).execute(&inspector).await.unwrap_err();
        assert!(err.to_string().contains("never changed or deleted"), "{sql}: {err}");
    }
}

#[sqlx::test]
async fn the_same_submission_key_twice_gives_one_log_with_the_same_id(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;
    let key = uuid::Uuid::new_v4().to_string();
    let form = [pass(&e), vec![("submission_key", key.as_str())]].concat();

    // A second tap while the first is on its way, and a resend after it landed.
    let (first, second) = tokio::join!(app.call(staff, "log_cleaning", &form), app.call(staff, "log_cleaning", &form));
    let again = app.call(staff, "log_cleaning", &form).await;
    let ids: Vec<LogId> = [first, second, again].iter().map(|c| c.assert_ok().json()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let history: Vec<CleaningLog> = app.call(staff, "list_logs", &[("equipment_id", &e)]).await.json();
    assert_eq!(history.len(), 1, "one signing in the record");

    // A new key is a new cleaning; a key is its signer's own.
    let other = uuid::Uuid::new_v4().to_string();
    let next: LogId =
        app.call(staff, "log_cleaning", &[pass(&e), vec![("submission_key", other.as_str())]].concat()).await.json();
    assert_ne!(next, ids[0]);
    let supervisor = &world.a.member(Role::Supervisor).client;
    app.call(supervisor, "log_cleaning", &form).await.assert_status(409);
    let inspector = superuser_pool(&db).await;
    let logs: i64 = sqlx::query_scalar("SELECT count(*) FROM cleaning_logs").fetch_one(&inspector).await.unwrap();
    assert_eq!(logs, 2);
}

#[sqlx::test]
async fn a_supervisor_verifies_someone_elses_log_once_and_never_their_own(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let supervisor = &world.a.member(Role::Supervisor).client;

    let by_staff: LogId =
        app.call(&world.a.member(Role::Staff).client, "log_cleaning", &pass(&e)).await.assert_ok().json();
    let by_supervisor: LogId = app.call(supervisor, "log_cleaning", &pass(&e)).await.assert_ok().json();

    app.call(&world.a.member(Role::Staff).client, "verify_log", &[("log_id", &by_supervisor.to_string())])
        .await
        .assert_status(403);
    let own = app.call(supervisor, "verify_log", &[("log_id", &by_supervisor.to_string())]).await;
    own.assert_status(403);
    assert!(own.body.contains("you performed"), "{}", own.body);
    app.call(supervisor, "verify_log", &[("log_id", &by_staff.to_string())]).await.assert_ok();
    app.call(&world.a.member(Role::Admin).client, "verify_log", &[("log_id", &by_staff.to_string())])
        .await
        .assert_status(409);

    let history: Vec<CleaningLog> = app.call(supervisor, "list_logs", &[("equipment_id", &e)]).await.json();
    let verified = history.iter().find(|l| l.id == by_staff).unwrap().verified.clone().unwrap();
    assert_eq!((verified.name.as_str(), verified.meaning.as_str()), ("Supervisor of Org A", "verified"));

    // The database refuses a self-verification written by any path.
    let inspector = superuser_pool(&db).await;
    let err = sqlx::query(
        "INSERT INTO verifications (org_id, log_id, verified_by, signer_name) SELECT org_id, id, performed_by, 'x' FROM cleaning_logs WHERE id = $1",
    )
    .bind(by_supervisor)
    .execute(&inspector)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot be verified by the person who performed it"), "{err}");
}

#[sqlx::test]
async fn an_amendment_is_a_new_log_that_names_the_original_and_why(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;
    let original: LogId = app.call(staff, "log_cleaning", &pass(&e)).await.assert_ok().json();
    let o = original.to_string();

    let no_reason = app
        .call(staff, "amend_log", &[("log_id", o.as_str()), ("reason", " "), ("outcome", "fail"), ("notes", "Residue")])
        .await;
    no_reason.assert_status(422);
    let amendment: LogId = app
        .call(
            staff,
            "amend_log",
            &[
                ("log_id", o.as_str()),
                ("reason", "Residue found afterwards"),
                ("outcome", "fail"),
                ("notes", "Residue on the sash"),
            ],
        )
        .await
        .assert_ok()
        .json();
    let history: Vec<CleaningLog> = app.call(staff, "list_logs", &[("equipment_id", &e)]).await.json();
    assert_eq!(history.len(), 2, "both stay");
    let (new, old) = (&history[0], &history[1]);
    assert_eq!(
        (new.id, new.amends, new.amendment_reason.as_deref()),
        (amendment, Some(original), Some("Residue found afterwards"))
    );
    assert_eq!((old.outcome.as_str(), old.amended_by.clone()), ("pass", vec![amendment]));
    assert_eq!(new.performed_at, old.performed_at, "a correction is of the cleaning as it happened");
}

#[sqlx::test]
async fn logs_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let a_log: LogId =
        app.call(&world.a.member(Role::Staff).client, "log_cleaning", &pass(&e)).await.assert_ok().json();
    let l = a_log.to_string();
    for role in Role::ALL {
        let b = &world.b.member(role).client;
        let log = app.call(b, "log_cleaning", &pass(&e)).await;
        let amend = app
            .call(b, "amend_log", &[("log_id", l.as_str()), ("reason", "mine"), ("outcome", "fail"), ("notes", "x")])
            .await;
        let verify = app.call(b, "verify_log", &[("log_id", &l)]).await;
        let allowed = |action| if role.can(action) { 404 } else { 403 };
        log.assert_status(allowed(cleantrack::model::role::Action::LogCleaning));
        amend.assert_status(allowed(cleantrack::model::role::Action::LogCleaning));
        verify.assert_status(allowed(cleantrack::model::role::Action::VerifyLogs));
        let history: Vec<CleaningLog> = app.call(b, "list_logs", &[("equipment_id", &e)]).await.assert_ok().json();
        assert!(history.is_empty());
    }
    let history: Vec<CleaningLog> =
        app.call(&world.a.member(Role::Staff).client, "list_logs", &[("equipment_id", &e)]).await.json();
    assert_eq!((history.len(), history[0].verified.is_none()), (1, true), "nothing of A changed");
}

#[sqlx::test]
async fn a_form_posted_without_javascript_comes_back_to_its_page_with_its_outcome(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, _) = setup(&app, &world).await;
    let e = equipment.to_string();
    let staff = &world.a.member(Role::Staff).client;
    let page = app.url("/q/some-sticker?tab=1&done=%2Fapi%2Fold");
    let endpoint = app.url("/api/log_cleaning");
    let post = |form: Vec<(&'static str, String)>, page: String| {
        let endpoint = endpoint.clone();
        async move {
            let response = staff
                .post(endpoint)
                .header("accept", "text/html")
                .header("referer", page)
                .form(&form)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()))
        }
    };
    // A refusal comes back on the form, in Leptos' own encoding of a server function's error.
    let unticked = vec![("equipment_id", e.clone()), ("outcome", "pass".into()), ("notes", String::new())];
    let (status, location) = post(unticked, page.clone()).await;
    let location = location.unwrap();
    assert_eq!(status, 303);
    assert!(location.starts_with("/q/some-sticker?tab=1&__path=%2Fapi%2Flog_cleaning&__err="), "{location}");
    let err = url::Url::parse(&format!("http://x{location}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "__err")
        .unwrap()
        .1
        .into_owned();
    let error: cleantrack::model::error::AppError =
        leptos::server_fn::error::ServerFnUrlError::<cleantrack::model::error::AppError>::decode_err(&err);
    assert!(error.to_string().contains("Tick every step"), "{error}");
    // Arguments refused before the function runs come back the same way.
    let (status, refused) =
        post(vec![("equipment_id", "not-an-id".into()), ("outcome", "pass".into())], page.clone()).await;
    assert_eq!(status, 303);
    let refused = refused.unwrap();
    assert!(refused.contains("__err="));
    // Success: back to the page, saying which form succeeded.
    let signed = vec![
        ("equipment_id", e.clone()),
        ("outcome", "pass".into()),
        ("notes", String::new()),
        ("done[0]", "on".into()),
        ("done[1]", "on".into()),
    ];
    // Success, sent from the page that showed the refusal: back to the page, without the old
    // error, saying which form succeeded.
    let (status, location) = post(signed, app.url(&refused)).await;
    assert_eq!((status, location.as_deref()), (303, Some("/q/some-sticker?tab=1&done=%2Fapi%2Flog_cleaning")));
    // A session that ended: sign in, then back to the page.
    let (status, location) = {
        let response = app
            .browser()
            .post(app.url("/api/log_cleaning"))
            .header("accept", "text/html")
            .header("referer", app.url("/q/some-sticker"))
            .form(&pass(&e))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()))
    };
    assert_eq!((status, location.as_deref()), (303, Some("/login?next=/q/some-sticker")));
}

#[sqlx::test]
async fn equipment_without_a_protocol_is_signed_only_with_a_reason_that_reports_show(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let (_, bare) = facility_with_equipment(&app, admin, "Workshop", "Bench", "").await;
    let e = bare.to_string();
    let form = |reason: &'static str| {
        vec![
            ("equipment_id", e.clone()),
            ("outcome", "pass".into()),
            ("notes", "".into()),
            ("no_protocol_reason", reason.into()),
        ]
    };
    let app = &app;
    let call = |form: Vec<(&'static str, String)>| async move { app.call_owned(staff, "log_cleaning", &form).await };
    // Without a reason (or a blank one): refused, saying what to do.
    for reason in ["", "   "] {
        let refused = call(form(reason)).await;
        refused.assert_status(422);
        assert!(refused.body.contains("no cleaning protocol"), "{}", refused.body);
    }
    let long: &'static str = Box::leak("x".repeat(501).into_boxed_str());
    call(form(long)).await.assert_status(422);
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cleaning_logs").fetch_one(&superuser_pool(&db).await).await.unwrap();
    assert_eq!(count, 0, "nothing was signed");

    let log: LogId = call(form("Protocol being written; manual section 4")).await.assert_ok().json();
    let history: Vec<CleaningLog> =
        app.call(staff, "list_logs", &[("equipment_id", e.as_str())]).await.assert_ok().json();
    assert_eq!(history[0].no_protocol_reason.as_deref(), Some("Protocol being written; manual section 4"));
    let csv = world.a.member(Role::Auditor).client.get(app.url("/reports/logs.csv")).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    let row = csv.lines().find(|l| l.starts_with(&log.to_string())).expect("the log is in the CSV");
    assert!(row.ends_with(",Protocol being written; manual section 4,no,,no,session,,,,,"), "{row}");

    // With a protocol, the reason is not asked for and not kept: the protocol says how.
    let (equipment, _) = setup(app, &world).await;
    let equipment = equipment.to_string();
    let with = [pass(&equipment), vec![("no_protocol_reason", "ignored")]].concat();
    let log: LogId = app.call(staff, "log_cleaning", &with).await.assert_ok().json();
    let reason: Option<String> = sqlx::query_scalar("SELECT no_protocol_reason FROM cleaning_logs WHERE id = $1")
        .bind(log)
        .fetch_one(&superuser_pool(&db).await)
        .await
        .unwrap();
    assert_eq!(reason, None);
    // And the database itself refuses a protocol-less log without a reason.
    let refused = sqlx::query(
        "INSERT INTO cleaning_logs (id, org_id, equipment_id, performed_by, signer_name, performed_at, outcome) \
         SELECT gen_random_uuid(), org_id, id, (SELECT id FROM users LIMIT 1), 'x', now(), 'pass' FROM equipment WHERE id = $1",
    )
    .bind(bare)
    .execute(&superuser_pool(&db).await)
    .await;
    assert!(refused.unwrap_err().to_string().contains("cleaning_logs_protocol_or_reason"));
}
