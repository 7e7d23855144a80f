//! One entry of a piece of equipment's cleaning history: the signed record, its photos, its
//! verification (or the form to add one) and the form to record a correction.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::form::SigningSecret;
use crate::model::ids::UserId;
use crate::model::logs::{signed_with_label, CleaningLog, Outcome, Signature};
use crate::model::protocols::Step;
use crate::model::role::{Action, Role};
use crate::pages::corrective_actions::{action_fields, OpenCorrectiveAction};
use crate::pages::logs::checklist::{checklist_fields, checklist_results};
use crate::pages::logs::{AmendLog, VerifyLog};

/// What every entry of one history shares.
#[derive(Clone)]
pub struct EntryContext {
    pub verify: ServerAction<VerifyLog>,
    pub amend: ServerAction<AmendLog>,
    pub open_action: ServerAction<OpenCorrectiveAction>,
    /// The organization asks for the password (or PIN) at each signing.
    pub strict: bool,
    /// The protocol's current steps, for a correction's checklist.
    pub steps: Arc<Vec<Step>>,
    /// Who is reading, and their role here: the forms show only for what they may do (nobody
    /// verifies their own log; the server refuses it too).
    pub viewer: Option<(UserId, Role)>,
}

pub fn log_entry(l: CleaningLog, cx: EntryContext) -> impl IntoView {
    let EntryContext { verify, amend, open_action, strict, steps, viewer } = cx;
    let id = l.id.to_string();
    let may = |action: Action| viewer.is_some_and(|(_, role)| role.can(action));
    let may_verify = may(Action::VerifyLogs) && viewer.is_some_and(|(me, _)| me != l.performer);
    let correction = (l.amended_by.is_empty() && may(Action::LogCleaning))
        .then(|| correction_form(id.clone(), amend, strict, &steps));
    let action = may(Action::VerifyLogs).then(|| action_form(id.clone(), open_action));
    view! {
        <li class="audit-entry" data-log=l.id.to_string()>
            <div class="audit-entry__head">
                <strong>{l.outcome.label()}</strong>
                {(l.late_entry || l.entered_offline).then(|| view! { <span class="badge badge--late">{if l.entered_offline { "Entered offline" } else { "Late entry" }}</span> })}
                <span class="muted">{format!("performed by {} at {} · {}", l.performed_by, l.performed_at, l.protocol.clone().unwrap_or_else(|| "no protocol".into()))}</span>
            </div>
            {l.no_protocol_reason.clone().map(|r| view! { <p class="muted">{format!("Signed without a protocol: {r}")}</p> })}
            {checklist_results(&l.checklist)}
            {l.product_lot.clone().map(|lot| view! { <p class="muted">{format!("Disinfectant lot {lot}, expires {}", l.product_expiry.clone().unwrap_or_default())}</p> })}
            {l.contact_seconds.map(|s| view! { <p class="muted">{format!("Wet contact {}:{:02} min before signing", s / 60, s % 60)}</p> })}
            {(!l.notes.is_empty()).then(|| view! { <p>{l.notes.clone()}</p> })}
            {l.corrective_action.clone().map(|state| view! {
                <p><a href="/corrective-actions?show=all" class="badge" class:badge--overdue=state == "open">{if state == "open" { "Corrective action open" } else { "Corrective action closed" }}</a></p>
            })}
            {(!l.photos.is_empty()).then(|| view! {
                <p class="log-photos">
                    {l.photos.iter().map(|p| view! {
                        <a href=format!("/photos/{p}")><img src=format!("/photos/{p}/thumb") alt="Photo of the cleaning" width="80" height="60" loading="lazy"/></a>
                    }).collect_view()}
                </p>
            })}
            {l.amendment_reason.clone().map(|r| view! { <p class="muted">{format!("Corrects an earlier log: {r}")}</p> })}
            {(!l.amended_by.is_empty()).then(|| view! { <p class="muted">"Corrected by a later log."</p> })}
            {match (l.entered_offline, l.late_entry_reason.clone()) {
                (true, _) => Some(view! { <p class="muted">{format!("Captured offline at {}, synced at {}.", l.performed_at, l.received_at)}</p> }.into_any()),
                (false, Some(reason)) => Some(view! { <p class="late-entry">{format!("Entered late, at {}: {reason}", l.received_at)}</p> }.into_any()),
                (false, None) => None,
            }}
            <SignatureLine signature=l.signature.clone()/>
            {match l.verified.clone() {
                Some(s) => Some(view! { <SignatureLine signature=s/> }.into_any()),
                None if may_verify => Some(view! {
                    <ActionForm action=verify attr:class="inline-form">
                        <input type="hidden" name="log_id" value=id.clone()/>
                        <SigningSecret strict=strict/>
                        <button type="submit" class="button button--small">"Verify (second signature)"</button>
                    </ActionForm>
                }.into_any()),
                None if l.verification_required && l.amended_by.is_empty() => Some(view! { <p class="late-entry">"Awaiting verification: its protocol requires a second signature."</p> }.into_any()),
                None => Some(view! { <p class="muted">"Not verified yet."</p> }.into_any()),
            }}
            {correction}
            {action}
        </li>
    }
}

