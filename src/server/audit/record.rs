//! Security events that change no row (sign-ins, sign-outs, exports, console views) are
//! appended to the trail explicitly. Account-level events go to the platform chain.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::model::ids::{OrgId, UserId};
use crate::server::auth::scope::{begin_member_event, TenantCtx};
use crate::server::http::origin::RequestMeta;

pub struct SecurityEvent<'a> {
    /// The organization's chain, or `None` for the platform chain.
    pub org: Option<OrgId>,
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub details: Value,
}

/// Appends `event`; the chain trigger numbers and hashes it, and takes the address and user agent
/// from the transaction's context. Runs in the caller's transaction (an organization's event
/// needs that organization's context).
pub async fn record(conn: &mut PgConnection, event: SecurityEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_events (org_id, actor_user_id, actor_kind, action, entity_type, entity_id, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        event.org as _,
        event.actor as _,
        if event.actor.is_some() { "user" } else { "anonymous" },
        event.action,
        event.entity_type,
        event.entity_id,
        event.details
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Records a member's security event (a view, a download) in a transaction of its own, so it
/// is kept even for an inspector, whose tenant transactions are read-only.
pub async fn record_member_event(
    pool: &PgPool,
    ctx: &TenantCtx,
    meta: &RequestMeta,
    event: SecurityEvent<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = begin_member_event(pool, ctx, meta).await?;
    record(&mut tx, event).await?;
    tx.commit().await
}

/// Records that an inspector looked at `what`.
pub async fn record_guest_view(
    pool: &PgPool,
    ctx: &TenantCtx,
    meta: &RequestMeta,
    what: &str,
) -> Result<(), sqlx::Error> {
    record_member_event(pool, ctx, meta, guest_view(ctx, what)).await
}

/// What an inspector's view is recorded as: inspector access requires their views in the trail.
pub fn guest_view<'a>(ctx: &TenantCtx, what: &str) -> SecurityEvent<'a> {
    SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action: "inspector.viewed",
        entity_type: "request",
        entity_id: None,
        details: serde_json::json!({ "viewed": what }),
    }
}
