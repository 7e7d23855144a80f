//! Processing a recorded Stripe event (a job, so the webhook answers at once and a failure here
//! is retried). Order-proof: the subscription's state is never taken from the event, which may
//! be older than one processed before it; it is read again from Stripe's API, under a lock on the
//! organization's billing row, so the state we keep is always the newest Stripe has. What the
//! event itself reports (a payment, a refund) is recorded once per invoice or charge.

use serde_json::Value;
use time::OffsetDateTime;

use super::account::is_delinquent;
use super::stripe_api::{Stripe, StripeCallError, Subscription};
use crate::model::ids::OrgId;
use crate::server::auth::scope::{org_of_stripe_customer, OrgJobTx};
use crate::server::config::StripeConfig;
use crate::server::jobs::{JobError, JobKind};
use crate::server::mailer;
use crate::server::state::AppState;

/// Processes one recorded Stripe event.
pub struct StripeEvent;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub event_id: String,
}

impl JobKind for StripeEvent {
    const KIND: &'static str = "stripe_event";
    type Payload = Payload;
    async fn run(state: &AppState, payload: Payload) -> Result<(), JobError> {
        run(state, &payload.event_id).await
    }
}

fn retry(err: impl std::fmt::Display) -> JobError {
    JobError::Retry(err.to_string())
}

impl From<StripeCallError> for JobError {
    fn from(err: StripeCallError) -> Self {
        match err {
            StripeCallError::Refused { .. } => JobError::Fatal(err.to_string()),
            StripeCallError::Unavailable(_) => JobError::Retry(err.to_string()),
        }
    }
}

/// The recorded event, as read back for processing.
struct Recorded {
    kind: String,
    created: OffsetDateTime,
    payload: Value,
    processed: bool,
}

async fn run(state: &AppState, id: &str) -> Result<(), JobError> {
    let Some(stripe) = &state.config.stripe else {
        return Err(JobError::Fatal("Stripe is not configured".into()));
    };
    let event = sqlx::query_as!(
        Recorded,
        r#"SELECT type AS kind, created, payload, processed_at IS NOT NULL AS "processed!" FROM stripe_events WHERE id = $1"#,
        id
    )
    .fetch_optional(&state.pool)
    .await
    .map_err(retry)?
    .ok_or_else(|| JobError::Fatal(format!("event {id} was never recorded")))?;
    if event.processed {
        return Ok(());
    }
    let object = &event.payload["data"]["object"];
    let outcome = match object["customer"].as_str() {
        None => Outcome::Ignored("the object names no customer".into()),
        Some(customer) => match org_of_stripe_customer(&state.pool, customer).await.map_err(retry)? {
            None => Outcome::Ignored(format!("customer {customer} belongs to no organization")),
            Some(org) => return apply(state, stripe, id, &event, org).await,
        },
    };
    finish(&state.pool, id, None, &outcome).await
}

enum Outcome {
    Applied(String),
    Ignored(String),
}

impl Outcome {
    fn text(&self) -> String {
        match self {
            Outcome::Applied(what) => format!("applied: {what}"),
            Outcome::Ignored(why) => format!("ignored: {why}"),
        }
    }
}

async fn finish(
    conn: impl sqlx::PgExecutor<'_>,
    id: &str,
    org: Option<OrgId>,
    outcome: &Outcome,
) -> Result<(), JobError> {
    if let Outcome::Ignored(why) = outcome {
        tracing::warn!(event = id, "Stripe event ignored: {why}");
    }
    sqlx::query!(
        "UPDATE stripe_events SET processed_at = now(), org_id = $2, outcome = $3 WHERE id = $1",
        id,
        org as _,
        outcome.text()
    )
    .execute(conn)
    .await
    .map(drop)
    .map_err(retry)
}

