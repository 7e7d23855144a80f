//! Where signed-in people land: their organization, their role, what to do next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::form::{ActionDone, ActionError};
use crate::model::role::Action;
use crate::pages::auth::verify_email::ResendVerification;
use crate::pages::dashboard::DashboardView;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = crate::components::session::use_session();
    let resend = ServerAction::<ResendVerification>::new();
    view! {
        <Title text="Overview"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await.ok().flatten() {
                    None => view! {
                        <h1>"Please sign in"</h1>
                        <p><A href="/login?next=/app">"Sign in"</A> " or " <A href="/register">"create an organization"</A> "."</p>
                    }.into_any(),
                    Some(info) => {
                        let role = info.current.as_ref().map(|c| c.role);
                        view! {
                            <h1>{format!("Welcome, {}", info.display_name)}</h1>
                            {(!info.email_verified).then(|| view! {
                                <div class="alert alert--warn" role="status">
                                    <p>{format!("Confirm your email address ({}) to start working: open the link we sent you.", info.email)}</p>
                                    <ActionForm action=resend>
                                        <button type="submit" class="button button--small">"Send the link again"</button>
                                    </ActionForm>
                                    <ActionError value=resend.value()/>
                                    <ActionDone action=resend message="A new link is on its way."/>
                                </div>
                            })}
                            {match info.current.clone() {
                                Some(current) => view! {
                                    <p class="lead">{format!("You work in {} as {}.", current.org_name, current.role.label())}</p>
                                    {info.email_verified.then(|| view! { <DashboardView/> })}
                                }.into_any(),
                                None => view! { <p class="lead">"You are not a member of any organization yet."</p> }.into_any(),
                            }}
                            <ul class="tiles">
                                {role.is_some_and(|r| r.can(Action::ViewTeam)).then(|| view! { <li><A href="/team">"Team"</A></li> })}
                                <li><A href="/account">"Your account"</A></li>
                                {info.platform_operator.then(|| view! { <li><A href="/platform">"Platform console"</A></li> })}
                            </ul>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
