//! Inspector access: an admin invites a named person for chosen facilities and a number of
//! days; the inspector sees those facilities only, changes nothing, is recorded for every
//! view and download, and loses access when the time is up or the admin ends it.

use cleantrack::model::ids::{FacilityId, UserId};
use cleantrack::model::reports::ReportOptions;
use cleantrack::model::role::Role;
use cleantrack::model::{equipment::Scan, facilities::Facility};
use cleantrack::server::auth::{TenantCtx, TenantTx};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool};
use crate::reports::{data, export, pdf_text};
use crate::world::{World, NO_PROTOCOL};

const EMAIL: &str = "ines.inspector@authority.example";

#[sqlx::test]
async fn an_inspector_sees_only_the_chosen_facilities_changes_nothing_is_recorded_and_expires(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let admin = &world.a.member(Role::Admin).client;
    let lab = d.lab.to_string();

    // Bad invitations are refused clearly; only owners and admins invite.
    for (form, status) in [
        (vec![("email", EMAIL), ("name", "Ines Inspector"), ("days", "0"), ("facilities[]", lab.as_str())], 422),
        (vec![("email", EMAIL), ("name", "Ines Inspector"), ("days", "7")], 422),
        (vec![("email", EMAIL), ("name", "Ines Inspector"), ("days", "7"), ("facilities[]", "not-an-id")], 422),
        (vec![("email", EMAIL), ("name", " "), ("days", "7"), ("facilities[]", lab.as_str())], 422),
    ] {
        app.call(admin, "invite_inspector", &form).await.assert_status(status);
    }
    app.call(
        &world.a.member(Role::Supervisor).client,
        "invite_inspector",
        &[("email", EMAIL), ("name", "Ines Inspector"), ("days", "7"), ("facilities[]", &lab)],
    )
    .await
    .assert_status(403);
    app.call(admin, "invite_member", &[("email", EMAIL), ("role", "inspector")]).await.assert_status(422);
    app.call(
        admin,
        "invite_inspector",
        &[("email", EMAIL), ("name", "Ines Inspector"), ("days", "7"), ("facilities[]", &lab)],
    )
    .await
    .assert_ok();

    // The inspector accepts with a new account, under the name the admin gave.
    let token = app.last_token(EMAIL).await;
    let inspector = app.browser();
    let preview: cleantrack::model::accounts::InvitationPreview =
        app.call(&inspector, "preview_invitation", &[("token", &token)]).await.assert_ok().json();
    assert_eq!((preview.role, preview.name.as_deref()), (Role::Inspector, Some("Ines Inspector")));
    app.call(
        &inspector,
        "accept_invitation",
        &[("token", &token), ("name", "Ines Inspector"), ("password", "quiet harbour lantern mosaic")],
    )
    .await
    .assert_ok();

    // Sees the Lab only: facilities, report options, CSV, photos of other facilities' logs.
    let facilities: Vec<Facility> = app.call(&inspector, "list_facilities", &[]).await.assert_ok().json();
    assert_eq!(facilities.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["Lab"]);
    let options: ReportOptions = app.call(&inspector, "get_report_options", &[]).await.assert_ok().json();
    assert_eq!(options.facilities.len(), 1);
    assert!(options.equipment.iter().all(|(_, _, facility)| facility == "Lab"));
    let csv = inspector.get(app.url("/reports/logs.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 3, "header and the Lab's logs, not the Kitchen's:\n{csv}");
    assert!(!csv.contains("Kitchen"));
    let kitchen_csv =
        inspector.get(app.url(&format!("/reports/logs.csv?facility={}", d.kitchen))).send().await.unwrap();
    assert_eq!(kitchen_csv.status(), 404);
    app.call(&inspector, "request_export", &[("kind", "report_pdf"), ("facility", &d.kitchen.to_string())])
        .await
        .assert_status(404);
    let (_, pdf) = export(&app, &inspector, "report_pdf", d.lab).await;
    assert!(pdf_text(&pdf).contains("Facility: Lab"));

    // A sticker in the Lab opens its page with its history (the scan is recorded first, below);
    // the Kitchen oven's sticker is not found.
    let su = superuser_pool(&db).await;
    let sticker = async |facility: FacilityId| -> String {
        sqlx::query_scalar("SELECT qr_token FROM equipment WHERE facility_id = $1")
            .bind(facility)
            .fetch_one(&su)
            .await
            .unwrap()
    };
    let Scan::Member(hood) =
        app.call(&inspector, "scan_equipment", &[("token", &sticker(d.lab).await)]).await.assert_ok().json()
    else {
        panic!("an inspector of the Lab gets the member's view of its equipment");
    };
    assert_eq!((hood.id, hood.history.len()), (d.hood, 3));
    app.call(&inspector, "scan_equipment", &[("token", &sticker(d.kitchen).await)]).await.assert_status(404);

    // The second wall: in the inspector's own transaction, queries without any facility filter
    // see the Lab's rows only, and writing is refused by the database itself.
    let ines: UserId =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(EMAIL).fetch_one(&su).await.unwrap();
    let ctx = TenantCtx::for_member(&app.pool, Some(world.a.id), ines).await.unwrap().expect("a member");
    let mut tx = TenantTx::begin(&app.pool, &ctx).await.unwrap();
    let seen: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT (SELECT count(*) FROM facilities), (SELECT count(*) FROM equipment), \
                (SELECT count(*) FROM cleaning_logs), (SELECT count(*) FROM verifications)",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    assert_eq!(seen, [(1, 1, 3, 1)], "facilities, equipment, logs, verifications of the Lab only");
    let write = sqlx::query("UPDATE facilities SET name = 'Renamed'").execute(tx.conn()).await.unwrap_err();
    assert!(write.to_string().contains("read-only transaction"), "{write}");
    drop(tx);

    // Changes nothing: every attempt is refused, and the team and the audit trail are closed.
    let (hood, amendment) = (d.hood.to_string(), d.amendment.to_string());
    for (endpoint, form) in [
        ("create_facility", vec![("name", "Annex"), ("address", ""), ("time_zone", "UTC")]),
        ("log_cleaning", vec![("equipment_id", hood.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL]),
        ("verify_log", vec![("log_id", amendment.as_str())]),
        ("update_settings", vec![("strict_signatures", "on")]),
        ("invite_member", vec![("email", "x@y.example"), ("role", "staff")]),
        ("list_members", vec![]),
        ("list_audit_events", vec![]),
        ("request_export", vec![("kind", "binder"), ("facility", lab.as_str())]),
    ] {
        let call = app.call(&inspector, endpoint, &form).await;
        assert_eq!(call.status, 403, "{endpoint}: {}", call.body);
    }
    let audit = inspector.get(app.url("/audit/export.jsonl")).send().await.unwrap();
    assert_eq!(audit.status(), 403);

    // Everything they looked at is in the trail, with who and what.
    let viewed: Vec<String> = sqlx::query_scalar(
        "SELECT e.after->>'viewed' FROM audit_events e JOIN users u ON u.id = e.actor_user_id \
         WHERE e.action = 'inspector.viewed' AND u.email = $1 ORDER BY e.seq",
    )
    .bind(EMAIL)
    .fetch_all(&su)
    .await
    .unwrap();
    for path in ["/api/list_facilities", "/reports/logs.csv", "/api/request_export", "sticker scan of equipment"] {
        assert!(viewed.iter().any(|v| v.starts_with(path)), "{path} not recorded in {viewed:?}");
    }
    let downloads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e JOIN users u ON u.id = e.actor_user_id \
         WHERE u.email = $1 AND e.action IN ('reports.logs_exported', 'reports.export_downloaded')",
    )
    .bind(EMAIL)
    .fetch_one(&su)
    .await
    .unwrap();
    assert!(downloads >= 2, "the CSV and the PDF downloads are recorded");

    // The time is up: no access at the next request, without anybody doing anything.
    sqlx::query("UPDATE memberships SET access_until = now() - interval '1 second' WHERE role = 'inspector' AND user_id = (SELECT id FROM users WHERE email = $1)")
        .bind(EMAIL)
        .execute(&su)
        .await
        .unwrap();
    app.call(&inspector, "list_facilities", &[]).await.assert_status(403);
    assert_eq!(inspector.get(app.url("/reports/logs.csv")).send().await.unwrap().status(), 403);
}

#[sqlx::test]
async fn an_admin_ends_an_inspectors_access_early(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let inspector = world.a.member(Role::Inspector);
    app.call(&inspector.client, "list_facilities", &[]).await.assert_ok();
    let members: Vec<cleantrack::model::accounts::Member> =
        app.call(&world.a.member(Role::Admin).client, "list_members", &[]).await.assert_ok().json();
    let guest = members.iter().find(|m| m.role == Role::Inspector).unwrap();
    assert!(guest.access_until.is_some(), "the team page shows when access ends");
    app.call(&world.a.member(Role::Admin).client, "remove_member", &[("user_id", &inspector.id.to_string())])
        .await
        .assert_ok();
    // Their sessions end with the access: signed out at the next request.
    app.call(&inspector.client, "list_facilities", &[]).await.assert_status(401);
    let again = World::sign_in(&app, &inspector.email).await;
    app.call(&again, "list_facilities", &[]).await.assert_status(403);
}
