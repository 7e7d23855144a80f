use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::error::AppError;

/// Emails a reset link if an account has this address; the answer is the same either way.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::auth::flows::recovery;
    use crate::server::auth::request::{client_ip, reply, state};
    reply(recovery::request_reset(&state(), client_ip(), &email).await)
}

/// Sets a new password with a reset link's token; ends every session of the account.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::recovery;
    use crate::server::auth::request::{reply, state};
    reply(recovery::reset_password(&state(), &token, password).await)
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    view! {
        <Title text="Forgot your password"/>
        <section class="narrow">
            <h1>"Forgot your password?"</h1>
            <p>"Enter your email address and we will send you a link to choose a new password."</p>
            <ActionForm action=action attr:class="form">
                <Field label="Email" name="email" kind="email" autocomplete="email"/>
                <ActionError value=action.value()/>
                <ActionDone action=action message="If an account uses this address, a reset link is on its way. It works for one hour."/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Send reset link"</button>
            </ActionForm>
            <p><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Choose a new password"/>
        <section class="narrow">
            <h1>"Choose a new password"</h1>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="token" value=token/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters."/>
                <ActionError value=action.value()/>
                <ActionDone action=action message="Your password is changed. Sign in with it now."/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save password"</button>
            </ActionForm>
            <p><A href="/login">"Sign in"</A></p>
        </section>
    }
}
