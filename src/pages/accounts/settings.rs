//! The organization's settings (owners and admins): strict signatures, the public sticker panel,
//! retention and the late-entry window.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::accounts::OrgSettings;
use crate::model::error::AppError;
use crate::model::role::{Action, Role};
use crate::model::security::{SignInRules, SsoSettings};

#[server(endpoint = "get_settings")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    use crate::server::{accounts::settings, auth::request::in_tenant};
    in_tenant(async |tx| settings::get(tx).await).await
}

/// Ticked checkboxes arrive as "on", unticked ones not at all.
#[server(endpoint = "update_settings")]
pub async fn update_settings(
    strict_signatures: Option<String>,
    public_status: Option<String>,
    retention_years: Option<i32>,
    late_entry_minutes: Option<i32>,
    review_days: Option<i32>,
    strict_off_reason: Option<String>,
) -> Result<(), AppError> {
    use crate::server::accounts::settings::{self, SettingsChange};
    use crate::server::auth::request::in_tenant;
    let new = SettingsChange {
        strict_signatures: strict_signatures.is_some(),
        strict_off_reason,
        public_status: public_status.is_some(),
        retention_years,
        late_entry_minutes,
        review_days,
    };
    in_tenant(async |tx| settings::update(tx, &new).await).await
}

#[server(endpoint = "get_sign_in_rules")]
pub async fn get_sign_in_rules() -> Result<SignInRules, AppError> {
    use crate::server::{accounts::sign_in_rules, auth::request::in_tenant};
    in_tenant(async |tx| sign_in_rules::get(tx).await).await
}

/// Owners only. `require_2fa` turns the requirement on for the ticked `require_2fa_roles`
/// (owners and admins when none is ticked); `idle_roles`: roles signed out when idle on any device.
#[server(endpoint = "update_sign_in_rules")]
pub async fn update_sign_in_rules(
    require_2fa: Option<String>,
    require_2fa_roles: Option<Vec<Role>>,
    idle_minutes: i32,
    idle_roles: Option<Vec<Role>>,
) -> Result<(), AppError> {
    use crate::server::accounts::sign_in_rules;
    use crate::server::auth::request::{in_tenant, state};
    let state = state();
    // On with no role ticked: the default, owners and admins.
    let require_2fa_roles = match (require_2fa.is_some(), require_2fa_roles.unwrap_or_default()) {
        (false, _) => Vec::new(),
        (true, roles) if roles.is_empty() => SignInRules::DEFAULT_2FA_ROLES.to_vec(),
        (true, roles) => roles,
    };
    let rules = SignInRules { require_2fa_roles, idle_minutes, idle_roles: idle_roles.unwrap_or_default() };
    in_tenant(async |tx| sign_in_rules::update(tx, &state, &rules).await).await
}

#[server(endpoint = "get_sso_settings")]
pub async fn get_sso_settings() -> Result<SsoSettings, AppError> {
    use crate::server::accounts::sign_in_rules;
    use crate::server::auth::request::{in_tenant, state};
    let state = state();
    in_tenant(async |tx| sign_in_rules::sso(tx, &state).await).await
}

/// Owners only. `client_secret` empty keeps the stored one; `jit_role` empty: invited people only.
#[server(endpoint = "save_sso_settings")]
pub async fn save_sso_settings(
    issuer: String,
    client_id: String,
    client_secret: String,
    domains: String,
    jit_role: String,
    enforced: Option<String>,
) -> Result<(), AppError> {
    use crate::server::accounts::sign_in_rules::{self, SsoChange};
    use crate::server::auth::request::{current_user, in_tenant, reply, state};
    let state = state();
    let email = reply(current_user().await)?.email;
    let jit_role = match jit_role.as_str() {
        "" => None,
        raw => Some(reply(Role::parse(raw).ok_or(AppError::Invalid("Choose a role from the list.".into())))?),
    };
    let change = SsoChange { issuer, client_id, client_secret, domains, jit_role, enforced: enforced.is_some() };
    in_tenant(async |tx| sign_in_rules::save_sso(tx, &state, &email, change).await).await
}

