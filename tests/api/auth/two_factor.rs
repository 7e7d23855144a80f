//! Two-factor sign-in with an authenticator app (TOTP) and recovery codes: enrolment, the
//! second step, wrong and replayed codes, single-use recovery codes, the lockout, turning it
//! off, and an organization that requires it for a role.

use cleantrack::model::accounts::SessionInfo;
use cleantrack::model::ids::UserId;
use cleantrack::model::role::Role;
use cleantrack::model::security::{LoginStep, SecurityPage};
use cleantrack::server::auth::sealed::Purpose;
use cleantrack::server::auth::totp;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::world::{World, PASSWORD};

/// The person's seed, as the server holds it (sealed), opened with the server's key.
async fn seed_of(app: &TestApp, user: UserId) -> Vec<u8> {
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM totp_credentials WHERE user_id = $1")
        .bind(user)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.state.config.field_key.open(Purpose::TotpSeed, &sealed).expect("sealed with the server's key")
}

/// The code the app shows `steps` steps from now.
fn code(seed: &[u8], steps: i64) -> String {
    totp::code_at_step(seed, totp::step_at(time::OffsetDateTime::now_utc().unix_timestamp()) + steps)
}

pub async fn overview(app: &TestApp, client: &reqwest::Client) -> SecurityPage {
    app.call(client, "security_overview", &[]).await.assert_ok().json()
}

/// Sets up the app for the signed-in `client`; returns the seed and the recovery codes shown.
pub async fn enrol(app: &TestApp, client: &reqwest::Client, user: UserId) -> (Vec<u8>, Vec<String>) {
    let page = overview(app, client).await;
    let enrolment = page.enrolment.expect("a QR code to scan while off");
    let svg = enrolment.qr_image.strip_prefix("data:image/svg+xml;base64,").expect("an SVG image");
    let svg = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, svg).unwrap();
    assert!(String::from_utf8(svg).unwrap().contains("<svg"), "an SVG QR code");
    assert_eq!(overview(app, client).await.enrolment.unwrap().key, enrolment.key, "the same seed until confirmed");
    let seed = seed_of(app, user).await;
    app.call(client, "confirm_totp", &[("code", &code(&seed, 0))]).await.assert_ok();
    let page = overview(app, client).await;
    assert!(page.factors.totp);
    assert_eq!(page.fresh_codes.len(), 10, "ten recovery codes, shown after confirming");
    assert!(overview(app, client).await.fresh_codes.is_empty(), "and shown only once");
    (seed, page.fresh_codes)
}

async fn password_step(app: &TestApp, client: &reqwest::Client, email: &str) -> LoginStep {
    app.call(client, "login", &[("email", email), ("password", PASSWORD)]).await.assert_ok().json()
}

async fn session(app: &TestApp, client: &reqwest::Client) -> Option<SessionInfo> {
    app.call(client, "session", &[]).await.assert_ok().json()
}

async fn platform_actions(db: &PgConnectOptions, user: UserId) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_events WHERE org_id IS NULL AND actor_user_id = $1 ORDER BY id")
        .bind(user)
        .fetch_all(&crate::helpers::superuser_pool(db).await)
        .await
        .unwrap()
}

#[sqlx::test]
async fn enrolling_then_signing_in_asks_for_a_code_that_works_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let wrong = app.call(&admin.client, "confirm_totp", &[("code", "000000")]).await;
    wrong.assert_status(422);
    let (seed, _) = enrol(&app, &admin.client, admin.id).await;

    // A new browser: the password alone no longer signs in.
    let phone = app.browser();
    assert_eq!(password_step(&app, &phone, &admin.email).await, LoginStep::SecondFactor { totp: true, passkey: false });
    assert!(session(&app, &phone).await.is_none(), "not signed in between the two steps");
    app.call(&phone, "list_equipment", &[]).await.assert_status(401);
    let wrong = app.call(&phone, "second_factor", &[("code", "123456")]).await;
    wrong.assert_status(422);
    assert!(wrong.body.contains("not right"), "{}", wrong.body);
    // The code confirming enrolment was this step's: the next one signs in.
    let next = code(&seed, 1);
    app.call(&phone, "second_factor", &[("code", &next)]).await.assert_ok();
    assert_eq!(session(&app, &phone).await.unwrap().email, admin.email);

    // The same code again, from another browser within its window: refused.
    let thief = app.browser();
    assert_eq!(password_step(&app, &thief, &admin.email).await, LoginStep::SecondFactor { totp: true, passkey: false });
    app.call(&thief, "second_factor", &[("code", &next)]).await.assert_status(422);
    assert!(session(&app, &thief).await.is_none());

    let actions = platform_actions(&db, admin.id).await;
    for expected in ["auth.two_factor_enrolled", "auth.second_factor_failed", "auth.login_succeeded"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
    }
    // Sessions say how they signed in.
    let methods: Vec<String> =
        sqlx::query_scalar("SELECT method FROM user_sessions WHERE user_id = $1 ORDER BY created_at")
            .bind(admin.id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(methods.last().map(String::as_str), Some("password+totp"), "{methods:?}");
}

