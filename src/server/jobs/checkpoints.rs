//! Signs every organization's audit chain head once per interval (AUDIT_CHECKPOINT_MINUTES,
//! hourly by default) while events arrive: a chain that did not move gets no new checkpoint.
//! See `server::audit::checkpoints`.

use serde::{Deserialize, Serialize};

use super::{JobError, JobKind, Recurring};
use crate::server::audit::checkpoints;
use crate::server::auth::scope::OrgJobTx;
use crate::server::state::AppState;

/// One round: every organization's chain head signed if it moved.
pub struct Checkpoints;

/// The interval the round belongs to (for the dedup key; the round signs whatever is current).
#[derive(Default, Serialize, Deserialize)]
pub struct Slot {
    #[serde(default)]
    pub slot: i64,
}

impl JobKind for Checkpoints {
    const KIND: &'static str = "audit_checkpoints";
    type Payload = Slot;
    async fn run(state: &AppState, _: Slot) -> Result<(), JobError> {
        run(state).await
    }
}

impl Recurring for Checkpoints {
    /// Enqueues this interval's round unless some instance already did.
    async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
        schedule_due(state).await
    }
}

const KIND: &str = Checkpoints::KIND;

async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
    let minutes = state.config.jobs.checkpoint_minutes.max(1);
    let mut conn = state.pool.acquire().await?;
    let slot: i64 = sqlx::query_scalar!(
        "SELECT floor(extract(epoch FROM now()) / ($1::float8 * 60))::bigint AS \"v!\"",
        f64::from(minutes)
    )
    .fetch_one(&mut *conn)
    .await?;
    let key = format!("{KIND}:{minutes}:{slot}");
    super::enqueue_once::<Checkpoints>(&mut conn, &Slot { slot }, &key).await
}

pub async fn run(state: &AppState) -> Result<(), JobError> {
    let retry = |e: sqlx::Error| JobError::Retry(e.to_string());
    let orgs = super::organizations_for_scheduler_unscoped(state).await.map_err(retry)?;
    let mut signed = 0;
    for org in orgs {
        let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(retry)?;
        if checkpoints::sign_head(tx.conn(), &state.config.audit_key, org, "hourly").await.map_err(retry)?.is_some() {
            signed += 1;
        }
        tx.commit().await.map_err(retry)?;
    }
    tracing::info!(signed, "audit checkpoints signed");
    Ok(())
}
