//! The organization's sign-in rules (owners): which roles must use a second factor, the idle
//! sign-out, the single sign-on provider; and ending a member's sessions.

use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::model::role::{Action, Role};
use crate::model::security::{SignInRules, SsoSettings};
use crate::server::audit::record::{self, SecurityEvent};
use crate::server::auth::sessions::{self, Ended};
use crate::server::auth::TenantTx;
use crate::server::state::AppState;

pub const IDLE_MINUTES: std::ops::RangeInclusive<i32> = 1..=720;

pub async fn get(tx: &mut TenantTx) -> Result<SignInRules, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let row = sqlx::query!(
        r#"SELECT require_2fa_roles AS "require_2fa_roles: Vec<Role>", idle_minutes, idle_roles AS "idle_roles: Vec<Role>"
           FROM organizations WHERE id = $1"#,
        org as _
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(SignInRules {
        require_2fa_roles: row.require_2fa_roles,
        idle_minutes: row.idle_minutes,
        idle_roles: row.idle_roles,
    })
}

/// Saves the rules (the organization's audit trigger records the change) and makes every open
/// session of its members read them at its next request.
pub async fn update(tx: &mut TenantTx, state: &AppState, rules: &SignInRules) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageSignIn)?;
    if !IDLE_MINUTES.contains(&rules.idle_minutes) {
        return Err(AppError::Invalid("Set the idle sign-out between 1 and 720 minutes (12 hours).".into()));
    }
    if rules.require_2fa_roles.contains(&Role::Inspector) || rules.idle_roles.contains(&Role::Inspector) {
        return Err(AppError::Invalid("Inspectors are guests: choose among the members' roles.".into()));
    }
    let org = tx.ctx().org_id();
    sqlx::query!(
        "UPDATE organizations SET require_2fa_roles = $2, idle_minutes = $3, idle_roles = $4 WHERE id = $1",
        org as _,
        &rules.require_2fa_roles as &[Role],
        rules.idle_minutes,
        &rules.idle_roles as &[Role]
    )
    .execute(tx.conn())
    .await?;
    let open = sqlx::query_scalar!(
        "SELECT s.id FROM user_sessions s JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $1
         WHERE s.ended_at IS NULL",
        org as _
    )
    .fetch_all(tx.conn())
    .await?;
    for sid in open {
        state.auth_cache.forget_session(sid);
    }
    Ok(())
}

/// An owner signs a member out everywhere (a lost phone, someone leaving in a hurry). The
/// member must belong to the owner's organization; anyone else is "not found".
pub async fn end_member_sessions(tx: &mut TenantTx, state: &AppState, member: UserId) -> Result<usize, AppError> {
    tx.ctx().require(Action::ManageSignIn)?;
    let org = tx.ctx().org_id();
    let belongs: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2) AS "v!""#,
        org as _,
        member as _
    )
    .fetch_one(tx.conn())
    .await?;
    if !belongs {
        return Err(AppError::NotFound);
    }
    end_after_change(tx, state, member, Ended::ByOwner).await
}

/// Ends every session of `member` (an owner's decision, or after their role changed or they
/// were removed), recorded in the organization's trail with the reason; returns how many.
pub async fn end_after_change(
    tx: &mut TenantTx,
    state: &AppState,
    member: UserId,
    reason: Ended,
) -> Result<usize, AppError> {
    let by = tx.ctx().user_id();
    let org = tx.ctx().org_id();
    let ended = sessions::end_all_of(state, tx.conn(), member, None, reason, Some(by)).await?;
    record::record(
        tx.conn(),
        SecurityEvent {
            org: Some(org),
            actor: Some(by),
            action: "auth.member_sessions_ended",
            entity_type: "users",
            entity_id: Some(member.to_string()),
            details: serde_json::json!({ "ended": ended, "reason": reason.as_str() }),
        },
    )
    .await?;
    Ok(ended)
}

/// The organization's single sign-on provider, as its owners see it (never the secret).
pub async fn sso(tx: &mut TenantTx, state: &AppState) -> Result<SsoSettings, AppError> {
    tx.ctx().require(Action::ManageSignIn)?;
    let org = tx.ctx().org_id();
    let redirect_uri = state.config.public_url.join("/sso/callback").map_err(|_| AppError::Internal)?.to_string();
    let provider = sqlx::query!(
        r#"SELECT issuer, client_id, jit_role AS "jit_role: Role", enforced FROM sso_providers WHERE org_id = $1"#,
        org as _
    )
    .fetch_optional(tx.conn())
    .await?;
    let domains = sqlx::query_scalar!("SELECT domain FROM sso_domains WHERE org_id = $1 ORDER BY domain", org as _)
        .fetch_all(tx.conn())
        .await?;
    Ok(match provider {
        None => SsoSettings { redirect_uri, ..SsoSettings::default() },
        Some(p) => SsoSettings {
            configured: true,
            issuer: p.issuer,
            client_id: p.client_id,
            domains,
            jit_role: p.jit_role,
            enforced: p.enforced,
            redirect_uri,
        },
    })
}

