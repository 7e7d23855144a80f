//! Signing in and out, switching organization, and what a person changes about themselves.

use std::net::IpAddr;

use super::registration::sign_in;
use crate::model::accounts::{OrgMembership, SessionInfo};
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::role::Role;
use crate::model::text::PersonName;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::backend::Credentials;
use crate::server::auth::scope::UserTx;
use crate::server::auth::throttle::{self, Kind};
use crate::server::auth::user;
use crate::server::auth::{password, AuthSession};
use crate::server::state::AppState;

/// The one message for every wrong combination: it never says which half was wrong.
pub const BAD_CREDENTIALS: &str = "That email and password do not match an account.";

pub async fn login(
    state: &AppState,
    auth: &mut AuthSession,
    ip: IpAddr,
    email: &str,
    password: String,
) -> Result<(), AppError> {
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::Invalid(BAD_CREDENTIALS.into()));
    };
    if let Err(locked) = throttle::check_login(&state.pool, email.as_str(), ip).await {
        security_event(state, None, "auth.login_locked_out", &email).await?;
        return Err(locked);
    }
    let creds = Credentials { email: email.as_str().to_owned(), password };
    let user = auth.authenticate(creds).await.map_err(|err| {
        tracing::error!(error = %err, "authentication backend failed");
        AppError::Internal
    })?;
    throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, user.is_some()).await?;
    let Some(user) = user else {
        security_event(state, None, "auth.login_failed", &email).await?;
        return Err(AppError::Invalid(BAD_CREDENTIALS.into()));
    };
    security_event(state, Some(&user), "auth.login_succeeded", &email).await?;
    let first_org = first_membership(state, &user).await?;
    sign_in(auth, &user, first_org).await
}

/// Sign-in events belong to the account, not to an organization: the platform chain.
async fn security_event(
    state: &AppState,
    user: Option<&user::User>,
    action: &str,
    email: &Email,
) -> Result<(), AppError> {
    let event = SecurityEvent {
        org: None,
        actor: user.map(|u| u.id),
        action,
        entity_type: "users",
        entity_id: user.map(|u| u.id.to_string()),
        details: serde_json::json!({ "email": email.as_str() }),
    };
    Ok(super::record_platform(&state.pool, event).await?)
}

pub async fn logout(state: &AppState, auth: &mut AuthSession) -> Result<(), AppError> {
    if let Some(user) = &auth.user {
        let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
        security_event(state, Some(user), "auth.logout", &email).await?;
    }
    auth.logout().await.map(drop).map_err(|err| {
        tracing::error!(error = %err, "logout failed");
        AppError::Internal
    })
}

async fn first_membership(state: &AppState, user: &user::User) -> Result<Option<OrgId>, AppError> {
    let mut tx = UserTx::begin(&state.pool, user.id).await?;
    let org = sqlx::query_scalar!(
        r#"SELECT m.org_id AS "org_id: OrgId" FROM memberships m
           WHERE m.user_id = $1 AND app.membership_active(m.access_until) ORDER BY m.created_at LIMIT 1"#,
        user.id as _
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(org)
}

/// Moves the session to another organization the user belongs to. Any other id is "not found".
pub async fn switch_org(state: &AppState, auth: &mut AuthSession, org: OrgId) -> Result<(), AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    let mut tx = UserTx::begin(&state.pool, user.id).await?;
    let member: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships m
                          WHERE m.user_id = $1 AND m.org_id = $2 AND app.membership_active(m.access_until)) AS "member!""#,
        user.id as _,
        org as _
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    if !member {
        return Err(AppError::NotFound);
    }
    auth.session.insert(crate::server::auth::request::CURRENT_ORG_KEY, org).await.map_err(|err| {
        tracing::error!(error = %err, "session write failed");
        AppError::Internal
    })
}

/// Changing the password ends every other session of the user (their stored auth hash no
/// longer matches); this one is renewed so the person stays signed in here.
pub async fn change_password(
    state: &AppState,
    auth: &mut AuthSession,
    current: String,
    new: String,
) -> Result<(), AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    let creds = Credentials { email: user.email.clone(), password: current };
    let verified = auth.authenticate(creds).await.map_err(|_| AppError::Internal)?;
    if verified.is_none() {
        return Err(AppError::Invalid("Your current password is not correct.".into()));
    }
    password::check_new(&new, &[&user.email, &user.display_name]).map_err(AppError::Invalid)?;
    let hash = password::hash(new).await?;
    sqlx::query!("UPDATE users SET password_hash = $1 WHERE id = $2", &hash, user.id as _).execute(&state.pool).await?;
    state.auth_cache.forget_user(user.id);
    let updated = user::find_by_id(&state.pool, user.id).await?.ok_or(AppError::Internal)?;
    auth.login(&updated).await.map_err(|_| AppError::Internal)?;
    auth.session.cycle_id().await.map_err(|_| AppError::Internal)
}

pub async fn rename(state: &AppState, auth: &mut AuthSession, name: &str) -> Result<(), AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    let name = PersonName::parse(name)?;
    sqlx::query!("UPDATE users SET display_name = $1 WHERE id = $2", name.as_str(), user.id as _)
        .execute(&state.pool)
        .await?;
    state.auth_cache.forget_user(user.id);
    Ok(())
}

/// Who is signed in and in which organizations; `None` when nobody is.
pub async fn session_info(state: &AppState, auth: &AuthSession) -> Result<Option<SessionInfo>, AppError> {
    let Some(user) = auth.user.clone() else {
        return Ok(None);
    };
    let memberships = match state.auth_cache.memberships(user.id) {
        Some(list) => list,
        None => state.auth_cache.remember_memberships(user.id, memberships_of(&state.pool, user.id).await?),
    };
    let wanted: Option<OrgId> = auth.session.get(crate::server::auth::request::CURRENT_ORG_KEY).await.ok().flatten();
    let current = wanted.and_then(|org| memberships.iter().find(|m| m.org_id == org)).or(memberships.first()).cloned();
    Ok(Some(SessionInfo {
        user_id: user.id,
        display_name: user.display_name,
        email: user.email,
        email_verified: user.email_verified,
        platform_operator: user.is_platform_operator,
        current,
        memberships: memberships.to_vec(),
    }))
}

/// The organizations `user` belongs to, by name, with their role in each (for the header).
async fn memberships_of(pool: &sqlx::PgPool, user: UserId) -> Result<Vec<OrgMembership>, sqlx::Error> {
    let mut tx = UserTx::begin(pool, user).await?;
    let memberships = sqlx::query_as!(
        OrgMembership,
        r#"SELECT m.org_id AS "org_id: OrgId", o.name AS org_name, m.role AS "role: Role"
           FROM memberships m JOIN organizations o ON o.id = m.org_id
           WHERE m.user_id = $1 AND app.membership_active(m.access_until) ORDER BY lower(o.name)"#,
        user as _
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(memberships)
}
