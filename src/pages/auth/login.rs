use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionError, Field};
use crate::model::error::AppError;

/// Signs in and goes to `next` when it is a path on this site (anything else is ignored).
#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::model::redirect::safe_next;
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(
        async {
            let mut auth = auth_session().await?;
            signin::login(&state, &mut auth, ip, &email, password).await?;
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <section class="narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=action attr:class="form">
                <Field label="Email" name="email" kind="email" autocomplete="username"/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password"/>
                <input type="hidden" name="next" value=next/>
                <ActionError value=action.value()/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"New here? " <A href="/register">"Create an organization"</A></p>
        </section>
    }
}
