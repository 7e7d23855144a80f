//! The organization's settings: strict signatures and the public sticker panel.

use crate::model::account::OrgSettings;
use crate::model::error::AppError;
use crate::model::role::Action;
use crate::server::auth::TenantTx;

pub async fn get(tx: &mut TenantTx) -> Result<OrgSettings, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let (strict_signatures, public_status): (bool, bool) =
        sqlx::query_as("SELECT strict_signatures, public_status FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_one(tx.conn())
            .await?;
    Ok(OrgSettings { strict_signatures, public_status })
}

pub async fn update(tx: &mut TenantTx, settings: &OrgSettings) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageSettings)?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query("UPDATE organizations SET strict_signatures = $2, public_status = $3 WHERE id = $1")
            .bind(org)
            .bind(settings.strict_signatures)
            .bind(settings.public_status)
            .execute(tx.conn())
            .await?
            .rows_affected(),
    )
}
