//! The export job: builds the file as its requester, stores it, marks it ready (or failed,
//! saying why), and the hourly expiry of old files.

use sha2::{Digest, Sha256};

use crate::model::audit::ChainCheck;
use crate::model::error::AppError;
use crate::model::ids::{ExportId, FacilityId, OrgId, UserId};
use crate::model::reports::ExportKind;
use crate::server::audit::{chain, checkpoints, issued};
use crate::server::auth::scope::OrgJobTx;
use crate::server::auth::TenantCtx;
use crate::server::jobs::{JobError, JobKind};
use crate::server::reports::progress::Progress;
use crate::server::reports::report_pdf::ReportScope;
use crate::server::reports::{binder, report_pdf};
use crate::server::state::AppState;

/// Builds one requested export.
pub struct ExportJob;

impl JobKind for ExportJob {
    const KIND: &'static str = "export";
    type Payload = Payload;
    async fn run(state: &AppState, payload: Payload) -> Result<(), JobError> {
        run(state, payload).await
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub export: ExportId,
    pub org: OrgId,
}

#[derive(serde::Deserialize)]
struct Params {
    facility: FacilityId,
    from: Option<String>,
    to: Option<String>,
}

/// The job: builds the file as its requester (who must still be a member, with the same
/// facilities), stores it, and marks the export ready, or failed with the reason.
async fn run(state: &AppState, Payload { export, org }: Payload) -> Result<(), JobError> {
    let retry = |e: AppError| JobError::Retry(e.to_string());
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(|e| retry(e.into()))?;
    let row: Option<(UserId, String, serde_json::Value, String)> = sqlx::query!("UPDATE exports SET state = 'running', done = 0 WHERE org_id = $1 AND id = $2 AND state IN ('queued', 'running') \
         RETURNING requested_by AS \"requested_by!: UserId\", kind AS \"kind!: String\", params AS \"params!: serde_json::Value\", to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') AS \"generated_at!: String\"", org as _, export as _).map(|r| (r.requested_by, r.kind, r.params, r.generated_at))
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| retry(e.into()))?;
    let Some((user, kind, params, generated_at)) = row else { return Ok(()) };
    let key = &state.config.audit_key;
    let chain = chain::verify(tx.conn(), Some(org), key).await.map_err(|e| retry(e.into()))?;
    // Every export fixes the chain's head under our signature (a sound chain only).
    if matches!(chain, ChainCheck::Verified { .. }) {
        checkpoints::sign_head(tx.conn(), key, org, "export").await.map_err(|e| retry(e.into()))?;
    }
    tx.commit().await.map_err(|e| retry(e.into()))?;

    let outcome = build(state, org, export, user, &kind, params, &chain, &generated_at).await;
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(|e| retry(e.into()))?;
    match outcome {
        Ok(Built { storage_key, size, sha256, inner }) => {
            // The file is issued, and so is each file inside a binder (a PDF taken out of it
            // verifies on its own).
            let issued = std::iter::once((kind.as_str(), sha256.as_slice()))
                .chain(inner.iter().map(|(k, h)| (*k, h.as_slice())));
            for (kind, sha256) in issued {
                issued::record(tx.conn(), &state.config.audit_key, org, sha256, kind, Some(user))
                    .await
                    .map_err(|e| retry(e.into()))?;
            }
            sqlx::query!(
                "UPDATE exports SET state = 'ready', done = total, storage_key = $3, byte_size = $4, sha256 = $5, \
                        finished_at = now() WHERE org_id = $1 AND id = $2",
                org as _,
                export as _,
                storage_key,
                size,
                sha256
            )
            .execute(tx.conn())
            .await
            .map_err(|e| retry(e.into()))?;
        }
        Err(message) => {
            sqlx::query!(
                "UPDATE exports SET state = 'failed', error = $3, finished_at = now() WHERE org_id = $1 AND id = $2",
                org as _,
                export as _,
                &message
            )
            .execute(tx.conn())
            .await
            .map_err(|e| retry(e.into()))?;
        }
    }
    tx.commit().await.map_err(|e| retry(e.into()))
}

