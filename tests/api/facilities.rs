//! Facilities: validation, unique names, retirement only once their equipment is retired, never
//! deleted. Isolation between organizations is in `equipment::facilities_and_equipment_of_a_are_not_found_for_b`.

use cleantrack::model::facilities::Facility;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::equipment::{equipment, equipment_form, facility};
use crate::helpers::{spawn_app, superuser_pool};
use crate::world::World;

#[sqlx::test]
async fn facilities_are_validated_and_retired_only_when_their_equipment_is(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;

    for (form, status, message) in [
        ([("name", ""), ("address", ""), ("time_zone", "Europe/Lisbon")], 422, "Enter the facility's name"),
        ([("name", "Lab"), ("address", ""), ("time_zone", "Mars/Olympus")], 422, "is not a time zone"),
    ] {
        let call = app.call(admin, "create_facility", &form).await;
        call.assert_status(status);
        assert!(call.body.contains(message), "{}", call.body);
    }
    let lab = facility(&app, admin, "North Lab").await;
    let duplicate =
        app.call(admin, "create_facility", &[("name", "North Lab"), ("address", ""), ("time_zone", "UTC")]).await;
    duplicate.assert_status(409);

    let autoclave = equipment(&app, admin, lab, "Autoclave 1").await;
    let busy = app.call(admin, "retire_facility", &[("id", &lab.to_string())]).await;
    busy.assert_status(409);
    assert!(busy.body.contains("still active"), "{}", busy.body);
    app.call(admin, "retire_equipment", &[("id", &autoclave.to_string()), ("reason", "Out of service")])
        .await
        .assert_ok();
    app.call(admin, "retire_facility", &[("id", &lab.to_string())]).await.assert_ok();
    let list: Vec<Facility> = app.call(admin, "list_facilities", &[]).await.json();
    assert!(list[0].retired, "retired, still listed");

    // Equipment cannot go into a retired facility.
    let call = app.call(admin, "create_equipment", &equipment_form(&lab.to_string(), "Pump", "low")).await;
    call.assert_status(422);

    // Records are retired, never deleted: the database refuses a delete even from the owner.
    let inspector = superuser_pool(&db).await;
    let err = sqlx::query("DELETE FROM equipment").execute(&inspector).await.unwrap_err();
    assert!(err.to_string().contains("retired, never deleted"), "{err}");
}
