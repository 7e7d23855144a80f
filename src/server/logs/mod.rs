//! Cleaning logs: record (the performer's signature), verify (a second person's signature),
//! amend (a new log pointing at the original, with a reason). Nothing is ever changed.

pub mod reviews;
pub mod signatures;

use std::collections::BTreeMap;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, LogId, PhotoId, UserId};
use crate::model::logs::{CleaningLog, Outcome, Signature};
use crate::model::role::Action;
use crate::server::auth::TenantTx;
use crate::server::logs::signatures::Signer;

pub struct LogForm {
    pub outcome: String,
    pub notes: String,
    /// RFC 3339 from the device; the server's clock when absent (no JavaScript).
    pub performed_at: Option<String>,
    /// Ticked steps: form keys are the step numbers (0-based).
    pub done: BTreeMap<String, String>,
    /// Photos uploaded for this cleaning (`POST /photos`), attached as it is signed.
    pub photos: Vec<PhotoId>,
    /// The form's one-time key: a second submission with it returns the first log.
    pub submission_key: Option<uuid::Uuid>,
    /// Why the cleaning is signed without a protocol: required when the equipment has none,
    /// ignored when it has one.
    pub no_protocol_reason: Option<String>,
    /// When the cleaning was performed, as people on site read it ("2026-12-01T14:05", in the
    /// facility's time zone), for a cleaning recorded after the fact; overrides `performed_at`.
    pub performed_local: Option<String>,
    /// Why a cleaning performed more than the organization's window ago is recorded only now.
    pub late_entry_reason: Option<String>,
    /// Signed on a phone without a connection and sent when it returned: `performed_at` is the
    /// phone's capture time, and the log is marked so wherever it appears (no late-entry reason
    /// is asked; the mark is the explanation).
    pub entered_offline: bool,
}

/// The equipment's protocol as it is now: what a new log follows.
struct Current {
    protocol: Option<(uuid::Uuid, i32)>,
    steps: Vec<String>,
    photo_required: bool,
    /// The facility's time zone, and the organization's late-entry window in minutes.
    time_zone: String,
    late_entry_minutes: i32,
}

async fn current(tx: &mut TenantTx, equipment: EquipmentId) -> Result<Current, AppError> {
    let org = tx.ctx().org_id();
    let row = sqlx::query!("SELECT p.id AS \"id?: uuid::Uuid\", p.current_version AS \"current_version?: i32\", v.steps AS \"steps?: sqlx::types::Json<Vec<String>>\", v.photo_required AS \"photo_required?: bool\", f.time_zone AS \"time_zone!: String\", o.late_entry_minutes AS \"late_entry_minutes!: i32\" \
         FROM equipment e \
         JOIN organizations o ON o.id = e.org_id \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         LEFT JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id \
         LEFT JOIN protocol_versions v ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version \
         WHERE e.org_id = $1 AND e.id = $2 AND e.status = 'active'", org as _, equipment as _).map(|r| (r.id, r.current_version, r.steps, r.photo_required, r.time_zone, r.late_entry_minutes))
    .fetch_optional(tx.conn())
    .await?;
    let Some((id, version, steps, photo_required, time_zone, late_entry_minutes)) = row else {
        return Err(not_active(tx, equipment).await);
    };
    Ok(Current {
        protocol: id.zip(version),
        steps: steps.map(|s| s.0).unwrap_or_default(),
        photo_required: photo_required.unwrap_or(false),
        time_zone,
        late_entry_minutes,
    })
}

/// Why a piece of equipment takes no new log: retired (said plainly, since a phone may send a
/// cleaning queued before the retirement), or not there at all.
async fn not_active(tx: &mut TenantTx, equipment: EquipmentId) -> AppError {
    let retired = sqlx::query_scalar!(
        "SELECT name FROM equipment WHERE org_id = $1 AND id = $2 AND status = 'retired'",
        tx.ctx().org_id() as _,
        equipment as _
    )
    .fetch_optional(tx.conn())
    .await;
    match retired {
        Ok(Some(name)) => AppError::Conflict(format!(
            "{name} was retired, so this cleaning was not recorded. If it was cleaned before it was retired, \
             ask a supervisor to note it."
        )),
        Ok(None) => AppError::NotFound,
        Err(err) => err.into(),
    }
}

/// What a correction names: the original log, why, and when the original cleaning happened.
struct Amends {
    original: LogId,
    reason: String,
    performed_at: String,
}

