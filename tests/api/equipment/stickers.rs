//! QR stickers: scanning as a member, as a visitor, as someone else; replacing a sticker; the
//! QR image and label sheets, each refused across organizations.

use cleantrack::model::equipment::{LabelSheet, Scan};
use cleantrack::model::ids::{EquipmentId, FacilityId};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World, PASSWORD};

pub struct Sticker {
    pub facility: FacilityId,
    pub equipment: EquipmentId,
    pub token: String,
}

pub async fn sticker(app: &TestApp, world: &World, db: &PgConnectOptions) -> Sticker {
    let admin = &world.a.member(Role::Admin).client;
    let (facility, equipment) = facility_with_equipment(app, admin, "Lab", "Autoclave 1", "Room 2").await;
    let token = token_of(db, equipment).await;
    Sticker { facility, equipment, token }
}

pub async fn token_of(db: &PgConnectOptions, equipment: EquipmentId) -> String {
    sqlx::query_scalar("SELECT qr_token FROM equipment WHERE id = $1")
        .bind(equipment)
        .fetch_one(&superuser_pool(db).await)
        .await
        .unwrap()
}

pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String, Option<String>) {
    // As a browser asks for a page.
    let response = client.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), response.text().await.unwrap(), location)
}

#[sqlx::test]
async fn a_member_scanning_a_sticker_sees_the_equipment_and_a_visitor_is_sent_to_sign_in_and_back(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    assert_eq!(s.token.len(), 43, "256 random bits");

    let (status, html, _) = page(&app, &world.a.member(Role::Staff).client, &format!("/q/{}", s.token)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Autoclave 1") && html.contains("Room 2"), "{html}");
    let Scan::Member(scanned) = app
        .call(&world.a.member(Role::Staff).client, "scan_equipment", &[("token", &s.token)])
        .await
        .assert_ok()
        .json()
    else {
        panic!("a member gets the member's view");
    };
    assert_eq!((scanned.id, scanned.facility_name.as_str()), (s.equipment, "Lab"));

    let visitor = app.browser();
    let (status, _, location) = page(&app, &visitor, &format!("/q/{}", s.token)).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(location, format!("/login?next=/q/{}", s.token));
    let login = visitor
        .post(app.url("/api/login"))
        .header("accept", "text/html")
        .form(&[
            ("email", world.a.member(Role::Auditor).email.as_str()),
            ("password", PASSWORD),
            ("next", &format!("/q/{}", s.token)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["location"], format!("/q/{}", s.token).as_str(), "brought back to the sticker");
    assert_eq!(page(&app, &visitor, &format!("/q/{}", s.token)).await.0, 200);
}

#[sqlx::test]
async fn a_sticker_of_a_is_not_found_for_b_and_a_replaced_sticker_stops_working(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let (e, f) = (s.equipment.to_string(), s.facility.to_string());

    for role in Role::ALL {
        let b = &world.b.member(role).client;
        let (status, html, _) = page(&app, b, &format!("/q/{}", s.token)).await;
        assert_eq!(status, 404, "{role:?}");
        assert!(!html.contains("Autoclave 1"));
        app.call(b, "scan_equipment", &[("token", &s.token)]).await.assert_status(404);
        assert_eq!(page(&app, b, &format!("/equipment/{e}/qr.svg")).await.0, 404);
        app.call(b, "list_labels", &[("facility_id", &f)]).await.assert_status(404);
        let regenerate = app.call(b, "regenerate_qr", &[("id", &e)]).await;
        regenerate.assert_status(if role.can(cleantrack::model::role::Action::ManageAssets) { 404 } else { 403 });
    }
    assert_eq!(token_of(&db, s.equipment).await, s.token, "B replaced nothing");
    assert_eq!(page(&app, &app.browser(), "/q/not-a-real-token").await.0, 302, "visitors are asked to sign in first");
    app.call(&world.a.member(Role::Staff).client, "scan_equipment", &[("token", "not-a-real-token")])
        .await
        .assert_status(404);

    let admin = &world.a.member(Role::Admin).client;
    app.call(admin, "regenerate_qr", &[("id", &e)]).await.assert_ok();
    let fresh = token_of(&db, s.equipment).await;
    assert_ne!(fresh, s.token);
    app.call(admin, "scan_equipment", &[("token", &s.token)]).await.assert_status(404);
    app.call(admin, "scan_equipment", &[("token", &fresh)]).await.assert_ok();
}

#[sqlx::test]
async fn the_qr_image_encodes_the_sticker_url_and_the_label_sheet_lists_active_equipment(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let staff = &world.a.member(Role::Staff).client;

    let response = staff.get(app.url(&format!("/equipment/{}/qr.svg", s.equipment))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    let expected =
        cleantrack::server::equipment::stickers::svg(&format!("{}q/{}", app.state.config.public_url, s.token)).unwrap();
    assert_eq!(svg, expected, "the image encodes PUBLIC_URL/q/<token>");
    assert_eq!(page(&app, &app.browser(), &format!("/equipment/{}/qr.svg", s.equipment)).await.0, 401);

    let sheet: LabelSheet =
        app.call(staff, "list_labels", &[("facility_id", &s.facility.to_string())]).await.assert_ok().json();
    assert_eq!(sheet.facility_name, "Lab");
    assert_eq!(sheet.labels.len(), 1);
    assert_eq!(sheet.labels[0].short_code.len(), 6);
    app.call(
        &world.a.member(Role::Admin).client,
        "retire_equipment",
        &[("id", &s.equipment.to_string()), ("reason", "Out of service")],
    )
    .await
    .assert_ok();
    let sheet: LabelSheet = app.call(staff, "list_labels", &[("facility_id", &s.facility.to_string())]).await.json();
    assert!(sheet.labels.is_empty(), "retired equipment gets no label");
    app.call(staff, "scan_equipment", &[("token", &s.token)]).await.assert_status(404);
}

#[sqlx::test]
async fn an_equipment_link_leads_members_to_its_sticker_page_and_nobody_else(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    let link = format!("/equipment/{}", s.equipment);
    for role in [Role::Staff, Role::Auditor, Role::Owner] {
        let (status, _, location) = page(&app, &world.a.member(role).client, &link).await;
        assert_eq!((status, location.as_deref()), (303, Some(format!("/q/{}", s.token).as_str())), "{role:?}");
    }
    // Another organization's member learns nothing; a visitor signs in first and comes back.
    assert_eq!(page(&app, &world.b.member(Role::Owner).client, &link).await.0, 404);
    let (status, _, location) = page(&app, &app.browser(), &link).await;
    assert_eq!((status, location), (303, Some(format!("/login?next={link}"))));
    assert_eq!(page(&app, &world.a.member(Role::Staff).client, "/equipment/not-an-id").await.0, 404);
}

#[sqlx::test]
async fn a_scan_in_one_statement_leaves_nothing_on_the_pooled_connection(_: PgPoolOptions, db: PgConnectOptions) {
    use cleantrack::server::auth::scope::member_scan_page;
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let s = sticker(&app, &world, &db).await;
    // One connection, as the application's role: whatever runs next runs where the scan ran.
    let one =
        PgPoolOptions::new().max_connections(1).connect_with((*app.pool.connect_options()).clone()).await.unwrap();

    let scan = member_scan_page(&one, &s.token, world.a.member(Role::Staff).id, 10).await.unwrap().expect("a member");
    assert_eq!((scan.equipment, scan.ctx.role()), (s.equipment, Role::Staff));
    assert!(scan.page.expect("a member's page").contains("Autoclave 1"));
    let left: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT current_setting(name, true) FROM unnest(ARRAY['app.org_id', 'app.user_id', 'app.qr_token']) AS name",
    )
    .fetch_all(&one)
    .await
    .unwrap();
    assert!(left.iter().all(|v| v.as_deref().unwrap_or_default().is_empty()), "settings outlived the scan: {left:?}");
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM equipment").fetch_one(&one).await.unwrap();
    assert_eq!(visible, 0, "after the scan the connection sees no organization's rows");

    // Someone of another organization gets nothing, not even the entry.
    assert!(member_scan_page(&one, &s.token, world.b.member(Role::Staff).id, 10).await.unwrap().is_none());
}
