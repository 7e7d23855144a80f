//! `/corrective-actions`: what failed cleanings led to. Open ones first, the soonest due at the
//! top and those past due marked; each with its owner, due day and, for those who may, the forms
//! to assign it and to close it (by a re-clean, or by a signed override). Opening one by hand is
//! on any log in the equipment's history (`pages::logs::history`).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, SigningSecret};
use crate::components::query::{href, text};
use crate::model::corrective_actions::{ActionList, CorrectiveAction, ProblemReport, Show};
use crate::model::error::AppError;
use crate::model::ids::{CorrectiveActionId, FacilityId, LogId, ProblemReportId, UserId};
use crate::model::logs::signed_with_label;
use crate::model::role::Action;

#[server(endpoint = "list_corrective_actions")]
pub async fn list_corrective_actions(
    show: Option<String>,
    facility_id: Option<FacilityId>,
) -> Result<ActionList, AppError> {
    use crate::server::{auth::request::in_tenant, corrective_actions};
    let show = match show.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Show::Open,
        Some(raw) => Show::parse(raw).ok_or_else(|| AppError::Invalid(format!("`{raw}` is not a list to show.")))?,
    };
    in_tenant(async |tx| corrective_actions::list(tx, show, facility_id).await).await
}

/// Opens a corrective action from a log: what must be done, who owns it, the due day
/// (YYYY-MM-DD in the facility's calendar; default a day from now).
#[server(endpoint = "open_corrective_action")]
pub async fn open_corrective_action(
    log_id: LogId,
    description: String,
    owner_id: Option<String>,
    due_date: Option<String>,
) -> Result<CorrectiveActionId, AppError> {
    use crate::server::auth::request::in_tenant;
    use crate::server::corrective_actions::{self, Origin};
    let owner = owner_of(owner_id)?;
    let origin = Origin::Log(log_id);
    in_tenant(async |tx| corrective_actions::open(tx, origin, &description, owner, due_date.as_deref()).await).await
}

/// Turns a problem reported from a sticker into a corrective action (the report is handled).
#[server(endpoint = "act_on_problem")]
pub async fn act_on_problem(
    problem_id: ProblemReportId,
    description: String,
    owner_id: Option<String>,
    due_date: Option<String>,
) -> Result<CorrectiveActionId, AppError> {
    use crate::server::auth::request::in_tenant;
    use crate::server::corrective_actions::{self, Origin};
    let owner = owner_of(owner_id)?;
    let origin = Origin::Problem(problem_id);
    in_tenant(async |tx| corrective_actions::open(tx, origin, &description, owner, due_date.as_deref()).await).await
}

/// Dismisses a problem reported from a sticker, with the reason it needs no action.
#[server(endpoint = "dismiss_problem")]
pub async fn dismiss_problem(problem_id: ProblemReportId, reason: String) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, corrective_actions};
    in_tenant(async |tx| corrective_actions::dismiss_problem(tx, problem_id, &reason).await).await
}

/// Gives an open action its owner (none when empty) and due day (unchanged when empty).
#[server(endpoint = "assign_corrective_action")]
pub async fn assign_corrective_action(
    id: CorrectiveActionId,
    owner_id: Option<String>,
    due_date: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, corrective_actions};
    let owner = owner_of(owner_id)?;
    in_tenant(async |tx| corrective_actions::assign(tx, id, owner, due_date.as_deref()).await).await
}

/// Closes an action with a note and either `override_reason` (a supervisor's signed override;
/// `password` when the organization has strict signatures), or else `reclean_log_id` (a passing
/// cleaning of the same equipment after the failure). A reason given makes it an override
/// whatever re-clean the form had chosen.
#[server(endpoint = "close_corrective_action")]
pub async fn close_corrective_action(
    id: CorrectiveActionId,
    note: String,
    reclean_log_id: Option<String>,
    override_reason: Option<String>,
    password: Option<String>,
) -> Result<(), AppError> {
    use crate::server::corrective_actions::{self, Resolution};
    use crate::server::logs::signatures::signing;
    let reclean = match reclean_log_id.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(raw) => {
            Some(raw.parse::<LogId>().map_err(|_| AppError::Invalid("Choose the re-clean from the list.".into()))?)
        }
    };
    let reason = override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    signing(password, async |tx, signer| {
        let resolution = match (reclean, reason.as_deref()) {
            (_, Some(reason)) => Resolution::Override { reason, signer },
            (Some(log), None) => Resolution::Reclean(log),
            (None, None) => {
                return Err(AppError::Invalid(
                    "Choose the passing re-clean that closes it, or override with a reason.".into(),
                ));
            }
        };
        corrective_actions::close(tx, id, &note, resolution).await
    })
    .await
}

