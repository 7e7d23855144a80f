//! What owners and admins do on the billing page: see the overview, start Stripe Checkout, open
//! Stripe's customer portal. Both Stripe pages are Stripe's own; we only send the owner there.

use time::OffsetDateTime;
use url::Url;

use super::account::{self, plan_of};
use super::stripe_api::{Stripe, StripeCallError};
use crate::model::billing::{format_amount, BillingOverview, BillingRecord, Plan};
use crate::model::error::AppError;
use crate::model::role::Action;
use crate::server::audit::record::{record, SecurityEvent};
use crate::server::auth::TenantTx;
use crate::server::config::StripeConfig;

/// Days of the Pro trial, offered once per organization.
pub const TRIAL_DAYS: u32 = 14;

fn day(t: OffsetDateTime) -> String {
    t.date().to_string()
}

pub async fn overview(tx: &mut TenantTx, stripe: Option<&StripeConfig>) -> Result<BillingOverview, AppError> {
    tx.ctx().require(Action::ViewBilling)?;
    let org = tx.ctx().org_id();
    let account = account::load(tx.conn(), org).await?;
    let (standing, until) = account.standing(OffsetDateTime::now_utc());
    let records: Vec<(String, i64, String, OffsetDateTime)> = sqlx::query!("SELECT kind AS \"kind!: String\", amount AS \"amount!: i64\", currency AS \"currency!: String\", occurred_at AS \"occurred_at!: OffsetDateTime\" FROM billing_records WHERE org_id = $1 \
         ORDER BY occurred_at DESC LIMIT 24", org as _).map(|r| (r.kind, r.amount, r.currency, r.occurred_at))
    .fetch_all(tx.conn())
    .await?;
    Ok(BillingOverview {
        enabled: stripe.is_some(),
        plan: account.plan(),
        status: account.status.as_deref().map(|s| s.replace('_', " ")),
        trial_end: account.trial_end.filter(|_| account.status.as_deref() == Some("trialing")).map(day),
        period_end: account.current_period_end.map(day),
        cancel_at_period_end: account.cancel_at_period_end,
        standing,
        standing_until: until.map(day),
        active_facilities: account.active_facilities,
        active_equipment: account.active_equipment,
        can_manage: tx.ctx().role().can(Action::ManageBilling),
        has_customer: account.stripe_customer_id.is_some(),
        records: records
            .into_iter()
            .map(|(kind, amount, currency, at)| BillingRecord {
                what: match kind.as_str() {
                    "payment" => "Payment",
                    "payment_failed" => "Payment failed",
                    _ => "Refund",
                }
                .into(),
                amount: format_amount(amount, &currency),
                when: day(at),
            })
            .collect(),
    })
}

/// The member's step into Stripe, in the organization's audit trail (the Stripe session's id as
/// the entity).
async fn record_member_action(
    tx: &mut TenantTx,
    action: &str,
    session: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let (org, actor) = (tx.ctx().org_id(), tx.ctx().user_id());
    let event = SecurityEvent {
        org: Some(org),
        actor: Some(actor),
        action,
        entity_type: "billing",
        entity_id: Some(session.to_owned()),
        details,
    };
    Ok(record(tx.conn(), event).await?)
}

fn enabled(stripe: Option<&StripeConfig>) -> Result<&StripeConfig, AppError> {
    stripe.ok_or_else(|| {
        AppError::Conflict("Billing is not set up on this server: every organization is on the Free plan.".into())
    })
}

fn unavailable(err: StripeCallError) -> AppError {
    tracing::error!(error = %err, "Stripe call failed");
    AppError::Conflict(
        "Stripe could not be reached just now. Nothing was charged; please try again in a minute.".into(),
    )
}

/// Creates (once) the organization's Stripe customer and a Checkout session for Pro, and
/// returns Stripe's checkout page. The plan changes only when Stripe's signed webhook says so.
pub async fn start_checkout(
    tx: &mut TenantTx,
    stripe: Option<&StripeConfig>,
    public_url: &Url,
    owner_email: &str,
) -> Result<String, AppError> {
    tx.ctx().require(Action::ManageBilling)?;
    let config = enabled(stripe)?;
    let org = tx.ctx().org_id();
    let account = account::load(tx.conn(), org).await?;
    if plan_of(account.status.as_deref()) == Plan::Pro {
        return Err(AppError::Conflict(
            "This organization is on Pro already; change or cancel it under \"Manage subscription\".".into(),
        ));
    }
    let api = Stripe::new(config).map_err(unavailable)?;
    let customer = match account.stripe_customer_id {
        Some(customer) => customer,
        None => {
            let name: String = sqlx::query_scalar!("SELECT name FROM organizations WHERE id = $1", org as _)
                .fetch_one(tx.conn())
                .await?;
            let created = api.create_customer(&org.to_string(), &name, owner_email).await.map_err(unavailable)?;
            // The idempotency key gave a concurrent request the same customer: either insert wins.
            sqlx::query!("INSERT INTO billing_accounts (org_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING", org as _, &created.id)
            .execute(tx.conn())
            .await?;
            created.id
        }
    };
    let billing_page = public_url.join("/billing").expect("static path joins");
    let trial = (!account.trial_used).then_some(TRIAL_DAYS);
    let session = api
        .create_checkout(
            &customer,
            &org.to_string(),
            account.active_facilities.max(1) as u64,
            trial,
            &format!("{billing_page}?checkout=done"),
            &format!("{billing_page}?checkout=cancelled"),
        )
        .await
        .map_err(unavailable)?;
    let details =
        serde_json::json!({ "customer": customer, "facilities": account.active_facilities, "trial_days": trial });
    record_member_action(tx, "billing.checkout_started", &session.id, details).await?;
    session.url.ok_or_else(|| unavailable(StripeCallError::Unavailable("checkout session without a URL".into())))
}

/// Stripe's customer portal (payment methods, invoices, cancelling), back to the billing page.
pub async fn open_portal(
    tx: &mut TenantTx,
    stripe: Option<&StripeConfig>,
    public_url: &Url,
) -> Result<String, AppError> {
    tx.ctx().require(Action::ManageBilling)?;
    let config = enabled(stripe)?;
    let org = tx.ctx().org_id();
    let Some(customer) = account::load(tx.conn(), org).await?.stripe_customer_id else {
        return Err(AppError::Conflict("There is no subscription to manage yet: choose Pro first.".into()));
    };
    let billing_page = public_url.join("/billing").expect("static path joins");
    let api = Stripe::new(config).map_err(unavailable)?;
    let session = api.create_portal(&customer, billing_page.as_str()).await.map_err(unavailable)?;
    record_member_action(tx, "billing.portal_opened", &session.id, serde_json::json!({ "customer": customer })).await?;
    session.url.ok_or_else(|| unavailable(StripeCallError::Unavailable("portal session without a URL".into())))
}
