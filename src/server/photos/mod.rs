//! Photos of cleanings: upload (checked and cleaned, see [`image`]), attach to a log as it is
//! signed, read back for members, and the cleanup of what never got attached.
//!
//! Order of writes: the record is committed first, then the files, then the record is marked
//! stored. Any failure removes what was written; a crash between steps leaves a record naming
//! its files, which the hourly cleanup removes with them. So there is never a file without its
//! record, and a log can only attach photos whose files are stored.

pub mod image;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, LogId, OrgId, PhotoId};
use crate::model::role::Action;
use crate::server::auth::scope::OrgJobTx;
use crate::server::auth::{TenantCtx, TenantTx};
use crate::server::state::AppState;

use self::image::PhotoError;

/// Checks, cleans and stores a photo of `equipment` for the caller.
pub async fn upload(
    state: &AppState,
    ctx: &TenantCtx,
    equipment: EquipmentId,
    bytes: Vec<u8>,
) -> Result<PhotoId, AppError> {
    ctx.require(Action::LogCleaning)?;
    let (org, user) = (ctx.org_id(), ctx.user_id());
    // Cheap checks before the expensive decode.
    let mut tx = TenantTx::begin(&state.pool, ctx).await?;
    if crate::server::equipment::in_service(&mut tx, equipment).await? != Some(true) {
        return Err(AppError::NotFound);
    }
    // No connection is held while decoding.
    tx.commit().await?;
    let (max, max_pixels) = (state.config.uploads.max_photo_bytes, state.config.uploads.max_photo_pixels);
    // A large photo needs well over a hundred megabytes while decoded: two at a time at most.
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _permit = DECODING.acquire().await.map_err(|err| anyhow::anyhow!("{err}"))?;
    let photo = tokio::task::spawn_blocking(move || image::clean(&bytes, max, max_pixels))
        .await
        .map_err(|err| anyhow::anyhow!("photo task: {err}"))?
        .map_err(|err| match err {
            PhotoError::TooLarge(_) => AppError::TooLarge(err.to_string()),
            other => AppError::Invalid(other.to_string()),
        })?;

    let id = PhotoId::new();
    let key = format!("{org}/{id}.{}", photo.extension);
    let thumb_key = format!("{org}/{id}.thumb.jpg");
    let mut tx = TenantTx::begin(&state.pool, ctx).await?;
    sqlx::query!("INSERT INTO photos (id, org_id, equipment_id, uploaded_by, storage_key, thumb_key, content_type, uploaded_as, \
                byte_size, width, height, sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", id as _, org as _, equipment as _, user as _, &key, &thumb_key, photo.content_type, photo.uploaded_as, photo.bytes.len() as i32, photo.width as i32, photo.height as i32, &photo.sha256[..])
    .execute(tx.conn())
    .await?;
    tx.commit().await?;

    let stored = async {
        state.storage.put(&key, photo.bytes, photo.content_type).await?;
        state.storage.put(&thumb_key, photo.thumbnail, "image/jpeg").await
    }
    .await;
    if let Err(err) = stored {
        tracing::error!(error = format!("{err:#}"), %id, "photo storage failed");
        remove(state, ctx, id, &[&key, &thumb_key]).await;
        return Err(AppError::Internal);
    }
    let mut tx = TenantTx::begin(&state.pool, ctx).await?;
    sqlx::query!("UPDATE photos SET stored_at = now() WHERE org_id = $1 AND id = $2", org as _, id as _)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Best effort after a failed upload: the files, then the record (the cleanup retries both).
async fn remove(state: &AppState, ctx: &TenantCtx, id: PhotoId, keys: &[&str]) {
    for key in keys {
        if let Err(err) = state.storage.delete(key).await {
            tracing::warn!(error = format!("{err:#}"), key, "leaving a file for the cleanup");
            return;
        }
    }
    let deleted = async {
        let mut tx = TenantTx::begin(&state.pool, ctx).await?;
        sqlx::query!("DELETE FROM photos WHERE org_id = $1 AND id = $2", ctx.org_id() as _, id as _)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }
    .await;
    if let Err(err) = deleted {
        tracing::warn!(error = %err, %id, "leaving a photo record for the cleanup");
    }
}

/// Attaches the caller's stored, unattached photos of `equipment` to a new log, in its
/// transaction. Anything else named (another's photo, another equipment's, one already used,
/// one not stored) refuses the whole log.
pub async fn attach(tx: &mut TenantTx, log: LogId, equipment: EquipmentId, photos: &[PhotoId]) -> Result<(), AppError> {
    if photos.is_empty() {
        return Ok(());
    }
    if photos.len() > 10 {
        return Err(AppError::Invalid("Attach at most 10 photos to one cleaning.".into()));
    }
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let ids: Vec<uuid::Uuid> = photos.iter().map(|p| p.0).collect();
    let attached = sqlx::query!(
        "INSERT INTO log_photos (org_id, log_id, photo_id, position) \
         SELECT p.org_id, $2, p.id, (array_position($5::uuid[], p.id) - 1)::smallint FROM photos p \
         WHERE p.org_id = $1 AND p.id = ANY ($5) AND p.equipment_id = $3 AND p.uploaded_by = $4 \
           AND p.stored_at IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM log_photos l WHERE l.org_id = p.org_id AND l.photo_id = p.id)",
        org as _,
        log as _,
        equipment as _,
        user as _,
        &ids
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    let distinct = ids.iter().collect::<std::collections::BTreeSet<_>>().len() as u64;
    if attached != distinct || distinct != ids.len() as u64 {
        return Err(AppError::Invalid(
            "A photo could not be attached (already used, or not uploaded here); upload it again.".into(),
        ));
    }
    Ok(())
}

/// A photo (or its thumbnail) for a member of its organization: content type and bytes.
pub async fn read(
    state: &AppState,
    ctx: &TenantCtx,
    id: PhotoId,
    thumbnail: bool,
) -> Result<(String, Vec<u8>), AppError> {
    ctx.require(Action::ViewAssets)?;
    let mut tx = TenantTx::begin(&state.pool, ctx).await?;
    let row: Option<(String, String, String)> = sqlx::query!("SELECT storage_key AS \"storage_key!: String\", thumb_key AS \"thumb_key!: String\", content_type AS \"content_type!: String\" FROM photos WHERE org_id = $1 AND id = $2 AND stored_at IS NOT NULL", ctx.org_id() as _, id as _).map(|r| (r.storage_key, r.thumb_key, r.content_type))
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let (key, thumb_key, content_type) = row.ok_or(AppError::NotFound)?;
    let (key, content_type) = if thumbnail { (thumb_key, "image/jpeg".to_owned()) } else { (key, content_type) };
    match state.storage.get(&key).await? {
        Some(bytes) => Ok((content_type, bytes)),
        None => {
            tracing::error!(%id, key, "a stored photo's file is missing");
            Err(AppError::NotFound)
        }
    }
}

/// Removes one organization's photos that were never stored within an hour, or never attached
/// within a day, files first. Returns how many.
pub async fn clean_up(state: &AppState, org: OrgId) -> anyhow::Result<usize> {
    let mut tx = OrgJobTx::begin(&state.pool, org).await?;
    let stale: Vec<(PhotoId, String, String)> = sqlx::query!("SELECT p.id AS \"id!: PhotoId\", p.storage_key AS \"storage_key!: String\", p.thumb_key AS \"thumb_key!: String\" FROM photos p \
         WHERE p.org_id = $1 \
           AND ((p.stored_at IS NULL AND p.created_at < now() - interval '1 hour') \
                OR p.created_at < now() - interval '1 day') \
           AND NOT EXISTS (SELECT 1 FROM log_photos l WHERE l.org_id = p.org_id AND l.photo_id = p.id) \
         ORDER BY p.created_at LIMIT 500 FOR UPDATE SKIP LOCKED", org as _).map(|r| (r.id, r.storage_key, r.thumb_key))
    .fetch_all(tx.conn())
    .await?;
    for (id, key, thumb_key) in &stale {
        state.storage.delete(key).await?;
        state.storage.delete(thumb_key).await?;
        sqlx::query!("DELETE FROM photos WHERE org_id = $1 AND id = $2", org as _, id as _).execute(tx.conn()).await?;
    }
    tx.commit().await?;
    Ok(stale.len())
}
