//! Protocols: versions on every revision, versions the database will not change, validation,
//! assignment to equipment, and isolation between organizations.

use cleantrack::model::ids::{EquipmentId, ProtocolId};
use cleantrack::model::protocols::Protocol;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

fn form<'a>(name: &'a str, steps: &'a str, minutes: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("steps", steps),
        ("disinfectant", "Alcohol 70%"),
        ("contact_time_minutes", minutes),
        ("photo_required", "on"),
    ]
}

async fn equipment(app: &TestApp, client: &reqwest::Client) -> EquipmentId {
    facility_with_equipment(app, client, "Lab", "Hood", "").await.1
}

#[sqlx::test]
async fn revising_a_protocol_adds_a_version_and_old_versions_never_change(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;

    for (bad, message) in [
        (form("Hood wipe", "  \n ", "5"), "at least one step"),
        (form("Hood wipe", "Wipe", "2000"), "between 0 and 1440"),
        (form("", "Wipe", "5"), "Enter the protocol's name"),
    ] {
        let call = app.call(admin, "create_protocol", &bad).await;
        call.assert_status(422);
        assert!(call.body.contains(message), "{}", call.body);
    }
    let id: ProtocolId = app
        .call(admin, "create_protocol", &form("Hood wipe", "Remove items\n Wipe  surfaces \n\nLet dry", "5"))
        .await
        .assert_ok()
        .json();
    app.call(admin, "create_protocol", &form("Hood wipe", "Wipe", "5")).await.assert_status(409);

    let listed: Vec<Protocol> =
        app.call(&world.a.member(Role::Staff).client, "list_protocols", &[]).await.assert_ok().json();
    let labels: Vec<&str> = listed[0].steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Remove items", "Wipe surfaces", "Let dry"]);
    assert_eq!((listed[0].version, listed[0].photo_required, listed[0].verification_required), (1, true, false));

    let mut revised = form("Hood wipe", "Wipe surfaces\nUV cycle", "10");
    let id_text = id.to_string();
    revised.push(("id", &id_text));
    revised.push(("verification_required", "on"));
    let version: i32 = app.call(admin, "revise_protocol", &revised).await.assert_ok().json();
    assert_eq!(version, 2);
    let listed: Vec<Protocol> = app.call(admin, "list_protocols", &[]).await.json();
    assert_eq!((listed[0].version, listed[0].contact_time_minutes, listed[0].verification_required), (2, 10, true));

    // Version 1 is still there, unchanged, and the database refuses to change it even as superuser
    // with the rows in plain sight.
    let inspector = superuser_pool(&db).await;
    let v1: serde_json::Value =
        sqlx::query_scalar("SELECT steps FROM protocol_versions WHERE protocol_id = $1 AND version = 1")
            .bind(id)
            .fetch_one(&inspector)
            .await
            .unwrap();
    assert_eq!(v1, serde_json::json!(["Remove items", "Wipe surfaces", "Let dry"]));
    let err = sqlx::query("UPDATE protocol_versions SET steps = '[\"x\"]' WHERE version = 1")
        .execute(&inspector)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never change"), "{err}");
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'protocol_versions.insert'")
            .fetch_one(&inspector)
            .await
            .unwrap();
    assert_eq!(audited, 2);

    // Staff may read but not write.
    app.call(&world.a.member(Role::Staff).client, "create_protocol", &form("Other", "Wipe", "5"))
        .await
        .assert_status(403);
}

#[sqlx::test]
async fn protocols_of_a_are_not_found_for_b_and_cannot_be_assigned_across(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let a_admin = &world.a.member(Role::Admin).client;
    let a_protocol: ProtocolId =
        app.call(a_admin, "create_protocol", &form("A wipe", "Wipe", "5")).await.assert_ok().json();
    let a_equipment = equipment(&app, a_admin).await;
    app.call(
        a_admin,
        "assign_protocol",
        &[("equipment_id", &a_equipment.to_string()), ("protocol_id", &a_protocol.to_string())],
    )
    .await
    .assert_ok();
    let listed: Vec<Protocol> = app.call(a_admin, "list_protocols", &[]).await.json();
    assert_eq!(listed[0].equipment_count, 1);

    let b_admin = &world.b.member(Role::Admin).client;
    let b_equipment = equipment(&app, b_admin).await;
    let (ap, ae, be) = (a_protocol.to_string(), a_equipment.to_string(), b_equipment.to_string());
    let mut revise = form("Mine now", "Wipe", "5");
    revise.push(("id", &ap));
    app.call(b_admin, "revise_protocol", &revise).await.assert_status(404);
    app.call(b_admin, "assign_protocol", &[("equipment_id", &be), ("protocol_id", &ap)]).await.assert_status(404);
    app.call(b_admin, "assign_protocol", &[("equipment_id", &ae)]).await.assert_status(404);
    for role in Role::ALL {
        let listed: Vec<Protocol> =
            app.call(&world.b.member(role).client, "list_protocols", &[]).await.assert_ok().json();
        assert!(listed.is_empty());
    }
    let still: Vec<Protocol> = app.call(a_admin, "list_protocols", &[]).await.json();
    assert_eq!((still[0].name.as_str(), still[0].version, still[0].equipment_count), ("A wipe", 1, 1));
}
