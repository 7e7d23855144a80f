//! The choices of the reports page, as far as the caller can see (an inspector: their
//! facilities only, by row-level security and by the query alike).

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, UserId};
use crate::model::reports::ReportOptions;
use crate::model::role::Action;
use crate::server::auth::TenantTx;

pub async fn get(tx: &mut TenantTx) -> Result<ReportOptions, AppError> {
    tx.ctx().require(Action::ExportReports)?;
    let org = tx.ctx().org_id();
    let facilities: Vec<(FacilityId, String)> = sqlx::query!("SELECT id AS \"id!: FacilityId\", name AS \"name!: String\" FROM facilities WHERE org_id = $1 ORDER BY lower(name)", org as _).map(|r| (r.id, r.name))
        .fetch_all(tx.conn())
        .await?;
    let equipment: Vec<(EquipmentId, String, String)> = sqlx::query!("SELECT e.id AS \"id!: EquipmentId\", e.name || ' (' || e.short_code || ')' AS \"label!: String\", f.name AS \"name!: String\" FROM equipment e \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE e.org_id = $1 ORDER BY lower(f.name), lower(e.name) LIMIT 2000", org as _).map(|r| (r.id, r.label, r.name))
    .fetch_all(tx.conn())
    .await?;
    let people: Vec<(UserId, String)> = sqlx::query!("SELECT DISTINCT ON (performed_by) performed_by AS \"performed_by!: UserId\", signer_name AS \"signer_name!: String\" FROM cleaning_logs \
         WHERE org_id = $1 ORDER BY performed_by, received_at DESC", org as _).map(|r| (r.performed_by, r.signer_name))
    .fetch_all(tx.conn())
    .await?;
    let facilities = if let Some(visible) = tx.ctx().facilities() {
        facilities.into_iter().filter(|(id, _)| visible.contains(id)).collect()
    } else {
        facilities
    };
    Ok(ReportOptions { facilities, equipment, people })
}
