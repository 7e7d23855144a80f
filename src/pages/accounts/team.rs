//! The team: members and their roles, invitations. Owners and admins manage; supervisors and
//! auditors read.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::accounts::{Member, PendingInvitation};
use crate::model::error::AppError;
use crate::model::ids::{InvitationId, UserId};
use crate::model::role::{Action, Role};

/// Members of the current organization.
#[server(endpoint = "list_members")]
pub async fn list_members() -> Result<Vec<Member>, AppError> {
    use crate::server::{accounts::team, auth::request::in_tenant};
    in_tenant(async |tx| team::list(tx).await).await
}

/// Gives a member another role. Only owners grant or take the owner role; the last owner stays.
#[server(endpoint = "change_role")]
pub async fn change_role(user_id: UserId, role: Role) -> Result<(), AppError> {
    use crate::server::accounts::sign_in_rules::end_after_change;
    use crate::server::accounts::team;
    use crate::server::auth::request::{in_tenant, state};
    use crate::server::auth::sessions::Ended;
    let state = state();
    in_tenant(async |tx| {
        // A new role: they sign in again, into what it may do.
        if team::change_role(tx, user_id, role).await? {
            end_after_change(tx, &state, user_id, Ended::RoleChanged).await?;
        }
        Ok(())
    })
    .await?;
    state.auth_cache.forget_user(user_id);
    Ok(())
}

/// Removes a member from the organization (their account stays).
#[server(endpoint = "remove_member")]
pub async fn remove_member(user_id: UserId) -> Result<(), AppError> {
    use crate::server::accounts::sign_in_rules::end_after_change;
    use crate::server::accounts::team;
    use crate::server::auth::request::{in_tenant, state};
    use crate::server::auth::sessions::Ended;
    let state = state();
    in_tenant(async |tx| {
        team::remove(tx, user_id).await?;
        end_after_change(tx, &state, user_id, Ended::Removed).await.map(drop)
    })
    .await?;
    state.auth_cache.forget_user(user_id);
    Ok(())
}

/// Signs a member out on every device (owners only).
#[server(endpoint = "end_member_sessions")]
pub async fn end_member_sessions(user_id: UserId) -> Result<usize, AppError> {
    use crate::server::accounts::sign_in_rules;
    use crate::server::auth::request::{in_tenant, state};
    let state = state();
    in_tenant(async |tx| sign_in_rules::end_member_sessions(tx, &state, user_id).await).await
}

/// Invites someone by email with a role; the link is valid for 7 days.
#[server(endpoint = "invite_member")]
pub async fn invite_member(email: String, role: Role) -> Result<(), AppError> {
    use crate::server::accounts::invitations;
    use crate::server::auth::request::state;
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    let public_url = state().config.public_url.clone();
    in_tenant_gated(Gate::Administration, async |tx| invitations::create(tx, &public_url, &email, role, None).await)
        .await
}

/// Invitations not yet accepted, withdrawn or expired.
#[server(endpoint = "list_invitations")]
pub async fn list_invitations() -> Result<Vec<PendingInvitation>, AppError> {
    use crate::server::{accounts::invitations, auth::request::in_tenant};
    in_tenant(async |tx| invitations::list_pending(tx).await).await
}

/// Withdraws a pending invitation: its link stops working.
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(invitation_id: InvitationId) -> Result<(), AppError> {
    use crate::server::{accounts::invitations, auth::request::in_tenant};
    in_tenant(async |tx| invitations::revoke(tx, invitation_id).await).await
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let session = crate::components::session::use_session();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let end = ServerAction::<EndMemberSessions>::new();
    let members = Resource::new(move || (change.version().get(), remove.version().get()), |_| list_members());
    // Only those who may invite read the invitations: for anyone else the call would answer 403,
    // and that status would become the whole page's.
    let invitations = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        move |_| async move {
            let may =
                session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::InviteMembers));
            if may {
                list_invitations().await
            } else {
                Ok(Vec::new())
            }
        },
    );

    view! {
        <Title text="Team"/>
        <h1>"Team"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let info = session.await.ok().flatten();
                let me = info.as_ref().map(|s| s.user_id);
                let role = info.and_then(|s| s.current).map(|c| c.role);
                // Owners sign a member out everywhere (a lost phone); not themselves from here.
                let may_end = role.is_some_and(|r| r.can(Action::ManageSignIn));
                let manage = role.is_some_and(|r| r.can(Action::ManageMembers));
                let grantable: Vec<Role> = Role::MEMBER.into_iter()
                    .filter(|r| *r != Role::Owner || role.is_some_and(|me| me.can(Action::ManageOwners)))
                    .collect();
                let owners = role.is_some_and(|me| me.can(Action::ManageOwners));
                let list = match members.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(members) => view! {
                        <ul class="list">
                            {members.into_iter().map(|m| {
                                // An owner is changed or removed only by an owner.
                                let may = manage && (m.role != Role::Owner || owners);
                                let end = (may_end && Some(m.user_id) != me).then_some(end);
                                member_row(m, may, &grantable, change, remove, end)
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                };
                let invites = if manage {
                    Some(invitation_section(invitations, invite, revoke, grantable.clone()))
                } else {
                    None
                };
                view! {
                    <ActionError value=change.value()/>
                    <ActionError value=remove.value()/>
                    <ActionError value=end.value()/>
                    <ActionDone action=end message="Signed out on every device."/>
                    {list}
                    {invites}
                }
            })}
        </Suspense>
    }
}

