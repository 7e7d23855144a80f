//! Security events that change no row (sign-ins, sign-outs, exports, console views) are
//! appended to the trail explicitly. Account-level events go to the platform chain.

use serde_json::Value;
use sqlx::PgConnection;

use crate::model::ids::{OrgId, UserId};

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
    sqlx::query(
        "INSERT INTO audit_events (org_id, actor_user_id, actor_kind, action, entity_type, entity_id, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.org)
    .bind(event.actor)
    .bind(if event.actor.is_some() { "user" } else { "anonymous" })
    .bind(event.action)
    .bind(event.entity_type)
    .bind(event.entity_id)
    .bind(event.details)
    .execute(conn)
    .await
    .map(drop)
}
