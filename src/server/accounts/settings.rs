//! The organization's settings: strict signatures (off only with a reason), the public sticker panel, retention and the
//! late-entry window.

use crate::model::accounts::OrgSettings;
use crate::model::error::AppError;
use crate::model::role::Action;
use crate::server::auth::TenantTx;

/// The shortest retention an organization may choose.
pub const MIN_RETENTION_YEARS: i32 = 1;

pub async fn get(tx: &mut TenantTx) -> Result<OrgSettings, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let (strict_signatures, strict_off_reason, public_status, retention_years, late_entry_minutes, review_days): (bool, Option<String>, bool, i32, i32, i32) =
        sqlx::query!("SELECT strict_signatures AS \"strict_signatures!: bool\", strict_off_reason AS \"strict_off_reason?: String\", public_status AS \"public_status!: bool\", retention_years AS \"retention_years!: i32\", late_entry_minutes AS \"late_entry_minutes!: i32\", review_days AS \"review_days!: i32\" \
             FROM organizations WHERE id = $1", org as _).map(|r| (r.strict_signatures, r.strict_off_reason, r.public_status, r.retention_years, r.late_entry_minutes, r.review_days))
        .fetch_one(tx.conn())
        .await?;
    Ok(OrgSettings {
        strict_signatures,
        strict_off_reason,
        public_status,
        retention_years,
        late_entry_minutes,
        review_days,
    })
}

/// A change of settings; an absent retention or window keeps the current one.
pub struct SettingsChange {
    pub strict_signatures: bool,
    /// Required to turn strict signatures off; kept on the organization (and so in the trail).
    pub strict_off_reason: Option<String>,
    pub public_status: bool,
    pub retention_years: Option<i32>,
    pub late_entry_minutes: Option<i32>,
    pub review_days: Option<i32>,
}

pub async fn update(tx: &mut TenantTx, settings: &SettingsChange) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageSettings)?;
    let org = tx.ctx().org_id();
    if settings.retention_years.is_some_and(|years| !(MIN_RETENTION_YEARS..=50).contains(&years)) {
        return Err(AppError::Invalid(format!(
            "Keep records between {MIN_RETENTION_YEARS} and 50 years (regulations commonly ask for 6)."
        )));
    }
    if settings.late_entry_minutes.is_some_and(|minutes| !(5..=1440).contains(&minutes)) {
        return Err(AppError::Invalid("Set the late-entry window between 5 minutes and 24 hours (1440).".into()));
    }
    if settings.review_days.is_some_and(|days| !(1..=90).contains(&days)) {
        return Err(AppError::Invalid("Set the review deadline between 1 and 90 days.".into()));
    }
    let was_strict: bool =
        sqlx::query_scalar!("SELECT strict_signatures FROM organizations WHERE id = $1 FOR UPDATE", org as _)
            .fetch_one(tx.conn())
            .await?;
    // Turning them off needs a reason given with that change; staying off keeps the one given.
    let off_reason = match (was_strict, settings.strict_signatures) {
        (true, false) => {
            let reason = crate::model::text::one_line(
                settings.strict_off_reason.as_deref().unwrap_or_default(),
                "the reason for turning strict signatures off (it is kept in the audit trail and printed in reports)",
                500,
                true,
            )?;
            Some(reason)
        }
        _ => None,
    };
    crate::model::error::one_row(
        sqlx::query!("UPDATE organizations SET strict_signatures = $2, public_status = $3, \
                    retention_years = coalesce($4, retention_years), late_entry_minutes = coalesce($5, late_entry_minutes), \
                    review_days = coalesce($6, review_days), strict_off_reason = coalesce($7, strict_off_reason) \
             WHERE id = $1", org as _, settings.strict_signatures, settings.public_status, settings.retention_years, settings.late_entry_minutes, settings.review_days, off_reason)
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
}
