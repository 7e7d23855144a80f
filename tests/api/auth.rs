//! Registration, email verification, signing in and out, password reset and change, and the
//! bad input each must refuse clearly without leaving anything half-written.

mod passkeys;
mod session_control;
mod sessions;
mod sso;
mod two_factor;

use cleantrack::model::accounts::SessionInfo;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::world::PASSWORD;

const EMAIL: &str = "ana.silva@clinic.example";

/// Registers, and when that succeeds signs `client` in (registering itself signs nobody in).
async fn register(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> crate::helpers::Call {
    let call = app
        .call(
            client,
            "register",
            &[("name", "Ana Silva"), ("email", email), ("organization", "St Mary Clinic"), ("password", password)],
        )
        .await;
    if call.status == 200 {
        app.call(client, "login", &[("email", email), ("password", password)]).await.assert_ok();
    }
    call
}

async fn session(app: &TestApp, client: &reqwest::Client) -> Option<SessionInfo> {
    app.call(client, "session", &[]).await.assert_ok().json()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test]
async fn registration_creates_an_owner_who_must_verify_the_email_before_working(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let client = app.browser();
    let form = [
        ("name", "Ana Silva"),
        ("email", " Ana.Silva@Clinic.example "),
        ("organization", "St Mary Clinic"),
        ("password", PASSWORD),
    ];
    app.call(&client, "register", &form).await.assert_ok();
    assert!(session(&app, &client).await.is_none(), "registering signs nobody in: the address is confirmed first");
    app.call(&client, "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_ok();

    let info = session(&app, &client).await.expect("signed in");
    assert_eq!(info.email, EMAIL, "the address is normalized");
    assert!(!info.email_verified);
    let current = info.current.expect("a current organization");
    assert_eq!((current.org_name.as_str(), current.role), ("St Mary Clinic", Role::Owner));

    // Tenant work waits for verification.
    app.call(&client, "list_members", &[]).await.assert_status(403);

    let (subject, link) = app.last_email(EMAIL).await.expect("a verification email");
    assert_eq!(subject, "Confirm your email address");
    assert!(link.starts_with("http://127.0.0.1:") && link.contains("/verify-email?token="), "{link}");
    let token = app.last_token(EMAIL).await;
    app.call(&client, "verify_email", &[("token", &token)]).await.assert_ok();
    assert!(session(&app, &client).await.unwrap().email_verified);
    app.call(&client, "list_members", &[]).await.assert_ok();

    // The link is single-use.
    let again = app.call(&client, "verify_email", &[("token", &token)]).await;
    again.assert_status(422);
    assert!(again.body.contains("already used"), "{}", again.body);
}

#[sqlx::test]
async fn bad_registrations_are_refused_clearly_and_leave_nothing_behind(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let client = app.browser();
    let cases = [
        ("not-an-email", PASSWORD, "valid email address"),
        (EMAIL, "short", "at least 12 characters"),
        (EMAIL, "password1234", "too common"),
        (EMAIL, EMAIL, "too common"),
    ];
    for (email, password, message) in cases {
        let call = register(&app, &client, email, password).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{email}/{password}: {}", call.body);
    }
    for table in ["users", "outbound_emails"] {
        assert_eq!(count(&app, table).await, 0, "{table} after refused registrations");
    }
    assert!(session(&app, &client).await.is_none());

    register(&app, &client, EMAIL, PASSWORD).await.assert_ok();
}

#[sqlx::test]
async fn registering_an_address_that_has_an_account_answers_as_for_a_new_one_and_tells_its_owner(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let form =
        |email| [("name", "Someone"), ("email", email), ("organization", "Other Clinic"), ("password", PASSWORD)];
    let first = app.call(&app.browser(), "register", &form(EMAIL)).await;
    let again = app.call(&app.browser(), "register", &form(EMAIL)).await;
    let fresh = app.call(&app.browser(), "register", &form("new.person@clinic.example")).await;
    for call in [&first, &again, &fresh] {
        call.assert_ok();
    }
    assert_eq!((again.status, &again.body), (fresh.status, &fresh.body), "the answers must not tell the two apart");
    assert_eq!(count(&app, "users").await, 2);
    let organizations: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(&crate::helpers::superuser_pool(&db).await)
        .await
        .unwrap();
    assert_eq!(organizations, 2, "nothing created for the taken address");
    let (subject, link) = app.last_email(EMAIL).await.unwrap();
    assert_eq!(subject, "You already have a CleanTrack account");
    assert!(link.ends_with("/login"), "{link}");
}

#[sqlx::test]
async fn a_wrong_password_or_unknown_email_gets_the_same_message(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    let client = app.browser();
    let wrong = app.call(&client, "login", &[("email", EMAIL), ("password", "violet kettle harbour dram")]).await;
    let unknown = app.call(&client, "login", &[("email", "nobody@clinic.example"), ("password", PASSWORD)]).await;
    wrong.assert_status(422);
    assert_eq!(wrong.body, unknown.body, "the answer must not reveal which part was wrong");
    assert!(session(&app, &client).await.is_none());
}

#[sqlx::test]
async fn an_unknown_email_costs_a_password_verification_like_a_wrong_password(_: PgPoolOptions, db: PgConnectOptions) {
    use cleantrack::server::auth::password::VERIFICATIONS;
    use std::sync::atomic::Ordering;
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    // Other tests of this process verify passwords too: repeat until no other ran meanwhile.
    let ran = |email: &'static str| {
        let app = &app;
        async move {
            for _ in 0..50 {
                // Retries must not run into the lockout.
                sqlx::query("DELETE FROM auth_attempts").execute(&app.pool).await.unwrap();
                let before = VERIFICATIONS.load(Ordering::SeqCst);
                app.call(&app.browser(), "login", &[("email", email), ("password", "guess guess guess")])
                    .await
                    .assert_status(422);
                let after = VERIFICATIONS.load(Ordering::SeqCst);
                if after - before <= 1 {
                    return after - before;
                }
            }
            panic!("other tests kept verifying passwords");
        }
    };
    assert_eq!(ran(EMAIL).await, 1, "a wrong password is checked");
    assert_eq!(ran("nobody@clinic.example").await, 1, "an unknown email is checked against a dummy hash");
}

#[sqlx::test]
async fn repeated_wrong_passwords_lock_the_account_even_for_the_right_one(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    let attacker = app.browser();
    for _ in 0..5 {
        app.call(&attacker, "login", &[("email", EMAIL), ("password", "guess guess guess")]).await.assert_status(422);
    }
    let locked = app.call(&attacker, "login", &[("email", EMAIL), ("password", PASSWORD)]).await;
    locked.assert_status(429);
    // The real time left (a minute since the last failure, less the moments the test took).
    let seconds: u32 = locked
        .body
        .split("Try again in ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((50..=60).contains(&seconds) && locked.body.contains(" seconds"), "{}", locked.body);
    // The lock is kept in Postgres, so it holds for any client and any app instance.
    app.call(&app.browser(), "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_status(429);

    // Once the back-off has passed (moved into the past here), the right password works again.
    sqlx::query("UPDATE auth_attempts SET created_at = created_at - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.call(&app.browser(), "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_ok();
}

#[sqlx::test]
async fn the_next_parameter_never_leads_to_another_site(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    for (next, expected) in [("/team", "/team"), ("https://evil.example/", "/app"), ("//evil.example", "/app")] {
        // A plain form post (no JavaScript): the server answers with the redirect itself.
        let response = app
            .browser()
            .post(app.url("/api/login"))
            .header("accept", "text/html")
            .form(&[("email", EMAIL), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection(), "{}", response.status());
        assert_eq!(response.headers()["location"], expected, "next={next}");
    }
}

#[sqlx::test]
async fn a_cross_origin_post_is_refused_before_it_does_anything(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let form = [("name", "Mallory"), ("email", "m@evil.example"), ("organization", "Evil"), ("password", PASSWORD)];
    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response =
            app.client.post(app.url("/api/register")).header(header, value).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 403, "{header}: {value}");
    }
    let no_origin = app.client.post(app.url("/api/register")).form(&form).send().await.unwrap();
    assert_eq!(no_origin.status(), 403, "a POST that says nothing about where it comes from");
    // Server functions answer POST only, so a link or an image tag cannot trigger one.
    let query = "name=M&email=m%40evil.example&organization=E&password=violet+kettle+harbour+drum";
    let get = app.client.get(app.url(&format!("/api/register?{query}"))).send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(count(&app, "users").await, 0);
}

#[sqlx::test]
async fn a_password_reset_is_single_use_and_answers_the_same_for_unknown_addresses(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let owner = app.browser();
    register(&app, &owner, EMAIL, PASSWORD).await.assert_ok();
    let anonymous = app.browser();

    let known = app.call(&anonymous, "request_password_reset", &[("email", EMAIL)]).await;
    let unknown = app.call(&anonymous, "request_password_reset", &[("email", "nobody@clinic.example")]).await;
    known.assert_ok();
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(app.last_email("nobody@clinic.example").await.is_none());
    let (subject, _) = app.last_email(EMAIL).await.unwrap();
    assert_eq!(subject, "Reset your password");

    let token = app.last_token(EMAIL).await;
    let weak = app.call(&anonymous, "reset_password", &[("token", &token), ("password", "short")]).await;
    weak.assert_status(422);
    let new_password = "amber lantern orchard piano";
    app.call(&anonymous, "reset_password", &[("token", &token), ("password", new_password)]).await.assert_ok();
    app.call(&anonymous, "reset_password", &[("token", &token), ("password", "another fine passphrase")])
        .await
        .assert_status(422);

    // The old password is gone, the session that used it is over, the new one works.
    assert!(session(&app, &owner).await.is_none(), "resetting the password ends existing sessions");
    app.call(&app.browser(), "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_status(422);
    app.call(&app.browser(), "login", &[("email", EMAIL), ("password", new_password)]).await.assert_ok();
}

#[sqlx::test]
async fn an_expired_reset_link_is_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    app.call(&app.browser(), "request_password_reset", &[("email", EMAIL)]).await.assert_ok();
    let token = app.last_token(EMAIL).await;
    sqlx::query("UPDATE user_tokens SET expires_at = now() - interval '1 second'").execute(&app.pool).await.unwrap();
    let call = app
        .call(&app.browser(), "reset_password", &[("token", &token), ("password", "amber lantern orchard piano")])
        .await;
    call.assert_status(422);
    assert!(call.body.contains("expired"), "{}", call.body);
}

#[sqlx::test]
async fn changing_the_password_signs_out_the_other_sessions_only(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let here = app.browser();
    register(&app, &here, EMAIL, PASSWORD).await.assert_ok();
    let elsewhere = app.browser();
    app.call(&elsewhere, "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_ok();
    assert!(session(&app, &elsewhere).await.is_some());

    let wrong = app
        .call(&here, "change_password", &[("current", "not it at all"), ("password", "amber lantern orchard piano")])
        .await;
    wrong.assert_status(422);
    app.call(&here, "change_password", &[("current", PASSWORD), ("password", "amber lantern orchard piano")])
        .await
        .assert_ok();

    assert!(session(&app, &here).await.is_some(), "this session stays signed in");
    assert!(session(&app, &elsewhere).await.is_none(), "the other session is signed out");
}

#[sqlx::test]
async fn login_cycles_the_session_id_and_logout_ends_the_session(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    register(&app, &app.browser(), EMAIL, PASSWORD).await.assert_ok();
    // A session that exists before signing in (as a fixation attacker would plant one).
    let client = app.browser();
    let before = app.login_response(EMAIL, PASSWORD, None).await;
    let cookie = before.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let first_id = cookie.split(';').next().unwrap().to_owned();
    let planted = app.login_response(EMAIL, PASSWORD, Some(&first_id)).await;
    let second = planted.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(first_id, second, "signing in issues a new session id");

    app.call(&client, "login", &[("email", EMAIL), ("password", PASSWORD)]).await.assert_ok();
    app.call(&client, "logout", &[]).await.assert_ok();
    assert!(session(&app, &client).await.is_none());
}

#[sqlx::test]
async fn registration_and_reset_requests_are_limited_per_address(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    for i in 0..10 {
        let email = format!("user{i}@clinic.example");
        register(&app, &app.browser(), &email, PASSWORD).await.assert_ok();
    }
    let eleventh = register(&app, &app.browser(), "user10@clinic.example", PASSWORD).await;
    eleventh.assert_status(429);
    assert_eq!(count(&app, "users").await, 10, "the refused registration wrote nothing");

    for _ in 0..10 {
        app.call(&app.browser(), "request_password_reset", &[("email", "user0@clinic.example")]).await.assert_ok();
    }
    app.call(&app.browser(), "request_password_reset", &[("email", "user0@clinic.example")]).await.assert_status(429);
    let resets: i64 = sqlx::query_scalar("SELECT count(*) FROM outbound_emails WHERE subject = 'Reset your password'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(resets, 3, "at most 3 reset emails per account per hour, whatever the number of requests");
}

#[sqlx::test]
async fn the_development_mail_page_exists_only_in_development(_: PgPoolOptions, db: PgConnectOptions) {
    let dev = spawn_app(db.clone()).await;
    register(&dev, &dev.browser(), EMAIL, PASSWORD).await.assert_ok();
    let page = dev.get("/dev/mail").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Confirm your email address"));

    let production = crate::helpers::spawn_app_with(crate::helpers::config_for(
        db,
        &[
            ("APP_ENV", "production"),
            ("SECRET_KEY", "q3V9xK2mP8rT5wZ1nB7cF4hJ6dL0sG3aY8eU2iO5pR9tW1zX"),
            ("AUDIT_SIGNING_KEY", "2tzKGh6xqQkOeTLEnIWM1FZcGokRkRwf5ruXlEVNchA="),
            ("ALLOWED_HOSTS", "127.0.0.1"),
            ("PUBLIC_URL", "https://cleantrack.example"),
            ("EMAIL_FROM", "no-reply@cleantrack.example"),
            ("SECURE_SSL_REDIRECT", "false"),
        ],
    ))
    .await;
    let page = production.get("/dev/mail").await;
    assert_eq!(page.status(), 404);
    assert!(!page.text().await.unwrap().contains("Confirm your email address"));
}
