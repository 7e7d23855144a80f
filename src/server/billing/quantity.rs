//! Keeping the subscription's quantity equal to the number of active facilities. A change of
//! facilities enqueues a job in the same transaction; the job counts again when it runs, under
//! the organization's billing-row lock, so the last job to run sets the latest count whatever
//! order they ran in.

use super::stripe_api::Stripe;
use crate::model::ids::OrgId;
use crate::server::auth::scope::OrgJobTx;
use crate::server::auth::TenantTx;
use crate::server::jobs::{self, JobError, JobKind};
use crate::server::state::AppState;

/// Sets the subscription's quantity to the organization's active facilities.
pub struct SyncQuantity;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub org: OrgId,
    /// Makes each job's idempotency key at Stripe its own, and a retried job's the same.
    pub nonce: uuid::Uuid,
}

impl JobKind for SyncQuantity {
    const KIND: &'static str = "stripe_quantity";
    type Payload = Payload;
    async fn run(state: &AppState, payload: Payload) -> Result<(), JobError> {
        run(state, payload).await
    }
}

/// Called after facilities were added or retired: syncs the quantity if there is a
/// subscription to sync (nothing to do on the Free plan).
pub async fn facilities_changed(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    let org = tx.ctx().org_id();
    let subscribed: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM billing_accounts WHERE org_id = $1 AND stripe_subscription_id IS NOT NULL \
                        AND status NOT IN ('canceled', 'incomplete_expired')) AS \"v!\"",
        org as _
    )
    .fetch_one(tx.conn())
    .await?;
    if subscribed {
        jobs::enqueue::<SyncQuantity>(tx.conn(), &Payload { org, nonce: uuid::Uuid::new_v4() }).await?;
    }
    Ok(())
}

async fn run(state: &AppState, Payload { org, nonce }: Payload) -> Result<(), JobError> {
    let retry = |e: sqlx::Error| JobError::Retry(e.to_string());
    let Some(stripe) = &state.config.stripe else { return Err(JobError::Fatal("Stripe is not configured".into())) };
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(retry)?;
    let row: Option<(String, Option<String>, Option<i32>, i64)> = sqlx::query!("SELECT b.stripe_subscription_id AS \"stripe_subscription_id!: String\", b.stripe_item_id AS \"stripe_item_id?: String\", b.quantity AS \"quantity?: i32\", \
                (SELECT count(*) FROM facilities f WHERE f.org_id = b.org_id AND f.status = 'active') AS \"facilities!: i64\" \
         FROM billing_accounts b WHERE b.org_id = $1 AND b.stripe_subscription_id IS NOT NULL \
           AND b.status NOT IN ('canceled', 'incomplete_expired') FOR UPDATE", org as _).map(|r| (r.stripe_subscription_id, r.stripe_item_id, r.quantity, r.facilities))
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
