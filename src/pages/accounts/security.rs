//! The person's sign-in security: two-factor authentication (an authenticator app and recovery
//! codes) and the browsers they are signed in on.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::error::AppError;
use crate::model::security::{PasskeyRow, SecondFactors, SecurityPage, SessionRow, SessionsPage, TotpEnrolment};

#[server(endpoint = "security_overview")]
pub async fn security_overview() -> Result<SecurityPage, AppError> {
    use crate::server::auth::flows::security;
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(async { security::overview(&state, &auth_session().await?).await }.await)
}

/// Confirms the authenticator app with a code from it; the recovery codes follow on the page.
#[server(endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<(), AppError> {
    use crate::server::auth::flows::security;
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(async { security::confirm_totp(&state, &auth_session().await?, &code).await }.await)
}

/// Turns two-factor authentication off; needs the password.
#[server(endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::security;
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(async { security::disable(&state, &auth_session().await?, password).await }.await)
}

/// Ten new recovery codes (the old ones stop working); needs the password.
#[server(endpoint = "renew_recovery_codes")]
pub async fn renew_recovery_codes(password: String) -> Result<(), AppError> {
    use crate::server::auth::flows::security;
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(async { security::renew_recovery_codes(&state, &auth_session().await?, password).await }.await)
}

/// Begins adding a passkey: the options for `navigator.credentials.create`, as JSON text.
#[server(endpoint = "passkey_register_start")]
pub async fn passkey_register_start() -> Result<String, AppError> {
    use crate::server::auth::passkeys;
    use crate::server::auth::request::{auth_session, reply, state, verified_user};
    let state = state();
    reply(
        async {
            let auth = auth_session().await?;
            let user = verified_user(&auth)?;
            passkeys::begin_registration(&state, &auth, &user).await
        }
        .await,
    )
}

/// Stores the passkey the browser made (`credential`, JSON) under `name`.
#[server(endpoint = "passkey_register_finish")]
pub async fn passkey_register_finish(name: String, credential: String) -> Result<(), AppError> {
    use crate::server::auth::passkeys;
    use crate::server::auth::request::{auth_session, reply, state, verified_user};
    let state = state();
    reply(
        async {
            let auth = auth_session().await?;
            let user = verified_user(&auth)?;
            passkeys::finish_registration(&state, &auth, &user, &name, &credential).await
        }
        .await,
    )
}

#[server(endpoint = "rename_passkey")]
pub async fn rename_passkey(passkey_id: uuid::Uuid, name: String) -> Result<(), AppError> {
    use crate::server::auth::passkeys;
    use crate::server::auth::request::{auth_session, reply, state, verified_user};
    let state = state();
    reply(async { passkeys::rename(&state, verified_user(&auth_session().await?)?.id, passkey_id, &name).await }.await)
}

/// Removes one of the caller's passkeys; needs the password.
#[server(endpoint = "remove_passkey")]
pub async fn remove_passkey(passkey_id: uuid::Uuid, password: String) -> Result<(), AppError> {
    use crate::server::auth::passkeys;
    use crate::server::auth::request::{auth_session, reply, state, verified_user};
    let state = state();
    reply(async { passkeys::remove(&state, &verified_user(&auth_session().await?)?, passkey_id, password).await }.await)
}

#[server(endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<SessionsPage, AppError> {
    use crate::server::auth::request::{auth_session, reply, state};
    use crate::server::auth::sessions;
    let state = state();
    reply(async { sessions::list(&state, &auth_session().await?).await }.await)
}

/// Signs out one of the caller's other sessions, or (without `session_id`) all of them.
#[server(endpoint = "end_session")]
pub async fn end_session(session_id: Option<uuid::Uuid>) -> Result<usize, AppError> {
    use crate::server::auth::request::{auth_session, reply, state};
    use crate::server::auth::sessions;
    let state = state();
    reply(async { sessions::end_own(&state, &auth_session().await?, session_id).await }.await)
}

/// "Stay signed in": any request counts as activity; this one answers with the idle limit.
#[server(endpoint = "keep_session")]
pub async fn keep_session() -> Result<Option<i64>, AppError> {
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(
        async {
            let auth = auth_session().await?;
            auth.user.as_ref().ok_or(AppError::Unauthenticated)?;
            Ok(crate::server::auth::sessions::idle_limit(&state, &auth).await)
        }
        .await,
    )
}

