//! Schedules: set or remove one on a piece of equipment (from the equipment list), and the
//! overdue list (on the overview).

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::components::form::{ActionDone, ActionError};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::schedules::{DueStatus, IntervalUnit, OverdueItem, Schedule, WEEKDAY_NAMES};

/// Sets the schedule of a piece of equipment: every `every_n` `unit` (hours, days, weeks), or
/// `unit` = weekdays with the ticked `weekdays` ("1" = Monday) by `due_time` ("17:00").
#[server(endpoint = "set_schedule")]
pub async fn set_schedule(
    equipment_id: EquipmentId,
    unit: String,
    every_n: Option<String>,
    weekdays: Option<BTreeMap<String, String>>,
    due_time: Option<String>,
) -> Result<(), AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::schedules::{self, ScheduleForm};
    let form = ScheduleForm { unit, every_n, weekdays: weekdays.unwrap_or_default(), due_time };
    in_tenant_gated(Gate::Administration, async |tx| schedules::set(tx, equipment_id, &form).await).await
}

/// Removes the schedule: the equipment is cleaned as needed and never overdue.
#[server(endpoint = "clear_schedule")]
pub async fn clear_schedule(equipment_id: EquipmentId) -> Result<(), AppError> {
    use crate::server::{
        billing::account::{in_tenant_gated, Gate},
        schedules,
    };
    in_tenant_gated(Gate::Administration, async |tx| schedules::clear(tx, equipment_id).await).await
}

/// Equipment past its due time, most overdue first.
#[server(endpoint = "list_overdue")]
pub async fn list_overdue(facility_id: Option<FacilityId>) -> Result<Vec<OverdueItem>, AppError> {
    use crate::server::{auth::request::in_tenant, schedules};
    in_tenant(async |tx| schedules::overdue(tx, facility_id, 200).await).await
}

/// "Overdue since …", "Due …", or nothing for unscheduled equipment.
#[component]
pub fn DueBadge(status: DueStatus) -> impl IntoView {
    let last =
        status.last_cleaned.clone().map(|t| format!("Last cleaned {t}")).unwrap_or_else(|| "Never cleaned".into());
    let due = match (&status.next_due, status.overdue) {
        (Some(at), true) => {
            Some(view! { <span class="badge badge--overdue">{format!("Overdue since {at}")}</span> }.into_any())
        }
        (Some(at), false) => Some(view! { <span class="badge badge--due">{format!("Due {at}")}</span> }.into_any()),
        (None, _) => None,
    };
    view! {
        <span class="due-status">
            {due} " " <span class="muted">{last}</span>
            {status.schedule.map(|s| view! { <span class="muted">{format!(" · {}", s.describe())}</span> })}
        </span>
    }
}

/// The schedule form of one piece of equipment, folded away until opened.
#[component]
pub fn ScheduleEditor(
    equipment_id: EquipmentId,
    current: Option<Schedule>,
    set: ServerAction<SetSchedule>,
    clear: ServerAction<ClearSchedule>,
) -> impl IntoView {
    let (unit, every, days, due_time) = match &current {
        Some(Schedule::Every { n, unit }) => (unit.as_str(), n.to_string(), vec![], "17:00".to_owned()),
        Some(Schedule::Weekdays { days, due_time }) => ("weekdays", "1".to_owned(), days.clone(), due_time.clone()),
        None => ("days", "1".to_owned(), vec![], "17:00".to_owned()),
    };
    let (id, clear_id) = (equipment_id.to_string(), equipment_id.to_string());
    let field = move |name: &str| format!("{name}-{equipment_id}");
    view! {
        <details class="schedule-editor">
            <summary>{if current.is_some() { "Change schedule" } else { "Set schedule" }}</summary>
            <ActionForm action=set attr:class="form">
                <input type="hidden" name="equipment_id" value=id/>
                <div class="field field--inline">
                    <label for=field("every")>"Every"</label>
                    <input id=field("every") name="every_n" type="number" min="1" max="1000" value=every inputmode="numeric"/>
                    <label class="visually-hidden" for=field("unit")>"Unit"</label>
                    <select id=field("unit") name="unit">
                        {IntervalUnit::ALL.into_iter().map(|u| view! { <option value=u.as_str() selected=u.as_str() == unit>{u.as_str()}</option> }).collect_view()}
                        <option value="weekdays" selected=unit == "weekdays">"on these weekdays"</option>
                    </select>
                </div>
                <fieldset class="weekdays">
                    <legend>"Weekdays (with “on these weekdays”)"</legend>
                    {WEEKDAY_NAMES.iter().enumerate().map(|(i, name)| {
                        let day = (i + 1) as i16;
                        view! { <label class="check"><input type="checkbox" name=format!("weekdays[{day}]") checked=days.contains(&day)/>{format!(" {name}")}</label> }
                    }).collect_view()}
                    <label for=field("due")>" by "</label>
                    <input id=field("due") name="due_time" type="time" value=due_time/>
                </fieldset>
                <ActionError value=set.value()/>
                <ActionDone action=set message="Schedule saved."/>
                <button type="submit" class="button button--small">"Save schedule"</button>
            </ActionForm>
            {current.is_some().then(|| view! {
                <ActionForm action=clear attr:class="inline-form">
                    <input type="hidden" name="equipment_id" value=clear_id/>
                    <button type="submit" class="button button--small button--quiet">"Remove schedule"</button>
                </ActionForm>
            })}
        </details>
    }
}
