//! The daily digest: each organization's supervisors get the list of overdue equipment.
//!
//! Equipment and its schedules arrive with the compliance core; until then no organization has
//! anything overdue and the job sends nothing. The schedule and the cross-organization visit
//! are in place: one job per day (whichever instance enqueues it first), visiting organizations
//! in a read-only transaction that names its purpose.

use serde_json::{json, Value};

use super::JobError;
use crate::model::ids::OrgId;
use crate::server::state::AppState;

pub const KIND: &str = "overdue_digest";
/// The digest goes out after this hour (UTC).
const HOUR_UTC: i32 = 6;

/// Enqueues today's digest once it is due, unless some instance already did.
pub async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let (due, day): (bool, String) = sqlx::query_as(
        "SELECT extract(hour FROM now() AT TIME ZONE 'UTC') >= $1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    )
    .bind(HOUR_UTC)
    .fetch_one(&mut *tx)
    .await?;
    if !due {
        return Ok(false);
    }
    let added = schedule_for(&mut tx, &day).await?;
    tx.commit().await?;
    Ok(added)
}

/// Enqueues the digest of `day` (YYYY-MM-DD) unless it was enqueued before.
pub async fn schedule_for(conn: &mut sqlx::PgConnection, day: &str) -> Result<bool, sqlx::Error> {
    super::enqueue_once(conn, KIND, json!({ "day": day }), &format!("{KIND}:{day}")).await
}

/// Organizations to visit: the scheduler's one cross-tenant read.
async fn organizations_for_scheduler_unscoped(state: &AppState) -> Result<Vec<OrgId>, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    sqlx::query("SELECT set_config('app.purpose', 'scheduler', true)").execute(&mut *tx).await?;
    let orgs = sqlx::query_scalar("SELECT id FROM organizations ORDER BY id").fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(orgs)
}

pub async fn run(state: &AppState, payload: &Value) -> Result<(), JobError> {
    let orgs = organizations_for_scheduler_unscoped(state).await.map_err(|e| JobError::Retry(e.to_string()))?;
    // Overdue equipment per organization: none can exist before equipment does, so there is
    // no digest to send yet.
    tracing::info!(organizations = orgs.len(), day = %payload["day"], "overdue digest: nothing overdue");
    Ok(())
}
