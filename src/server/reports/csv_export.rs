//! The CSV downloads (their handlers are in `server::http::downloads`).
//! `GET /reports/logs.csv?facility=&equipment=&from=&to=&outcome=&person=`: the cleaning logs
//! as CSV, streamed page by page (memory stays flat for a year of a large organization), each
//! with the due time it answered and how it counted toward compliance.
//! `GET /reports/compliance.csv?facility=&equipment=&from=&to=`: compliance per piece of
//! scheduled equipment and in total, by the one definition (`model::compliance`); outcome and
//! person do not apply (compliance is of every cleaning).
//! `GET /reports/corrective-actions.csv?show=&facility=`: the corrective actions, open and
//! closed, with how each was closed. Every download is recorded in the audit trail with its
//! filters, and the compliance and corrective-action files as issued (anyone can check them).

use axum::http::request::Parts;
use futures_util::stream;
use sha2::Digest as _;

use super::logs::{self, Cursor, LogRow};
use crate::model::compliance::Compliance;
use crate::model::corrective_actions::{CorrectiveAction, Show};
use crate::model::error::AppError;
use crate::model::ids::FacilityId;
use crate::model::logs::ChecklistEntry;
use crate::model::reports::LogFilter;
use crate::model::role::Action;
use crate::server::audit::issued;
use crate::server::audit::record::record_member_event;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::scope::begin_issuing;
use crate::server::auth::{AuthSession, TenantCtx, TenantTx};
use crate::server::compliance::{self, EquipmentFigures, Period, Scope};
use crate::server::corrective_actions;
use crate::server::http::origin::RequestMeta;
use crate::server::state::AppState;

pub const COLUMNS: [&str; 35] = [
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
    "due_at_utc",
    "counted_as",
    "no_protocol_reason",
    "late_entry",
    "late_entry_reason",
    "entered_offline",
    "signed_with",
    "verification_signed_with",
    "steps",
    "product_lot",
    "product_expiry",
    "contact_seconds",
];

/// The compliance CSV's columns.
pub const COMPLIANCE_COLUMNS: [&str; 13] = [
    "facility",
    "equipment",
    "equipment_code",
    "time_zone",
    "from",
    "to",
    "came_due",
    "on_time",
    "entered_late",
    "late",
    "awaiting_verification",
    "not_done",
    "on_time_percent",
];

/// Who may, which filter, and the download recorded in the trail before any line is sent.
pub async fn begin_download(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    query: &std::collections::HashMap<String, String>,
    format: &str,
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
        details: serde_json::json!({ "format": format, "filter": filter }),
    };
    record_member_event(&state.pool, &ctx, &RequestMeta::from_parts(parts), event).await?;
    Ok((ctx, filter))
}

/// The header line, then one chunk of lines per page of logs.
pub fn chunks(
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
            row.outcome.as_str().to_owned(),
            row.steps_done.to_string(),
            row.steps_total.to_string(),
            row.notes.clone(),
            row.amends.map(|a| a.to_string()).unwrap_or_default(),
            row.amendment_reason.clone().unwrap_or_default(),
            row.amended_by.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            row.verified_by.clone().unwrap_or_default(),
            row.verified_at.clone().unwrap_or_default(),
            row.photo_sha256.join(" "),
            row.due_at.clone().unwrap_or_default(),
            row.counted_as.clone(),
            row.no_protocol_reason.clone().unwrap_or_default(),
            if row.late_entry { "yes" } else { "no" }.to_owned(),
            row.late_entry_reason.clone().unwrap_or_default(),
            if row.entered_offline { "yes" } else { "no" }.to_owned(),
            row.signed_with.clone().unwrap_or_default(),
            row.verification_signed_with.clone().unwrap_or_default(),
            row.checklist.iter().map(ChecklistEntry::describe).collect::<Vec<_>>().join("; "),
            row.product_lot.clone().unwrap_or_default(),
            row.product_expiry.clone().unwrap_or_default(),
            row.contact_seconds.map(|s| s.to_string()).unwrap_or_default(),
        ];
        writer.write_record(record.iter().map(|cell| defuse(cell).into_owned())).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// The start of a report file other than the logs CSV: who may (those who export), which facility
/// (`?facility=`, one the member sees, or all), and the download recorded in the trail before
/// anything is read, as `about` (the event's action and entity type) with `details` and the
/// facility.
pub async fn begin_file(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    query: &std::collections::HashMap<String, String>,
    about: (&'static str, &'static str),
    mut details: serde_json::Value,
) -> Result<(TenantCtx, Option<FacilityId>), AppError> {
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    ctx.require(Action::ExportReports)?;
    let facility = match query.get("facility").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            Some(raw.parse::<FacilityId>().map_err(|_| AppError::Invalid(format!("`{raw}` is not a facility.")))?)
        }
    };
    if facility.is_some_and(|f| !ctx.can_see_facility(f)) {
        return Err(AppError::NotFound);
    }
    details["facility"] = serde_json::json!(facility);
    let (action, entity_type) = about;
    let event = SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action,
        entity_type,
        entity_id: None,
        details,
    };
    record_member_event(&state.pool, &ctx, &RequestMeta::from_parts(parts), event).await?;
    Ok((ctx, facility))
}

