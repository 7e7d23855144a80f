//! `/monitoring`: Level II monitoring (CDC 2010). Evaluators start a round in a facility (the
//! server draws the sample), record each surface on a phone (`/monitoring/{id}`), and sign it;
//! the page shows each facility's thoroughness-of-cleaning rate and the rounds over time as a
//! chart, and links the PDF summary for the infection-control committee (`/reports/monitoring.pdf`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::form::{ActionDone, ActionError, SigningSecret};
use crate::components::query::{href, text};
use crate::model::error::AppError;
use crate::model::ids::{FacilityId, MonitoringRoundId};
use crate::model::monitoring::{Monitoring, RoundDetail, RoundSummary, Sample};
use crate::model::role::Action;
use crate::pages::logs::history::SignatureLine;

#[server(endpoint = "list_rounds")]
pub async fn list_rounds(facility_id: Option<FacilityId>) -> Result<Monitoring, AppError> {
    use crate::server::{auth::request::in_tenant, monitoring};
    in_tenant(async |tx| monitoring::overview(tx, facility_id).await).await
}

/// Starts a round in a facility: `sample_percent` of its surfaces drawn at random by the server;
/// `fluorescent` and/or `atp` ("on" when ticked) say what is checked, `atp_threshold` the RLU
/// at or under which an ATP reading passes.
#[server(endpoint = "start_round")]
pub async fn start_round(
    facility_id: FacilityId,
    sample_percent: i32,
    fluorescent: Option<String>,
    atp: Option<String>,
    atp_threshold: Option<String>,
) -> Result<MonitoringRoundId, AppError> {
    use crate::server::{auth::request::in_tenant, monitoring};
    let atp_threshold = match atp_threshold.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(raw) => {
            Some(raw.parse::<i32>().map_err(|_| AppError::Invalid(format!("`{raw}` is not a number of RLU.")))?)
        }
    };
    let setup = monitoring::Setup {
        facility: facility_id,
        sample_percent,
        fluorescent: fluorescent.is_some(),
        atp: atp.is_some(),
        atp_threshold,
    };
    in_tenant(async |tx| monitoring::start(tx, &setup).await).await
}

#[server(endpoint = "get_round")]
pub async fn get_round(id: MonitoringRoundId) -> Result<RoundDetail, AppError> {
    use crate::server::{auth::request::in_tenant, monitoring};
    in_tenant(async |tx| monitoring::detail(tx, id).await).await
}

/// Records one surface of an open round: `marker_removed` "yes"/"no", `atp_rlu`, `notes`.
#[server(endpoint = "record_surface")]
pub async fn record_surface(
    round_id: MonitoringRoundId,
    position: i32,
    marker_removed: Option<String>,
    atp_rlu: Option<String>,
    notes: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth::request::in_tenant, monitoring};
    let marker = match marker_removed.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(other) => return Err(AppError::Invalid(format!("`{other}` is not yes or no."))),
    };
    let rlu = match atp_rlu.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(raw) => {
            Some(raw.parse::<i32>().map_err(|_| AppError::Invalid(format!("`{raw}` is not a whole number of RLU.")))?)
        }
    };
    let notes = notes.unwrap_or_default();
    in_tenant(async |tx| monitoring::record(tx, round_id, position, marker, rlu, &notes).await).await
}

