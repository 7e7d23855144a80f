//! A person's signing identity (21 CFR Part 11 §11.50, §11.100): the legal name printed under
//! their signatures, changed only with a reason that the audit trail keeps, and their personal
//! signing PIN (see `server::logs::signatures` for how signings use it).

use crate::model::accounts::SigningProfile;
use crate::model::error::{refused_as, AppError, Refusal};
use crate::server::audit::record::{record, SecurityEvent};
use crate::server::auth::{password, TenantTx};
use crate::server::logs::signatures::{check_new_pin, PIN_ATTEMPTS};

pub async fn get(tx: &mut TenantTx) -> Result<SigningProfile, AppError> {
    let (legal_name, has_pin, pin_locked): (String, bool, bool) =
        sqlx::query!("SELECT legal_name AS \"legal_name!: String\", signing_pin_hash IS NOT NULL AS \"has_pin!: bool\", pin_failures >= $2 AS \"pin_locked!: bool\" FROM users WHERE id = $1", tx.ctx().user_id() as _, PIN_ATTEMPTS).map(|r| (r.legal_name, r.has_pin, r.pin_locked))
            .fetch_one(tx.conn())
            .await?;
    Ok(SigningProfile { legal_name, has_pin, pin_locked })
}

/// The caller's password, checked before a change to how they sign.
async fn check_password(tx: &mut TenantTx, given: &str) -> Result<(), AppError> {
    if tx.ctx().is_guest() {
        return Err(AppError::Forbidden("Inspectors do not sign records.".into()));
    }
    let stored: String = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", tx.ctx().user_id() as _)
        .fetch_one(tx.conn())
        .await?;
    if given.is_empty() || !password::verify(given.to_owned(), Some(stored)).await? {
        return Err(AppError::Invalid("Your password is not correct; nothing was changed.".into()));
    }
    Ok(())
}

/// Changes the caller's legal name. Signatures already made keep the name they were made with.
/// The users trigger records the change (old and new name, the reason) on the platform chain;
/// the organization's own trail gets the same, so its auditors see it.
pub async fn change_legal_name(
    tx: &mut TenantTx,
    name: &str,
    reason: &str,
    given_password: &str,
) -> Result<(), AppError> {
    let name = crate::model::text::LegalName::parse(name)?;
    let reason = crate::model::text::one_line(reason, "the reason for the change", 500, true)?;
    check_password(tx, given_password).await?;
    let user = tx.ctx().user_id();
    let before: String = sqlx::query_scalar!(
        "UPDATE users u SET legal_name = $2, legal_name_reason = $3 FROM users old \
         WHERE u.id = $1 AND old.id = u.id RETURNING old.legal_name",
        user as _,
        name.as_str(),
        &reason
    )
    .fetch_one(tx.conn())
    .await
    // The trigger's guard: the same reason as the last change.
    .map_err(|err| {
        refused_as(err, Refusal::TriggerCheck, AppError::Invalid("Give a new reason for this change.".into()))
    })?;
    if before == name.as_str() {
        return Err(AppError::Invalid("That is your legal name already.".into()));
    }
    let event = SecurityEvent {
        org: Some(tx.ctx().org_id()),
        actor: Some(user),
        action: "user.legal_name_changed",
        entity_type: "users",
        entity_id: Some(user.to_string()),
        details: serde_json::json!({ "before": before, "after": name, "reason": reason }),
    };
    record(tx.conn(), event).await?;
    Ok(())
}

/// Sets (or, with an empty `pin`, removes) the caller's signing PIN; unlocks it too.
pub async fn set_pin(tx: &mut TenantTx, pin: &str, given_password: &str) -> Result<(), AppError> {
    let pin = pin.trim();
    if !pin.is_empty() {
        check_new_pin(pin).map_err(AppError::Invalid)?;
    }
    check_password(tx, given_password).await?;
    let hash = match pin {
        "" => None,
        pin => Some(password::hash(pin.to_owned()).await?),
    };
    sqlx::query!(
        "UPDATE users SET signing_pin_hash = $2, pin_failures = 0 WHERE id = $1",
        tx.ctx().user_id() as _,
        hash
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
