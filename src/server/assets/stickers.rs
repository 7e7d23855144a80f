//! QR stickers: the token in `/q/{token}`, its SVG, label sheets, and replacing a token (which
//! makes the old sticker stop working).

use qrcode::render::svg;
use qrcode::QrCode;
use sqlx::PgPool;
use url::Url;

use crate::model::assets::{Label, ScannedEquipment};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, OrgId, UserId};
use crate::model::role::Action;
use crate::server::auth::scope::StickerTx;
use crate::server::auth::{tokens, TenantCtx, TenantTx};

/// The organization and equipment a sticker token belongs to: the one cross-tenant lookup a
/// scan needs, seeing only the row whose token the caller holds.
pub async fn resolve_token_unscoped(pool: &PgPool, token: &str) -> Result<Option<(OrgId, EquipmentId)>, sqlx::Error> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let mut tx = StickerTx::begin(pool, token).await?;
    sqlx::query_as("SELECT org_id, id FROM equipment WHERE qr_token = $1 AND status = 'active'")
        .bind(token)
        .fetch_optional(tx.conn())
        .await
}

/// A signed-in user's scan: "not found" unless they are a member of the sticker's organization
/// (whichever organization their session is in); then the context to work in.
pub async fn scan_context(pool: &PgPool, token: &str, user: UserId) -> Result<(TenantCtx, EquipmentId), AppError> {
    let (org, equipment) = resolve_token_unscoped(pool, token).await?.ok_or(AppError::NotFound)?;
    let ctx = TenantCtx::for_member(pool, Some(org), user).await?.ok_or(AppError::NotFound)?;
    Ok((ctx, equipment))
}

/// What the scanning person sees about the equipment.
pub async fn scanned(tx: &mut TenantTx, id: EquipmentId) -> Result<ScannedEquipment, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<sqlx::types::Json<Vec<String>>>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT e.name, e.kind, e.location, e.serial, e.risk_level, e.short_code, f.name, \
                p.name || ' v' || p.current_version, v.steps \
         FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         LEFT JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id \
         LEFT JOIN protocol_versions v ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version \
         WHERE e.org_id = $1 AND e.id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let (name, kind, location, serial, risk_level, short_code, facility_name, protocol, steps) =
        row.ok_or(AppError::NotFound)?;
    let steps = steps.map(|s| s.0).unwrap_or_default();
    Ok(ScannedEquipment { id, name, kind, location, serial, risk_level, short_code, facility_name, protocol, steps })
}

/// The sticker URL of equipment `id` in the caller's organization.
pub async fn sticker_url(tx: &mut TenantTx, public_url: &Url, id: EquipmentId) -> Result<String, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let token: Option<String> = sqlx::query_scalar("SELECT qr_token FROM equipment WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    let token = token.ok_or(AppError::NotFound)?;
    Ok(public_url.join(&format!("/q/{token}")).expect("joins").to_string())
}

/// The QR code of `url` as SVG, sized for printing on a label.
pub fn svg(url: &str) -> Result<String, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(|err| {
        tracing::error!(error = %err, "QR encoding failed");
        AppError::Internal
    })?;
    Ok(code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// Gives the equipment a new token: the old sticker stops working at once.
pub async fn regenerate(tx: &mut TenantTx, id: EquipmentId) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query("UPDATE equipment SET qr_token = $3 WHERE org_id = $1 AND id = $2 AND status = 'active'")
            .bind(org)
            .bind(id)
            .bind(tokens::generate().token)
            .execute(tx.conn())
            .await?
            .rows_affected(),
    )
}

/// The labels of a facility's active equipment, for printing.
pub async fn labels(
    tx: &mut TenantTx,
    public_url: &Url,
    facility: FacilityId,
) -> Result<(String, Vec<Label>), AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM facilities WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(facility)
        .fetch_optional(tx.conn())
        .await?;
    let name = name.ok_or(AppError::NotFound)?;
    let rows: Vec<(EquipmentId, String, String, String, String)> = sqlx::query_as(
        "SELECT id, name, location, short_code, qr_token FROM equipment \
         WHERE org_id = $1 AND facility_id = $2 AND status = 'active' ORDER BY lower(location), lower(name)",
    )
    .bind(org)
    .bind(facility)
    .fetch_all(tx.conn())
    .await?;
    let labels = rows
        .into_iter()
        .map(|(id, name, location, short_code, token)| Label {
            id,
            name,
            location,
            short_code,
            sticker_url: public_url.join(&format!("/q/{token}")).expect("joins").to_string(),
        })
        .collect();
    Ok((name, labels))
}
