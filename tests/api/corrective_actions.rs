//! Corrective actions: opened by a failed cleaning (or by a supervisor), owned, closed by a
//! passing re-clean or a signed override, never changed once closed, listed and exported; and
//! out of reach of another organization.

use cleantrack::model::corrective_actions::{ActionList, Show};
use cleantrack::model::dashboard::Dashboard;
use cleantrack::model::ids::{CorrectiveActionId, EquipmentId, LogId};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

async fn log(app: &TestApp, client: &reqwest::Client, e: EquipmentId, outcome: &str) -> LogId {
    let e = e.to_string();
    let form = [("equipment_id", e.as_str()), ("outcome", outcome), ("notes", "Residue on the sash"), NO_PROTOCOL];
    app.call(client, "log_cleaning", &form).await.assert_ok().json()
}

async fn list(app: &TestApp, client: &reqwest::Client, show: Show) -> ActionList {
    app.call(client, "list_corrective_actions", &[("show", show.as_str())]).await.assert_ok().json()
}

fn close_form(
    id: CorrectiveActionId,
    note: &str,
    reclean: Option<LogId>,
    reason: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut form = vec![("id", id.to_string()), ("note", note.to_owned())];
    if let Some(r) = reclean {
        form.push(("reclean_log_id", r.to_string()));
    }
    if let Some(r) = reason {
        form.push(("override_reason", r.to_owned()));
    }
    form
}

