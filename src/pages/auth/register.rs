use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionError, Field};
use crate::model::error::AppError;
use crate::model::text::{OrgName, PersonName};

/// Creates an account, its organization and the owner membership; the person confirms the
/// address from the email, then signs in. The answer is the same whether or not the address
/// already has an account (see `registration::register`).
#[server(endpoint = "register")]
pub async fn register(name: String, email: String, organization: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::registration::{self, Registration};
    use crate::server::auth::request::{client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    let form = Registration { name, email, organization, password };
    reply(async { registration::register(&state, ip, form).await }.await)?;
    // Also without JavaScript, the person lands on the page that says to check the inbox.
    leptos_axum::redirect("/register?sent=1");
    Ok(())
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some() || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Title text="Create your organization"/>
        <section class="narrow">
            <Show
                when=sent
                fallback=move || view! {
                    <h1>"Create your organization"</h1>
                    <p>"You become its owner and can invite your team afterwards."</p>
                    <ActionForm action=action attr:class="form">
                        <Field label="Your name" name="name" autocomplete="name" maxlength=PersonName::MAX/>
                        <Field label="Work email" name="email" kind="email" autocomplete="email"/>
                        <Field label="Organization" name="organization" autocomplete="organization" maxlength=OrgName::MAX hint="Your clinic, lab, plant or hospital."/>
                        <Field label="Password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters. A few unrelated words work well."/>
                        <ActionError value=action.value()/>
                        <button type="submit" class="button" disabled=move || action.pending().get()>"Create account"</button>
                    </ActionForm>
                    <p>"Already have an account? " <A href="/login">"Sign in"</A></p>
                }
            >
                <h1>"Check your email"</h1>
                <p role="status">"We sent a link to the address you gave. Open it to confirm the address, then sign in with your password."</p>
                <p class="muted">"Nothing arrived within a few minutes? Look in the spam folder, or register again."</p>
                <p><A href="/login">"Sign in"</A></p>
            </Show>
        </section>
    }
}
