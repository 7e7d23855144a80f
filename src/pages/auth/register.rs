use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::form::{ActionError, Field};
use crate::model::error::AppError;

/// Creates an account, its organization and the owner membership, then signs the owner in.
#[server(endpoint = "register")]
pub async fn register(name: String, email: String, organization: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::registration::{self, Registration};
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(
        async {
            let mut auth = auth_session().await?;
            let form = Registration { name, email, organization, password };
            registration::register(&state, &mut auth, ip, form).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    view! {
        <Title text="Create your organization"/>
        <section class="narrow">
            <h1>"Create your organization"</h1>
            <p>"You become its owner and can invite your team afterwards."</p>
            <ActionForm action=action attr:class="form">
                <Field label="Your name" name="name" autocomplete="name"/>
                <Field label="Work email" name="email" kind="email" autocomplete="email"/>
                <Field label="Organization" name="organization" autocomplete="organization" hint="Your clinic, lab, plant or hospital."/>
                <Field label="Password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters. A few unrelated words work well."/>
                <ActionError value=action.value()/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