#[sqlx::test]
async fn a_recovery_code_signs_in_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = world.a.member(Role::Owner);
    let (_, codes) = enrol(&app, &owner.client, owner.id).await;

    let phone_lost = app.browser();
    password_step(&app, &phone_lost, &owner.email).await;
    // Typed in capitals with a space instead of the dash: the same code.
    let typed = codes[3].to_uppercase().replace('-', " ");
    app.call(&phone_lost, "second_factor", &[("code", &typed)]).await.assert_ok();
    assert!(session(&app, &phone_lost).await.is_some());
    assert_eq!(overview(&app, &owner.client).await.factors.recovery_codes_left, 9);

    let again = app.browser();
    password_step(&app, &again, &owner.email).await;
    app.call(&again, "second_factor", &[("code", &codes[3])]).await.assert_status(422);
    assert!(platform_actions(&db, owner.id).await.iter().any(|a| a == "auth.recovery_code_used"));

    // New codes need the password, and void the old ones.
    app.call(&owner.client, "renew_recovery_codes", &[("password", "not my password")]).await.assert_status(422);
    app.call(&owner.client, "renew_recovery_codes", &[("password", PASSWORD)]).await.assert_ok();
    let fresh = overview(&app, &owner.client).await.fresh_codes;
    assert_eq!(fresh.len(), 10);
    let old = app.browser();
    password_step(&app, &old, &owner.email).await;
    app.call(&old, "second_factor", &[("code", &codes[4])]).await.assert_status(422);
    app.call(&old, "second_factor", &[("code", &fresh[0])]).await.assert_ok();
}

#[sqlx::test]
async fn wrong_codes_count_toward_the_lockout(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let (seed, _) = enrol(&app, &admin.client, admin.id).await;

    let guesser = app.browser();
    password_step(&app, &guesser, &admin.email).await;
    for guess in ["111111", "222222", "333333", "444444", "555555"] {
        app.call(&guesser, "second_factor", &[("code", guess)]).await.assert_status(422);
    }
    // The right code now waits for the lockout like a right password would.
    let locked = app.call(&guesser, "second_factor", &[("code", &code(&seed, 1))]).await;
    locked.assert_status(429);
    // And the right password again does not reset the count.
    let again = app.browser();
    app.call(&again, "login", &[("email", &admin.email), ("password", PASSWORD)]).await.assert_status(429);
}

#[sqlx::test]
async fn turning_it_off_needs_the_password_and_ends_the_other_sessions(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let (seed, _) = enrol(&app, &admin.client, admin.id).await;
    let laptop = app.browser();
    password_step(&app, &laptop, &admin.email).await;
    app.call(&laptop, "second_factor", &[("code", &code(&seed, 1))]).await.assert_ok();

    app.call(&admin.client, "disable_two_factor", &[("password", "wrong password here")]).await.assert_status(422);
    assert!(overview(&app, &admin.client).await.factors.totp);
    app.call(&admin.client, "disable_two_factor", &[("password", PASSWORD)]).await.assert_ok();
    assert!(!overview(&app, &admin.client).await.factors.totp);
    assert!(session(&app, &admin.client).await.is_some(), "this session goes on");
    assert!(session(&app, &laptop).await.is_none(), "the other one ended");
    assert!(platform_actions(&db, admin.id).await.iter().any(|a| a == "auth.two_factor_disabled"));

    let fresh = app.browser();
    assert_eq!(password_step(&app, &fresh, &admin.email).await, LoginStep::SignedIn);
}

#[sqlx::test]
async fn an_organization_requiring_two_factor_sends_the_role_to_enrol_first(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let staff = world.a.member(Role::Staff);
    app.call(&staff.client, "list_equipment", &[]).await.assert_ok();

    // Admins may not set the rules; owners may. On with no role ticked: owners and admins.
    let on = [("require_2fa", "on"), ("idle_minutes", "15"), ("idle_roles[0]", "staff")];
    app.call(&world.a.member(Role::Admin).client, "update_sign_in_rules", &on).await.assert_status(403);
    app.call(owner, "update_sign_in_rules", &on).await.assert_ok();
    let rules: cleantrack::model::security::SignInRules =
        app.call(&staff.client, "get_sign_in_rules", &[]).await.assert_ok().json();
    assert_eq!(rules.require_2fa_roles, vec![Role::Owner, Role::Admin]);
    app.call(&staff.client, "list_equipment", &[]).await.assert_ok();
    let owner_call = app.call(owner, "list_equipment", &[]).await;
    owner_call.assert_status(403);
    assert!(owner_call.body.contains("two-factor"), "{}", owner_call.body);
    enrol(&app, owner, world.a.member(Role::Owner).id).await;
    app.call(owner, "list_equipment", &[]).await.assert_ok();

    // Now staff too: their very next request is sent to enrol.
    let staff_too = [("require_2fa", "on"), ("require_2fa_roles[0]", "staff"), ("idle_minutes", "15")];
    app.call(owner, "update_sign_in_rules", &staff_too).await.assert_ok();
    app.call(&staff.client, "list_equipment", &[]).await.assert_status(403);
    let page = staff.client.get(app.url("/app")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303, "a page sends them to enrol");
    assert_eq!(page.headers()["location"], "/account/security?required=1");
    let page = staff.client.get(app.url("/account/security?required=1")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("requires two-factor authentication for your role"));
    assert!(overview(&app, &staff.client).await.factors.required);

    enrol(&app, &staff.client, staff.id).await;
    app.call(&staff.client, "list_equipment", &[]).await.assert_ok();
    // World B is untouched by A's rule.
    app.call(&world.b.member(Role::Staff).client, "list_equipment", &[]).await.assert_ok();
    app.call(&world.b.member(Role::Owner).client, "list_equipment", &[]).await.assert_ok();
}
