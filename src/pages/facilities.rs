//! Facilities: list, add, change, retire. Everyone reads; owners and admins manage.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, Field};
use crate::model::error::AppError;
use crate::model::facilities::Facility;
use crate::model::ids::FacilityId;
use crate::model::role::Action;
use crate::model::text::FacilityName;

#[server(endpoint = "list_facilities")]
pub async fn list_facilities() -> Result<Vec<Facility>, AppError> {
    use crate::server::{auth::request::in_tenant, facilities};
    in_tenant(async |tx| facilities::list(tx).await).await
}

/// Adds a facility; its time zone (IANA name) governs when its equipment is due.
#[server(endpoint = "create_facility")]
pub async fn create_facility(name: String, address: String, time_zone: String) -> Result<FacilityId, AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::{account::Gate, quantity};
    use crate::server::facilities::{self, FacilityForm};
    let form = FacilityForm { name, address, time_zone };
    in_tenant_gated(Gate::NewFacility, async |tx| {
        let id = facilities::create(tx, &form).await?;
        quantity::facilities_changed(tx).await?;
        Ok(id)
    })
    .await
}

#[server(endpoint = "update_facility")]
pub async fn update_facility(id: FacilityId, name: String, address: String, time_zone: String) -> Result<(), AppError> {
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    use crate::server::facilities::{self, FacilityForm};
    let form = FacilityForm { name, address, time_zone };
    in_tenant_gated(Gate::Administration, async |tx| facilities::update(tx, id, &form).await).await
}

/// Retires a facility with no active equipment; it stays in the records.
#[server(endpoint = "retire_facility")]
pub async fn retire_facility(id: FacilityId) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, billing::quantity, facilities};
    // Allowed in every billing standing: retiring is how an organization gets within a plan.
    in_tenant(async |tx| {
        facilities::retire(tx, id).await?;
        quantity::facilities_changed(tx).await?;
        Ok(())
    })
    .await
}

#[component]
pub fn FacilitiesPage() -> impl IntoView {
    let session = crate::components::session::use_session();
    let create = ServerAction::<CreateFacility>::new();
    let update = ServerAction::<UpdateFacility>::new();
    let retire = ServerAction::<RetireFacility>::new();
    let facilities = Resource::new(
        move || (create.version().get(), update.version().get(), retire.version().get()),
        |_| list_facilities(),
    );
    view! {
        <Title text="Facilities"/>
        <h1>"Facilities"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let manage = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageAssets));
                let list = match facilities.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No facilities yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="list">{list.into_iter().map(|f| facility_row(f, manage, update, retire)).collect_view()}</ul>
                    }.into_any(),
                };
                view! {
                    <ActionError value=update.value()/>
                    <ActionError value=retire.value()/>
                    {list}
                    {manage.then(|| view! {
                        <h2>"Add a facility"</h2>
                        <ActionForm action=create attr:class="form narrow">
                            <Field label="Name" name="name" autocomplete="off" maxlength=FacilityName::MAX/>
                            <Field label="Address" name="address" autocomplete="street-address" required=false/>
                            <Field label="Time zone" name="time_zone" value="Europe/London" hint="An IANA name such as Europe/Lisbon or America/Chicago: schedules follow it."/>
                            <ActionError value=create.value()/>
                            <ActionDone action=create message="Facility added."/>
                            <button type="submit" class="button">"Add facility"</button>
                        </ActionForm>
                    })}
                }
            })}
        </Suspense>
    }
}

fn facility_row(
    f: Facility,
    manage: bool,
    update: ServerAction<UpdateFacility>,
    retire: ServerAction<RetireFacility>,
) -> impl IntoView {
    let id = f.id.to_string();
    let summary = format!(
        "{} · {} · {} active equipment{}",
        if f.address.is_empty() { "no address" } else { &f.address },
        f.time_zone,
        f.active_equipment,
        if f.retired { " · retired" } else { "" }
    );
    let editable = manage && !f.retired;
    let (edit_id, retire_id, scope, labels_id) = (id.clone(), id.clone(), id.clone(), id);
    let (name, label) = (f.name.clone(), f.name.clone());
    let edit = editable.then(move || {
        view! {
            <details class="edit">
                <summary>"Edit"</summary>
                <ActionForm action=update attr:class="form">
                    <input type="hidden" name="id" value=edit_id/>
                    <Field label="Name" name="name" maxlength=FacilityName::MAX value=f.name.clone() scope=scope.clone()/>
                    <Field label="Address" name="address" value=f.address.clone() required=false scope=scope.clone()/>
                    <Field label="Time zone" name="time_zone" value=f.time_zone.clone() scope=scope/>
                    <button type="submit" class="button button--small">"Save"</button>
                </ActionForm>
                <ActionForm action=retire attr:class="inline-form">
                    <input type="hidden" name="id" value=retire_id/>
                    <button type="submit" class="button button--small button--danger">"Retire"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <li class="list__item" data-facility=name>
            <div>
                <strong>{label}</strong>
                <div class="muted">{summary}</div>
                <a href=format!("/facilities/{}/labels", labels_id)>"Print QR labels"</a>
            </div>
            {edit}
        </li>
    }
}
