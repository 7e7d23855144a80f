//! Corrective actions: open (by the server for a failed log, or by a supervisor from any log),
//! assign, close with a re-clean or a signed override, list. The database keeps what was opened
//! unchanged, a closed action closed, and checks that a re-clean is a passing log of the same
//! equipment after the failure (`app.guard_corrective_action`).

use crate::model::corrective_actions::{
    ActionCounts, ActionList, Closure, CorrectiveAction, ProblemReport, Reclean, Show,
};
use crate::model::error::{refused_as, AppError, Refusal};
use crate::model::ids::{CorrectiveActionId, EquipmentId, FacilityId, LogId, ProblemReportId, UserId};
use crate::model::logs::Signature;
use crate::model::role::Action;
use crate::server::auth::TenantTx;
use crate::server::logs::signatures::Signer;

/// How long a failed cleaning's action has before it is overdue, unless a supervisor sets a day.
const AUTOMATIC_DUE_HOURS: i32 = 24;

/// Opens the action for a failed log as it is signed (same transaction). A retried signing finds
/// the first (`corrective_actions_automatic_key`).
pub async fn open_for_failed_log(
    tx: &mut TenantTx,
    log: LogId,
    equipment: EquipmentId,
    out_of_range: &[String],
    notes: &str,
) -> Result<(), AppError> {
    let mut description = String::from("Failed cleaning");
    if !out_of_range.is_empty() {
        description.push_str(&format!(": reading out of range ({})", out_of_range.join("; ")));
    }
    if !notes.is_empty() {
        description.push_str(&format!(". Notes: {notes}"));
    }
    let description: String = description.chars().take(2000).collect();
    sqlx::query!(
        "INSERT INTO corrective_actions (id, org_id, equipment_id, log_id, description, due_at) \
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6)) \
         ON CONFLICT (org_id, log_id) WHERE opened_by IS NULL DO NOTHING",
        CorrectiveActionId::new() as _,
        tx.ctx().org_id() as _,
        equipment as _,
        log as _,
        description,
        AUTOMATIC_DUE_HOURS
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn description(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::Invalid("Describe what must be done.".into()));
    }
    if text.chars().count() > 2000 {
        return Err(AppError::Invalid("Keep the description under 2000 characters.".into()));
    }
    Ok(text.to_owned())
}

/// A due day (YYYY-MM-DD, the facility's calendar) as given; it ends at 23:59 there.
fn due_date(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    time::Date::parse(raw, time::macros::format_description!("[year]-[month]-[day]"))
        .map(|_| Some(raw.to_owned()))
        .map_err(|_| AppError::Invalid(format!("`{raw}` is not a date (YYYY-MM-DD).")))
}

/// An owner must be a member here who may record cleanings.
async fn check_owner(tx: &mut TenantTx, owner: Option<UserId>) -> Result<(), AppError> {
    let Some(owner) = owner else { return Ok(()) };
    let ok: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2 \
                        AND role IN ('owner', 'admin', 'supervisor', 'staff')) AS \"v!\"",
        tx.ctx().org_id() as _,
        owner as _
    )
    .fetch_one(tx.conn())
    .await?;
    ok.then_some(())
        .ok_or_else(|| AppError::Invalid("Choose an owner from the people who record cleanings here.".into()))
}

/// What a supervisor opens an action from.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// Any log of the equipment.
    Log(LogId),
    /// A problem reported from its sticker and not yet handled (it is handled by this).
    Problem(ProblemReportId),
}

