//! QR stickers: the token in `/q/{token}`, its SVG, label sheets, and replacing a token (which
//! makes the old sticker stop working).

use qrcode::render::svg;
use qrcode::QrCode;
use sqlx::PgPool;
use url::Url;

use super::status::StatusRow;
use crate::model::equipment::{Label, PublicStatus, ScannedEquipment, HISTORY_SHOWN};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, UserId};
use crate::model::protocols::Step;
use crate::model::role::Action;
use crate::server::audit::record::{guest_view, record};
use crate::server::auth::scope::{self, StickerTx};
use crate::server::auth::{tokens, TenantCtx, TenantTx};
use crate::server::logs::HistoryRow;

/// A signed-in user's scan of sticker `token`: "not found" unless they are a member of its
/// organization (whichever organization their session is in); then the context they work in
/// there and the equipment's page. One statement for everyone but a guest, whose view is
/// recorded in the trail first (a transaction of three).
pub async fn member_scan(pool: &PgPool, token: &str, user: UserId) -> Result<(TenantCtx, ScannedEquipment), AppError> {
    if token.is_empty() || token.len() > 100 {
        return Err(AppError::NotFound);
    }
    let scan = scope::member_scan_page(pool, token, user, HISTORY_SHOWN).await?.ok_or(AppError::NotFound)?;
    scan.ctx.require(Action::ViewAssets)?;
    match scan.page {
        Some(page) => Ok((scan.ctx, page_of(scan.equipment, &page)?)),
        None => {
            let record_guest = async |conn: &mut sqlx::PgConnection, ctx: &TenantCtx, id: EquipmentId| {
                record(conn, guest_view(ctx, &format!("sticker scan of equipment {id}"))).await
            };
            let (mut tx, id) =
                StickerTx::member_scan(pool, token, user, record_guest).await?.ok_or(AppError::NotFound)?;
            let scanned = scanned(&mut tx, id).await?;
            let ctx = tx.ctx().clone();
            tx.commit().await?;
            Ok((ctx, scanned))
        }
    }
}

/// `app.equipment_page` as it arrives (JSON): the equipment, its status and its latest logs.
#[derive(serde::Deserialize)]
struct ScannedRow {
    name: String,
    kind: String,
    location: String,
    serial: String,
    risk_level: String,
    short_code: String,
    facility_name: String,
    time_zone: String,
    protocol: Option<String>,
    steps: Option<Vec<Step>>,
    disinfectant: Option<String>,
    contact_time_minutes: Option<i32>,
    contact_timed: Option<bool>,
    product_lot_required: Option<bool>,
    strict_signatures: bool,
    late_entry_minutes: i32,
    #[serde(flatten)]
    status: StatusRow,
    history: Vec<HistoryRow>,
}

/// What the scanning person sees about equipment `id`, read in the transaction's organization.
pub async fn scanned(tx: &mut TenantTx, id: EquipmentId) -> Result<ScannedEquipment, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let page: Option<String> =
        sqlx::query_scalar!("SELECT app.equipment_page($1, $2, $3)::text", org as _, id as _, HISTORY_SHOWN as i32)
            .fetch_one(tx.conn())
            .await?;
    page_of(id, &page.ok_or(AppError::NotFound)?)
}

fn page_of(id: EquipmentId, page: &str) -> Result<ScannedEquipment, AppError> {
    let r: ScannedRow = serde_json::from_str(page).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(ScannedEquipment {
        id,
        name: r.name,
        kind: r.kind,
        location: r.location,
        serial: r.serial,
        risk_level: r.risk_level,
        short_code: r.short_code,
        facility_name: r.facility_name,
        time_zone: r.time_zone,
        protocol: r.protocol,
        steps: r.steps.unwrap_or_default(),
        disinfectant: r.disinfectant.unwrap_or_default(),
        contact_time_minutes: r.contact_time_minutes.unwrap_or(0),
        contact_timed: r.contact_timed.unwrap_or(false),
        product_lot_required: r.product_lot_required.unwrap_or(false),
        status: r.status.into(),
        strict_signatures: r.strict_signatures,
        late_entry_minutes: r.late_entry_minutes,
        history: r.history.into_iter().map(HistoryRow::into_log).collect(),
        submission_key: uuid::Uuid::new_v4(),
    })
}