async fn insert(
    tx: &mut TenantTx,
    equipment: EquipmentId,
    form: &LogForm,
    signer: &Signer,
    amends: Option<Amends>,
) -> Result<LogId, AppError> {
    if let Some(key) = form.submission_key {
        if let Some(first) = already_signed(tx, key, equipment).await? {
            return Ok(first);
        }
    }
    let now = current(tx, equipment).await?;
    let outcome =
        Outcome::parse(&form.outcome).ok_or_else(|| AppError::Invalid("Choose the outcome: pass or fail.".into()))?;
    let notes = form.notes.trim().to_owned();
    if notes.chars().count() > 2000 {
        return Err(AppError::Invalid("Keep notes under 2000 characters.".into()));
    }
    let no_protocol_reason = match now.protocol {
        Some(_) => None,
        None => {
            let reason = form.no_protocol_reason.as_deref().unwrap_or_default().trim();
            if reason.is_empty() {
                return Err(AppError::Invalid(
                    "This equipment has no cleaning protocol: say why you are signing without one, \
                     or ask an admin to assign one."
                        .into(),
                ));
            }
            if reason.chars().count() > 500 {
                return Err(AppError::Invalid("Keep the reason for no protocol under 500 characters.".into()));
            }
            Some(reason.to_owned())
        }
    };
    let done: Vec<bool> = (0..now.steps.len()).map(|i| form.done.contains_key(&i.to_string())).collect();
    if outcome == Outcome::Pass && done.iter().any(|d| !d) {
        return Err(AppError::Invalid(
            "Tick every step of the protocol, or record the cleaning as failed and say why.".into(),
        ));
    }
    if outcome == Outcome::Fail && notes.is_empty() {
        return Err(AppError::Invalid("Say in the notes what went wrong.".into()));
    }
    if now.photo_required && form.photos.is_empty() {
        return Err(AppError::Invalid("This protocol requires a photo: add one before signing.".into()));
    }
    let signed_with = signer.authenticate(tx).await?;
    // A correction is of the cleaning as it happened: its time, unless the correction gives one.
    let given = match form.performed_local.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(local) => Given::Local(local),
        None => match form.performed_at.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(at) => Given::Instant(at),
            None => amends.as_ref().map_or(Given::Now, |a| Given::Instant(a.performed_at.as_str())),
        },
    };
    let performed = performed_at(tx, given, &now).await?;
    if form.entered_offline && (performed.at.is_none() || amends.is_some()) {
        return Err(AppError::Invalid("A cleaning entered offline carries the time it was captured.".into()));
    }
    let late_entry_reason = match (&performed, &amends) {
        (Performed { late: true, .. }, None) if !form.entered_offline => {
            let reason = form.late_entry_reason.as_deref().unwrap_or_default().trim();
            if reason.is_empty() {
                return Err(AppError::Invalid(format!(
                    "This cleaning was performed more than {} minutes ago: say why it is recorded only now.",
                    now.late_entry_minutes
                )));
            }
            if reason.chars().count() > 500 {
                return Err(AppError::Invalid("Keep the reason for the late entry under 500 characters.".into()));
            }
            Some(reason.to_owned())
        }
        _ => None,
    };
    let performed_at = performed.at;
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let checklist: Vec<serde_json::Value> =
        now.steps.iter().zip(&done).map(|(step, done)| serde_json::json!({ "step": step, "done": done })).collect();
    let id = LogId::new();
    sqlx::query!("INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                performed_at, checklist, outcome, notes, amends, amendment_reason, submission_key, no_protocol_reason, \
                late_entry_reason, signed_with, entered_offline) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT legal_name FROM users WHERE id = $6), coalesce($7::timestamptz, now()), \
                 $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)", id as _, org as _, equipment as _, now.protocol.map(|p| p.0), now.protocol.map(|p| p.1), user as _, &performed_at as _, serde_json::Value::Array(checklist), outcome as _, &notes, amends.as_ref().map(|a| a.original) as _, amends.map(|a| a.reason), form.submission_key, no_protocol_reason, late_entry_reason, signed_with.as_str(), form.entered_offline)
    .execute(tx.conn())
    .await?;
    crate::server::photos::attach(tx, id, equipment, &form.photos).await?;
    Ok(id)
}

