//! The inspection report of one facility and period, as PDF: a summary (compliance by the one
//! definition in `model::compliance`, overdue equipment, failures), then per piece of equipment
//! its schedule and every log with its signatures, verification, amendment and thumbnails,
//! and at the end the audit chain's verification result with the hash of its last event.

use std::io::Write;

use super::layout::{Font, Jpeg, Layout};
use super::logs::{self, Cursor, LogRow};
use super::progress::Progress;
use crate::model::audit::ChainCheck;
use crate::model::compliance::{Compliance, DEFINITION};
use crate::model::corrective_actions::{CorrectiveAction, Show};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::logs::{signed_with_label, StepResult};
use crate::model::reports::LogFilter;
use crate::model::schedules::DueStatus;
use crate::server::audit::checkpoints::{self, Checkpoint};
use crate::server::auth::{TenantCtx, TenantTx};
use crate::server::compliance::{self, Period, Scope};
use crate::server::corrective_actions;
use crate::server::equipment::status::status_row;
use crate::server::state::AppState;

/// Thumbnails drawn per log; the rest are listed by their hash.
const THUMBS_PER_LOG: usize = 3;

struct Equipment {
    id: EquipmentId,
    name: String,
    short_code: String,
    kind: String,
    location: String,
    serial: String,
    status: String,
}

/// What the report covers, with the context it is read in (an inspector sees their
/// facilities only; the facility must be one of them).
pub struct ReportScope<'a> {
    pub ctx: &'a TenantCtx,
    pub facility: FacilityId,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl ReportScope<'_> {
    pub fn filter(&self) -> LogFilter {
        LogFilter { facility: Some(self.facility), from: self.from.clone(), to: self.to.clone(), ..Default::default() }
    }

    pub fn period(&self) -> String {
        crate::model::reports::describe_period(self.from.as_deref(), self.to.as_deref())
    }
}