#[server(endpoint = "remove_sso_settings")]
pub async fn remove_sso_settings() -> Result<(), AppError> {
    use crate::server::{accounts::sign_in_rules, auth::request::in_tenant};
    in_tenant(async |tx| sign_in_rules::remove_sso(tx).await).await
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let update = ServerAction::<UpdateSettings>::new();
    let current = Resource::new(move || update.version().get(), |_| get_settings());
    let session = crate::components::session::use_session();
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let manage = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageSettings));
                match current.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    // Everyone else reads the settings in force; owners and admins change them.
                    Ok(s) if !manage => view! { <SettingsSummary settings=s/> }.into_any(),
                    Ok(s) => view! {
                        <ActionForm action=update attr:class="form narrow">
                            <label class="check">
                                <input type="checkbox" name="strict_signatures" checked=s.strict_signatures/>
                                " Strict signatures: the signer's password at every signing, or their signing PIN after the first one in a session (21 CFR Part 11 §11.200)"
                            </label>
                            {match s.strict_off_reason.clone() {
                                Some(reason) if !s.strict_signatures => view! {
                                    <p class="hint">{format!("Off. Reason given: {reason}. Reports say that signatures were not re-authenticated.")}</p>
                                }.into_any(),
                                _ => view! {
                                    <div class="field">
                                        <label for="strict-off-reason">"To turn them off, say why (kept in the audit trail; reports then say signatures were not re-authenticated)"</label>
                                        <input id="strict-off-reason" name="strict_off_reason" maxlength="500"/>
                                    </div>
                                }.into_any(),
                            }}
                            <label class="check">
                                <input type="checkbox" name="public_status" checked=s.public_status/>
                                " Public sticker panel: anyone scanning a sticker sees when it was last cleaned and when it is due (no names)"
                            </label>
                            <div class="field">
                                <label for="retention-years">"Keep records for (years)"</label>
                                <input id="retention-years" type="number" name="retention_years" min="1" max="50" required value=s.retention_years/>
                            </div>
                            <p class="hint">"Nothing is removed before this period has passed since the newest record."</p>
                            <div class="field">
                                <label for="late-entry-minutes">"A cleaning recorded later than this after it was performed is a late entry (minutes)"</label>
                                <input id="late-entry-minutes" type="number" name="late_entry_minutes" min="5" max="1440" required value=s.late_entry_minutes/>
                            </div>
                            <p class="hint">"A late entry needs the signer's reason and is marked wherever the cleaning appears; compliance counts it apart from cleaning recorded on time."</p>
                            <div class="field">
                                <label for="review-days">"A required verification is overdue after (days)"</label>
                                <input id="review-days" type="number" name="review_days" min="1" max="90" required value=s.review_days/>
                            </div>
                            <ActionError value=update.value()/>
                            <ActionDone action=update message="Settings saved."/>
                            <button type="submit" class="button">"Save settings"</button>
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let owner = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageSignIn));
                owner.then(|| view! { <SignInRulesSection/> <SingleSignOnSection/> })
            })}
        </Suspense>
    }
}

/// The settings in force, for people who may not change them.
#[component]
fn SettingsSummary(settings: OrgSettings) -> impl IntoView {
    let yes_no = |on: bool| if on { "on" } else { "off" };
    view! {
        <dl class="facts">
            <dt>"Strict signatures (password or PIN at every signing)"</dt>
            <dd>{match (settings.strict_signatures, settings.strict_off_reason.clone()) {
                (false, Some(reason)) => format!("off: {reason}"),
                (on, _) => yes_no(on).to_owned(),
            }}</dd>
            <dt>"Public sticker panel"</dt>
            <dd>{yes_no(settings.public_status)}</dd>
            <dt>"Records kept for"</dt>
            <dd>{format!("{} years", settings.retention_years)}</dd>
            <dt>"Late entry after"</dt>
            <dd>{format!("{} minutes", settings.late_entry_minutes)}</dd>
            <dt>"Review deadline"</dt>
            <dd>{format!("{} days", settings.review_days)}</dd>
        </dl>
        <p class="muted">"Owners and admins change these settings."</p>
    }
}