#[component]
pub fn SecurityPageView() -> impl IntoView {
    let confirm = ServerAction::<ConfirmTotp>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let overview = Resource::new(
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                renew.version().get(),
                rename.version().get(),
                remove.version().get(),
            )
        },
        |_| security_overview(),
    );
    let required_here = use_query_map().read_untracked().get("required").is_some();
    view! {
        <Title text="Sign-in security"/>
        <section class="narrow">
            <h1>"Sign-in security"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(AppError::Unauthenticated) => view! {
                            <p>"Please " <a href="/login?next=/account/security">"sign in"</a> "."</p>
                        }.into_any(),
                        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(page) => view! {
                            {(page.factors.required && !page.factors.totp).then(|| view! {
                                <p class="alert alert--error" role="alert">
                                    "Your organization requires two-factor authentication for your role. "
                                    {if required_here { "Set it up below to go on." } else { "Set it up below." }}
                                </p>
                            })}
                            <h2>"Two-factor authentication"</h2>
                            <FreshCodes codes=page.fresh_codes.clone()/>
                            {match (page.factors.totp, page.enrolment.clone()) {
                                (true, _) => view! { <Enrolled factors=page.factors.clone() disable=disable renew=renew/> }.into_any(),
                                (false, Some(enrolment)) => view! { <Enrol enrolment=enrolment confirm=confirm/> }.into_any(),
                                (false, None) => ().into_any(),
                            }}
                            <Passkeys list=page.passkeys.clone() rename=rename remove=remove/>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <Sessions/>
        </section>
    }
}

#[component]
fn FreshCodes(codes: Vec<String>) -> impl IntoView {
    (!codes.is_empty()).then(|| {
        view! {
            <div class="alert alert--ok recovery-codes" role="status">
                <p><strong>"Your recovery codes. Write them down or print them now: they are shown only this once."</strong></p>
                <p>"Each signs you in once if your phone is lost. Keep them somewhere safe, away from your phone."</p>
                <ul class="codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
            </div>
        }
    })
}

#[component]
fn Enrol(enrolment: TotpEnrolment, confirm: ServerAction<ConfirmTotp>) -> impl IntoView {
    view! {
        <p>"Off. With it on, signing in asks for your password and a six-digit code from an app on your phone
            (Google Authenticator, Microsoft Authenticator, 1Password, …), so a stolen password alone is not enough."</p>
        <ol class="steps">
            <li>"In the app, add an account and scan this code."</li>
        </ol>
        <img class="totp-qr" src=enrolment.qr_image.clone() width="200" height="200"
            alt="QR code to scan with your authenticator app (the key below says the same)"/>
        <p class="hint">"Cannot scan? Type this key in the app instead: " <code class="totp-key">{enrolment.key.clone()}</code></p>
        <ol class="steps" start="2">
            <li>"Type the code the app now shows."</li>
        </ol>
        <ActionForm action=confirm attr:class="form">
            <Field label="Code from the app" name="code" autocomplete="one-time-code" inputmode="numeric" scope="totp"/>
            <ActionError value=confirm.value()/>
            <button type="submit" class="button">"Turn on two-factor"</button>
        </ActionForm>
    }
}