/// A correction is a new signed log naming this one and why; this one stays as it was.
fn correction_form(id: String, amend: ServerAction<AmendLog>, strict: bool, steps: &[Step]) -> impl IntoView {
    let field = |name: &str| format!("{name}-{id}");
    let (reason, notes, no_protocol) = (field("reason"), field("notes"), field("no-protocol"));
    let checklist = (!steps.is_empty()).then(|| {
        view! { <fieldset class="checklist"><legend>"Steps"</legend>{checklist_fields(steps, &id)}</fieldset> }
    });
    view! {
        <details class="correction">
            <summary>"Correct this record"</summary>
            <ActionForm action=amend attr:class="form">
                <input type="hidden" name="log_id" value=id/>
                <div class="field">
                    <label for=reason.clone()>"Reason for the correction"</label>
                    <input id=reason name="reason" required maxlength="500"/>
                </div>
                {match checklist {
                    Some(checklist) => checklist.into_any(),
                    None => view! { <NoProtocolReason id=no_protocol/> }.into_any(),
                }}
                <fieldset class="outcome">
                    <legend>"Outcome"</legend>
                    <label class="check"><input type="radio" name="outcome" value=Outcome::Pass.as_str()/>" Pass"</label>
                    <label class="check"><input type="radio" name="outcome" value=Outcome::Fail.as_str() checked/>" Fail"</label>
                </fieldset>
                <div class="field">
                    <label for=notes.clone()>"Notes"</label>
                    <textarea id=notes name="notes" rows="2"></textarea>
                </div>
                <SigningSecret strict=strict/>
                <button type="submit" class="button button--small">"Sign the correction"</button>
            </ActionForm>
        </details>
    }
}

/// A supervisor opens a corrective action from any log (a failed one has one already).
fn action_form(id: String, open: ServerAction<OpenCorrectiveAction>) -> impl IntoView {
    let fields = action_fields(&format!("action-{id}"), String::new(), None);
    view! {
        <details class="correction">
            <summary>"Open a corrective action"</summary>
            <ActionForm action=open attr:class="form">
                <input type="hidden" name="log_id" value=id/>
                {fields}
                <button type="submit" class="button button--small">"Open the action"</button>
            </ActionForm>
        </details>
    }
}

/// Equipment without a protocol: the signer says why they sign without one (required; the
/// reports print it with the log).
#[component]
pub fn NoProtocolReason(id: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>"No protocol is assigned. Why sign without one?"</label>
            <input id=id name="no_protocol_reason" required maxlength="500"
                placeholder="e.g. Protocol being written"/>
        </div>
    }
}

/// A signature as stored (21 CFR Part 11 §11.50): the legal name, the meaning, the server's time,
/// and how the signer re-authenticated.
#[component]
pub fn SignatureLine(signature: Signature) -> impl IntoView {
    let Signature { name, meaning, at, signed_with } = signature;
    view! {
        <p class="muted signature">
            {format!("Signed “{meaning}” by {name} at {at} (server time) · {}", signed_with_label(signed_with.as_deref()))}
        </p>
    }
}
