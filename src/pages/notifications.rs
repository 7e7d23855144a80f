//! `/notifications`: a person's alerts in this organization, newest first, unread marked, and
//! their alert settings (what, how early, by email or not, quiet hours, which facilities).

// A server function's arguments are its form's fields (see `pages::logs`).
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError};
use crate::model::alerts::{Inbox, Notification, Preferences};
use crate::model::error::AppError;
use crate::model::ids::FacilityId;

#[server(endpoint = "get_inbox")]
pub async fn get_inbox() -> Result<Inbox, AppError> {
    use crate::server::{alerts, auth::request::in_tenant};
    in_tenant(async |tx| alerts::inbox(tx).await).await
}

/// Unread notifications, for the header's count.
#[server(endpoint = "count_unread")]
pub async fn count_unread() -> Result<i64, AppError> {
    use crate::server::{alerts, auth::request::in_tenant};
    in_tenant(async |tx| alerts::unread(tx).await).await
}

/// Marks one notification read (`key`), or all of them.
#[server(endpoint = "mark_read")]
pub async fn mark_read(key: Option<String>) -> Result<(), AppError> {
    use crate::server::{alerts, auth::request::in_tenant};
    let key = key.filter(|k| !k.trim().is_empty());
    in_tenant(async |tx| alerts::mark_read(tx, key.as_deref()).await).await
}

