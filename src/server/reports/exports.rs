//! Exports prepared in the background: a PDF report or an inspection binder is asked for, a
//! job writes it to a temporary file (memory stays flat however many logs it holds), stores it
//! (local directory or S3, like photos) and marks it ready; its requester downloads it from
//! `GET /exports/{id}`. Progress is written to the export's row as the job goes.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::progress::Progress;
use super::report_pdf::ReportScope;
use super::{binder, logs, report_pdf};
use crate::model::audit::ChainCheck;
use crate::model::error::AppError;
use crate::model::ids::{ExportId, FacilityId, OrgId, UserId};
use crate::model::reports::{describe_period, ExportInfo, ExportKind, LogFilter};
use crate::model::role::Action;
use crate::server::audit::record::SecurityEvent;
use crate::server::audit::{chain, checkpoints, issued};
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::scope::{begin_export_request, record_member_event, OrgJobTx};
use crate::server::auth::{AuthSession, TenantCtx, TenantTx};
use crate::server::http::origin::RequestMeta;
use crate::server::jobs::{self, JobError};
use crate::server::state::AppState;

pub const KIND: &str = "export";

/// Asks for a report of `facility` over a period; the job starts once this commits.
pub async fn request(
    state: &AppState,
    ctx: &TenantCtx,
    kind: ExportKind,
    facility: FacilityId,
    filter: LogFilter,
) -> Result<ExportId, AppError> {
    ctx.require(Action::ExportReports)?;
    if kind == ExportKind::Binder {
        // The binder carries the organization's whole audit trail (a chain verifies only
        // whole): an inspector limited to some facilities gets the report and the CSVs instead.
        ctx.require(Action::ExportBinder)?;
        if ctx.facilities().is_some() {
            return Err(AppError::Forbidden(
                "The binder carries the whole organization's audit trail, and your access covers some facilities only: \
                 download the report and the CSVs, or ask for access to every facility."
                    .into(),
            ));
        }
    }
    let filter = LogFilter { facility: Some(facility), ..filter }.validated().map_err(AppError::Invalid)?;
    if !ctx.can_see_facility(facility) {
        return Err(AppError::NotFound);
    }
    let mut tx = begin_export_request(&state.pool, ctx).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM facilities WHERE org_id = $1 AND id = $2)")
        .bind(ctx.org_id())
        .bind(facility)
        .fetch_one(tx.conn())
        .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    let total = logs::totals(&mut tx, &filter).await?.logs;
    // The binder writes each log twice: in the report and in the CSV.
    let total = if kind == ExportKind::Binder { total * 2 } else { total };
    let id = ExportId::new();
    sqlx::query("INSERT INTO exports (id, org_id, requested_by, kind, params, total) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ctx.org_id())
        .bind(ctx.user_id())
        .bind(kind.as_str())
        .bind(json!({ "facility": facility, "from": filter.from, "to": filter.to }))
        .bind(i32::try_from(total).unwrap_or(i32::MAX))
        .execute(tx.conn())
        .await?;
    jobs::enqueue(tx.conn(), KIND, json!({ "export": id, "org": ctx.org_id() })).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: ExportId,
    kind: String,
    facility: Option<String>,
    from: Option<String>,
    to: Option<String>,
    state: String,
    done: i32,
    total: i32,
    byte_size: Option<i64>,
    sha256: Option<String>,
    error: Option<String>,
    created_at: String,
}

/// The caller's own recent exports, newest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<ExportInfo>, AppError> {
    tx.ctx().require(Action::ExportReports)?;
    let rows: Vec<ExportRow> = sqlx::query_as(
        "SELECT x.id, x.kind, f.name AS facility, x.params->>'from' AS from, x.params->>'to' AS to, x.state, x.done, \
                x.total, x.byte_size, encode(x.sha256, 'hex') AS sha256, x.error, to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') AS created_at \
         FROM exports x LEFT JOIN facilities f ON f.org_id = x.org_id AND f.id = (x.params->>'facility')::uuid \
         WHERE x.org_id = $1 AND x.requested_by = $2 ORDER BY x.created_at DESC LIMIT 20",
    )
    .bind(tx.ctx().org_id())
    .bind(tx.ctx().user_id())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(ExportInfo {
                id: r.id,
                kind: ExportKind::parse(&r.kind)?,
                facility: r.facility.unwrap_or_default(),
                period: describe_period(r.from.as_deref(), r.to.as_deref()),
                state: r.state,
                done: r.done,
                total: r.total,
                byte_size: r.byte_size,
                sha256: r.sha256,
                error: r.error,
                created_at: r.created_at,
            })
        })
        .collect())
}

