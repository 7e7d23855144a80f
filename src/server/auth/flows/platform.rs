//! The platform operators' console: every organization, its people and usage. Read-only.

use crate::model::accounts::{DeadJob, Member, OrgOverview, PlatformConsole};
use crate::model::error::AppError;
use crate::model::ids::OrgId;
use crate::model::text::PersonName;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::scope::PlatformTx;
use crate::server::auth::user::User;
use crate::server::state::AppState;

/// Refuses anyone without the operator flag with "not found": the console does not exist for them.
pub async fn overview(state: &AppState, user: &User) -> Result<PlatformConsole, AppError> {
    if !user.is_platform_operator {
        return Err(AppError::NotFound);
    }
    let viewed = SecurityEvent {
        org: None,
        actor: Some(user.id),
        action: "platform.console_viewed",
        entity_type: "organizations",
        entity_id: None,
        details: serde_json::json!({}),
    };
    super::record_platform(&state.pool, viewed).await?;
    let mut tx = PlatformTx::begin(&state.pool, user.id).await?;
    let orgs: Vec<(OrgId, String, String, i64)> = sqlx::query!("SELECT o.id AS \"id!: OrgId\", o.name AS \"name!: String\", to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"created_at!: String\",
                (SELECT count(*) FROM invitations i
                 WHERE i.org_id = o.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()) AS \"open_invitations!: i64\"
         FROM organizations o ORDER BY o.created_at DESC").map(|r| (r.id, r.name, r.created_at, r.open_invitations))
    .fetch_all(tx.conn())
    .await?;
    let members: Vec<(OrgId, Member)> =
        sqlx::query!("SELECT m.org_id AS \"org_id!: OrgId\", u.id AS \"id!: crate::model::ids::UserId\", u.display_name AS \"display_name!: String\", u.email AS \"email!: String\", m.role AS \"role!: crate::model::role::Role\"
         FROM memberships m JOIN users u ON u.id = m.user_id ORDER BY m.role, u.display_name").map(|r| (r.org_id, r.id, r.display_name, r.email, r.role))
        .fetch_all(tx.conn())
        .await?
        .into_iter()
        .map(|(org, user_id, display_name, email, role)| {
            (org, Member { user_id, display_name, email, role, access_until: None })
        })
        .collect();
    let organizations = orgs
        .into_iter()
        .map(|(org_id, name, created_at, pending_invitations)| OrgOverview {
            org_id,
            name,
            created_at,
            members: members.iter().filter(|(o, _)| *o == org_id).map(|(_, m)| m.clone()).collect(),
            pending_invitations,
        })
        .collect();
    let dead_jobs = sqlx::query!("SELECT kind AS \"kind!: String\", attempts AS \"attempts!: i32\", last_error AS \"last_error?: String\", to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"finished_at!: String\" \
         FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC LIMIT 100").map(|r| (r.kind, r.attempts, r.last_error, r.finished_at))
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|(kind, attempts, last_error, failed_at)| DeadJob {
        kind,
        attempts,
        last_error: last_error.unwrap_or_default(),
        failed_at,
    })
    .collect();
    Ok(PlatformConsole { organizations, dead_jobs })
}

/// `cleantrack create-superuser`: makes a platform operator. An existing account keeps its
/// password and gains the flag; otherwise a verified account is created with `password`.
/// Returns whether an account was created.
pub async fn create_operator(
    pool: &sqlx::PgPool,
    email: &str,
    name: &str,
    password: Option<String>,
) -> Result<bool, AppError> {
    use crate::model::email::Email;
    use crate::model::ids::UserId;
    use crate::server::auth::password as pw;

    let email = Email::parse(email).map_err(AppError::Invalid)?;
    let promoted = sqlx::query!("UPDATE users SET is_platform_operator = true WHERE email = $1", email.as_str())
        .execute(pool)
        .await?
        .rows_affected();
    if promoted > 0 {
        return Ok(false);
    }
    let name = PersonName::parse(name)?;
    let password = password
        .ok_or_else(|| AppError::Invalid("No account has this email; give a password to create one.".into()))?;
    pw::check_new(&password, &[email.as_str(), name.as_str()]).map_err(AppError::Invalid)?;
    let hash = pw::hash(password).await?;
    sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash, email_verified_at, is_platform_operator) \
         VALUES ($1, $2, $3, $4, now(), true)",
        UserId::new() as _,
        email.as_str(),
        name.as_str(),
        &hash
    )
    .execute(pool)
    .await?;
    Ok(true)
}