/// What an owner submits; an empty secret keeps the one stored.
pub struct SsoChange {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub domains: String,
    pub jit_role: Option<Role>,
    pub enforced: bool,
}

/// Saves the provider after checking its discovery document answers. Each domain must be the
/// domain of the saving owner's own (confirmed) email: an organization cannot claim another's
/// addresses, and a domain belongs to one organization only.
pub async fn save_sso(
    tx: &mut TenantTx,
    state: &AppState,
    owner_email: &str,
    change: SsoChange,
) -> Result<(), AppError> {
    use crate::server::auth::sealed::Purpose;
    tx.ctx().require(Action::ManageSignIn)?;
    let org = tx.ctx().org_id();
    let issuer = issuer_url(state, &change.issuer)?;
    let client_id = crate::model::text::one_line(&change.client_id, "the client ID", 300, true)?;
    let own_domain = owner_email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
    let domains: Vec<String> = change
        .domains
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
        .collect();
    if domains.is_empty() {
        return Err(AppError::Invalid("Name the email domain the provider covers (for example hospital.org).".into()));
    }
    if let Some(other) = domains.iter().find(|d| **d != own_domain) {
        return Err(AppError::Invalid(format!(
            "{other} is not your own email's domain ({own_domain}): only the domain of the owner saving this can be claimed."
        )));
    }
    if let Some(role) = change.jit_role.filter(|r| matches!(r, Role::Owner | Role::Inspector)) {
        return Err(AppError::Invalid(format!("New people cannot be made {} by single sign-on.", role.label())));
    }
    let secret = change.client_secret.trim();
    let existing: Option<Vec<u8>> =
        sqlx::query_scalar!("SELECT client_secret_sealed FROM sso_providers WHERE org_id = $1 FOR UPDATE", org as _)
            .fetch_optional(tx.conn())
            .await?;
    let sealed = match (secret.is_empty(), existing) {
        (false, _) => state.config.field_key.seal(Purpose::SsoClientSecret, secret.as_bytes()),
        (true, Some(kept)) => kept,
        (true, None) => return Err(AppError::Invalid("Enter the client secret the provider gave you.".into())),
    };
    // The provider must answer before anyone is sent to it.
    let metadata_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let answers = openidconnect::reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| AppError::Internal)?
        .get(&metadata_url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    if !answers {
        return Err(AppError::Invalid(format!(
            "{metadata_url} did not answer: check the issuer (it is the provider's address, without /.well-known)."
        )));
    }
    sqlx::query!(
        "INSERT INTO sso_providers (org_id, issuer, client_id, client_secret_sealed, jit_role, enforced)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
             client_secret_sealed = EXCLUDED.client_secret_sealed, jit_role = EXCLUDED.jit_role,
             enforced = EXCLUDED.enforced, updated_at = now()",
        org as _,
        &issuer,
        &client_id,
        &sealed,
        change.jit_role as _,
        change.enforced
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!("DELETE FROM sso_domains WHERE org_id = $1 AND NOT (domain = ANY ($2))", org as _, &domains)
        .execute(tx.conn())
        .await?;
    for domain in &domains {
        sqlx::query!(
            "INSERT INTO sso_domains (domain, org_id) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING",
            domain,
            org as _
        )
        .execute(tx.conn())
        .await
        .map_err(|err| {
            crate::model::error::refused_as(
                err,
                crate::model::error::Refusal::Constraint("sso_domains_normalized"),
                AppError::Invalid(format!("{domain} is not an email domain.")),
            )
        })?;
    }
    let mine: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "v!" FROM sso_domains WHERE org_id = $1 AND domain = ANY ($2)"#,
        org as _,
        &domains
    )
    .fetch_one(tx.conn())
    .await?;
    if mine != domains.len() as i64 {
        return Err(AppError::Conflict(
            "Another organization already signs in with single sign-on for this domain.".into(),
        ));
    }
    Ok(())
}

/// Removes single sign-on: members sign in with their passwords again.
pub async fn remove_sso(tx: &mut TenantTx) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageSignIn)?;
    let org = tx.ctx().org_id();
    sqlx::query!("DELETE FROM sso_providers WHERE org_id = $1", org as _).execute(tx.conn()).await?;
    Ok(())
}

/// The issuer as the provider names itself: HTTPS, or plain HTTP on this machine outside
/// production (the tests' provider).
fn issuer_url(state: &AppState, raw: &str) -> Result<String, AppError> {
    let bad = || AppError::Invalid("The issuer must be the provider's https:// address.".into());
    // The column's own limit (sso_providers_issuer_length), said before the database refuses it.
    if !(8..=500).contains(&raw.trim().chars().count()) {
        return Err(bad());
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
    let loopback =
        matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()) || url.host_str() == Some("localhost");
    let development = state.config.env != crate::server::config::AppEnv::Production;
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback && development) {
        return Err(bad());
    }
    Ok(raw.trim().to_owned())
}