/// Writes the report to `out` and gives `out` back.
pub async fn write<W: Write>(
    state: &AppState,
    scope: &ReportScope<'_>,
    chain: &ChainCheck,
    generated_at: &str,
    out: W,
    progress: &mut Progress,
) -> Result<W, AppError> {
    let filter = scope.filter();
    let mut tx = TenantTx::begin(&state.pool, scope.ctx).await?;
    let org = scope.ctx.org_id();
    let facility: Option<(String, String, String, String, Option<String>)> = sqlx::query!("SELECT f.name AS \"name!: String\", f.address AS \"address!: String\", f.time_zone AS \"time_zone!: String\", o.name AS \"org_name!: String\", CASE WHEN NOT o.strict_signatures THEN o.strict_off_reason END AS \"strict_off_reason?: String\" \
         FROM facilities f JOIN organizations o ON o.id = f.org_id \
         WHERE f.org_id = $1 AND f.id = $2", org as _, scope.facility as _).map(|r| (r.name, r.address, r.time_zone, r.org_name, r.strict_off_reason))
    .fetch_optional(tx.conn())
    .await?;
    let (facility_name, address, time_zone, org_name, strict_off) = facility.ok_or(AppError::NotFound)?;
    let statuses: Vec<(Equipment, DueStatus)> = sqlx::query!(
        r#"SELECT e.id AS "id: EquipmentId", e.name, e.short_code, e.kind, e.location, e.serial, e.status,
                  st.schedule_unit, st.schedule_every, st.schedule_weekdays, st.schedule_due_time, st.last_cleaned,
                  st.next_due, st.overdue AS "overdue!"
           FROM equipment e JOIN equipment_status st ON st.org_id = e.org_id AND st.equipment_id = e.id
           WHERE e.org_id = $1 AND e.facility_id = $2 ORDER BY lower(e.name), e.id"#,
        org as _,
        scope.facility as _
    )
    .map(|r| {
        let facts = Equipment {
            id: r.id,
            name: r.name,
            short_code: r.short_code,
            kind: r.kind,
            location: r.location,
            serial: r.serial,
            status: r.status,
        };
        (facts, status_row!(r).into())
    })
    .fetch_all(tx.conn())
    .await?;
    let totals = logs::totals(&mut tx, &filter).await?;
    let compliance =
        compliance::figures(&mut tx, Scope { facility: Some(scope.facility), equipment: None }, &Period::from(&filter))
            .await?;
    let checkpoint = checkpoints::latest(tx.conn(), org).await?;
    let actions = corrective_actions::rows(&mut tx, Show::All, Some(scope.facility), 500).await?;
    tx.commit().await?;

    let header = format!("{org_name} · {facility_name} · cleaning and disinfection inspection report");
    let footer = format!("Period: {} · generated {generated_at} · CleanTrack", scope.period());
    let mut doc = Layout::new(out, header, footer)?;
    doc.line(0.0, Font::Bold, 18.0, "Inspection report")?;
    doc.line(0.0, Font::Regular, 11.0, &format!("Organization: {org_name}"))?;
    doc.line(0.0, Font::Regular, 11.0, &format!("Facility: {facility_name}"))?;
    if !address.is_empty() {
        doc.paragraph(0.0, Font::Regular, 11.0, &format!("Address: {address}"))?;
    }
    doc.line(0.0, Font::Regular, 11.0, &format!("Period: {} (days in {time_zone})", scope.period()))?;
    doc.line(0.0, Font::Regular, 11.0, &format!("Generated: {generated_at}"))?;
    if let Some(reason) = strict_off {
        doc.paragraph(
            0.0,
            Font::Bold,
            10.5,
            &format!("Strict signatures are OFF: signers are not re-authenticated at signing. Reason given: {reason}"),
        )?;
    }
    doc.gap(8.0);

    summary(&mut doc, &statuses, &totals, &compliance)?;
    doc.gap(6.0);
    audit_section(&mut doc, chain)?;
    signing_section(&mut doc, state, checkpoint.as_ref())?;
    actions_section(&mut doc, &actions)?;

    for (equipment, due) in &statuses {
        doc.gap(10.0);
        doc.ensure(60.0)?;
        doc.line(0.0, Font::Bold, 13.0, &format!("{} ({})", equipment.name, equipment.short_code))?;
        let mut facts = vec![equipment.kind.clone()];
        facts.extend([&equipment.location, &equipment.serial].iter().filter(|s| !s.is_empty()).map(|s| s.to_string()));
        if equipment.status != "active" {
            facts.push(equipment.status.clone());
        }
        doc.line(0.0, Font::Regular, 9.5, &facts.join(" · "))?;
        doc.line(0.0, Font::Regular, 9.5, &schedule_line(due))?;
        let mut cursor = Cursor::default();
        let filter = LogFilter { equipment: Some(equipment.id), ..filter.clone() };
        let mut any = false;
        loop {
            let rows = logs::next_page(&state.pool, scope.ctx, &filter, &mut cursor).await?;
            if rows.is_empty() {
                break;
            }
            any = true;
            for row in &rows {
                log_entry(&mut doc, state, row).await?;
            }
            progress.advance(rows.len() as i64).await?;
        }
        if !any {
            doc.line(12.0, Font::Regular, 9.5, "No cleaning logs in this period.")?;
        }
    }
    let out = doc.finish(&format!("Inspection report: {facility_name}, {}", scope.period()))?;
    Ok(out)
}