/// Everything for one event in one transaction of the organization: the refreshed
/// subscription, the recorded payment, the emails, and the event marked processed.
async fn apply(
    state: &AppState,
    stripe: &StripeConfig,
    id: &str,
    event: &Recorded,
    org: OrgId,
) -> Result<(), JobError> {
    let object = &event.payload["data"]["object"];
    let api = Stripe::new(stripe)?;
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(retry)?;
    // One event of an organization at a time: the re-read below and its write are not
    // interleaved with another event's.
    let (customer, known_subscription): (String, Option<String>) = sqlx::query!("SELECT stripe_customer_id AS \"stripe_customer_id!: String\", stripe_subscription_id AS \"stripe_subscription_id?: String\" FROM billing_accounts WHERE org_id = $1 FOR UPDATE", org as _).map(|r| (r.stripe_customer_id, r.stripe_subscription_id))
    .fetch_one(tx.conn())
    .await
    .map_err(retry)?;

    // A checkout started for another organization cannot be completed onto this one.
    let named_org = object["client_reference_id"].as_str().or(object["metadata"]["org_id"].as_str());
    if named_org.is_some_and(|named| named != org.to_string()) {
        let outcome = Outcome::Ignored(format!(
            "names organization {} but customer {customer} is {org}",
            named_org.unwrap_or("")
        ));
        finish(tx.conn(), id, Some(org), &outcome).await?;
        return tx.commit().await.map_err(retry);
    }

    let subscription_id = match event.kind.as_str() {
        "checkout.session.completed" => object["subscription"].as_str(),
        kind if kind.starts_with("customer.subscription.") => object["id"].as_str(),
        _ => None,
    }
    .map(str::to_owned)
    .or(known_subscription);

    let mut done = Vec::new();
    if let Some(subscription_id) = &subscription_id {
        let current = api.subscription(subscription_id).await?;
        if current.customer != customer {
            let outcome = Outcome::Ignored(format!("subscription {subscription_id} belongs to another customer"));
            finish(tx.conn(), id, Some(org), &outcome).await?;
            return tx.commit().await.map_err(retry);
        }
        if store_subscription(&mut tx, org, &current, event.created).await? {
            done.push(format!("subscription {} is {}", current.id, current.status));
        }
    }

    match event.kind.as_str() {
        "invoice.payment_succeeded" | "invoice.paid" => {
            let amount = object["amount_paid"].as_i64().unwrap_or(0);
            record(&mut tx, org, "payment", object, amount, id, event.created).await?;
            done.push("payment recorded".into());
        }
        "invoice.payment_failed" => {
            let amount = object["amount_due"].as_i64().unwrap_or(0);
            if record(&mut tx, org, "payment_failed", object, amount, id, event.created).await? {
                email_owners(state, &mut tx, org, Notice::PaymentFailed).await?;
            }
            done.push("failed payment recorded".into());
        }
        "charge.refunded" => {
            let amount = object["amount_refunded"].as_i64().unwrap_or(0);
            record(&mut tx, org, "refund", object, amount, id, event.created).await?;
            done.push("refund recorded".into());
        }
        "customer.subscription.trial_will_end" => {
            let ends = object["trial_end"].as_i64().unwrap_or(0);
            let days = ((ends - OffsetDateTime::now_utc().unix_timestamp()) as f64 / 86_400.0).ceil().max(0.0);
            email_owners(state, &mut tx, org, Notice::TrialEnding(days as i64)).await?;
            done.push("owners told the trial ends".into());
        }
        _ => {}
    }
    let outcome = if done.is_empty() {
        Outcome::Ignored(format!("nothing to do for {}", event.kind))
    } else {
        Outcome::Applied(done.join("; "))
    };
    finish(tx.conn(), id, Some(org), &outcome).await?;
    tx.commit().await.map_err(retry)?;
    tracing::info!(event = id, kind = %event.kind, %org, outcome = outcome.text(), "Stripe event processed");
    Ok(())
}

