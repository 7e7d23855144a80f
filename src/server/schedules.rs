//! Cleaning schedules: setting one on a piece of equipment, reading where equipment stands
//! against it, and the overdue list. "Next due" is computed by `app.next_due` in the database
//! (the schedules migration holds the rule and its reasons), through the `equipment_due` view.

use std::collections::BTreeMap;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId};
use crate::model::role::Action;
use crate::model::schedules::{DueStatus, IntervalUnit, OverdueItem, Schedule};
use crate::server::auth::TenantTx;
use crate::server::equipment::status::StatusRow;

/// A schedule as an HTML form sends it: `unit` is hours/days/weeks/weekdays; ticked weekdays
/// arrive as keys "1" … "7".
pub struct ScheduleForm {
    pub unit: String,
    pub every_n: Option<String>,
    pub weekdays: BTreeMap<String, String>,
    pub due_time: Option<String>,
}

impl ScheduleForm {
    pub fn parse(&self) -> Result<Schedule, AppError> {
        if self.unit.trim() == "weekdays" {
            let days: Vec<i16> = (1..=7).filter(|d| self.weekdays.contains_key(&d.to_string())).collect();
            if days.is_empty() {
                return Err(AppError::Invalid("Tick at least one weekday.".into()));
            }
            let due_time = self.due_time.as_deref().map(str::trim).unwrap_or_default();
            let valid = due_time.len() == 5
                && due_time.as_bytes()[2] == b':'
                && due_time[..2].parse::<u8>().is_ok_and(|h| h < 24)
                && due_time[3..].parse::<u8>().is_ok_and(|m| m < 60);
            if !valid {
                return Err(AppError::Invalid("Give the time of day it is due by, like 17:00.".into()));
            }
            return Ok(Schedule::Weekdays { days, due_time: due_time.to_owned() });
        }
        let unit = IntervalUnit::parse(self.unit.trim())
            .ok_or_else(|| AppError::Invalid("Choose hours, days, weeks or weekdays.".into()))?;
        let raw = self.every_n.as_deref().map(str::trim).unwrap_or_default();
        match raw.parse::<i32>() {
            Ok(n @ 1..=1000) => Ok(Schedule::Every { n, unit }),
            Ok(_) => Err(AppError::Invalid("Give how often as a whole number from 1 to 1000.".into())),
            Err(_) if raw.is_empty() => Err(AppError::Invalid("Give how often, from 1 to 1000.".into())),
            Err(_) => Err(AppError::Invalid(format!("`{raw}` is not a whole number."))),
        }
    }
}

/// Sets (or replaces) the schedule of active equipment. The first schedule starts now, and
/// equipment never cleaned counts from then.
pub async fn set(tx: &mut TenantTx, equipment: EquipmentId, form: &ScheduleForm) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let schedule = form.parse()?;
    let org = tx.ctx().org_id();
    match crate::server::equipment::in_service(tx, equipment).await? {
        None => return Err(AppError::NotFound),
        Some(false) => return Err(AppError::Invalid("Retired equipment has no schedule.".into())),
        Some(true) => {}
    }
    let (unit, every, days, due_time) = match &schedule {
        Schedule::Every { n, unit } => (unit.as_str(), Some(*n), None, None),
        Schedule::Weekdays { days, due_time } => ("weekdays", None, Some(days.clone()), Some(due_time.clone())),
    };
    sqlx::query!("INSERT INTO schedules (org_id, equipment_id, unit, every_n, weekdays, due_time) \
         VALUES ($1, $2, $3, $4, $5, $6::time) \
         ON CONFLICT (org_id, equipment_id) DO UPDATE \
         SET unit = excluded.unit, every_n = excluded.every_n, weekdays = excluded.weekdays, due_time = excluded.due_time", org as _, equipment as _, unit, every, days as _, due_time as _)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes the schedule: the equipment is cleaned as needed and never overdue.
