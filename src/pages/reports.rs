//! Reports for inspections: the cleaning logs as CSV (a plain download, any filter), the PDF
//! report and the inspection binder (prepared in the background, with progress), and, for
//! admins, inspector access: time-limited, read-only guests for chosen facilities.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError};
use crate::model::accounts::Member;
use crate::model::compliance::DEFINITION;
use crate::model::error::AppError;
use crate::model::ids::{ExportId, FacilityId};
use crate::model::logs::Outcome;
use crate::model::reports::{ExportInfo, ExportKind, ReportOptions};
use crate::model::role::{Action, Role};

#[server(endpoint = "get_report_options")]
pub async fn get_report_options() -> Result<ReportOptions, AppError> {
    use crate::server::{auth::request::in_tenant, reports::options};
    in_tenant(async |tx| options::get(tx).await).await
}

/// Asks for a PDF report (`report_pdf`) or an inspection binder (`binder`) of a facility and
/// period; it is prepared in the background and listed by `list_exports`.
#[server(endpoint = "request_export")]
pub async fn request_export(
    kind: String,
    facility: FacilityId,
    from: Option<String>,
    to: Option<String>,
) -> Result<ExportId, AppError> {
    use crate::model::reports::LogFilter;
    use crate::server::auth::request::{reply, state, tenant_ctx};
    use crate::server::reports::exports;
    let state = state();
    reply(
        async {
            let kind =
                ExportKind::parse(&kind).ok_or_else(|| AppError::Invalid("Choose a report or a binder.".into()))?;
            let ctx = tenant_ctx().await?;
            exports::request(&state, &ctx, kind, facility, LogFilter { from, to, ..Default::default() }).await
        }
        .await,
    )
}

/// The caller's recent exports with their progress.
#[server(endpoint = "list_exports")]
pub async fn list_exports() -> Result<Vec<ExportInfo>, AppError> {
    use crate::server::{auth::request::in_tenant, reports::exports};
    in_tenant(async |tx| exports::list(tx).await).await
}

