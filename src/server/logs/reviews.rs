//! The review queue: cleanings whose protocol version requires a second signature that nobody
//! has given yet (corrected ones excepted: their correction is what is reviewed), oldest first,
//! with the organization's review deadline. Verifying itself is `logs::verify`.

use crate::model::error::AppError;
use crate::model::ids::FacilityId;
use crate::model::logs::{Review, ReviewCounts, ReviewQueue};
use crate::model::role::Action;
use crate::server::auth::TenantTx;

/// The awaiting logs of organization $1 (facility $2 or all), with `f` the facility, `v` the
/// protocol version, `o` the organization.
const AWAITING: &str = "FROM cleaning_logs l \
     JOIN protocol_versions v ON v.org_id = l.org_id AND v.protocol_id = l.protocol_id AND v.version = l.protocol_version \
     JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
     JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
     JOIN organizations o ON o.id = l.org_id \
     WHERE l.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) AND v.verification_required \
       AND NOT EXISTS (SELECT 1 FROM verifications w WHERE w.org_id = l.org_id AND w.log_id = l.id) \
       AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id)";

/// Past the deadline: recorded more than the organization's review days ago.
const OVERDUE: &str = "l.received_at < now() - make_interval(days => o.review_days)";

/// Longest list shown; the count says how many there are.
pub const SHOWN: i64 = 200;

/// The queue page's data: the list, the counts, and whether signing asks for the password.
pub async fn queue(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<ReviewQueue, AppError> {
    let items = list(tx, facility).await?;
    let counts = counts(tx, facility).await?;
    let strict_signatures: bool = sqlx::query_scalar("SELECT strict_signatures FROM organizations WHERE id = $1")
        .bind(tx.ctx().org_id())
        .fetch_one(tx.conn())
        .await?;
    Ok(ReviewQueue { items, counts, strict_signatures })
}

pub async fn list(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<Vec<Review>, AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    type Row = (
        crate::model::ids::LogId,
        crate::model::ids::EquipmentId,
        String,
        String,
        String,
        crate::model::logs::Outcome,
        crate::model::ids::UserId,
        String,
        String,
        String,
        i64,
        bool,
    );
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT l.id, e.id, e.name, f.name, (SELECT p.name FROM protocols p WHERE p.org_id = l.org_id AND p.id = l.protocol_id) \
                || ' v' || l.protocol_version, l.outcome, l.performed_by, l.signer_name, \
                app.local_time(l.performed_at, f.time_zone), app.local_time(l.received_at, f.time_zone), \
                (extract(epoch FROM now() - l.received_at) / 3600)::bigint, {OVERDUE} \
         {AWAITING} ORDER BY l.received_at, l.id LIMIT $3"
    ))
    .bind(tx.ctx().org_id())
    .bind(facility)
    .bind(SHOWN)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Review {
            log_id: r.0,
            equipment_id: r.1,
            equipment: r.2,
            facility: r.3,
            protocol: r.4,
            outcome: r.5,
            performer: r.6,
            signer: r.7,
            performed_at: r.8,
            received_at: r.9,
            hours_waiting: r.10,
            overdue: r.11,
        })
        .collect())
}

/// The counts, for anyone who reads the overview (the list is for those who verify).
pub async fn counts(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<ReviewCounts, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let (awaiting, overdue, review_days): (i64, i64, i32) = sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE {OVERDUE}), \
                (SELECT review_days FROM organizations WHERE id = $1) {AWAITING}"
    ))
    .bind(org)
    .bind(facility)
    .fetch_one(tx.conn())
    .await?;
    Ok(ReviewCounts { awaiting, overdue, review_days })
}

/// The overdue reviews of the digest: equipment, facility, when performed, by whom, waiting since.
pub async fn overdue_lines(
    conn: &mut sqlx::PgConnection,
    org: crate::model::ids::OrgId,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT e.name, f.name, app.local_time(l.performed_at, f.time_zone), l.signer_name, \
                app.local_time(l.received_at, f.time_zone) \
         {AWAITING} AND {OVERDUE} ORDER BY l.received_at LIMIT $3"
    ))
    .bind(org)
    .bind(None::<FacilityId>)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(equipment, facility, performed, signer, since)| {
            format!("Review overdue: {equipment} ({facility}), cleaned {performed} by {signer}, awaiting verification since {since}")
        })
        .collect())
}
