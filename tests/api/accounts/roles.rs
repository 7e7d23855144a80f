//! The permission matrix, enforced: every role gets what the matrix allows and a clear refusal
//! otherwise. Also checks that README's table says what the code does.

use cleantrack::model::role::{Action, Role};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::spawn_app;
use crate::world::World;

#[sqlx::test]
async fn each_role_can_do_what_the_matrix_allows_and_nothing_more(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let staff = world.a.member(Role::Staff).id.to_string();
    for role in Role::ALL {
        let client = &world.a.member(role).client;
        let attempts = [
            (Action::ViewTeam, app.call(client, "list_members", &[]).await),
            (Action::InviteMembers, app.call(client, "list_invitations", &[]).await),
            (
                Action::InviteMembers,
                app.call(
                    client,
                    "invite_member",
                    &[("email", &format!("by-{}@x.example", role.as_str())), ("role", "staff")],
                )
                .await,
            ),
            // Setting staff to staff changes nothing but still needs the permission.
            (Action::ManageMembers, app.call(client, "change_role", &[("user_id", &staff), ("role", "staff")]).await),
            (
                Action::ManageOwners,
                app.call(client, "invite_member", &[("email", "owner2@x.example"), ("role", "owner")]).await,
            ),
        ];
        for (action, call) in attempts {
            if role.can(action) {
                call.assert_ok();
            } else {
                call.assert_status(403);
                assert!(call.body.contains("Your role does not allow this."), "{role:?} {action:?}: {}", call.body);
            }
        }
    }
}

#[sqlx::test]
async fn admins_cannot_touch_owners_and_the_last_owner_stays(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = world.a.member(Role::Owner);
    let admin = &world.a.member(Role::Admin).client;
    let owner_id = owner.id.to_string();

    app.call(admin, "remove_member", &[("user_id", &owner_id)]).await.assert_status(403);
    app.call(admin, "change_role", &[("user_id", &owner_id), ("role", "staff")]).await.assert_status(403);
    let last = app.call(&owner.client, "change_role", &[("user_id", &owner_id), ("role", "admin")]).await;
    last.assert_status(409);
    assert!(last.body.contains("always keeps an owner"), "{}", last.body);
    app.call(&owner.client, "remove_member", &[("user_id", &owner_id)]).await.assert_status(409);

    // With a second owner, the first may step down.
    let admin_id = world.a.member(Role::Admin).id.to_string();
    app.call(&owner.client, "change_role", &[("user_id", &admin_id), ("role", "owner")]).await.assert_ok();
    app.call(&owner.client, "change_role", &[("user_id", &owner_id), ("role", "admin")]).await.assert_ok();
}

#[sqlx::test]
async fn a_removed_member_loses_access_at_the_next_request(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let supervisor = world.a.member(Role::Supervisor);
    app.call(&supervisor.client, "list_members", &[]).await.assert_ok();
    app.call(&world.a.member(Role::Admin).client, "remove_member", &[("user_id", &supervisor.id.to_string())])
        .await
        .assert_ok();
    // Removal ends their sessions: the next request is not signed in at all.
    app.call(&supervisor.client, "list_members", &[]).await.assert_status(401);
    // Signed in again, they belong to no organization.
    let again = crate::world::World::sign_in(&app, &supervisor.email).await;
    app.call(&again, "list_members", &[]).await.assert_status(403);
}

#[test]
fn the_readme_permission_table_matches_the_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| l.trim_start_matches('#').trim() != "Permissions")
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("| action") && !l.starts_with("|-"))
        .collect();
    let actions = [
        ("see the team", Action::ViewTeam),
        ("invite people, see and withdraw invitations", Action::InviteMembers),
        ("change roles, remove members", Action::ManageMembers),
        ("grant or remove the owner role", Action::ManageOwners),
        ("read, verify and export the audit trail", Action::ViewAudit),
        ("see facilities and equipment", Action::ViewAssets),
        ("create, change and retire facilities and equipment; set schedules", Action::ManageAssets),
        ("change the organization's settings (strict signatures, public sticker panel)", Action::ManageSettings),
        (
            "set sign-in rules (two-factor, idle sign-out, single sign-on), end a member's sessions",
            Action::ManageSignIn,
        ),
        ("record (sign) a cleaning, amend a cleaning log", Action::LogCleaning),
        ("verify someone else's cleaning log (second signature)", Action::VerifyLogs),
        ("download cleaning logs (CSV) and inspection reports (PDF)", Action::ExportReports),
        (
            "download the inspection binder (with the whole audit trail; inspectors of every facility only)",
            Action::ExportBinder,
        ),
        ("see the plan, subscription, usage and payments", Action::ViewBilling),
        ("subscribe (Stripe Checkout), manage the subscription (Stripe portal)", Action::ManageBilling),
    ];
    assert_eq!(table.len(), actions.len(), "README rows: {table:?}");
    for (row, (name, action)) in table.iter().zip(actions) {
        let cells: Vec<&str> = row.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        assert_eq!(cells[0], name);
        for (role, cell) in Role::ALL.iter().zip(&cells[1..]) {
            assert_eq!(*cell == "yes", role.can(action), "README says {cell} for {role:?} / {name}");
        }
    }
}

/// The team page as `reader` sees it: per member email, the role the picker shows as chosen and
/// the roles it offers, or `None` where the member's role is shown read-only.
type Picker = Option<(String, Vec<String>)>;

fn pickers(html: &str) -> Vec<(String, Picker)> {
    html.split("data-member=\"")
        .skip(1)
        .map(|row| {
            let email = row.split('"').next().unwrap().to_owned();
            let row = row.split("</li>").next().unwrap();
            let picker = row.split_once("<select").map(|(_, select)| {
                let select = select.split("</select>").next().unwrap();
                let options: Vec<(&str, bool)> = select
                    .split("<option")
                    .skip(1)
                    .map(|o| {
                        (
                            o.split("value=\"").nth(1).unwrap().split('"').next().unwrap(),
                            o.split('>').next().unwrap().contains("selected"),
                        )
                    })
                    .collect();
                let chosen = options.iter().find(|(_, s)| *s).map(|(v, _)| (*v).to_owned()).unwrap_or_default();
                (chosen, options.iter().map(|(v, _)| (*v).to_owned()).collect())
            });
            (email, picker)
        })
        .collect()
}

#[sqlx::test]
async fn the_team_page_shows_each_members_own_role_and_offers_only_grantable_ones(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    for reader in [Role::Owner, Role::Admin, Role::Supervisor, Role::Auditor] {
        let html = world.a.member(reader).client.get(app.url("/team")).send().await.unwrap().text().await.unwrap();
        let rows = pickers(&html);
        assert_eq!(rows.len(), Role::ALL.len(), "{reader:?} sees every member");
        for member in Role::ALL {
            let email = &world.a.member(member).email;
            let (_, picker) = rows.iter().find(|(e, _)| e == email).unwrap();
            let grantable = reader.can(Action::ManageMembers)
                && member != Role::Inspector
                && (member != Role::Owner || reader.can(Action::ManageOwners));
            match picker {
                Some((chosen, offered)) => {
                    assert!(grantable, "{reader:?} is offered to change {member:?}");
                    assert_eq!(chosen, member.as_str(), "{reader:?} sees {member:?}'s own role");
                    assert!(!offered.iter().any(|r| r == "inspector"), "an inspector is invited, never promoted to");
                    assert_eq!(offered.iter().any(|r| r == "owner"), reader.can(Action::ManageOwners));
                }
                None => assert!(!grantable, "{reader:?} gets no picker for {member:?}"),
            }
        }
    }
}
