//! Following an invitation link: preview it, then join (with a new account, or the one the
//! person is signed in with).

use sqlx::PgConnection;

use super::registration::sign_in;
use crate::model::accounts::InvitationPreview;
use crate::model::error::AppError;
use crate::model::ids::{InvitationId, OrgId, UserId};
use crate::model::role::Role;
use crate::model::text::PersonName;
use crate::server::auth::scope::{InvitationTokenTx, TenantCtx};
use crate::server::auth::sessions::Method;
use crate::server::auth::{password, tokens, user, AuthSession};
use crate::server::state::AppState;

struct Invitation {
    id: InvitationId,
    org_id: OrgId,
    org_name: String,
    email: String,
    role: Role,
    invitee_name: Option<String>,
    usable: bool,
    accepted: bool,
    revoked: bool,
}

const INVALID: &str = "This invitation link is not valid. Ask the person who invited you for a new one.";

async fn load(conn: &mut PgConnection) -> Result<Invitation, AppError> {
    let found: Option<Invitation> = sqlx::query_as!(
        Invitation,
        r#"SELECT i.id AS "id: InvitationId", i.org_id AS "org_id: OrgId", o.name AS org_name, i.email,
                i.role AS "role: Role", i.invitee_name,
                (i.expires_at > now() AND i.accepted_at IS NULL AND i.revoked_at IS NULL) AS "usable!",
                i.accepted_at IS NOT NULL AS "accepted!", i.revoked_at IS NOT NULL AS "revoked!"
         FROM invitations i JOIN organizations o ON o.id = i.org_id
         WHERE i.token_hash = app.current_invitation_token_hash()"#
    )
    .fetch_optional(conn)
    .await?;
    let invitation = found.ok_or_else(|| AppError::Invalid(INVALID.into()))?;
    if !invitation.usable {
        return Err(AppError::Invalid(
            if invitation.accepted {
                "This invitation has already been accepted. Sign in to continue."
            } else if invitation.revoked {
                "This invitation was withdrawn. Ask the person who invited you for a new one."
            } else {
                "This invitation has expired. Ask the person who invited you for a new one."
            }
            .into(),
        ));
    }
    Ok(invitation)
}

pub async fn preview(state: &AppState, token: &str) -> Result<InvitationPreview, AppError> {
    let mut tx = InvitationTokenTx::begin(&state.pool, &tokens::hash(token)).await?;
    let invitation = load(tx.conn()).await?;
    let account_exists = user::find_by_email(&mut *tx.conn(), &invitation.email).await?.is_some();
    Ok(InvitationPreview {
        org_name: invitation.org_name,
        email: invitation.email,
        role: invitation.role,
        account_exists,
        name: invitation.invitee_name,
    })
}

/// What a person without an account gives to join.
pub struct NewAccount {
    pub name: String,
    pub password: String,
}

pub async fn accept(
    state: &AppState,
    auth: &mut AuthSession,
    token: &str,
    new_account: Option<NewAccount>,
) -> Result<OrgId, AppError> {
    let mut tx = InvitationTokenTx::begin(&state.pool, &tokens::hash(token)).await?;
    let invitation = load(tx.conn()).await?;

    let user_id = match &auth.user {
        Some(signed_in) if signed_in.email == invitation.email => signed_in.id,
        Some(_) => {
            return Err(AppError::Forbidden(format!(
                "This invitation was sent to {}. Sign out, then open the link again and sign in with that address.",
                invitation.email
            )))
        }
        None => {
            if user::find_by_email(&mut *tx.conn(), &invitation.email).await?.is_some() {
                return Err(AppError::Invalid("You already have an account: sign in first, then accept.".into()));
            }
            let Some(account) = new_account else {
                return Err(AppError::Invalid("Enter your name and a password to create your account.".into()));
            };
            let name = PersonName::parse(&account.name)?;
            password::check_new(&account.password, &[&invitation.email, name.as_str()]).map_err(AppError::Invalid)?;
            let hash = password::hash(account.password).await?;
            let id = UserId::new();
            // The link arrived at this address, which is all that verification proves.
            sqlx::query!("INSERT INTO users (id, email, display_name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now())", id as _, &invitation.email, name.as_str(), &hash)
            .execute(tx.conn())
            .await?;
            id
        }
    };

    // Inside the organization, lock the invitation and check it again: of two acceptances
    // racing, the second waits here and then finds it used.
    let mut tx = tx.into_tenant(TenantCtx::new(invitation.org_id, user_id, invitation.role)).await?;
    let still_usable: bool = sqlx::query_scalar!(
        "SELECT accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() AS \"v!\" FROM invitations \
         WHERE org_id = $1 AND id = $2 FOR UPDATE",
        invitation.org_id as _,
        invitation.id as _
    )
    .fetch_one(tx.conn())
    .await?;
    if !still_usable {
        return Err(AppError::Invalid("This invitation has just been used or withdrawn.".into()));
    }
    // An inspector's limits come with the invitation.
    let joined = sqlx::query!(
        "INSERT INTO memberships (org_id, user_id, role, access_until, facility_ids) \
         SELECT org_id, $2, role, access_until, facility_ids FROM invitations WHERE org_id = $1 AND id = $3 \
         ON CONFLICT (org_id, user_id) DO NOTHING",
        invitation.org_id as _,
        user_id as _,
        invitation.id as _
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    if joined == 0 {
        return Err(AppError::Conflict(format!("You are already a member of {}.", invitation.org_name)));
    }
    sqlx::query!(
        "UPDATE invitations SET accepted_at = now(), accepted_by = $1 WHERE org_id = $2 AND id = $3",
        user_id as _,
        invitation.org_id as _,
        invitation.id as _
    )
    .execute(tx.conn())
    .await?;
    // Opening the link proves the address, for an existing unverified account too.
    sqlx::query!("UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1", user_id as _)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    state.auth_cache.forget_user(user_id);

    // Signs a new account in, or refreshes an existing session's user (now verified), and moves
    // the session to the organization just joined.
    let user = user::find_by_id(&state.pool, user_id).await?.ok_or(AppError::Internal)?;
    sign_in(state, auth, &user, Some(invitation.org_id), Method::Invitation, false).await?;
    Ok(invitation.org_id)
}
