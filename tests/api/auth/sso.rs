//! Single sign-on against a real OpenID Provider: `oidc-provider` (certified by the OpenID
//! Foundation) run by `end2end/oidc/provider.mjs`, reached over HTTP like Entra ID or Okta
//! would be. Sign-in and just-in-time membership, invited-only, the ID token checks (audience,
//! nonce, expiry, issuer, signature), enforced single sign-on with the owners' break-glass, and
//! a provider that cannot sign anyone into another organization.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use cleantrack::model::accounts::SessionInfo;
use cleantrack::model::role::Role;
use cleantrack::model::security::{LoginStep, SsoSettings};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use url::Url;

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{World, PASSWORD};

const SECRET: &str = "provider-issued-client-secret-7f3a";

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
    client_id: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// A provider knowing one client, `client_id`, which returns to `app`'s callback.
    fn start(app: &TestApp, client_id: &str) -> Provider {
        let redirect = app.state.config.public_url.join("/sso/callback").unwrap().to_string();
        let clients =
            serde_json::json!([{ "client_id": client_id, "client_secret": SECRET, "redirect_uris": [redirect] }]);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("PORT", "0")
            .env("CLIENTS", clients.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the OpenID Provider (scripts/test.sh installs node and end2end/node_modules)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = lines
            .find_map(|line| line.ok()?.strip_prefix("ready ").map(str::to_owned))
            .expect("the provider says where it listens");
        // Keep reading what it prints: a closed pipe would end it at its next line.
        std::thread::spawn(move || lines.for_each(drop));
        Provider { child, issuer, client_id: client_id.to_owned() }
    }

    /// The next ID token the provider issues is re-signed with these changes.
    async fn tamper(&self, changes: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/tamper", self.issuer))
            .body(changes.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 204);
    }
}

async fn configure(
    app: &TestApp,
    owner: &reqwest::Client,
    provider: &Provider,
    domains: &str,
    jit_role: &str,
    enforced: bool,
) -> crate::helpers::Call {
    let mut form = vec![
        ("issuer", provider.issuer.as_str()),
        ("client_id", provider.client_id.as_str()),
        ("client_secret", SECRET),
        ("domains", domains),
        ("jit_role", jit_role),
    ];
    if enforced {
        form.push(("enforced", "on"));
    }
    app.call(owner, "save_sso_settings", &form).await
}