/// The facility's corrective actions (open first, then the latest closed; at most 500), each
/// with how it was closed and, for an override, its signature.
fn actions_section<W: Write>(doc: &mut Layout<W>, actions: &[CorrectiveAction]) -> std::io::Result<()> {
    doc.gap(6.0);
    doc.line(0.0, Font::Bold, 13.0, "Corrective actions")?;
    if actions.is_empty() {
        return doc.line(0.0, Font::Regular, 10.5, "None opened.");
    }
    for a in actions {
        doc.ensure(30.0)?;
        let state = match &a.closed {
            Some(c) => format!("closed {}", c.at),
            None if a.overdue => format!("OPEN, overdue since {}", a.due_at),
            None => format!("open, due {}", a.due_at),
        };
        doc.paragraph(0.0, Font::Bold, 9.5, &format!("{}: {} ({state})", a.equipment, a.description))?;
        let opened = a
            .opened_by
            .as_deref()
            .map_or_else(|| "automatically, for a failed cleaning".to_owned(), |by| format!("by {by}"));
        let owner = a.owner.as_ref().map_or_else(|| "no owner".to_owned(), |(_, name)| format!("owner {name}"));
        doc.line(12.0, Font::Regular, 9.0, &format!("Opened {} {opened} · {owner}", a.opened_at))?;
        if let Some(c) = &a.closed {
            let how = match (&c.reclean, &c.override_reason) {
                (Some(r), _) => format!("by the passing re-clean performed {} by {}", r.performed_at, r.signer),
                (None, Some(reason)) => format!("by override: {reason}"),
                (None, None) => String::new(),
            };
            doc.paragraph(12.0, Font::Regular, 9.0, &format!("Closed by {} {how}. Note: {}", c.by, c.note))?;
            if let Some(s) = &c.override_signature {
                doc.line(
                    12.0,
                    Font::Regular,
                    9.0,
                    &format!(
                        "Signed \u{201c}{}\u{201d} by {} at {} · {}",
                        s.meaning,
                        s.name,
                        s.at,
                        signed_with_label(s.signed_with.as_deref())
                    ),
                )?;
            }
        }
    }
    Ok(())
}

fn summary<W: Write>(
    doc: &mut Layout<W>,
    statuses: &[(Equipment, DueStatus)],
    totals: &logs::Totals,
    compliance: &Compliance,
) -> std::io::Result<()> {
    let scheduled: Vec<_> = statuses.iter().filter(|(e, d)| e.status == "active" && d.schedule.is_some()).collect();
    let overdue: Vec<_> = scheduled.iter().filter(|(_, d)| d.overdue).collect();
    doc.line(0.0, Font::Bold, 13.0, "Summary")?;
    let lines = [
        format!("Equipment: {} ({} with a cleaning schedule)", statuses.len(), scheduled.len()),
        format!("Overdue now: {}", overdue.len()),
        format!("Cleaning logs in the period: {}", totals.logs),
        format!("Failures (outcome fail): {}", totals.failures),
        format!("Amendments: {}", totals.amendments),
        format!("Verified by a second signature: {}", totals.verified),
        if totals.not_reauthenticated == 0 {
            "Every signature re-authenticated the signer (password or signing PIN), where recorded".to_owned()
        } else {
            format!("Signatures NOT re-authenticated (strict signatures were off): {}", totals.not_reauthenticated)
        },
    ];
    for line in &lines {
        doc.line(0.0, Font::Regular, 10.5, line)?;
    }
    doc.line(0.0, Font::Bold, 10.5, "Compliance in the period")?;
    doc.paragraph(12.0, Font::Regular, 10.5, &compliance.sentence())?;
    doc.paragraph(12.0, Font::Regular, 9.0, &format!("How compliance is counted: {DEFINITION}"))?;
    for (equipment, due) in overdue {
        let since = due.next_due.as_deref().unwrap_or("-");
        doc.line(
            12.0,
            Font::Regular,
            10.0,
            &format!("Overdue: {} ({}) since {since}", equipment.name, equipment.short_code),
        )?;
    }
    Ok(())
}

