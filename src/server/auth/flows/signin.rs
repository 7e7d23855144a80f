//! Signing in and out, switching organization, and what a person changes about themselves.

use std::net::IpAddr;

use super::registration::sign_in;
use crate::model::accounts::{OrgMembership, SessionInfo};
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::role::Role;
use crate::model::security::LoginStep;
use crate::model::text::PersonName;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::backend::Credentials;
use crate::server::auth::scope::UserTx;
use crate::server::auth::sessions::{self, Ended, Method};
use crate::server::auth::throttle::{self, Kind};
use crate::server::auth::user;
use crate::server::auth::{passkeys, sso, two_factor};
use crate::server::auth::{password, AuthSession};
use crate::server::state::AppState;

/// The one message for every wrong combination: it never says which half was wrong.
pub const BAD_CREDENTIALS: &str = "That email and password do not match an account.";

/// Session key of a sign-in waiting for its second factor: who, on what kind of device, since when.
const PENDING_KEY: &str = "pending_second_factor";
/// The second factor must follow the password within this many seconds.
const PENDING_FOR: i64 = 300;

#[derive(serde::Serialize, serde::Deserialize)]
struct Pending {
    user: UserId,
    email: String,
    shared_device: bool,
    since: i64,
}

/// The password step. Only a complete sign-in counts as a success for the lockout: wrong
/// second-factor codes after a right password keep counting (`throttle::check_login`).
pub async fn login(
    state: &AppState,
    auth: &mut AuthSession,
    ip: IpAddr,
    email: &str,
    password: String,
    shared_device: bool,
) -> Result<LoginStep, AppError> {
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
    let Some(user) = user else {
        throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, false).await?;
        security_event(state, None, "auth.login_failed", &email).await?;
        return Err(AppError::Invalid(BAD_CREDENTIALS.into()));
    };
    let totp = two_factor::has_totp(&state.pool, user.id).await?;
    let passkey = passkeys::has_any(&state.pool, user.id).await?;
    // An organization that enforces single sign-on admits its owners' passwords only, with a
    // second factor (break-glass).
    if let Err(refusal) = sso::password_allowed(state, user.id, totp || passkey).await {
        throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, false).await?;
        security_event(state, Some(&user), "auth.login_refused_sso_enforced", &email).await?;
        return Err(refusal);
    }
    if totp || passkey {
        let pending = Pending {
            user: user.id,
            email: email.as_str().to_owned(),
            shared_device,
            since: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        auth.session.insert(PENDING_KEY, pending).await.map_err(|err| {
            tracing::error!(error = %err, "session write failed");
            AppError::Internal
        })?;
        return Ok(LoginStep::SecondFactor { totp, passkey });
    }
    throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, true).await?;
    security_event(state, Some(&user), "auth.login_succeeded", &email).await?;
    let first_org = first_membership(state, &user).await?;
    sign_in(state, auth, &user, first_org, Method::Password, shared_device).await?;
    Ok(LoginStep::SignedIn)
}

/// The second step: a code from the authenticator app, or a recovery code. Wrong codes count
/// toward the account's lockout like wrong passwords.
pub async fn second_factor(state: &AppState, auth: &mut AuthSession, ip: IpAddr, code: &str) -> Result<(), AppError> {
    const EXPIRED: &str = "Your sign-in took too long: start again with your email and password.";
    let pending = pending(auth).await.ok_or(AppError::Invalid(EXPIRED.into()))?;
    let email = Email::parse(&pending.email).map_err(|_| AppError::Internal)?;
    if let Err(locked) = throttle::check_login(&state.pool, email.as_str(), ip).await {
        security_event(state, None, "auth.login_locked_out", &email).await?;
        return Err(locked);
    }
    let proof = two_factor::verify(state, pending.user, code).await?;
    throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, proof.is_some()).await?;
    let user = user::find_by_id(&state.pool, pending.user).await?.ok_or(AppError::Invalid(EXPIRED.into()))?;
    let Some(proof) = proof else {
        security_event(state, Some(&user), "auth.second_factor_failed", &email).await?;
        return Err(AppError::Invalid(
            "That code is not right, or was used already. Type the six digits your app shows now, or a recovery code."
                .into(),
        ));
    };
    let _ = auth.session.remove::<Pending>(PENDING_KEY).await;
    security_event(state, Some(&user), "auth.login_succeeded", &email).await?;
    let method = match proof {
        two_factor::Proof::Totp => Method::PasswordTotp,
        two_factor::Proof::RecoveryCode { .. } => Method::PasswordRecoveryCode,
    };
    let first_org = first_membership(state, &user).await?;
    sign_in(state, auth, &user, first_org, method, pending.shared_device).await
}

