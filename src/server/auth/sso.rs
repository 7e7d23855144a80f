//! Single sign-on with OpenID Connect (the `openidconnect` crate): one provider per
//! organization, found from the email's domain; authorization code flow with PKCE; the ID token
//! checked for its signature (the provider's JWKS, from discovery), issuer, audience, expiry and
//! the nonce this sign-in sent. A person the provider vouches for is signed in to that
//! organization only (the session cannot switch to another), and becomes a member with the
//! configured role if they were not one ("just in time"), unless the organization admits
//! invited people only.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};

use super::backend::AuthSession;
use super::scope::{SsoTx, TenantCtx, TenantTx};
use super::sealed::Purpose;
use super::sessions::Method;
use super::user::{self, User};
use crate::model::email::Email;
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::role::Role;
use crate::server::audit::record::{self, SecurityEvent};
use crate::server::state::AppState;

/// Session key of a sign-in sent to the provider and not back yet.
const PENDING_KEY: &str = "sso_pending";
/// The provider must send the person back within this many seconds.
const PENDING_FOR: i64 = 600;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// An organization's provider, as configured by its owner.
pub struct Provider {
    pub org: OrgId,
    pub issuer: String,
    pub client_id: String,
    secret_sealed: Vec<u8>,
    pub jit_role: Option<Role>,
    pub enforced: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Pending {
    org: OrgId,
    csrf: String,
    nonce: String,
    verifier: String,
    next: String,
    shared_device: bool,
    since: i64,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn domain_of(email: &str) -> Option<String> {
    email.rsplit_once('@').map(|(_, d)| d.trim().to_ascii_lowercase()).filter(|d| !d.is_empty())
}

/// The provider covering `email`'s domain, if an organization set one up.
pub async fn provider_for_email(state: &AppState, email: &str) -> Result<Option<Provider>, AppError> {
    let Some(domain) = domain_of(email) else { return Ok(None) };
    let mut tx = SsoTx::by_domain(&state.pool, &domain).await?;
    let found = read_provider(&mut tx, None).await?;
    tx.commit().await?;
    Ok(found)
}

async fn provider_of(state: &AppState, org: OrgId) -> Result<Option<(Provider, Vec<String>)>, AppError> {
    let mut tx = SsoTx::of_org(&state.pool, org).await?;
    let found = read_provider(&mut tx, Some(org)).await?;
    let domains =
        sqlx::query_scalar!("SELECT domain FROM sso_domains WHERE org_id = $1", org as _).fetch_all(tx.conn()).await?;
    tx.commit().await?;
    Ok(found.map(|p| (p, domains)))
}

async fn read_provider(tx: &mut SsoTx, org: Option<OrgId>) -> Result<Option<Provider>, sqlx::Error> {
    // The transaction sees at most one provider; `org` narrows it for the return trip.
    sqlx::query!(
        r#"SELECT org_id AS "org_id: OrgId", issuer, client_id, client_secret_sealed, jit_role AS "jit_role: Role", enforced
           FROM sso_providers WHERE $1::uuid IS NULL OR org_id = $1"#,
        org as _
    )
    .fetch_optional(tx.conn())
    .await
    .map(|row| {
        row.map(|r| Provider {
            org: r.org_id,
            issuer: r.issuer,
            client_id: r.client_id,
            secret_sealed: r.client_secret_sealed,
            jit_role: r.jit_role,
            enforced: r.enforced,
        })
    })
}

/// An HTTP client for the provider: no redirects followed (they would open the door to
/// requests the provider chose), a short timeout.
fn http() -> Result<openidconnect::reqwest::Client, AppError> {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| AppError::Internal)
}

const UNREACHABLE: &str =
    "Your organization's sign-in provider did not answer as expected. Try again, or ask your administrator.";

async fn client(state: &AppState, provider: &Provider) -> Result<Client, AppError> {
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|_| AppError::Invalid(UNREACHABLE.into()))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &http()?).await.map_err(|err| {
        tracing::warn!(error = %err, issuer = %provider.issuer, "OpenID discovery failed");
        AppError::Invalid(UNREACHABLE.into())
    })?;
    let secret = state.config.field_key.open(Purpose::SsoClientSecret, &provider.secret_sealed).ok_or_else(|| {
        tracing::error!(
            "an SSO client secret does not open with FIELD_ENCRYPTION_KEY: was the key (or SECRET_KEY) changed?"
        );
        AppError::Internal
    })?;
    let secret = String::from_utf8(secret).map_err(|_| AppError::Internal)?;
    let redirect = state.config.public_url.join("/sso/callback").map_err(|_| AppError::Internal)?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(RedirectUrl::from_url(redirect)))
}

