//! Passkeys over real HTTP with a software authenticator (webauthn-authenticator-rs): real
//! WebAuthn ceremonies, signed for the origin we choose. Several per person, named, renamed and
//! removed; sign-in with one alone or after the password; another person's passkey and a
//! passkey signing for another origin are refused.

use cleantrack::model::role::Role;
use cleantrack::model::security::{LoginStep, SecurityPage, SessionsPage};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use url::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

use crate::helpers::{spawn_app, Call, TestApp};
use crate::world::{World, PASSWORD};

/// Our pages' origin as a browser sees it in development (a loopback address is `localhost`).
fn origin(app: &TestApp) -> Url {
    Url::parse(&format!("http://localhost:{}", app.addr.port())).unwrap()
}

/// A security key or phone: it falsifies nothing but the PIN prompt (user verification).
fn authenticator() -> SoftPasskey {
    SoftPasskey::new(true)
}

async fn register(app: &TestApp, client: &reqwest::Client, device: &mut SoftPasskey, name: &str) {
    let json: String = app.call(client, "passkey_register_start", &[]).await.assert_ok().json();
    let options: CreationChallengeResponse = serde_json::from_str(&json).unwrap();
    let credential = device.do_registration(origin(app), options).expect("the authenticator makes a credential");
    let credential = serde_json::to_string(&credential).unwrap();
    app.call(client, "passkey_register_finish", &[("name", name), ("credential", &credential)]).await.assert_ok();
}

async fn options_for(app: &TestApp, client: &reqwest::Client, email: &str) -> RequestChallengeResponse {
    let json: String = app.call(client, "passkey_login_start", &[("email", email)]).await.assert_ok().json();
    serde_json::from_str(&json).unwrap()
}

async fn answer(
    app: &TestApp,
    client: &reqwest::Client,
    device: &mut SoftPasskey,
    options: RequestChallengeResponse,
    from: Url,
) -> Call {
    let credential = device.do_authentication(from, options).expect("the authenticator signs");
    let credential = serde_json::to_string(&credential).unwrap();
    app.call(client, "passkey_login_finish", &[("credential", &credential)]).await
}

async fn signed_in_as(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    let info: Option<cleantrack::model::accounts::SessionInfo> =
        app.call(client, "session", &[]).await.assert_ok().json();
    info.map(|i| i.email)
}

#[sqlx::test]
async fn several_passkeys_are_named_and_each_signs_in_alone(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let staff = world.a.member(Role::Staff);
    let (mut phone, mut key) = (authenticator(), authenticator());
    register(&app, &staff.client, &mut phone, "Ward phone").await;
    register(&app, &staff.client, &mut key, "YubiKey").await;
    // A name is required, and the ceremony is used once.
    let json: String = app.call(&staff.client, "passkey_register_start", &[]).await.assert_ok().json();
    let credential = key.do_registration(origin(&app), serde_json::from_str(&json).unwrap());
    let credential = serde_json::to_string(&credential.unwrap()).unwrap();
    app.call(&staff.client, "passkey_register_finish", &[("name", " "), ("credential", &credential)])
        .await
        .assert_status(422);

    let page: SecurityPage = app.call(&staff.client, "security_overview", &[]).await.assert_ok().json();
    let names: Vec<&str> = page.passkeys.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ward phone", "YubiKey"]);

    // Alone: no password, and the session says how it signed in.
    let tablet = app.browser();
    let options = options_for(&app, &tablet, &staff.email).await;
    answer(&app, &tablet, &mut key, options, origin(&app)).await.assert_ok();
    assert_eq!(signed_in_as(&app, &tablet).await.as_deref(), Some(staff.email.as_str()));
    let sessions: SessionsPage = app.call(&tablet, "list_sessions", &[]).await.assert_ok().json();
    assert_eq!(sessions.sessions.iter().find(|s| s.current).unwrap().method, "Passkey");

    // Renamed; removed with the password only; a removed passkey no longer signs in.
    let yubikey = page.passkeys[1].id.to_string();
    app.call(&staff.client, "rename_passkey", &[("passkey_id", &yubikey), ("name", "Blue key")]).await.assert_ok();
    app.call(&staff.client, "remove_passkey", &[("passkey_id", &yubikey), ("password", "not it at all")])
        .await
        .assert_status(422);
    // Another person's passkey id is not found.
    let other = world.a.member(Role::Admin);
    app.call(&other.client, "remove_passkey", &[("passkey_id", &yubikey), ("password", PASSWORD)])
        .await
        .assert_status(404);
    app.call(&other.client, "rename_passkey", &[("passkey_id", &yubikey), ("name", "Mine")]).await.assert_status(404);
    app.call(&staff.client, "remove_passkey", &[("passkey_id", &yubikey), ("password", PASSWORD)]).await.assert_ok();
    let options = options_for(&app, &app.browser(), &staff.email).await;
    assert!(key.do_authentication(origin(&app), options).is_err(), "the challenge no longer names it");

    // An account without passkeys, or none at all: the same answer.
    let unknown = app.call(&app.browser(), "passkey_login_start", &[("email", "nobody@clinic.example")]).await;
    let without = app.call(&app.browser(), "passkey_login_start", &[("email", other.email.as_str())]).await;
    unknown.assert_status(422);
    assert_eq!(unknown.body, without.body);
}

