//! Sessions and the few seconds' memory of them (`server::auth::cache`): a signed-out cookie is
//! refused at once, a removed member loses the sticker and the header at once (their sessions end), a remembered
//! session costs no SQL, and a session in use keeps moving its end forward.

use cleantrack::model::accounts::SessionInfo;
use cleantrack::model::role::Role;
use cleantrack::server::http::sessions::{RENEWED_AT_KEY, RENEW_EVERY};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tower_sessions::session::Id;
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::PostgresStore;

use crate::equipment::stickers::{page, sticker};
use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{World, PASSWORD};

/// Signs `email` in and returns the session cookie (`name=value`), as someone who copied it
/// would hold it.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let response = app.login_response(email, PASSWORD, None).await;
    assert!(response.status().is_success(), "{}", response.status());
    response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// A client that sends `cookie` on every request and never changes it.
fn replaying(app: &TestApp, cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", app.url("").parse().unwrap());
    headers.insert("cookie", cookie.parse().unwrap());
    reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn session(app: &TestApp, client: &reqwest::Client) -> Option<SessionInfo> {
    app.call(client, "session", &[]).await.assert_ok().json()
}

#[sqlx::test]
async fn a_signed_out_cookie_is_refused_at_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let cookie = session_cookie(&app, &world.a.member(Role::Staff).email).await;
    let copy = replaying(&app, &cookie);
    // Used, so this instance remembers the session and the user.
    assert!(session(&app, &copy).await.is_some());
    assert_eq!(page(&app, &copy, &format!("/q/{}", s.token)).await.0, 200);

    app.call(&copy, "logout", &[]).await.assert_ok();
    assert!(session(&app, &copy).await.is_none(), "the same cookie, right after signing out");
    let (status, _, location) = page(&app, &copy, &format!("/q/{}", s.token)).await;
    assert_eq!((status, location.as_deref()), (302, Some(format!("/login?next=/q/{}", s.token).as_str())));
}

#[sqlx::test]
async fn a_removed_member_loses_the_sticker_and_the_header_at_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let owner = &world.a.member(Role::Owner).client;
    let (supervisor, staff) = (world.a.member(Role::Supervisor), world.a.member(Role::Staff));
    let sticker_page = format!("/q/{}", s.token);
    for person in [supervisor, staff] {
        assert_eq!(session(&app, &person.client).await.unwrap().current.unwrap().org_id, world.a.id);
        assert_eq!(page(&app, &person.client, &sticker_page).await.0, 200);
    }

    // A new role ends their sessions at once (auth::sessions): signed in again, they have it.
    let demoted = supervisor.id.to_string();
    app.call(owner, "change_role", &[("user_id", &demoted), ("role", "staff")]).await.assert_ok();
    assert!(session(&app, &supervisor.client).await.is_none());
    let again = World::sign_in(&app, &supervisor.email).await;
    assert_eq!(session(&app, &again).await.unwrap().current.unwrap().role, Role::Staff);
    app.call(&again, "verify_log", &[("log_id", &uuid::Uuid::new_v4().to_string())]).await.assert_status(403);

    // Removed: the sticker page at once sends them to sign in, saying the session ended.
    app.call(owner, "remove_member", &[("user_id", &staff.id.to_string())]).await.assert_ok();
    let (status, html, location) = page(&app, &staff.client, &sticker_page).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/login?ended=ended"));
    assert!(!html.contains("Autoclave 1"));
    let again = World::sign_in(&app, &staff.email).await;
    let info = session(&app, &again).await.expect("signed in again, in no organization");
    assert!(info.current.is_none() && info.memberships.is_empty(), "{info:?}");
    let (status, html, _) = page(&app, &again, &sticker_page).await;
    assert_eq!(status, 404);
    assert!(!html.contains("Autoclave 1"));
    app.call(&again, "scan_equipment", &[("token", &s.token)]).await.assert_status(404);
    app.call(&again, "list_facilities", &[]).await.assert_status(403);
}

/// Once used, a session, its user and their organizations come from memory: with the sessions
/// and users tables locked, the header's data still comes; another instance, which has not seen
/// the session, waits for the lock.
#[sqlx::test]
async fn a_session_in_use_is_read_from_memory(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let staff = &world.a.member(Role::Staff).client;
    assert!(session(&app, staff).await.is_some());
    let other = spawn_app(db.clone()).await;

    let superuser = superuser_pool(&db).await;
    let mut lock = superuser.begin().await.unwrap();
    sqlx::query("LOCK TABLE tower_sessions.session, users, memberships IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let elsewhere = tokio::spawn({
        let (client, url, origin) = (staff.clone(), other.url("/api/session"), other.url(""));
        async move {
            let request = client.post(url).header("origin", origin).header("accept", "application/json");
            request.send().await.unwrap().status()
        }
    });
    let here = tokio::time::timeout(std::time::Duration::from_secs(10), session(&app, staff))
        .await
        .expect("the session came from memory, not from the locked tables");
    assert_eq!(here.unwrap().current.unwrap().org_id, world.a.id);
    assert!(!elsewhere.is_finished(), "an instance that has not seen the session reads it");
    lock.rollback().await.unwrap();
    let status = elsewhere.await.unwrap();
    assert!(status.is_success(), "{status}");
}

/// tower-sessions writes only changed sessions; ours notes when its end last moved, so one in
/// use is written once per `RENEW_EVERY` with a new end 14 days away.
#[sqlx::test]
async fn a_session_in_use_moves_its_end_forward(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let cookie = session_cookie(&app, &world.a.member(Role::Staff).email).await;
    let id: Id = cookie.split_once('=').unwrap().1.parse().unwrap();
    let store = PostgresStore::new(superuser_pool(&db).await);

    // As if the last move were longer ago than `RENEW_EVERY` and the end were tomorrow.
    let mut record = store.load(&id).await.unwrap().expect("the session is in Postgres");
    let long_ago = time::OffsetDateTime::now_utc() - RENEW_EVERY - time::Duration::minutes(1);
    record.data.insert(RENEWED_AT_KEY.into(), serde_json::json!(long_ago.unix_timestamp()));
    record.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    store.save(&record).await.unwrap();

    // Another instance (this one remembers the session as it was before the edit).
    let other = spawn_app(db.clone()).await;
    let copy = replaying(&other, &cookie);
    assert!(session(&other, &copy).await.is_some());
    let end = store.load(&id).await.unwrap().unwrap().expiry_date;
    let days = (end - time::OffsetDateTime::now_utc()).whole_hours() as f64 / 24.0;
    assert!(days > 13.9, "the end moved to 14 days from now, not {days:.2} days");

    // Within the hour nothing is written again: the row stays as marked here.
    let superuser = superuser_pool(&db).await;
    let written = "SELECT expiry_date < now() + interval '3 days' FROM tower_sessions.session WHERE id = $1";
    sqlx::query("UPDATE tower_sessions.session SET expiry_date = now() + interval '2 days' WHERE id = $1")
        .bind(id.to_string())
        .execute(&superuser)
        .await
        .unwrap();
    let fresh = spawn_app(db.clone()).await;
    assert!(session(&fresh, &replaying(&fresh, &cookie)).await.is_some());
    let untouched: bool = sqlx::query_scalar(written).bind(id.to_string()).fetch_one(&superuser).await.unwrap();
    assert!(untouched, "no second write within the hour");
}
