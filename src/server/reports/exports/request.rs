//! Asking for an export (the job starts once the request commits) and listing one's own.

use serde_json::json;

use super::job::{ExportJob, Payload};
use crate::model::error::AppError;
use crate::model::ids::{ExportId, FacilityId};
use crate::model::reports::{describe_period, ExportInfo, ExportKind, LogFilter};
use crate::model::role::Action;
use crate::server::auth::scope::begin_export_request;
use crate::server::auth::{TenantCtx, TenantTx};
use crate::server::jobs;
use crate::server::reports::logs;
use crate::server::state::AppState;

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
    let exists: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM facilities WHERE org_id = $1 AND id = $2) AS \"v!\"",
        ctx.org_id() as _,
        facility as _
    )
    .fetch_one(tx.conn())
    .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    let total = logs::totals(&mut tx, &filter).await?.logs;
    // The binder writes each log twice: in the report and in the CSV.
    let total = if kind == ExportKind::Binder { total * 2 } else { total };
    let id = ExportId::new();
    sqlx::query!(
        "INSERT INTO exports (id, org_id, requested_by, kind, params, total) VALUES ($1, $2, $3, $4, $5, $6)",
        id as _,
        ctx.org_id() as _,
        ctx.user_id() as _,
        kind.as_str(),
        json!({ "facility": facility, "from": filter.from, "to": filter.to }),
        i32::try_from(total).unwrap_or(i32::MAX)
    )
    .execute(tx.conn())
    .await?;
    jobs::enqueue::<ExportJob>(tx.conn(), &Payload { export: id, org: ctx.org_id() }).await?;
    tx.commit().await?;
    Ok(id)
}

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
    let rows = sqlx::query_as!(
        ExportRow,
        r#"SELECT x.id AS "id: ExportId", x.kind, f.name AS "facility?", x.params->>'from' AS "from?",
                x.params->>'to' AS "to?", x.state, x.done, x.total, x.byte_size, encode(x.sha256, 'hex') AS "sha256?",
                x.error, to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS "created_at!"
         FROM exports x LEFT JOIN facilities f ON f.org_id = x.org_id AND f.id = (x.params->>'facility')::uuid
         WHERE x.org_id = $1 AND x.requested_by = $2 ORDER BY x.created_at DESC LIMIT 20"#,
        tx.ctx().org_id() as _,
        tx.ctx().user_id() as _
    )
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
