//! Equipment: what gets cleaned. Each piece has an unguessable QR token and a short code for
//! people; it is retired, never deleted.

pub mod status;
pub mod stickers;

use rand::Rng as _;

use crate::model::equipment::{Equipment, EquipmentPage, RiskLevel};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, ProtocolId};
use crate::model::role::Action;
use crate::model::text::{one_line, EquipmentName};
use crate::server::auth::{tokens, TenantTx};
use status::status_row;

pub const PER_PAGE: i64 = 25;

pub struct EquipmentForm {
    pub facility_id: FacilityId,
    pub name: String,
    pub kind: String,
    pub serial: String,
    pub location: String,
    pub risk_level: String,
}

#[derive(Debug, Default)]
pub struct Filter {
    pub facility: Option<FacilityId>,
    /// Matches the name, kind, serial, location or short code, case-insensitively.
    pub search: Option<String>,
    pub include_retired: bool,
    /// Only equipment past its due time.
    pub overdue_only: bool,
    /// 1-based.
    pub page: i64,
}

pub async fn list(tx: &mut TenantTx, filter: &Filter) -> Result<EquipmentPage, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let page = filter.page.max(1);
    // One filter for the count and the page; the page adds the facility's name and the status.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM equipment e
           JOIN equipment_status st ON st.org_id = e.org_id AND st.equipment_id = e.id
           WHERE e.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) AND ($3 OR e.status = 'active')
             AND ($4::text IS NULL OR lower(e.name || ' ' || e.kind || ' ' || e.serial || ' ' || e.location || ' ' || e.short_code) LIKE $4)
             AND (NOT $5 OR st.overdue)"#,
        org as _,
        filter.facility as _,
        filter.include_retired,
        search,
        filter.overdue_only
    )
    .fetch_one(tx.conn())
    .await?;
    let rows = sqlx::query!(
        r#"SELECT e.id AS "id: EquipmentId", e.facility_id AS "facility_id: FacilityId", f.name AS facility_name,
                  e.name, e.kind, e.serial, e.location, e.risk_level, e.status = 'retired' AS "retired!", e.short_code,
                  e.protocol_id AS "protocol_id: ProtocolId",
                  st.schedule_unit, st.schedule_every, st.schedule_weekdays, st.schedule_due_time, st.last_cleaned,
                  st.next_due, st.overdue AS "overdue!"
           FROM equipment e
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           JOIN equipment_status st ON st.org_id = e.org_id AND st.equipment_id = e.id
           WHERE e.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) AND ($3 OR e.status = 'active')
             AND ($4::text IS NULL OR lower(e.name || ' ' || e.kind || ' ' || e.serial || ' ' || e.location || ' ' || e.short_code) LIKE $4)
             AND (NOT $5 OR st.overdue)
           ORDER BY e.status, lower(e.name), e.id LIMIT $6 OFFSET $7"#,
        org as _,
        filter.facility as _,
        filter.include_retired,
        search,
        filter.overdue_only,
        PER_PAGE,
        (page - 1) * PER_PAGE
    )
    .fetch_all(tx.conn())
    .await?;
    let items = rows
        .into_iter()
        .map(|r| Equipment {
            id: r.id,
            facility_id: r.facility_id,
            facility_name: r.facility_name,
            name: r.name,
            kind: r.kind,
            serial: r.serial,
            location: r.location,
            risk_level: RiskLevel::parse(&r.risk_level).unwrap_or(RiskLevel::Medium),
            retired: r.retired,
            short_code: r.short_code,
            protocol_id: r.protocol_id,
            status: status_row!(r).into(),
        })
        .collect();
    Ok(EquipmentPage { items, total, page, pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1) })
}

struct Valid {
    name: String,
    kind: String,
    serial: String,
    location: String,
    risk: RiskLevel,
}

/// Checks the fields, and that the facility is this organization's and active (another
/// organization's facility is "not found").
/// `editing`: the equipment being changed, which may keep its own name.
async fn validate(tx: &mut TenantTx, form: &EquipmentForm, editing: Option<EquipmentId>) -> Result<Valid, AppError> {
    let valid = Valid {
        name: EquipmentName::parse(&form.name)?.to_string(),
        kind: one_line(&form.kind, "the kind of equipment", 80, true)?,
        serial: one_line(&form.serial, "the serial number", 80, false)?,
        location: one_line(&form.location, "the location", 120, false)?,
        risk: RiskLevel::parse(form.risk_level.trim())
            .ok_or_else(|| AppError::Invalid("Choose a risk level: low, medium, high or critical.".into()))?,
    };
    let org = tx.ctx().org_id();
    let facility: Option<bool> = sqlx::query_scalar!(
        "SELECT status = 'retired' AS \"v!\" FROM facilities WHERE org_id = $1 AND id = $2",
        org as _,
        form.facility_id as _
    )
    .fetch_optional(tx.conn())
    .await?;
    match facility {
        None => return Err(AppError::NotFound),
        Some(true) => return Err(AppError::Invalid("That facility is retired; choose an active one.".into())),
        Some(false) => {}
    }
    // Two active pieces with one name in one facility: the person scanning or reading a report
    // cannot tell them apart.
    let taken: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM equipment WHERE org_id = $1 AND facility_id = $2 AND status = 'active' \
                        AND lower(name) = lower($3) AND id IS DISTINCT FROM $4) AS \"v!\"",
        org as _,
        form.facility_id as _,
        &valid.name,
        editing as _
    )
    .fetch_one(tx.conn())
    .await?;
    if taken {
        return Err(AppError::Conflict(format!(
            "This facility already has equipment named “{}”. Add a number or location to tell them apart.",
            valid.name
        )));
    }
    Ok(valid)
}