#[allow(clippy::too_many_arguments)]
async fn build(
    state: &AppState,
    org: OrgId,
    export: ExportId,
    user: UserId,
    kind: &str,
    params: serde_json::Value,
    chain: &ChainCheck,
    generated_at: &str,
) -> Result<Built, String> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(%export, error = %e, "export failed");
        "The export could not be prepared; try again, and tell us if it keeps failing.".to_owned()
    };
    let ctx = TenantCtx::for_member(&state.pool, Some(org), user)
        .await
        .map_err(|e| internal(&e))?
        .filter(|ctx| ctx.org_id() == org)
        .ok_or("The person who asked for this export is no longer a member.")?;
    let params: Params = serde_json::from_value(params).map_err(|e| internal(&e))?;
    let kind = ExportKind::parse(kind).ok_or("Unknown export kind.")?;
    let scope = ReportScope { ctx: &ctx, facility: params.facility, from: params.from, to: params.to };
    let mut progress = Progress::new(state.pool.clone(), org, export);
    let file = tempfile::tempfile().map_err(|e| internal(&e))?;
    let out = std::io::BufWriter::new(file);
    let (out, extension, content_type, inner) = match kind {
        ExportKind::ReportPdf => {
            let out = report_pdf::write(state, &scope, chain, generated_at, out, &mut progress)
                .await
                .map_err(|e| internal(&e))?;
            (out, "pdf", "application/pdf", Vec::new())
        }
        ExportKind::Binder => {
            let (out, inner) = binder::write(state, &scope, chain, generated_at, out, &mut progress)
                .await
                .map_err(|e| internal(&e))?;
            (out, "zip", "application/zip", inner)
        }
    };
    let mut file = out.into_inner().map_err(|e| internal(&e.into_error()))?;
    let (size, sha256) = digest(&mut file).map_err(|e| internal(&e))?;
    let key = format!("exports/{org}/{export}.{extension}");
    let path = tempfile::NamedTempFile::new().map_err(|e| internal(&e))?;
    // aws-sdk-s3 streams from a path; the anonymous file is copied to a named one for it.
    std::io::Seek::rewind(&mut file).map_err(|e| internal(&e))?;
    std::io::copy(&mut file, &mut path.as_file()).map_err(|e| internal(&e))?;
    state.storage.put_file(&key, path.path(), content_type).await.map_err(|e| internal(&format!("{e:#}")))?;
    Ok(Built { storage_key: key, size, sha256, inner })
}

/// A file built and stored: where, its size and SHA-256, and (a binder) its inner files.
struct Built {
    storage_key: String,
    size: i64,
    sha256: Vec<u8>,
    inner: binder::Inner,
}

fn digest(file: &mut std::fs::File) -> std::io::Result<(i64, Vec<u8>)> {
    use std::io::{Read, Seek};
    file.rewind()?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0i64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as i64;
    }
    Ok((size, hasher.finalize().to_vec()))
}

/// How long a prepared file stays downloadable; the data it holds stays in the database.
pub const KEPT_DAYS: i32 = 7;

/// Removes the files of exports older than [`KEPT_DAYS`] and marks them expired; run by the
/// hourly cleanup. Returns how many.
pub async fn expire_old(state: &AppState, org: OrgId) -> anyhow::Result<usize> {
    let mut tx = OrgJobTx::begin(&state.pool, org).await?;
    let old: Vec<(ExportId, String)> = sqlx::query!("SELECT id AS \"id!: ExportId\", storage_key AS \"storage_key!: String\" FROM exports WHERE org_id = $1 AND state = 'ready' \
           AND finished_at < now() - make_interval(days => $2) FOR UPDATE SKIP LOCKED", org as _, KEPT_DAYS).map(|r| (r.id, r.storage_key))
    .fetch_all(tx.conn())
    .await?;
    for (id, key) in &old {
        state.storage.delete(key).await?;
        sqlx::query!(
            "UPDATE exports SET state = 'expired', storage_key = NULL WHERE org_id = $1 AND id = $2",
            org as _,
            id as _
        )
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(old.len())
}
