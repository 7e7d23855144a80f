//! Organization settings: strict signatures (the password at every signing) and the public
//! sticker panel (last cleaned and due, no names), each only for the organization that set it.

use cleantrack::model::accounts::OrgSettings;
use cleantrack::model::ids::LogId;
use cleantrack::model::role::Role;
use cleantrack::model::{
    equipment::{PublicStatus, Scan},
    logs::CleaningLog,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::equipment::stickers::{page, sticker};
use crate::helpers::{spawn_app, TestApp};
use crate::world::{World, NO_PROTOCOL, PASSWORD, STRICT_OFF_REASON};

async fn settings(app: &TestApp, client: &reqwest::Client) -> OrgSettings {
    app.call(client, "get_settings", &[]).await.assert_ok().json()
}

/// The fixture organizations' settings (strict signatures off, with the fixture's reason).
fn fixture_settings() -> OrgSettings {
    OrgSettings {
        strict_off_reason: Some(STRICT_OFF_REASON.into()),
        retention_years: 6,
        late_entry_minutes: 30,
        review_days: 7,
        ..OrgSettings::default()
    }
}

#[sqlx::test]
async fn strict_signatures_demand_the_signers_password_at_each_signing(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let e = s.equipment.to_string();
    let owner = &world.a.member(Role::Owner).client;
    for role in [Role::Supervisor, Role::Staff, Role::Auditor] {
        app.call(&world.a.member(role).client, "update_settings", &[("strict_signatures", "on")])
            .await
            .assert_status(403);
    }
    app.call(owner, "update_settings", &[("strict_signatures", "on")]).await.assert_ok();
    assert_eq!(
        settings(&app, owner).await,
        OrgSettings { strict_signatures: true, strict_off_reason: None, ..fixture_settings() }
    );

    let staff = &world.a.member(Role::Staff).client;
    let app = &app;
    let log = |password: Option<&'static str>| {
        let e = e.clone();
        async move {
            let mut form = vec![("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL];
            if let Some(p) = password {
                form.push(("password", p));
            }
            app.call(staff, "log_cleaning", &form).await
        }
    };
    let missing = log(None).await;
    missing.assert_status(422);
    assert!(missing.body.contains("Enter your password"), "{}", missing.body);
    let wrong = log(Some("not the password at all")).await;
    wrong.assert_status(422);
    assert!(wrong.body.contains("not correct"), "{}", wrong.body);
    let history: Vec<CleaningLog> = app.call(staff, "list_logs", &[("equipment_id", &e)]).await.assert_ok().json();
    assert!(history.is_empty(), "nothing signed without the password");
    let signed: LogId = log(Some(PASSWORD)).await.assert_ok().json();

    // The second signature too.
    let supervisor = &world.a.member(Role::Supervisor).client;
    let id = signed.to_string();
    app.call(supervisor, "verify_log", &[("log_id", &id)]).await.assert_status(422);
    app.call(supervisor, "verify_log", &[("log_id", &id), ("password", "wrong wrong wrong")]).await.assert_status(422);
    app.call(supervisor, "verify_log", &[("log_id", &id), ("password", PASSWORD)]).await.assert_ok();

    // Organization B has them off: no password asked there.
    assert_eq!(settings(app, &world.b.member(Role::Owner).client).await, fixture_settings());
    // And turned off (with a reason), signing needs no password again.
    app.call(owner, "update_settings", &[]).await.assert_status(422);
    app.call(owner, "update_settings", &[("strict_off_reason", "Trial ended")]).await.assert_ok();
    log(None).await.assert_ok();
}

#[sqlx::test]
async fn the_public_panel_shows_last_cleaned_and_due_without_names_only_when_turned_on(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let e = s.equipment.to_string();
    let admin = &world.a.member(Role::Admin).client;
    let form = [("equipment_id", e.as_str()), ("unit", "hours"), ("every_n", "8")];
    app.call(admin, "set_schedule", &form).await.assert_ok();
    let staff = &world.a.member(Role::Staff).client;
    let log = [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", "Wiped by the window"), NO_PROTOCOL];
    app.call(staff, "log_cleaning", &log).await.assert_ok();
    let path = format!("/q/{}", s.token);

    // Off (the default): a visitor is sent to sign in.
    assert_eq!(page(&app, &app.browser(), &path).await.0, 302);

    app.call(admin, "update_settings", &[("public_status", "on")]).await.assert_ok();
    let (status, html, _) = page(&app, &app.browser(), &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Autoclave 1") && html.contains("Last cleaned"), "{html}");
    for private in ["Staff of Org A", "Wiped by the window", "Room 2", "Lab"] {
        assert!(!html.contains(private), "the public panel shows {private}");
    }
    let Scan::Public(panel) =
        app.call(&app.browser(), "scan_equipment", &[("token", &s.token)]).await.assert_ok().json()
    else {
        panic!("a visitor gets the public panel");
    };
    assert!(panel.last_cleaned.is_some() && panel.next_due.is_some() && !panel.overdue, "{panel:?}");

    // A signed-in member of another organization sees the panel too, never the member's view.
    let b = &world.b.member(Role::Owner).client;
    let scan: Scan = app.call(b, "scan_equipment", &[("token", &s.token)]).await.assert_ok().json();
    assert!(matches!(scan, Scan::Public(PublicStatus { .. })));
    // A member still gets the full view.
    let scan: Scan = app.call(staff, "scan_equipment", &[("token", &s.token)]).await.assert_ok().json();
    assert!(matches!(scan, Scan::Member(_)));

    // A replaced sticker shows nothing, panel or not.
    app.call(admin, "regenerate_qr", &[("id", &e)]).await.assert_ok();
    assert_eq!(page(&app, &app.browser(), &path).await.0, 302);
}

#[sqlx::test]
async fn settings_of_a_are_neither_seen_nor_changed_by_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let a_owner = &world.a.member(Role::Owner).client;
    app.call(a_owner, "update_settings", &[("strict_signatures", "on"), ("public_status", "on")]).await.assert_ok();
    let b_owner = &world.b.member(Role::Owner).client;
    assert_eq!(settings(&app, b_owner).await, fixture_settings(), "B reads its own");
    app.call(b_owner, "update_settings", &[]).await.assert_ok();
    assert_eq!(
        settings(&app, a_owner).await,
        OrgSettings { strict_signatures: true, strict_off_reason: None, public_status: true, ..fixture_settings() }
    );
}