/// The provider's address to send the person to, for `email`; the sign-in's secrets (state,
/// nonce, PKCE verifier) stay in this session.
pub async fn start(
    state: &AppState,
    auth: &AuthSession,
    email: &str,
    next: &str,
    shared_device: bool,
) -> Result<String, AppError> {
    let email = Email::parse(email).map_err(|_| AppError::Invalid("Enter your work email address.".into()))?;
    let provider = provider_for_email(state, email.as_str()).await?.ok_or_else(|| {
        AppError::Invalid(
            "No organization signs in with single sign-on for this email: sign in with your password.".into(),
        )
    })?;
    let client = client(state, &provider).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_extra_param("login_hint", email.as_str())
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        org: provider.org,
        csrf: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next: next.to_owned(),
        shared_device,
        since: now(),
    };
    auth.session.insert(PENDING_KEY, pending).await.map_err(|err| {
        tracing::error!(error = %err, "session write failed");
        AppError::Internal
    })?;
    Ok(url.to_string())
}

/// Why an ID token is refused, in the words of the check that failed.
pub fn check_id_token(client: &Client, token: &CoreIdToken, nonce: &str) -> Result<(String, Option<String>), String> {
    let claims =
        token.claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned())).map_err(|err| err.to_string())?;
    let email = claims.email().map(|e| e.as_str().to_owned()).ok_or("the ID token has no email")?;
    if claims.email_verified() == Some(false) {
        return Err("the provider has not verified this email".into());
    }
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
    Ok((email, name))
}

/// The provider sent the person back: checks everything, then signs them in to the provider's
/// organization. Returns where to go next.
pub async fn finish(
    state: &AppState,
    auth: &mut AuthSession,
    ip: std::net::IpAddr,
    code: &str,
    returned_state: &str,
) -> Result<String, AppError> {
    const EXPIRED: &str = "This sign-in expired or was already used: start again from the sign-in page.";
    let pending: Option<Pending> = auth.session.remove(PENDING_KEY).await.ok().flatten();
    let pending = pending.filter(|p| now() - p.since <= PENDING_FOR).ok_or(AppError::Invalid(EXPIRED.into()))?;
    if !super::tokens::same(pending.csrf.as_bytes(), returned_state.as_bytes()) {
        return Err(AppError::Invalid(EXPIRED.into()));
    }
    let (provider, domains) = provider_of(state, pending.org)
        .await?
        .ok_or(AppError::Invalid("Single sign-on is no longer set up for your organization.".into()))?;
    let client = client(state, &provider).await?;
    let exchange = client.exchange_code(AuthorizationCode::new(code.to_owned())).map_err(|_| AppError::Internal)?;
    let tokens = exchange
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http()?)
        .await
        .map_err(|err| {
            tracing::info!(error = %err, "the provider refused the code exchange");
            AppError::Invalid("Your sign-in provider refused this sign-in. Start again.".into())
        })?;
    let token = tokens.id_token().ok_or(AppError::Invalid(UNREACHABLE.into()))?;
    let (email, name) = match check_id_token(&client, token, &pending.nonce) {
        Ok(found) => found,
        Err(reason) => {
            refused(state, provider.org, &reason).await?;
            return Err(AppError::Invalid(format!("The sign-in provider's answer was refused: {reason}.")));
        }
    };
    let email = Email::parse(&email)
        .map_err(|_| AppError::Invalid("The provider sent an email address we cannot use.".into()))?;
    // A provider speaks only for its organization's domains.
    if !domain_of(email.as_str()).is_some_and(|d| domains.contains(&d)) {
        refused(state, provider.org, "email outside the provider's domains").await?;
        return Err(AppError::Forbidden(
            "Your sign-in provider vouched for an address outside your organization's domains.".into(),
        ));
    }
    let user = member_for(state, &provider, &email, name.as_deref()).await?;
    use crate::server::auth::throttle::{self, Kind};
    throttle::record(&state.pool, Kind::Login, Some(email.as_str()), ip, true).await?;
    let details = serde_json::json!({ "method": "sso", "organization": provider.org });
    super::flows::record_own(&state.pool, user.id, "auth.login_succeeded", details).await?;
    super::flows::registration::sign_in(state, auth, &user, Some(provider.org), Method::Sso, pending.shared_device)
        .await?;
    auth.session.insert(super::request::SSO_ORG_KEY, provider.org).await.map_err(|_| AppError::Internal)?;
    Ok(pending.next)
}

