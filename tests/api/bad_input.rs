//! What a client can send wrong: control characters, text that is not UTF-8, values that do not
//! decode, unknown paths. Every such request answers 4xx naming the field, never 5xx, and
//! changes nothing.

use std::collections::BTreeSet;

use cleantrack::model::role::Role;
use cleantrack::server::http::input::server_functions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

#[test]
fn every_registered_server_function_has_its_arguments_checked() {
    let registered: BTreeSet<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned()).collect();
    let checked: BTreeSet<String> = server_functions().keys().map(|p| (*p).to_owned()).collect();
    let missing: Vec<_> = registered.difference(&checked).collect();
    assert!(missing.is_empty(), "add these to server::http::input::server_functions: {missing:?}");
}

/// Sends `form` raw (already url-encoded), as a hand-made client could.
async fn post_raw(app: &TestApp, client: &reqwest::Client, endpoint: &str, form: String) -> (u16, String) {
    let response = client
        .post(app.url(&format!("/api/{endpoint}")))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[sqlx::test]
async fn every_server_function_answers_bad_arguments_with_4xx_naming_the_field_and_changes_nothing(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    facility_with_equipment(&app, owner, "Lab", "Hood", "Room 1").await;
    let inspector = superuser_pool(&db).await;
    let changes = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_events").fetch_one(&inspector).await.unwrap()
    };
    let before = changes().await;

    let mut tried = 0;
    for (path, arguments) in server_functions() {
        let endpoint = path.trim_start_matches("/api/");
        for name in arguments.names() {
            let label = name.replace('_', " ");
            // A NUL byte (Postgres refuses it: this was a 500), another control character, and
            // bytes that are not UTF-8: refused for any argument, before the function runs.
            for bad in ["a%00b", "%1B%5B2J", "%FF%FE"] {
                let (status, body) = post_raw(&app, owner, endpoint, format!("{name}={bad}")).await;
                assert_eq!(status, 422, "{endpoint}.{name}={bad}: {body}");
                assert!(body.contains(&format!("“{label}”")), "{endpoint}.{name}={bad} names the field: {body}");
                tried += 1;
            }
            // A value that does not decode, for each typed argument (a string takes any text).
            for bad in ["ten", "99999999999999999999", "not-a-uuid", ""] {
                let form = format!("{name}={bad}");
                let typed = matches!(arguments.decode(form.as_bytes()), Err(p) if p.field == *name);
                if !typed {
                    continue;
                }
                let (status, body) = post_raw(&app, owner, endpoint, form).await;
                assert_eq!(status, 422, "{endpoint}.{name}={bad}: {body}");
                assert!(body.contains(&format!("“{label}”")), "{endpoint}.{name}={bad} names the field: {body}");
                assert!(!body.contains("expected one of"), "no list of valid values: {body}");
                tried += 1;
            }
        }
    }
    assert!(tried > 300, "only {tried} bad requests were tried");
    assert_eq!(changes().await, before, "a refused request changed something");
    // The owner is still signed in: no call ran (not even `logout`).
    assert_eq!(app.call(owner, "list_facilities", &[]).await.assert_ok().status, 200);
}

#[sqlx::test]
async fn a_missing_argument_or_a_role_that_does_not_exist_is_named_without_listing_the_valid_ones(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let staff = world.a.member(Role::Staff).id.to_string();
    let call = app.call(owner, "change_role", &[("user_id", &staff), ("role", "superuser")]).await;
    call.assert_status(422);
    assert!(call.body.contains("Check “role”: the value is not valid."), "{}", call.body);
    let call = app.call(owner, "change_role", &[("role", "admin")]).await;
    call.assert_status(422);
    assert!(call.body.contains("Check “user id”: it is missing."), "{}", call.body);
}

#[sqlx::test]
async fn paths_and_query_parameters_with_control_characters_are_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    for path in ["/q/%00", "/q/abc%0Adef", "/facilities%00", "/q/%FF"] {
        assert_eq!(app.get_with(owner, path).await, 404, "{path}");
    }
    for path in ["/reports/logs.csv?facility=%00", "/equipment?search=a%00b", "/app?x=%FF"] {
        let response = owner.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 422, "{path}");
    }
    // Tab and line breaks are text: a multi-line note is fine.
    let response = owner.get(app.url("/equipment?search=a%09b")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}
