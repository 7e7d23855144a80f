//! What a server function knows about its caller: the one way to get the state, the session,
//! the signed-in user and the tenant context (house style: one `tenant_ctx()` helper).

use std::net::{IpAddr, Ipv4Addr};

use leptos::prelude::*;

use super::backend::AuthSession;
use super::scope::{TenantCtx, TenantTx};
use super::user::User;
use crate::model::error::AppError;
use crate::model::ids::OrgId;
use crate::server::http::origin::{ClientInfo, RequestMeta};
use crate::server::state::AppState;

/// Session key holding the organization the user is working in.
pub const CURRENT_ORG_KEY: &str = "current_org";

/// The application state. Like every context read, call it before the server function's first
/// `.await`: leptos restores its contexts across await points, but we have seen that fail under
/// load (a panic here), so every server function reads what it needs up front.
pub fn state() -> AppState {
    expect_context::<AppState>()
}

pub async fn auth_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|err| {
        tracing::error!(error = %err, "auth session missing: is the auth layer installed?");
        AppError::Internal
    })
}

pub async fn current_user() -> Result<User, AppError> {
    auth_session().await?.user.ok_or(AppError::Unauthenticated)
}

/// The caller's address as resolved by the client-info layer (proxy-aware).
pub fn client_ip() -> IpAddr {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientInfo>().map(|c| c.ip))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The tenant context of the signed-in user in their current organization, checked against the
/// database on every call (a removed member loses access at their next request).
pub async fn tenant_ctx() -> Result<TenantCtx, AppError> {
    // Contexts are read before the first await (see `state`).
    let pool = state().pool;
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    tenant_ctx_of(&auth_session().await?, &pool, &parts).await
}

/// [`tenant_ctx`] for plain axum handlers, which hold the session and the request themselves.
/// Every request of an inspector that gets this far is recorded in the audit trail with what
/// it asked for: views included, as inspector access requires.
pub async fn tenant_ctx_of(
    auth: &AuthSession,
    pool: &sqlx::PgPool,
    request: &http::request::Parts,
) -> Result<TenantCtx, AppError> {
    let tx = member_tx(auth, pool).await?;
    let ctx = tx.ctx().clone();
    tx.commit().await?;
    record_if_guest(&ctx, pool, request).await?;
    Ok(ctx)
}

/// The caller's tenant transaction, entered in the same round trip that reads their membership
/// (a [`tenant_ctx`] and then a transaction would take two more).
async fn tenant_tx() -> Result<TenantTx, AppError> {
    let pool = state().pool;
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    let tx = member_tx(&auth_session().await?, &pool).await?;
    record_if_guest(tx.ctx(), &pool, &parts).await?;
    Ok(tx)
}

async fn record_if_guest(ctx: &TenantCtx, pool: &sqlx::PgPool, request: &http::request::Parts) -> Result<(), AppError> {
    if ctx.is_guest() {
        let what = request.uri.path_and_query().map_or_else(|| request.uri.path().to_owned(), |p| p.to_string());
        crate::server::audit::record::record_guest_view(pool, ctx, &RequestMeta::from_parts(request), &what).await?;
    }
    Ok(())
}

/// The signed-in user, if their email address is confirmed: the one check every member's
/// request passes (server functions, handlers and the sticker scan alike).
pub fn verified_user(auth: &AuthSession) -> Result<User, AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    if !user.email_verified {
        return Err(AppError::Forbidden(
            "Confirm your email address first: open the link we sent you, or ask for a new one on your account page."
                .into(),
        ));
    }
    Ok(user)
}

/// Makes `org` the organization the session works in; the session is written only if that
/// changes.
pub async fn remember_org(auth: &AuthSession, wanted: Option<OrgId>, org: OrgId) {
    if wanted != Some(org) {
        let _ = auth.session.insert(CURRENT_ORG_KEY, org).await;
    }
}

/// Session key of the one organization a single sign-on session may work in (`auth::sso`).
pub const SSO_ORG_KEY: &str = "sso_org";

/// The one organization a single sign-on session may work in.
pub async fn sso_org(auth: &AuthSession) -> Option<OrgId> {
    auth.session.get(SSO_ORG_KEY).await.ok().flatten()
}

/// The organization the session works in, if one was chosen.
pub async fn session_org(auth: &AuthSession) -> Option<OrgId> {
    auth.session.get(CURRENT_ORG_KEY).await.ok().flatten()
}

/// A transaction in the organization the session is in, or (removed from it, or none chosen
/// yet) in the user's oldest membership, which the session then remembers.
async fn member_tx(auth: &AuthSession, pool: &sqlx::PgPool) -> Result<TenantTx, AppError> {
    let user = verified_user(auth)?;
    // A single sign-on session works in the provider's organization and no other.
    if let Some(only) = sso_org(auth).await {
        return TenantTx::enter(pool, user.id, Some(only)).await?.ok_or_else(|| {
            AppError::Forbidden("You are no longer a member of the organization you signed in to.".into())
        });
    }
    let wanted = session_org(auth).await;
    if let Some(tx) = TenantTx::enter(pool, user.id, wanted).await? {
        remember_org(auth, wanted, tx.ctx().org_id()).await;
        return Ok(tx);
    }
    // Removed from the organization the session was in: fall back to another one.
    if wanted.is_some() {
        let _ = auth.session.remove::<OrgId>(CURRENT_ORG_KEY).await;
        if let Some(tx) = TenantTx::enter(pool, user.id, None).await? {
            remember_org(auth, None, tx.ctx().org_id()).await;
            return Ok(tx);
        }
    }
    Err(AppError::Forbidden("You are not a member of any organization yet.".into()))
}

/// Sets the HTTP status matching the error, so monitors, tests and plain-form submissions see
/// a 404 as a 404. Every server function passes its result through here.
pub fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                http::StatusCode::from_u16(err.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}

/// The body of a tenant server function: opens a transaction in the caller's organization,
/// runs `work`, commits if it succeeded, and sets the error's HTTP status if not.
pub async fn in_tenant<T>(work: impl AsyncFnOnce(&mut super::TenantTx) -> Result<T, AppError>) -> Result<T, AppError> {
    reply(
        async {
            let mut tx = tenant_tx().await?;
            let output = work(&mut tx).await?;
            tx.commit().await?;
            Ok(output)
        }
        .await,
    )
}
