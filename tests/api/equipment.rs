//! Equipment (and the facilities it is in): validation, search and pages, retirement instead of
//! deletion, audit capture, and isolation between organizations.

pub(crate) mod stickers;

use cleantrack::model::ids::{EquipmentId, FacilityId};
use cleantrack::model::role::Role;
use cleantrack::model::{equipment::EquipmentPage, facilities::Facility};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::World;

pub(crate) async fn facility(app: &TestApp, client: &reqwest::Client, name: &str) -> FacilityId {
    app.call(client, "create_facility", &[("name", name), ("address", "1 Main St"), ("time_zone", "Europe/Lisbon")])
        .await
        .assert_ok()
        .json()
}

pub(crate) async fn equipment(
    app: &TestApp,
    client: &reqwest::Client,
    facility: FacilityId,
    name: &str,
) -> EquipmentId {
    let facility = facility.to_string();
    let form = [
        ("facility_id", facility.as_str()),
        ("name", name),
        ("kind", "Autoclave"),
        ("serial", "SN-1"),
        ("location", "Room 2"),
        ("risk_level", "high"),
    ];
    app.call(client, "create_equipment", &form).await.assert_ok().json()
}

pub(crate) fn equipment_form<'a>(facility: &'a str, name: &'a str, risk: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("facility_id", facility),
        ("name", name),
        ("kind", "Pump"),
        ("serial", ""),
        ("location", ""),
        ("risk_level", risk),
    ]
}

#[sqlx::test]
async fn equipment_is_searchable_filterable_paginated_and_every_change_is_audited(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Owner).client;
    let (lab, plant) = (facility(&app, admin, "Lab").await, facility(&app, admin, "Plant").await);
    for i in 0..27 {
        equipment(&app, admin, if i % 3 == 0 { plant } else { lab }, &format!("Unit {i:02}")).await;
    }
    let bad = app.call(admin, "create_equipment", &equipment_form(&lab.to_string(), "X", "extreme")).await;
    bad.assert_status(422);

    let staff = &world.a.member(Role::Staff).client;
    let first: EquipmentPage = app.call(staff, "list_equipment", &[]).await.assert_ok().json();
    assert_eq!((first.total, first.pages, first.items.len()), (27, 2, 25));
    let second: EquipmentPage = app.call(staff, "list_equipment", &[("page", "2")]).await.json();
    assert_eq!(second.items.len(), 2);
    let at_plant: EquipmentPage =
        app.call(staff, "list_equipment", &[("facility_id", &plant.to_string())]).await.json();
    assert_eq!(at_plant.total, 9);
    let found: EquipmentPage = app.call(staff, "list_equipment", &[("search", "unit 1")]).await.json();
    assert_eq!(found.total, 10, "Unit 10..19");
    let code = first.items[0].short_code.clone();
    assert_eq!(code.len(), 6);
    let by_code: EquipmentPage = app.call(staff, "list_equipment", &[("search", &code.to_lowercase())]).await.json();
    assert!(by_code.items.iter().any(|e| e.short_code == code));
    let wildcard: EquipmentPage = app.call(staff, "list_equipment", &[("search", "%")]).await.json();
    assert_eq!(wildcard.total, 0, "search text is literal, not a pattern");

    let target = first.items[0].id.to_string();
    let plant_id = plant.to_string();
    let mut form = equipment_form(&plant_id, "Renamed unit", "critical");
    form.push(("id", &target));
    app.call(admin, "update_equipment", &form).await.assert_ok();
    app.call(admin, "retire_equipment", &[("id", &target), ("reason", "Out of service")]).await.assert_ok();
    let active: EquipmentPage = app.call(staff, "list_equipment", &[]).await.json();
    assert_eq!(active.total, 26);
    let all: EquipmentPage = app.call(staff, "list_equipment", &[("include_retired", "true")]).await.json();
    assert_eq!(all.total, 27);

    let inspector = superuser_pool(&db).await;
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_events WHERE action = 'equipment.update' AND entity_id = $1 ORDER BY seq LIMIT 1",
    )
    .bind(&target)
    .fetch_one(&inspector)
    .await
    .unwrap();
    assert_eq!((before["risk_level"].as_str(), after["risk_level"].as_str()), (Some("high"), Some("critical")));
    assert_eq!(after["qr_token"], "[redacted]", "sticker tokens stay out of the trail");
    let retirements: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'equipment.update' AND after->>'status' = 'retired'",
    )
    .fetch_one(&inspector)
    .await
    .unwrap();
    assert_eq!(retirements, 1);
}

