//! The review queue (`/reviews`, for those who verify): cleanings whose protocol requires a
//! second signature, oldest first, those past the organization's deadline marked, each with its
//! Verify button. Nobody is offered their own (the server refuses it too).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{ActionDone, ActionError, FacilityFilter, SigningSecret};
use crate::components::query::text;
use crate::model::error::AppError;
use crate::model::ids::{FacilityId, UserId};
use crate::model::logs::{Review, ReviewCounts, ReviewQueue};
use crate::pages::facilities::list_facilities;
use crate::pages::logs::VerifyLog;

#[server(endpoint = "list_reviews")]
pub async fn list_reviews(facility_id: Option<FacilityId>) -> Result<ReviewQueue, AppError> {
    use crate::server::{auth::request::in_tenant, logs::reviews};
    in_tenant(async |tx| reviews::queue(tx, facility_id).await).await
}

/// How many reviews wait (for the header's count).
#[server(endpoint = "count_reviews")]
pub async fn count_reviews() -> Result<ReviewCounts, AppError> {
    use crate::server::{auth::request::in_tenant, logs::reviews};
    in_tenant(async |tx| reviews::counts(tx, None).await).await
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let verify = ServerAction::<VerifyLog>::new();
    // The facility lives in the address (`components::query`).
    let query = leptos_router::hooks::use_query_map();
    let facility = Memo::new(move |_| query.with(|q| text(q, "facility")));
    let facilities = Resource::new(|| (), |_| list_facilities());
    let queue = Resource::new(move || (facility.get(), verify.version().get()), |(f, _)| list_reviews(f.parse().ok()));
    let session = crate::components::session::use_session();
    view! {
        <Title text="Reviews"/>
        <h1>"Reviews"</h1>
        <p class="hint">"Cleanings whose protocol requires a second signature. Verifying signs that you checked the record; nobody verifies their own."</p>
        <Suspense fallback=|| view! { <p>"Loading the reviews…"</p> }>
            {move || Suspend::new(async move {
                let me = session.await.ok().flatten().map(|s| s.user_id);
                let sites = facilities.await.unwrap_or_default();
                let queue = queue.await;
                view! {
                    <form method="get" action="/reviews" class="filters">
                        <FacilityFilter selected=facility.get() sites=sites/>
                        <button type="submit" class="button">"Show"</button>
                    </form>
                    <ActionError value=verify.value()/>
                    <ActionDone action=verify message="Verified and signed."/>
                    {match queue {
                        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(q) => view! { <Queue queue=q me=me verify=verify/> }.into_any(),
                    }}
                }
            })}
        </Suspense>
    }
}

#[component]
fn Queue(queue: ReviewQueue, me: Option<UserId>, verify: ServerAction<VerifyLog>) -> impl IntoView {
    let c = queue.counts;
    let summary = match (c.awaiting, c.overdue) {
        (0, _) => "Nothing awaits verification.".to_owned(),
        (n, 0) => format!("{n} awaiting verification, none past the {}-day deadline.", c.review_days),
        (n, late) => format!("{n} awaiting verification, {late} past the {}-day deadline.", c.review_days),
    };
    let strict = queue.strict_signatures;
    view! {
        <p class="queue-summary" data-testid="review-summary">{summary}</p>
        <ul class="list reviews">
            {queue.items.into_iter().map(|r| review(r, me, strict, verify)).collect_view()}
        </ul>
    }
}

fn review(r: Review, me: Option<UserId>, strict: bool, verify: ServerAction<VerifyLog>) -> impl IntoView {
    let own = me == Some(r.performer);
    let waited =
        if r.hours_waiting < 48 { format!("{} h", r.hours_waiting) } else { format!("{} days", r.hours_waiting / 24) };
    view! {
        <li class="list__item" data-review=r.log_id.to_string()>
            <div>
                <strong><a href=format!("/equipment/{}", r.equipment_id) rel="external">{r.equipment.clone()}</a></strong>
                {format!(" · {}", r.outcome.label())}
                <div class="muted">{format!("{} · {} · signed by {} at {} (performed {})", r.facility, r.protocol, r.signer, r.received_at, r.performed_at)}</div>
                <span class="badge" class:badge--overdue=r.overdue>{if r.overdue { format!("Review overdue: waiting {waited}") } else { format!("Waiting {waited}") }}</span>
            </div>
            {if own {
                view! { <span class="muted">"Yours: someone else verifies it"</span> }.into_any()
            } else {
                view! {
                    <ActionForm action=verify attr:class="inline-form">
                        <input type="hidden" name="log_id" value=r.log_id.to_string()/>
                        <SigningSecret strict=strict/>
                        <button type="submit" class="button button--small">"Verify (second signature)"</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}
