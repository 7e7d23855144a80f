//! Electronic signatures (21 CFR Part 11 §11.50, §11.100, §11.200): the legal name stored at
//! signing and printed from the record, re-authentication at every signing (the password first
//! in a session, then the password or a personal PIN, with lockout), strict signatures on for
//! new organizations and off only with a reason that reports repeat.

use cleantrack::model::accounts::SigningProfile;
use cleantrack::model::audit::ChainCheck;
use cleantrack::model::ids::{EquipmentId, LogId};
use cleantrack::model::logs::CleaningLog;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::audit::{check_events, tamper};
use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::reports::{export, pdf_words};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL, PASSWORD};

const PIN: &str = "418207";

async fn log(
    app: &TestApp,
    client: &reqwest::Client,
    equipment: EquipmentId,
    secret: Option<&str>,
) -> crate::helpers::Call {
    let e = equipment.to_string();
    let mut form = vec![("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL];
    if let Some(secret) = secret {
        form.push(("password", secret));
    }
    app.call(client, "log_cleaning", &form).await
}

async fn history(app: &TestApp, client: &reqwest::Client, equipment: EquipmentId) -> Vec<CleaningLog> {
    app.call(client, "list_logs", &[("equipment_id", &equipment.to_string())]).await.assert_ok().json()
}

async fn strict_on(app: &TestApp, world: &World) {
    app.call(&world.a.member(Role::Owner).client, "update_settings", &[("strict_signatures", "on")]).await.assert_ok();
}

/// The two fixture organizations, A with strict signatures on and a hood to sign for.
async fn strict_world(app: &TestApp) -> (World, EquipmentId) {
    let world = World::build(app).await;
    strict_on(app, &world).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, hood) = facility_with_equipment(app, admin, "Lab", "Hood 1", "").await;
    (world, hood)
}

#[sqlx::test]
async fn new_organizations_have_strict_signatures_and_turn_them_off_only_with_a_reason_reports_repeat(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let form =
        [("name", "Ana Example"), ("email", "ana@new.example"), ("organization", "New Clinic"), ("password", PASSWORD)];
    app.call(&app.browser(), "register", &form).await.assert_ok();
    let su = superuser_pool(&db).await;
    let strict: bool = sqlx::query_scalar("SELECT strict_signatures FROM organizations WHERE name = 'New Clinic'")
        .fetch_one(&su)
        .await
        .unwrap();
    assert!(strict, "strict signatures are on for a new organization");

    let world = World::build(&app).await;
    strict_on(&app, &world).await;
    let owner = &world.a.member(Role::Owner).client;
    // Off without a reason: refused, and still on.
    let refused = app.call(owner, "update_settings", &[]).await;
    refused.assert_status(422);
    assert!(refused.body.contains("reason for turning strict signatures off"), "{}", refused.body);
    let staff = &world.a.member(Role::Staff).client;
    let admin = &world.a.member(Role::Admin).client;
    let (lab, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    log(&app, staff, hood, None).await.assert_status(422);

    let reason = "Validation of the new tablets pending; paper log kept in parallel";
    app.call(owner, "update_settings", &[("strict_off_reason", reason)]).await.assert_ok();
    // The reason is in the trail with the change.
    let trail: String = sqlx::query_scalar(
        "SELECT string_agg(after::text, ' ') FROM audit_events WHERE org_id = $1 AND action = 'organizations.update'",
    )
    .bind(world.a.id)
    .fetch_one(&su)
    .await
    .unwrap();
    assert!(trail.contains(reason), "{trail}");

    // Signed without a credential, and every report says so.
    let id: LogId = log(&app, staff, hood, None).await.assert_ok().json();
    let logs = history(&app, staff, hood).await;
    assert_eq!(logs[0].signature.signed_with.as_deref(), Some("session"));
    let auditor = &world.a.member(Role::Auditor).client;
    let csv = auditor.get(app.url("/reports/logs.csv")).send().await.unwrap().text().await.unwrap();
    let line = csv.lines().find(|l| l.starts_with(&id.to_string())).expect("the log is in the CSV");
    assert!(line.contains(",session,,"), "{line}");
    let (_, pdf) = export(&app, auditor, "report_pdf", lab).await;
    let words = pdf_words(&pdf);
    for said in ["Strict signatures are OFF", "Validation of the new tablets pending", "not re-authenticated"] {
        assert!(words.contains(said), "the PDF says {said:?}: {words}");
    }
    assert!(words.contains("Signatures NOT re-authenticated (strict signatures were off): 1"), "{words}");
}

#[sqlx::test]
async fn the_first_signing_in_a_session_needs_the_password_later_ones_the_pin_which_locks(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let (world, hood) = strict_world(&app).await;
    // A fresh session, so that no signing has happened in it.
    let staff = &World::sign_in(&app, &world.a.member(Role::Staff).email).await;

    // Setting a PIN needs the password and a PIN that is not trivial.
    app.call(staff, "set_signing_pin", &[("pin", PIN), ("password", "wrong wrong wrong")]).await.assert_status(422);
    app.call(staff, "set_signing_pin", &[("pin", "123456"), ("password", PASSWORD)]).await.assert_status(422);
    app.call(staff, "set_signing_pin", &[("pin", "12ab"), ("password", PASSWORD)]).await.assert_status(422);
    app.call(staff, "set_signing_pin", &[("pin", PIN), ("password", PASSWORD)]).await.assert_ok();
    let profile: SigningProfile = app.call(staff, "get_signing_profile", &[]).await.assert_ok().json();
    assert!(profile.has_pin && !profile.pin_locked, "{profile:?}");

    // First signing of the session: the PIN is not enough, nothing is signed.
    let first = log(&app, staff, hood, Some(PIN)).await;
    first.assert_status(422);
    assert!(first.body.contains("first signature after signing in needs your password"), "{}", first.body);
    assert!(history(&app, staff, hood).await.is_empty());
    log(&app, staff, hood, Some(PASSWORD)).await.assert_ok();
    // A second signing with nothing: refused. With the PIN, or the password: signed.
    let bare = log(&app, staff, hood, None).await;
    bare.assert_status(422);
    assert!(bare.body.contains("password or signing PIN"), "{}", bare.body);
    log(&app, staff, hood, Some(PIN)).await.assert_ok();
    log(&app, staff, hood, Some(PASSWORD)).await.assert_ok();
    let how: Vec<Option<String>> =
        history(&app, staff, hood).await.into_iter().map(|l| l.signature.signed_with).collect();
    assert_eq!(how, [Some("password".into()), Some("pin".into()), Some("password".into())], "newest first");

    // Another session of the same person starts over: password first.
    let other = World::sign_in(&app, &world.a.member(Role::Staff).email).await;
    log(&app, &other, hood, Some(PIN)).await.assert_status(422);

    // Five wrong PINs lock it; the right PIN is then refused too, until a password signing.
    for left in (0..5).rev() {
        let wrong = log(&app, staff, hood, Some("907315")).await;
        wrong.assert_status(422);
        let expected = if left == 0 { "now locked".to_owned() } else { format!("{left} tries left") };
        assert!(wrong.body.contains(&expected), "{}", wrong.body);
    }
    let profile: SigningProfile = app.call(staff, "get_signing_profile", &[]).await.assert_ok().json();
    assert!(profile.pin_locked);
    log(&app, staff, hood, Some(PIN)).await.assert_status(422);
    log(&app, staff, hood, Some(PASSWORD)).await.assert_ok();
    log(&app, staff, hood, Some(PIN)).await.assert_ok();
    assert_eq!(history(&app, staff, hood).await.len(), 5, "no refused attempt signed anything");

    // The verifying signature follows the same rule.
    let supervisor = &World::sign_in(&app, &world.a.member(Role::Supervisor).email).await;
    let id = history(&app, staff, hood).await[0].id.to_string();
    app.call(supervisor, "verify_log", &[("log_id", &id)]).await.assert_status(422);
    app.call(supervisor, "verify_log", &[("log_id", &id), ("password", PASSWORD)]).await.assert_ok();
    let verified = history(&app, staff, hood).await[0].verified.clone().expect("verified");
    assert_eq!(verified.signed_with.as_deref(), Some("password"));
    assert_eq!(verified.meaning, "verified");
}

#[sqlx::test]
async fn a_signature_keeps_the_legal_name_it_was_made_with_and_the_seal_covers_how_it_was_made(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let (world, hood) = strict_world(&app).await;
    let staff = &world.a.member(Role::Staff).client;
    let app = &app;
    let legal = "Staff of Org A"; // the fixture's name, the legal name it started with
    let first: LogId = log(app, staff, hood, Some(PASSWORD)).await.assert_ok().json();

    // The display name is free; signatures do not follow it.
    app.call(staff, "rename", &[("name", "Sunny")]).await.assert_ok();
    let second: LogId = log(app, staff, hood, Some(PASSWORD)).await.assert_ok().json();
    let names: Vec<String> = history(app, staff, hood).await.into_iter().map(|l| l.signature.name).collect();
    assert_eq!(names, [legal, legal]);

    // The legal name changes only with a reason and the password; old signatures keep theirs.
    let change = |name: &'static str, reason: &'static str, password: &'static str| async move {
        app.call(staff, "change_legal_name", &[("legal_name", name), ("reason", reason), ("password", password)]).await
    };
    change("Samira Okafor-Lind", "", PASSWORD).await.assert_status(422);
    change("Samira Okafor-Lind", "Married", "wrong wrong wrong").await.assert_status(422);
    change("", "Married", PASSWORD).await.assert_status(422);
    change("Samira Okafor-Lind", "Married", PASSWORD).await.assert_ok();
    // The database's guard: a further change needs a reason of its own.
    let again = change("Samira Lind", "Married", PASSWORD).await;
    again.assert_status(422);
    assert!(again.body.contains("Give a new reason"), "{}", again.body);
    let third: LogId = log(app, staff, hood, Some(PASSWORD)).await.assert_ok().json();
    let logs = history(app, staff, hood).await;
    let name_of = |id: LogId| logs.iter().find(|l| l.id == id).unwrap().signature.name.clone();
    assert_eq!(
        (name_of(first), name_of(second), name_of(third)),
        (legal.into(), legal.into(), "Samira Okafor-Lind".into())
    );
    let profile: SigningProfile = app.call(staff, "get_signing_profile", &[]).await.assert_ok().json();
    assert_eq!(profile.legal_name, "Samira Okafor-Lind");
    // The organization's trail has the change and its reason.
    let su = superuser_pool(&db).await;
    let event: serde_json::Value =
        sqlx::query_scalar("SELECT after FROM audit_events WHERE org_id = $1 AND action = 'user.legal_name_changed'")
            .bind(world.a.id)
            .fetch_one(&su)
            .await
            .unwrap();
    assert_eq!(event, serde_json::json!({ "before": legal, "after": "Samira Okafor-Lind", "reason": "Married" }));

    // How a signature was made is sealed with it: "password" rewritten to "pin" is found.
    let auditor = &world.a.member(Role::Auditor).client;
    let check: ChainCheck = app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(matches!(check, ChainCheck::Verified { .. }), "{check:?}");
    tamper(&su, &format!("UPDATE cleaning_logs SET signed_with = 'pin' WHERE id = '{first}'")).await;
    let check: ChainCheck = app.call(auditor, "verify_audit_chain", &[]).await.assert_ok().json();
    assert_eq!(
        check,
        ChainCheck::RecordAltered { events: check_events(&check), record: format!("cleaning log {first}") }
    );
}

#[sqlx::test]
async fn signing_identities_of_a_are_out_of_reach_of_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let a_staff = &world.a.member(Role::Staff).client;
    let b_staff = &world.b.member(Role::Staff).client;
    let form = [("legal_name", "Bea B"), ("reason", "Typo at registration"), ("password", PASSWORD)];
    app.call(b_staff, "change_legal_name", &form).await.assert_ok();
    app.call(b_staff, "set_signing_pin", &[("pin", PIN), ("password", PASSWORD)]).await.assert_ok();

    let a: SigningProfile = app.call(a_staff, "get_signing_profile", &[]).await.assert_ok().json();
    assert_eq!(a, SigningProfile { legal_name: "Staff of Org A".into(), has_pin: false, pin_locked: false });
    let b: SigningProfile = app.call(b_staff, "get_signing_profile", &[]).await.assert_ok().json();
    assert_eq!(b.legal_name, "Bea B");
    // B's change is in B's trail, not A's.
    let su = superuser_pool(&db).await;
    let in_a: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE org_id = $1 AND action = 'user.legal_name_changed'",
    )
    .bind(world.a.id)
    .fetch_one(&su)
    .await
    .unwrap();
    assert_eq!(in_a, 0);
    // An inspector signs nothing and changes no signing identity.
    let inspector = &world.a.member(Role::Inspector).client;
    app.call(inspector, "set_signing_pin", &[("pin", PIN), ("password", PASSWORD)]).await.assert_status(403);
}