/// `manage`: the reader may change this member. The role picker appears only when the member's
/// role is one the reader may grant (an inspector's is set by their invitation), so it always
/// shows the role the member has: a picker falling back to its first option once offered to make
/// an inspector an admin in one click.
fn member_row(
    member: Member,
    manage: bool,
    grantable: &[Role],
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    end: Option<ServerAction<EndMemberSessions>>,
) -> impl IntoView {
    let id = member.user_id.to_string();
    let (change_id, remove_id, end_id) = (id.clone(), id.clone(), id.clone());
    let end_form = end.map(|end| {
        view! {
            <ActionForm action=end attr:class="inline-form">
                <input type="hidden" name="user_id" value=end_id/>
                <button type="submit" class="button button--small button--secondary">"Sign out everywhere"</button>
            </ActionForm>
        }
    });
    let select_id = format!("role-{id}");
    let options = grantable
        .iter()
        .map(|r| view! { <option value=r.as_str() selected=*r == member.role>{r.label()}</option> })
        .collect_view();
    view! {
        <li class="list__item" data-member=member.email.clone()>
            <div>
                <strong>{member.display_name.clone()}</strong>
                <div class="muted">{member.email.clone()}</div>
            </div>
            {if manage {
                let picker = grantable.contains(&member.role).then(|| view! {
                    <ActionForm action=change attr:class="inline-form">
                        <input type="hidden" name="user_id" value=change_id/>
                        <label class="visually-hidden" for=select_id.clone()>"Role"</label>
                        <select id=select_id name="role">{options}</select>
                        <button type="submit" class="button button--small">"Change role"</button>
                    </ActionForm>
                });
                let fixed = (!grantable.contains(&member.role)).then(|| view! { <span class="badge">{member.role.label()}</span> });
                view! {
                    <div class="list__actions">
                        {picker}
                        {fixed}
                        {end_form}
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="user_id" value=remove_id/>
                            <button type="submit" class="button button--small button--danger">"Remove"</button>
                        </ActionForm>
                    </div>
                }.into_any()
            } else {
                view! { <span class="badge">{member.role.label()}</span> {end_form} }.into_any()
            }}
        </li>
    }
}

fn invitation_section(
    invitations: Resource<Result<Vec<PendingInvitation>, AppError>>,
    invite: ServerAction<InviteMember>,
    revoke: ServerAction<RevokeInvitation>,
    grantable: Vec<Role>,
) -> impl IntoView {
    view! {
        <h2>"Invite someone"</h2>
        <ActionForm action=invite attr:class="form">
            <Field label="Email" name="email" kind="email" autocomplete="off"/>
            <div class="field">
                <label for="invite-role">"Role"</label>
                <select id="invite-role" name="role">
                    {grantable.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Staff>{r.label()}</option> }).collect_view()}
                </select>
            </div>
            <ActionError value=invite.value()/>
            <ActionDone action=invite message="Invitation sent."/>
            <button type="submit" class="button">"Send invitation"</button>
        </ActionForm>
        <h2>"Pending invitations"</h2>
        <ActionError value=revoke.value()/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match invitations.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"None."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="list">
                            {list.into_iter().map(|i| view! {
                                <li class="list__item">
                                    <div>
                                        <strong>{i.email.clone()}</strong>
                                        <div class="muted">{format!("{} · invited by {} · expires {}", i.role.label(), i.invited_by, &i.expires_at[..10])}</div>
                                    </div>
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="invitation_id" value=i.id.to_string()/>
                                        <button type="submit" class="button button--small button--danger">"Withdraw"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(err) => view! { <p class="alert alert--error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