/// A whole single sign-on in `browser`: our start page, the provider's login (as `login`) and
/// consent forms, and back to our callback. Returns where the callback sends the browser.
async fn sign_in_through(app: &TestApp, browser: &reqwest::Client, email: &str, login: &str) -> String {
    let start = browser.get(app.url(&format!("/sso/start?email={email}"))).send().await.unwrap();
    if start.status().is_redirection() {
        return start.headers()["location"].to_str().unwrap().to_owned();
    }
    let page = start.text().await.unwrap();
    let onward =
        page.split("url=").nth(1).and_then(|rest| rest.split('"').next()).expect("the page moves on to the provider");
    let mut url = Url::parse(&onward.replace("&amp;", "&")).unwrap();
    let callback = app.state.config.public_url.join("/sso/callback").unwrap();
    for _ in 0..20 {
        if url.path() == callback.path() && url.port() == callback.port() {
            // The provider returns to our callback (the configured address), on this app.
            let back =
                browser.get(app.url(&format!("/sso/callback?{}", url.query().unwrap_or("")))).send().await.unwrap();
            assert!(back.status().is_redirection(), "{}", back.status());
            return back.headers()["location"].to_str().unwrap().to_owned();
        }
        let response = browser.get(url.clone()).send().await.unwrap();
        if response.status().is_redirection() {
            url = url.join(response.headers()["location"].to_str().unwrap()).unwrap();
            continue;
        }
        let html = response.text().await.unwrap();
        let action = html.split("action=\"").nth(1).and_then(|r| r.split('"').next()).expect("a provider form");
        let prompt = html.split("name=\"prompt\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
        let form: Vec<(&str, &str)> = match prompt {
            "login" => vec![("prompt", "login"), ("login", login), ("password", "any")],
            _ => vec![("prompt", prompt)],
        };
        let posted = browser.post(url.join(action).unwrap()).form(&form).send().await.unwrap();
        assert!(posted.status().is_redirection(), "{}", posted.status());
        url = url.join(posted.headers()["location"].to_str().unwrap()).unwrap();
    }
    panic!("the provider never sent the browser back");
}

async fn session(app: &TestApp, client: &reqwest::Client) -> Option<SessionInfo> {
    app.call(client, "session", &[]).await.assert_ok().json()
}

async fn notice(app: &TestApp, client: &reqwest::Client) -> String {
    let text: Option<String> = app.call(client, "sign_in_notice", &[]).await.assert_ok().json();
    text.unwrap_or_default()
}

async fn refusals(db: &PgConnectOptions) -> Vec<String> {
    sqlx::query_scalar("SELECT after ->> 'reason' FROM audit_events WHERE action = 'auth.sso_refused' ORDER BY id")
        .fetch_all(&superuser_pool(db).await)
        .await
        .unwrap()
}

#[sqlx::test]
async fn single_sign_on_signs_in_members_and_provisions_newcomers_with_the_chosen_role(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let provider = Provider::start(&app, "cleantrack-a");

    // Wrong settings are refused with reasons; admins may not set it at all.
    configure(&app, &world.a.member(Role::Admin).client, &provider, "a.example", "staff", false)
        .await
        .assert_status(403);
    configure(&app, owner, &provider, "b.example", "staff", false).await.assert_status(422);
    configure(&app, owner, &provider, "a.example", "owner", false).await.assert_status(422);
    let plain = [
        ("issuer", "http://idp.example"),
        ("client_id", "x"),
        ("client_secret", "y"),
        ("domains", "a.example"),
        ("jit_role", ""),
    ];
    app.call(owner, "save_sso_settings", &plain).await.assert_status(422);
    let long = format!("https://idp.example/{}", "x".repeat(500));
    let too_long = [
        ("issuer", long.as_str()),
        ("client_id", "x"),
        ("client_secret", "y"),
        ("domains", "a.example"),
        ("jit_role", ""),
    ];
    app.call(owner, "save_sso_settings", &too_long).await.assert_status(422);
    configure(&app, owner, &provider, "a.example", "supervisor", false).await.assert_ok();
    let saved = app.call(owner, "get_sso_settings", &[]).await;
    saved.assert_ok();
    assert!(!saved.body.contains(SECRET), "the secret is never shown again");
    let saved: SsoSettings = saved.json();
    assert_eq!((saved.domains, saved.jit_role), (vec!["a.example".to_owned()], Some(Role::Supervisor)));
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT client_secret_sealed FROM sso_providers")
        .fetch_one(&superuser_pool(&db).await)
        .await
        .unwrap();
    assert!(!sealed.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "stored encrypted");

    // A newcomer from the domain: an account and a membership with the chosen role.
    let nurse = app.browser();
    assert_eq!(sign_in_through(&app, &nurse, "nurse@a.example", "nurse@a.example").await, "/app");
    let info = session(&app, &nurse).await.expect("signed in");
    assert_eq!((info.email.as_str(), info.current.unwrap().role), ("nurse@a.example", Role::Supervisor));
    app.call(&nurse, "list_equipment", &[]).await.assert_ok();
    // An existing member keeps their role.
    let staff = app.browser();
    sign_in_through(&app, &staff, "staff@a.example", "staff@a.example").await;
    assert_eq!(session(&app, &staff).await.unwrap().current.unwrap().role, Role::Staff);
    let methods: Vec<String> = sqlx::query_scalar(
        "SELECT method FROM user_sessions u JOIN users x ON x.id = u.user_id WHERE x.email = 'nurse@a.example'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(methods, ["sso"]);
    let added: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE org_id = $1 AND action = 'auth.sso_member_added'")
            .bind(world.a.id)
            .fetch_one(&superuser_pool(&db).await)
            .await
            .unwrap();
    assert_eq!(added, 1);

    // Invited people only: a newcomer is refused and told why.
    configure(&app, owner, &provider, "a.example", "", false).await.assert_ok();
    let stranger = app.browser();
    assert_eq!(sign_in_through(&app, &stranger, "stranger@a.example", "stranger@a.example").await, "/login?sso=failed");
    assert!(session(&app, &stranger).await.is_none());
    assert!(notice(&app, &stranger).await.contains("invited people only"));
    // An email with no provider is told so.
    let elsewhere = app.browser();
    assert_eq!(sign_in_through(&app, &elsewhere, "someone@elsewhere.example", "x").await, "/login?sso=failed");
    assert!(notice(&app, &elsewhere).await.contains("No organization signs in with single sign-on"));
}

#[sqlx::test]
async fn id_tokens_that_do_not_check_out_are_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let provider = Provider::start(&app, "cleantrack-a");
    configure(&app, &world.a.member(Role::Owner).client, &provider, "a.example", "staff", false).await.assert_ok();

    let expired = time::OffsetDateTime::now_utc().unix_timestamp() - 600;
    let cases = [
        (serde_json::json!({ "aud": "another-application" }), "audience"),
        (serde_json::json!({ "nonce": "a-nonce-from-another-sign-in" }), "nonce"),
        (serde_json::json!({ "exp": expired }), "expire"),
        (serde_json::json!({ "iss": "https://foreign-issuer.example" }), "issuer"),
        (serde_json::json!({ "foreign_key": true }), "signature"),
    ];
    for (changes, what) in &cases {
        provider.tamper(changes.clone()).await;
        let browser = app.browser();
        let landed = sign_in_through(&app, &browser, "staff@a.example", "staff@a.example").await;
        assert_eq!(landed, "/login?sso=failed", "{changes}");
        assert!(session(&app, &browser).await.is_none(), "{changes}");
        assert!(notice(&app, &browser).await.contains("refused"), "{changes}");
        let reason = refusals(&db).await.pop().unwrap_or_default().to_lowercase();
        assert!(reason.contains(what), "{changes}: {reason}");
    }
    // The same provider, untampered: accepted.
    let browser = app.browser();
    assert_eq!(sign_in_through(&app, &browser, "staff@a.example", "staff@a.example").await, "/app");
    assert_eq!(refusals(&db).await.len(), cases.len());
}

#[sqlx::test]
async fn a_provider_signs_people_into_its_own_organization_only(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let provider = Provider::start(&app, "cleantrack-a");
    configure(&app, &world.a.member(Role::Owner).client, &provider, "a.example", "staff", false).await.assert_ok();
    // B cannot claim A's domain.
    let b_owner = &world.b.member(Role::Owner).client;
    let b_provider = Provider::start(&app, "cleantrack-b");
    configure(&app, b_owner, &b_provider, "a.example", "staff", false).await.assert_status(422);
    assert!(!app.call(b_owner, "get_sso_settings", &[]).await.json::<SsoSettings>().configured);

    // A's provider vouching for an address of B's domain: refused.
    let browser = app.browser();
    let landed = sign_in_through(&app, &browser, "staff@a.example", "staff@b.example").await;
    assert_eq!(landed, "/login?sso=failed");
    assert!(session(&app, &browser).await.is_none());

    // Someone in both organizations, signed in through A's provider, works in A only.
    let su = superuser_pool(&db).await;
    let both: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'auditor@a.example'").fetch_one(&su).await.unwrap();
    sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'admin')")
        .bind(world.b.id)
        .bind(both)
        .execute(&su)
        .await
        .unwrap();
    let browser = app.browser();
    sign_in_through(&app, &browser, "auditor@a.example", "auditor@a.example").await;
    let info = session(&app, &browser).await.unwrap();
    assert_eq!(info.memberships.iter().map(|m| m.org_id).collect::<Vec<_>>(), [world.a.id]);
    app.call(&browser, "switch_org", &[("org_id", &world.b.id.to_string())]).await.assert_status(404);
    let a_sites: Vec<cleantrack::model::facilities::Facility> =
        app.call(&browser, "list_facilities", &[]).await.assert_ok().json();
    let b_sites: Vec<cleantrack::model::facilities::Facility> =
        app.call(&world.b.member(Role::Owner).client, "list_facilities", &[]).await.assert_ok().json();
    assert!(a_sites.iter().all(|f| b_sites.iter().all(|g| g.id != f.id)));
    // With a password, the same person reaches B as usual.
    let with_password = World::sign_in(&app, "auditor@a.example").await;
    app.call(&with_password, "switch_org", &[("org_id", &world.b.id.to_string())]).await.assert_ok();
}

