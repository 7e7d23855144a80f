//! Equipment: search, filter by facility, page through, add, change, retire.

pub mod labels;
pub mod scan;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, FacilityFilter, Field};
use crate::components::query::{flag, page_number, Pager};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, ProtocolId};
use crate::model::role::Action;
use crate::model::text::EquipmentName;
use crate::model::{
    equipment::{Equipment, EquipmentPage, RiskLevel},
    facilities::Facility,
};
use crate::pages::facilities::list_facilities;
use crate::pages::schedules::{ClearSchedule, DueBadge, ScheduleEditor, SetSchedule};

/// A page of equipment, optionally of one facility and matching `search`.
#[server(endpoint = "list_equipment")]
pub async fn list_equipment(
    facility_id: Option<FacilityId>,
    search: Option<String>,
    include_retired: Option<bool>,
    overdue_only: Option<bool>,
    page: Option<i64>,
) -> Result<EquipmentPage, AppError> {
    use crate::server::auth::request::in_tenant;
    use crate::server::equipment::{self, Filter};
    let filter = Filter {
        facility: facility_id,
        search,
        include_retired: include_retired.unwrap_or(false),
        overdue_only: overdue_only.unwrap_or(false),
        page: page.unwrap_or(1),
    };
    in_tenant(async |tx| equipment::list(tx, &filter).await).await
}

/// Adds equipment to an active facility of the organization; it gets its QR token and short code.
#[server(endpoint = "create_equipment")]
pub async fn create_equipment(
    facility_id: FacilityId,
    name: String,
    kind: String,
    serial: String,
    location: String,
    risk_level: String,
) -> Result<EquipmentId, AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::equipment::{self, EquipmentForm};
    let form = EquipmentForm { facility_id, name, kind, serial, location, risk_level };
    in_tenant_gated(Gate::NewEquipment, async |tx| equipment::create(tx, &form).await).await
}

#[server(endpoint = "update_equipment")]
pub async fn update_equipment(
    id: EquipmentId,
    facility_id: FacilityId,
    name: String,
    kind: String,
    serial: String,
    location: String,
    risk_level: String,
) -> Result<(), AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::equipment::{self, EquipmentForm};
    let form = EquipmentForm { facility_id, name, kind, serial, location, risk_level };
    in_tenant_gated(Gate::Administration, async |tx| equipment::update(tx, id, &form).await).await
}

/// Retires equipment, with the reason: it leaves the lists and schedules but stays in the records.
#[server(endpoint = "retire_equipment")]
pub async fn retire_equipment(id: EquipmentId, reason: String) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, equipment};
    in_tenant(async |tx| equipment::retire(tx, id, &reason).await).await
}

/// Brings retired equipment back, with the reason; it counts against the plan's limit again.
#[server(endpoint = "reinstate_equipment")]
pub async fn reinstate_equipment(id: EquipmentId, reason: String) -> Result<(), AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::equipment;
    in_tenant_gated(Gate::NewEquipment, async |tx| equipment::reinstate(tx, id, &reason).await).await
}

/// Gives the equipment a new QR token: the printed sticker stops working, print a new label.
#[server(endpoint = "regenerate_qr")]
pub async fn regenerate_qr(id: EquipmentId) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, equipment::stickers};
    in_tenant(async |tx| stickers::regenerate(tx, id).await).await
}

