//! Where a piece of equipment stands against its schedule, as the view `equipment_status`
//! (migration ..._status_and_review_views) gives it: read by the equipment list, the schedule's
//! own status, the PDF report and the QR page.

use crate::model::schedules::{DueStatus, IntervalUnit, Schedule};

/// A row of the view `equipment_status` (migration ..._status_and_review_views): where a piece
/// of equipment stands against its schedule, times in its facility's zone.
#[derive(serde::Deserialize)]
pub(crate) struct StatusRow {
    pub(crate) schedule_unit: Option<String>,
    pub(crate) schedule_every: Option<i32>,
    pub(crate) schedule_weekdays: Option<Vec<i16>>,
    pub(crate) schedule_due_time: Option<String>,
    pub(crate) last_cleaned: Option<String>,
    pub(crate) next_due: Option<String>,
    pub(crate) overdue: bool,
}

/// The [`StatusRow`] of a `query!` record that selected the view's columns as `st.*` names:
/// `schedule_unit`, `schedule_every`, `schedule_weekdays`, `schedule_due_time`, `last_cleaned`,
/// `next_due` and `overdue AS "overdue!"`.
macro_rules! status_row {
    ($r:expr) => {
        $crate::server::equipment::status::StatusRow {
            schedule_unit: $r.schedule_unit,
            schedule_every: $r.schedule_every,
            schedule_weekdays: $r.schedule_weekdays,
            schedule_due_time: $r.schedule_due_time,
            last_cleaned: $r.last_cleaned,
            next_due: $r.next_due,
            overdue: $r.overdue,
        }
    };
}
pub(crate) use status_row;

impl From<StatusRow> for DueStatus {
    fn from(row: StatusRow) -> DueStatus {
        let schedule = match (row.schedule_unit.as_deref(), row.schedule_every, row.schedule_weekdays) {
            (Some("weekdays"), _, Some(days)) => {
                Some(Schedule::Weekdays { days, due_time: row.schedule_due_time.unwrap_or_default() })
            }
            (Some(unit), Some(n), _) => IntervalUnit::parse(unit).map(|unit| Schedule::Every { n, unit }),
            _ => None,
        };
        DueStatus { schedule, last_cleaned: row.last_cleaned, next_due: row.next_due, overdue: row.overdue }
    }
}