/// Opens an action (a supervisor's decision): what to do, who, by when (default: a day from now).
pub async fn open(
    tx: &mut TenantTx,
    origin: Origin,
    text: &str,
    owner: Option<UserId>,
    due: Option<&str>,
) -> Result<CorrectiveActionId, AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let text = description(text)?;
    let due = due_date(due)?;
    check_owner(tx, owner).await?;
    let (org, user, id) = (tx.ctx().org_id(), tx.ctx().user_id(), CorrectiveActionId::new());
    let (log, problem) = match origin {
        Origin::Log(log) => (Some(log), None),
        Origin::Problem(problem) => (None, Some(problem)),
    };
    // The equipment is the log's, or the open report's (locked, so it is handled once).
    let equipment: Option<EquipmentId> = sqlx::query_scalar!(
        r#"SELECT equipment_id AS "e!: EquipmentId" FROM cleaning_logs WHERE org_id = $1 AND id = $2
           UNION ALL
           SELECT equipment_id FROM problem_reports
           WHERE org_id = $1 AND id = $3 AND corrective_action_id IS NULL AND dismissed_at IS NULL"#,
        org as _,
        log as _,
        problem as _
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(equipment) = equipment else { return Err(AppError::NotFound) };
    let past = sqlx::query_scalar!(
        r#"INSERT INTO corrective_actions (id, org_id, equipment_id, log_id, opened_by, description, owner_id, due_at)
           SELECT $1, e.org_id, e.id, $4, $5, $6, $7,
                  coalesce(($8::text::date + time '23:59') AT TIME ZONE f.time_zone, now() + make_interval(hours => $9))
           FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE e.org_id = $2 AND e.id = $3
           RETURNING due_at < now() AS "past!""#,
        id as _,
        org as _,
        equipment as _,
        log as _,
        user as _,
        text,
        owner as _,
        due,
        AUTOMATIC_DUE_HOURS
    )
    .fetch_one(tx.conn())
    .await?;
    if past {
        return Err(AppError::Invalid("The due day has passed: choose today or later.".into()));
    }
    if let Some(problem) = problem {
        sqlx::query!(
            "UPDATE problem_reports SET corrective_action_id = $3 WHERE org_id = $1 AND id = $2",
            org as _,
            problem as _,
            id as _
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(id)
}

/// Gives an open action an owner (or none) and a due day (unchanged when absent).
pub async fn assign(
    tx: &mut TenantTx,
    id: CorrectiveActionId,
    owner: Option<UserId>,
    due: Option<&str>,
) -> Result<(), AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let due = due_date(due)?;
    check_owner(tx, owner).await?;
    let org = tx.ctx().org_id();
    let row = sqlx::query!(
        r#"UPDATE corrective_actions a SET owner_id = $3,
                  due_at = coalesce(($4::text::date + time '23:59') AT TIME ZONE f.time_zone, a.due_at)
           FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE a.org_id = $1 AND a.id = $2 AND a.closed_at IS NULL AND e.org_id = a.org_id AND e.id = a.equipment_id
           RETURNING a.due_at < now() AND $4::text IS NOT NULL AS "past!""#,
        org as _,
        id as _,
        owner as _,
        due
    )
    .fetch_optional(tx.conn())
    .await?;
    match row {
        None => Err(closed_or_missing(tx, id).await),
        Some(r) if r.past => Err(AppError::Invalid("The due day has passed: choose today or later.".into())),
        Some(_) => Ok(()),
    }
}

async fn closed_or_missing(tx: &mut TenantTx, id: CorrectiveActionId) -> AppError {
    let closed = sqlx::query_scalar!(
        "SELECT closed_at IS NOT NULL AS \"closed!\" FROM corrective_actions WHERE org_id = $1 AND id = $2",
        tx.ctx().org_id() as _,
        id as _
    )
    .fetch_optional(tx.conn())
    .await;
    match closed {
        Ok(Some(true)) => AppError::Conflict("This corrective action is already closed.".into()),
        Ok(_) => AppError::NotFound,
        Err(err) => err.into(),
    }
}

/// How an action is closed.
pub enum Resolution<'a> {
    /// By a passing cleaning of the same equipment after the failure: the owner or a supervisor.
    Reclean(LogId),
    /// By a supervisor's signed override, with the reason.
    Override { reason: &'a str, signer: &'a Signer },
}

pub async fn close(
    tx: &mut TenantTx,
    id: CorrectiveActionId,
    note: &str,
    resolution: Resolution<'_>,
) -> Result<(), AppError> {
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::Invalid("Say in a note what was done.".into()));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::Invalid("Keep the note under 2000 characters.".into()));
    }
    let owner: Option<Option<UserId>> = sqlx::query_scalar!(
        "SELECT owner_id AS \"owner: UserId\" FROM corrective_actions WHERE org_id = $1 AND id = $2 AND closed_at IS NULL FOR UPDATE",
        org as _,
        id as _
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(owner) = owner else { return Err(closed_or_missing(tx, id).await) };
    let (reclean, reason, signature) = match resolution {
        Resolution::Reclean(log) => {
            if owner != Some(user) {
                tx.ctx().require(Action::VerifyLogs)?;
            }
            (Some(log), None, None)
        }
        Resolution::Override { reason, signer } => {
            tx.ctx().require(Action::VerifyLogs)?;
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(AppError::Invalid("An override needs the reason it is closed without a re-clean.".into()));
            }
            if reason.chars().count() > 500 {
                return Err(AppError::Invalid("Keep the reason under 500 characters.".into()));
            }
            let signed_with = signer.authenticate(tx).await?;
            (None, Some(reason.to_owned()), Some(signed_with.as_str()))
        }
    };
    sqlx::query!(
        "UPDATE corrective_actions SET closed_at = now(), closed_by = $3, closing_note = $4, reclean_log_id = $5, \
                override_reason = $6, override_signed_with = $7, \
                override_signer_name = CASE WHEN $6::text IS NULL THEN NULL ELSE (SELECT legal_name FROM users WHERE id = $3) END \
         WHERE org_id = $1 AND id = $2",
        org as _,
        id as _,
        user as _,
        note,
        reclean as _,
        reason,
        signature
    )
    .execute(tx.conn())
    .await
    .map_err(|err| {
        let refused = AppError::Invalid(
            "That cleaning cannot close this action: choose a passing cleaning of the same equipment recorded \
             after the failure."
                .into(),
        );
        // A log of another organization is invisible to the guard, so it is refused the same way.
        refused_as(err, Refusal::Constraint("corrective_actions_reclean"), refused)
    })?;
    Ok(())
}

