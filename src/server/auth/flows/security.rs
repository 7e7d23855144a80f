//! The person's own security page: their second factors, with the recovery codes just made
//! carried to the next page view in the session (forms post without JavaScript) and shown once.

use crate::model::error::AppError;
use crate::model::security::SecurityPage;
use crate::server::auth::request::{session_org, verified_user};
use crate::server::auth::sessions::{self, Ended};
use crate::server::auth::AuthSession;
use crate::server::auth::{passkeys, two_factor};
use crate::server::state::AppState;

/// Session key of recovery codes waiting to be shown.
const FRESH_CODES_KEY: &str = "fresh_recovery_codes";

pub async fn overview(state: &AppState, auth: &AuthSession) -> Result<SecurityPage, AppError> {
    let user = verified_user(auth)?;
    let factors = two_factor::factors(state, user.id, session_org(auth).await).await?;
    let enrolment = if factors.totp { None } else { Some(two_factor::enrolment(state, &user).await?) };
    let fresh_codes: Vec<String> = auth.session.remove(FRESH_CODES_KEY).await.ok().flatten().unwrap_or_default();
    let passkeys = passkeys::list(state, user.id).await?;
    Ok(SecurityPage { factors, passkeys, enrolment, fresh_codes })
}

pub async fn confirm_totp(state: &AppState, auth: &AuthSession, code: &str) -> Result<(), AppError> {
    let user = verified_user(auth)?;
    let codes = two_factor::confirm_totp(state, &user, code).await?;
    show_once(auth, codes).await
}

pub async fn renew_recovery_codes(state: &AppState, auth: &AuthSession, password: String) -> Result<(), AppError> {
    let user = verified_user(auth)?;
    let codes = two_factor::renew_recovery_codes(state, &user, password).await?;
    show_once(auth, codes).await
}

/// Turning the second factor off also signs out the person's other sessions: whoever might
/// have been let in by it is let out.
pub async fn disable(state: &AppState, auth: &AuthSession, password: String) -> Result<(), AppError> {
    let user = verified_user(auth)?;
    two_factor::disable(state, &user, password).await?;
    let keep = sessions::current_sid(auth).await;
    let mut tx = state.pool.begin().await?;
    sessions::end_all_of(state, &mut tx, user.id, keep, Ended::SecondFactorChanged, Some(user.id)).await?;
    Ok(tx.commit().await?)
}

async fn show_once(auth: &AuthSession, codes: Vec<String>) -> Result<(), AppError> {
    auth.session.insert(FRESH_CODES_KEY, codes).await.map_err(|err| {
        tracing::error!(error = %err, "session write failed");
        AppError::Internal
    })
}
