//! Protocols: the checklists staff follow. Revising adds a version; logs keep the one they used.

// A server function's arguments are its form's fields (see `pages::logs`).
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, ProtocolId};
use crate::model::protocols::{Protocol, Step};
use crate::model::role::Action;
use crate::model::text::ProtocolName;

#[server(endpoint = "list_protocols")]
pub async fn list_protocols() -> Result<Vec<Protocol>, AppError> {
    use crate::server::{auth::request::in_tenant, protocols};
    in_tenant(async |tx| protocols::list(tx).await).await
}

/// Creates a protocol at version 1. `steps`: one per line, a tick-box unless it ends in
/// `[text]` or `[unit range]` (see `model::protocols::Step::parse_line`). Checkboxes arrive as
/// "on" when ticked, absent otherwise.
#[server(endpoint = "create_protocol")]
pub async fn create_protocol(
    name: String,
    steps: String,
    disinfectant: String,
    contact_time_minutes: i32,
    contact_timed: Option<String>,
    product_lot_required: Option<String>,
    photo_required: Option<String>,
    verification_required: Option<String>,
) -> Result<ProtocolId, AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::protocols::{self, ProtocolForm, Ticked};
    let ticked = Ticked { contact_timed, product_lot_required, photo_required, verification_required };
    let form = ProtocolForm::from_form(name, steps, disinfectant, contact_time_minutes, ticked);
    in_tenant_gated(Gate::Administration, async |tx| protocols::create(tx, &form).await).await
}

/// Adds a new version of a protocol and makes it current; returns its number.
#[server(endpoint = "revise_protocol")]
pub async fn revise_protocol(
    id: ProtocolId,
    name: String,
    steps: String,
    disinfectant: String,
    contact_time_minutes: i32,
    contact_timed: Option<String>,
    product_lot_required: Option<String>,
    photo_required: Option<String>,
    verification_required: Option<String>,
) -> Result<i32, AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::protocols::{self, ProtocolForm, Ticked};
    let ticked = Ticked { contact_timed, product_lot_required, photo_required, verification_required };
    let form = ProtocolForm::from_form(name, steps, disinfectant, contact_time_minutes, ticked);
    in_tenant_gated(Gate::Administration, async |tx| protocols::revise(tx, id, &form).await).await
}

/// Sets the protocol a piece of equipment is cleaned by (none when `protocol_id` is absent).
#[server(endpoint = "assign_protocol")]
pub async fn assign_protocol(equipment_id: EquipmentId, protocol_id: Option<ProtocolId>) -> Result<(), AppError> {
    use crate::server::{
        billing::account::{in_tenant_gated, Gate},
        protocols,
    };
    in_tenant_gated(Gate::Administration, async |tx| protocols::assign(tx, equipment_id, protocol_id).await).await
}

#[component]
pub fn ProtocolsPage() -> impl IntoView {
    let session = crate::components::session::use_session();
    let create = ServerAction::<CreateProtocol>::new();
    let revise = ServerAction::<ReviseProtocol>::new();
    let protocols = Resource::new(move || (create.version().get(), revise.version().get()), |_| list_protocols());
    view! {
        <Title text="Protocols"/>
        <h1>"Protocols"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let manage = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageAssets));
                let list = match protocols.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No protocols yet."</p> }.into_any(),
                    Ok(list) => view! { <ul class="list">{list.into_iter().map(|p| protocol_row(p, manage, revise)).collect_view()}</ul> }.into_any(),
                };
                view! {
                    <ActionError value=revise.value()/>
                    {list}
                    {manage.then(|| view! {
                        <h2>"New protocol"</h2>
                        <ActionForm action=create attr:class="form narrow">
                            {protocol_fields(None)}
                            <ActionError value=create.value()/>
                            <ActionDone action=create message="Protocol created."/>
                            <button type="submit" class="button">"Create protocol"</button>
                        </ActionForm>
                    })}
                }
            })}
        </Suspense>
    }
}