#[derive(serde::Deserialize)]
struct Payload {
    export: ExportId,
    org: OrgId,
}

#[derive(serde::Deserialize)]
struct Params {
    facility: FacilityId,
    from: Option<String>,
    to: Option<String>,
}

/// The job: builds the file as its requester (who must still be a member, with the same
/// facilities), stores it, and marks the export ready, or failed with the reason.
pub async fn run(state: &AppState, payload: &serde_json::Value) -> Result<(), JobError> {
    let Payload { export, org } =
        serde_json::from_value(payload.clone()).map_err(|e| JobError::Fatal(e.to_string()))?;
    let retry = |e: AppError| JobError::Retry(e.to_string());
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(|e| retry(e.into()))?;
    let row: Option<(UserId, String, serde_json::Value, String)> = sqlx::query_as(
        "UPDATE exports SET state = 'running', done = 0 WHERE org_id = $1 AND id = $2 AND state IN ('queued', 'running') \
         RETURNING requested_by, kind, params, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')",
    )
    .bind(org)
    .bind(export)
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
            sqlx::query(
                "UPDATE exports SET state = 'ready', done = total, storage_key = $3, byte_size = $4, sha256 = $5, \
                        finished_at = now() WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(export)
            .bind(storage_key)
            .bind(size)
            .bind(sha256)
            .execute(tx.conn())
            .await
            .map_err(|e| retry(e.into()))?;
        }
        Err(message) => {
            sqlx::query(
                "UPDATE exports SET state = 'failed', error = $3, finished_at = now() WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(export)
            .bind(&message)
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
    let old: Vec<(ExportId, String)> = sqlx::query_as(
        "SELECT id, storage_key FROM exports WHERE org_id = $1 AND state = 'ready' \
           AND finished_at < now() - make_interval(days => $2) FOR UPDATE SKIP LOCKED",
    )
    .bind(org)
    .bind(KEPT_DAYS)
    .fetch_all(tx.conn())
    .await?;
    for (id, key) in &old {
        state.storage.delete(key).await?;
        sqlx::query("UPDATE exports SET state = 'expired', storage_key = NULL WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    Ok(old.len())
}

/// `GET /exports/{id}`: the file, to the member who asked for it (404 for anyone else).
pub async fn download(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    match open(&state, &auth, &parts, &id).await {
        Ok((kind, reader, size)) => {
            let (extension, content_type) = match kind {
                ExportKind::ReportPdf => ("pdf", "application/pdf"),
                ExportKind::Binder => ("zip", "application/zip"),
            };
            let disposition =
                format!("attachment; filename=\"cleantrack-{}-{id}.{extension}\"", kind.as_str().replace('_', "-"));
            (
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CONTENT_LENGTH, size.to_string()),
                    (header::CACHE_CONTROL, "private, no-store".to_owned()),
                ],
                Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
            )
                .into_response()
        }
        Err(err) => err.into_response(),
    }
}

type Reader = std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>;

async fn open(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    id: &str,
) -> Result<(ExportKind, Reader, i64), AppError> {
    let id: ExportId = id.parse().map_err(|_| AppError::NotFound)?;
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    ctx.require(Action::ExportReports)?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, storage_key, byte_size FROM exports \
         WHERE org_id = $1 AND id = $2 AND requested_by = $3 AND state = 'ready'",
    )
    .bind(ctx.org_id())
    .bind(id)
    .bind(ctx.user_id())
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let (kind, key, size) = row.ok_or(AppError::NotFound)?;
    let kind = ExportKind::parse(&kind).ok_or(AppError::Internal)?;
    let reader = state.storage.stream(&key).await?.ok_or_else(|| {
        tracing::error!(%id, key, "a ready export's file is missing");
        AppError::NotFound
    })?;
    let event = SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action: "reports.export_downloaded",
        entity_type: "exports",
        entity_id: Some(id.to_string()),
        details: json!({ "kind": kind.as_str() }),
    };
    record_member_event(&state.pool, &ctx, &RequestMeta::from_parts(parts), event).await?;
    Ok((kind, reader, size))
}
