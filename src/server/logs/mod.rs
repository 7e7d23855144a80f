//! Cleaning logs: record (the performer's signature), verify (a second person's signature),
//! amend (a new log pointing at the original, with a reason). Nothing is ever changed.

pub mod checklist;
pub mod reviews;
pub mod signatures;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, LogId, PhotoId, UserId};
use crate::model::logs::{ChecklistEntry, CleaningLog, Outcome, Signature};
use crate::model::protocols::Step;
use crate::model::role::Action;
use crate::server::auth::TenantTx;
use crate::server::logs::signatures::Signer;

pub struct LogForm {
    pub outcome: String,
    pub notes: String,
    /// RFC 3339 from the device; the server's clock when absent (no JavaScript).
    pub performed_at: Option<String>,
    /// The checklist's answers, keyed by step number.
    pub answers: checklist::Answers,
    /// The disinfectant's lot and expiry date (YYYY-MM-DD), asked when the protocol says so.
    pub product_lot: Option<String>,
    pub product_expiry: Option<String>,
    /// When the disinfectant was applied, as a time of day in the facility's zone ("14:03:20"):
    /// the phone's contact timer sets it; without JavaScript the signer types it.
    pub applied_at: Option<String>,
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
    steps: Vec<Step>,
    photo_required: bool,
    contact_minutes: i32,
    contact_timed: bool,
    product_lot_required: bool,
    /// The facility's time zone, and the organization's late-entry window in minutes.
    time_zone: String,
    late_entry_minutes: i32,
}