#[sqlx::test]
async fn facilities_and_equipment_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let a_admin = &world.a.member(Role::Admin).client;
    let a_lab = facility(&app, a_admin, "A Lab").await;
    let a_unit = equipment(&app, a_admin, a_lab, "A Autoclave").await;
    let (lab_id, unit_id) = (a_lab.to_string(), a_unit.to_string());
    let b_admin = &world.b.member(Role::Admin).client;
    let b_lab = facility(&app, b_admin, "B Lab").await.to_string();

    let tz = ("time_zone", "UTC");
    let calls = [
        app.call(b_admin, "update_facility", &[("id", lab_id.as_str()), ("name", "Mine"), ("address", ""), tz]).await,
        app.call(b_admin, "retire_facility", &[("id", &lab_id)]).await,
        app.call(b_admin, "create_equipment", &equipment_form(&lab_id, "Sneaky", "low")).await,
        app.call(
            b_admin,
            "update_equipment",
            &[&equipment_form(&b_lab, "Mine", "low")[..], &[("id", unit_id.as_str())]].concat(),
        )
        .await,
        app.call(b_admin, "retire_equipment", &[("id", &unit_id), ("reason", "Out of service")]).await,
        app.call(b_admin, "reinstate_equipment", &[("id", &unit_id), ("reason", "Back")]).await,
    ];
    for call in calls {
        call.assert_status(404);
    }
    for role in Role::ALL {
        let client = &world.b.member(role).client;
        let facilities: Vec<Facility> = app.call(client, "list_facilities", &[]).await.assert_ok().json();
        assert!(facilities.iter().all(|f| f.name == "B Lab"), "{facilities:?}");
        let page: EquipmentPage = app.call(client, "list_equipment", &[]).await.json();
        assert_eq!(page.total, 0);
        let filtered: EquipmentPage = app.call(client, "list_equipment", &[("facility_id", &lab_id)]).await.json();
        assert_eq!(filtered.total, 0, "filtering by A's facility shows nothing");
    }
    // A's records are untouched.
    let a_list: EquipmentPage = app.call(a_admin, "list_equipment", &[]).await.json();
    assert_eq!((a_list.total, a_list.items[0].name.as_str(), a_list.items[0].retired), (1, "A Autoclave", false));
    let a_facilities: Vec<Facility> = app.call(a_admin, "list_facilities", &[]).await.json();
    assert_eq!((a_facilities[0].name.as_str(), a_facilities[0].retired), ("A Lab", false));
}

#[sqlx::test]
async fn two_active_pieces_of_equipment_in_one_facility_cannot_share_a_name(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Owner).client;
    let (lab, plant) = (facility(&app, admin, "Lab").await, facility(&app, admin, "Plant").await);
    let first = equipment(&app, admin, lab, "Unit 01").await;
    // Any case; another facility may use the name, and an edit keeps its own.
    let twin = app.call(admin, "create_equipment", &equipment_form(&lab.to_string(), "unit 01", "low")).await;
    twin.assert_status(409);
    assert!(twin.body.contains("already has equipment named"), "{}", twin.body);
    let elsewhere = equipment(&app, admin, plant, "Unit 01").await;
    let (e, p) = (elsewhere.to_string(), plant.to_string());
    let keep = [&equipment_form(&p, "Unit 01", "low")[..], &[("id", e.as_str())]].concat();
    app.call(admin, "update_equipment", &keep).await.assert_ok();
    // Moving into the lab would make two: refused. Once the first is retired, the name is free.
    let (l, f) = (lab.to_string(), first.to_string());
    let moved = [&equipment_form(&l, "Unit 01", "low")[..], &[("id", e.as_str())]].concat();
    app.call(admin, "update_equipment", &moved).await.assert_status(409);
    app.call(admin, "retire_equipment", &[("id", &f), ("reason", "Out of service")]).await.assert_ok();
    app.call(admin, "update_equipment", &moved).await.assert_ok();
}

#[sqlx::test]
async fn retiring_says_why_is_audited_and_an_admin_can_reinstate(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let lab = facility(&app, admin, "Lab").await;
    let unit = equipment(&app, admin, lab, "Unit 1").await.to_string();

    let bare = app.call(admin, "retire_equipment", &[("id", unit.as_str()), ("reason", " ")]).await;
    bare.assert_status(422);
    assert!(bare.body.contains("why it is retired"), "{}", bare.body);
    let staff = &world.a.member(Role::Staff).client;
    app.call(staff, "retire_equipment", &[("id", unit.as_str()), ("reason", "Broken")]).await.assert_status(403);
    app.call(admin, "retire_equipment", &[("id", unit.as_str()), ("reason", "Broken pump, sent for repair")])
        .await
        .assert_ok();
    // Its replacement took the name meanwhile: reinstating would make two.
    let twin = equipment(&app, admin, lab, "Unit 1").await.to_string();
    let back = [("id", unit.as_str()), ("reason", "Repaired")];
    app.call(admin, "reinstate_equipment", &back).await.assert_status(409);
    app.call(admin, "retire_equipment", &[("id", twin.as_str()), ("reason", "Loan returned")]).await.assert_ok();
    app.call(staff, "reinstate_equipment", &back).await.assert_status(403);
    app.call(admin, "reinstate_equipment", &back).await.assert_ok();
    let list: EquipmentPage = app.call(staff, "list_equipment", &[]).await.json();
    assert_eq!(list.items.iter().map(|e| (e.name.as_str(), e.retired)).collect::<Vec<_>>(), [("Unit 1", false)]);
    // Active equipment is not "reinstated"; a retired facility's equipment waits for its facility.
    app.call(admin, "reinstate_equipment", &back).await.assert_status(404);

    let inspector = superuser_pool(&db).await;
    let reasons: Vec<(String, String)> = sqlx::query_as(
        "SELECT after->>'status', after->>'status_reason' FROM audit_events \
         WHERE action = 'equipment.update' AND entity_id = $1 ORDER BY seq",
    )
    .bind(&unit)
    .fetch_all(&inspector)
    .await
    .unwrap();
    assert_eq!(
        reasons,
        [("retired".into(), "Broken pump, sent for repair".into()), ("active".into(), "Repaired".into())],
        "the trail says who changed it, when and why"
    );
}