/// The fields of the new-protocol form, or of one protocol's Revise form (ids scoped to it).
fn protocol_fields(current: Option<&Protocol>) -> impl IntoView {
    let scope = current.map_or_else(|| "new".to_owned(), |p| p.id.to_string());
    let steps_id = format!("protocol-steps-{scope}");
    let steps = current.map(|p| p.steps.iter().map(Step::to_line).collect::<Vec<_>>().join("\n")).unwrap_or_default();
    let photo = current.is_some_and(|p| p.photo_required);
    let verify = current.is_some_and(|p| p.verification_required);
    let timed = current.is_some_and(|p| p.contact_timed);
    let lot = current.is_some_and(|p| p.product_lot_required);
    let hint_id = format!("{steps_id}-hint");
    view! {
        <Field label="Name" name="name" maxlength=ProtocolName::MAX value=current.map(|p| p.name.clone()).unwrap_or_default() scope=scope.clone()/>
        <div class="field">
            <label for=steps_id.clone()>"Steps, one per line"</label>
            <textarea id=steps_id name="steps" rows="5" required aria-describedby=hint_id.clone()>{crate::components::form::textarea_text(steps)}</textarea>
            <p class="field__hint" id=hint_id>"A line is a tick-box. End it with "<code>"[text]"</code>" to ask for a remark, or with a unit and the accepted range to ask for a reading: "<code>"ATP swab [RLU ≤ 250]"</code>", "<code>"Chlorine [ppm 500–1000]"</code>", "<code>"Rinse water [°C ≥ 82]"</code>". A reading outside its range fails the cleaning."</p>
        </div>
        <Field label="Disinfectant" name="disinfectant" required=false value=current.map(|p| p.disinfectant.clone()).unwrap_or_default() scope=scope.clone()/>
        <Field label="Contact time (minutes)" name="contact_time_minutes" kind="number" value=current.map_or("5".to_owned(), |p| p.contact_time_minutes.to_string()) scope=scope/>
        <label class="check"><input type="checkbox" name="contact_timed" checked=timed/>" Time the contact on the phone (signing before it ends is refused)"</label>
        <label class="check"><input type="checkbox" name="product_lot_required" checked=lot/>" Ask for the product's lot number and expiry (an expired lot is refused)"</label>
        <label class="check"><input type="checkbox" name="photo_required" checked=photo/>" Photo required"</label>
        <label class="check"><input type="checkbox" name="verification_required" checked=verify/>" Supervisor verification required"</label>
    }
}

fn protocol_row(p: Protocol, manage: bool, revise: ServerAction<ReviseProtocol>) -> impl IntoView {
    let id = p.id.to_string();
    let summary = format!(
        "version {} · {} step(s) · {}{} min contact{} · {}{}{} equipment",
        p.version,
        p.steps.len(),
        if p.disinfectant.is_empty() { String::new() } else { format!("{} · ", p.disinfectant) },
        p.contact_time_minutes,
        if p.contact_timed { ", timed" } else { "" },
        if p.product_lot_required { "lot and expiry · " } else { "" },
        if p.photo_required { "photo · " } else { "" },
        p.equipment_count
    );
    let edit = manage.then(|| {
        let fields = protocol_fields(Some(&p));
        view! {
            <details class="edit">
                <summary>"Revise"</summary>
                <ActionForm action=revise attr:class="form">
                    <input type="hidden" name="id" value=id/>
                    {fields}
                    <button type="submit" class="button button--small">"Save as new version"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <li class="list__item" data-protocol=p.name.clone()>
            <div>
                <strong>{p.name.clone()}</strong>
                <div class="muted">{summary}</div>
                <ol class="steps">{p.steps.iter().map(|s| view! { <li>{s.label.clone()}{s.kind.range_label().map(|r| view! { " " <span class="muted">{format!("({r})")}</span> })}</li> }).collect_view()}</ol>
            </div>
            {edit}
        </li>
    }
}
