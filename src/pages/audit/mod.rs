//! The audit trail of the organization: filters, newest first, before/after of every change,
//! chain verification and the export. Owners, admins and auditors.

pub mod verify;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::query::{flag, href, text};

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
    // Filters, the page (`?before=` an event number) and a requested check (`?check=1`) live in
    // the address (`components::query`), so the page reads the same without JavaScript.
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| Filter {
            entity: text(q, "entity"),
            action: text(q, "action"),
            from: text(q, "from"),
            to: text(q, "to"),
            before: q.get("before").and_then(|b| b.parse().ok()),
        })
    });
    let checking = Memo::new(move |_| query.with(|q| flag(q, "check")));
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let entries = Resource::new(
        move || filter.get(),
        move |f| list_audit_events(opt(f.entity), None, opt(f.action), opt(f.from), opt(f.to), f.before),
    );
    let check = Resource::new(
        move || checking.get(),
        |wanted| async move {
            if wanted {
                Some(verify_audit_chain().await)
            } else {
                None
            }
        },
    );

    view! {
        <Title text="Audit trail"/>
        <h1>"Audit trail"</h1>
        <p class="muted">"Every change to the organization's records, who made it and when. Each entry's hash covers the one before it, so any alteration is detectable."</p>
        <div class="audit-tools">
            <form method="get" action="/audit" class="inline-form">
                <input type="hidden" name="check" value="1"/>
                <button type="submit" class="button">"Verify the chain"</button>
            </form>
            <a class="button" href="/audit/export.jsonl" rel="external" download>"Download export (JSON Lines)"</a>
        </div>
        <Suspense fallback=|| view! { <p>"Checking the chain…"</p> }>
            {move || Suspend::new(async move { check.await.map(check_view) })}
        </Suspense>
        {move || {
            let f = filter.get();
            view! {
                <form method="get" action="/audit" class="filters">
                    <label>"Record type"
                        <select name="entity">
                            {RECORD_TYPES
                                .iter()
                                .map(|(value, label)| view! { <option value=*value selected=f.entity == *value>{*label}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label>"Action" <input type="text" name="action" placeholder="e.g. memberships.update" value=f.action.clone()/></label>
                    <label>"From" <input type="date" name="from" value=f.from.clone()/></label>
                    <label>"To" <input type="date" name="to" value=f.to.clone()/></label>
                    <button type="submit" class="button button--small">"Filter"</button>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(page) => {
                        let f = filter.get();
                        let keep = vec![("entity", f.entity), ("action", f.action), ("from", f.from), ("to", f.to)];
                        let newest = f.before.is_some().then(|| view! {
                            <a class="button button--small" href=href("/audit", &keep)>"Newest entries"</a>
                        });
                        let older = page.next_before_seq.map(|before| {
                            let mut pairs = keep.clone();
                            pairs.push(("before", before.to_string()));
                            view! { <a class="button button--small" href=href("/audit", &pairs)>"Older entries"</a> }
                        });
                        view! {
                            <ol class="audit-list">{page.entries.into_iter().map(entry_view).collect_view()}</ol>
                            <nav class="pager" aria-label="Pages">{newest}{older}</nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The record types the filter offers: (`entity_type`, label); empty for all.
const RECORD_TYPES: [(&str, &str); 5] = [
    ("", "All"),
    ("organizations", "Organization"),
    ("memberships", "Memberships"),
    ("invitations", "Invitations"),
    ("audit_events", "Audit trail"),
];

/// What the address asks of the trail.
#[derive(Clone, PartialEq)]
struct Filter {
    entity: String,
    action: String,
    from: String,
    to: String,
    before: Option<i64>,
}

fn check_view(result: Result<ChainCheck, AppError>) -> impl IntoView {
    match result {
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
