//! `GET /reports/logs.csv?facility=&equipment=&from=&to=&outcome=&person=`: the cleaning logs
//! as CSV, streamed page by page (memory stays flat for a year of a large organization). The
//! download is recorded in the audit trail with its filters.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::logs::{self, Cursor, LogRow};
use crate::model::error::AppError;
use crate::model::reports::LogFilter;
use crate::model::role::Action;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::request::{tenant_ctx_of, RequestMeta};
use crate::server::auth::scope::record_member_event;
use crate::server::auth::{AuthSession, TenantCtx};
use crate::server::state::AppState;

pub const COLUMNS: [&str; 23] = [
    "log_id",
    "facility",
    "equipment",
    "equipment_code",
    "serial",
    "protocol",
    "protocol_version",
    "performed_local",
    "time_zone",
    "performed_at_utc",
    "received_at_utc",
    "signed_by",
    "signature_meaning",
    "outcome",
    "steps_done",
    "steps_total",
    "notes",
    "amends_log_id",
    "amendment_reason",
    "amended_by_log_ids",
    "verified_by",
    "verified_at_utc",
    "photo_sha256",
];

pub async fn download(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<std::collections::HashMap<String, String>>,
    parts: Parts,
) -> Response {
    match start(&state, &auth, &parts, &query).await {
        Ok((ctx, filter)) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, "text/csv; charset=utf-8".parse().unwrap());
            let name = format!("attachment; filename=\"cleaning-logs-{}.csv\"", ctx.org_id());
            headers.insert(header::CONTENT_DISPOSITION, name.parse().unwrap());
            // Fused for the compression layer (see the audit export).
            (headers, Body::from_stream(futures_util::StreamExt::fuse(chunks(state, ctx, filter)))).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn start(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    query: &std::collections::HashMap<String, String>,
) -> Result<(TenantCtx, LogFilter), AppError> {
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    ctx.require(Action::ExportReports)?;
    let filter = LogFilter::from_query(query).map_err(AppError::Invalid)?;
    if filter.facility.is_some_and(|f| !ctx.can_see_facility(f)) {
        return Err(AppError::NotFound);
    }
    let event = SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action: "reports.logs_exported",
        entity_type: "cleaning_logs",
        entity_id: None,
        details: serde_json::json!({ "format": "csv", "filter": filter }),
    };
    record_member_event(&state.pool, &ctx, &RequestMeta::from_parts(parts), event).await?;
    Ok((ctx, filter))
}

/// The header line, then one chunk of lines per page of logs.
fn chunks(
    state: AppState,
    ctx: TenantCtx,
    filter: LogFilter,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let pages = stream::unfold(Some(Cursor::default()), move |cursor| {
        let (state, ctx, filter) = (state.clone(), ctx.clone(), filter.clone());
        async move {
            let mut cursor = cursor?;
            match logs::next_page(&state.pool, &ctx, &filter, &mut cursor).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => Some((Ok(lines(&rows)), Some(cursor))),
                Err(err) => {
                    tracing::error!(error = %err, "CSV export failed part-way");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    futures_util::StreamExt::chain(stream::iter([Ok(header_line())]), pages)
}

pub fn header_line() -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).expect("writing to memory");
    writer.into_inner().expect("writing to memory")
}

/// The rows as CSV lines. A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`
/// first) is written with a leading apostrophe, as OWASP advises for CSV files.
pub fn lines(rows: &[LogRow]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 256));
    for row in rows {
        let record = [
            row.id.to_string(),
            row.facility.clone(),
            row.equipment.clone(),
            row.short_code.clone(),
            row.serial.clone(),
            row.protocol.clone().unwrap_or_default(),
            row.protocol_version.map(|v| v.to_string()).unwrap_or_default(),
            row.performed_local.clone(),
            row.time_zone.clone(),
            row.performed_at.clone(),
            row.received_at.clone(),
            row.signer_name.clone(),
            row.signature_meaning.clone(),
            row.outcome.clone(),
            row.steps_done.to_string(),
            row.steps_total.to_string(),
            row.notes.clone(),
            row.amends.map(|a| a.to_string()).unwrap_or_default(),
            row.amendment_reason.clone().unwrap_or_default(),
            row.amended_by.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            row.verified_by.clone().unwrap_or_default(),
            row.verified_at.clone().unwrap_or_default(),
            row.photo_sha256.join(" "),
        ];
        writer.write_record(record.iter().map(|cell| defuse(cell).into_owned())).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}
