//! Signing in: the password, then (for people with an authenticator app) the second factor.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionError, Field};
use crate::model::error::AppError;
use crate::model::security::LoginStep;

/// Checks the password, then goes to `next` when it is a path on this site (anything else is
/// ignored), or to the second-factor step first. A ticked "shared device" signs the session out
/// after the organization's idle limit whatever the role.
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
    shared_device: Option<String>,
) -> Result<LoginStep, AppError> {
    use crate::model::redirect::{encode_component, safe_next};
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(
        async {
            let mut auth = auth_session().await?;
            let step = signin::login(&state, &mut auth, ip, &email, password, shared_device.is_some()).await?;
            let next = safe_next(next.as_deref());
            match step {
                LoginStep::SignedIn => leptos_axum::redirect(next),
                LoginStep::SecondFactor { totp, passkey } => {
                    let with = match (totp, passkey) {
                        (true, true) => "both",
                        (false, true) => "passkey",
                        _ => "code",
                    };
                    leptos_axum::redirect(&format!("/login/two-factor?with={with}&next={}", encode_component(next)))
                }
            }
            Ok(step)
        }
        .await,
    )
}

/// The second step: a code from the authenticator app, or a recovery code.
#[server(endpoint = "second_factor")]
pub async fn second_factor(code: String, next: Option<String>) -> Result<(), AppError> {
    use crate::model::redirect::safe_next;
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(
        async {
            let mut auth = auth_session().await?;
            signin::second_factor(&state, &mut auth, ip, &code).await?;
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Begins a passkey sign-in for `email` (or, on the second step, for the person whose password
/// was accepted): the options for `navigator.credentials.get`, as JSON text.
#[server(endpoint = "passkey_login_start")]
pub async fn passkey_login_start(email: Option<String>) -> Result<String, AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(async { signin::passkey_start(&state, &auth_session().await?, ip, email.as_deref()).await }.await)
}

/// Finishes a passkey sign-in with the browser's answer (`credential`, JSON).
#[server(endpoint = "passkey_login_finish")]
pub async fn passkey_login_finish(
    credential: String,
    next: Option<String>,
    shared_device: Option<String>,
) -> Result<(), AppError> {
    use crate::model::redirect::safe_next;
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, client_ip, reply, state};
    let (state, ip) = (state(), client_ip());
    reply(
        async {
            let mut auth = auth_session().await?;
            signin::passkey_finish(&state, &mut auth, ip, &credential, shared_device.is_some()).await?;
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// The notice left by a single sign-on that failed (`server::http::sso`), shown once.
#[server(endpoint = "sign_in_notice")]
pub async fn sign_in_notice() -> Result<Option<String>, AppError> {
    use crate::server::auth::request::{auth_session, reply};
    use crate::server::http::sso::NOTICE_KEY;
    reply(async { Ok(auth_session().await?.session.remove::<String>(NOTICE_KEY).await.ok().flatten()) }.await)
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // Why the last session ended, when the server signed it out (`auth::sessions::guard`).
    let ended = query.read_untracked().get("ended").and_then(|why| match why.as_str() {
        "idle" => Some("You were signed out after a while without activity. Sign in again to go on."),
        "ended" => Some("Your session was ended (signed out elsewhere, or your access changed). Sign in again."),
        _ => None,
    });
    let notice = Resource::new(|| (), |_| sign_in_notice());
    view! {
        <Title text="Sign in"/>
        <section class="narrow">
            <h1>"Sign in"</h1>
            {ended.map(|text| view! { <p class="alert" role="status">{text}</p> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    notice.await.ok().flatten().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })
                })}
            </Suspense>
            <ActionForm action=action attr:class="form">
                <Field label="Email" name="email" kind="email" autocomplete="username"/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password"/>
                <label class="check">
                    <input type="checkbox" name="shared_device"/>
                    " Shared device (a ward phone or tablet): sign me out when it sits unused"
                </label>
                <input type="hidden" name="next" value=next/>
                <ActionError value=action.value()/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Sign in"</button>
                <PasskeyButton label="Use a passkey instead"/>
            </ActionForm>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p><a href=move || format!("/login/sso?next={}", crate::model::redirect::encode_component(&next()))>"Use single sign-on (SSO)"</a></p>
            <p>"New here? " <A href="/register">"Create an organization"</A></p>
        </section>
    }
}

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<SecondFactor>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // Which second factors the person has (`login` says so in the address).
    let with = query.read_untracked().get("with").unwrap_or_default();
    let (code, passkey) = (with != "passkey", with == "passkey" || with == "both");
    view! {
        <Title text="Two-factor sign-in"/>
        <section class="narrow">
            <h1>"Second step"</h1>
            {passkey.then(|| view! {
                <form class="form">
                    <p>"Use your passkey: your phone or security key asks for its PIN, fingerprint or face."</p>
                    <PasskeyButton label="Use my passkey"/>
                </form>
            })}
            {code.then(|| view! {
                <p>"Open your authenticator app and type the six-digit code it shows for CleanTrack."</p>
                <ActionForm action=action attr:class="form">
                    <Field label="Code" name="code" autocomplete="one-time-code" inputmode="numeric"
                        hint="No phone? Type one of your recovery codes instead (each works once)."/>
                    <input type="hidden" name="next" value=next/>
                    <ActionError value=action.value()/>
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Sign in"</button>
                </ActionForm>
            })}
            <p><a href="/login">"Start again"</a></p>
        </section>
    }
}

/// Single sign-on: the work email finds the organization's provider. A plain GET form, so it
/// works before (and without) any script.
#[component]
pub fn SingleSignOnPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Single sign-on"/>
        <section class="narrow">
            <h1>"Single sign-on"</h1>
            <p>"Type your work email: you continue to your organization's sign-in (Entra ID, Okta, Google…)."</p>
            <form action="/sso/start" method="get" class="form">
                <div class="field">
                    <label for="sso-email">"Work email"</label>
                    <input id="sso-email" type="email" name="email" autocomplete="username" required/>
                </div>
                <label class="check">
                    <input type="checkbox" name="shared_device"/>
                    " Shared device (a ward phone or tablet): sign me out when it sits unused"
                </label>
                <input type="hidden" name="next" value=next/>
                <button type="submit" class="button">"Continue"</button>
            </form>
            <p><a href="/login">"Sign in with a password or passkey instead"</a></p>
        </section>
    }
}

/// A passkey button for `/passkeys.js` (hidden until the script finds WebAuthn in the browser),
/// with the place its refusals are shown.
#[component]
fn PasskeyButton(label: &'static str) -> impl IntoView {
    view! {
        <button type="button" class="button button--secondary" data-passkey-login="" hidden=true>{label}</button>
        <p class="alert alert--error" role="alert" data-passkey-error="" hidden=true></p>
        <script src="/passkeys.js" defer></script>
    }
}
