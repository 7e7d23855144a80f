//! The choices of the reports page, as far as the caller can see (an inspector: their
//! facilities only, by row-level security and by the query alike).

use crate::model::error::AppError;
use crate::model::reports::ReportOptions;
use crate::model::role::Action;
use crate::server::auth::TenantTx;

pub async fn get(tx: &mut TenantTx) -> Result<ReportOptions, AppError> {
    tx.ctx().require(Action::ExportReports)?;
    let org = tx.ctx().org_id();
    let facilities = sqlx::query_as("SELECT id, name FROM facilities WHERE org_id = $1 ORDER BY lower(name)")
        .bind(org)
        .fetch_all(tx.conn())
        .await?;
    let equipment = sqlx::query_as(
        "SELECT e.id, e.name || ' (' || e.short_code || ')', f.name FROM equipment e \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE e.org_id = $1 ORDER BY lower(f.name), lower(e.name) LIMIT 2000",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await?;
    let people = sqlx::query_as(
        "SELECT DISTINCT ON (performed_by) performed_by, signer_name FROM cleaning_logs \
         WHERE org_id = $1 ORDER BY performed_by, received_at DESC",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await?;
    let facilities = if let Some(visible) = tx.ctx().facilities() {
        let facilities: Vec<(crate::model::ids::FacilityId, String)> = facilities;
        facilities.into_iter().filter(|(id, _)| visible.contains(id)).collect()
    } else {
        facilities
    };
    Ok(ReportOptions { facilities, equipment, people })
}
