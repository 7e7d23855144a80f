//! Facilities and equipment inside one organization. Every function takes a
//! [`TenantTx`](crate::server::auth::TenantTx), checks the role, and filters by organization.

pub mod compliance;
pub mod dashboard;
pub mod equipment;
pub mod facilities;
pub mod logs;
pub mod protocols;
pub mod reviews;
pub mod schedules;
pub mod signatures;
pub mod stickers;

use crate::model::error::AppError;

/// A required one-line text field: trimmed, inner whitespace collapsed, within `max`.
pub(crate) fn text(raw: &str, what: &str, max: usize, required: bool) -> Result<String, AppError> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && value.is_empty() {
        return Err(AppError::Invalid(format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(AppError::Invalid(format!("Keep {what} under {max} characters.")));
    }
    Ok(value)
}
