//! The inspection binder: one zip with the PDF report, the cleaning logs and compliance as
//! CSV, the organization's audit trail as JSON Lines with its hashes, and the text that
//! explains how to verify that trail without our software. Written entry by entry into a file.

use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::ZipWriter;

use super::csv_export;
use super::exports::Progress;
use super::logs::{self, Cursor};
use super::report_pdf::{self, ReportScope};
use crate::model::audit::ChainCheck;
use crate::model::error::AppError;
use crate::server::assets::compliance::{self, Period, Scope};
use crate::server::audit::export::{batch, line};
use crate::server::auth::TenantTx;
use crate::server::state::AppState;

pub const REPORT: &str = "inspection-report.pdf";
pub const LOGS: &str = "cleaning-logs.csv";
pub const COMPLIANCE: &str = "compliance.csv";
pub const TRAIL: &str = "audit-trail.jsonl";
pub const VERIFY: &str = "VERIFY-AUDIT-TRAIL.txt";

const VERIFY_TEXT: &str = include_str!("../../../docs/verifying-the-audit-trail.md");

pub async fn write<W: Write + Seek>(
    state: &AppState,
    scope: &ReportScope<'_>,
    chain: &ChainCheck,
    generated_at: &str,
    out: W,
    progress: &mut Progress,
) -> Result<W, AppError> {
    let zip_error = |err: zip::result::ZipError| AppError::from(anyhow::Error::from(err));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(out);

    zip.start_file(REPORT, options).map_err(zip_error)?;
    zip = report_pdf::write(state, scope, chain, generated_at, zip, progress).await?;

    zip.start_file(LOGS, options).map_err(zip_error)?;
    zip.write_all(&csv_export::header_line())?;
    let filter = scope.filter();
    let mut cursor = Cursor::default();
    loop {
        let rows = logs::next_page(&state.pool, scope.ctx, &filter, &mut cursor).await?;
        if rows.is_empty() {
            break;
        }
        zip.write_all(&csv_export::lines(&rows))?;
        progress.advance(rows.len() as i64).await?;
    }

    zip.start_file(COMPLIANCE, options).map_err(zip_error)?;
    let mut tx = TenantTx::begin(&state.pool, scope.ctx).await?;
    let equipment = Scope { facility: Some(scope.facility), equipment: None };
    let figures = compliance::by_equipment(&mut tx, equipment, &Period::from(&filter)).await?;
    tx.commit().await?;
    zip.write_all(&csv_export::compliance_lines(&filter, &figures))?;

    zip.start_file(TRAIL, options).map_err(zip_error)?;
    let mut after = 0;
    loop {
        let rows = batch(state, scope.ctx, after).await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, fields, hash) in &rows {
            zip.write_all(line(fields, hash).as_bytes())?;
        }
    }

    zip.start_file(VERIFY, options).map_err(zip_error)?;
    zip.write_all(VERIFY_TEXT.as_bytes())?;
    zip.finish().map_err(zip_error)
}
