//! The signed-in person's account: name, password, signing identity.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::accounts::SigningProfile;
use crate::model::error::AppError;
use crate::model::role::Action;
use crate::model::text::{LegalName, PersonName};

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

/// The caller's legal name (printed under their signatures) and whether they have a signing PIN.
#[server(endpoint = "get_signing_profile")]
pub async fn get_signing_profile() -> Result<SigningProfile, AppError> {
    use crate::server::{accounts::signing_profile, auth::request::in_tenant};
    in_tenant(async |tx| signing_profile::get(tx).await).await
}

/// Changes the caller's legal name, with a reason the audit trail keeps; needs the password.
#[server(endpoint = "change_legal_name")]
pub async fn change_legal_name(legal_name: String, reason: String, password: String) -> Result<(), AppError> {
    use crate::server::{accounts::signing_profile, auth::request::in_tenant};
    in_tenant(async |tx| signing_profile::change_legal_name(tx, &legal_name, &reason, &password).await).await
}

/// Sets the caller's signing PIN (6 to 12 digits), or removes it when `pin` is empty; needs the
/// password.
#[server(endpoint = "set_signing_pin")]
pub async fn set_signing_pin(pin: String, password: String) -> Result<(), AppError> {
    use crate::server::{accounts::signing_profile, auth::request::in_tenant};
    in_tenant(async |tx| signing_profile::set_pin(tx, &pin, &password).await).await
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = crate::components::session::use_session();
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
                                <Field label="Your name" name="name" autocomplete="name" maxlength=PersonName::MAX value=info.display_name.clone()/>
                                <ActionError value=rename.value()/>
                                <ActionDone action=rename message="Name saved."/>
                                <button type="submit" class="button">"Save name"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! { <p>"Please " <a href="/login?next=/account">"sign in"</a> "."</p> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Sign-in security"</h2>
            <p>
                <a href="/account/security">"Two-factor authentication and where you are signed in"</a>
            </p>
            <SigningSection/>
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

/// The legal name under the person's signatures and their signing PIN, for those who sign
/// (auditors and inspectors never do).
#[component]
fn SigningSection() -> impl IntoView {
    let session = crate::components::session::use_session();
    let legal = ServerAction::<ChangeLegalName>::new();
    let pin = ServerAction::<SetSigningPin>::new();
    let profile = Resource::new(move || (legal.version().get(), pin.version().get()), |_| get_signing_profile());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let role = session.await.ok().flatten().and_then(|s| s.current).map(|c| c.role);
                let signs = role.is_some_and(|r| r.can(Action::LogCleaning) || r.can(Action::VerifyLogs));
                let profile = profile.await.ok().filter(|_| signs);
                profile.map(|p| view! {
                    <h2>"Signatures"</h2>
                    <p>"Your signatures carry your legal name: " <strong>{p.legal_name.clone()}</strong>
                        ". Records you signed keep the name they were signed with."</p>
                    <details class="fold">
                        <summary>"Change your legal name"</summary>
                        <ActionForm action=legal attr:class="form">
                            <Field label="Full legal name" name="legal_name" autocomplete="name" maxlength=LegalName::MAX value=p.legal_name.clone() scope="legal"/>
                            <Field label="Reason for the change (kept in the audit trail)" name="reason" autocomplete="off" scope="legal"/>
                            <Field label="Your password" name="password" kind="password" autocomplete="current-password" scope="legal"/>
                            <ActionError value=legal.value()/>
                            <ActionDone action=legal message="Legal name changed; the change and its reason are in the audit trail."/>
                            <button type="submit" class="button">"Change legal name"</button>
                        </ActionForm>
                    </details>
                    <h3>"Signing PIN"</h3>
                    <p class="hint">{match (p.has_pin, p.pin_locked) {
                        (false, _) => "You have no signing PIN: you sign with your password each time.",
                        (true, false) => "After your first signature in a session (with your password), your PIN signs too.",
                        (true, true) => "Your PIN is locked after too many wrong tries: your next signature with your password unlocks it.",
                    }}</p>
                    <ActionForm action=pin attr:class="form">
                        <Field label="New PIN (6 to 12 digits; leave empty to remove it)" name="pin" kind="password" autocomplete="off" required=false inputmode="numeric" scope="pin"/>
                        <Field label="Your password" name="password" kind="password" autocomplete="current-password" scope="pin"/>
                        <ActionError value=pin.value()/>
                        <ActionDone action=pin message="Signing PIN saved."/>
                        <button type="submit" class="button">{if p.has_pin { "Change PIN" } else { "Set PIN" }}</button>
                    </ActionForm>
                })
            })}
        </Suspense>
    }
}