/// A form's owner field: empty for nobody.
#[cfg(feature = "ssr")]
fn owner_of(raw: Option<String>) -> Result<Option<UserId>, AppError> {
    match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| AppError::Invalid("Choose the owner from the list.".into())),
    }
}

#[component]
pub fn CorrectiveActionsPage() -> impl IntoView {
    let assign = ServerAction::<AssignCorrectiveAction>::new();
    let close = ServerAction::<CloseCorrectiveAction>::new();
    let act = ServerAction::<ActOnProblem>::new();
    let dismiss = ServerAction::<DismissProblem>::new();
    let query = leptos_router::hooks::use_query_map();
    let show = Memo::new(move |_| query.with(|q| text(q, "show")));
    let facility = Memo::new(move |_| query.with(|q| text(q, "facility")));
    let list = Resource::new(
        move || {
            let versions =
                (assign.version().get(), close.version().get(), act.version().get(), dismiss.version().get());
            (show.get(), facility.get(), versions)
        },
        |(s, f, _)| list_corrective_actions(Some(s), f.parse().ok()),
    );
    let session = crate::components::session::use_session();
    view! {
        <Title text="Corrective actions"/>
        <h1>"Corrective actions"</h1>
        <p class="hint">"A failed cleaning opens one by itself. It closes with a note and a passing re-clean of the same equipment, or a supervisor's signed override."</p>
        <Suspense fallback=|| view! { <p>"Loading the corrective actions…"</p> }>
            {move || Suspend::new(async move {
                let viewer = session.await.ok().flatten().and_then(|s| s.current.map(|c| (s.user_id, c.role)));
                let manage = viewer.is_some_and(|(_, role)| role.can(Action::VerifyLogs));
                let export = viewer.is_some_and(|(_, role)| role.can(Action::ExportReports));
                match list.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(list) => {
                        let cx = Cx { manage, me: viewer.map(|(me, _)| me), strict: list.strict_signatures, assign, close, owners: list.owners.clone() };
                        let (selected, site) = (show.get_untracked(), facility.get_untracked());
                        let current = Show::parse(&selected).unwrap_or_default();
                        let summary = match (list.counts.open, list.counts.overdue) {
                            (0, _) => "No corrective action is open.".to_owned(),
                            (n, 0) => format!("{n} open, none overdue."),
                            (n, late) => format!("{n} open, {late} overdue."),
                        };
                        let csv = href("/reports/corrective-actions.csv", &[("show", current.as_str().to_owned()), ("facility", site.clone())]);
                        view! {
                            <p class="queue-summary" data-testid="action-summary">{summary}</p>
                            <nav class="tabs" aria-label="Which actions">
                                {Show::ALL.into_iter().map(|s| view! {
                                    <a href=href("/corrective-actions", &[("show", s.as_str().to_owned()), ("facility", site.clone())])
                                        aria-current=(s == current).then_some("page")>{s.label()}</a>
                                }).collect_view()}
                            </nav>
                            <form method="get" action="/corrective-actions" class="filters">
                                <input type="hidden" name="show" value=current.as_str()/>
                                <label>"Facility"
                                    <select name="facility">
                                        <option value="" selected=site.is_empty()>"All facilities"</option>
                                        {list.facilities.iter().map(|(id, name)| view! { <option value=id.to_string() selected=id.to_string() == site>{name.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="button">"Show"</button>
                                {export.then(|| view! { <a class="button button--secondary" href=csv rel="external" download>"Download CSV"</a> })}
                            </form>
                            {(!list.problems.is_empty()).then(|| {
                                let owners = list.owners.clone();
                                view! {
                                    <h2>"Reported from stickers"</h2>
                                    <p class="hint">"Problems people reported by scanning a sticker without signing in. Turn each into a corrective action, or dismiss it saying why."</p>
                                    <ActionError value=act.value()/>
                                    <ActionDone action=act message="Corrective action opened."/>
                                    <ActionError value=dismiss.value()/>
                                    <ActionDone action=dismiss message="Dismissed."/>
                                    <ul class="list actions">
                                        {list.problems.iter().cloned().map(|p| problem(p, manage, &owners, act, dismiss)).collect_view()}
                                    </ul>
                                    <h2>"Corrective actions"</h2>
                                }
                            })}
                            <ActionError value=assign.value()/>
                            <ActionDone action=assign message="Saved."/>
                            <ActionError value=close.value()/>
                            <ActionDone action=close message="Closed."/>
                            {if list.items.is_empty() {
                                view! { <p class="muted">"Nothing to show here."</p> }.into_any()
                            } else {
                                view! { <ul class="list actions">{list.items.into_iter().map(|a| item(a, &cx)).collect_view()}</ul> }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn problem(
    p: ProblemReport,
    manage: bool,
    owners: &[(UserId, String)],
    act: ServerAction<ActOnProblem>,
    dismiss: ServerAction<DismissProblem>,
) -> impl IntoView {
    let id = p.id.to_string();
    let why = format!("problem-why-{id}");
    let forms = manage.then(|| {
        let owners = owners.to_vec();
        let (act_id, dismiss_id) = (id.clone(), id.clone());
        let description = format!("Reported from the sticker: {}", p.description);
        view! {
            <div class="action__forms">
                <details class="edit">
                    <summary>"Turn into a corrective action"</summary>
                    <ActionForm action=act attr:class="form">
                        <input type="hidden" name="problem_id" value=act_id/>
                        {action_fields(&format!("problem-{id}"), description, Some(owners))}
                        <button type="submit" class="button button--small">"Open the action"</button>
                    </ActionForm>
                </details>
                <details class="edit">
                    <summary>"Dismiss"</summary>
                    <ActionForm action=dismiss attr:class="form">
                        <input type="hidden" name="problem_id" value=dismiss_id/>
                        <div class="field">
                            <label for=why.clone()>"Why it needs no action"</label>
                            <input id=why name="reason" required maxlength="500" placeholder="e.g. Already cleaned at 14:10, see the log"/>
                        </div>
                        <button type="submit" class="button button--small">"Dismiss the report"</button>
                    </ActionForm>
                </details>
            </div>
        }
    });
    view! {
        <li class="list__item action" data-problem=p.id.to_string()>
            <div>
                <strong><a href=format!("/equipment/{}", p.equipment_id) rel="external">{p.equipment.clone()}</a></strong>
                <span class="muted">{format!(" · {}", p.facility)}</span>
                <p>{format!("“{}”", p.description)}</p>
                <div class="muted">{format!("Reported at {}{}", p.reported_at, p.contact.as_ref().map(|c| format!(" · contact: {c}")).unwrap_or_default())}</div>
            </div>
            {forms}
        </li>
    }
}

/// The fields of a new corrective action: what must be done (`description` to start from), its
/// owner when `owners` are offered, and the due day. `scope` keeps ids unique on the page.
pub fn action_fields(scope: &str, description: String, owners: Option<Vec<(UserId, String)>>) -> impl IntoView {
    let (what, owner, due) = (format!("{scope}-what"), format!("{scope}-owner"), format!("{scope}-due"));
    view! {
        <div class="field">
            <label for=what.clone()>"What must be done"</label>
            <textarea id=what name="description" rows="2" required maxlength="2000">{crate::components::form::textarea_text(description)}</textarea>
        </div>
        {match owners {
            Some(owners) => view! {
                <div class="field">
                    <label for=owner.clone()>"Owner"</label>
                    <select id=owner name="owner_id">
                        <option value="">"Nobody yet"</option>
                        {owners.into_iter().map(|(u, name)| view! { <option value=u.to_string()>{name}</option> }).collect_view()}
                    </select>
                </div>
            }.into_any(),
            None => view! { <p class="field__hint">"Assign an owner on the corrective actions page."</p> }.into_any(),
        }}
        <div class="field">
            <label for=due.clone()>"Due day (a day from now if empty)"</label>
            <input id=due name="due_date" type="date"/>
        </div>
    }
}

/// What every item of the list shares.
struct Cx {
    /// The viewer may assign, override and close any action.
    manage: bool,
    me: Option<UserId>,
    strict: bool,
    assign: ServerAction<AssignCorrectiveAction>,
    close: ServerAction<CloseCorrectiveAction>,
    owners: Vec<(UserId, String)>,
}

fn item(a: CorrectiveAction, cx: &Cx) -> impl IntoView {
    let id = a.id.to_string();
    let owned = a.owner.as_ref().is_some_and(|(owner, _)| Some(*owner) == cx.me);
    let opened = match &a.opened_by {
        Some(by) => format!("Opened by {by} at {}", a.opened_at),
        None => format!("Opened automatically at {} for a failed cleaning", a.opened_at),
    };
    let owner = a.owner.as_ref().map_or_else(|| "No owner yet".to_owned(), |(_, name)| format!("Owner: {name}"));
    let status = match &a.closed {
        Some(c) => view! { <span class="badge badge--ok">{format!("Closed {}", c.at)}</span> }.into_any(),
        None if a.overdue => {
            view! { <span class="badge badge--overdue">{format!("Overdue since {}", a.due_at)}</span> }.into_any()
        }
        None => view! { <span class="badge">{format!("Due {}", a.due_at)}</span> }.into_any(),
    };
    let closure = a.closed.clone().map(|c| {
        let how = match (&c.reclean, &c.override_reason) {
            (Some(r), _) => format!("by the re-clean performed at {} by {}", r.performed_at, r.signer),
            (None, Some(reason)) => format!("by override: {reason}"),
            (None, None) => String::new(),
        };
        view! {
            <p>{format!("Closed by {} {how}. Note: {}", c.by, c.note)}</p>
            {c.override_signature.map(|s| view! {
                <p class="muted signature">{format!("Signed “{}” by {} at {} (server time) · {}", s.meaning, s.name, s.at, signed_with_label(s.signed_with.as_deref()))}</p>
            })}
        }
    });
    let forms = (a.closed.is_none() && (cx.manage || owned)).then(|| forms(&a, cx, &id));
    view! {
        <li class="list__item action" data-action=id.clone()>
            <div>
                <strong><a href=format!("/equipment/{}", a.equipment_id) rel="external">{a.equipment.clone()}</a></strong>
                <span class="muted">{format!(" · {}", a.facility)}</span>
                <p>{a.description.clone()}</p>
                {a.problem.clone().map(|p| view! { <p class="muted">{format!("Opened for a problem reported from the sticker: “{p}”")}</p> })}
                <div class="muted">{format!("{opened} · {owner}")}</div>
                {status}
                {closure}
            </div>
            {forms}
        </li>
    }
}

fn forms(a: &CorrectiveAction, cx: &Cx, id: &str) -> impl IntoView {
    let field = |name: &str| format!("{name}-{id}");
    let (owner_id, due_id, note_id, override_id) = (field("owner"), field("due"), field("note"), field("override"));
    let id = id.to_owned();
    let (strict, manage, close) = (cx.strict, cx.manage, cx.close);
    let assign = cx.manage.then(|| {
        let current = a.owner.as_ref().map(|(o, _)| *o);
        let owners = cx.owners.clone();
        let (id, due_date, assign) = (id.clone(), a.due_date.clone(), cx.assign);
        view! {
            <details class="edit">
                <summary>"Assign"</summary>
                <ActionForm action=assign attr:class="form">
                    <input type="hidden" name="id" value=id/>
                    <div class="field">
                        <label for=owner_id.clone()>"Owner"</label>
                        <select id=owner_id name="owner_id">
                            <option value="" selected=current.is_none()>"Nobody yet"</option>
                            {owners.into_iter().map(|(u, name)| view! { <option value=u.to_string() selected=current == Some(u)>{name}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for=due_id.clone()>"Due day"</label>
                        <input id=due_id name="due_date" type="date" value=due_date/>
                    </div>
                    <button type="submit" class="button button--small">"Save"</button>
                </ActionForm>
            </details>
        }
    });
    let recleans = a.recleans.clone();
    let has_reclean = !recleans.is_empty();
    view! {
        <div class="action__forms">
            {assign}
            <details class="edit">
                <summary>"Close"</summary>
                <ActionForm action=close attr:class="form">
                    <input type="hidden" name="id" value=id/>
                    <div class="field">
                        <label for=note_id.clone()>"What was done"</label>
                        <textarea id=note_id name="note" rows="2" required maxlength="2000"></textarea>
                    </div>
                    {if has_reclean {
                        view! {
                            <fieldset>
                                <legend>"Passing re-clean"</legend>
                                {recleans.into_iter().enumerate().map(|(i, r)| view! {
                                    <label class="check"><input type="radio" name="reclean_log_id" value=r.log_id.to_string() checked=i == 0/>{format!(" {} by {}", r.performed_at, r.signer)}</label>
                                }).collect_view()}
                            </fieldset>
                        }.into_any()
                    } else {
                        view! { <p class="muted">"No passing re-clean of this equipment yet: record one from its sticker, or override."</p> }.into_any()
                    }}
                    {manage.then(|| view! {
                        <details class="override" open=!has_reclean>
                            <summary>"Close without a re-clean (signed override)"</summary>
                            <div class="field">
                                <label for=override_id.clone()>"Reason for the override"</label>
                                <input id=override_id name="override_reason" maxlength="500"
                                    placeholder="e.g. Equipment taken out of service and sent for repair"/>
                            </div>
                            <p class="field__hint">"Leave empty to close by the re-clean chosen above. With a reason, the re-clean choice is ignored and you sign the override."</p>
                            <SigningSecret strict=strict/>
                        </details>
                    })}
                    <button type="submit" class="button button--small">"Close the action"</button>
                </ActionForm>
            </details>
        </div>
    }
}