/// Our public key and the chain's latest signed checkpoint, so a reader can check the binder's
/// trail against a signature that someone holding only the database cannot make.
fn signing_section<W: Write>(
    doc: &mut Layout<W>,
    state: &AppState,
    checkpoint: Option<&Checkpoint>,
) -> std::io::Result<()> {
    let key = &state.config.audit_key;
    let url =
        state.config.public_url.join("/.well-known/cleantrack-audit-key").map(|u| u.to_string()).unwrap_or_default();
    doc.paragraph(
        0.0,
        Font::Regular,
        9.0,
        &format!("Audit signing key (Ed25519), key id {}: {}, published at {url}", key.key_id(), key.public_hex()),
    )?;
    match checkpoint {
        Some(c) => doc.paragraph(
            0.0,
            Font::Regular,
            9.0,
            &format!(
                "Latest signed checkpoint: event {} with hash {}, signed {} with signature (spaces only for reading) {}",
                c.seq,
                c.hash,
                c.signed_at,
                c.signature.as_bytes().chunks(32).map(|g| String::from_utf8_lossy(g)).collect::<Vec<_>>().join(" ")
            ),
        ),
        None => doc.line(0.0, Font::Regular, 9.0, "No signed checkpoint yet."),
    }
}

fn audit_section<W: Write>(doc: &mut Layout<W>, chain: &ChainCheck) -> std::io::Result<()> {
    doc.line(0.0, Font::Bold, 13.0, "Audit trail")?;
    match chain {
        ChainCheck::Verified { events, last_hash, signed_through } => {
            doc.line(
                0.0,
                Font::Regular,
                10.5,
                &format!("Verified: all {events} events of the trail link and hash correctly."),
            )?;
            doc.line(
                0.0,
                Font::Regular,
                10.5,
                &format!("Of them, {}.", crate::model::audit::signed_words(*signed_through)),
            )?;
            doc.line(
                0.0,
                Font::Regular,
                9.0,
                &format!("Hash of the last event: {}", last_hash.as_deref().unwrap_or("none")),
            )?;
        }
        ChainCheck::Broken { seq, reason } => {
            doc.paragraph(0.0, Font::Bold, 10.5, &format!("NOT VERIFIED: event {seq} breaks the chain: {reason}."))?;
        }
        ChainCheck::RecordAltered { record, .. } => {
            doc.paragraph(
                0.0,
                Font::Bold,
                10.5,
                &format!("NOT VERIFIED: {record} no longer matches the hash sealed with its signature."),
            )?;
        }
    }
    Ok(())
}

/// How the log counted toward compliance, in words.
fn counted_as(row: &LogRow) -> String {
    let due = row.due_at.as_deref().unwrap_or("-");
    match row.counted_as.as_str() {
        "on_time" => format!("Compliance: on time (due {due})"),
        "late_entry" => format!("Compliance: entered late, performed by the due time {due}"),
        "pending" => format!("Compliance: awaiting the verification its protocol requires (due {due})"),
        "late" => format!("Compliance: late (was due {due})"),
        "failed" => "Compliance: not counted (failed)".into(),
        "corrected" => "Compliance: not counted (its correction counts instead)".into(),
        _ => "Compliance: not counted (no schedule at the time)".into(),
    }
}

fn schedule_line(due: &DueStatus) -> String {
    let schedule = due.schedule.as_ref().map_or_else(|| "no schedule".to_owned(), |s| s.describe());
    let last = due.last_cleaned.as_deref().unwrap_or("never");
    match (&due.next_due, due.overdue) {
        (Some(next), true) => format!("Schedule: {schedule} · last cleaned {last} · OVERDUE since {next}"),
        (Some(next), false) => format!("Schedule: {schedule} · last cleaned {last} · next due {next}"),
        (None, _) => format!("Schedule: {schedule} · last cleaned {last}"),
    }
}

