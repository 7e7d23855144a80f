//! Sessions people see and end: "my sessions" and "sign out everywhere else", an owner ending a
//! member's sessions, a role change or removal ending them at once, and the idle sign-out, all
//! enforced by the server (`auth::sessions::guard`), not the browser.

use cleantrack::model::accounts::SessionInfo;
use cleantrack::model::ids::UserId;
use cleantrack::model::role::Role;
use cleantrack::model::security::SessionsPage;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::world::{World, PASSWORD};

async fn session(app: &TestApp, client: &reqwest::Client) -> Option<SessionInfo> {
    app.call(client, "session", &[]).await.assert_ok().json()
}

async fn second_browser(app: &TestApp, email: &str, shared: bool) -> reqwest::Client {
    let client = app.browser();
    let mut form = vec![("email", email), ("password", PASSWORD)];
    if shared {
        form.push(("shared_device", "on"));
    }
    app.call(&client, "login", &form).await.assert_ok();
    client
}

/// Makes every open session of `user` look idle for `minutes`, on the database and in this
/// instance's memory (as a second instance, which remembers nothing, would see it).
async fn idle_for(app: &TestApp, user: UserId, minutes: i32) {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "UPDATE user_sessions SET last_seen_at = now() - make_interval(mins => $2)
         WHERE user_id = $1 AND ended_at IS NULL RETURNING id",
    )
    .bind(user)
    .bind(minutes)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for id in ids {
        app.state.auth_cache.forget_session(id);
    }
}

async fn ended_reasons(app: &TestApp, user: UserId) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT ended_reason FROM user_sessions WHERE user_id = $1 AND ended_at IS NOT NULL ORDER BY ended_at",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn my_sessions_lists_each_browser_and_signs_out_the_others(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let tablet = second_browser(&app, &admin.email, true).await;
    let laptop = second_browser(&app, &admin.email, false).await;

    let page: SessionsPage = app.call(&admin.client, "list_sessions", &[]).await.assert_ok().json();
    assert_eq!(page.sessions.len(), 3, "{page:?}");
    assert_eq!(page.sessions.iter().filter(|s| s.current).count(), 1);
    assert!(page.sessions.iter().any(|s| s.shared_device));
    assert!(page.sessions.iter().all(|s| s.place == "127.0.0.1" && s.method == "Password"), "{page:?}");

    // One by its id; another person's id, or a made-up one, is not found.
    let tablet_id = page.sessions.iter().find(|s| s.shared_device).unwrap().id.to_string();
    let other = app.call(&world.a.member(Role::Staff).client, "end_session", &[("session_id", &tablet_id)]).await;
    other.assert_status(404);
    app.call(&admin.client, "end_session", &[("session_id", &uuid::Uuid::new_v4().to_string())])
        .await
        .assert_status(404);
    app.call(&admin.client, "end_session", &[("session_id", &tablet_id)]).await.assert_ok();
    assert!(session(&app, &tablet).await.is_none(), "the tablet's cookie no longer signs in");
    assert!(session(&app, &laptop).await.is_some());

    // Everywhere else: the laptop ends, this one goes on.
    let ended: usize = app.call(&admin.client, "end_session", &[]).await.assert_ok().json();
    assert_eq!(ended, 1);
    // Its next page goes to the sign-in page saying why; then it is simply signed out.
    let page = laptop.get(app.url("/equipment")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert!(page.headers()["location"].to_str().unwrap().starts_with("/login?ended=ended"));
    assert!(session(&app, &laptop).await.is_none());
    assert!(session(&app, &admin.client).await.is_some());
    assert_eq!(ended_reasons(&app, admin.id).await, ["ended_by_self", "ended_by_self"]);
    let page: SessionsPage = app.call(&admin.client, "list_sessions", &[]).await.assert_ok().json();
    assert_eq!(page.sessions.len(), 1);
}

