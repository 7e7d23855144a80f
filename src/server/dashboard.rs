//! The overview: compliance rate over a period, the overdue list, recent activity, and the
//! last 30 days by day. One tenant transaction, a handful of queries.
//!
//! Compliance is `app.compliance_occasions` (see `model::compliance`), the same figures the
//! CSV and PDF reports state; the daily bars mark a cleaning late by the same rule.

use crate::model::dashboard::{Activity, Dashboard, DayCount, Setup};
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::role::Action;
use crate::server::auth::TenantTx;
use crate::server::compliance::{self, Period, Scope, OCCASIONS};
use crate::server::schedules;

pub async fn summary(tx: &mut TenantTx, facility: Option<FacilityId>, period_days: i32) -> Result<Dashboard, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    if !(1..=366).contains(&period_days) {
        return Err(AppError::Invalid("Choose a period of 1 to 366 days.".into()));
    }
    let scope = Scope { facility, equipment: None };
    let figures = compliance::figures(tx, scope, &Period::Last(period_days)).await?;
    let org = tx.ctx().org_id();

    // Built on `compliance::OCCASIONS` (see there why it is not `sqlx::query!`).
    let days: Vec<(String, i64, i64, i64)> = compliance::bind!(
        sqlx::query_as(&format!(
            "WITH span AS (SELECT generate_series(0, 29) AS back), \
                  logs AS ( \
                    SELECT (l.performed_at AT TIME ZONE f.time_zone)::date AS day, l.outcome, \
                           coalesce(o.met = 'late', false) AS late \
                    FROM cleaning_logs l \
                    JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
                    JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
                    LEFT JOIN {OCCASIONS} o ON o.log_id = l.id \
                    WHERE l.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) \
                      AND l.performed_at >= now() - interval '31 days') \
             SELECT to_char(current_date - span.back, 'YYYY-MM-DD'), \
                    count(logs.day) FILTER (WHERE logs.outcome = 'pass' AND NOT logs.late), \
                    count(logs.day) FILTER (WHERE logs.outcome = 'pass' AND logs.late), \
                    count(logs.day) FILTER (WHERE logs.outcome = 'fail') \
             FROM span LEFT JOIN logs ON logs.day = current_date - span.back \
             GROUP BY span.back ORDER BY span.back DESC"
        )),
        tx,
        scope,
        &Period::Last(31)
    )
    .fetch_all(tx.conn())
    .await?;

    let recent: Vec<(EquipmentId, String, crate::model::logs::Outcome, String, String, bool)> = sqlx::query!("SELECT l.equipment_id AS \"equipment_id!: EquipmentId\", e.name AS \"name!: String\", l.outcome AS \"outcome!: crate::model::logs::Outcome\", l.signer_name AS \"signer_name!: String\", \
                app.local_time(l.performed_at, f.time_zone) AS \"performed_at!: String\", \
                EXISTS (SELECT 1 FROM verifications v WHERE v.org_id = l.org_id AND v.log_id = l.id) AS \"verified!: bool\" \
         FROM cleaning_logs l \
         JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE l.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) \
         ORDER BY l.received_at DESC LIMIT 10", org as _, facility as _).map(|r| (r.equipment_id, r.name, r.outcome, r.signer_name, r.performed_at, r.verified))
    .fetch_all(tx.conn())
    .await?;

    let setup = setup(tx).await?;
    let reviews = crate::server::logs::reviews::counts(tx, facility).await?;
    let actions = crate::server::corrective_actions::counts(tx, facility).await?;
    Ok(Dashboard {
        actions,
        setup,
        period_days,
        compliance: figures,
        reviews,
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
        sqlx::query!("SELECT (SELECT count(*) FROM facilities WHERE org_id = $1 AND status = 'active') AS \"facilities!: i64\", \
                    (SELECT count(*) FROM protocols WHERE org_id = $1) AS \"protocols!: i64\", \
                    (SELECT count(*) FROM equipment WHERE org_id = $1 AND status = 'active') AS \"equipment!: i64\", \
                    (SELECT count(*) FROM equipment WHERE org_id = $1 AND status = 'active' AND protocol_id IS NULL) AS \"without_protocol!: i64\", \
                    (SELECT count(*) FROM memberships WHERE org_id = $1) \
                  + (SELECT count(*) FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL \
                       AND expires_at > now()) AS \"people!: i64\"", org as _).map(|r| (r.facilities, r.protocols, r.equipment, r.without_protocol, r.people))
        .fetch_one(tx.conn())
        .await?;
    Ok(Setup { facilities, protocols, equipment, equipment_without_protocol, people })
}
