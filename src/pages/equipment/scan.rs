//! `/q/{token}`: where a QR sticker leads. A member of the equipment's organization sees it
//! (and works in that organization from then on); a visitor is sent to sign in and brought
//! back; anyone else, and any unknown or replaced sticker, gets "not found".
//!
//! The page is rendered on the server only and ships none of the app's WASM (see
//! `app::shell`): its forms post by themselves, and `public/q.js` adds the photo uploads, the
//! device's clock, sending without losing what was typed, and the offline queue.

use leptos::prelude::*;

use crate::model::equipment::Scan;
use crate::model::error::AppError;

/// A member's view of the equipment; for a visitor, the public panel if the organization shows
/// one, else a redirect to sign in (and back here).
#[server(endpoint = "scan_equipment")]
pub async fn scan_equipment(token: String) -> Result<Scan, AppError> {
    use crate::server::auth::request::{auth_session, remember_org, reply, session_org, state, verified_user};
    use crate::server::equipment::stickers;
    let state = state();
    let auth = auth_session().await?;
    if auth.user.is_none() {
        if let Some(public) =
            reply(stickers::public_status_unscoped(&state.pool, token.trim()).await.map_err(AppError::from))?
        {
            return Ok(Scan::Public(public));
        }
        // Not through `reply`: the redirect's own status must stand. Tokens are URL-safe
        // base64, so the path needs no escaping.
        leptos_axum::redirect(&format!("/login?next=/q/{}", token.trim()));
        return Err(AppError::Unauthenticated);
    }
    reply(
        async {
            let user = verified_user(&auth)?;
            // A single sign-on session is a member of the provider's organization only.
            let only = crate::server::auth::request::sso_org(&auth).await;
            let scan = stickers::member_scan(&state.pool, token.trim(), user.id).await.and_then(|found| match only {
                Some(org) if found.0.org_id() != org => Err(AppError::NotFound),
                _ => Ok(found),
            });
            let (ctx, scanned) = match scan {
                // Not a member here: what anyone may see, if the organization shows it.
                Err(AppError::NotFound) => {
                    return match stickers::public_status_unscoped(&state.pool, token.trim()).await? {
                        Some(public) => Ok(Scan::Public(public)),
                        None => Err(AppError::NotFound),
                    };
                }
                other => other?,
            };
            // Work continues in the sticker's organization.
            remember_org(&auth, session_org(&auth).await, ctx.org_id()).await;
            Ok(Scan::Member(scanned))
        }
        .await,
    )
}

/// "Report a problem" from the public panel: no account needed (rate limited per address and
/// sticker). It becomes a request supervisors see on the corrective actions page.
#[server(endpoint = "report_problem")]
pub async fn report_problem(token: String, description: String, contact: Option<String>) -> Result<(), AppError> {
    use crate::server::auth::request::{client_ip, reply, state};
    use crate::server::equipment::stickers;
    let state = state();
    reply(
        stickers::report_problem_unscoped(
            &state.pool,
            &token,
            &description,
            contact.as_deref().unwrap_or_default(),
            client_ip(),
        )
        .await,
    )
}

pub use page::ScanPage;

mod page {
    use leptos::prelude::*;
    use leptos_meta::Title;
    use leptos_router::hooks::use_params_map;

    use super::{scan_equipment, ReportProblem};
    use crate::components::form::{ActionDone, ActionError, SigningSecret};
    use crate::model::equipment::{PublicStatus, Scan, ScannedEquipment, HISTORY_SHOWN};
    use crate::model::error::AppError;
    use crate::model::ids::UserId;
    use crate::model::logs::Outcome;
    use crate::model::role::{Action, Role};
    use crate::pages::corrective_actions::OpenCorrectiveAction;
    use crate::pages::logs::checklist::checklist_fields;
    use crate::pages::logs::history::{log_entry, EntryContext, NoProtocolReason};
    use crate::pages::logs::{AmendLog, LogCleaning, VerifyLog};
    use crate::pages::schedules::DueBadge;

