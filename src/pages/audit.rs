//! The audit trail of the organization: filters, newest first, before/after of every change,
//! chain verification and the export. Owners, admins and auditors.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::audit::{signed_words, AuditEntry, AuditPage, ChainCheck};
use crate::model::error::AppError;
use crate::model::ids::UserId;

/// One page of the trail (newest first), filtered; `before_seq` continues from a previous page.
#[server(endpoint = "list_audit_events")]
pub async fn list_audit_events(
    entity_type: Option<String>,
    actor: Option<UserId>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_seq: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::server::audit::trail::{self, Filter};
    use crate::server::auth::request::in_tenant;
    let filter = Filter { entity_type, actor, action, from, to, before_seq };
    in_tenant(async |tx| trail::page(tx, &filter).await).await
}

/// Recomputes the organization's chain and names the first broken event, if any.
#[server(endpoint = "verify_audit_chain")]
pub async fn verify_audit_chain() -> Result<ChainCheck, AppError> {
    use crate::model::role::Action;
    use crate::server::audit::chain;
    use crate::server::auth::request::{in_tenant, state};
    let key = state().config.audit_key.clone();
    in_tenant(async |tx| {
        tx.ctx().require(Action::ViewAudit)?;
        let org = tx.ctx().org_id();
        Ok(chain::verify(tx.conn(), Some(org), &key).await?)
    })
    .await
}

#[component]
pub fn AuditPageView() -> impl IntoView {
    let entity = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let applied = RwSignal::new((String::new(), String::new(), String::new(), String::new()));
    let older = RwSignal::new(Vec::<AuditEntry>::new());
    let cursor = RwSignal::new(None::<i64>);
    let opt = |s: String| (!s.is_empty()).then_some(s);

    let first = Resource::new(
        move || applied.get(),
        move |(e, a, f, t)| list_audit_events(opt(e), None, opt(a), opt(f), opt(t), None),
    );
    let more = Action::new(move |before: &i64| {
        let (e, a, f, t) = applied.get_untracked();
        let before = *before;
        async move { list_audit_events(opt(e), None, opt(a), opt(f), opt(t), Some(before)).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = more.value().get() {
            older.update(|list| list.extend(page.entries.clone()));
            cursor.set(page.next_before_seq);
        }
    });
    let verify = ServerAction::<VerifyAuditChain>::new();

    view! {
        <Title text="Audit trail"/>
        <h1>"Audit trail"</h1>
        <p class="muted">"Every change to the organization's records, who made it and when. Each entry's hash covers the one before it, so any alteration is detectable."</p>
        <div class="audit-tools">
            <ActionForm action=verify attr:class="inline-form">
                <button type="submit" class="button">"Verify the chain"</button>
            </ActionForm>
            <a class="button" href="/audit/export.jsonl" rel="external" download>"Download export (JSON Lines)"</a>
        </div>
        {move || verify.value().get().map(|result| match result {
            Ok(ChainCheck::Verified { events, last_hash, signed_through }) => view! {
                <p class="alert alert--ok" role="status">{format!(
                    "All {events} events verify; {}. Last hash: {}",
                    signed_words(signed_through),
                    last_hash.unwrap_or_else(|| "-".into())
                )}</p>
            }.into_any(),
            Ok(ChainCheck::Broken { seq, reason }) => view! {
                <p class="alert alert--error" role="alert">{format!("The chain is broken at event {seq}: {reason}")}</p>
            }.into_any(),
            Ok(ChainCheck::RecordAltered { events, record }) => view! {
                <p class="alert alert--error" role="alert">{format!("All {events} events verify, but {record} no longer matches the hash sealed with its signature: it was altered.")}</p>
            }.into_any(),
            Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
        })}
        <form class="filters" on:submit=move |ev| {
            ev.prevent_default();
            older.set(Vec::new());
            applied.set((entity.get(), action.get(), from.get(), to.get()));
        }>
            <label>"Record type"
                <select on:change=move |ev| entity.set(event_target_value(&ev)) prop:value=entity>
                    <option value="">"All"</option>
                    <option value="organizations">"Organization"</option>
                    <option value="memberships">"Memberships"</option>
                    <option value="invitations">"Invitations"</option>
                    <option value="audit_events">"Audit trail"</option>
                </select>
            </label>
            <label>"Action" <input type="text" placeholder="e.g. memberships.update" prop:value=action on:input=move |ev| action.set(event_target_value(&ev))/></label>
            <label>"From" <input type="date" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/></label>
            <label>"To" <input type="date" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/></label>
            <button type="submit" class="button button--small">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(page) => {
                        cursor.set(page.next_before_seq);
                        view! {
                            <ol class="audit-list">
                                {page.entries.into_iter().map(entry_view).collect_view()}
                                {move || older.get().into_iter().map(entry_view).collect_view()}
                            </ol>
                            {move || cursor.get().map(|before| view! {
                                <button type="button" class="button button--small" on:click=move |_| { more.dispatch(before); }>"Older entries"</button>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn entry_view(entry: AuditEntry) -> impl IntoView {
    view! {
        <li class="audit-entry" data-seq=entry.seq>
            <div class="audit-entry__head">
                <strong>{entry.action.clone()}</strong>
                <span class="muted">{format!("#{} · {} · {}", entry.seq, entry.occurred_at, entry.actor)}</span>
            </div>
            {(!entry.changes.is_empty()).then(|| view! {
                <table class="diff">
                    <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
                    <tbody>
                        {entry.changes.into_iter().map(|c| view! {
                            <tr>
                                <td>{c.field}</td>
                                <td class="diff__old">{c.before.unwrap_or_default()}</td>
                                <td class="diff__new">{c.after.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <small class="muted hash">{format!("hash {}", entry.hash)}</small>
        </li>
    }
}