/// The person as a member of the provider's organization: already one, or made one now with the
/// configured role. Owners are never made this way.
async fn member_for(
    state: &AppState,
    provider: &Provider,
    email: &Email,
    name: Option<&str>,
) -> Result<User, AppError> {
    const INVITED_ONLY: &str =
        "Your organization admits invited people only: ask an administrator to invite you, then sign in again.";
    let existing = user::find_by_email(&state.pool, email.as_str()).await?;
    if let Some(user) = &existing {
        if TenantCtx::for_member(&state.pool, Some(provider.org), user.id).await?.is_some() {
            return Ok(user.clone());
        }
    }
    let role = provider.jit_role.ok_or(AppError::Forbidden(INVITED_ONLY.into()))?;
    let user_id = match existing {
        Some(user) => user.id,
        None => create_account(state, email, name).await?,
    };
    let ctx = TenantCtx::new(provider.org, user_id, role);
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    sqlx::query!(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        provider.org as _,
        user_id as _,
        role as _
    )
    .execute(tx.conn())
    .await?;
    record::record(
        tx.conn(),
        SecurityEvent {
            org: Some(provider.org),
            actor: Some(user_id),
            action: "auth.sso_member_added",
            entity_type: "users",
            entity_id: Some(user_id.to_string()),
            details: serde_json::json!({ "email": email.as_str(), "role": role.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    state.auth_cache.forget_user(user_id);
    user::find_by_id(&state.pool, user_id).await?.ok_or(AppError::Internal)
}

/// A new account for a person the provider vouches for. Its password is random and never
/// told: they sign in through the provider (or set one with a password reset).
async fn create_account(state: &AppState, email: &Email, name: Option<&str>) -> Result<UserId, AppError> {
    let local = email.as_str().split('@').next().unwrap_or("Member");
    let name = crate::model::text::PersonName::parse(name.unwrap_or(local))
        .or_else(|_| crate::model::text::PersonName::parse(local))?;
    let hash = super::password::hash(super::tokens::generate().token).await?;
    let id = UserId::new();
    sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now())",
        id as _,
        email.as_str(),
        name.as_str(),
        &hash
    )
    .execute(&state.pool)
    .await?;
    Ok(id)
}

async fn refused(state: &AppState, org: OrgId, reason: &str) -> Result<(), AppError> {
    tracing::info!(%reason, "an SSO sign-in was refused");
    let event = SecurityEvent {
        org: None,
        actor: None,
        action: "auth.sso_refused",
        entity_type: "organizations",
        entity_id: Some(org.to_string()),
        details: serde_json::json!({ "reason": reason }),
    };
    Ok(super::flows::record_platform(&state.pool, event).await?)
}

/// Whether `user`'s password (or passkey alone) may sign them in: not when an organization
/// they belong to enforces single sign-on, unless they are its owner with a second factor
/// (break-glass, should the provider be down).
pub async fn password_allowed(state: &AppState, user: UserId, has_second_factor: bool) -> Result<(), AppError> {
    let mut tx = super::scope::UserTx::begin(&state.pool, user).await?;
    let enforced: Vec<(String, Role)> = sqlx::query!(
        r#"SELECT o.name, m.role AS "role: Role" FROM memberships m
           JOIN organizations o ON o.id = m.org_id
           JOIN LATERAL (SELECT p.enforced FROM sso_providers p WHERE p.org_id = m.org_id) p ON true
           WHERE m.user_id = $1 AND p.enforced AND app.membership_active(m.access_until)"#,
        user as _
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.name, r.role))
    .collect();
    tx.commit().await?;
    match enforced.iter().find(|(_, role)| !(*role == Role::Owner && has_second_factor)) {
        None => Ok(()),
        Some((org, _)) => Err(AppError::Forbidden(format!(
            "{org} signs in with single sign-on: use \"Sign in with single sign-on\" with your work email."
        ))),
    }
}
