//! Tenant isolation, proved twice: through every server function (a member of organization B
//! gets "not found" for A's ids and changes nothing of A's), and in the database itself (a query
//! that forgets its organization filter still sees only its own tenant).
//!
//! `every_server_function_has_a_cross_tenant_case` fails when a server function is added without
//! a case here, so a new one cannot slip through.

use std::collections::BTreeSet;

use cleantrack::model::accounts::{Member, PendingInvitation, PlatformConsole, SessionInfo};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::world::{World, PASSWORD};

/// Every server function, with the test below that covers it across tenants.
const COVERED: &[(&str, &str)] = &[
    ("register", "account_level_functions_never_reach_into_another_organization"),
    ("login", "account_level_functions_never_reach_into_another_organization"),
    ("logout", "account_level_functions_never_reach_into_another_organization"),
    ("session", "account_level_functions_never_reach_into_another_organization"),
    ("verify_email", "tokens_of_one_account_do_nothing_for_another"),
    ("resend_verification", "account_level_functions_never_reach_into_another_organization"),
    ("request_password_reset", "tokens_of_one_account_do_nothing_for_another"),
    ("reset_password", "tokens_of_one_account_do_nothing_for_another"),
    ("change_password", "account_level_functions_never_reach_into_another_organization"),
    ("rename", "account_level_functions_never_reach_into_another_organization"),
    ("get_signing_profile", "logs::signatures::signing_identities_of_a_are_out_of_reach_of_b"),
    ("change_legal_name", "logs::signatures::signing_identities_of_a_are_out_of_reach_of_b"),
    ("set_signing_pin", "logs::signatures::signing_identities_of_a_are_out_of_reach_of_b"),
    ("switch_org", "ids_of_organization_a_are_not_found_for_members_of_b"),
    ("list_members", "lists_of_b_show_nothing_of_a"),
    ("change_role", "ids_of_organization_a_are_not_found_for_members_of_b"),
    ("remove_member", "ids_of_organization_a_are_not_found_for_members_of_b"),
    ("invite_member", "lists_of_b_show_nothing_of_a"),
    ("list_invitations", "lists_of_b_show_nothing_of_a"),
    ("revoke_invitation", "ids_of_organization_a_are_not_found_for_members_of_b"),
    ("preview_invitation", "an_invitation_of_a_cannot_be_taken_by_a_member_of_b"),
    ("accept_invitation", "an_invitation_of_a_cannot_be_taken_by_a_member_of_b"),
    ("platform_overview", "the_platform_console_is_not_found_for_tenant_members"),
    ("list_audit_events", "audit::the_trail_of_a_is_invisible_to_b_in_the_page_the_check_and_the_export"),
    ("verify_audit_chain", "audit::the_trail_of_a_is_invisible_to_b_in_the_page_the_check_and_the_export"),
    ("list_facilities", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("create_facility", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("update_facility", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("retire_facility", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("list_equipment", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("create_equipment", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("update_equipment", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("retire_equipment", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("reinstate_equipment", "equipment::facilities_and_equipment_of_a_are_not_found_for_b"),
    ("scan_equipment", "equipment::stickers::a_sticker_of_a_is_not_found_for_b_and_a_replaced_sticker_stops_working"),
    ("regenerate_qr", "equipment::stickers::a_sticker_of_a_is_not_found_for_b_and_a_replaced_sticker_stops_working"),
    ("list_labels", "equipment::stickers::a_sticker_of_a_is_not_found_for_b_and_a_replaced_sticker_stops_working"),
    ("list_protocols", "protocols::protocols_of_a_are_not_found_for_b_and_cannot_be_assigned_across"),
    ("create_protocol", "protocols::protocols_of_a_are_not_found_for_b_and_cannot_be_assigned_across"),
    ("revise_protocol", "protocols::protocols_of_a_are_not_found_for_b_and_cannot_be_assigned_across"),
    ("assign_protocol", "protocols::protocols_of_a_are_not_found_for_b_and_cannot_be_assigned_across"),
    ("log_cleaning", "logs::logs_of_a_are_not_found_for_b"),
    ("amend_log", "logs::logs_of_a_are_not_found_for_b"),
    ("verify_log", "logs::logs_of_a_are_not_found_for_b"),
    ("list_logs", "logs::logs_of_a_are_not_found_for_b"),
    ("list_reviews", "logs::reviews::reviews_of_a_are_neither_listed_nor_verified_by_b"),
    ("count_reviews", "logs::reviews::reviews_of_a_are_neither_listed_nor_verified_by_b"),
    ("check_file", "reports::issued_files::a_file_of_a_says_only_who_issued_it_and_when"),
    ("set_schedule", "schedules::schedules_of_a_are_not_found_for_b"),
    ("clear_schedule", "schedules::schedules_of_a_are_not_found_for_b"),
    ("list_overdue", "schedules::schedules_of_a_are_not_found_for_b"),
    ("get_dashboard", "dashboard::the_dashboard_of_b_shows_nothing_of_a"),
    ("list_corrective_actions", "corrective_actions::corrective_actions_of_a_are_not_found_for_b"),
    ("open_corrective_action", "corrective_actions::corrective_actions_of_a_are_not_found_for_b"),
    ("assign_corrective_action", "corrective_actions::corrective_actions_of_a_are_not_found_for_b"),
    ("close_corrective_action", "corrective_actions::corrective_actions_of_a_are_not_found_for_b"),
    ("act_on_problem", "corrective_actions::problems_reported_on_a_sticker_of_a_are_invisible_to_b"),
    ("dismiss_problem", "corrective_actions::problems_reported_on_a_sticker_of_a_are_invisible_to_b"),
    ("get_inbox", "alerts::alerts_of_a_reach_nobody_in_b"),
    ("count_unread", "alerts::alerts_of_a_reach_nobody_in_b"),
    ("mark_read", "alerts::alerts_of_a_reach_nobody_in_b"),
    ("save_alert_settings", "alerts::alerts_of_a_reach_nobody_in_b"),
    ("list_rounds", "monitoring_rounds::rounds_of_a_are_not_found_for_b"),
    ("start_round", "monitoring_rounds::rounds_of_a_are_not_found_for_b"),
    ("get_round", "monitoring_rounds::rounds_of_a_are_not_found_for_b"),
    ("record_surface", "monitoring_rounds::rounds_of_a_are_not_found_for_b"),
    ("sign_round", "monitoring_rounds::rounds_of_a_are_not_found_for_b"),
    ("report_problem", "corrective_actions::problems_reported_on_a_sticker_of_a_are_invisible_to_b"),
    ("get_settings", "accounts::settings::settings_of_a_are_neither_seen_nor_changed_by_b"),
    ("update_settings", "accounts::settings::settings_of_a_are_neither_seen_nor_changed_by_b"),
    ("get_report_options", "reports_exports_and_inspectors_of_a_are_not_found_for_b"),
    ("request_export", "reports_exports_and_inspectors_of_a_are_not_found_for_b"),
    ("list_exports", "reports_exports_and_inspectors_of_a_are_not_found_for_b"),
    ("invite_inspector", "reports_exports_and_inspectors_of_a_are_not_found_for_b"),
    ("second_factor", "auth::two_factor::enrolling_then_signing_in_asks_for_a_code_that_works_once"),
    ("security_overview", "auth::two_factor::enrolling_then_signing_in_asks_for_a_code_that_works_once"),
    ("confirm_totp", "auth::two_factor::enrolling_then_signing_in_asks_for_a_code_that_works_once"),
    ("renew_recovery_codes", "auth::two_factor::a_recovery_code_signs_in_once"),
    ("disable_two_factor", "auth::two_factor::turning_it_off_needs_the_password_and_ends_the_other_sessions"),
    ("get_sign_in_rules", "auth::two_factor::an_organization_requiring_two_factor_sends_the_role_to_enrol_first"),
    (
        "update_sign_in_rules",
        "auth::session_control::idle_sessions_end_on_the_server_for_the_chosen_roles_and_shared_devices",
    ),
    ("list_sessions", "auth::session_control::my_sessions_lists_each_browser_and_signs_out_the_others"),
    ("end_session", "auth::session_control::my_sessions_lists_each_browser_and_signs_out_the_others"),
    ("keep_session", "auth::session_control::idle_sessions_end_on_the_server_for_the_chosen_roles_and_shared_devices"),
    ("end_member_sessions", "auth::session_control::owners_end_a_members_sessions_and_role_changes_end_them_at_once"),
    ("passkey_register_start", "auth::passkeys::several_passkeys_are_named_and_each_signs_in_alone"),
    ("passkey_register_finish", "auth::passkeys::several_passkeys_are_named_and_each_signs_in_alone"),
    ("rename_passkey", "auth::passkeys::several_passkeys_are_named_and_each_signs_in_alone"),
    ("remove_passkey", "auth::passkeys::several_passkeys_are_named_and_each_signs_in_alone"),
    ("passkey_login_start", "auth::passkeys::another_persons_passkey_or_another_origin_is_refused"),
    ("passkey_login_finish", "auth::passkeys::another_persons_passkey_or_another_origin_is_refused"),
    ("get_sso_settings", "auth::sso::a_provider_signs_people_into_its_own_organization_only"),
    ("save_sso_settings", "auth::sso::a_provider_signs_people_into_its_own_organization_only"),
    ("remove_sso_settings", "auth::sso::a_provider_signs_people_into_its_own_organization_only"),
    ("sign_in_notice", "auth::sso::single_sign_on_signs_in_members_and_provisions_newcomers_with_the_chosen_role"),
    ("get_billing", "billing::billing_of_a_is_out_of_reach_of_b_through_pages_and_webhooks"),
    ("start_checkout", "billing::billing_of_a_is_out_of_reach_of_b_through_pages_and_webhooks"),
    ("open_billing_portal", "billing::billing_of_a_is_out_of_reach_of_b_through_pages_and_webhooks"),
];

#[test]
fn every_server_function_has_a_cross_tenant_case() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let covered: BTreeSet<String> = COVERED.iter().map(|(name, _)| name.to_string()).collect();
    assert!(registered.len() >= 30, "server functions not registered in the test binary? {registered:?}");
    let missing: Vec<_> = registered.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(missing.is_empty(), "server functions without a cross-tenant case: {missing:?}");
    assert!(stale.is_empty(), "cases for server functions that no longer exist: {stale:?}");
}

/// Org A's membership table, read as A: what must not change when B acts.
async fn a_members(app: &TestApp, world: &World) -> Vec<(String, Role)> {
    let members: Vec<Member> =
        app.call(&world.a.member(Role::Owner).client, "list_members", &[]).await.assert_ok().json();
    members.into_iter().map(|m| (m.email, m.role)).collect()
}

#[sqlx::test]
async fn ids_of_organization_a_are_not_found_for_members_of_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    app.call(&world.a.member(Role::Admin).client, "invite_member", &[("email", "x@mail.example"), ("role", "staff")])
        .await
        .assert_ok();
    let invitations_of_a: Vec<PendingInvitation> =
        app.call(&world.a.member(Role::Admin).client, "list_invitations", &[]).await.json();
    let invitation_of_a = invitations_of_a[0].id.to_string();
    let before = a_members(&app, &world).await;

    for role in Role::ALL {
        let client = &world.b.member(role).client;
        for target in world.a.members.values() {
            let id = target.id.to_string();
            for call in [
                app.call(client, "change_role", &[("user_id", &id), ("role", "auditor")]).await,
                app.call(client, "remove_member", &[("user_id", &id)]).await,
            ] {
                // Roles that may manage members learn nothing; the others are refused before looking.
                let expected = if role.can(cleantrack::model::role::Action::ManageMembers) { 404 } else { 403 };
                call.assert_status(expected);
            }
        }
        let revoke = app.call(client, "revoke_invitation", &[("invitation_id", &invitation_of_a)]).await;
        revoke.assert_status(if role.can(cleantrack::model::role::Action::InviteMembers) { 404 } else { 403 });
        app.call(client, "switch_org", &[("org_id", &world.a.id.to_string())]).await.assert_status(404);
    }

    assert_eq!(a_members(&app, &world).await, before, "nothing of A changed");
    let still: Vec<PendingInvitation> =
        app.call(&world.a.member(Role::Admin).client, "list_invitations", &[]).await.json();
    assert_eq!(still.len(), 1, "A's invitation still stands");
    let session: SessionInfo = app.call(&world.b.member(Role::Owner).client, "session", &[]).await.json();
    assert_eq!(session.current.unwrap().org_id, world.b.id, "B's session stayed in B");
}

#[sqlx::test]
async fn lists_of_b_show_nothing_of_a(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    app.call(
        &world.a.member(Role::Owner).client,
        "invite_member",
        &[("email", "only-a@mail.example"), ("role", "staff")],
    )
    .await
    .assert_ok();
    // B invites the very address A invited: B's invitation is B's alone.
    app.call(
        &world.b.member(Role::Owner).client,
        "invite_member",
        &[("email", "only-a@mail.example"), ("role", "auditor")],
    )
    .await
    .assert_ok();
    for role in [Role::Owner, Role::Admin, Role::Supervisor, Role::Auditor] {
        let members: Vec<Member> = app.call(&world.b.member(role).client, "list_members", &[]).await.assert_ok().json();
        assert_eq!(members.len(), Role::ALL.len());
        assert!(members.iter().all(|m| m.email.ends_with("@b.example")), "{members:?}");
    }
    let b_invites: Vec<PendingInvitation> =
        app.call(&world.b.member(Role::Owner).client, "list_invitations", &[]).await.json();
    assert_eq!(b_invites.iter().map(|i| i.role).collect::<Vec<_>>(), [Role::Auditor]);
    let a_invites: Vec<PendingInvitation> =
        app.call(&world.a.member(Role::Owner).client, "list_invitations", &[]).await.json();
    assert_eq!(
        a_invites.iter().map(|i| i.role).collect::<Vec<_>>(),
        [Role::Staff],
        "B's invitation did not revoke A's"
    );
}

#[sqlx::test]
async fn an_invitation_of_a_cannot_be_taken_by_a_member_of_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    app.call(
        &world.a.member(Role::Owner).client,
        "invite_member",
        &[("email", "invitee@mail.example"), ("role", "admin")],
    )
    .await
    .assert_ok();
    let token = app.last_token("invitee@mail.example").await;
    for person in world.b.members.values() {
        app.call(&person.client, "accept_invitation", &[("token", &token)]).await.assert_status(403);
    }
    // A made-up token, or a token of B's shape, finds nothing.
    app.call(&world.b.member(Role::Owner).client, "preview_invitation", &[("token", "forged-token")])
        .await
        .assert_status(422);
    assert_eq!(a_members(&app, &world).await.len(), Role::ALL.len(), "nobody joined A");
}

#[sqlx::test]
async fn tokens_of_one_account_do_nothing_for_another(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let victim = world.a.member(Role::Owner);
    app.call(
        &world.b.member(Role::Owner).client,
        "request_password_reset",
        &[("email", &world.b.member(Role::Owner).email)],
    )
    .await
    .assert_ok();
    let b_token = app.last_token(&world.b.member(Role::Owner).email).await;
    // A reset token resets only the account it was mailed to, whoever submits it.
    app.call(&victim.client, "reset_password", &[("token", &b_token), ("password", "amber lantern orchard piano")])
        .await
        .assert_ok();
    app.call(&app.browser(), "login", &[("email", &victim.email), ("password", PASSWORD)]).await.assert_ok();
    // A verification token is not a reset token and vice versa.
    app.call(&app.browser(), "verify_email", &[("token", &b_token)]).await.assert_status(422);
}

#[sqlx::test]
async fn account_level_functions_never_reach_into_another_organization(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let b_owner = world.b.member(Role::Owner);
    let before = a_members(&app, &world).await;

    let session: SessionInfo = app.call(&b_owner.client, "session", &[]).await.json();
    assert_eq!(session.memberships.iter().map(|m| m.org_id).collect::<Vec<_>>(), [world.b.id]);
    app.call(&b_owner.client, "rename", &[("name", "Renamed in B")]).await.assert_ok();
    app.call(&b_owner.client, "resend_verification", &[]).await.assert_status(409);
    app.call(&b_owner.client, "change_password", &[("current", PASSWORD), ("password", "amber lantern orchard piano")])
        .await
        .assert_ok();
    // Signing in as B, logging out, registering anew: none of it touches A.
    app.call(&app.browser(), "login", &[("email", &b_owner.email), ("password", "amber lantern orchard piano")])
        .await
        .assert_ok();
    app.call(&b_owner.client, "logout", &[]).await.assert_ok();
    let newcomer = app.browser();
    app.call(
        &newcomer,
        "register",
        &[("name", "N"), ("email", "n@new.example"), ("organization", "Org A"), ("password", PASSWORD)],
    )
    .await
    .assert_ok();
    app.call(&newcomer, "login", &[("email", "n@new.example"), ("password", PASSWORD)]).await.assert_ok();
    let session: SessionInfo = app.call(&newcomer, "session", &[]).await.json();
    assert_ne!(session.current.unwrap().org_id, world.a.id, "a same-named organization is a new tenant");

    assert_eq!(a_members(&app, &world).await, before);
}

#[sqlx::test]
async fn the_platform_console_is_not_found_for_tenant_members(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    for person in world.a.members.values() {
        app.call(&person.client, "platform_overview", &[]).await.assert_status(404);
    }
    // An operator (flag set the way `create-superuser` sets it) sees both organizations.
    let operator = world.b.member(Role::Staff);
    operator.make_operator(&app).await;
    let overview: PlatformConsole = app.call(&operator.client, "platform_overview", &[]).await.assert_ok().json();
    let orgs = overview.organizations;
    let names: BTreeSet<_> = orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Org A", "Org B"]));
    assert!(orgs.iter().all(|o| o.members.len() == Role::ALL.len()));
}

/// The second wall: inside one tenant's transaction, queries with no organization filter at all
/// return only that tenant's rows; with no context they return nothing.
#[sqlx::test]
async fn row_level_security_hides_other_tenants_from_a_query_without_a_filter(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    app.call(&world.a.member(Role::Owner).client, "invite_member", &[("email", "i@mail.example"), ("role", "staff")])
        .await
        .assert_ok();

    let ctx_b = tenant_ctx_of(&app, world.b.member(Role::Staff).id).await;
    let mut tx = cleantrack::server::auth::TenantTx::begin(&app.pool, &ctx_b).await.unwrap();
    let orgs: Vec<String> = sqlx::query_scalar("SELECT name FROM organizations").fetch_all(tx.conn()).await.unwrap();
    assert_eq!(orgs, ["Org B"]);
    let members: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT org_id FROM memberships").fetch_all(tx.conn()).await.unwrap();
    assert!(!members.is_empty() && members.iter().all(|org| *org == world.b.id.0));
    let invitations: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations").fetch_one(tx.conn()).await.unwrap();
    assert_eq!(invitations, 0, "A's invitation is invisible to B");
    // Writing into A from B's context is refused by the policy's WITH CHECK.
    let write = sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')")
        .bind(world.a.id)
        .bind(world.b.member(Role::Staff).id)
        .execute(tx.conn())
        .await;
    assert!(write.is_err(), "inserting into another tenant must fail");
    drop(tx);

    for table in ["organizations", "memberships", "invitations"] {
        let visible: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&app.pool).await.unwrap();
        assert_eq!(visible, 0, "{table} without any tenant context");
    }
}

async fn tenant_ctx_of(app: &TestApp, user: cleantrack::model::ids::UserId) -> cleantrack::server::auth::TenantCtx {
    cleantrack::server::auth::TenantCtx::for_member(&app.pool, None, user).await.unwrap().expect("a member")
}

/// The reports of B show nothing of A; A's facilities and exports are "not found" for B, in
/// the server functions and in the plain routes (`/reports/logs.csv`, `/exports/{id}`).
#[sqlx::test]
async fn reports_exports_and_inspectors_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    use cleantrack::model::reports::{ExportInfo, ReportOptions};
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let data = crate::reports::data(&app, &world).await;
    let (export_of_a, _) =
        crate::reports::export(&app, &world.a.member(Role::Owner).client, "report_pdf", data.lab).await;
    let lab = data.lab.to_string();
    for role in Role::ALL {
        let client = &world.b.member(role).client;
        let may = role.can(cleantrack::model::role::Action::ExportReports);
        let options = app.call(client, "get_report_options", &[]).await;
        if may {
            let options: ReportOptions = options.assert_ok().json();
            assert!(options.facilities.is_empty() && options.equipment.is_empty() && options.people.is_empty());
            let exports: Vec<ExportInfo> = app.call(client, "list_exports", &[]).await.assert_ok().json();
            assert!(exports.is_empty());
        } else {
            options.assert_status(403);
        }
        app.call(client, "request_export", &[("kind", "report_pdf"), ("facility", &lab)]).await.assert_status(if may {
            404
        } else {
            403
        });
        let csv = client.get(app.url(&format!("/reports/logs.csv?facility={lab}"))).send().await.unwrap();
        if may {
            assert_eq!(csv.status(), 200);
            assert_eq!(csv.text().await.unwrap().lines().count(), 1, "only the header: nothing of A");
        } else {
            assert_eq!(csv.status(), 403);
        }
        let download = client.get(app.url(&format!("/exports/{export_of_a}"))).send().await.unwrap();
        assert_eq!(download.status(), if may { 404 } else { 403 });
        let invite = app
            .call(
                client,
                "invite_inspector",
                &[("email", "i@x.example"), ("name", "I"), ("days", "7"), ("facilities[]", &lab)],
            )
            .await;
        invite.assert_status(if role.can(cleantrack::model::role::Action::InviteMembers) { 404 } else { 403 });
    }
    // Within A, an export is its requester's alone.
    let other =
        world.a.member(Role::Auditor).client.get(app.url(&format!("/exports/{export_of_a}"))).send().await.unwrap();
    assert_eq!(other.status(), 404);
}
