//! Inviting people by email with a role; listing and withdrawing invitations.

use url::Url;

use crate::model::accounts::PendingInvitation;
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::model::ids::{FacilityId, InvitationId};
use crate::model::role::{Action, Role};
use crate::server::auth::{tokens, TenantTx};
use crate::server::mailer;

const VALID_DAYS: i32 = 7;

/// Records the invitation and its email in the caller's transaction. A newer invitation to the
/// same address replaces (revokes) an older pending one, so only one link works at a time.
/// An inspector's limits: how many days their access lasts, and which facilities they see
/// (`None`: all of them).
pub struct GuestAccess {
    /// The inspector's name, as the admin gives it.
    pub name: String,
    pub days: i32,
    pub facilities: Option<Vec<FacilityId>>,
}

/// The longest an inspector's access may last.
pub const MAX_GUEST_DAYS: i32 = 90;

pub async fn create(
    tx: &mut TenantTx,
    public_url: &Url,
    email: &str,
    role: Role,
    guest: Option<GuestAccess>,
) -> Result<(), AppError> {
    tx.ctx().require(Action::InviteMembers)?;
    if role == Role::Owner {
        tx.ctx().require(Action::ManageOwners)?;
    }
    match (&guest, role) {
        (None, Role::Inspector) => {
            return Err(AppError::Invalid("Inspectors are invited with an end date and their facilities.".into()))
        }
        (Some(_), role) if role != Role::Inspector => return Err(AppError::Internal),
        (Some(access), _) => check_guest_access(tx, access).await?,
        (None, _) => {}
    }
    let (name, access_days, facilities) = match guest {
        Some(g) => (
            Some(crate::model::text::one_line(&g.name, "the inspector's name", 100, true)?),
            Some(g.days),
            g.facilities,
        ),
        None => (None, None, None),
    };
    let email = Email::parse(email).map_err(AppError::Invalid)?;
    let (org, inviter) = (tx.ctx().org_id(), tx.ctx().user_id());
    let already: bool = sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2) AS \"v!\"", org as _, email.as_str())
    .fetch_one(tx.conn())
    .await?;
    if already {
        return Err(AppError::Conflict(format!("{email} is already a member.")));
    }
    sqlx::query!(
        "UPDATE invitations SET revoked_at = now() \
         WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        org as _,
        email.as_str()
    )
    .execute(tx.conn())
    .await?;
    let token = tokens::generate();
    // An inspector's link works no longer than their access.
    sqlx::query!("INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, expires_at, access_until, facility_ids, \
                                  invitee_name) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => least($7::int, coalesce($8::int, $7::int))), \
                 now() + make_interval(days => $8::int), $9, $10)", InvitationId::new() as _, org as _, email.as_str(), role as _, &token.hash, inviter as _, VALID_DAYS, access_days, facilities as _, name)
    .execute(tx.conn())
    .await?;
    let (inviter_name, org_name): (String, String) = sqlx::query!("SELECT (SELECT display_name FROM users WHERE id = $1) AS \"inviter_name!: String\", (SELECT name FROM organizations WHERE id = $2) AS \"org_name!: String\"", inviter as _, org as _).map(|r| (r.inviter_name, r.org_name))
    .fetch_one(tx.conn())
    .await?;
    let link = mailer::link(public_url, "/invitations/accept", &token.token);
    mailer::send(tx.conn(), mailer::invitation(email.as_str(), &inviter_name, &org_name, role.label(), &link)).await?;
    Ok(())
}

async fn check_guest_access(tx: &mut TenantTx, access: &GuestAccess) -> Result<(), AppError> {
    if !(1..=MAX_GUEST_DAYS).contains(&access.days) {
        return Err(AppError::Invalid(format!("Give the inspector between 1 and {MAX_GUEST_DAYS} days of access.")));
    }
    if let Some(list) = &access.facilities {
        if list.is_empty() {
            return Err(AppError::Invalid("Choose the facilities the inspector may see.".into()));
        }
        let found: i64 = sqlx::query_scalar!(
            "SELECT count(*) AS \"v!\" FROM facilities WHERE org_id = $1 AND id = ANY ($2)",
            tx.ctx().org_id() as _,
            list as _
        )
        .fetch_one(tx.conn())
        .await?;
        if found != list.len() as i64 {
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

pub async fn list_pending(tx: &mut TenantTx) -> Result<Vec<PendingInvitation>, AppError> {
    tx.ctx().require(Action::InviteMembers)?;
    let org = tx.ctx().org_id();
    let rows: Vec<(InvitationId, String, Role, String, String)> = sqlx::query!("SELECT i.id AS \"id!: InvitationId\", i.email AS \"email!: String\", i.role AS \"role!: Role\", u.display_name AS \"display_name!: String\", \
                to_char(i.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"expires_at!: String\" \
         FROM invitations i JOIN users u ON u.id = i.invited_by \
         WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now() \
         ORDER BY i.created_at DESC", org as _).map(|r| (r.id, r.email, r.role, r.display_name, r.expires_at))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, role, invited_by, expires_at)| PendingInvitation { id, email, role, invited_by, expires_at })
        .collect())
}

pub async fn revoke(tx: &mut TenantTx, id: InvitationId) -> Result<(), AppError> {
    tx.ctx().require(Action::InviteMembers)?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query!(
            "UPDATE invitations SET revoked_at = now() \
             WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
            org as _,
            id as _
        )
        .execute(tx.conn())
        .await?
        .rows_affected(),
    )
}
