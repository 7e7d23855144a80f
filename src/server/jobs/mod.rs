//! The job queue (table `jobs`, see its migration): enqueue inside the caller's transaction,
//! claim with SKIP LOCKED and a lease, finish, retry with back-off, or give up as `dead`.
//! Every kind of job is a type implementing [`JobKind`] (its name, its payload, what it does),
//! listed once in `registry.rs` with the recurring ones and their schedules.

pub mod checkpoints;
pub mod digest;
pub mod email;
pub mod photo_cleanup;
pub mod registry;
pub mod worker;

use std::future::Future;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::server::state::AppState;

/// What a handler reports when a job did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// Worth trying again later (network, timeouts, the provider's 5xx).
    Retry(String),
    /// Will never succeed (the provider refused the request as invalid): no more attempts.
    Fatal(String),
}

/// A kind of background job: its name in the `jobs` table, its payload (written and read
/// back typed; a payload that does not read is a fatal error, never retried) and its work.
pub trait JobKind {
    const KIND: &'static str;
    type Payload: Serialize + DeserializeOwned + Send;
    fn run(state: &AppState, payload: Self::Payload) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// A job kind that also runs on a clock: [`Recurring::schedule_due`] enqueues this period's
/// run unless some instance already did (a dedup key per period); every worker calls it
/// between jobs.
pub trait Recurring: JobKind {
    fn schedule_due(state: &AppState) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;
}

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Adds a job that runs once the caller's transaction commits (and never if it rolls back).
pub async fn enqueue<J: JobKind>(conn: &mut PgConnection, payload: &J::Payload) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO jobs (id, kind, payload) VALUES ($1, $2, $3)",
        id,
        J::KIND,
        sqlx::types::Json(payload) as _
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// Adds a job unless one with `dedup_key` exists already; returns whether it was added.
pub async fn enqueue_once<J: JobKind>(
    conn: &mut PgConnection,
    payload: &J::Payload,
    dedup_key: &str,
) -> Result<bool, sqlx::Error> {
    let added = sqlx::query!(
        "INSERT INTO jobs (id, kind, payload, dedup_key) VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING",
        Uuid::new_v4(),
        J::KIND,
        sqlx::types::Json(payload) as _,
        dedup_key
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(added == 1)
}

/// Takes the oldest due job: pending and due, or running with an expired lease (its worker
/// died). SKIP LOCKED lets many workers claim in parallel without ever taking the same job.
pub async fn claim(conn: &mut PgConnection, lease: Duration) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                leased_until = now() + make_interval(secs => $1) \
         WHERE id = (SELECT id FROM jobs \
                     WHERE (state = 'pending' AND run_at <= now()) OR (state = 'running' AND leased_until < now()) \
                     ORDER BY run_at FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING id, kind, payload, attempts, max_attempts",
        lease.as_secs_f64()
    )
    .fetch_optional(conn)
    .await
}

pub async fn succeed(conn: &mut PgConnection, job: &Job) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE jobs SET state = 'succeeded', finished_at = now(), leased_until = NULL, last_error = NULL WHERE id = $1", job.id)
        .execute(conn)
        .await
        .map(drop)
}

/// Schedules the next attempt after `retry_base · 2^(attempts-1)` (at most an hour), or marks
/// the job dead when the error is fatal or the attempts are used up.
pub async fn fail(
    conn: &mut PgConnection,
    job: &Job,
    error: &JobError,
    retry_base: Duration,
) -> Result<(), sqlx::Error> {
    let (message, fatal) = match error {
        JobError::Retry(m) => (m, false),
        JobError::Fatal(m) => (m, true),
    };
    if fatal || job.attempts >= job.max_attempts {
        tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, "job dead: {message}");
        sqlx::query!(
            "UPDATE jobs SET state = 'dead', finished_at = now(), leased_until = NULL, last_error = $2 WHERE id = $1",
            job.id,
            message
        )
        .execute(conn)
        .await
        .map(drop)
    } else {
        let delay = retry_base.saturating_mul(1 << (job.attempts - 1).clamp(0, 16)).min(Duration::from_secs(3600));
        tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, retry_in_ms = delay.as_millis() as u64, "job failed: {message}");
        sqlx::query!(
            "UPDATE jobs SET state = 'pending', leased_until = NULL, last_error = $2, \
                    run_at = now() + make_interval(secs => $3) WHERE id = $1",
            job.id,
            message,
            delay.as_secs_f64()
        )
        .execute(conn)
        .await
        .map(drop)
    }
}

/// Organizations for a scheduled job to visit (the digest, the photo cleanup): the scheduler's
/// one cross-tenant read, in a read-only transaction that names its purpose.
pub(crate) async fn organizations_for_scheduler_unscoped(
    state: &AppState,
) -> Result<Vec<crate::model::ids::OrgId>, sqlx::Error> {
    use crate::server::auth::scope::{begin_cross_tenant_read, CrossTenantRead};
    let mut tx = begin_cross_tenant_read(&state.pool, CrossTenantRead::Scheduler).await?;
    let orgs = sqlx::query_scalar!("SELECT id AS \"v: crate::model::ids::OrgId\" FROM organizations ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(orgs)
}
