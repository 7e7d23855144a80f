use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionDone, ActionError};
use crate::model::error::AppError;

/// Confirms the email address a verification link was sent to. A POST behind a button, not the
/// GET of the link itself, so mail scanners that open links cannot use up the token.
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::server::auth::flows::registration;
    use crate::server::auth::request::{reply, state};
    reply(registration::verify_email(&state(), &token).await)
}

/// Sends a new confirmation link to the signed-in user.
#[server(endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::server::auth::flows::registration;
    use crate::server::auth::request::{current_user, reply, state};
    reply(async { registration::resend_verification(&state(), &current_user().await?).await }.await)
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Confirm your email"/>
        <section class="narrow">
            <h1>"Confirm your email address"</h1>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="token" value=token/>
                <ActionError value=action.value()/>
                <ActionDone action=action message="Thank you: your email address is confirmed."/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Confirm my email"</button>
            </ActionForm>
            <p><A href="/login">"Sign in"</A>" · "<A href="/app">"Continue to CleanTrack"</A></p>
        </section>
    }
}
