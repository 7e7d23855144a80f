use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionError, Field};
use crate::model::accounts::InvitationPreview;
use crate::model::error::AppError;
use crate::model::text::PersonName;

/// What an invitation link offers: organization, role, address. Only the token's holder sees it.
#[server(endpoint = "preview_invitation")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use crate::server::auth::flows::invitation;
    use crate::server::auth::request::{reply, state};
    reply(invitation::preview(&state(), &token).await)
}

/// Joins the inviting organization: signed in with the invited address, or creating an account
/// with `name` and `password`.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String, name: Option<String>, password: Option<String>) -> Result<(), AppError> {
    use crate::server::auth::flows::invitation::{self, NewAccount};
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(
        async {
            let mut auth = auth_session().await?;
            let account = match (name, password) {
                (Some(name), Some(password)) => Some(NewAccount { name, password }),
                _ => None,
            };
            invitation::accept(&state, &mut auth, &token, account).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let preview = Resource::new(move || token.get(), preview_invitation);
    let session = crate::components::session::use_session();
    let action = ServerAction::<AcceptInvitation>::new();
    view! {
        <Title text="Invitation"/>
        <section class="narrow">
            <h1>"Invitation"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let signed_in = session.await.ok().flatten();
                    match preview.await {
                        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(invite) => {
                            let next = format!("/invitations/accept?token={}", token.get_untracked());
                            let login_href = format!("/login?next={}", crate::model::redirect::encode_component(&next));
                            let needs_account = signed_in.is_none() && !invite.account_exists;
                            let needs_sign_in = signed_in.is_none() && invite.account_exists;
                            // Copy, so the nested `Show` closures can each read it.
                            let given_name = StoredValue::new(invite.name.clone().unwrap_or_default());
                            view! {
                                <p>"You are invited to join " <strong>{invite.org_name.clone()}</strong>
                                   " as " <strong>{invite.role.label()}</strong> " with the address " <strong>{invite.email.clone()}</strong> "."</p>
                                <Show when=move || needs_sign_in>
                                    <p><a class="button" href=login_href.clone()>"Sign in to accept"</a></p>
                                </Show>
                                <Show when=move || !needs_sign_in>
                                    <ActionForm action=action attr:class="form">
                                        <input type="hidden" name="token" value=token.get_untracked()/>
                                        <Show when=move || needs_account>
                                            <Field label="Your name" name="name" autocomplete="name" maxlength=PersonName::MAX value=given_name.get_value()/>
                                            <Field label="Choose a password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters."/>
                                        </Show>
                                        <ActionError value=action.value()/>
                                        <button type="submit" class="button" disabled=move || action.pending().get()>"Accept and join"</button>
                                    </ActionForm>
                                </Show>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
            <p><A href="/">"CleanTrack home"</A></p>
        </section>
    }
}