/// The sign-in waiting for its second factor in this browser, if any.
async fn pending(auth: &AuthSession) -> Option<Pending> {
    let pending: Option<Pending> = auth.session.get(PENDING_KEY).await.ok().flatten();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    pending.filter(|p| now - p.since <= PENDING_FOR)
}

/// Begins a passkey sign-in: as the second step after a password (the person is known), or
/// alone for `email`. The answer is the same whether the account does not exist or has no
/// passkey.
pub async fn passkey_start(
    state: &AppState,
    auth: &AuthSession,
    ip: IpAddr,
    email: Option<&str>,
) -> Result<String, AppError> {
    const NONE: &str = "No passkey is set up for this account: sign in with your password.";
    if let Some(pending) = pending(auth).await {
        return passkeys::begin_authentication(state, auth, pending.user).await;
    }
    let email = Email::parse(email.unwrap_or_default())
        .map_err(|_| AppError::Invalid("Enter your email address first.".into()))?;
    if let Err(locked) = throttle::check_login(&state.pool, email.as_str(), ip).await {
        security_event(state, None, "auth.login_locked_out", &email).await?;
        return Err(locked);
    }
    let user = user::find_by_email(&state.pool, email.as_str()).await?.ok_or(AppError::Invalid(NONE.into()))?;
    passkeys::begin_authentication(state, auth, user.id).await
}

/// Finishes a passkey sign-in. A refused passkey counts toward the lockout like a wrong password.
pub async fn passkey_finish(
    state: &AppState,
    auth: &mut AuthSession,
    ip: IpAddr,
    credential: &str,
    shared_device: bool,
) -> Result<(), AppError> {
    let pending = pending(auth).await;
    let (user_id, proved) = passkeys::finish_authentication(state, auth, credential).await?;
    let user = user::find_by_id(&state.pool, user_id).await?.ok_or(AppError::Internal)?;
    let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
    throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, proved).await?;
    if !proved {
        security_event(state, Some(&user), "auth.passkey_refused", &email).await?;
        return Err(AppError::Invalid(
            "That passkey was not accepted. Try again, or sign in with your password.".into(),
        ));
    }
    let (method, shared) = match pending {
        Some(p) if p.user == user.id => (Method::PasswordPasskey, p.shared_device),
        _ => {
            // A passkey alone is not the organization's provider either.
            sso::password_allowed(state, user.id, true).await?;
            (Method::Passkey, shared_device)
        }
    };
    let _ = auth.session.remove::<Pending>(PENDING_KEY).await;
    security_event(state, Some(&user), "auth.login_succeeded", &email).await?;
    let first_org = first_membership(state, &user).await?;
    sign_in(state, auth, &user, first_org, method, shared).await
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
        sessions::end_current(state, auth, Ended::SignedOut).await?;
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
    // A single sign-on session stays in the provider's organization.
    if crate::server::auth::request::sso_org(auth).await.is_some_and(|only| only != org) {
        return Err(AppError::NotFound);
    }
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
    let mut tx = state.pool.begin().await?;
    sqlx::query!("UPDATE users SET password_hash = $1 WHERE id = $2", &hash, user.id as _).execute(&mut *tx).await?;
    let keep = sessions::current_sid(auth).await;
    sessions::end_all_of(state, &mut tx, user.id, keep, Ended::PasswordChanged, Some(user.id)).await?;
    tx.commit().await?;
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
    let only = crate::server::auth::request::sso_org(auth).await;
    let memberships: std::sync::Arc<Vec<OrgMembership>> = match only {
        Some(org) => std::sync::Arc::new(memberships.iter().filter(|m| m.org_id == org).cloned().collect()),
        None => memberships,
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
        idle_limit_seconds: sessions::idle_limit(state, auth).await,
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
