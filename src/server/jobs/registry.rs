//! Every kind of job the workers run, and the recurring ones they schedule: the one list. A
//! kind missing here is never run (its jobs die as unknown); the test below checks the names
//! are distinct.

use serde::Deserialize as _;
use serde_json::Value;

use super::{checkpoints, digest, email, photo_cleanup, Job, JobError, JobKind, Recurring};
use crate::server::alerts;
use crate::server::billing::{events, quantity};
use crate::server::reports::exports;
use crate::server::state::AppState;

macro_rules! registry {
    (kinds: [$($kind:ty),* $(,)?], recurring: [$($recurring:ty),* $(,)?] $(,)?) => {
        /// The name of every job kind, as stored in `jobs.kind`.
        pub const KINDS: &[&str] = &[$(<$kind as JobKind>::KIND),*];

        /// Runs a claimed job by its kind, its payload read as that kind's type.
        pub(super) async fn dispatch(state: &AppState, job: &Job) -> Result<(), JobError> {
            $(if job.kind == <$kind as JobKind>::KIND {
                return run_as::<$kind>(state, &job.payload).await;
            })*
            Err(JobError::Fatal(format!("no handler for job kind `{}`", job.kind)))
        }

        /// Enqueues each recurring job whose period has come, once across all instances.
        pub(super) async fn schedule_due(state: &AppState) {
            $(if let Err(err) = <$recurring as Recurring>::schedule_due(state).await {
                tracing::warn!(error = %err, kind = <$recurring as JobKind>::KIND, "could not schedule a recurring job");
            })*
        }
    };
}

registry! {
    kinds: [
        email::SendEmail,
        digest::Digest,
        digest::OrgDigest,
        photo_cleanup::Cleanup,
        checkpoints::Checkpoints,
        exports::ExportJob,
        events::StripeEvent,
        quantity::SyncQuantity,
        alerts::Round,
        alerts::OrgRound,
    ],
    recurring: [digest::Digest, photo_cleanup::Cleanup, checkpoints::Checkpoints, alerts::Round],
}

async fn run_as<J: JobKind>(state: &AppState, payload: &Value) -> Result<(), JobError> {
    let payload = J::Payload::deserialize(payload)
        .map_err(|err| JobError::Fatal(format!("a `{}` job's payload does not read: {err}", J::KIND)))?;
    J::run(state, payload).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_has_its_own_name() {
        let mut names = super::KINDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::KINDS.len(), "{:?}", super::KINDS);
    }
}