async fn current(tx: &mut TenantTx, equipment: EquipmentId) -> Result<Current, AppError> {
    let org = tx.ctx().org_id();
    let row = sqlx::query!("SELECT p.id AS \"id?: uuid::Uuid\", p.current_version AS \"current_version?: i32\", v.steps AS \"steps?: sqlx::types::Json<Vec<Step>>\", v.photo_required AS \"photo_required?: bool\", f.time_zone AS \"time_zone!: String\", o.late_entry_minutes AS \"late_entry_minutes!: i32\", \
                v.contact_time_minutes AS \"contact_minutes?: i32\", v.contact_timed AS \"contact_timed?: bool\", v.product_lot_required AS \"product_lot_required?: bool\" \
         FROM equipment e \
         JOIN organizations o ON o.id = e.org_id \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         LEFT JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id \
         LEFT JOIN protocol_versions v ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version \
         WHERE e.org_id = $1 AND e.id = $2 AND e.status = 'active'", org as _, equipment as _)
    .fetch_optional(tx.conn())
    .await?;
    let Some(r) = row else {
        return Err(not_active(tx, equipment).await);
    };
    Ok(Current {
        protocol: r.id.zip(r.current_version),
        steps: r.steps.map(|s| s.0).unwrap_or_default(),
        photo_required: r.photo_required.unwrap_or(false),
        contact_minutes: r.contact_minutes.unwrap_or(0),
        contact_timed: r.contact_timed.unwrap_or(false),
        product_lot_required: r.product_lot_required.unwrap_or(false),
        time_zone: r.time_zone,
        late_entry_minutes: r.late_entry_minutes,
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
    let chosen =
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
    let checked = checklist::check(&now.steps, &form.answers)?;
    if chosen == Outcome::Pass && checked.unanswered > 0 {
        return Err(AppError::Invalid(
            "Tick every step of the protocol (or mark it not applicable and say why), or record the cleaning \
             as failed and say why."
                .into(),
        ));
    }
    // A reading outside its range fails the log whatever was chosen; the reading says why.
    let outcome = checked.outcome(chosen);
    if outcome == Outcome::Fail && notes.is_empty() && checked.out_of_range.is_empty() {
        return Err(AppError::Invalid("Say in the notes what went wrong.".into()));
    }
    if now.photo_required && form.photos.is_empty() {
        return Err(AppError::Invalid("This protocol requires a photo: add one before signing.".into()));
    }
    let product = product(form, now.product_lot_required && amends.is_none())?;
    // A correction is written after the fact: there is no contact to time then.
    let timed = now.contact_timed && now.contact_minutes > 0 && amends.is_none();
    let applied = parse_time_of_day(form.applied_at.as_deref())?;
    if timed && outcome == Outcome::Pass && applied.is_none() {
        return Err(AppError::Invalid(format!(
            "Start the contact timer when you apply the disinfectant ({} of wet contact), or give the time it \
             was applied.",
            minutes(now.contact_minutes)
        )));
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
    let timing = on_the_day(tx, performed_at.as_deref(), &now.time_zone, applied.as_deref(), product.as_ref()).await?;
    if let (Some((lot, expiry)), true) = (&product, timing.expired) {
        return Err(AppError::Invalid(format!(
            "Lot {lot} expired on {expiry}: use an in-date lot and record that one."
        )));
    }
    let contact = applied.as_ref().zip(timing.contact_seconds);
    if let (true, Outcome::Pass, Some((at, seconds))) = (timed, outcome, contact) {
        let needed = now.contact_minutes * 60;
        if seconds < needed {
            return Err(AppError::Invalid(format!(
                "The disinfectant needs {} of wet contact; {}:{:02} have passed since it was applied at {at}. \
                 Sign when the timer ends.",
                minutes(now.contact_minutes),
                seconds / 60,
                seconds % 60
            )));
        }
    }
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let id = LogId::new();
    sqlx::query!("INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                performed_at, checklist, outcome, notes, amends, amendment_reason, submission_key, no_protocol_reason, \
                late_entry_reason, signed_with, entered_offline, product_lot, product_expiry, contact_started_at, contact_seconds) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT legal_name FROM users WHERE id = $6), coalesce($7::timestamptz, now()), \
                 $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::text::date, $20::text::timestamptz, $21)", id as _, org as _, equipment as _, now.protocol.map(|p| p.0), now.protocol.map(|p| p.1), user as _, &performed_at as _, sqlx::types::Json(&checked.entries) as sqlx::types::Json<&Vec<ChecklistEntry>>, outcome as _, &notes, amends.as_ref().map(|a| a.original) as _, amends.map(|a| a.reason), form.submission_key, no_protocol_reason, late_entry_reason, signed_with.as_str(), form.entered_offline, product.as_ref().map(|p| p.0.as_str()), product.as_ref().map(|p| p.1.as_str()), contact.map(|_| timing.contact_started_at.clone()).flatten(), contact.map(|c| c.1))
    .execute(tx.conn())
    .await?;
    if outcome == Outcome::Fail {
        crate::server::corrective_actions::open_for_failed_log(tx, id, equipment, &checked.out_of_range, &notes)
            .await?;
    }
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

/// "1 minute", "5 minutes".
fn minutes(n: i32) -> String {
    format!("{n} minute{}", if n == 1 { "" } else { "s" })
}

/// The product's lot and expiry, both or neither; `required` when the protocol asks for them.
fn product(form: &LogForm, required: bool) -> Result<Option<(String, String)>, AppError> {
    let lot = form.product_lot.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let expiry = form.product_expiry.as_deref().map(str::trim).filter(|e| !e.is_empty());
    match (lot, expiry) {
        (None, None) if required => {
            Err(AppError::Invalid("Record the disinfectant's lot number and expiry date (on the bottle).".into()))
        }
        (None, None) => Ok(None),
        (None, Some(_)) => Err(AppError::Invalid("Give the lot number with the expiry date.".into())),
        (Some(_), None) => Err(AppError::Invalid("Give the expiry date with the lot number.".into())),
        (Some(lot), Some(expiry)) => {
            if lot.chars().count() > 60 || lot.chars().any(char::is_control) {
                return Err(AppError::Invalid("A lot number is one line of at most 60 characters.".into()));
            }
            time::Date::parse(expiry, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| AppError::Invalid(format!("`{expiry}` is not a date (YYYY-MM-DD).")))?;
            Ok(Some((lot.to_owned(), expiry.to_owned())))
        }
    }
}

/// A time of day as a phone or a person gives it: "14:03" or "14:03:20".
fn parse_time_of_day(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let with_seconds = time::macros::format_description!("[hour]:[minute]:[second]");
    let without = time::macros::format_description!("[hour]:[minute]");
    time::Time::parse(raw, with_seconds)
        .or_else(|_| time::Time::parse(raw, without))
        .map(|_| Some(raw.to_owned()))
        .map_err(|_| AppError::Invalid(format!("`{raw}` is not a time of day (HH:MM).")))
}

/// Read on the day of the cleaning, in the facility's zone: whether the product's lot had expired,
/// and when the disinfectant went on (the last time that time of day came before the signing)
/// with the seconds since.
struct OnTheDay {
    expired: bool,
    contact_started_at: Option<String>,
    contact_seconds: Option<i32>,
}

async fn on_the_day(
    tx: &mut TenantTx,
    performed_at: Option<&str>,
    time_zone: &str,
    applied: Option<&str>,
    product: Option<&(String, String)>,
) -> Result<OnTheDay, AppError> {
    if applied.is_none() && product.is_none() {
        return Ok(OnTheDay { expired: false, contact_started_at: None, contact_seconds: None });
    }
    let row = sqlx::query!(
        r#"WITH p AS (SELECT coalesce($1::text::timestamptz, now()) AS at),
                d AS (SELECT p.at, (((p.at AT TIME ZONE $2)::date + $3::text::time) AT TIME ZONE $2) AS same_day FROM p),
                s AS (SELECT d.at, CASE WHEN d.same_day > d.at THEN d.same_day - interval '1 day' ELSE d.same_day END AS started FROM d)
           SELECT coalesce($4::text::date < (s.at AT TIME ZONE $2)::date, false) AS "expired!",
                  s.started::text AS "started?", extract(epoch FROM s.at - s.started)::int AS "seconds?"
           FROM s"#,
        performed_at,
        time_zone,
        applied,
        product.map(|p| p.1.as_str())
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(OnTheDay { expired: row.expired, contact_started_at: row.started, contact_seconds: row.seconds })
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
    checklist: Vec<ChecklistEntry>,
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
    product_lot: Option<String>,
    product_expiry: Option<String>,
    contact_seconds: Option<i32>,
    corrective_action: Option<String>,
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
            checklist: r.checklist,
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
            product_lot: r.product_lot,
            product_expiry: r.product_expiry,
            contact_seconds: r.contact_seconds,
            corrective_action: r.corrective_action,
        }
    }
}