#[component]
pub fn EquipmentListPage() -> impl IntoView {
    let session = crate::components::session::use_session();
    let create = ServerAction::<CreateEquipment>::new();
    let retire = ServerAction::<RetireEquipment>::new();
    let reinstate = ServerAction::<ReinstateEquipment>::new();
    // Filters and page live in the address (`components::query`): `/equipment?overdue=1` is
    // where the digest email links, `?search=` is the header's search.
    let query = leptos_router::hooks::use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            (
                q.get("facility").unwrap_or_default(),
                q.get("search").unwrap_or_default(),
                flag(q, "overdue"),
                flag(q, "retired"),
                page_number(q),
            )
        })
    });
    let set_schedule = ServerAction::<SetSchedule>::new();
    let clear_schedule = ServerAction::<ClearSchedule>::new();
    let facilities = Resource::new(|| (), |_| list_facilities());
    let assign = ServerAction::<crate::pages::protocols::AssignProtocol>::new();
    let protocols = Resource::new(|| (), |_| crate::pages::protocols::list_protocols());
    let equipment = Resource::new(
        move || {
            (
                filter.get(),
                create.version().get(),
                (retire.version().get(), reinstate.version().get()),
                assign.version().get(),
                set_schedule.version().get(),
                clear_schedule.version().get(),
            )
        },
        |((facility, search, overdue, retired, page), ..)| {
            list_equipment(
                facility.parse().ok(),
                Some(search).filter(|s| !s.is_empty()),
                Some(retired),
                Some(overdue),
                Some(page),
            )
        },
    );
    view! {
        <Title text="Equipment"/>
        <h1>"Equipment"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let manage = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageAssets));
                let sites: Vec<Facility> = facilities.await.unwrap_or_default().into_iter().filter(|f| !f.retired).collect();
                let choices: Vec<(ProtocolId, String)> = protocols.await.unwrap_or_default().into_iter().map(|p| (p.id, p.name)).collect();
                let options = sites.iter().map(|f| view! { <option value=f.id.to_string()>{f.name.clone()}</option> }).collect_view();
                let (facility, search, overdue, retired, _) = filter.get();
                let keep = vec![
                    ("facility", facility.clone()),
                    ("search", search.clone()),
                    ("overdue", if overdue { "1".to_owned() } else { String::new() }),
                    ("retired", if retired { "1".to_owned() } else { String::new() }),
                ];
                view! {
                    <form method="get" action="/equipment" class="filters">
                        <FacilityFilter selected=facility.clone() sites=sites.clone()/>
                        <label>"Search"
                            <input type="search" name="search" placeholder="Name, kind, serial, code" value=search/>
                        </label>
                        <label class="check">
                            <input type="checkbox" name="overdue" value="1" checked=overdue/>
                            " Overdue only"
                        </label>
                        <label class="check">
                            <input type="checkbox" name="retired" value="1" checked=retired/>
                            " Include retired"
                        </label>
                        <button type="submit" class="button">"Show"</button>
                    </form>
                    <ActionError value=retire.value()/>
                    <ActionError value=reinstate.value()/>
                    {match equipment.await {
                        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(result) => view! {
                            <p class="muted">{if result.total == 1 { "1 piece of equipment".to_owned() } else { format!("{} pieces of equipment", result.total) }}</p>
                            <ActionError value=assign.value()/>
                            <ul class="list">{result.items.into_iter().map(|e| equipment_row(e, manage, &choices, Actions { retire, reinstate, assign, set_schedule, clear_schedule })).collect_view()}</ul>
                            <Pager path="/equipment" keep=keep page=result.page pages=result.pages/>
                        }.into_any(),
                    }}
                    {(manage && !sites.is_empty()).then(|| view! {
                        <h2>"Add equipment"</h2>
                        <ActionForm action=create attr:class="form narrow">
                            <div class="field">
                                <label for="equipment-facility">"Facility"</label>
                                <select id="equipment-facility" name="facility_id">{options}</select>
                            </div>
                            <Field label="Name" name="name" autocomplete="off" maxlength=EquipmentName::MAX/>
                            <Field label="Kind" name="kind" autocomplete="off" hint="e.g. Autoclave, Infusion pump, Mixer"/>
                            <Field label="Serial number" name="serial" autocomplete="off" required=false/>
                            <Field label="Location" name="location" autocomplete="off" required=false hint="Room, bay or line"/>
                            <div class="field">
                                <label for="equipment-risk">"Risk level"</label>
                                <select id="equipment-risk" name="risk_level">
                                    {RiskLevel::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == RiskLevel::Medium>{r.as_str()}</option> }).collect_view()}
                                </select>
                            </div>
                            <ActionError value=create.value()/>
                            <ActionDone action=create message="Equipment added."/>
                            <button type="submit" class="button">"Add equipment"</button>
                        </ActionForm>
                    })}
                }
            })}
        </Suspense>
    }
}