#[sqlx::test]
async fn an_action_closes_by_a_passing_reclean_or_a_signed_override_and_never_changes_after(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let staff = world.a.member(Role::Staff);
    let supervisor = &world.a.member(Role::Supervisor).client;

    let failed = log(&app, &staff.client, hood, "fail").await;
    let open = list(&app, supervisor, Show::Open).await;
    assert_eq!((open.counts.open, open.counts.overdue, open.items.len()), (1, 0, 1));
    let action = open.items[0].clone();
    assert_eq!(action.log_id, Some(failed));
    assert!(action.description.contains("Residue on the sash"), "{}", action.description);
    assert!(action.recleans.is_empty(), "nothing passed after the failure yet");
    let id = action.id;

    // Supervisors assign; not staff; not a past day; not someone outside the organization.
    let tomorrow: String =
        sqlx::query_scalar("SELECT (current_date + 1)::text").fetch_one(&superuser_pool(&db).await).await.unwrap();
    let assign =
        |owner: String, due: &str| vec![("id", id.to_string()), ("owner_id", owner), ("due_date", due.to_owned())];
    app.call_owned(&staff.client, "assign_corrective_action", &assign(staff.id.to_string(), &tomorrow))
        .await
        .assert_status(403);
    app.call_owned(supervisor, "assign_corrective_action", &assign(staff.id.to_string(), "2020-01-01"))
        .await
        .assert_status(422);
    let outsider = world.b.member(Role::Staff).id.to_string();
    app.call_owned(supervisor, "assign_corrective_action", &assign(outsider, &tomorrow)).await.assert_status(422);
    let auditor_id = world.a.member(Role::Auditor).id.to_string();
    app.call_owned(supervisor, "assign_corrective_action", &assign(auditor_id, &tomorrow)).await.assert_status(422);
    app.call_owned(supervisor, "assign_corrective_action", &assign(staff.id.to_string(), &tomorrow)).await.assert_ok();
    let action = list(&app, supervisor, Show::Open).await.items[0].clone();
    assert_eq!(action.owner.as_ref().map(|o| o.0), Some(staff.id));
    assert_eq!(action.due_date, tomorrow);

    // The owner closes it with a note and a passing re-clean after the failure; not with the
    // failure itself, and not without a note.
    let call = app
        .call_owned(&staff.client, "close_corrective_action", &close_form(id, "Re-cleaned", Some(failed), None))
        .await;
    call.assert_status(422);
    assert!(call.body.contains("passing cleaning of the same equipment"), "{}", call.body);
    let reclean = log(&app, &staff.client, hood, "pass").await;
    app.call_owned(&staff.client, "close_corrective_action", &close_form(id, " ", Some(reclean), None))
        .await
        .assert_status(422);
    app.call_owned(&staff.client, "close_corrective_action", &close_form(id, "", None, None)).await.assert_status(422);
    let action = list(&app, supervisor, Show::Open).await.items[0].clone();
    assert_eq!(action.recleans.iter().map(|r| r.log_id).collect::<Vec<_>>(), [reclean]);
    app.call_owned(
        &staff.client,
        "close_corrective_action",
        &close_form(id, "Re-cleaned with fresh wipes", Some(reclean), None),
    )
    .await
    .assert_ok();
    let closed = list(&app, supervisor, Show::Closed).await;
    let closure = closed.items[0].closed.clone().expect("closed");
    assert_eq!((closure.by.as_str(), closure.reclean.map(|r| r.log_id)), ("Staff of Org A", Some(reclean)));
    assert_eq!(list(&app, supervisor, Show::Open).await.counts.open, 0);
    // Closed is closed: again, reassigned, or rewritten in the database.
    app.call_owned(&staff.client, "close_corrective_action", &close_form(id, "Again", Some(reclean), None))
        .await
        .assert_status(409);
    app.call_owned(supervisor, "assign_corrective_action", &assign(staff.id.to_string(), &tomorrow))
        .await
        .assert_status(409);
    let err = sqlx::query("UPDATE corrective_actions SET closing_note = 'edited'")
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never changed"), "{err}");

    // A second failure: staff cannot override (nor close what they do not own); a supervisor
    // overrides with a reason and signs it.
    log(&app, &staff.client, hood, "fail").await;
    let second = list(&app, supervisor, Show::Open).await.items[0].id;
    let overriding = close_form(second, "Hood sent for repair", None, Some("Out of service until the fan is replaced"));
    app.call_owned(&staff.client, "close_corrective_action", &overriding).await.assert_status(403);
    app.call_owned(&staff.client, "close_corrective_action", &close_form(second, "Done", Some(reclean), None))
        .await
        .assert_status(403);
    app.call_owned(supervisor, "close_corrective_action", &overriding).await.assert_ok();
    let all = list(&app, supervisor, Show::All).await;
    let overridden = all.items.iter().find(|a| a.id == second).and_then(|a| a.closed.clone()).unwrap();
    let signature = overridden.override_signature.expect("signed");
    assert_eq!(
        (signature.name.as_str(), signature.meaning.as_str(), overridden.override_reason.as_deref()),
        ("Supervisor of Org A", "closed by override", Some("Out of service until the fan is replaced"))
    );

    // A supervisor opens one by hand from any log; staff cannot.
    let by_hand = [("log_id", reclean.to_string()), ("description", "Replace the sash seal".to_owned())];
    app.call_owned(&staff.client, "open_corrective_action", &by_hand).await.assert_status(403);
    let manual: CorrectiveActionId =
        app.call_owned(supervisor, "open_corrective_action", &by_hand).await.assert_ok().json();
    let open = list(&app, supervisor, Show::Open).await;
    assert_eq!(
        open.items.iter().map(|a| (a.id, a.opened_by.clone())).collect::<Vec<_>>(),
        [(manual, Some("Supervisor of Org A".into()))]
    );
    let empty = [("log_id", reclean.to_string()), ("description", "  ".to_owned())];
    app.call_owned(supervisor, "open_corrective_action", &empty).await.assert_status(422);
    app.call(supervisor, "list_corrective_actions", &[("show", "everything")]).await.assert_status(422);

    // The overview counts the open one.
    let dashboard: Dashboard = app.call(supervisor, "get_dashboard", &[]).await.assert_ok().json();
    assert_eq!((dashboard.actions.open, dashboard.actions.overdue), (1, 0));

    // The CSV: every action with how it was closed, for those who export; not for staff.
    let csv = supervisor.get(app.url("/reports/corrective-actions.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("action_id,facility,equipment,opened_at"), "{body}");
    assert_eq!(body.lines().count(), 4, "three actions: {body}");
    assert!(body.contains("Re-cleaned with fresh wipes") && body.contains(&reclean.to_string()), "{body}");
    assert!(body.contains("Out of service until the fan is replaced,Supervisor of Org A,session"), "{body}");
    let auditor = &world.a.member(Role::Auditor).client;
    assert_eq!(auditor.get(app.url("/reports/corrective-actions.csv?show=open")).send().await.unwrap().status(), 200);
    assert_eq!(staff.client.get(app.url("/reports/corrective-actions.csv")).send().await.unwrap().status(), 403);
    assert_eq!(
        supervisor.get(app.url("/reports/corrective-actions.csv?show=nope")).send().await.unwrap().status(),
        422
    );

    // The facility's inspection report (PDF) lists them, with how each was closed.
    let (_, pdf) = crate::reports::export(&app, supervisor, "report_pdf", lab).await;
    let text = crate::reports::pdf_text(&pdf);
    assert!(text.contains("Corrective actions"), "{text}");
    assert!(text.contains("Re-cleaned with") && text.contains("by override: Out of service"), "{text}");
    assert!(text.contains("closed by override") && text.contains("Replace the sash seal"), "{text}");
}

#[sqlx::test]
async fn corrective_actions_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let a_staff = &world.a.member(Role::Staff).client;
    let failed = log(&app, a_staff, hood, "fail").await;
    let passed = log(&app, a_staff, hood, "pass").await;
    let a_action = list(&app, &world.a.member(Role::Supervisor).client, Show::Open).await.items[0].id;

    let b_admin = &world.b.member(Role::Admin).client;
    let (_, b_hood) = facility_with_equipment(&app, b_admin, "B Lab", "B Hood", "").await;
    let b_supervisor = &world.b.member(Role::Supervisor).client;
    let b_staff = &world.b.member(Role::Staff).client;
    log(&app, b_staff, b_hood, "fail").await;

    let b_list = list(&app, b_supervisor, Show::All).await;
    assert_eq!(b_list.items.len(), 1);
    assert!(b_list.items.iter().all(|a| a.id != a_action && a.equipment == "B Hood"));
    assert!(b_list.owners.iter().all(|(_, name)| name.ends_with("Org B")), "{:?}", b_list.owners);
    let b_action = b_list.items[0].id;

    // A's action and logs are not there for B: assigning, closing, opening from A's log.
    let b_owner = world.b.member(Role::Staff).id.to_string();
    let assign = [("id", a_action.to_string()), ("owner_id", b_owner), ("due_date", String::new())];
    app.call_owned(b_supervisor, "assign_corrective_action", &assign).await.assert_status(404);
    app.call_owned(b_supervisor, "close_corrective_action", &close_form(a_action, "x", None, Some("y")))
        .await
        .assert_status(404);
    let from_a = [("log_id", failed.to_string()), ("description", "Fix it".to_owned())];
    app.call_owned(b_supervisor, "open_corrective_action", &from_a).await.assert_status(404);
    // B's own action cannot be closed with A's passing log.
    app.call_owned(b_supervisor, "close_corrective_action", &close_form(b_action, "x", Some(passed), None))
        .await
        .assert_status(422);
    // A's owner cannot be given B's action.
    let a_owner = world.a.member(Role::Staff).id.to_string();
    let assign = [("id", b_action.to_string()), ("owner_id", a_owner), ("due_date", String::new())];
    app.call_owned(b_supervisor, "assign_corrective_action", &assign).await.assert_status(422);

    let csv = b_supervisor.get(app.url("/reports/corrective-actions.csv")).send().await.unwrap().text().await.unwrap();
    assert!(!csv.contains(&a_action.to_string()) && csv.contains(&b_action.to_string()), "{csv}");
    let dashboard: Dashboard = app.call(b_supervisor, "get_dashboard", &[]).await.assert_ok().json();
    assert_eq!(dashboard.actions.open, 1);
}

/// Reports through the public panel of a sticker of A: a request A's supervisors see and handle,
/// that B's never see or touch; refused without the panel, for retired equipment, and beyond the
/// rate limits.
#[sqlx::test]
async fn problems_reported_on_a_sticker_of_a_are_invisible_to_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let mut stickers = Vec::new();
    for name in ["Hood 1", "Hood 2", "Hood 3", "Hood 4", "Hood 5"] {
        let (_, e) = facility_with_equipment(&app, admin, &format!("Lab {name}"), name, "").await;
        stickers.push((e, crate::equipment::stickers::token_of(&db, e).await));
    }
    let visitor = app.browser();
    let report = |token: &str, what: &str| {
        vec![("token", token.to_owned()), ("description", what.to_owned()), ("contact", "Ward 4, ext 2231".to_owned())]
    };
    // No public panel (the default): the sticker is as unknown as a made-up one.
    app.call_owned(&visitor, "report_problem", &report(&stickers[0].1, "Spill")).await.assert_status(404);
    app.call(admin, "update_settings", &[("public_status", "on")]).await.assert_ok();
    app.call_owned(&visitor, "report_problem", &report("made-up", "Spill")).await.assert_status(404);
    app.call_owned(&visitor, "report_problem", &report(&stickers[0].1, "   ")).await.assert_status(422);
    app.call_owned(&visitor, "report_problem", &report(&stickers[0].1, "Blood on the sash handle")).await.assert_ok();

    // A's supervisors see it, with the contact; B's see nothing of it.
    let supervisor = &world.a.member(Role::Supervisor).client;
    let problems = list(&app, supervisor, Show::Open).await.problems;
    assert_eq!(problems.len(), 1);
    let problem = problems[0].clone();
    assert_eq!((problem.equipment_id, problem.description.as_str()), (stickers[0].0, "Blood on the sash handle"));
    assert_eq!(problem.contact.as_deref(), Some("Ward 4, ext 2231"));
    let b_supervisor = &world.b.member(Role::Supervisor).client;
    assert!(list(&app, b_supervisor, Show::All).await.problems.is_empty());
    let act = [("problem_id", problem.id.to_string()), ("description", "Clean the sash handle".to_owned())];
    let dismiss = [("problem_id", problem.id.to_string()), ("reason", "Not ours".to_owned())];
    app.call_owned(b_supervisor, "act_on_problem", &act).await.assert_status(404);
    app.call_owned(b_supervisor, "dismiss_problem", &dismiss).await.assert_status(404);
    // Recorded in A's trail, by nobody signed in.
    let anonymous: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE entity_type = 'problem_reports' AND actor_kind = 'anonymous' AND org_id = $1",
    )
    .bind(world.a.id)
    .fetch_one(&superuser_pool(&db).await)
    .await
    .unwrap();
    assert_eq!(anonymous, 1);

    // Staff cannot act on it; a supervisor turns it into a corrective action, once.
    app.call_owned(&world.a.member(Role::Staff).client, "act_on_problem", &act).await.assert_status(403);
    let action: CorrectiveActionId = app.call_owned(supervisor, "act_on_problem", &act).await.assert_ok().json();
    app.call_owned(supervisor, "act_on_problem", &act).await.assert_status(404);
    app.call_owned(supervisor, "dismiss_problem", &dismiss).await.assert_status(404);
    let now = list(&app, supervisor, Show::Open).await;
    assert!(now.problems.is_empty());
    let opened = now.items.iter().find(|a| a.id == action).expect("listed");
    assert_eq!((opened.problem.as_deref(), opened.log_id), (Some("Blood on the sash handle"), None));

    // Another is dismissed with a reason (and only with one).
    app.call_owned(&visitor, "report_problem", &report(&stickers[1].1, "Sticker peeling")).await.assert_ok();
    let second = list(&app, supervisor, Show::Open).await.problems[0].id.to_string();
    app.call_owned(supervisor, "dismiss_problem", &[("problem_id", second.clone()), ("reason", " ".into())])
        .await
        .assert_status(422);
    app.call_owned(supervisor, "dismiss_problem", &[("problem_id", second), ("reason", "Sticker replaced".into())])
        .await
        .assert_ok();
    assert!(list(&app, supervisor, Show::Open).await.problems.is_empty());

    // Three an hour from one address on one sticker; ten across stickers.
    for _ in 0..2 {
        app.call_owned(&visitor, "report_problem", &report(&stickers[1].1, "Again")).await.assert_ok();
    }
    app.call_owned(&visitor, "report_problem", &report(&stickers[1].1, "Again")).await.assert_status(429);
    for sticker in &stickers[2..4] {
        for _ in 0..3 {
            app.call_owned(&visitor, "report_problem", &report(&sticker.1, "Dusty")).await.assert_ok();
        }
    }
    // 1 + 3 + 6 = 10 from this address in the hour.
    app.call_owned(&visitor, "report_problem", &report(&stickers[4].1, "Dusty")).await.assert_status(429);

    // Retired equipment takes no reports.
    let retire = [("id", stickers[0].0.to_string()), ("reason", "Replaced".to_owned())];
    app.call_owned(admin, "retire_equipment", &retire).await.assert_ok();
    sqlx::query("DELETE FROM auth_attempts").execute(&superuser_pool(&db).await).await.unwrap();
    app.call_owned(&visitor, "report_problem", &report(&stickers[0].1, "Spill")).await.assert_status(404);
}
