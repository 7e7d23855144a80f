//! Compliance figures read through `app.compliance_occasions`, the one definition (see
//! `model::compliance`). The overview asks for the last N days, reports for their dates.

use crate::model::compliance::Compliance;
use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::reports::LogFilter;
use crate::server::auth::TenantTx;

/// Which days: local days in each facility's time zone.
#[derive(Debug, Clone)]
pub enum Period {
    /// The last `n` days up to now, today included.
    Last(i32),
    /// From and to (`YYYY-MM-DD`, both included); `None` is open.
    Days { from: Option<String>, to: Option<String> },
}

/// A report's dates.
impl From<&LogFilter> for Period {
    fn from(filter: &LogFilter) -> Period {
        Period::Days { from: filter.from.clone(), to: filter.to.clone() }
    }
}

/// Which equipment: the organization's, or one facility's, or one piece's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub facility: Option<FacilityId>,
    pub equipment: Option<EquipmentId>,
}

/// `app.compliance_occasions` for a scope and period, as the `occasions` relation; binds $1 to
/// $6 (see [`bind`]).
///
/// Not `sqlx::query!`: this and [`FIGURES`] are spliced into the three queries that count
/// occasions (the figures, per equipment, the overview's days), so how an occasion counts is
/// written once. The text is fixed at compile time (constants, never input) and every query
/// built from it runs in the compliance, dashboard and report tests.
pub const OCCASIONS: &str = "app.compliance_occasions($1, $2, $3, $4::date, $5::date, $6)";

macro_rules! bind {
    ($query:expr, $tx:expr, $scope:expr, $period:expr) => {{
        let (from, to, last) = match $period {
            Period::Last(n) => (None, None, Some(*n)),
            Period::Days { from, to } => (from.clone(), to.clone(), None),
        };
        $query.bind($tx.ctx().org_id()).bind($scope.facility).bind($scope.equipment).bind(from).bind(to).bind(last)
    }};
}
pub(crate) use bind;

const FIGURES: &str = "count(*) FILTER (WHERE o.met = 'on_time'), count(*) FILTER (WHERE o.met = 'late_entry'), \
                       count(*) FILTER (WHERE o.met = 'late'), count(*) FILTER (WHERE o.met = 'pending'), \
                       count(*) FILTER (WHERE o.met = 'not_done')";

type Figures = (i64, i64, i64, i64, i64);

fn compliance((on_time, late_entry, late, pending, not_done): Figures) -> Compliance {
    Compliance { on_time, late_entry, late, pending, not_done }
}

/// The figures for a scope and period.
pub async fn figures(tx: &mut TenantTx, scope: Scope, period: &Period) -> Result<Compliance, AppError> {
    let figures: Figures = bind!(sqlx::query_as(&format!("SELECT {FIGURES} FROM {OCCASIONS} o")), tx, scope, period)
        .fetch_one(tx.conn())
        .await?;
    Ok(compliance(figures))
}

/// One piece of scheduled equipment's figures.
#[derive(Debug, Clone)]
pub struct EquipmentFigures {
    pub facility: String,
    pub time_zone: String,
    pub equipment: String,
    pub short_code: String,
    pub compliance: Compliance,
}

/// The figures per piece of equipment with a schedule (those with no occasion in the period
/// too, at zero), ordered by facility and name.
pub async fn by_equipment(tx: &mut TenantTx, scope: Scope, period: &Period) -> Result<Vec<EquipmentFigures>, AppError> {
    // Facility, its time zone, equipment name and code, then the figures' five counts.
    type Row = (String, String, String, String, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = bind!(
        sqlx::query_as(&format!(
            "SELECT f.name, f.time_zone, e.name, e.short_code, {FIGURES} \
             FROM equipment e \
             JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
             JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id \
             LEFT JOIN {OCCASIONS} o ON o.equipment_id = e.id \
             WHERE e.org_id = $1 AND ($2::uuid IS NULL OR e.facility_id = $2) AND ($3::uuid IS NULL OR e.id = $3) \
             GROUP BY f.name, f.time_zone, f.id, e.name, e.short_code, e.id \
             ORDER BY lower(f.name), f.id, lower(e.name), e.id"
        )),
        tx,
        scope,
        period
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(facility, time_zone, equipment, short_code, a, b, c, d, e)| EquipmentFigures {
            facility,
            time_zone,
            equipment,
            short_code,
            compliance: compliance((a, b, c, d, e)),
        })
        .collect())
}
