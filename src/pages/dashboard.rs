//! The overview of the current organization: compliance rate over a chosen period, what is
//! overdue, recent activity, and the last 30 days as a bar chart (SVG, drawn on the server).

use leptos::prelude::*;

use crate::components::form::FacilityFilter;
use crate::components::query::text;

use crate::model::compliance::DEFINITION;
use crate::model::dashboard::{Dashboard, DayCount, Setup};
use crate::model::error::AppError;
use crate::model::ids::FacilityId;
use crate::model::role::Action;
use crate::pages::facilities::list_facilities;

#[server(endpoint = "get_dashboard")]
pub async fn get_dashboard(facility_id: Option<FacilityId>, days: Option<i32>) -> Result<Dashboard, AppError> {
    use crate::server::{auth::request::in_tenant, dashboard};
    in_tenant(async |tx| dashboard::summary(tx, facility_id, days.unwrap_or(30)).await).await
}

const PERIODS: [(i32, &str); 3] = [(7, "7 days"), (30, "30 days"), (90, "90 days")];

#[component]
pub fn DashboardView() -> impl IntoView {
    // The facility and period live in the address (`components::query`).
    let query = leptos_router::hooks::use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let days = q.get("days").and_then(|d| d.parse().ok()).filter(|d| PERIODS.iter().any(|(p, _)| p == d));
            (text(q, "facility"), days.unwrap_or(30))
        })
    });
    let facilities = Resource::new(|| (), |_| list_facilities());
    let data = Resource::new(move || filter.get(), |(f, d)| get_dashboard(f.parse().ok(), Some(d)));
    let session = crate::components::session::use_session();
    view! {
        <Suspense fallback=|| view! { <p>"Loading the overview…"</p> }>
            {move || Suspend::new(async move {
                let admin = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::ManageAssets));
                let sites = facilities.await.unwrap_or_default();
                let dashboard = data.await;
                let (facility, days) = filter.get();
                let steps = dashboard.as_ref().ok().map(|d| d.setup).filter(|s| admin && !s.is_complete());
                view! {
                    {steps.map(|s| view! { <FirstSteps setup=s/> })}
                    <form method="get" action="/app" class="filters">
                        <FacilityFilter selected=facility sites=sites/>
                        <label>"Period"
                            <select name="days">
                                {PERIODS.iter().map(|(d, label)| view! { <option value=d.to_string() selected=*d == days>{*label}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="button">"Show"</button>
                    </form>
                    {match dashboard {
                        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(d) => view! { <Overview d=d/> }.into_any(),
                    }}
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(d: Dashboard) -> impl IntoView {
    view! {
        <section class="stats">
            <div class="stat" data-stat="compliance">
                <span class="stat__value">{d.compliance.rate()}</span>
                <span class="stat__label">{format!("on time over the last {} days", d.period_days)}</span>
                <span class="stat__detail" data-figures>{d.compliance.sentence()}</span>
            </div>
            <div class="stat" data-stat="overdue" class:stat--alert=!d.overdue.is_empty()>
                <span class="stat__value">{d.overdue.len().to_string()}</span>
                <span class="stat__label">"overdue now"</span>
            </div>
            <div class="stat" data-stat="reviews" class:stat--alert={d.reviews.overdue > 0}>
                <span class="stat__value">{d.reviews.awaiting.to_string()}</span>
                <span class="stat__label">"awaiting verification"</span>
                <span class="stat__detail">{match d.reviews.overdue {
                    0 => format!("none past the {}-day review deadline", d.reviews.review_days),
                    n => format!("{n} past the {}-day review deadline", d.reviews.review_days),
                }}</span>
            </div>
            <a class="stat" data-stat="actions" class:stat--alert={d.actions.overdue > 0} href="/corrective-actions">
                <span class="stat__value">{d.actions.open.to_string()}</span>
                <span class="stat__label">"corrective actions open"</span>
                <span class="stat__detail">{match d.actions.overdue {
                    0 => "none overdue".to_owned(),
                    n => format!("{n} overdue"),
                }}</span>
            </a>
        </section>
        <details class="definition">
            <summary>"How compliance is counted"</summary>
            <p>{DEFINITION}</p>
        </details>
        <h2>"Last 30 days"</h2>
        <Chart days=d.days.clone()/>
        <h2>"Overdue"</h2>
        {if d.overdue.is_empty() {
            view! { <p class="muted">"Nothing is overdue."</p> }.into_any()
        } else {
            view! {
                // Equipment links are `rel="external"`: `/equipment/{id}` is a server route.
                <ul class="list overdue-list">
                    {d.overdue.iter().map(|o| view! {
                        <li class="list__item">
                            <div>
                                <strong><a href=format!("/equipment/{}", o.id) rel="external">{o.name.clone()}</a></strong>
                                <div class="muted">{[o.facility_name.as_str(), o.location.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</div>
                            </div>
                            <span class="badge badge--overdue">{format!("since {} ({})", o.overdue_since, late_by(o.hours_overdue))}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <p><a href="/equipment?overdue=1">"All overdue equipment"</a></p>
            }.into_any()
        }}
        <h2>"Recent activity"</h2>
        {if d.recent.is_empty() {
            view! { <p class="muted">"No cleanings recorded yet."</p> }.into_any()
        } else {
            view! {
                <ul class="audit-list">
                    {d.recent.iter().map(|a| view! {
                        <li class="audit-entry">
                            <strong><a href=format!("/equipment/{}", a.equipment_id) rel="external">{a.equipment.clone()}</a>{format!(" · {}", a.outcome.label())}</strong>
                            <span class="muted">{format!(" {} by {}{}", a.at, a.signer, if a.verified { " · verified" } else { "" })}</span>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

fn late_by(hours: i64) -> String {
    match hours {
        h if h < 1 => "under an hour".into(),
        1 => "1 hour".into(),
        h if h < 48 => format!("{h} hours"),
        h => format!("{} days", h / 24),
    }
}

/// Stacked bars per day: on time, late, failed. Each bar has a title for pointer and screen
/// reader; the figure's caption sums it up.
#[component]
fn Chart(days: Vec<DayCount>) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    let max = days.iter().map(|d| d.on_time + d.late + d.failed).max().unwrap_or(0).max(1) as f64;
    let step = W / days.len().max(1) as f64;
    let total: i64 = days.iter().map(|d| d.on_time + d.late + d.failed).sum();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as f64 * step + 1.0;
            let width = (step - 2.0).max(1.0);
            let mut top = H;
            let mut segment = |count: i64, class: &'static str| {
                let height = count as f64 / max * (H - 10.0);
                top -= height;
                (count > 0).then(|| {
                    view! { <rect class=class x=format!("{x:.1}") y=format!("{top:.1}") width=format!("{width:.1}") height=format!("{height:.1}")/> }
                })
            };
            let parts = (segment(d.on_time, "bar--ok"), segment(d.late, "bar--late"), segment(d.failed, "bar--fail"));
            let title = format!("{}: {} on time, {} late, {} failed", d.day, d.on_time, d.late, d.failed);
            view! { <g><title>{title}</title>{parts.0}{parts.1}{parts.2}</g> }
        })
        .collect_view();
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{total} cleanings from {first} to {last}") preserveAspectRatio="none">
                <line class="chart__axis" x1="0" y1=H.to_string() x2=W.to_string() y2=H.to_string()/>
                {bars}
            </svg>
            <figcaption class="muted">
                <span>{first}</span>
                <span class="chart__legend"><i class="key key--ok"></i>" on time "<i class="key key--late"></i>" late "<i class="key key--fail"></i>" failed"</span>
                <span>{last}</span>
            </figcaption>
        </figure>
    }
}

/// For an organization still being set up (shown to owners and admins): what to do first, in
/// order, and what is done.
#[component]
fn FirstSteps(setup: Setup) -> impl IntoView {
    let steps = [
        ("Add a facility, with the time zone its schedules follow", "/facilities", Some(setup.facilities > 0)),
        ("Write a cleaning protocol: the steps people tick", "/protocols", Some(setup.protocols > 0)),
        (
            "Add equipment and give each piece its protocol",
            "/equipment",
            Some(setup.equipment > 0 && setup.equipment_without_protocol == 0),
        ),
        ("Print the QR labels (from each facility) and stick them on", "/facilities", None),
        ("Invite your team", "/team", Some(setup.people > 1)),
    ];
    view! {
        <section class="card first-steps">
            <h2>"First steps"</h2>
            <ol>
                {steps.into_iter().map(|(what, href, done)| view! {
                    <li class:done=done == Some(true)>
                        <a href=href>{what}</a>
                        {match done {
                            Some(true) => " ✓ done",
                            Some(false) => "",
                            None => "",
                        }}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
