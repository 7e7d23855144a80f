//! Hourly: remove photos that were uploaded but never stored (a crash mid-upload) or never
//! attached to a log (an abandoned form), with their files (see `server::photos`); and the
//! files of exports older than a week (see `server::reports::exports`).

use super::JobError;
use crate::server::state::AppState;

pub const KIND: &str = "photo_cleanup";

/// Enqueues this hour's cleanup unless some instance already did.
pub async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut conn = state.pool.acquire().await?;
    let hour: String = sqlx::query_scalar("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')")
        .fetch_one(&mut *conn)
        .await?;
    super::enqueue_once(&mut conn, KIND, serde_json::json!({ "hour": hour }), &format!("{KIND}:{hour}")).await
}

pub async fn run(state: &AppState) -> Result<(), JobError> {
    let orgs = super::organizations_for_scheduler_unscoped(state).await.map_err(|e| JobError::Retry(e.to_string()))?;
    let (mut removed, mut expired) = (0, 0);
    for org in orgs {
        removed += crate::server::photos::clean_up(state, org).await.map_err(|e| JobError::Retry(format!("{e:#}")))?;
        expired += crate::server::reports::exports::expire_old(state, org)
            .await
            .map_err(|e| JobError::Retry(format!("{e:#}")))?;
    }
    tracing::info!(removed, expired, "hourly cleanup");
    Ok(())
}