/// Invites an inspector: read-only access for `days` days to all facilities (`all_facilities`
/// ticked) or to those ticked in `facilities` (`facilities[]=…` once per facility: a plain
/// form's checkboxes).
#[server(endpoint = "invite_inspector")]
pub async fn invite_inspector(
    email: String,
    name: String,
    days: i32,
    all_facilities: Option<String>,
    facilities: Option<Vec<FacilityId>>,
) -> Result<(), AppError> {
    use crate::server::accounts::invitations::{self, GuestAccess};
    use crate::server::auth::request::{in_tenant, state};
    let public_url = state().config.public_url.clone();
    let facilities = all_facilities.is_none().then(|| facilities.unwrap_or_default());
    in_tenant(async |tx| {
        invitations::create(tx, &public_url, &email, Role::Inspector, Some(GuestAccess { name, days, facilities }))
            .await
    })
    .await
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| get_report_options());
    let session = crate::components::session::use_session();
    let role = move || session.get().and_then(|s| s.ok().flatten()).and_then(|s| s.current).map(|m| m.role);
    view! {
        <Title text="Reports"/>
        <h1>"Reports"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(options) => {
                        let role = role();
                        let binder = role.is_some_and(|r| r.can(Action::ExportBinder));
                        let admin = role.is_some_and(|r| r.can(Action::InviteMembers));
                        view! {
                            <CsvForm options=options.clone()/>
                            <ExportSection options=options.clone() binder=binder/>
                            {admin.then(|| view! { <InspectorSection options=options.clone()/> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A plain GET form: the browser downloads the CSV, with or without the WASM.
#[component]
fn CsvForm(options: ReportOptions) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Cleaning logs and compliance (CSV)"</h2>
            <form method="get" action="/reports/logs.csv" class="form" data-testid="csv-form">
                <FacilitySelect options=options.facilities.clone() name="facility" all=true/>
                <label>"Equipment"
                    <select name="equipment">
                        <option value="">"All equipment"</option>
                        {options.equipment.into_iter().map(|(id, name, facility)| view! {
                            <option value=id.to_string()>{format!("{name} · {facility}")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <PeriodFields/>
                <label>"Outcome"
                    <select name="outcome">
                        <option value="">"Pass and fail"</option>
                        <option value=Outcome::Pass.as_str()>"Pass"</option>
                        <option value=Outcome::Fail.as_str()>"Fail"</option>
                    </select>
                </label>
                <label>"Performed by"
                    <select name="person">
                        <option value="">"Anyone"</option>
                        {options.people.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <div class="form-actions">
                    <button type="submit" class="button">"Download logs (CSV)"</button>
                    <button type="submit" class="button button--secondary" formaction="/reports/compliance.csv">"Download compliance (CSV)"</button>
                </div>
                <p class="hint">"Compliance is per piece of scheduled equipment with a total, for the facility, equipment and period chosen; outcome and person do not apply to it."</p>
            </form>
            <details class="definition">
                <summary>"How compliance is counted"</summary>
                <p>{DEFINITION}</p>
            </details>
        </section>
    }
}

#[component]
fn FacilitySelect(options: Vec<(FacilityId, String)>, name: &'static str, all: bool) -> impl IntoView {
    view! {
        <label>"Facility"
            <select name=name required=!all>
                {all.then(|| view! { <option value="">"All facilities"</option> })}
                {options.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn PeriodFields() -> impl IntoView {
    view! {
        <div class="form-row">
            <label>"From" <input type="date" name="from"/></label>
            <label>"To" <input type="date" name="to"/></label>
        </div>
    }
}

#[component]
fn ExportSection(options: ReportOptions, binder: bool) -> impl IntoView {
    let request = ServerAction::<RequestExport>::new();
    view! {
        <section class="card">
            <h2>"Inspection report and binder"</h2>
            <p class="hint">"The PDF report lists, per piece of equipment, its schedule and every log with its signatures, verifications, amendments and photos, and ends with the audit trail's verification. The binder adds the logs and compliance as CSV, the audit trail and how to verify it."</p>
            <ActionForm action=request attr:class="form">
                <FacilitySelect options=options.facilities name="facility" all=false/>
                <PeriodFields/>
                <label>"Prepare"
                    <select name="kind">
                        <option value="report_pdf">{ExportKind::ReportPdf.label()}</option>
                        {binder.then(|| view! { <option value="binder">{ExportKind::Binder.label()}</option> })}
                    </select>
                </label>
                <ActionError value=request.value()/>
                <ActionDone action=request message="Preparing; it appears below when ready."/>
                <button type="submit" class="button">"Prepare"</button>
            </ActionForm>
            <ExportList/>
        </section>
    }
}

/// What was asked for and how far it has got: an island, which looks again every two seconds
/// while something is being prepared (without JavaScript, reloading the page does the same).
#[island]
fn ExportList() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let exports = Resource::new(move || tick.get(), |_| list_exports());
    Effect::new(move |_| {
        let busy = exports
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|x| x.state == "queued" || x.state == "running"));
        if busy {
            set_timeout(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(2));
        }
    });
    // Suspend, not `exports.get()`: read synchronously, the list could hydrate before its data.
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match exports.await {
                    Err(err) => view! { <p class="alert alert--error">{err.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="hint">"Nothing prepared yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="exports" data-testid="exports">
                            {list.into_iter().map(export_row).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn export_row(export: ExportInfo) -> impl IntoView {
    let percent = export.percent();
    let status = match export.state.as_str() {
        "ready" => view! {
            <a class="button" href=format!("/exports/{}", export.id) download="">
                {format!("Download ({} KB)", (export.byte_size.unwrap_or(0) + 1023) / 1024)}
            </a>
            {export.sha256.clone().map(|hash| view! {
                <span class="hash">"SHA-256 " <code>{hash}</code></span>
            })}
        }
        .into_any(),
        "failed" => {
            view! { <span class="alert alert--error">{export.error.clone().unwrap_or_default()}</span> }.into_any()
        }
        "expired" => view! { <span class="hint">"Expired after a week: prepare it again."</span> }.into_any(),
        _ => view! {
            <progress max="100" value=percent.to_string()>{format!("{percent}%")}</progress>
            <span>{format!(" {percent}% ({} of {} logs)", export.done, export.total)}</span>
        }
        .into_any(),
    };
    view! {
        <li>
            <strong>{export.kind.label()}</strong>
            {format!(" · {} · {} · asked {}", export.facility, export.period, export.created_at)}
            " " {status}
        </li>
    }
}

#[component]
fn InspectorSection(options: ReportOptions) -> impl IntoView {
    let invite = ServerAction::<InviteInspector>::new();
    let remove = ServerAction::<crate::pages::accounts::team::RemoveMember>::new();
    let members = Resource::new(
        move || (invite.version().get(), remove.version().get()),
        |_| crate::pages::accounts::team::list_members(),
    );
    view! {
        <section class="card">
            <h2>"Inspector access"</h2>
            <p class="hint">"An inspector gets a read-only account for the facilities you choose, until the end date. Everything they view or download is in the audit trail. Remove them to end access early."</p>
            <ActionForm action=invite attr:class="form">
                <label>"Inspector's name" <input type="text" name="name" autocomplete="off" required/></label>
                <label>"Inspector's email" <input type="email" name="email" required/></label>
                <label>"Access for (days)" <input type="number" name="days" min="1" max="90" value="7" required/></label>
                <fieldset>
                    <legend>"Facilities"</legend>
                    <label class="check"><input type="checkbox" name="all_facilities"/>" All facilities"</label>
                    {options.facilities.into_iter().map(|(id, name)| view! {
                        <label class="check">
                            <input type="checkbox" name="facilities[]" value=id.to_string()/>
                            " " {name}
                        </label>
                    }).collect_view()}
                </fieldset>
                <ActionError value=invite.value()/>
                <ActionDone action=invite message="Invitation sent."/>
                <button type="submit" class="button">"Invite inspector"</button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let inspectors: Vec<Member> = members.await.unwrap_or_default().into_iter().filter(|m| m.role == Role::Inspector).collect();
                    view! {
                        <ul class="inspectors" data-testid="inspectors">
                            {inspectors.into_iter().map(|m| view! {
                                <li>
                                    {format!("{} <{}> until {}", m.display_name, m.email, m.access_until.clone().unwrap_or_default())}
                                    " "
                                    <ActionForm action=remove attr:class="inline">
                                        <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                        <button type="submit" class="button button--small">"End access"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}
