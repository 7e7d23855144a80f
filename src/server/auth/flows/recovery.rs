//! Forgotten passwords: a single-use link, valid for an hour, sent only to the account's address.

use std::net::IpAddr;

use super::user_tokens;
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::throttle::{self, Kind};
use crate::server::auth::{password, scope, user};
use crate::server::mailer;
use crate::server::state::AppState;

const RESET_HOURS: i32 = 1;

/// Always answers the same way whether or not an account exists, so it cannot be used to find
/// out who has one. Only the rate limit per address is visible.
pub async fn request_reset(state: &AppState, ip: IpAddr, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(AppError::Invalid)?;
    throttle::check_requests(&state.pool, Kind::Reset, ip, state.config.signups_per_address_per_hour).await?;
    let user = user::find_by_email(&state.pool, email.as_str()).await?;
    let under_limit = throttle::reset_emails_last_hour(&state.pool, email.as_str()).await?
        < throttle::RESET_EMAILS_PER_ACCOUNT_PER_HOUR;
    throttle::record(&state.pool, Kind::Reset, Some(email.as_str()), ip, user.is_some() && under_limit).await?;
    super::record_platform(
        &state.pool,
        SecurityEvent {
            org: None,
            actor: None,
            action: "auth.password_reset_requested",
            entity_type: "users",
            entity_id: user.as_ref().map(|u| u.id.to_string()),
            details: serde_json::json!({ "email": email.as_str(), "email_sent": user.is_some() && under_limit }),
        },
    )
    .await?;
    if let (Some(user), true) = (user, under_limit) {
        let mut tx = scope::begin_anonymous(&state.pool).await?;
        let token = user_tokens::issue(&mut tx, user.id, "reset_password", RESET_HOURS).await?;
        let link = mailer::link(&state.config.public_url, "/reset-password", &token);
        mailer::send(&mut tx, mailer::password_reset(&user.email, &link)).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Sets the new password; every session of the account ends (the auth hash changes) and every
/// other outstanding reset link dies. Opening the emailed link also proves the address.
pub async fn reset_password(state: &AppState, token: &str, new_password: String) -> Result<(), AppError> {
    let mut tx = scope::begin_anonymous(&state.pool).await?;
    let Some(user_id) = user_tokens::consume(&mut tx, token, "reset_password").await? else {
        return Err(AppError::Invalid(
            "This reset link is invalid, expired or already used. Ask for a new one.".into(),
        ));
    };
    let user = user::find_by_id(&mut *tx, user_id).await?.ok_or(AppError::Internal)?;
    password::check_new(&new_password, &[&user.email, &user.display_name]).map_err(AppError::Invalid)?;
    let hash = password::hash(new_password).await?;
    sqlx::query!(
        "UPDATE users SET password_hash = $1, email_verified_at = coalesce(email_verified_at, now()) WHERE id = $2",
        &hash,
        user_id as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL",
        user_id as _
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    state.auth_cache.forget_user(user_id);
    Ok(())
}
