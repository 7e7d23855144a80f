//! The overview: compliance rate over a period, the overdue list, recent activity, and the
//! last 30 days by day. One tenant transaction, a handful of queries.
//!
//! A cleaning "came due" each time a scheduled piece of equipment reached its next-due time
//! (per `app.next_due`, from the counting cleaning before it). It was on time when the next
//! counting cleaning happened by then. Equipment overdue right now counts as due and not on
//! time. Cleanings of unscheduled equipment are activity, never compliance.

use super::schedules;
use crate::model::assets::{Activity, Dashboard, DayCount, Setup};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::role::Action;
use crate::server::auth::TenantTx;

/// Each counting cleaning of scheduled equipment with the due time it answered. `$1` org,
/// `$2` facility or NULL, `$3` how far back to look.
const ANSWERED: &str = "WITH counting AS ( \
        SELECT l.org_id, l.equipment_id, l.performed_at, \
               lag(l.performed_at) OVER (PARTITION BY l.equipment_id ORDER BY l.performed_at) AS previous \
        FROM cleaning_logs l \
        WHERE l.org_id = $1 AND l.outcome = 'pass' AND l.performed_at >= now() - $3::interval - interval '400 days' \
          AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id)) \
     SELECT c.equipment_id, c.performed_at, f.time_zone, \
            app.next_due(c.previous, s.starts_at, s.unit, s.every_n, s.weekdays, s.due_time, f.time_zone) AS due_at \
     FROM counting c \
     JOIN equipment e ON e.org_id = c.org_id AND e.id = c.equipment_id AND e.status = 'active' \
     JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
     JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id \
     WHERE ($2::uuid IS NULL OR e.facility_id = $2) AND c.performed_at >= s.starts_at";

pub async fn summary(tx: &mut TenantTx, facility: Option<FacilityId>, period_days: i32) -> Result<Dashboard, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    if !(1..=366).contains(&period_days) {
        return Err(AppError::Invalid("Choose a period of 1 to 366 days.".into()));
    }
    let org = tx.ctx().org_id();
    let period = format!("{period_days} days");
    let (on_time, answered): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*) FILTER (WHERE performed_at <= due_at), count(*) FROM ({ANSWERED}) a \
         WHERE least(due_at, performed_at) >= now() - $3::interval AND least(due_at, performed_at) < now()"
    ))
    .bind(org)
    .bind(facility)
    .bind(&period)
    .fetch_one(tx.conn())
    .await?;
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM equipment_due d WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.facility_id = $2) \
         AND d.next_due_at >= now() - $3::interval AND d.next_due_at < now()",
    )
    .bind(org)
    .bind(facility)
    .bind(&period)
    .fetch_one(tx.conn())
    .await?;

    let days: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "WITH answered AS ({ANSWERED}), \
              span AS (SELECT generate_series(0, 29) AS back), \
              logs AS ( \
                SELECT (l.performed_at AT TIME ZONE f.time_zone)::date AS day, l.outcome, \
                       a.due_at IS NOT NULL AND l.performed_at > a.due_at AS late \
                FROM cleaning_logs l \
                JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
                JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
                LEFT JOIN answered a ON a.equipment_id = l.equipment_id AND a.performed_at = l.performed_at \
                WHERE l.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) \
                  AND l.performed_at >= now() - interval '31 days') \
         SELECT to_char(current_date - span.back, 'YYYY-MM-DD'), \
                count(logs.day) FILTER (WHERE logs.outcome = 'pass' AND NOT logs.late), \
                count(logs.day) FILTER (WHERE logs.outcome = 'pass' AND logs.late), \
                count(logs.day) FILTER (WHERE logs.outcome = 'fail') \
         FROM span LEFT JOIN logs ON logs.day = current_date - span.back \
         GROUP BY span.back ORDER BY span.back DESC"
    ))
    .bind(org)
    .bind(facility)
    .bind(&period)
    .fetch_all(tx.conn())
    .await?;

    let recent: Vec<(EquipmentId, String, String, String, String, bool)> = sqlx::query_as(
        "SELECT l.equipment_id, e.name, l.outcome, l.signer_name, \
                app.local_time(l.performed_at, f.time_zone), \
                EXISTS (SELECT 1 FROM verifications v WHERE v.org_id = l.org_id AND v.log_id = l.id) \
         FROM cleaning_logs l \
         JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE l.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) \
         ORDER BY l.received_at DESC LIMIT 10",
    )
    .bind(org)
    .bind(facility)
    .fetch_all(tx.conn())
    .await?;

    let setup = setup(tx).await?;
    Ok(Dashboard {
        setup,
        period_days,
        on_time,
        due: answered + open,
        overdue: schedules::overdue(tx, facility, 10).await?,
        recent: recent
            .into_iter()
            .map(|(equipment_id, equipment, outcome, signer, at, verified)| Activity {
                equipment_id,
                equipment,
                outcome,
                signer,
                at,
                verified,
            })
            .collect(),
        days: days.into_iter().map(|(day, on_time, late, failed)| DayCount { day, on_time, late, failed }).collect(),
    })
}

/// What the organization has so far (whole organization, whatever the facility filter).
async fn setup(tx: &mut TenantTx) -> Result<Setup, AppError> {
    let org = tx.ctx().org_id();
    let (facilities, protocols, equipment, equipment_without_protocol, people): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM facilities WHERE org_id = $1 AND status = 'active'), \
                    (SELECT count(*) FROM protocols WHERE org_id = $1), \
                    (SELECT count(*) FROM equipment WHERE org_id = $1 AND status = 'active'), \
                    (SELECT count(*) FROM equipment WHERE org_id = $1 AND status = 'active' AND protocol_id IS NULL), \
                    (SELECT count(*) FROM memberships WHERE org_id = $1) \
                  + (SELECT count(*) FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL \
                       AND expires_at > now())",
        )
        .bind(org)
        .fetch_one(tx.conn())
        .await?;
    Ok(Setup { facilities, protocols, equipment, equipment_without_protocol, people })
}
