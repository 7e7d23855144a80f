//! The inspection binder: one zip with the PDF report, the cleaning logs and compliance as
//! CSV, the organization's audit trail as JSON Lines with its hashes, its signed checkpoints,
//! our public key, a manifest of every file's SHA-256 signed with that key, and the text that
//! explains how to verify all of it without our software. Written entry by entry into a file.

use std::io::{Seek, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

use super::csv_export;
use super::logs::{self, Cursor};
use super::progress::Progress;
use super::report_pdf::{self, ReportScope};
use crate::model::audit::ChainCheck;
use crate::model::error::AppError;
use crate::server::audit::checkpoints;
use crate::server::audit::export::{batch, line};
use crate::server::audit::signing::hex;
use crate::server::auth::TenantTx;
use crate::server::compliance::{self, Period, Scope};
use crate::server::state::AppState;

pub const REPORT: &str = "inspection-report.pdf";
pub const LOGS: &str = "cleaning-logs.csv";
pub const COMPLIANCE: &str = "compliance.csv";
pub const TRAIL: &str = "audit-trail.jsonl";
pub const VERIFY: &str = "VERIFY-AUDIT-TRAIL.txt";
pub const CHECKPOINTS: &str = "audit-checkpoints.jsonl";
pub const KEY: &str = "audit-signing-key.json";
pub const MANIFEST: &str = "MANIFEST.txt";
pub const MANIFEST_SIGNATURE: &str = "MANIFEST.sig";

/// A writer that hashes what passes through it: each file of the binder gets its SHA-256.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing { inner, hasher: Sha256::new() }
    }

    fn finish(self) -> (W, [u8; 32]) {
        (self.inner, self.hasher.finalize().into())
    }
}

/// The files of a binder that are also issued on their own (`/verify` knows them), with their
/// kind and SHA-256.
pub type Inner = Vec<(&'static str, [u8; 32])>;

const VERIFY_TEXT: &str = include_str!("../../../docs/verifying-the-audit-trail.md");

pub async fn write<W: Write + Seek>(
    state: &AppState,
    scope: &ReportScope<'_>,
    chain: &ChainCheck,
    generated_at: &str,
    out: W,
    progress: &mut Progress,
) -> Result<(W, Inner), AppError> {
    let zip_error = |err: zip::result::ZipError| AppError::from(anyhow::Error::from(err));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(out);

    let mut manifest: Vec<(String, &str)> = Vec::new();
    let mut inner: Inner = Vec::new();

    zip.start_file(REPORT, options).map_err(zip_error)?;
    let out = report_pdf::write(state, scope, chain, generated_at, Hashing::new(zip), progress).await?;
    let (mut zip, sha256) = out.finish();
    manifest.push((hex(&sha256), REPORT));
    inner.push(("report_pdf", sha256));

    zip.start_file(LOGS, options).map_err(zip_error)?;
    let mut out = Hashing::new(zip);
    out.write_all(&csv_export::header_line())?;
    let filter = scope.filter();
    let mut cursor = Cursor::default();
    loop {
        let rows = logs::next_page(&state.pool, scope.ctx, &filter, &mut cursor).await?;
        if rows.is_empty() {
            break;
        }
        out.write_all(&csv_export::lines(&rows))?;
        progress.advance(rows.len() as i64).await?;
    }
    let (mut zip, sha256) = out.finish();
    manifest.push((hex(&sha256), LOGS));
    inner.push(("logs_csv", sha256));

    let mut tx = TenantTx::begin(&state.pool, scope.ctx).await?;
    let equipment = Scope { facility: Some(scope.facility), equipment: None };
    let figures = compliance::by_equipment(&mut tx, equipment, &Period::from(&filter)).await?;
    let org = scope.ctx.org_id();
    let signed = checkpoints::list(tx.conn(), org).await?;
    let signed_at: String = sqlx::query_scalar!("SELECT app.utc(now()) AS \"v!\"").fetch_one(tx.conn()).await?;
    tx.commit().await?;
    let compliance_csv = csv_export::compliance_lines(&filter, &figures);
    zip.start_file(COMPLIANCE, options).map_err(zip_error)?;
    zip.write_all(&compliance_csv)?;
    let sha256: [u8; 32] = Sha256::digest(&compliance_csv).into();
    manifest.push((hex(&sha256), COMPLIANCE));
    inner.push(("compliance_csv", sha256));

    zip.start_file(TRAIL, options).map_err(zip_error)?;
    let mut out = Hashing::new(zip);
    let mut after = 0;
    loop {
        let rows = batch(state, scope.ctx, after).await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, fields, hash) in &rows {
            out.write_all(line(fields, hash).as_bytes())?;
        }
    }
    let (mut zip, sha256) = out.finish();
    manifest.push((hex(&sha256), TRAIL));
    inner.push(("audit_jsonl", sha256));

    let checkpoint_lines: String = signed.iter().map(|c| c.json_line(org)).collect();
    let key = &state.config.audit_key;
    let key_json = format!(
        "{}\n",
        serde_json::json!({ "algorithm": "Ed25519", "public_key_hex": key.public_hex(), "key_id": key.key_id() })
    );
    for (name, text) in [(CHECKPOINTS, &checkpoint_lines), (KEY, &key_json), (VERIFY, &VERIFY_TEXT.to_owned())] {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(text.as_bytes())?;
        manifest.push((hex(&Sha256::digest(text.as_bytes())), name));
    }

    // The manifest names every file by its SHA-256 and is signed with our key: one signature
    // vouches for the whole binder.
    let mut text =
        format!("cleantrack-manifest-v1\norganization {org}\nsigned_at {signed_at}\nkey_id {}\n", key.key_id());
    for (sha256, name) in &manifest {
        text.push_str(&format!("{sha256}  {name}\n"));
    }
    zip.start_file(MANIFEST, options).map_err(zip_error)?;
    zip.write_all(text.as_bytes())?;
    zip.start_file(MANIFEST_SIGNATURE, options).map_err(zip_error)?;
    zip.write_all(format!("{}\n", key.sign(&text)).as_bytes())?;
    Ok((zip.finish().map_err(zip_error)?, inner))
}