/// The log an earlier submission with `key` recorded, if any. Submissions with one key wait for
/// each other (a transaction-scoped lock on the key), so two taps at once still make one log.
/// A key is the signer's own, for one piece of equipment: anything else is a conflict.
async fn already_signed(tx: &mut TenantTx, key: uuid::Uuid, equipment: EquipmentId) -> Result<Option<LogId>, AppError> {
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", format!("{org}/{key}"))
        .execute(tx.conn())
        .await?;
    let first: Option<(LogId, EquipmentId, UserId)> = sqlx::query!("SELECT id AS \"id!: LogId\", equipment_id AS \"equipment_id!: EquipmentId\", performed_by AS \"performed_by!: UserId\" FROM cleaning_logs WHERE org_id = $1 AND submission_key = $2", org as _, key).map(|r| (r.id, r.equipment_id, r.performed_by))
    .fetch_optional(tx.conn())
    .await?;
    match first {
        Some((id, e, by)) if e == equipment && by == user => Ok(Some(id)),
        Some(_) => Err(AppError::Conflict("This form was already used for another signing. Reload the page.".into())),
        None => Ok(None),
    }
}

/// The time a form gives for the cleaning.
enum Given<'a> {
    /// None: now, by the database's clock.
    Now,
    /// An instant (RFC 3339, from the device's clock).
    Instant(&'a str),
    /// A wall-clock time in the facility's zone, as a person typed it.
    Local(&'a str),
}

/// When the cleaning was performed (`None`: now, by the database's clock, as the insert says) and
/// whether that is more than the organization's window before now (a late entry; the database
/// marks it so too, from the same times).
struct Performed {
    at: Option<String>,
    late: bool,
}

/// Checks the given time: a time, and not in the future (10 minutes of clock skew allowed).
async fn performed_at(tx: &mut TenantTx, given: Given<'_>, now: &Current) -> Result<Performed, AppError> {
    let (raw, local) = match given {
        Given::Now => return Ok(Performed { at: None, late: false }),
        Given::Instant(raw) => (raw, false),
        Given::Local(raw) => (raw, true),
    };
    let checked: Result<(String, bool, bool), _> = sqlx::query!("WITH t AS (SELECT CASE WHEN $2 THEN $1::timestamp AT TIME ZONE $3 ELSE $1::timestamptz END AS at) \
         SELECT at::text AS \"at!: String\", at > now() + interval '10 minutes' AS \"in_future!: bool\", at < now() - make_interval(mins => $4) AS \"late!: bool\" FROM t", raw as _, local, &now.time_zone, now.late_entry_minutes).map(|r| (r.at, r.in_future, r.late))
    .fetch_one(tx.conn())
    .await;
    match checked {
        Ok((_, true, _)) => Err(AppError::Invalid("The cleaning time is in the future: check the time given.".into())),
        Ok((at, false, late)) => Ok(Performed { at: Some(at), late }),
        Err(_) => Err(AppError::Invalid(format!("`{raw}` is not a date and time."))),
    }
}

pub async fn record(
    tx: &mut TenantTx,
    equipment: EquipmentId,
    form: &LogForm,
    signer: &Signer,
) -> Result<LogId, AppError> {
    tx.ctx().require(Action::LogCleaning)?;
    insert(tx, equipment, form, signer, None).await
}

/// Records a correction of `original`: a new log on the same equipment that names it and why.
pub async fn amend(
    tx: &mut TenantTx,
    original: LogId,
    reason: &str,
    form: &LogForm,
    signer: &Signer,
) -> Result<LogId, AppError> {
    tx.ctx().require(Action::LogCleaning)?;
    let org = tx.ctx().org_id();
    let found: Option<(EquipmentId, String)> = sqlx::query!("SELECT equipment_id AS \"equipment_id!: EquipmentId\", to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"performed_at!: String\" \
         FROM cleaning_logs WHERE org_id = $1 AND id = $2", org as _, original as _).map(|r| (r.equipment_id, r.performed_at))
    .fetch_optional(tx.conn())
    .await?;
    let (equipment, performed_at) = found.ok_or(AppError::NotFound)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid("Give the reason for the correction.".into()));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Invalid("Keep the reason under 500 characters.".into()));
    }
    insert(tx, equipment, form, signer, Some(Amends { original, reason: reason.to_owned(), performed_at })).await
}