/// What a row of the list can do.
#[derive(Clone, Copy)]
struct Actions {
    retire: ServerAction<RetireEquipment>,
    reinstate: ServerAction<ReinstateEquipment>,
    assign: ServerAction<crate::pages::protocols::AssignProtocol>,
    set_schedule: ServerAction<SetSchedule>,
    clear_schedule: ServerAction<ClearSchedule>,
}

fn equipment_row(e: Equipment, manage: bool, protocols: &[(ProtocolId, String)], actions: Actions) -> impl IntoView {
    let Actions { retire, reinstate, assign, set_schedule, clear_schedule } = actions;
    let current = e.protocol_id;
    let protocol_name = protocols.iter().find(|(id, _)| Some(*id) == current).map(|(_, n)| n.clone());
    // "No protocol" is a choice the picker shows as such, never a first entry it falls back to.
    let options = protocols
        .iter()
        .map(|(id, name)| view! { <option value=id.to_string() selected=Some(*id) == current>{name.clone()}</option> })
        .collect_view();
    let options = view! { <option value="" selected=current.is_none()>"— no protocol —"</option> {options} };
    let assign_id = e.id.to_string();
    let select_id = format!("protocol-{}", e.id);
    let details = [e.kind.as_str(), e.facility_name.as_str(), e.location.as_str(), e.serial.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let id = e.id.to_string();
    let retire_id = id.clone();
    view! {
        <li class="list__item" data-equipment=e.name.clone()>
            <div>
                // `/equipment/{id}` is a server route: a redirect to the sticker page.
                <strong><a href=format!("/equipment/{}", e.id)>{e.name.clone()}</a></strong> " " <span class="badge">{e.short_code.clone()}</span>
                <div class="muted">{format!("{details} · risk {}", e.risk_level.as_str())}</div>
                <div class="muted">{format!("Protocol: {}", protocol_name.unwrap_or_else(|| "none".into()))}</div>
                {(!e.retired).then(|| view! { <div><DueBadge status=e.status.clone()/></div> })}
                {e.retired.then(|| view! { <div><span class="badge">"retired"</span></div> })}
            </div>
            {(manage && !e.retired).then(|| view! {
                <div class="list__actions">
                    <ActionForm action=assign attr:class="inline-form">
                        <input type="hidden" name="equipment_id" value=assign_id/>
                        <label class="visually-hidden" for=select_id.clone()>"Protocol"</label>
                        <select id=select_id name="protocol_id">{options}</select>
                        <button type="submit" class="button button--small">"Set protocol"</button>
                    </ActionForm>
                    <ScheduleEditor equipment_id=e.id current=e.status.schedule.clone() set=set_schedule clear=clear_schedule/>
                    <details class="edit status-change">
                        <summary>"Retire…"</summary>
                        <ActionForm action=retire attr:class="form">{status_fields(retire_id, true)}</ActionForm>
                    </details>
                </div>
            })}
            {(manage && e.retired).then(|| view! {
                <div class="list__actions">
                    <details class="edit status-change">
                        <summary>"Reinstate…"</summary>
                        <ActionForm action=reinstate attr:class="form">{status_fields(id, false)}</ActionForm>
                    </details>
                </div>
            })}
        </li>
    }
}

/// Retiring or reinstating asks why (the reason goes into the audit trail), behind a fold, so
/// neither happens in one stray tap. The fields of either form.
fn status_fields(id: String, retiring: bool) -> impl IntoView {
    let reason_id = format!("{}-reason-{id}", if retiring { "retire" } else { "reinstate" });
    let (label, note, button, class) = if retiring {
        (
            "Why is it retired?",
            "It leaves the lists and schedules; its records stay, and an admin can reinstate it.",
            "Retire",
            "button button--small button--danger",
        )
    } else {
        ("Why is it back?", "Its sticker works again and its schedule resumes.", "Reinstate", "button button--small")
    };
    view! {
        <input type="hidden" name="id" value=id/>
        <div class="field">
            <label for=reason_id.clone()>{label}</label>
            <input id=reason_id name="reason" required maxlength="300" autocomplete="off"/>
        </div>
        <p class="muted">{note}</p>
        <button type="submit" class=class>{button}</button>
    }
}
