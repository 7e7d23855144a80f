//! Hourly: remove photos that were uploaded but never stored (a crash mid-upload) or never
//! attached to a log (an abandoned form), with their files (see `server::photos`); and the
//! files of exports older than a week (see `server::reports::exports`).

use serde::{Deserialize, Serialize};

use super::{JobError, JobKind, Recurring};
use crate::server::state::AppState;

/// One hour's cleanup across every organization.
pub struct Cleanup;

/// The hour the cleanup belongs to (for the dedup key; it removes whatever is due).
#[derive(Default, Serialize, Deserialize)]
pub struct Hour {
    #[serde(default)]
    pub hour: String,
}

impl JobKind for Cleanup {
    const KIND: &'static str = "photo_cleanup";
    type Payload = Hour;
    async fn run(state: &AppState, _: Hour) -> Result<(), JobError> {
        run(state).await
    }
}

impl Recurring for Cleanup {
    /// Enqueues this hour's cleanup unless some instance already did.
    async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
        schedule_due(state).await
    }
}

const KIND: &str = Cleanup::KIND;

async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut conn = state.pool.acquire().await?;
    let hour: String = sqlx::query_scalar!("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24') AS \"v!\"")
        .fetch_one(&mut *conn)
        .await?;
    super::enqueue_once::<Cleanup>(&mut conn, &Hour { hour: hour.clone() }, &format!("{KIND}:{hour}")).await
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