/// Keeps `current` as the organization's subscription, unless the organization already has a
/// different one that is still live (a stray event about an old subscription must not replace
/// it). Delinquency is dated from the earliest event that found the subscription unpaid.
/// Returns whether the subscription was taken.
pub(super) async fn store_subscription(
    tx: &mut OrgJobTx,
    org: OrgId,
    current: &Subscription,
    seen_at: OffsetDateTime,
) -> Result<bool, JobError> {
    let item = current.items.data.first();
    let at = |unix: Option<i64>| unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
    let taken = sqlx::query!(
        "UPDATE billing_accounts SET stripe_subscription_id = $2, stripe_item_id = $3, status = $4, quantity = $5, \
                trial_end = $6, current_period_end = $7, cancel_at_period_end = $8, \
                trial_used = trial_used OR $6::timestamptz IS NOT NULL, \
                delinquent_since = CASE WHEN $9 THEN least(coalesce(delinquent_since, $10), $10) END \
         WHERE org_id = $1 AND (stripe_subscription_id IS NULL OR stripe_subscription_id = $2 \
                                OR status IN ('canceled', 'incomplete_expired'))",
        org as _,
        &current.id,
        item.map(|i| i.id.clone()),
        &current.status,
        item.and_then(|i| i.quantity).map(|q| q as i32),
        at(current.trial_end),
        at(item.and_then(|i| i.current_period_end)),
        current.cancel_at_period_end.unwrap_or(false),
        is_delinquent(Some(&current.status)),
        seen_at
    )
    .execute(tx.conn())
    .await
    .map_err(retry)?
    .rows_affected();
    Ok(taken == 1)
}

/// Records a payment, failed payment or refund once per invoice or charge (Stripe sends both
/// `invoice.paid` and `invoice.payment_succeeded` for one payment); a later refund event of the
/// same charge carries the new total. Returns whether this was new.
async fn record(
    tx: &mut OrgJobTx,
    org: OrgId,
    kind: &str,
    object: &Value,
    amount: i64,
    event_id: &str,
    occurred_at: OffsetDateTime,
) -> Result<bool, JobError> {
    let stripe_id = object["id"].as_str().unwrap_or_default();
    let currency = object["currency"].as_str().unwrap_or("").to_owned();
    let inserted: Option<bool> = sqlx::query_scalar!("INSERT INTO billing_records (id, org_id, kind, stripe_object_id, amount, currency, occurred_at, stripe_event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (org_id, kind, stripe_object_id) DO UPDATE SET amount = excluded.amount, \
                occurred_at = excluded.occurred_at, stripe_event_id = excluded.stripe_event_id \
         WHERE billing_records.amount < excluded.amount \
         RETURNING xmax = 0 AS \"v!\"", uuid::Uuid::new_v4(), org as _, kind, stripe_id, amount, currency, occurred_at, event_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(retry)?;
    Ok(inserted == Some(true))
}

enum Notice {
    PaymentFailed,
    TrialEnding(i64),
}

async fn email_owners(state: &AppState, tx: &mut OrgJobTx, org: OrgId, notice: Notice) -> Result<(), JobError> {
    let (name, owners): (String, Vec<String>) = sqlx::query!("SELECT o.name AS \"name!: String\", ARRAY(SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE m.org_id = o.id AND m.role = 'owner' AND u.email_verified_at IS NOT NULL ORDER BY u.email) AS \"owners!: Vec<String>\" \
         FROM organizations o WHERE o.id = $1", org as _).map(|r| (r.name, r.owners))
    .fetch_one(tx.conn())
    .await
    .map_err(retry)?;
    let link = mailer::page(&state.config.public_url, "/billing");
    for to in &owners {
        let email = match notice {
            Notice::PaymentFailed => mailer::payment_failed(to, &name, &link),
            Notice::TrialEnding(days) => mailer::trial_ending(to, &name, days, &link),
        };
        mailer::send(tx.conn(), email).await.map_err(retry)?;
    }
    Ok(())
}