#[sqlx::test]
async fn another_persons_passkey_or_another_origin_is_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (admin, staff) = (world.a.member(Role::Admin), world.a.member(Role::Staff));
    let (mut admins_key, mut staffs_key) = (authenticator(), authenticator());
    register(&app, &admin.client, &mut admins_key, "Admin's key").await;
    register(&app, &staff.client, &mut staffs_key, "Staff's key").await;

    // The admin's challenge, answered by the staff member's passkey (listed as if it were the
    // admin's): the signature is good, the passkey is not the admin's.
    let attacker = app.browser();
    let mut options = options_for(&app, &attacker, &admin.email).await;
    let staffs = options_for(&app, &app.browser(), &staff.email).await;
    options.public_key.allow_credentials = staffs.public_key.allow_credentials;
    let refused = answer(&app, &attacker, &mut staffs_key, options, origin(&app)).await;
    refused.assert_status(422);
    assert!(signed_in_as(&app, &attacker).await.is_none());

    // The admin's own passkey, signing for a look-alike site: refused.
    let phished = app.browser();
    let options = options_for(&app, &phished, &admin.email).await;
    let elsewhere = Url::parse("https://cleantrack.localhost").unwrap();
    answer(&app, &phished, &mut admins_key, options, elsewhere).await.assert_status(422);
    assert!(signed_in_as(&app, &phished).await.is_none());

    // The challenge is used once: the right answer after a refusal needs a new start.
    let options = options_for(&app, &phished, &admin.email).await;
    answer(&app, &phished, &mut admins_key, options, origin(&app)).await.assert_ok();
    assert_eq!(signed_in_as(&app, &phished).await.as_deref(), Some(admin.email.as_str()));
    let refusals: i64 =
        sqlx::query_scalar("SELECT count(*) FROM auth_attempts WHERE kind = 'login' AND email = $1 AND NOT succeeded")
            .bind(&admin.email)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(refusals, 2, "each refusal counts toward the lockout");
}

#[sqlx::test]
async fn a_passkey_is_the_second_step_after_a_password_and_meets_a_two_factor_rule(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = world.a.member(Role::Owner);
    let mut key = authenticator();
    register(&app, &owner.client, &mut key, "Office key").await;
    let rule = [("require_2fa", "on"), ("idle_minutes", "15")];
    app.call(&owner.client, "update_sign_in_rules", &rule).await.assert_ok();
    app.call(&owner.client, "list_equipment", &[]).await.assert_ok();

    let laptop = app.browser();
    let step: LoginStep =
        app.call(&laptop, "login", &[("email", owner.email.as_str()), ("password", PASSWORD)]).await.assert_ok().json();
    assert_eq!(step, LoginStep::SecondFactor { totp: false, passkey: true });
    assert!(signed_in_as(&app, &laptop).await.is_none());
    // No email needed: the person whose password was accepted.
    let json: String = app.call(&laptop, "passkey_login_start", &[]).await.assert_ok().json();
    answer(&app, &laptop, &mut key, serde_json::from_str(&json).unwrap(), origin(&app)).await.assert_ok();
    let sessions: SessionsPage = app.call(&laptop, "list_sessions", &[]).await.assert_ok().json();
    assert_eq!(sessions.sessions.iter().find(|s| s.current).unwrap().method, "Password and passkey");
}
