//! Workers: claim a job, run its handler, record the outcome. The server runs JOB_WORKERS of
//! them; `cleantrack worker` runs them without serving HTTP. Any number of instances may run
//! workers against one database.

use tokio::sync::watch;

use super::registry::{dispatch, schedule_due};
use super::{claim, fail, succeed, JobError};
use crate::server::state::AppState;

/// What one step of a worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Idle,
    Succeeded { kind: String },
    Failed { kind: String, dead: bool },
}

/// Claims and runs at most one due job.
pub async fn run_once(state: &AppState) -> Result<Outcome, sqlx::Error> {
    let mut conn = state.pool.acquire().await?;
    let Some(job) = claim(&mut conn, state.config.jobs.lease).await? else {
        return Ok(Outcome::Idle);
    };
    drop(conn);
    let result = dispatch(state, &job).await;
    let mut conn = state.pool.acquire().await?;
    match result {
        Ok(()) => {
            succeed(&mut conn, &job).await?;
            Ok(Outcome::Succeeded { kind: job.kind })
        }
        Err(error) => {
            let dead = matches!(error, JobError::Fatal(_)) || job.attempts >= job.max_attempts;
            state.metrics.job_failed(&job.kind, dead);
            fail(&mut conn, &job, &error, state.config.jobs.retry_base).await?;
            Ok(Outcome::Failed { kind: job.kind, dead })
        }
    }
}

/// Runs jobs until `stop` turns true; sleeps `poll_interval` when there is nothing to do, and
/// enqueues the recurring jobs whose period has come (once across all instances).
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let poll = state.config.jobs.poll_interval;
    while !*stop.borrow() {
        schedule_due(&state).await;
        let idle = match run_once(&state).await {
            Ok(Outcome::Idle) => true,
            Ok(_) => false,
            Err(err) => {
                tracing::warn!(error = %err, "job queue unavailable");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Starts `count` workers; they finish their current job and stop when `stop` turns true.
pub fn spawn(state: &AppState, count: usize, stop: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..count).map(|_| tokio::spawn(run(state.clone(), stop.clone()))).collect()
}