/// Saves the caller's alert settings. Tick-boxes arrive as "on" when ticked; `due_soon_hours`
/// empty turns "due soon" off; `quiet_from`/`quiet_until` empty: no quiet hours; `facility_ids`
/// absent: every facility.
#[server(endpoint = "save_alert_settings")]
pub async fn save_alert_settings(
    due_soon_hours: Option<String>,
    overdue: Option<String>,
    failed_cleaning: Option<String>,
    action_assigned: Option<String>,
    action_overdue: Option<String>,
    problem_reported: Option<String>,
    email: Option<String>,
    quiet_from: Option<String>,
    quiet_until: Option<String>,
    facility_ids: Option<Vec<FacilityId>>,
) -> Result<(), AppError> {
    use crate::server::{alerts, auth::request::in_tenant};
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let due_soon_hours = match given(due_soon_hours) {
        None => None,
        Some(raw) => {
            Some(raw.parse::<i32>().map_err(|_| AppError::Invalid(format!("`{raw}` is not a number of hours.")))?)
        }
    };
    let prefs = Preferences {
        due_soon_hours,
        overdue: overdue.is_some(),
        failed_cleaning: failed_cleaning.is_some(),
        action_assigned: action_assigned.is_some(),
        action_overdue: action_overdue.is_some(),
        problem_reported: problem_reported.is_some(),
        email: email.is_some(),
        quiet_from: given(quiet_from),
        quiet_until: given(quiet_until),
        facilities: facility_ids.filter(|f| !f.is_empty()),
    };
    in_tenant(async |tx| alerts::save_preferences(tx, &prefs).await).await
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let read = ServerAction::<MarkRead>::new();
    let save = ServerAction::<SaveAlertSettings>::new();
    let inbox = Resource::new(move || (read.version().get(), save.version().get()), |_| get_inbox());
    view! {
        <Title text="Notifications"/>
        <h1>"Notifications"</h1>
        <Suspense fallback=|| view! { <p>"Loading your notifications…"</p> }>
            {move || Suspend::new(async move {
                match inbox.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(inbox) => view! {
                        <p class="queue-summary" data-testid="unread">{match inbox.unread {
                            0 => "Nothing unread.".to_owned(),
                            1 => "1 unread.".to_owned(),
                            n => format!("{n} unread."),
                        }}</p>
                        {(inbox.unread > 0).then(|| view! {
                            <ActionForm action=read attr:class="inline-form">
                                <button type="submit" class="button button--secondary">"Mark all read"</button>
                            </ActionForm>
                        })}
                        <ActionError value=read.value()/>
                        {if inbox.items.is_empty() {
                            view! { <p class="muted">"No alerts yet. They appear here, and by email if you want them, as things come due or go wrong."</p> }.into_any()
                        } else {
                            view! { <ul class="list notifications">{inbox.items.into_iter().map(|n| item(n, read)).collect_view()}</ul> }.into_any()
                        }}
                        <h2>"Alert settings"</h2>
                        <Settings prefs=inbox.preferences facilities=inbox.facilities save=save/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn item(n: Notification, read: ServerAction<MarkRead>) -> impl IntoView {
    view! {
        <li class="list__item notification" class:notification--unread=!n.read data-kind=n.kind.as_str()>
            <div>
                <strong><a href=n.link.clone() rel="external">{n.title.clone()}</a></strong>
                <p>{n.body.clone()}</p>
                <span class="muted">{n.created_at.clone()}</span>
            </div>
            {(!n.read).then(|| view! {
                <ActionForm action=read attr:class="inline-form">
                    <input type="hidden" name="key" value=n.key.clone()/>
                    <button type="submit" class="button button--small button--secondary">"Mark read"</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn Settings(
    prefs: Preferences,
    facilities: Vec<(FacilityId, String)>,
    save: ServerAction<SaveAlertSettings>,
) -> impl IntoView {
    let check = |name: &'static str, label: &'static str, on: bool| {
        view! { <label class="check"><input type="checkbox" name=name checked=on/>{format!(" {label}")}</label> }
    };
    let chosen = prefs.facilities.clone();
    view! {
        <ActionForm action=save attr:class="form narrow">
            <fieldset>
                <legend>"Tell me when"</legend>
                <div class="field">
                    <label for="due-soon-hours">"Equipment I clean is due within (hours; empty for never)"</label>
                    <input id="due-soon-hours" name="due_soon_hours" type="number" min="1" max="72" inputmode="numeric"
                        value=prefs.due_soon_hours.map(|h| h.to_string()).unwrap_or_default()/>
                </div>
                {check("overdue", "Equipment is overdue", prefs.overdue)}
                {check("failed_cleaning", "A cleaning fails (supervisors)", prefs.failed_cleaning)}
                {check("action_assigned", "A corrective action is assigned to me", prefs.action_assigned)}
                {check("action_overdue", "A corrective action is past due", prefs.action_overdue)}
                {check("problem_reported", "Someone reports a problem from a sticker (supervisors)", prefs.problem_reported)}
            </fieldset>
            <fieldset>
                <legend>"How"</legend>
                {check("email", "Email me as well (the list here always shows them)", prefs.email)}
                <p class="field__hint">"Quiet hours: no email between these times (the facility's local time); it is sent when they end."</p>
                <div class="form-row">
                    <div class="field">
                        <label for="quiet-from">"Quiet from"</label>
                        <input id="quiet-from" name="quiet_from" type="time" value=prefs.quiet_from.clone().unwrap_or_default()/>
                    </div>
                    <div class="field">
                        <label for="quiet-until">"until"</label>
                        <input id="quiet-until" name="quiet_until" type="time" value=prefs.quiet_until.clone().unwrap_or_default()/>
                    </div>
                </div>
            </fieldset>
            {(facilities.len() > 1).then(|| view! {
                <fieldset>
                    <legend>"Facilities (none ticked: all)"</legend>
                    {facilities.into_iter().enumerate().map(|(i, (id, name))| {
                        let on = chosen.as_ref().is_some_and(|c| c.contains(&id));
                        view! { <label class="check"><input type="checkbox" name=format!("facility_ids[{i}]") value=id.to_string() checked=on/>{format!(" {name}")}</label> }
                    }).collect_view()}
                </fieldset>
            })}
            <ActionError value=save.value()/>
            <ActionDone action=save message="Alert settings saved."/>
            <button type="submit" class="button">"Save alert settings"</button>
        </ActionForm>
    }
}
