//! Protocols: versioned cleaning checklists. Revising adds a version (the database refuses to
//! change one), so every log can name the exact version it followed.

use crate::model::error::{refused_as, AppError, Refusal};
use crate::model::ids::{EquipmentId, ProtocolId};
use crate::model::protocols::{Protocol, Step};
use crate::model::role::Action;
use crate::model::text::{one_line, ProtocolName};
use crate::server::auth::TenantTx;

pub struct ProtocolForm {
    pub name: String,
    /// One step per line.
    pub steps: String,
    pub disinfectant: String,
    pub contact_time_minutes: i32,
    pub contact_timed: bool,
    pub product_lot_required: bool,
    pub photo_required: bool,
    pub verification_required: bool,
}

/// The protocol form's tick-boxes, as an HTML form sends them: "on" when ticked, absent when not.
pub struct Ticked {
    pub contact_timed: Option<String>,
    pub product_lot_required: Option<String>,
    pub photo_required: Option<String>,
    pub verification_required: Option<String>,
}

impl ProtocolForm {
    pub fn from_form(
        name: String,
        steps: String,
        disinfectant: String,
        contact_time_minutes: i32,
        ticked: Ticked,
    ) -> ProtocolForm {
        ProtocolForm {
            name,
            steps,
            disinfectant,
            contact_time_minutes,
            contact_timed: ticked.contact_timed.is_some(),
            product_lot_required: ticked.product_lot_required.is_some(),
            photo_required: ticked.photo_required.is_some(),
            verification_required: ticked.verification_required.is_some(),
        }
    }
}

struct Valid {
    name: String,
    steps: Vec<Step>,
    disinfectant: String,
}

fn validate(form: &ProtocolForm) -> Result<Valid, AppError> {
    let name = ProtocolName::parse(&form.name)?;
    let lines: Vec<&str> = form.steps.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(AppError::Invalid("Write at least one step, one per line.".into()));
    }
    if lines.len() > 50 || lines.iter().any(|s| s.trim().chars().count() > 300) {
        return Err(AppError::Invalid("Keep to 50 steps of at most 300 characters each.".into()));
    }
    let steps = lines.into_iter().map(Step::parse_line).collect::<Result<Vec<_>, _>>()?;
    if !(0..=1440).contains(&form.contact_time_minutes) {
        return Err(AppError::Invalid("Contact time is between 0 and 1440 minutes.".into()));
    }
    if form.contact_timed && form.contact_time_minutes == 0 {
        return Err(AppError::Invalid(
            "Give the contact time the phone should count down, or untick the timer.".into(),
        ));
    }
    let disinfectant = one_line(&form.disinfectant, "the disinfectant", 120, false)?;
    if form.product_lot_required && disinfectant.is_empty() {
        return Err(AppError::Invalid("Name the disinfectant whose lot and expiry are recorded.".into()));
    }
    Ok(Valid { name: name.to_string(), steps, disinfectant })
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Protocol>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let rows = sqlx::query!("SELECT p.id AS \"id!: ProtocolId\", p.name AS \"name!: String\", v.version AS \"version!: i32\", v.steps AS \"steps!: sqlx::types::Json<Vec<Step>>\", v.disinfectant AS \"disinfectant!: String\", v.contact_time_minutes AS \"contact_time_minutes!: i32\", v.contact_timed, v.product_lot_required, v.photo_required AS \"photo_required!: bool\", \
                v.verification_required AS \"verification_required!: bool\", \
                (SELECT count(*) FROM equipment e WHERE e.org_id = p.org_id AND e.protocol_id = p.id AND e.status = 'active') AS \"equipment_count!: i64\" \
         FROM protocols p JOIN protocol_versions v ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version \
         WHERE p.org_id = $1 ORDER BY lower(p.name)", org as _).map(|r| Protocol {
        id: r.id,
        name: r.name,
        version: r.version,
        steps: r.steps.0,
        disinfectant: r.disinfectant,
        contact_time_minutes: r.contact_time_minutes,
        contact_timed: r.contact_timed,
        product_lot_required: r.product_lot_required,
        photo_required: r.photo_required,
        verification_required: r.verification_required,
        equipment_count: r.equipment_count,
    })
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

async fn insert_version(
    tx: &mut TenantTx,
    id: ProtocolId,
    version: i32,
    valid: &Valid,
    form: &ProtocolForm,
) -> Result<(), AppError> {
    let (org, author) = (tx.ctx().org_id(), tx.ctx().user_id());
    sqlx::query!(
        "INSERT INTO protocol_versions (org_id, protocol_id, version, steps, disinfectant, contact_time_minutes, \
                photo_required, verification_required, created_by, contact_timed, product_lot_required) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        org as _,
        id as _,
        version,
        sqlx::types::Json(&valid.steps) as _,
        &valid.disinfectant,
        form.contact_time_minutes,
        form.photo_required,
        form.verification_required,
        author as _,
        form.contact_timed,
        form.product_lot_required
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn create(tx: &mut TenantTx, form: &ProtocolForm) -> Result<ProtocolId, AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let valid = validate(form)?;
    let (id, org) = (ProtocolId::new(), tx.ctx().org_id());
    sqlx::query!("INSERT INTO protocols (id, org_id, name) VALUES ($1, $2, $3)", id as _, org as _, &valid.name)
        .execute(tx.conn())
        .await
        .map_err(|err| {
            let taken = AppError::Conflict("Another protocol already has this name.".into());
            refused_as(err, Refusal::Constraint("protocols_org_name_key"), taken)
        })?;
    insert_version(tx, id, 1, &valid, form).await?;
    Ok(id)
}

/// Adds the next version and makes it current; returns its number.
pub async fn revise(tx: &mut TenantTx, id: ProtocolId, form: &ProtocolForm) -> Result<i32, AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let valid = validate(form)?;
    let org = tx.ctx().org_id();
    let next: Option<i32> = sqlx::query_scalar!("UPDATE protocols SET current_version = current_version + 1, name = $3 WHERE org_id = $1 AND id = $2 RETURNING current_version", org as _, id as _, &valid.name)
    .fetch_optional(tx.conn())
    .await?;
    let next = next.ok_or(AppError::NotFound)?;
    insert_version(tx, id, next, &valid, form).await?;
    Ok(next)
}

/// Sets (or, with `None`, clears) the protocol a piece of equipment is cleaned by.
pub async fn assign(tx: &mut TenantTx, equipment: EquipmentId, protocol: Option<ProtocolId>) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let org = tx.ctx().org_id();
    if let Some(protocol) = protocol {
        let exists: bool = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM protocols WHERE org_id = $1 AND id = $2) AS \"v!\"",
            org as _,
            protocol as _
        )
        .fetch_one(tx.conn())
        .await?;
        if !exists {
            return Err(AppError::NotFound);
        }
    }
    crate::model::error::one_row(
        sqlx::query!(
            "UPDATE equipment SET protocol_id = $3 WHERE org_id = $1 AND id = $2",
            org as _,
            equipment as _,
            protocol as _
        )
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
}