    #[component]
    pub fn ScanPage() -> impl IntoView {
        let params = use_params_map();
        // Rendered once, on the server: the token cannot change under it.
        let token = params.read_untracked().get("token").unwrap_or_default();
        let session = crate::components::session::use_session();
        let scanned = Resource::new(
            {
                let token = token.clone();
                move || token.clone()
            },
            scan_equipment,
        );
        view! {
            <Title text="Equipment"/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        let viewer = session.await.ok().flatten().and_then(|s| s.current.map(|c| (s.user_id, c.role)));
                        match scanned.await {
                            Ok(Scan::Member(e)) => view! { <Scanned equipment=e viewer=viewer/> }.into_any(),
                            Ok(Scan::Public(p)) => view! { <PublicPanel status=p token=token/> }.into_any(),
                            Err(AppError::Unauthenticated) => view! {
                                <h1>"Please sign in"</h1>
                                <p><a href=format!("/login?next=/q/{token}")>"Sign in to see this equipment"</a></p>
                            }.into_any(),
                            Err(err) => view! {
                                <h1>"Sticker not found"</h1>
                                <p>{err.to_string()}" This sticker may have been replaced, or belongs to an organization you are not a member of."</p>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        }
    }

    /// What anyone scanning the sticker may see, when the organization allows it, and the form to
    /// report a problem with the equipment.
    #[component]
    fn PublicPanel(status: PublicStatus, token: String) -> impl IntoView {
        let report = ServerAction::<ReportProblem>::new();
        view! {
            <section class="scan">
                <h1>{status.name}</h1>
                <dl class="public-status">
                    <dt>"Last cleaned"</dt>
                    <dd>{status.last_cleaned.unwrap_or_else(|| "not yet".into())}</dd>
                    <dt>{if status.overdue { "Overdue since" } else { "Due" }}</dt>
                    <dd class:overdue=status.overdue>{status.next_due.unwrap_or_else(|| "as needed".into())}</dd>
                </dl>
                <p><a class="button" href=format!("/login?next=/q/{token}")>"Sign in to record a cleaning"</a></p>
                <details class="report-problem">
                    <summary>"Report a problem with this equipment"</summary>
                    <ActionForm action=report attr:class="form">
                        <input type="hidden" name="token" value=token.clone()/>
                        <div class="field">
                            <label for="problem-description">"What is wrong?"</label>
                            <textarea id="problem-description" name="description" rows="3" required maxlength="1000"
                                placeholder="e.g. Blood spill on the handle, not yet cleaned"></textarea>
                        </div>
                        <div class="field">
                            <label for="problem-contact">"How to reach you (optional)"</label>
                            <input id="problem-contact" name="contact" maxlength="200" autocomplete="off"
                                placeholder="Name, ward or phone"/>
                        </div>
                        <ActionError value=report.value()/>
                        <ActionDone action=report message="Thank you: the team responsible has been told."/>
                        <button type="submit" class="button">"Send the report"</button>
                    </ActionForm>
                </details>
                <QueuePanel signer=None/>
            </section>
        }
    }

    /// Where `q.js` lists the cleanings signed on this phone without a connection: waiting,
    /// refused (with the server's reason) and sent. `signer` is who is signed in: only their own
    /// cleanings are sent from this page. `time_zone`: the facility's, for the times shown.
    #[component]
    fn QueuePanel(signer: Option<UserId>, #[prop(optional)] time_zone: Option<String>) -> impl IntoView {
        view! {
            <section id="queue" class="queue" hidden aria-live="polite"
                data-signer=signer.map(|s| s.to_string()) data-time-zone=time_zone></section>
        }
    }

    /// The wet contact time: `q.js` fills in the time of application when "Start" is tapped and
    /// counts down; without JavaScript the signer types the time. Signing a pass before it has
    /// elapsed is refused by the server, which stores the elapsed time with the log.
    #[component]
    fn ContactTimer(minutes: i32, time_zone: String) -> impl IntoView {
        view! {
            <fieldset class="contact-timer" data-contact-minutes=minutes data-time-zone=time_zone.clone()>
                <legend>{format!("Wet contact: {minutes} min")}</legend>
                <button type="button" class="button button--secondary" data-start-contact hidden>{format!("Disinfectant applied: start the {minutes}-minute timer")}</button>
                <p class="contact-timer__left" aria-live="polite" hidden></p>
                <div class="field">
                    <label for="log-applied">{format!("Applied at ({time_zone})")}</label>
                    <input id="log-applied" name="applied_at" type="time" step="1"/>
                </div>
            </fieldset>
        }
    }

    /// The equipment, the log form first, then the history with its signatures. Every form is a
    /// plain form post; `q.js`, when it runs, sends the log form itself (see the module).
    #[component]
    fn Scanned(equipment: ScannedEquipment, viewer: Option<(UserId, Role)>) -> impl IntoView {
        let log = ServerAction::<LogCleaning>::new();
        let verify = ServerAction::<VerifyLog>::new();
        let amend = ServerAction::<AmendLog>::new();
        let open_action = ServerAction::<OpenCorrectiveAction>::new();
        let e = equipment;
        let strict = e.strict_signatures;
        let when_label = format!("When it was performed ({})", e.time_zone);
        let zone = e.time_zone.clone();
        // Auditors and inspectors read; only roles that may sign see the form.
        let may_log = viewer.is_some_and(|(_, role)| role.can(Action::LogCleaning));
        let entry =
            EntryContext { verify, amend, open_action, strict, steps: std::sync::Arc::new(e.steps.clone()), viewer };
        let history = match e.history.is_empty() {
            true => view! { <p class="muted">"Not cleaned yet."</p> }.into_any(),
            false => view! { <ol class="audit-list">{e.history.clone().into_iter().map(|l| log_entry(l, entry.clone())).collect_view()}</ol> }.into_any(),
        };
        view! {
            <section class="scan">
                <p class="muted">{format!("{} · {}", e.facility_name, e.location)}</p>
                <h1>{e.name.clone()}</h1>
                <p><span class="badge">{e.short_code.clone()}</span> " " {format!("{} · risk {}", e.kind, e.risk_level)}</p>
                <p><DueBadge status=e.status.clone()/></p>
                <QueuePanel signer=viewer.map(|(user, _)| user) time_zone=e.time_zone.clone()/>
                {may_log.then(|| view! {
                    <h2>"Record a cleaning"</h2>
                    <ActionForm action=log attr:class="form" attr:data-log-form="" attr:data-equipment-name=e.name.clone()>
                        <input type="hidden" name="equipment_id" value=e.id.to_string()/>
                        <input type="hidden" name="submission_key" value=e.submission_key.to_string()/>
                        // The device's clock at the moment of signing, set by q.js; without
                        // JavaScript it stays empty and the server's clock is the time.
                        <input type="hidden" name="performed_at"/>
                        {match e.protocol.clone() {
                            Some(protocol) => view! {
                                <fieldset class="checklist">
                                    <legend>{protocol}</legend>
                                    {checklist_fields(&e.steps, "log")}
                                </fieldset>
                            }.into_any(),
                            None => view! { <NoProtocolReason id="log-no-protocol".to_owned()/> }.into_any(),
                        }}
                        {e.product_lot_required.then(|| view! {
                            <fieldset class="product">
                                <legend>{format!("{} used", e.disinfectant)}</legend>
                                <div class="field">
                                    <label for="log-lot">"Lot number"</label>
                                    <input id="log-lot" name="product_lot" required maxlength="60" autocomplete="off"/>
                                </div>
                                <div class="field">
                                    <label for="log-expiry">"Expiry date"</label>
                                    <input id="log-expiry" name="product_expiry" type="date" required/>
                                </div>
                            </fieldset>
                        })}
                        {(e.contact_timed && e.contact_time_minutes > 0).then(|| view! { <ContactTimer minutes=e.contact_time_minutes time_zone=zone.clone()/> })}
                        <fieldset class="outcome">
                            <legend>"Outcome"</legend>
                            <label class="check"><input type="radio" name="outcome" value=Outcome::Pass.as_str() checked/>" Pass"</label>
                            <label class="check"><input type="radio" name="outcome" value=Outcome::Fail.as_str()/>" Fail"</label>
                        </fieldset>
                        <div class="field">
                            <label for="log-notes">"Notes"</label>
                            <textarea id="log-notes" name="notes" rows="2"></textarea>
                        </div>
                        <details class="earlier">
                            <summary>"Performed earlier? Give the time"</summary>
                            <div class="field">
                                <label for="log-performed-local">{when_label}</label>
                                <input id="log-performed-local" name="performed_local" type="datetime-local"/>
                            </div>
                            <div class="field">
                                <label for="log-late-reason">{format!("If more than {} minutes ago: why is it recorded only now?", e.late_entry_minutes)}</label>
                                <input id="log-late-reason" name="late_entry_reason" maxlength="500"
                                    placeholder="e.g. No signal in the basement"/>
                            </div>
                        </details>
                        // Shown by q.js, which resizes each photo on the phone and uploads it
                        // with a progress bar; the form then carries the ids (`photos[n]`).
                        <div class="field photo-picker" id="log-photos" hidden>
                            <label for="log-photo">"Photos"</label>
                            <input id="log-photo" type="file" accept="image/jpeg,image/png,image/webp" multiple/>
                            <ul class="photo-uploads"></ul>
                        </div>
                        <noscript><p class="muted">"Adding photos needs JavaScript; the cleaning can be recorded without."</p></noscript>
                        <SigningSecret strict=strict id="log-password"/>
                        <ActionError value=log.value()/>
                        <ActionDone action=log message="Recorded and signed."/>
                        <button type="submit" class="button">"Sign: I performed this cleaning"</button>
                    </ActionForm>
                })}
                <h2>"History"</h2>
                <p class="muted">{format!("The latest {HISTORY_SHOWN} cleanings, times in {}; the audit trail and reports hold them all.", e.time_zone)}</p>
                <ActionError value=verify.value()/>
                <ActionError value=amend.value()/>
                <ActionDone action=amend message="Correction recorded and signed; the original stays."/>
                <ActionError value=open_action.value()/>
                <ActionDone action=open_action message="Corrective action opened."/>
                {history}
            </section>
        }
    }
}