/// The second signature. Nobody verifies their own log (the database refuses it too).
pub async fn verify(tx: &mut TenantTx, log: LogId, signer: &Signer) -> Result<(), AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let performer: Option<(UserId, bool)> = sqlx::query!("SELECT performed_by AS \"performed_by!: UserId\", EXISTS (SELECT 1 FROM verifications v WHERE v.org_id = l.org_id AND v.log_id = l.id) AS \"verified!: bool\" \
         FROM cleaning_logs l WHERE l.org_id = $1 AND l.id = $2 FOR UPDATE", org as _, log as _).map(|r| (r.performed_by, r.verified))
    .fetch_optional(tx.conn())
    .await?;
    match performer {
        None => Err(AppError::NotFound),
        Some((performer, _)) if performer == user => {
            Err(AppError::Forbidden("You cannot verify a cleaning you performed.".into()))
        }
        Some((_, true)) => Err(AppError::Conflict("This cleaning is already verified.".into())),
        Some(_) => {
            let signed_with = signer.authenticate(tx).await?;
            sqlx::query!(
                "INSERT INTO verifications (org_id, log_id, verified_by, signer_name, signed_with) \
                 VALUES ($1, $2, $3, (SELECT legal_name FROM users WHERE id = $3), $4)",
                org as _,
                log as _,
                user as _,
                signed_with.as_str()
            )
            .execute(tx.conn())
            .await?;
            Ok(())
        }
    }
}

/// A log as `app.equipment_history` writes it (JSON), for the equipment's history here and on
/// the sticker page (`stickers::scanned`).
#[derive(serde::Deserialize)]
pub(super) struct HistoryRow {
    id: LogId,
    outcome: Outcome,
    notes: String,
    checklist: Vec<ChecklistItem>,
    protocol: Option<String>,
    performer: UserId,
    performed_by: String,
    performed_at: String,
    received_at: String,
    signature_meaning: String,
    signed_with: Option<String>,
    verified_by: Option<String>,
    verified_at: Option<String>,
    verification_meaning: Option<String>,
    verification_signed_with: Option<String>,
    amends: Option<LogId>,
    amendment_reason: Option<String>,
    amended_by: Vec<LogId>,
    photos: Vec<PhotoId>,
    no_protocol_reason: Option<String>,
    late_entry: bool,
    late_entry_reason: Option<String>,
    entered_offline: bool,
    verification_required: bool,
}

/// One step of a log's checklist as stored (see `insert`).
#[derive(serde::Deserialize)]
struct ChecklistItem {
    step: String,
    done: bool,
}

/// The latest `limit` (at most 200) logs of a piece of equipment, newest first, with signatures
/// and amendments. Times are in the facility's zone (`app.local_time`), as people read them.
pub async fn history(tx: &mut TenantTx, equipment: EquipmentId, limit: i64) -> Result<Vec<CleaningLog>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let rows: sqlx::types::Json<Vec<HistoryRow>> = sqlx::query_scalar!(
        r#"SELECT app.equipment_history($1, $2, $3) AS "history!: sqlx::types::Json<Vec<HistoryRow>>""#,
        org as _,
        equipment as _,
        limit.clamp(1, 200) as i32
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(rows.0.into_iter().map(HistoryRow::into_log).collect())
}

impl HistoryRow {
    pub(super) fn into_log(self) -> CleaningLog {
        let r = self;
        CleaningLog {
            id: r.id,
            outcome: r.outcome,
            notes: r.notes,
            checklist: r.checklist.into_iter().map(|i| (i.step, i.done)).collect(),
            protocol: r.protocol,
            performer: r.performer,
            signature: Signature {
                name: r.performed_by.clone(),
                meaning: r.signature_meaning,
                at: r.received_at.clone(),
                signed_with: r.signed_with,
            },
            performed_by: r.performed_by,
            performed_at: r.performed_at,
            received_at: r.received_at,
            verified: r.verified_by.zip(r.verified_at).map(|(name, at)| Signature {
                name,
                meaning: r.verification_meaning.unwrap_or_default(),
                at,
                signed_with: r.verification_signed_with,
            }),
            amends: r.amends,
            amendment_reason: r.amendment_reason,
            amended_by: r.amended_by,
            photos: r.photos,
            no_protocol_reason: r.no_protocol_reason,
            late_entry: r.late_entry,
            late_entry_reason: r.late_entry_reason,
            entered_offline: r.entered_offline,
            verification_required: r.verification_required,
        }
    }
}
