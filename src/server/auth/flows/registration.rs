//! Registration (a new organization and its owner) and email verification.

use std::net::{IpAddr, Ipv4Addr};

use super::user_tokens;
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::text::{OrgName, PersonName};
use crate::server::auth::request::CURRENT_ORG_KEY;
use crate::server::auth::sessions::{self, Method};
use crate::server::auth::throttle::{self, Kind};
use crate::server::auth::{password, scope, user, AuthSession};
use crate::server::http::origin::{request_meta, RequestMeta};
use crate::server::mailer;
use crate::server::state::AppState;

pub struct Registration {
    pub name: String,
    pub email: String,
    pub organization: String,
    pub password: String,
}

const VERIFY_HOURS: i32 = 48;

/// Creates the user, their organization and the owner membership in one transaction and records
/// the verification email in it. Nobody is signed in: the person confirms the address from the
/// email, then signs in. An address that already has an account gets the same answer, the same
/// work (the password is hashed either way) and nothing created; its owner is told by email, so
/// the page never reveals who has an account.
pub async fn register(state: &AppState, ip: IpAddr, form: Registration) -> Result<(), AppError> {
    throttle::check_requests(&state.pool, Kind::Register, ip, state.config.signups_per_address_per_hour).await?;
    throttle::record(&state.pool, Kind::Register, None, ip, true).await?;

    let name = PersonName::parse(&form.name)?;
    let org_name = OrgName::parse(&form.organization)?;
    let email = Email::parse(&form.email).map_err(AppError::Invalid)?;
    password::check_new(&form.password, &[email.as_str(), name.as_str(), org_name.as_str()])
        .map_err(AppError::Invalid)?;
    let hash = password::hash(form.password).await?;

    let (user_id, org_id) = (UserId::new(), OrgId::new());
    let mut tx = scope::begin_new_org(&state.pool, org_id, user_id).await?;
    let created = sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING",
        user_id as _,
        email.as_str(),
        name.as_str(),
        &hash
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    if created == 0 {
        let existing = user::find_by_email(tx.conn(), email.as_str()).await?.ok_or(AppError::Internal)?;
        let link = mailer::page(&state.config.public_url, "/login");
        mailer::send(tx.conn(), mailer::already_registered(email.as_str(), &existing.display_name, &link)).await?;
        tx.commit().await?;
        return Ok(());
    }
    sqlx::query!("INSERT INTO organizations (id, name) VALUES ($1, $2)", org_id as _, org_name.as_str())
        .execute(tx.conn())
        .await?;
    sqlx::query!("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')", org_id as _, user_id as _)
        .execute(tx.conn())
        .await?;
    let token = user_tokens::issue(tx.conn(), user_id, "verify_email", VERIFY_HOURS).await?;
    let link = mailer::link(&state.config.public_url, "/verify-email", &token);
    mailer::send(tx.conn(), mailer::verification(email.as_str(), name.as_str(), &link)).await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms the address the token was sent to.
pub async fn verify_email(state: &AppState, token: &str) -> Result<(), AppError> {
    let mut tx = scope::begin_anonymous(&state.pool).await?;
    let Some(user_id) = user_tokens::consume(&mut tx, token, "verify_email").await? else {
        return Err(AppError::Invalid(
            "This confirmation link is invalid, expired or already used. Sign in and ask for a new one.".into(),
        ));
    };
    sqlx::query!("UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1", user_id as _)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.auth_cache.forget_user(user_id);
    Ok(())
}

/// Sends a fresh confirmation link to a signed-in user who has not confirmed yet.
pub async fn resend_verification(state: &AppState, user: &user::User) -> Result<(), AppError> {
    if user.email_verified {
        return Err(AppError::Conflict("Your email address is already confirmed.".into()));
    }
    let mut tx = scope::UserTx::begin(&state.pool, user.id).await?;
    let token = user_tokens::issue(tx.conn(), user.id, "verify_email", VERIFY_HOURS).await?;
    let link = mailer::link(&state.config.public_url, "/verify-email", &token);
    mailer::send(tx.conn(), mailer::verification(&user.email, &user.display_name, &link)).await?;
    tx.commit().await?;
    Ok(())
}

/// Logs in and picks the organization. The session id is always replaced (axum-login does so
/// only for a session that was not signed in yet), so no id known before this moment stays
/// valid. The session gets its row in `user_sessions` (`auth::sessions`).
pub(crate) async fn sign_in(
    state: &AppState,
    auth: &mut AuthSession,
    user: &user::User,
    org: Option<OrgId>,
    method: Method,
    shared_device: bool,
) -> Result<(), AppError> {
    // Already signed in as this person (accepting an invitation): the same session goes on.
    let same_person = auth.user.as_ref().is_some_and(|u| u.id == user.id);
    let existing = if same_person { sessions::current_sid(auth).await } else { None };
    auth.login(user).await.map_err(|err| {
        tracing::error!(error = %err, "session login failed");
        AppError::Internal
    })?;
    auth.session.cycle_id().await.map_err(|err| {
        tracing::error!(error = %err, "session id cycling failed");
        AppError::Internal
    })?;
    if let Some(org) = org {
        auth.session.insert(CURRENT_ORG_KEY, org).await.map_err(|err| {
            tracing::error!(error = %err, "session write failed");
            AppError::Internal
        })?;
    }
    if existing.is_some() {
        return Ok(());
    }
    let meta = request_meta().unwrap_or(RequestMeta { ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED), user_agent: None });
    sessions::start(state, auth, user.id, method, shared_device, &meta).await
}
