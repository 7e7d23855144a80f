//! Files we issue (PDF reports, binders, CSVs, audit exports): each one's SHA-256 is recorded
//! with who asked for it and when, signed with the audit key, so that `/verify` can tell anyone
//! holding a copy whether we issued it and whether it is unchanged.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::signing::{file_text, hex, unhex, AuditKey};
use crate::model::audit::FileIssue;
use crate::model::ids::{OrgId, UserId};
use crate::server::auth::scope::{begin_file_lookup, begin_issuing};
use crate::server::auth::TenantCtx;
use crate::server::state::AppState;

/// Records and signs the issue of a file with this SHA-256 (raw bytes), in `conn`'s
/// transaction, which carries the organization.
pub async fn record(
    conn: &mut PgConnection,
    key: &AuditKey,
    org: OrgId,
    sha256: &[u8],
    kind: &str,
    issued_by: Option<UserId>,
) -> Result<(), sqlx::Error> {
    let issued_at: String = sqlx::query_scalar!("SELECT app.utc(now()) AS \"v!\"").fetch_one(&mut *conn).await?;
    let signature = key.sign(&file_text(&hex(sha256), &org.to_string(), kind, &issued_at));
    sqlx::query!(
        "INSERT INTO issued_files (sha256, org_id, kind, issued_at, issued_by, key_id, signature) \
         VALUES ($1, $2, $3, $4::timestamptz, $5, $6, decode($7, 'hex')) ON CONFLICT (sha256, org_id) DO NOTHING",
        sha256,
        org as _,
        kind,
        &issued_at as _,
        issued_by as _,
        key.key_id(),
        &signature
    )
    .execute(conn)
    .await
    .map(drop)
}

/// A streamed download, hashed as it goes out; once the last byte has gone, its issue is
/// recorded for `ctx`'s organization. A stream that fails part-way records nothing.
pub fn streamed<S, B>(
    state: AppState,
    ctx: TenantCtx,
    kind: &'static str,
    body: S,
) -> impl Stream<Item = Result<B, std::io::Error>>
where
    S: Stream<Item = Result<B, std::io::Error>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
{
    type Inner<B> = Pin<Box<dyn Stream<Item = Result<B, std::io::Error>> + Send>>;
    let start: (Option<Inner<B>>, Sha256) = (Some(Box::pin(body)), Sha256::new());
    futures_util::stream::unfold(start, move |(inner, mut hasher)| {
        let (state, ctx) = (state.clone(), ctx.clone());
        async move {
            let mut inner = inner?;
            match inner.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(chunk.as_ref());
                    Some((Ok(chunk), (Some(inner), hasher)))
                }
                Some(Err(err)) => Some((Err(err), (None, hasher))),
                None => {
                    let sha256 = hasher.finalize();
                    let recorded = async {
                        let mut tx = begin_issuing(&state.pool, &ctx).await?;
                        record(&mut tx, &state.config.audit_key, ctx.org_id(), &sha256, kind, Some(ctx.user_id()))
                            .await?;
                        tx.commit().await
                    };
                    if let Err(err) = recorded.await {
                        tracing::error!(error = %err, kind, "could not record an issued file");
                    }
                    None
                }
            }
        }
    })
}

/// The issues of a file with this SHA-256 (hex, lowercase); empty when we never issued it.
pub async fn lookup(pool: &sqlx::PgPool, key: &AuditKey, sha256_hex: &str) -> Result<Vec<FileIssue>, sqlx::Error> {
    if unhex(sha256_hex).is_none_or(|bytes| bytes.len() != 32) {
        return Ok(Vec::new());
    }
    let mut tx = begin_file_lookup(pool, sha256_hex).await?;
    let rows: Vec<(OrgId, String, String, String, String, String)> = sqlx::query!("SELECT f.org_id AS \"org_id!: OrgId\", o.name AS \"name!: String\", f.kind AS \"kind!: String\", app.utc(f.issued_at) AS \"issued_at!: String\", f.key_id AS \"key_id!: String\", encode(f.signature, 'hex') AS \"signature!: String\" \
         FROM issued_files f JOIN organizations o ON o.id = f.org_id \
         WHERE f.sha256 = decode($1, 'hex') ORDER BY f.issued_at", sha256_hex).map(|r| (r.org_id, r.name, r.kind, r.issued_at, r.key_id, r.signature))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(org, organization, kind, issued_at, key_id, signature)| {
            let text = file_text(sha256_hex, &org.to_string(), &kind, &issued_at);
            let signature_valid = key_id == key.key_id() && key.verifies(&text, &signature);
            FileIssue { organization, kind, issued_at, signature_valid }
        })
        .collect())
}