/// The public panel of a sticker, for someone not signed in: "last cleaned" and "due", no
/// names. `None` unless the sticker is valid and its organization shows the panel (the
/// database's sticker policies make the rows visible only then).
pub async fn public_status_unscoped(pool: &PgPool, token: &str) -> Result<Option<PublicStatus>, sqlx::Error> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let mut tx = StickerTx::begin(pool, token).await?;
    let row: Option<(String, Option<String>, Option<String>, bool)> = sqlx::query!(
        "SELECT e.name AS \"name!: String\", \
                app.local_time(d.last_cleaned_at, d.time_zone) AS \"last_cleaned?: String\", \
                app.local_time(d.next_due_at, d.time_zone) AS \"next_due?: String\", \
                coalesce(d.next_due_at < now(), false) AS \"overdue!: bool\" \
         FROM equipment_due d JOIN equipment e ON e.org_id = d.org_id AND e.id = d.equipment_id \
         JOIN organizations o ON o.id = d.org_id AND o.public_status \
         WHERE e.qr_token = $1",
        token
    )
    .map(|r| (r.name, r.last_cleaned, r.next_due, r.overdue))
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(name, last_cleaned, next_due, overdue)| PublicStatus { name, last_cleaned, next_due, overdue }))
}

/// The sticker URL of equipment `id` in the caller's organization.
pub async fn sticker_url(tx: &mut TenantTx, public_url: &Url, id: EquipmentId) -> Result<String, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let token: Option<String> =
        sqlx::query_scalar!("SELECT qr_token FROM equipment WHERE org_id = $1 AND id = $2", org as _, id as _)
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
        sqlx::query!(
            "UPDATE equipment SET qr_token = $3 WHERE org_id = $1 AND id = $2 AND status = 'active'",
            org as _,
            id as _,
            tokens::generate().token
        )
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
    let name: Option<String> =
        sqlx::query_scalar!("SELECT name FROM facilities WHERE org_id = $1 AND id = $2", org as _, facility as _)
            .fetch_optional(tx.conn())
            .await?;
    let name = name.ok_or(AppError::NotFound)?;
    let rows: Vec<(EquipmentId, String, String, String, String)> = sqlx::query!("SELECT id AS \"id!: EquipmentId\", name AS \"name!: String\", location AS \"location!: String\", short_code AS \"short_code!: String\", qr_token AS \"qr_token!: String\" FROM equipment \
         WHERE org_id = $1 AND facility_id = $2 AND status = 'active' ORDER BY lower(location), lower(name)", org as _, facility as _).map(|r| (r.id, r.name, r.location, r.short_code, r.qr_token))
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

/// "Report a problem" on a sticker's public panel, by someone without an account: what is wrong
/// (up to 1000 characters) and, if they like, how to reach them. Limited to 10 reports an hour
/// from one address and 3 on one sticker; refused like an unknown sticker when the organization
/// shows no public panel or the equipment is retired.
pub async fn report_problem_unscoped(
    pool: &PgPool,
    token: &str,
    description: &str,
    contact: &str,
    ip: std::net::IpAddr,
) -> Result<(), AppError> {
    use crate::server::auth::throttle::{self, Kind};
    let description = description.trim();
    if description.is_empty() {
        return Err(AppError::Invalid("Describe the problem.".into()));
    }
    if description.chars().count() > 1000 {
        return Err(AppError::Invalid("Keep the description under 1000 characters.".into()));
    }
    let contact = crate::model::text::one_line(contact, "how to reach you", 200, false)?;
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(AppError::NotFound);
    }
    throttle::check_requests(pool, Kind::ProblemReport, ip, PROBLEMS_PER_ADDRESS_PER_HOUR).await?;
    let contact = (!contact.is_empty()).then_some(contact.as_str());
    match scope::report_from_sticker(pool, token, description, contact, Some(ip)).await? {
        scope::StickerReport::Reported => {
            throttle::record(pool, Kind::ProblemReport, None, ip, true).await?;
            Ok(())
        }
        scope::StickerReport::Limited => Err(AppError::RateLimited(
            "This sticker has had several reports from your network in the last hour. Thank you: staff have them."
                .into(),
        )),
        scope::StickerReport::NotFound => Err(AppError::NotFound),
    }
}

/// Problems one address may report in an hour, across every sticker.
const PROBLEMS_PER_ADDRESS_PER_HOUR: i64 = 10;
