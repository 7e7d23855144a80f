//! `GET /audit/export.jsonl`: an organization's whole trail as JSON Lines, one event per line
//! with its hashed text fields and hash, oldest first. Read in pages so a large trail never sits
//! in memory. The download itself is recorded in the trail. The handler is in
//! `server::http::downloads`.

use futures_util::stream;

use super::chain::FIELDS;
use super::record::{record, SecurityEvent};
use crate::model::error::AppError;
use crate::model::role::Action;
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::scope::apply_meta;
use crate::server::auth::{AuthSession, TenantCtx, TenantTx};
use crate::server::http::origin::RequestMeta;
use crate::server::state::AppState;

pub(crate) const BATCH: i64 = 1000;

/// Who may, and the export recorded in the trail before any line is sent.
pub async fn begin_download(
    state: &AppState,
    auth: &AuthSession,
    parts: &axum::http::request::Parts,
) -> Result<TenantCtx, AppError> {
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    ctx.require(Action::ViewAudit)?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    apply_meta(tx.conn(), &RequestMeta::from_parts(parts)).await?;
    let event = SecurityEvent {
        org: Some(ctx.org_id()),
        actor: Some(ctx.user_id()),
        action: "audit.exported",
        entity_type: "audit_events",
        entity_id: None,
        details: serde_json::json!({ "format": "jsonl" }),
    };
    record(tx.conn(), event).await?;
    tx.commit().await?;
    Ok(ctx)
}

/// One JSON object per event: the 13 hashed fields by name, exactly as hashed, and `hash`.
pub fn line(fields: &[String], hash: &str) -> String {
    let mut object = serde_json::Map::new();
    for (name, value) in FIELDS.iter().zip(fields) {
        object.insert((*name).to_owned(), serde_json::Value::String(value.clone()));
    }
    object.insert("hash".into(), serde_json::Value::String(hash.to_owned()));
    let mut text = serde_json::Value::Object(object).to_string();
    text.push('\n');
    text
}

/// The trail as JSON Lines, read a batch at a time.
pub fn lines(state: AppState, ctx: TenantCtx) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    stream::unfold(Some(0i64), move |after| {
        let (state, ctx) = (state.clone(), ctx.clone());
        async move {
            let after = after?;
            match batch(&state, &ctx, after).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(|r| r.0);
                    let text: String = rows.iter().map(|(_, fields, hash)| line(fields, hash)).collect();
                    Some((Ok(text), last))
                }
                Err(err) => {
                    tracing::error!(error = %err, "audit export failed part-way");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    })
}

pub(crate) async fn batch(
    state: &AppState,
    ctx: &TenantCtx,
    after: i64,
) -> Result<Vec<(i64, Vec<String>, String)>, sqlx::Error> {
    let mut tx = TenantTx::begin(&state.pool, ctx).await?;
    let org = ctx.org_id();
    let rows = sqlx::query!(
        r#"SELECT seq AS "seq!", fields AS "fields!", hash AS "hash!" FROM audit_events_text
           WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"#,
        org as _,
        after,
        BATCH
    )
    .map(|r| (r.seq, r.fields, r.hash))
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows)
}
