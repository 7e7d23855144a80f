//! Keeping the subscription's quantity equal to the number of active facilities. A change of
//! facilities enqueues a job in the same transaction; the job counts again when it runs, under
//! the organization's billing-row lock, so the last job to run sets the latest count whatever
//! order they ran in.

use serde_json::Value;

use super::stripe_api::Stripe;
use crate::model::ids::OrgId;
use crate::server::auth::scope::OrgJobTx;
use crate::server::auth::TenantTx;
use crate::server::jobs::{self, JobError};
use crate::server::state::AppState;

pub const KIND: &str = "stripe_quantity";

/// Called after facilities were added or retired: syncs the quantity if there is a
/// subscription to sync (nothing to do on the Free plan).
pub async fn facilities_changed(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    let org = tx.ctx().org_id();
    let subscribed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM billing_accounts WHERE org_id = $1 AND stripe_subscription_id IS NOT NULL \
                        AND status NOT IN ('canceled', 'incomplete_expired'))",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await?;
    if subscribed {
        // The nonce makes each job's idempotency key its own, and a retried job's the same.
        let payload = serde_json::json!({ "org": org, "nonce": uuid::Uuid::new_v4() });
        jobs::enqueue(tx.conn(), KIND, payload).await?;
    }
    Ok(())
}

pub async fn run(state: &AppState, payload: &Value) -> Result<(), JobError> {
    let retry = |e: sqlx::Error| JobError::Retry(e.to_string());
    let org: OrgId = serde_json::from_value(payload["org"].clone()).map_err(|e| JobError::Fatal(e.to_string()))?;
    let nonce = payload["nonce"].as_str().unwrap_or_default();
    let Some(stripe) = &state.config.stripe else { return Err(JobError::Fatal("Stripe is not configured".into())) };
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(retry)?;
    let row: Option<(String, Option<String>, Option<i32>, i64)> = sqlx::query_as(
        "SELECT b.stripe_subscription_id, b.stripe_item_id, b.quantity, \
                (SELECT count(*) FROM facilities f WHERE f.org_id = b.org_id AND f.status = 'active') \
         FROM billing_accounts b WHERE b.org_id = $1 AND b.stripe_subscription_id IS NOT NULL \
           AND b.status NOT IN ('canceled', 'incomplete_expired') FOR UPDATE",
    )
    .bind(org)
    .fetch_optional(tx.conn())
    .await
    .map_err(retry)?;
    let Some((subscription, Some(item), quantity, facilities)) = row else {
        return Ok(());
    };
    // Stripe bills at least one seat; an organization with every facility retired pays for one.
    let wanted = facilities.max(1);
    if quantity == Some(wanted as i32) {
        return Ok(());
    }
    let key = format!("cleantrack-quantity-{subscription}-{nonce}");
    let updated = Stripe::new(stripe)?.set_quantity(&subscription, &item, wanted as u64, key).await?;
    let now = time::OffsetDateTime::now_utc();
    super::events::store_subscription(&mut tx, org, &updated, now).await?;
    tx.commit().await.map_err(retry)?;
    tracing::info!(%org, subscription, quantity = wanted, "subscription quantity updated");
    Ok(())
}