#[component]
fn Enrolled(
    factors: SecondFactors,
    disable: ServerAction<DisableTwoFactor>,
    renew: ServerAction<RenewRecoveryCodes>,
) -> impl IntoView {
    let left = factors.recovery_codes_left;
    view! {
        <p><span class="badge badge--ok">"On"</span> " Signing in asks for a code from your authenticator app after your password."</p>
        <p class:alert=left < 3 class:alert--error=left < 3>
            {format!("{left} recovery code{} left.", if left == 1 { "" } else { "s" })}
            {(left < 3).then_some(" Make new ones before you run out.")}
        </p>
        <details class="fold">
            <summary>"Make new recovery codes"</summary>
            <ActionForm action=renew attr:class="form">
                <Field label="Your password" name="password" kind="password" autocomplete="current-password" scope="renew"/>
                <ActionError value=renew.value()/>
                <button type="submit" class="button">"Make new codes"</button>
            </ActionForm>
        </details>
        <details class="fold">
            <summary>"Turn off two-factor"</summary>
            {factors.required.then(|| view! {
                <p class="hint">"Your organization requires it for your role: you will be asked to set it up again at once."</p>
            })}
            <ActionForm action=disable attr:class="form">
                <Field label="Your password" name="password" kind="password" autocomplete="current-password" scope="disable"/>
                <ActionError value=disable.value()/>
                <ActionDone action=disable message="Two-factor authentication is off."/>
                <button type="submit" class="button button--danger">"Turn off"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn Passkeys(
    list: Vec<PasskeyRow>,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    view! {
        <section class="passkeys">
            <h2>"Passkeys"</h2>
            <p>"A passkey signs you in without a password: your phone, computer or security key unlocks it with
                its PIN, fingerprint or face. It counts as two-factor on its own."</p>
            <ActionError value=rename.value()/>
            <ActionError value=remove.value()/>
            <ActionDone action=remove message="Passkey removed."/>
            {(!list.is_empty()).then(|| view! {
                <ul class="list">
                    {list.into_iter().map(|p| passkey_item(p, rename, remove)).collect_view()}
                </ul>
            })}
            <form class="form">
                <div class="field">
                    <label for="passkey-name">"Name for a new passkey"</label>
                    <input id="passkey-name" data-passkey-name="" maxlength=crate::model::security::PASSKEY_NAME_MAX placeholder="Ward phone"/>
                </div>
                <p class="alert alert--error" role="alert" data-passkey-error="" hidden=true></p>
                <button type="button" class="button" data-passkey-register="" hidden=true>"Add a passkey"</button>
                <noscript><p class="hint">"Adding a passkey needs JavaScript."</p></noscript>
            </form>
            <script src="/passkeys.js" defer></script>
        </section>
    }
}

fn passkey_item(
    p: PasskeyRow,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let id = p.id.to_string();
    let used = p.last_used.clone().map_or_else(|| "never used".to_owned(), |d| format!("last used {d}"));
    let added = format!("Added {} · {used}", p.added);
    let (rename_scope, remove_scope) = (format!("rename-{id}"), format!("remove-{id}"));
    let (rename_id, remove_id) = (id.clone(), id);
    let (label, shown, value) = (p.name.clone(), p.name.clone(), p.name);
    view! {
        <li class="list__item" data-passkey=label>
            <div>
                <strong>{shown}</strong>
                <p class="muted">{added}</p>
                <details class="fold">
                    <summary>"Rename or remove"</summary>
                    <ActionForm action=rename attr:class="form">
                        <input type="hidden" name="passkey_id" value=rename_id/>
                        <Field label="Name" name="name" value=value maxlength=crate::model::security::PASSKEY_NAME_MAX scope=rename_scope/>
                        <button type="submit" class="button button--secondary">"Rename"</button>
                    </ActionForm>
                    <ActionForm action=remove attr:class="form">
                        <input type="hidden" name="passkey_id" value=remove_id/>
                        <Field label="Your password" name="password" kind="password" autocomplete="current-password" scope=remove_scope/>
                        <button type="submit" class="button button--danger">"Remove"</button>
                    </ActionForm>
                </details>
            </div>
        </li>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(move || end.version().get(), |_| list_sessions());
    view! {
        <h2 id="sessions">"Where you are signed in"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(page) = sessions.await else { return ().into_any() };
                let others = page.sessions.iter().filter(|s| !s.current).count();
                let zone = page.time_zone.clone();
                view! {
                    <p class="hint">{format!("Times in {zone}. The place is the address the device signed in from.")}</p>
                    <ActionDone action=end message="Signed out."/>
                    <ActionError value=end.value()/>
                    <ul class="list sessions">
                        {page.sessions.into_iter().map(|s| session_item(s, end)).collect_view()}
                    </ul>
                    {(others > 0).then(|| view! {
                        <ActionForm action=end attr:class="form">
                            <button type="submit" class="button button--danger">"Sign out everywhere else"</button>
                        </ActionForm>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

fn session_item(s: SessionRow, end: ServerAction<EndSession>) -> impl IntoView {
    view! {
        <li class="list__item" data-session=s.id.to_string()>
            <div>
                <strong>{s.device.clone()}</strong>
                {s.current.then(|| view! { " " <span class="badge badge--ok">"This device"</span> })}
                {s.shared_device.then(|| view! { " " <span class="badge">"Shared device"</span> })}
                <p class="muted">{format!("{} · {} · signed in {} · last active {}", s.place, s.method, s.signed_in, s.last_seen)}</p>
            </div>
            {(!s.current).then(|| view! {
                <ActionForm action=end attr:class="inline-form">
                    <input type="hidden" name="session_id" value=s.id.to_string()/>
                    <button type="submit" class="button button--secondary">"Sign out"</button>
                </ActionForm>
            })}
        </li>
    }
}