/// Letters and digits people do not confuse (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

fn short_code() -> String {
    let mut rng = rand::rng();
    (0..6).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

pub async fn create(tx: &mut TenantTx, form: &EquipmentForm) -> Result<EquipmentId, AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let valid = validate(tx, form, None).await?;
    let (id, org) = (EquipmentId::new(), tx.ctx().org_id());
    // A short code collision (1 in 887 million per pair) is retried with a fresh code.
    for _ in 0..5 {
        let inserted = sqlx::query!("INSERT INTO equipment (id, org_id, facility_id, name, kind, serial, location, risk_level, qr_token, short_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (org_id, short_code) DO NOTHING", id as _, org as _, form.facility_id as _, &valid.name, &valid.kind, &valid.serial, &valid.location, valid.risk.as_str(), tokens::generate().token, short_code())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(id);
        }
    }
    Err(AppError::Internal)
}

pub async fn update(tx: &mut TenantTx, id: EquipmentId, form: &EquipmentForm) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let valid = validate(tx, form, Some(id)).await?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query!(
            "UPDATE equipment SET facility_id = $3, name = $4, kind = $5, serial = $6, location = $7, risk_level = $8 \
             WHERE org_id = $1 AND id = $2",
            org as _,
            id as _,
            form.facility_id as _,
            &valid.name,
            &valid.kind,
            &valid.serial,
            &valid.location,
            valid.risk.as_str()
        )
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
}

/// Whether equipment `id` of the transaction's organization is in service (not retired); `None`
/// when there is no such equipment. The one check before adding to a piece of equipment (a
/// schedule, a photo).
pub async fn in_service(tx: &mut TenantTx, id: EquipmentId) -> Result<Option<bool>, sqlx::Error> {
    let org = tx.ctx().org_id();
    sqlx::query_scalar!(
        r#"SELECT status = 'active' AS "active!" FROM equipment WHERE org_id = $1 AND id = $2"#,
        org as _,
        id as _
    )
    .fetch_optional(tx.conn())
    .await
}

/// Retires equipment, saying why: it leaves the lists and schedules, its records stay, and an
/// admin can reinstate it.
pub async fn retire(tx: &mut TenantTx, id: EquipmentId, reason: &str) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let reason = one_line(reason, "why it is retired", 300, true)?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query!(
            "UPDATE equipment SET status = 'retired', status_reason = $3 WHERE org_id = $1 AND id = $2",
            org as _,
            id as _,
            &reason
        )
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
}

/// Brings retired equipment back (its sticker works again), saying why. Its facility must be
/// active, and no active piece there may have taken its name meanwhile.
pub async fn reinstate(tx: &mut TenantTx, id: EquipmentId, reason: &str) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let reason = one_line(reason, "why it is reinstated", 300, true)?;
    let org = tx.ctx().org_id();
    let found: Option<(bool, bool)> = sqlx::query!("SELECT f.status = 'active' AS \"facility_active!: bool\", EXISTS (SELECT 1 FROM equipment o WHERE o.org_id = e.org_id \
                AND o.facility_id = e.facility_id AND o.status = 'active' AND lower(o.name) = lower(e.name)) AS \"name_taken!: bool\" \
         FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE e.org_id = $1 AND e.id = $2 AND e.status = 'retired'", org as _, id as _).map(|r| (r.facility_active, r.name_taken))
    .fetch_optional(tx.conn())
    .await?;
    match found {
        None => return Err(AppError::NotFound),
        Some((false, _)) => {
            return Err(AppError::Invalid("Its facility is retired: reinstate the facility first.".into()))
        }
        Some((true, true)) => {
            return Err(AppError::Conflict(
                "Active equipment in its facility has the same name now: rename one of them first.".into(),
            ))
        }
        Some((true, false)) => {}
    }
    sqlx::query!(
        "UPDATE equipment SET status = 'active', status_reason = $3 WHERE org_id = $1 AND id = $2",
        org as _,
        id as _,
        &reason
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
