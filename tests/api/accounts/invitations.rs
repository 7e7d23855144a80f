//! Inviting people: accept with a new account or an existing one, withdraw, expire.

use cleantrack::model::accounts::{InvitationPreview, Member, PendingInvitation};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::spawn_app;
use crate::world::{World, PASSWORD};

const INVITEE: &str = "new.colleague@mail.example";

#[sqlx::test]
async fn an_invitee_without_an_account_joins_with_the_role_offered(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    app.call(admin, "invite_member", &[("email", INVITEE), ("role", "supervisor")]).await.assert_ok();
    let pending: Vec<PendingInvitation> = app.call(admin, "list_invitations", &[]).await.assert_ok().json();
    assert_eq!(pending.iter().map(|i| (i.email.as_str(), i.role)).collect::<Vec<_>>(), [(INVITEE, Role::Supervisor)]);

    let (subject, link) = app.last_email(INVITEE).await.expect("an invitation email");
    assert_eq!(subject, "Join Org A on CleanTrack");
    assert!(link.contains("/invitations/accept?token="), "{link}");
    let token = app.last_token(INVITEE).await;

    let invitee = app.browser();
    let preview: InvitationPreview =
        app.call(&invitee, "preview_invitation", &[("token", &token)]).await.assert_ok().json();
    assert_eq!((preview.org_name.as_str(), preview.role, preview.account_exists), ("Org A", Role::Supervisor, false));

    let weak = app
        .call(&invitee, "accept_invitation", &[("token", &token), ("name", "New Colleague"), ("password", "short")])
        .await;
    weak.assert_status(422);
    app.call(&invitee, "accept_invitation", &[("token", &token), ("name", "New Colleague"), ("password", PASSWORD)])
        .await
        .assert_ok();

    // A member now, verified by the link, working in Org A.
    let members: Vec<Member> = app.call(&invitee, "list_members", &[]).await.assert_ok().json();
    assert!(members.iter().any(|m| m.email == INVITEE && m.role == Role::Supervisor));
    assert!(members.iter().all(|m| !m.email.ends_with("@b.example")));
    // The link is used up.
    app.call(&app.browser(), "preview_invitation", &[("token", &token)]).await.assert_status(422);
    let pending: Vec<PendingInvitation> = app.call(admin, "list_invitations", &[]).await.assert_ok().json();
    assert!(pending.is_empty());
}

#[sqlx::test]
async fn a_member_of_another_organization_joins_with_their_account_and_can_switch(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let staff_b = world.b.member(Role::Staff);
    app.call(&world.a.member(Role::Owner).client, "invite_member", &[("email", &staff_b.email), ("role", "auditor")])
        .await
        .assert_ok();
    let token = app.last_token(&staff_b.email).await;

    // Someone else signed in cannot take it.
    let wrong = app.call(&world.b.member(Role::Admin).client, "accept_invitation", &[("token", &token)]).await;
    wrong.assert_status(403);
    assert!(wrong.body.contains(&staff_b.email), "{}", wrong.body);

    // Signed out, the page asks to sign in: an account exists.
    let preview: InvitationPreview = app.call(&app.browser(), "preview_invitation", &[("token", &token)]).await.json();
    assert!(preview.account_exists);

    app.call(&staff_b.client, "accept_invitation", &[("token", &token)]).await.assert_ok();
    let session: cleantrack::model::accounts::SessionInfo = app.call(&staff_b.client, "session", &[]).await.json();
    assert_eq!(session.memberships.len(), 2);
    assert_eq!(session.current.unwrap().org_id, world.a.id, "accepting moves the session to the new organization");
    app.call(&staff_b.client, "switch_org", &[("org_id", &world.b.id.to_string())]).await.assert_ok();
    let session: cleantrack::model::accounts::SessionInfo = app.call(&staff_b.client, "session", &[]).await.json();
    assert_eq!(session.current.unwrap().org_id, world.b.id);
}

#[sqlx::test]
async fn withdrawn_and_expired_invitations_no_longer_work(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;

    app.call(admin, "invite_member", &[("email", INVITEE), ("role", "staff")]).await.assert_ok();
    let token = app.last_token(INVITEE).await;
    let pending: Vec<PendingInvitation> = app.call(admin, "list_invitations", &[]).await.json();
    app.call(admin, "revoke_invitation", &[("invitation_id", &pending[0].id.to_string())]).await.assert_ok();
    let withdrawn = app.call(&app.browser(), "preview_invitation", &[("token", &token)]).await;
    withdrawn.assert_status(422);
    assert!(withdrawn.body.contains("withdrawn"), "{}", withdrawn.body);

    app.call(admin, "invite_member", &[("email", INVITEE), ("role", "staff")]).await.assert_ok();
    let token = app.last_token(INVITEE).await;
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.org_id', $1, true)")
        .bind(world.a.id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 minute'").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let expired = app
        .call(&app.browser(), "accept_invitation", &[("token", &token), ("name", "Late"), ("password", PASSWORD)])
        .await;
    expired.assert_status(422);
    assert!(expired.body.contains("expired"), "{}", expired.body);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = $1")
        .bind(INVITEE)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0, "a refused acceptance creates no account");
}

#[sqlx::test]
async fn inviting_an_existing_member_is_refused(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let call = app
        .call(&world.a.member(Role::Admin).client, "invite_member", &[("email", "staff@a.example"), ("role", "staff")])
        .await;
    call.assert_status(409);
    app.call(&world.a.member(Role::Admin).client, "invite_member", &[("email", "not an email"), ("role", "staff")])
        .await
        .assert_status(422);
}
