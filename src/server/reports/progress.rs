//! How far a background export has got: the number of logs written, saved to the export's row
//! at most once a second (the exports list polls it).

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::model::error::AppError;
use crate::model::ids::{ExportId, OrgId};
use crate::server::auth::scope::OrgJobTx;

/// Progress of a running export, written to its row at most once a second.
pub struct Progress {
    pool: PgPool,
    org: OrgId,
    export: ExportId,
    done: i64,
    written_at: Instant,
}

impl Progress {
    pub fn new(pool: PgPool, org: OrgId, export: ExportId) -> Progress {
        Progress { pool, org, export, done: 0, written_at: Instant::now() }
    }
}

impl Progress {
    pub async fn advance(&mut self, logs: i64) -> Result<(), AppError> {
        self.done += logs;
        if self.written_at.elapsed() >= Duration::from_secs(1) {
            self.save().await?;
        }
        Ok(())
    }

    async fn save(&mut self) -> Result<(), AppError> {
        let mut tx = OrgJobTx::begin(&self.pool, self.org).await?;
        sqlx::query!(
            "UPDATE exports SET done = $3 WHERE org_id = $1 AND id = $2",
            self.org as _,
            self.export as _,
            i32::try_from(self.done).unwrap_or(i32::MAX)
        )
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.written_at = Instant::now();
        Ok(())
    }
}