async fn log_entry<W: Write>(doc: &mut Layout<W>, state: &AppState, row: &LogRow) -> Result<(), AppError> {
    doc.gap(4.0);
    doc.ensure(48.0)?;
    let protocol = match (&row.protocol, row.protocol_version) {
        (Some(name), Some(v)) => format!("{name} v{v}"),
        _ => "no protocol".into(),
    };
    let outcome = row.outcome.label();
    let head = format!(
        "{} ({})  {outcome}  {protocol}  checklist {}/{}",
        row.performed_local, row.time_zone, row.steps_done, row.steps_total
    );
    doc.line(12.0, Font::Bold, 10.0, &head)?;
    doc.paragraph(
        24.0,
        Font::Regular,
        9.0,
        &format!(
            "Signed by {} (meaning: {}) at {} (server time), {}; performed {} (device time)",
            row.signer_name,
            row.signature_meaning,
            row.received_at,
            signed_with_label(row.signed_with.as_deref()),
            row.performed_at
        ),
    )?;
    match (&row.verified_by, &row.verified_at) {
        (Some(name), Some(at)) => {
            let meaning = row.verification_meaning.as_deref().unwrap_or("verified");
            let how = signed_with_label(row.verification_signed_with.as_deref());
            doc.paragraph(
                24.0,
                Font::Regular,
                9.0,
                &format!("Verified by {name} (meaning: {meaning}) at {at} (server time), {how}"),
            )?;
        }
        _ => doc.line(24.0, Font::Regular, 9.0, "Not verified")?,
    }
    // Readings, remarks, N/A and failed steps, as signed (plain ticks are in the count above).
    for step in
        row.checklist.iter().filter(|e| e.reading.is_some() || e.text.is_some() || e.result() != StepResult::Pass)
    {
        doc.paragraph(24.0, Font::Regular, 9.0, &step.describe())?;
    }
    if let (Some(lot), Some(expiry)) = (&row.product_lot, &row.product_expiry) {
        doc.line(24.0, Font::Regular, 9.0, &format!("Disinfectant lot {lot}, expires {expiry}"))?;
    }
    if let Some(s) = row.contact_seconds {
        doc.line(24.0, Font::Regular, 9.0, &format!("Wet contact {}:{:02} min before signing", s / 60, s % 60))?;
    }
    if let (Some(original), Some(reason)) = (&row.amends, &row.amendment_reason) {
        doc.paragraph(24.0, Font::Regular, 9.0, &format!("Amends log {original}. Reason: {reason}"))?;
    }
    for later in &row.amended_by {
        doc.line(24.0, Font::Bold, 9.0, &format!("Amended by log {later} (below)"))?;
    }
    if row.entered_offline {
        doc.line(
            24.0,
            Font::Bold,
            9.0,
            &format!("Entered offline: captured {}, synced {}", row.performed_at, row.received_at),
        )?;
    } else if row.late_entry {
        let reason = row.late_entry_reason.as_deref().unwrap_or("-");
        doc.paragraph(
            24.0,
            Font::Bold,
            9.0,
            &format!("LATE ENTRY: performed {}, recorded {}. Reason: {reason}", row.performed_at, row.received_at),
        )?;
    }
    if let Some(reason) = &row.no_protocol_reason {
        doc.paragraph(24.0, Font::Regular, 9.0, &format!("Signed without a protocol. Reason: {reason}"))?;
    }
    if !row.notes.is_empty() {
        doc.paragraph(24.0, Font::Regular, 9.0, &format!("Notes: {}", row.notes))?;
    }
    doc.line(24.0, Font::Regular, 9.0, &counted_as(row))?;
    doc.line(24.0, Font::Regular, 7.5, &format!("Log {}", row.id))?;
    if !row.thumb_keys.is_empty() {
        let mut thumbs = Vec::new();
        for key in row.thumb_keys.iter().take(THUMBS_PER_LOG) {
            match state.storage.get(key).await {
                Ok(Some(bytes)) => thumbs.extend(Jpeg::read(bytes)),
                Ok(None) => tracing::error!(key, "a thumbnail named in the report is missing"),
                Err(err) => return Err(AppError::from(err)),
            }
        }
        doc.thumbnails(24.0, 54.0, &thumbs)?;
        for hash in &row.photo_sha256 {
            doc.line(24.0, Font::Regular, 7.0, &format!("Photo SHA-256 {hash}"))?;
        }
    }
    Ok(())
}