#[sqlx::test]
async fn idle_sessions_end_on_the_server_for_the_chosen_roles_and_shared_devices(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let staff = world.a.member(Role::Staff);
    let supervisor = world.a.member(Role::Supervisor);
    let on_ward_tablet = second_browser(&app, &supervisor.email, true).await;

    // The default: 15 minutes for staff; a supervisor only on the shared device.
    let info = session(&app, &staff.client).await.unwrap();
    assert_eq!(info.idle_limit_seconds, Some(15 * 60));
    assert_eq!(session(&app, &supervisor.client).await.unwrap().idle_limit_seconds, None);
    assert_eq!(session(&app, &on_ward_tablet).await.unwrap().idle_limit_seconds, Some(15 * 60));

    idle_for(&app, staff.id, 14).await;
    app.call(&staff.client, "list_equipment", &[]).await.assert_ok();
    idle_for(&app, staff.id, 16).await;
    app.call(&staff.client, "list_equipment", &[]).await.assert_status(401);
    assert!(session(&app, &staff.client).await.is_none());
    assert_eq!(ended_reasons(&app, staff.id).await, ["idle"]);

    idle_for(&app, supervisor.id, 16).await;
    assert!(session(&app, &supervisor.client).await.is_some(), "a personal device of a supervisor stays");
    let page = on_ward_tablet.get(app.url("/app")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert!(page.headers()["location"].to_str().unwrap().starts_with("/login?ended=idle"));

    // The owner shortens it and adds supervisors; bad values are refused.
    let owner = &world.a.member(Role::Owner).client;
    app.call(owner, "update_sign_in_rules", &[("idle_minutes", "0")]).await.assert_status(422);
    app.call(owner, "update_sign_in_rules", &[("idle_minutes", "soon")]).await.assert_status(422);
    let rules = [("idle_minutes", "5"), ("idle_roles[0]", "staff"), ("idle_roles[1]", "supervisor")];
    app.call(owner, "update_sign_in_rules", &rules).await.assert_ok();
    assert_eq!(session(&app, &supervisor.client).await.unwrap().idle_limit_seconds, Some(5 * 60));
    idle_for(&app, supervisor.id, 6).await;
    assert!(session(&app, &supervisor.client).await.is_none());
    // B's members keep B's rules.
    assert_eq!(session(&app, &world.b.member(Role::Supervisor).client).await.unwrap().idle_limit_seconds, None);
}

#[sqlx::test]
async fn owners_end_a_members_sessions_and_role_changes_end_them_at_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let staff = world.a.member(Role::Staff);
    let staff_id = staff.id.to_string();
    let phone = second_browser(&app, &staff.email, false).await;

    app.call(&world.a.member(Role::Admin).client, "end_member_sessions", &[("user_id", &staff_id)])
        .await
        .assert_status(403);
    // Another organization's owner: not found, and nothing ends.
    app.call(&world.b.member(Role::Owner).client, "end_member_sessions", &[("user_id", &staff_id)])
        .await
        .assert_status(404);
    assert!(session(&app, &phone).await.is_some());
    let ended: usize = app.call(owner, "end_member_sessions", &[("user_id", &staff_id)]).await.assert_ok().json();
    assert_eq!(ended, 2);
    assert!(session(&app, &staff.client).await.is_none() && session(&app, &phone).await.is_none());
    let trail: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE org_id = $1 AND action = 'auth.member_sessions_ended'",
    )
    .bind(world.a.id)
    .fetch_all(&crate::helpers::superuser_pool(&db).await)
    .await
    .unwrap();
    assert_eq!(trail.len(), 1);

    // A new role: signed out at once, to sign in again into what the role may do.
    let supervisor = world.a.member(Role::Supervisor);
    app.call(owner, "change_role", &[("user_id", &supervisor.id.to_string()), ("role", "staff")]).await.assert_ok();
    assert!(session(&app, &supervisor.client).await.is_none());
    assert_eq!(ended_reasons(&app, supervisor.id).await, ["role_changed"]);
    // Removed: likewise.
    let auditor = world.a.member(Role::Auditor);
    app.call(owner, "remove_member", &[("user_id", &auditor.id.to_string())]).await.assert_ok();
    assert!(session(&app, &auditor.client).await.is_none());
    assert_eq!(ended_reasons(&app, auditor.id).await, ["removed"]);
}

#[sqlx::test]
async fn a_new_password_ends_the_other_sessions_on_the_record(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = world.a.member(Role::Admin);
    let laptop = second_browser(&app, &admin.email, false).await;
    let new = "a brand new passphrase for the ward";
    app.call(&admin.client, "change_password", &[("current", PASSWORD), ("password", new)]).await.assert_ok();
    assert!(session(&app, &laptop).await.is_none());
    assert!(session(&app, &admin.client).await.is_some());
    assert_eq!(ended_reasons(&app, admin.id).await, ["password_changed"]);
}
