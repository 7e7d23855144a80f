//! Facilities: sites with an address and the time zone their schedules run in.

use crate::model::error::{refused_as, AppError, Refusal};
use crate::model::facilities::Facility;
use crate::model::ids::FacilityId;
use crate::model::role::Action;
use crate::model::text::{one_line, FacilityName};
use crate::server::auth::TenantTx;

pub struct FacilityForm {
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

/// Active facilities first, then retired ones, each by name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Facility>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let rows: Vec<(FacilityId, String, String, String, bool, i64)> = sqlx::query!("SELECT f.id AS \"id!: FacilityId\", f.name AS \"name!: String\", f.address AS \"address!: String\", f.time_zone AS \"time_zone!: String\", f.status = 'retired' AS \"retired!: bool\", \
                (SELECT count(*) FROM equipment e WHERE e.org_id = f.org_id AND e.facility_id = f.id AND e.status = 'active') AS \"active_equipment!: i64\" \
         FROM facilities f WHERE f.org_id = $1 ORDER BY f.status, lower(f.name)", org as _).map(|r| (r.id, r.name, r.address, r.time_zone, r.retired, r.active_equipment))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, address, time_zone, retired, active_equipment)| Facility {
            id,
            name,
            address,
            time_zone,
            retired,
            active_equipment,
        })
        .collect())
}

async fn validate(tx: &mut TenantTx, form: &FacilityForm) -> Result<(String, String, String), AppError> {
    let name = FacilityName::parse(&form.name)?;
    let address = one_line(&form.address, "the address", 300, false)?;
    let time_zone = form.time_zone.trim().to_owned();
    let known: bool =
        sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS \"v!\"", &time_zone)
            .fetch_one(tx.conn())
            .await?;
    if !known || time_zone.is_empty() {
        return Err(AppError::Invalid(format!("`{time_zone}` is not a time zone; choose one like Europe/Lisbon.")));
    }
    Ok((name.to_string(), address, time_zone))
}

fn name_taken(err: sqlx::Error) -> AppError {
    let taken = AppError::Conflict("Another facility already has this name.".into());
    refused_as(err, Refusal::Constraint("facilities_org_name_key"), taken)
}

pub async fn create(tx: &mut TenantTx, form: &FacilityForm) -> Result<FacilityId, AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let (name, address, time_zone) = validate(tx, form).await?;
    let (id, org) = (FacilityId::new(), tx.ctx().org_id());
    let result = sqlx::query!(
        "INSERT INTO facilities (id, org_id, name, address, time_zone) VALUES ($1, $2, $3, $4, $5)",
        id as _,
        org as _,
        &name,
        &address,
        &time_zone
    )
    .execute(tx.conn())
    .await;
    result.map(|_| id).map_err(name_taken)
}

pub async fn update(tx: &mut TenantTx, id: FacilityId, form: &FacilityForm) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let (name, address, time_zone) = validate(tx, form).await?;
    let org = tx.ctx().org_id();
    let result = sqlx::query!(
        "UPDATE facilities SET name = $3, address = $4, time_zone = $5 WHERE org_id = $1 AND id = $2",
        org as _,
        id as _,
        &name,
        &address,
        &time_zone
    )
    .execute(tx.conn())
    .await;
    match result.map_err(name_taken)? {
        done if done.rows_affected() == 0 => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// Retires a facility once none of its equipment is active (retire or move that first).
pub async fn retire(tx: &mut TenantTx, id: FacilityId) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let org = tx.ctx().org_id();
    let active: Option<i64> = sqlx::query_scalar!("SELECT (SELECT count(*) FROM equipment e WHERE e.org_id = f.org_id AND e.facility_id = f.id AND e.status = 'active') AS \"v!\" \
         FROM facilities f WHERE f.org_id = $1 AND f.id = $2 FOR UPDATE", org as _, id as _)
    .fetch_optional(tx.conn())
    .await?;
    match active {
        None => Err(AppError::NotFound),
        Some(n) if n > 0 => {
            Err(AppError::Conflict(format!("{n} piece(s) of equipment here are still active: retire them first.")))
        }
        Some(_) => {
            sqlx::query!("UPDATE facilities SET status = 'retired' WHERE org_id = $1 AND id = $2", org as _, id as _)
                .execute(tx.conn())
                .await?;
            Ok(())
        }
    }
}