/// Signs a round as its evaluator ("evaluated"); `password` when signatures are strict.
#[server(endpoint = "sign_round")]
pub async fn sign_round(round_id: MonitoringRoundId, password: Option<String>) -> Result<(), AppError> {
    use crate::server::logs::signatures::signing;
    use crate::server::monitoring;
    signing(password, async |tx, signer| monitoring::sign(tx, round_id, signer).await).await
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.0}%"))
}

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let start = ServerAction::<StartRound>::new();
    let query = leptos_router::hooks::use_query_map();
    let facility = Memo::new(move |_| query.with(|q| text(q, "facility")));
    let data = Resource::new(move || (facility.get(), start.version().get()), |(f, _)| list_rounds(f.parse().ok()));
    let session = crate::components::session::use_session();
    view! {
        <Title text="Monitoring"/>
        <h1>"Monitoring (Level II)"</h1>
        <p class="hint">"Rounds check a random sample of surfaces for the fluorescent marker and ATP, as in the CDC's Level II programs. The rate is the share of checked surfaces that passed, over signed rounds."</p>
        <Suspense fallback=|| view! { <p>"Loading monitoring…"</p> }>
            {move || Suspend::new(async move {
                let evaluate = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::VerifyLogs));
                match data.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(m) => {
                        let site = facility.get_untracked();
                        let pdf = href("/reports/monitoring.pdf", &[("facility", site.clone())]);
                        view! {
                            <form method="get" action="/monitoring" class="filters">
                                <label>"Facility"
                                    <select name="facility">
                                        <option value="" selected=site.is_empty()>"All facilities"</option>
                                        {m.facilities.iter().map(|(id, name)| view! { <option value=id.to_string() selected=id.to_string() == site>{name.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="button">"Show"</button>
                                <a class="button button--secondary" href=pdf rel="external" download>"PDF summary"</a>
                            </form>
                            <h2>"Thoroughness of cleaning"</h2>
                            {if m.units.is_empty() {
                                view! { <p class="muted">"No signed round yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table">
                                        <thead><tr><th>"Facility"</th><th>"Signed rounds"</th><th>"Surfaces checked"</th><th>"Passed"</th><th>"Rate"</th></tr></thead>
                                        <tbody>{m.units.iter().map(|u| view! {
                                            <tr data-unit=u.facility.clone()><td>{u.facility.clone()}</td><td>{u.rounds}</td><td>{u.checked}</td><td>{u.passed}</td><td><strong>{percent(u.rate())}</strong></td></tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                            <RateChart rounds=m.rounds.iter().filter(|r| r.signed.is_some()).cloned().collect()/>
                            {evaluate.then(|| view! {
                                <h2>"Start a round"</h2>
                                <ActionForm action=start attr:class="form narrow">
                                    <div class="field">
                                        <label for="round-facility">"Facility"</label>
                                        <select id="round-facility" name="facility_id" required>
                                            {m.facilities.iter().map(|(id, name)| view! { <option value=id.to_string() selected=id.to_string() == site>{name.clone()}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="round-percent">"Sample of surfaces (%)"</label>
                                        <input id="round-percent" name="sample_percent" type="number" min="5" max="100" value="15" inputmode="numeric" required/>
                                    </div>
                                    <label class="check"><input type="checkbox" name="fluorescent" checked/>" Fluorescent marker removed?"</label>
                                    <label class="check"><input type="checkbox" name="atp" checked/>" ATP reading"</label>
                                    <div class="field">
                                        <label for="round-threshold">"ATP pass threshold (RLU, at or under)"</label>
                                        <input id="round-threshold" name="atp_threshold" type="number" min="1" value="250" inputmode="numeric"/>
                                    </div>
                                    <ActionError value=start.value()/>
                                    <ActionDone action=start message="Round started: open it under Rounds to record each surface."/>
                                    <button type="submit" class="button">"Draw the sample and start"</button>
                                </ActionForm>
                            })}
                            <h2>"Rounds"</h2>
                            {if m.rounds.is_empty() {
                                view! { <p class="muted">"No rounds yet."</p> }.into_any()
                            } else {
                                view! { <ul class="list">{m.rounds.into_iter().map(round_item).collect_view()}</ul> }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn round_item(r: RoundSummary) -> impl IntoView {
    let status = match &r.signed {
        Some(s) => format!("signed by {} at {}", s.name, s.at),
        None => format!("open: {} of {} recorded", r.recorded, r.sampled),
    };
    view! {
        <li class="list__item" data-round=r.id.to_string()>
            <div>
                <strong><a href=format!("/monitoring/{}", r.id)>{format!("{} · {}", r.facility, r.started_at)}</a></strong>
                <div class="muted">{format!("{} surfaces · {} · by {} · {status}", r.sampled, r.method, r.started_by)}</div>
            </div>
            <span class="badge" class:badge--ok=r.signed.is_some()>{percent(r.rate())}</span>
        </li>
    }
}

/// The rate of each signed round over time, oldest left, with the 100% line; one bar per round.
#[component]
fn RateChart(rounds: Vec<RoundSummary>) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    let mut rounds = rounds;
    rounds.reverse();
    (!rounds.is_empty()).then(|| {
        let step = W / rounds.len().max(1) as f64;
        let bars = rounds
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let rate = r.rate().unwrap_or(0.0);
                let height = rate / 100.0 * (H - 10.0);
                let (x, width) = (i as f64 * step + 2.0, (step - 4.0).clamp(1.0, 60.0));
                let class = if rate >= 80.0 { "bar--ok" } else if rate >= 50.0 { "bar--late" } else { "bar--fail" };
                let title = format!("{} {}: {} of {} passed ({})", r.facility, r.day, r.passed, r.recorded, percent(r.rate()));
                view! { <g><title>{title}</title><rect class=class x=format!("{x:.1}") y=format!("{:.1}", H - height) width=format!("{width:.1}") height=format!("{height:.1}")/></g> }
            })
            .collect_view();
        let (first, last) = (rounds.first().map(|r| r.day.clone()).unwrap_or_default(), rounds.last().map(|r| r.day.clone()).unwrap_or_default());
        view! {
            <figure class="chart">
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("Thoroughness of cleaning of {} signed rounds from {first} to {last}", rounds.len()) preserveAspectRatio="none">
                    <line class="chart__axis" x1="0" y1="10" x2=W.to_string() y2="10" stroke-dasharray="4 4"/>
                    <line class="chart__axis" x1="0" y1=H.to_string() x2=W.to_string() y2=H.to_string()/>
                    {bars}
                </svg>
                <figcaption class="muted">
                    <span>{first}</span>
                    <span class="chart__legend">"rate per round (dashed: 100%) "<i class="key key--ok"></i>" ≥ 80% "<i class="key key--late"></i>" ≥ 50% "<i class="key key--fail"></i>" under 50%"</span>
                    <span>{last}</span>
                </figcaption>
            </figure>
        }
    })
}

#[component]
pub fn RoundPage() -> impl IntoView {
    let params = use_params_map();
    let record = ServerAction::<RecordSurface>::new();
    let sign = ServerAction::<SignRound>::new();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let round = Resource::new(
        move || (id(), record.version().get(), sign.version().get()),
        |(id, _, _)| async move {
            match id.parse::<MonitoringRoundId>() {
                Ok(id) => get_round(id).await,
                Err(_) => Err(AppError::NotFound),
            }
        },
    );
    let session = crate::components::session::use_session();
    view! {
        <Title text="Monitoring round"/>
        <p><a href="/monitoring">"← Monitoring"</a></p>
        <Suspense fallback=|| view! { <p>"Loading the round…"</p> }>
            {move || Suspend::new(async move {
                let evaluate = session.await.ok().flatten().and_then(|s| s.current).is_some_and(|c| c.role.can(Action::VerifyLogs));
                match round.await {
                    Err(err) => view! { <h1>"Round not found"</h1><p>{err.to_string()}</p> }.into_any(),
                    Ok(r) => view! { <Round r=r evaluate=evaluate record=record sign=sign/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Round(
    r: RoundDetail,
    evaluate: bool,
    record: ServerAction<RecordSurface>,
    sign: ServerAction<SignRound>,
) -> impl IntoView {
    let s = r.summary.clone();
    let open = s.signed.is_none() && evaluate;
    let id = s.id.to_string();
    let all_recorded = s.recorded == s.sampled;
    view! {
        <h1>{format!("{} · {}", s.facility, s.started_at)}</h1>
        <p class="muted">{format!(
            "{} of {} surfaces drawn at random by the server ({}%) · checks: {} · started by {}",
            s.sampled, r.population, r.sample_percent, s.method, s.started_by
        )}</p>
        <p class="queue-summary" data-testid="round-rate">{format!("{} of {} recorded · {} passed · rate {}", s.recorded, s.sampled, s.passed, percent(s.rate()))}</p>
        <ActionError value=record.value()/>
        <ol class="list surfaces">
            {r.samples.into_iter().map(|sample| surface(sample, &r.summary, r.fluorescent, r.atp, r.atp_threshold, open, record)).collect_view()}
        </ol>
        {match s.signed.clone() {
            Some(signature) => view! { <SignatureLine signature=signature/> }.into_any(),
            None if open => view! {
                <h2>"Sign the round"</h2>
                <ActionForm action=sign attr:class="form narrow">
                    <input type="hidden" name="round_id" value=id/>
                    <p class="field__hint">"Signing (“evaluated”) seals the round and its results: nothing of it changes after."</p>
                    <SigningSecret strict=r.strict_signatures id="round-password"/>
                    <ActionError value=sign.value()/>
                    <ActionDone action=sign message="Round signed."/>
                    <button type="submit" class="button" disabled=!all_recorded>{if all_recorded { "Sign: I evaluated these surfaces" } else { "Record every surface to sign" }}</button>
                </ActionForm>
            }.into_any(),
            None => view! { <p class="muted">"Not signed yet."</p> }.into_any(),
        }}
    }
}

fn surface(
    sample: Sample,
    round: &RoundSummary,
    fluorescent: bool,
    atp: bool,
    threshold: Option<i32>,
    open: bool,
    record: ServerAction<RecordSurface>,
) -> impl IntoView {
    let p = sample.position;
    let found = match sample.passed {
        None => "Not recorded yet".to_owned(),
        Some(passed) => {
            let mut parts = Vec::new();
            if let Some(m) = sample.marker_removed {
                parts.push(if m { "marker removed".to_owned() } else { "marker still there".to_owned() });
            }
            if let Some(rlu) = sample.atp_rlu {
                parts.push(format!("{rlu} RLU"));
            }
            format!("{}: {}", if passed { "PASS" } else { "FAIL" }, parts.join(", "))
        }
    };
    let (round_id, marker, rlu, notes, passed) =
        (round.id.to_string(), sample.marker_removed, sample.atp_rlu, sample.notes.clone(), sample.passed);
    let recorded = passed.is_some();
    let form = open.then(move || {
        let (marker_id, rlu_id, notes_id) = (format!("marker-{p}"), format!("rlu-{p}"), format!("notes-{p}"));
        let form = view! {
            <ActionForm action=record attr:class="form surface__form">
                <input type="hidden" name="round_id" value=round_id/>
                <input type="hidden" name="position" value=p.to_string()/>
                {fluorescent.then(|| view! {
                    <fieldset class="outcome">
                        <legend>"Fluorescent marker removed?"</legend>
                        <label class="check"><input type="radio" name="marker_removed" value="yes" id=marker_id.clone() checked=marker == Some(true)/>" Yes, removed"</label>
                        <label class="check"><input type="radio" name="marker_removed" value="no" checked=marker == Some(false)/>" No, still there"</label>
                    </fieldset>
                })}
                {atp.then(|| view! {
                    <div class="field">
                        <label for=rlu_id.clone()>{format!("ATP (RLU; passes at or under {})", threshold.unwrap_or_default())}</label>
                        <input id=rlu_id name="atp_rlu" type="number" min="0" inputmode="numeric" value=rlu.map(|r| r.to_string()).unwrap_or_default()/>
                    </div>
                })}
                <div class="field">
                    <label for=notes_id.clone()>"Note (optional)"</label>
                    <input id=notes_id name="notes" maxlength="500" value=notes.unwrap_or_default()/>
                </div>
                <button type="submit" class="button button--small">{if passed.is_some() { "Update" } else { "Record" }}</button>
            </ActionForm>
        };
        // A recorded surface keeps its form folded away: the list stays short on a phone.
        if recorded {
            view! { <details class="edit"><summary>"Change"</summary>{form}</details> }.into_any()
        } else {
            form.into_any()
        }
    });
    view! {
        <li class="list__item surface" data-surface=p.to_string() class:surface--fail=sample.passed == Some(false)>
            <div>
                <strong>{format!("{p}. {}", sample.equipment)}</strong>
                <span class="muted">{if sample.location.is_empty() { String::new() } else { format!(" · {}", sample.location) }}</span>
                <div class="surface__found">{found}</div>
                {sample.notes.clone().filter(|_| !open).map(|n| view! { <div class="muted">{n}</div> })}
            </div>
            {form}
        </li>
    }
}
