//! `/q/{token}`: where a QR sticker leads. A member of the equipment's organization sees it
//! (and works in that organization from then on); a visitor is sent to sign in and brought
//! back; anyone else, and any unknown or replaced sticker, gets "not found".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::form::{ActionDone, ActionError, SigningSecret};
use crate::components::photo_picker::{in_flight, PhotoPicker, Slot};
use crate::model::assets::{PublicStatus, Scan, ScannedEquipment, HISTORY_SHOWN};
use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::model::role::Role;
use crate::pages::log_history::{log_entry, EntryContext, NoProtocolReason};
use crate::pages::logs::{list_logs, AmendLog, LogCleaning, VerifyLog};
use crate::pages::schedules::DueBadge;

/// A member's view of the equipment; for a visitor, the public panel if the organization shows
/// one, else a redirect to sign in (and back here).
#[server(endpoint = "scan_equipment")]
pub async fn scan_equipment(token: String) -> Result<Scan, AppError> {
    use crate::server::assets::stickers;
    use crate::server::auth::request::{auth_session, reply, state, CURRENT_ORG_KEY};
    let state = state();
    let auth = auth_session().await?;
    let Some(user) = auth.user.clone() else {
        if let Some(public) =
            reply(stickers::public_status_unscoped(&state.pool, token.trim()).await.map_err(AppError::from))?
        {
            return Ok(Scan::Public(public));
        }
        // Not through `reply`: the redirect's own status must stand. Tokens are URL-safe
        // base64, so the path needs no escaping.
        leptos_axum::redirect(&format!("/login?next=/q/{}", token.trim()));
        return Err(AppError::Unauthenticated);
    };
    reply(
        async {
            if !user.email_verified {
                return Err(AppError::Forbidden("Confirm your email address first.".into()));
            }
            let (mut tx, id) = match stickers::member_scan(&state.pool, token.trim(), user.id).await {
                // Not a member here: what anyone may see, if the organization shows it.
                Err(AppError::NotFound) => {
                    return match stickers::public_status_unscoped(&state.pool, token.trim()).await? {
                        Some(public) => Ok(Scan::Public(public)),
                        None => Err(AppError::NotFound),
                    };
                }
                other => other?,
            };
            // Work continues in the sticker's organization; the session is written only if that changes.
            let org = tx.ctx().org_id();
            let current: Option<crate::model::ids::OrgId> = auth.session.get(CURRENT_ORG_KEY).await.ok().flatten();
            if current != Some(org) {
                let _ = auth.session.insert(CURRENT_ORG_KEY, org).await;
            }
            let scanned = stickers::scanned(&mut tx, id).await?;
            tx.commit().await?;
            Ok(Scan::Member(scanned))
        }
        .await,
    )
}

