//! The signed-in person: the session every page reads, switching organization, name, password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::account::SessionInfo;
use crate::model::error::AppError;
use crate::model::ids::OrgId;

/// Who is signed in (or nobody) and their organizations.
#[server(endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(async { signin::session_info(&state(), &auth_session().await?).await }.await)
}

/// Moves the session to another of the user's organizations; any other id is "not found".
#[server(endpoint = "switch_org")]
pub async fn switch_org(org_id: OrgId) -> Result<(), AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(
        async {
            signin::switch_org(&state(), &mut auth_session().await?, org_id).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

/// Changes the password after checking the current one; other sessions of the user end.
#[server(endpoint = "change_password")]
pub async fn change_password(current: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(async { signin::change_password(&state(), &mut auth_session().await?, current, password).await }.await)
}

/// Changes the name shown on the team page and, later, on signatures.
#[server(endpoint = "rename")]
pub async fn rename(name: String) -> Result<(), AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(async { signin::rename(&state(), &mut auth_session().await?, &name).await }.await)
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = crate::app::use_session();
    let rename = ServerAction::<Rename>::new();
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <Title text="Your account"/>
        <section class="narrow">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match session.await {
                        Ok(Some(info)) => view! {
                            <p>"Signed in as " <strong>{info.email.clone()}</strong></p>
                            <h2>"Name"</h2>
                            <ActionForm action=rename attr:class="form">
                                <Field label="Your name" name="name" autocomplete="name" value=info.display_name.clone()/>
                                <ActionError value=rename.value()/>
                                <ActionDone action=rename message="Name saved."/>
                                <button type="submit" class="button">"Save name"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! { <p>"Please " <a href="/login?next=/account">"sign in"</a> "."</p> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Password"</h2>
            <ActionForm action=change attr:class="form">
                <Field label="Current password" name="current" kind="password" autocomplete="current-password"/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters. Your other sessions will be signed out."/>
                <ActionError value=change.value()/>
                <ActionDone action=change message="Password changed. Your other sessions are signed out."/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
}
