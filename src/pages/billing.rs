//! The billing page (owners and admins): plan, subscription status, trial and period end, usage
//! against the plan's limits, payments; owners subscribe through Stripe Checkout and manage the
//! subscription in Stripe's customer portal.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::ActionError;
use crate::model::billing::{BillingOverview, Plan, Standing};
use crate::model::error::AppError;

#[server(endpoint = "get_billing")]
pub async fn get_billing() -> Result<BillingOverview, AppError> {
    use crate::server::auth::request::{in_tenant, state};
    use crate::server::billing::subscribe;
    let stripe = state().config.stripe.clone();
    in_tenant(async |tx| subscribe::overview(tx, stripe.as_ref()).await).await
}

/// Starts Stripe Checkout for the Pro plan and sends the browser to it.
#[server(endpoint = "start_checkout")]
pub async fn start_checkout() -> Result<String, AppError> {
    use crate::server::auth::request::{current_user, in_tenant, state};
    use crate::server::billing::subscribe;
    let config = state().config;
    let email = current_user().await?.email;
    let url =
        in_tenant(async |tx| subscribe::start_checkout(tx, config.stripe.as_ref(), &config.public_url, &email).await)
            .await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

/// Opens Stripe's customer portal (payment methods, invoices, cancelling).
#[server(endpoint = "open_billing_portal")]
pub async fn open_billing_portal() -> Result<String, AppError> {
    use crate::server::auth::request::{in_tenant, state};
    use crate::server::billing::subscribe;
    let config = state().config;
    let url =
        in_tenant(async |tx| subscribe::open_portal(tx, config.stripe.as_ref(), &config.public_url).await).await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

fn usage(used: i64, limit: Option<i64>, what: &'static str) -> String {
    match limit {
        Some(max) => format!("{used} of {max} {what}"),
        None => format!("{used} {what} (no limit)"),
    }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let returned = move || query.read().get("checkout");
    let overview = Resource::new(|| (), |_| get_billing());
    view! {
        <Title text="Billing"/>
        <h1>"Billing"</h1>
        {move || match returned().as_deref() {
            Some("done") => Some(view! {
                <p class="alert alert--ok" role="status">
                    "Thank you. Stripe confirms the subscription to us directly; the plan below changes as soon as it does (reload in a moment)."
                </p>
            }.into_any()),
            Some("cancelled") => Some(view! {
                <p class="alert alert--warn" role="status">"Checkout was cancelled; nothing was charged."</p>
            }.into_any()),
            _ => None,
        }}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(b) => billing_view(b).into_any(),
                }
            })}
        </Suspense>
    }
}

fn billing_view(b: BillingOverview) -> impl IntoView {
    let standing = match b.standing {
        Standing::Good => None,
        Standing::Grace => Some(format!(
            "A payment failed. Everything keeps working until {}; please update the payment method.",
            b.standing_until.clone().unwrap_or_default()
        )),
        Standing::Limited => Some(format!(
            "The subscription is unpaid. Adding and changing facilities, equipment, protocols, schedules and people \
             is paused; cleanings can be logged until {}. Records stay readable and exportable.",
            b.standing_until.clone().unwrap_or_default()
        )),
        Standing::ReadOnly => {
            Some("The subscription is unpaid: logging is paused. Records stay readable and exportable.".to_owned())
        }
    };
    let (plan, status) = (b.plan, b.status.clone());
    view! {
        {standing.map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
        <section class="card">
            <h2 data-test="plan">{format!("Plan: {}", plan.label())}</h2>
            <dl class="facts">
                {status.map(|s| view! { <dt>"Subscription"</dt><dd data-test="status">{s}</dd> })}
                {b.trial_end.clone().map(|d| view! { <dt>"Trial ends"</dt><dd>{d}</dd> })}
                {b.period_end.clone().map(|d| view! {
                    <dt>{if b.cancel_at_period_end { "Ends on" } else { "Renews on" }}</dt><dd>{d}</dd>
                })}
                <dt>"Facilities"</dt><dd>{usage(b.active_facilities, plan.max_facilities(), "active facilities")}</dd>
                <dt>"Equipment"</dt><dd>{usage(b.active_equipment, plan.max_equipment(), "active pieces")}</dd>
            </dl>
            {plans_or_actions(&b)}
        </section>
        {(!b.records.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Payments"</h2>
                <table class="billing-history">
                    <thead><tr><th>"Date"</th><th>"What"</th><th>"Amount"</th></tr></thead>
                    <tbody>
                        {b.records.into_iter().map(|r| view! {
                            <tr><td>{r.when}</td><td>{r.what}</td><td>{r.amount}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}

fn plans_or_actions(b: &BillingOverview) -> impl IntoView {
    if !b.enabled {
        return view! {
            <p class="hint">"Billing is not set up on this server: there are no plan limits to upgrade from."</p>
        }
        .into_any();
    }
    let checkout = ServerAction::<StartCheckout>::new();
    let portal = ServerAction::<OpenBillingPortal>::new();
    let upgrade = (b.plan == Plan::Free).then(|| {
        view! {
            <p>
                "Free: 1 facility and 25 pieces of equipment. Pro: unlimited equipment and users, billed per active \
                 facility, with a 14-day trial the first time."
            </p>
        }
    });
    match (b.can_manage, b.plan) {
        (false, _) => view! {
            {upgrade}
            <p class="hint">"Only an owner can change the subscription."</p>
        }
        .into_any(),
        (true, Plan::Free) => view! {
            {upgrade}
            <ActionForm action=checkout>
                <ActionError value=checkout.value()/>
                <button type="submit" class="button">"Upgrade to Pro"</button>
            </ActionForm>
            {b.has_customer.then(|| portal_form(portal))}
        }
        .into_any(),
        (true, Plan::Pro) => portal_form(portal).into_any(),
    }
}

fn portal_form(portal: ServerAction<OpenBillingPortal>) -> impl IntoView {
    view! {
        <ActionForm action=portal>
            <ActionError value=portal.value()/>
            <button type="submit" class="button button--secondary">"Manage subscription"</button>
            <p class="hint">"Payment methods, invoices and cancelling are on Stripe's secure page."</p>
        </ActionForm>
    }
}