#[component]
pub fn ScanPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let scanned = Resource::new(token, scan_equipment);
    let session = crate::app::use_session();
    view! {
        <Title text="Equipment"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let viewer = session.await.ok().flatten().and_then(|s| s.current.map(|c| (s.user_id, c.role)));
                match scanned.await {
                    Ok(Scan::Member(e)) => view! { <Scanned equipment=e viewer=viewer/> }.into_any(),
                    Ok(Scan::Public(p)) => view! { <PublicPanel status=p token=token()/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <h1>"Please sign in"</h1>
                        <p><a href=format!("/login?next=/q/{}", token())>"Sign in to see this equipment"</a></p>
                    }.into_any(),
                    Err(err) => view! {
                        <h1>"Sticker not found"</h1>
                        <p>{err.to_string()}" This sticker may have been replaced, or belongs to an organization you are not a member of."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What anyone scanning the sticker may see, when the organization allows it.
#[component]
fn PublicPanel(status: PublicStatus, token: String) -> impl IntoView {
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
        </section>
    }
}

/// The equipment, the log form first (it works before the WASM arrives: a plain form post), then
/// the history with its signatures.
#[component]
fn Scanned(equipment: ScannedEquipment, viewer: Option<(UserId, Role)>) -> impl IntoView {
    let log = ServerAction::<LogCleaning>::new();
    let verify = ServerAction::<VerifyLog>::new();
    let id = equipment.id;
    let amend = ServerAction::<AmendLog>::new();
    // The first list came with the equipment; after a signing it is read again.
    let initial = equipment.history.clone();
    let history = Resource::new(
        move || (log.version().get(), verify.version().get(), amend.version().get()),
        move |versions| {
            let initial = initial.clone();
            async move {
                match versions {
                    (0, 0, 0) => Ok(initial),
                    _ => list_logs(id, Some(HISTORY_SHOWN)).await,
                }
            }
        },
    );
    // The device's clock at the moment of signing (set as the button is pressed); without
    // JavaScript the field stays empty and the server's clock is used.
    let device_time: NodeRef<leptos::html::Input> = NodeRef::new();
    let stamp_time = move |_| {
        if let Some(input) = device_time.get_untracked() {
            input.set_value(&js_now());
        }
    };
    let uploads = RwSignal::new(Vec::<Slot>::new());
    // The form's one-time key: a second tap, or the same form sent again, is the same signing.
    let submission_key = RwSignal::new(equipment.submission_key.to_string());
    let form: NodeRef<leptos::html::Form> = NodeRef::new();
    // Signed: the photos belong to that log now. The form starts afresh for the next cleaning,
    // nothing ticked, with a new key.
    Effect::new(move |_| {
        if matches!(log.value().get(), Some(Ok(_))) {
            uploads.set(Vec::new());
            submission_key.set(new_key());
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    let waiting = move || uploads.with(|u| in_flight(u));
    let sign_label = move || match (waiting(), log.pending().get()) {
        (0, false) => "Sign: I performed this cleaning".to_owned(),
        (0, true) => "Signing…".to_owned(),
        (1, _) => "Waiting for 1 photo…".to_owned(),
        (n, _) => format!("Waiting for {n} photos…"),
    };
    let e = equipment;
    let strict = e.strict_signatures;
    let when_label = format!("When it was performed ({})", e.time_zone);
    // Auditors and inspectors read; only roles that may sign see the form.
    let may_log = viewer.is_some_and(|(_, role)| role.can(crate::model::role::Action::LogCleaning));
    let entry = EntryContext { verify, amend, strict, steps: std::sync::Arc::new(e.steps.clone()), viewer };
    view! {
        <section class="scan">
            <p class="muted">{format!("{} · {}", e.facility_name, e.location)}</p>
            <h1>{e.name.clone()}</h1>
            <p><span class="badge">{e.short_code.clone()}</span> " " {format!("{} · risk {}", e.kind, e.risk_level)}</p>
            <p><DueBadge status=e.status.clone()/></p>
            {may_log.then(|| view! {
                <h2>"Record a cleaning"</h2>
                <ActionForm action=log node_ref=form attr:class="form">
                    <input type="hidden" name="equipment_id" value=e.id.to_string()/>
                    <input type="hidden" name="submission_key" value=e.submission_key.to_string() prop:value=submission_key/>
                    <input type="hidden" name="performed_at" node_ref=device_time/>
                    {match e.protocol.clone() {
                        Some(protocol) => view! {
                            <fieldset class="checklist">
                                <legend>{protocol}</legend>
                                {e.steps.iter().enumerate().map(|(i, step)| view! {
                                    <label class="check"><input type="checkbox" name=format!("done[{i}]")/>{format!(" {step}")}</label>
                                }).collect_view()}
                            </fieldset>
                        }.into_any(),
                        None => view! { <NoProtocolReason id="log-no-protocol".to_owned()/> }.into_any(),
                    }}
                    <fieldset class="outcome">
                        <legend>"Outcome"</legend>
                        <label class="check"><input type="radio" name="outcome" value="pass" checked/>" Pass"</label>
                        <label class="check"><input type="radio" name="outcome" value="fail"/>" Fail"</label>
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
                    <PhotoPicker equipment=e.id uploads=uploads/>
                    <noscript><p class="muted">"Adding photos needs JavaScript; the cleaning can be recorded without."</p></noscript>
                    <SigningSecret strict=strict id="log-password"/>
                    <ActionError value=log.value()/>
                    <ActionDone action=log message="Recorded and signed."/>
                    <button type="submit" class="button" on:click=stamp_time
                        disabled={move || log.pending().get() || waiting() > 0}>{sign_label}</button>
                </ActionForm>
            })}
            <h2>"History"</h2>
            <p class="muted">{format!("The latest {HISTORY_SHOWN} cleanings, times in {}; the audit trail and reports hold them all.", e.time_zone)}</p>
            <ActionError value=verify.value()/>
            <ActionError value=amend.value()/>
            <ActionDone action=amend message="Correction recorded and signed; the original stays."/>
            <Suspense fallback=|| ()>
                {move || {
                    let entry = entry.clone();
                    Suspend::new(async move {
                    match history.await {
                        Err(err) => view! { <p class="alert alert--error">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Not cleaned yet."</p> }.into_any(),
                        Ok(list) => view! { <ol class="audit-list">{list.into_iter().map(|l| log_entry(l, entry.clone())).collect_view()}</ol> }.into_any(),
                    }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// A fresh one-time form key, made in the browser after each signing (the page's first comes
/// from the server).
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        // `crypto.randomUUID` needs a secure context (HTTPS, or localhost); elsewhere a version-4
        // UUID from `Math.random`, which is enough to tell two signings apart.
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| {
                let r = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
                format!(
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:04x}{:08x}",
                    r(),
                    r() & 0xffff,
                    r() & 0xfff,
                    (r() & 0x3fff) | 0x8000,
                    r() & 0xffff,
                    r()
                )
            })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        uuid::Uuid::new_v4().to_string()
    }
}

/// RFC 3339 "now" from the device.
fn js_now() -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(js_sys::Date::new_0().to_iso_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