pub async fn clear(tx: &mut TenantTx, equipment: EquipmentId) -> Result<(), AppError> {
    tx.ctx().require(Action::ManageAssets)?;
    let org = tx.ctx().org_id();
    crate::model::error::one_row(
        sqlx::query!("DELETE FROM schedules WHERE org_id = $1 AND equipment_id = $2", org as _, equipment as _)
            .execute(tx.conn())
            .await?
            .rows_affected(),
    )
}

/// Where one piece of equipment stands.
pub async fn status(tx: &mut TenantTx, equipment: EquipmentId) -> Result<DueStatus, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let row = sqlx::query_as!(
        StatusRow,
        r#"SELECT schedule_unit, schedule_every, schedule_weekdays, schedule_due_time, last_cleaned, next_due,
                  overdue AS "overdue!"
           FROM equipment_status WHERE org_id = $1 AND equipment_id = $2"#,
        org as _,
        equipment as _
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.ok_or(AppError::NotFound)?.into())
}

/// Active equipment past its due time, most overdue first (at most `limit`).
pub async fn overdue(
    tx: &mut TenantTx,
    facility: Option<FacilityId>,
    limit: i64,
) -> Result<Vec<OverdueItem>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let org = tx.ctx().org_id();
    let rows: Vec<(EquipmentId, String, String, String, String, i64)> = sqlx::query!("SELECT e.id AS \"id!: EquipmentId\", e.name AS \"name!: String\", f.name AS \"facility!: String\", e.location AS \"location!: String\", \
                app.local_time(d.next_due_at, d.time_zone) AS \"next_due!: String\", \
                (extract(epoch FROM now() - d.next_due_at) / 3600)::bigint AS \"hours_overdue!: i64\" \
         FROM equipment_due d \
         JOIN equipment e ON e.org_id = d.org_id AND e.id = d.equipment_id \
         JOIN facilities f ON f.org_id = d.org_id AND f.id = d.facility_id \
         WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.facility_id = $2) AND d.next_due_at < now() \
         ORDER BY d.next_due_at, lower(e.name) LIMIT $3", org as _, facility as _, limit).map(|r| (r.id, r.name, r.facility, r.location, r.next_due, r.hours_overdue))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, facility_name, location, overdue_since, hours_overdue)| OverdueItem {
            id,
            name,
            facility_name,
            location,
            overdue_since,
            hours_overdue,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(unit: &str, every: Option<i32>, days: &[&str], due: Option<&str>) -> ScheduleForm {
        ScheduleForm {
            unit: unit.into(),
            every_n: every.map(|n| n.to_string()),
            weekdays: days.iter().map(|d| (d.to_string(), "on".to_string())).collect(),
            due_time: due.map(Into::into),
        }
    }

    #[test]
    fn intervals_need_a_count_in_range() {
        assert_eq!(
            form("hours", Some(8), &[], None).parse().unwrap(),
            Schedule::Every { n: 8, unit: IntervalUnit::Hours }
        );
        assert!(form("days", None, &[], None).parse().is_err());
        assert!(form("days", Some(0), &[], None).parse().is_err());
        assert!(form("weeks", Some(1001), &[], None).parse().is_err());
        assert!(form("months", Some(1), &[], None).parse().is_err());
    }

    #[test]
    fn weekdays_need_days_and_a_time_of_day() {
        assert_eq!(
            form("weekdays", None, &["5", "1", "9"], Some("17:00")).parse().unwrap(),
            Schedule::Weekdays { days: vec![1, 5], due_time: "17:00".into() }
        );
        assert!(form("weekdays", None, &[], Some("17:00")).parse().is_err());
        for bad in ["", "24:00", "7:00", "12:60", "noon"] {
            assert!(form("weekdays", None, &["1"], Some(bad)).parse().is_err(), "{bad}");
        }
    }

    #[test]
    fn schedules_read_as_people_say_them() {
        assert_eq!(Schedule::Every { n: 1, unit: IntervalUnit::Days }.describe(), "Daily");
        assert_eq!(Schedule::Every { n: 8, unit: IntervalUnit::Hours }.describe(), "Every 8 hours");
        assert_eq!(
            Schedule::Weekdays { days: vec![1, 3, 5], due_time: "17:00".into() }.describe(),
            "Mon, Wed, Fri by 17:00"
        );
    }
}