/// Open and overdue actions (the dashboard's and the list's counts), in a facility or all.
pub async fn counts(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<ActionCounts, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let row = sqlx::query!(
        r#"SELECT count(*) AS "open!", count(*) FILTER (WHERE a.due_at < now()) AS "overdue!"
           FROM corrective_actions a JOIN equipment e ON e.org_id = a.org_id AND e.id = a.equipment_id
           WHERE a.org_id = $1 AND a.closed_at IS NULL AND ($2::uuid IS NULL OR e.facility_id = $2)"#,
        tx.ctx().org_id() as _,
        facility as _
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(ActionCounts { open: row.open, overdue: row.overdue })
}

/// An action as `list` reads it: one row, its re-clean choices as JSON.
#[derive(Debug, serde::Deserialize)]
struct RecleanRow {
    log_id: LogId,
    performed_at: String,
    signer: String,
}

/// The actions `show` selects (oldest due first when open, latest closed first otherwise), with
/// the counts and what the forms need. At most 500 rows; the CSV holds them all.
pub async fn list(tx: &mut TenantTx, show: Show, facility: Option<FacilityId>) -> Result<ActionList, AppError> {
    let counts = counts(tx, facility).await?;
    let items = rows(tx, show, facility, 500).await?;
    let org = tx.ctx().org_id();
    let owners = sqlx::query!(
        "SELECT m.user_id AS \"id!: UserId\", u.legal_name AS \"name!\" FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.role IN ('owner', 'admin', 'supervisor', 'staff') ORDER BY lower(u.legal_name)",
        org as _
    )
    .map(|r| (r.id, r.name))
    .fetch_all(tx.conn())
    .await?;
    let facilities = sqlx::query!(
        "SELECT id AS \"id!: FacilityId\", name FROM facilities WHERE org_id = $1 ORDER BY lower(name)",
        org as _
    )
    .map(|r| (r.id, r.name))
    .fetch_all(tx.conn())
    .await?;
    let strict_signatures = sqlx::query_scalar!("SELECT strict_signatures FROM organizations WHERE id = $1", org as _)
        .fetch_one(tx.conn())
        .await?;
    let problems = open_problems(tx, facility).await?;
    Ok(ActionList { items, problems, counts, owners, facilities, strict_signatures })
}

/// Problems reported from stickers that nobody has handled yet, oldest first (at most 200).
async fn open_problems(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<Vec<ProblemReport>, AppError> {
    Ok(sqlx::query_as!(
        ProblemReport,
        r#"SELECT r.id AS "id!: ProblemReportId", r.equipment_id AS "equipment_id!: EquipmentId", e.name AS "equipment!",
                  f.name AS "facility!", app.local_time(r.reported_at, f.time_zone) AS "reported_at!", r.description,
                  r.contact
           FROM problem_reports r
           JOIN equipment e ON e.org_id = r.org_id AND e.id = r.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE r.org_id = $1 AND r.corrective_action_id IS NULL AND r.dismissed_at IS NULL
             AND ($2::uuid IS NULL OR e.facility_id = $2)
           ORDER BY r.reported_at LIMIT 200"#,
        tx.ctx().org_id() as _,
        facility as _
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The actions themselves, for the list and the CSV.
pub async fn rows(
    tx: &mut TenantTx,
    show: Show,
    facility: Option<FacilityId>,
    limit: i64,
) -> Result<Vec<CorrectiveAction>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let rows = sqlx::query!(
        r#"SELECT a.id AS "id!: CorrectiveActionId", a.equipment_id AS "equipment_id!: EquipmentId", e.name AS "equipment!",
                  f.name AS "facility!", a.log_id AS "log_id: LogId", ob.legal_name AS "opened_by?",
                  (SELECT p.description FROM problem_reports p WHERE p.org_id = a.org_id AND p.corrective_action_id = a.id) AS "problem?",
                  app.local_time(a.opened_at, f.time_zone) AS "opened_at!", a.description,
                  a.owner_id AS "owner_id: UserId", ow.legal_name AS "owner_name?",
                  app.local_time(a.due_at, f.time_zone) AS "due_at!",
                  to_char(a.due_at AT TIME ZONE f.time_zone, 'YYYY-MM-DD') AS "due_date!",
                  a.closed_at IS NULL AND a.due_at < now() AS "overdue!",
                  app.local_time(a.closed_at, f.time_zone) AS "closed_at?", cb.legal_name AS "closed_by?",
                  a.closing_note, a.override_reason, a.override_signer_name, a.override_signed_with,
                  a.reclean_log_id AS "reclean_log_id: LogId",
                  app.local_time(r.performed_at, f.time_zone) AS "reclean_at?", r.signer_name AS "reclean_signer?",
                  CASE WHEN a.closed_at IS NULL THEN (
                      SELECT coalesce(json_agg(json_build_object('log_id', c.id,
                                 'performed_at', app.local_time(c.performed_at, f.time_zone), 'signer', c.signer_name)
                             ORDER BY c.performed_at DESC), '[]')
                      FROM (SELECT c.* FROM cleaning_logs c
                            WHERE c.org_id = a.org_id AND c.equipment_id = a.equipment_id AND c.outcome = 'pass'
                              AND c.performed_at > coalesce(fl.performed_at, a.opened_at)
                            ORDER BY c.performed_at DESC LIMIT 5) c)
                  ELSE '[]' END AS "recleans!: sqlx::types::Json<Vec<RecleanRow>>"
           FROM corrective_actions a
           JOIN equipment e ON e.org_id = a.org_id AND e.id = a.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           LEFT JOIN cleaning_logs fl ON fl.org_id = a.org_id AND fl.id = a.log_id
           LEFT JOIN cleaning_logs r ON r.org_id = a.org_id AND r.id = a.reclean_log_id
           LEFT JOIN users ob ON ob.id = a.opened_by
           LEFT JOIN users ow ON ow.id = a.owner_id
           LEFT JOIN users cb ON cb.id = a.closed_by
           WHERE a.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2)
             AND CASE $3 WHEN 'open' THEN a.closed_at IS NULL
                         WHEN 'overdue' THEN a.closed_at IS NULL AND a.due_at < now()
                         WHEN 'closed' THEN a.closed_at IS NOT NULL
                         ELSE true END
           ORDER BY a.closed_at IS NOT NULL, CASE WHEN a.closed_at IS NULL THEN a.due_at END, a.closed_at DESC, a.opened_at DESC
           LIMIT $4"#,
        tx.ctx().org_id() as _,
        facility as _,
        show.as_str(),
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reclean = r.reclean_log_id.map(|log_id| Reclean {
                log_id,
                performed_at: r.reclean_at.clone().unwrap_or_default(),
                signer: r.reclean_signer.clone().unwrap_or_default(),
            });
            let override_signature = r.override_signer_name.clone().map(|name| Signature {
                name,
                meaning: "closed by override".into(),
                at: r.closed_at.clone().unwrap_or_default(),
                signed_with: r.override_signed_with.clone(),
            });
            let closed = r.closed_at.clone().map(|at| Closure {
                at,
                by: r.closed_by.clone().unwrap_or_default(),
                note: r.closing_note.clone().unwrap_or_default(),
                reclean,
                override_reason: r.override_reason.clone(),
                override_signature,
            });
            CorrectiveAction {
                id: r.id,
                equipment_id: r.equipment_id,
                equipment: r.equipment,
                facility: r.facility,
                log_id: r.log_id,
                problem: r.problem,
                opened_by: r.opened_by,
                opened_at: r.opened_at,
                description: r.description,
                owner: r.owner_id.zip(r.owner_name),
                due_at: r.due_at,
                due_date: r.due_date,
                overdue: r.overdue,
                closed,
                recleans: r
                    .recleans
                    .0
                    .into_iter()
                    .map(|c| Reclean { log_id: c.log_id, performed_at: c.performed_at, signer: c.signer })
                    .collect(),
            }
        })
        .collect())
}

/// Dismisses a reported problem that needs no action, saying why.
pub async fn dismiss_problem(tx: &mut TenantTx, id: ProblemReportId, reason: &str) -> Result<(), AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid("Say why the report needs no action.".into()));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Invalid("Keep the reason under 500 characters.".into()));
    }
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let done = sqlx::query!(
        "UPDATE problem_reports SET dismissed_at = now(), dismissed_by = $3, dismissal_reason = $4 \
         WHERE org_id = $1 AND id = $2 AND corrective_action_id IS NULL AND dismissed_at IS NULL",
        org as _,
        id as _,
        user as _,
        reason
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    crate::model::error::one_row(done)
}
