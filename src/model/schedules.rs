//! How often equipment must be cleaned, and where it stands against that.

use serde::{Deserialize, Serialize};

use super::ids::EquipmentId;

/// How often a piece of equipment must be cleaned. The rule that turns it into "next due" is
/// `app.next_due` in the database (see the schedules migration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Schedule {
    /// Every `n` hours, days or weeks after the last cleaning.
    Every { n: i32, unit: IntervalUnit },
    /// On these ISO weekdays (1 = Monday) by this local time ("17:00").
    Weekdays { days: Vec<i16>, due_time: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalUnit {
    Hours,
    Days,
    Weeks,
}

impl IntervalUnit {
    pub const ALL: [IntervalUnit; 3] = [IntervalUnit::Hours, IntervalUnit::Days, IntervalUnit::Weeks];

    pub fn as_str(self) -> &'static str {
        match self {
            IntervalUnit::Hours => "hours",
            IntervalUnit::Days => "days",
            IntervalUnit::Weeks => "weeks",
        }
    }

    pub fn parse(raw: &str) -> Option<IntervalUnit> {
        IntervalUnit::ALL.into_iter().find(|u| u.as_str() == raw)
    }
}

pub const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Schedule {
    /// "Every 8 hours", "Daily", "Mon, Wed, Fri by 17:00".
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every { n: 1, unit: IntervalUnit::Days } => "Daily".into(),
            Schedule::Every { n: 1, unit: IntervalUnit::Weeks } => "Weekly".into(),
            Schedule::Every { n: 1, unit: IntervalUnit::Hours } => "Every hour".into(),
            Schedule::Every { n, unit } => format!("Every {n} {}", unit.as_str()),
            Schedule::Weekdays { days, due_time } => {
                let names: Vec<&str> =
                    days.iter().filter_map(|d| WEEKDAY_NAMES.get((*d as usize).wrapping_sub(1)).copied()).collect();
                format!("{} by {due_time}", names.join(", "))
            }
        }
    }
}

/// Where a piece of equipment stands against its schedule. Times are local to its facility
/// ("2026-11-25 14:00"), as people on site read them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueStatus {
    pub schedule: Option<Schedule>,
    pub last_cleaned: Option<String>,
    pub next_due: Option<String>,
    /// Due time has passed without a counting cleaning; `next_due` is then "overdue since".
    pub overdue: bool,
}

/// One line of an overdue list, most overdue first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueItem {
    pub id: EquipmentId,
    pub name: String,
    pub facility_name: String,
    pub location: String,
    pub overdue_since: String,
    /// Whole hours overdue, for sorting and for "3 days" style display.
    pub hours_overdue: i64,
}
