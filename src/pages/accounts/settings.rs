//! The organization's settings (owners and admins): strict signatures, the public sticker panel,
//! retention and the late-entry window.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError};
use crate::model::accounts::OrgSettings;
use crate::model::error::AppError;
use crate::model::role::Action;

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
