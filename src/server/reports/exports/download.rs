//! A ready export's file, for the member who asked for it and no one else; the download is
//! recorded in the trail.

use axum::http::request::Parts;
use serde_json::json;

use crate::model::error::AppError;
use crate::model::ids::ExportId;
use crate::model::reports::ExportKind;
use crate::model::role::Action;
use crate::server::audit::record::record_member_event;
use crate::server::audit::record::SecurityEvent;
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::{AuthSession, TenantTx};
use crate::server::http::origin::RequestMeta;
use crate::server::state::AppState;

/// The stored file, read as it is sent.
pub type Reader = std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>;

/// The kind, the file and its size of the caller's own ready export `id`; 404 for anyone else.
pub async fn open(
    state: &AppState,
    auth: &AuthSession,
    parts: &Parts,
    id: &str,
) -> Result<(ExportKind, Reader, i64), AppError> {
    let id: ExportId = id.parse().map_err(|_| AppError::NotFound)?;
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    ctx.require(Action::ExportReports)?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let row: Option<(String, String, i64)> = sqlx::query!("SELECT kind AS \"kind!: String\", storage_key AS \"storage_key!: String\", byte_size AS \"byte_size!: i64\" FROM exports \
         WHERE org_id = $1 AND id = $2 AND requested_by = $3 AND state = 'ready'", ctx.org_id() as _, id as _, ctx.user_id() as _).map(|r| (r.kind, r.storage_key, r.byte_size))
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let (kind, key, size) = row.ok_or(AppError::NotFound)?;
    let kind = ExportKind::parse(&kind).ok_or(AppError::Internal)?;
    let reader = state.storage.stream(&key).await?.ok_or_else(|| {
        tracing::error!(%id, key, "a ready export's file is missing");
        AppError::NotFound
    })?;
    let event = SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action: "reports.export_downloaded",
        entity_type: "exports",
        entity_id: Some(id.to_string()),
        details: json!({ "kind": kind.as_str() }),
    };
    record_member_event(&state.pool, &ctx, &RequestMeta::from_parts(parts), event).await?;
    Ok((kind, reader, size))
}