/// Owners' sign-in rules: two-factor by role, and the idle sign-out.
#[component]
fn SignInRulesSection() -> impl IntoView {
    let update = ServerAction::<UpdateSignInRules>::new();
    let rules = Resource::new(move || update.version().get(), |_| get_sign_in_rules());
    view! {
        <h2 id="sign-in">"Sign-in rules"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(r) = rules.await else { return ().into_any() };
                // Turning two-factor on proposes owners and admins.
                let proposed: Vec<Role> = if r.require_2fa_roles.is_empty() { SignInRules::DEFAULT_2FA_ROLES.to_vec() } else { r.require_2fa_roles.clone() };
                let off = r.require_2fa_roles.is_empty();
                view! {
                    <ActionForm action=update attr:class="form narrow">
                        <p class="hint">{if off {
                            "Now: two-factor is not required.".to_owned()
                        } else {
                            format!("Now: required for {}.", r.require_2fa_roles.iter().map(|role| role.label()).collect::<Vec<_>>().join(", "))
                        }}</p>
                        <label class="check">
                            <input type="checkbox" name="require_2fa" checked=!off/>
                            " Require two-factor authentication (an authenticator app) for these roles; their members set it up before anything else"
                        </label>
                        <fieldset class="choices">
                            <legend class="visually-hidden">"Roles that must use two-factor"</legend>
                            {role_boxes("require_2fa_roles", &proposed)}
                        </fieldset>
                        <div class="field">
                            <label for="idle-minutes">"Sign out after this many minutes without activity"</label>
                            <input id="idle-minutes" type="number" name="idle_minutes" min="1" max="720" required value=r.idle_minutes/>
                        </div>
                        <fieldset class="choices">
                            <legend>"For these roles on any device (everyone who ticks “shared device” when signing in, always)"</legend>
                            {role_boxes("idle_roles", &r.idle_roles)}
                        </fieldset>
                        <p class="hint">"A warning appears a minute before. HIPAA §164.312(a)(2)(iii) asks for automatic logoff on shared workstations."</p>
                        <ActionError value=update.value()/>
                        <ActionDone action=update message="Sign-in rules saved."/>
                        <button type="submit" class="button">"Save sign-in rules"</button>
                    </ActionForm>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One checkbox per member role, named `name[i]`; `checked` are ticked.
fn role_boxes(name: &'static str, checked: &[Role]) -> impl IntoView {
    Role::MEMBER
        .into_iter()
        .enumerate()
        .map(|(i, role)| {
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("{name}[{i}]") value=role.as_str() checked=checked.contains(&role)/>
                    {format!(" {}", role.label())}
                </label>
            }
        })
        .collect_view()
}

/// Owners' single sign-on provider (OpenID Connect).
#[component]
fn SingleSignOnSection() -> impl IntoView {
    let save = ServerAction::<SaveSsoSettings>::new();
    let remove = ServerAction::<RemoveSsoSettings>::new();
    let current = Resource::new(move || (save.version().get(), remove.version().get()), |_| get_sso_settings());
    view! {
        <h2 id="sso">"Single sign-on"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(sso) = current.await else { return ().into_any() };
                let role_options = [Role::Admin, Role::Supervisor, Role::Staff, Role::Auditor]
                    .into_iter()
                    .map(|r| view! { <option value=r.as_str() selected=sso.jit_role == Some(r)>{format!("Join as {}", r.label())}</option> })
                    .collect_view();
                view! {
                    <p class="hint">
                        "People sign in with your identity provider (Entra ID, Okta, Google Workspace, any OpenID Connect provider). "
                        "Register CleanTrack there as a web application with this redirect URI: "
                        <code class="totp-key">{sso.redirect_uri.clone()}</code>
                    </p>
                    {sso.configured.then(|| view! { <p><span class="badge badge--ok">"On"</span>{format!(" for {}", sso.domains.join(", "))}</p> })}
                    <ActionForm action=save attr:class="form narrow">
                        <Field label="Issuer (the provider's address)" name="issuer" kind="url" value=sso.issuer.clone() autocomplete="off" scope="sso"/>
                        <Field label="Client ID" name="client_id" value=sso.client_id.clone() autocomplete="off" scope="sso"/>
                        <Field label="Client secret" name="client_secret" kind="password" autocomplete="new-password" scope="sso" required=!sso.configured
                            hint="Stored encrypted and never shown again; leave empty to keep the one saved."/>
                        <Field label="Email domain it covers" name="domains" value=sso.domains.join(", ") autocomplete="off" scope="sso"
                            hint="Your own email's domain; sign-in by email goes to this provider for it."/>
                        <div class="field">
                            <label for="sso-jit">"Someone the provider vouches for who is not a member yet"</label>
                            <select id="sso-jit" name="jit_role">
                                <option value="" selected=sso.jit_role.is_none()>"Refuse: invited people only"</option>
                                {role_options}
                            </select>
                        </div>
                        <label class="check">
                            <input type="checkbox" name="enforced" checked=sso.enforced/>
                            " Enforce: members sign in through the provider only (owners keep their password with two-factor, in case the provider is down)"
                        </label>
                        <ActionError value=save.value()/>
                        <ActionDone action=save message="Single sign-on saved."/>
                        <button type="submit" class="button">"Save single sign-on"</button>
                    </ActionForm>
                    {sso.configured.then(|| view! {
                        <ActionForm action=remove attr:class="form">
                            <ActionError value=remove.value()/>
                            <button type="submit" class="button button--danger">"Turn single sign-on off"</button>
                        </ActionForm>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}
