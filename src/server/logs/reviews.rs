//! The review queue: cleanings whose protocol version requires a second signature that nobody
//! has given yet (corrected ones excepted: their correction is what is reviewed), oldest first,
//! with the organization's review deadline. What awaits and what is overdue is the view
//! `awaiting_reviews` (migration ..._status_and_review_views). Verifying itself is `logs::verify`.

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, LogId, UserId};
use crate::model::logs::{Outcome, Review, ReviewCounts, ReviewQueue};
use crate::model::role::Action;
use crate::server::auth::TenantTx;

/// Longest list shown; the count says how many there are.
pub const SHOWN: i64 = 200;

/// The queue page's data: the list, the counts, and whether signing asks for the password.
pub async fn queue(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<ReviewQueue, AppError> {
    let items = list(tx, facility).await?;
    let counts = counts(tx, facility).await?;
    let strict_signatures: bool =
        sqlx::query_scalar!("SELECT strict_signatures FROM organizations WHERE id = $1", tx.ctx().org_id() as _)
            .fetch_one(tx.conn())
            .await?;
    Ok(ReviewQueue { items, counts, strict_signatures })
}

pub async fn list(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<Vec<Review>, AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let reviews = sqlx::query_as!(
        Review,
        r#"SELECT log_id AS "log_id!: LogId", equipment_id AS "equipment_id!: EquipmentId", equipment AS "equipment!",
                  facility AS "facility!", protocol AS "protocol!", outcome AS "outcome!: Outcome",
                  performed_by AS "performer!: UserId", signer_name AS "signer!",
                  app.local_time(performed_at, time_zone) AS "performed_at!",
                  app.local_time(received_at, time_zone) AS "received_at!",
                  (extract(epoch FROM now() - received_at) / 3600)::bigint AS "hours_waiting!", overdue AS "overdue!"
           FROM awaiting_reviews WHERE org_id = $1 AND ($2::uuid IS NULL OR facility_id = $2)
           ORDER BY received_at, log_id LIMIT $3"#,
        tx.ctx().org_id() as _,
        facility as _,
        SHOWN
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(reviews)
}

/// The counts, for anyone who reads the overview (the list is for those who verify).
pub async fn counts(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<ReviewCounts, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let counts = sqlx::query_as!(
        ReviewCounts,
        r#"SELECT count(*) AS "awaiting!", count(*) FILTER (WHERE overdue) AS "overdue!",
                  (SELECT review_days FROM organizations WHERE id = $1) AS "review_days!"
           FROM awaiting_reviews WHERE org_id = $1 AND ($2::uuid IS NULL OR facility_id = $2)"#,
        org as _,
        facility as _
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(counts)
}

/// The overdue reviews of the digest: equipment, facility, when performed, by whom, waiting since.
pub async fn overdue_lines(
    conn: &mut sqlx::PgConnection,
    org: crate::model::ids::OrgId,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT equipment AS "equipment!", facility AS "facility!",
                  app.local_time(performed_at, time_zone) AS "performed!", signer_name AS "signer!",
                  app.local_time(received_at, time_zone) AS "since!"
           FROM awaiting_reviews WHERE org_id = $1 AND overdue ORDER BY received_at LIMIT $2"#,
        org as _,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            format!(
                "Review overdue: {} ({}), cleaned {} by {}, awaiting verification since {}",
                r.equipment, r.facility, r.performed, r.signer, r.since
            )
        })
        .collect())
}
