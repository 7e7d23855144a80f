//! Members and their roles. An organization always keeps at least one owner.

use crate::model::accounts::Member;
use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::model::role::{Action, Role};
use crate::server::auth::TenantTx;

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Member>, AppError> {
    tx.ctx().require(Action::ViewTeam)?;
    let org = tx.ctx().org_id();
    let rows: Vec<(UserId, String, String, Role, Option<String>)> = sqlx::query!("SELECT u.id AS \"id!: UserId\", u.display_name AS \"display_name!: String\", u.email AS \"email!: String\", m.role AS \"role!: Role\", \
                to_char(m.access_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') AS \"access_until?: String\" \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 ORDER BY m.role, lower(u.display_name)", org as _).map(|r| (r.id, r.display_name, r.email, r.role, r.access_until))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, display_name, email, role, access_until)| Member {
            user_id,
            display_name,
            email,
            role,
            access_until,
        })
        .collect())
}

/// Locks the organization's memberships, then returns the target's role (`NotFound` for
/// anyone who is not a member here, including members of other organizations) and the number
/// of owners. The lock makes "is this the last owner?" safe against two admins acting at once.
async fn lock_target(tx: &mut TenantTx, target: UserId) -> Result<(Role, i64), AppError> {
    let org = tx.ctx().org_id();
    let roles: Vec<(UserId, Role)> =
        sqlx::query!("SELECT user_id AS \"user_id!: UserId\", role AS \"role!: Role\" FROM memberships WHERE org_id = $1 ORDER BY user_id FOR UPDATE", org as _).map(|r| (r.user_id, r.role))
            .fetch_all(tx.conn())
            .await?;
    let owners = roles.iter().filter(|(_, r)| *r == Role::Owner).count() as i64;
    let role = roles.iter().find(|(id, _)| *id == target).map(|(_, r)| *r).ok_or(AppError::NotFound)?;
    Ok((role, owners))
}

const LAST_OWNER: &str = "An organization always keeps an owner: make someone else owner first.";

/// Returns whether the role changed (setting the role a member has changes nothing).
pub async fn change_role(tx: &mut TenantTx, target: UserId, new_role: Role) -> Result<bool, AppError> {
    tx.ctx().require(Action::ManageMembers)?;
    let (current, owners) = lock_target(tx, target).await?;
    if current == Role::Owner || new_role == Role::Owner {
        tx.ctx().require(Action::ManageOwners)?;
    }
    if current == Role::Owner && new_role != Role::Owner && owners <= 1 {
        return Err(AppError::Conflict(LAST_OWNER.into()));
    }
    let org = tx.ctx().org_id();
    sqlx::query!(
        "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3",
        new_role as _,
        org as _,
        target as _
    )
    .execute(tx.conn())
    .await?;
    Ok(current != new_role)
}

pub async fn remove(tx: &mut TenantTx, target: UserId) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageMembers)?;
    let (current, owners) = lock_target(tx, target).await?;
    if current == Role::Owner {
        tx.ctx().require(Action::ManageOwners)?;
        if owners <= 1 {
            return Err(AppError::Conflict(LAST_OWNER.into()));
        }
    }
    let org = tx.ctx().org_id();
    sqlx::query!("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", org as _, target as _)
        .execute(tx.conn())
        .await?;
    Ok(())
}