/// Records `body` as a file of `kind` issued to the member (its SHA-256, signed, in the trail), so
/// anyone holding it can check it at /verify.
pub async fn issue(state: &AppState, ctx: &TenantCtx, body: &[u8], kind: &str) -> Result<(), AppError> {
    let mut tx = begin_issuing(&state.pool, ctx).await?;
    let sha256 = sha2::Sha256::digest(body);
    issued::record(&mut tx, &state.config.audit_key, ctx.org_id(), &sha256, kind, Some(ctx.user_id())).await?;
    tx.commit().await?;
    Ok(())
}

/// The compliance CSV of the filter, recorded as issued (its SHA-256 in the trail).
pub async fn compliance_file(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    query: &std::collections::HashMap<String, String>,
) -> Result<(TenantCtx, Vec<u8>), AppError> {
    let (ctx, filter) = begin_download(state, auth, parts, query, "compliance_csv").await?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let scope = Scope { facility: filter.facility, equipment: filter.equipment };
    let rows = compliance::by_equipment(&mut tx, scope, &Period::from(&filter)).await?;
    tx.commit().await?;
    let body = compliance_lines(&filter, &rows);
    issue(state, &ctx, &body, "compliance_csv").await?;
    Ok((ctx, body))
}

/// The corrective actions' columns.
pub const ACTION_COLUMNS: [&str; 18] = [
    "action_id",
    "facility",
    "equipment",
    "opened_at",
    "opened_by",
    "from_log_id",
    "description",
    "owner",
    "due_at",
    "overdue",
    "closed_at",
    "closed_by",
    "closing_note",
    "reclean_log_id",
    "reclean_performed_at",
    "override_reason",
    "override_signed_by",
    "override_signed_with",
];

/// `GET /reports/corrective-actions.csv`: every action `show` selects (all when absent), in the
/// facility's times.
pub async fn corrective_actions_file(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    query: &std::collections::HashMap<String, String>,
) -> Result<(TenantCtx, Vec<u8>), AppError> {
    let show = match query.get("show").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Show::All,
        Some(raw) => Show::parse(raw).ok_or_else(|| AppError::Invalid(format!("`{raw}` is not a list to show.")))?,
    };
    let about = ("reports.corrective_actions_exported", "corrective_actions");
    let details = serde_json::json!({ "show": show.as_str() });
    let (ctx, facility) = begin_file(state, auth, parts, query, about, details).await?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let rows = corrective_actions::rows(&mut tx, show, facility, i64::MAX).await?;
    tx.commit().await?;
    let body = corrective_action_lines(&rows);
    issue(state, &ctx, &body, "corrective_actions_csv").await?;
    Ok((ctx, body))
}

pub fn corrective_action_lines(rows: &[CorrectiveAction]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(ACTION_COLUMNS).expect("writing to memory");
    for a in rows {
        let closed = a.closed.as_ref();
        let reclean = closed.and_then(|c| c.reclean.as_ref());
        let signature = closed.and_then(|c| c.override_signature.as_ref());
        let cells = [
            a.id.to_string(),
            a.facility.clone(),
            a.equipment.clone(),
            a.opened_at.clone(),
            a.opened_by.clone().unwrap_or_else(|| "automatically (failed cleaning)".into()),
            a.log_id.map(|l| l.to_string()).unwrap_or_default(),
            a.description.clone(),
            a.owner.as_ref().map(|(_, name)| name.clone()).unwrap_or_default(),
            a.due_at.clone(),
            a.overdue.to_string(),
            closed.map(|c| c.at.clone()).unwrap_or_default(),
            closed.map(|c| c.by.clone()).unwrap_or_default(),
            closed.map(|c| c.note.clone()).unwrap_or_default(),
            reclean.map(|r| r.log_id.to_string()).unwrap_or_default(),
            reclean.map(|r| r.performed_at.clone()).unwrap_or_default(),
            closed.and_then(|c| c.override_reason.clone()).unwrap_or_default(),
            signature.map(|s| s.name.clone()).unwrap_or_default(),
            signature.and_then(|s| s.signed_with.clone()).unwrap_or_default(),
        ];
        writer.write_record(cells.iter().map(|cell| defuse(cell).into_owned())).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// One line per piece of scheduled equipment, then the total of them all.
pub fn compliance_lines(filter: &LogFilter, rows: &[EquipmentFigures]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COMPLIANCE_COLUMNS).expect("writing to memory");
    let (from, to) = (filter.from.clone().unwrap_or_default(), filter.to.clone().unwrap_or_default());
    let mut total = Compliance::default();
    let mut record = |facility: &str, equipment: &str, code: &str, zone: &str, c: &Compliance| {
        let figures = [c.due(), c.on_time, c.late_entry, c.late, c.pending, c.not_done].map(|n| n.to_string());
        let percent = c.percent().map(|p| p.to_string()).unwrap_or_default();
        let cells = [facility, equipment, code, zone, from.as_str(), to.as_str()]
            .into_iter()
            .chain(figures.iter().map(String::as_str))
            .chain([percent.as_str()]);
        writer.write_record(cells.map(|cell| defuse(cell).into_owned())).expect("writing to memory");
    };
    for row in rows {
        record(&row.facility, &row.equipment, &row.short_code, &row.time_zone, &row.compliance);
        total.add(row.compliance);
    }
    record("All", "Total", "", "", &total);
    writer.into_inner().expect("writing to memory")
}

fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}