#[sqlx::test]
async fn enforced_single_sign_on_refuses_passwords_except_owners_with_two_factor(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = world.a.member(Role::Owner);
    let provider = Provider::start(&app, "cleantrack-a");
    configure(&app, &owner.client, &provider, "a.example", "staff", true).await.assert_ok();

    let refused = app.call(&app.browser(), "login", &[("email", "staff@a.example"), ("password", PASSWORD)]).await;
    refused.assert_status(403);
    assert!(refused.body.contains("single sign-on"), "{}", refused.body);
    // The owner without a second factor: refused too.
    app.call(&app.browser(), "login", &[("email", owner.email.as_str()), ("password", PASSWORD)])
        .await
        .assert_status(403);
    // B's members are not affected.
    app.call(&app.browser(), "login", &[("email", "staff@b.example"), ("password", PASSWORD)]).await.assert_ok();

    // Break-glass: the owner with two-factor signs in with the password and a code.
    crate::auth::two_factor::enrol(&app, &owner.client, owner.id).await;
    let glass = app.browser();
    let step: LoginStep =
        app.call(&glass, "login", &[("email", owner.email.as_str()), ("password", PASSWORD)]).await.assert_ok().json();
    assert!(matches!(step, LoginStep::SecondFactor { totp: true, .. }));
    // Staff sign in through the provider.
    let staff = app.browser();
    assert_eq!(sign_in_through(&app, &staff, "staff@a.example", "staff@a.example").await, "/app");
}
