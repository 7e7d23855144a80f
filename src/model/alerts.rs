//! Alerts: what a person is told about, by email and in the app's notification list, and when
//! not (quiet hours). Each event is told once per person.

use serde::{Deserialize, Serialize};

use super::ids::FacilityId;
use super::role::{Action, Role};

/// The kinds of events alerts are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    DueSoon,
    Overdue,
    FailedCleaning,
    ActionAssigned,
    ActionOverdue,
    ProblemReported,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DueSoon => "due_soon",
            AlertKind::Overdue => "overdue",
            AlertKind::FailedCleaning => "failed_cleaning",
            AlertKind::ActionAssigned => "action_assigned",
            AlertKind::ActionOverdue => "action_overdue",
            AlertKind::ProblemReported => "problem_reported",
        }
    }

    /// Who may be alerted at all: those who can do something about it (the owner of an action
    /// is alerted about their own whatever their role allows).
    pub fn for_role(self, role: Role) -> bool {
        match self {
            AlertKind::DueSoon | AlertKind::Overdue | AlertKind::ActionAssigned => role.can(Action::LogCleaning),
            AlertKind::FailedCleaning | AlertKind::ActionOverdue | AlertKind::ProblemReported => {
                role.can(Action::VerifyLogs)
            }
        }
    }
}

/// A person's alert settings in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Warn this many hours before a due time; `None`: no "due soon".
    pub due_soon_hours: Option<i32>,
    pub overdue: bool,
    pub failed_cleaning: bool,
    pub action_assigned: bool,
    pub action_overdue: bool,
    pub problem_reported: bool,
    /// Email as well as the in-app list.
    pub email: bool,
    /// No email between these local times ("22:00" to "06:00"); both or neither.
    pub quiet_from: Option<String>,
    pub quiet_until: Option<String>,
    /// Only these facilities; `None`: all.
    pub facilities: Option<Vec<FacilityId>>,
}

impl Preferences {
    /// What a person gets until they choose: staff hear about what they clean, supervisors and
    /// those above about what went wrong.
    pub fn for_role(role: Role) -> Preferences {
        let cleans = role == Role::Staff;
        let oversees = role.can(Action::VerifyLogs);
        Preferences {
            due_soon_hours: cleans.then_some(2),
            overdue: cleans || role == Role::Supervisor,
            failed_cleaning: oversees,
            action_assigned: role.can(Action::LogCleaning),
            // Staff hear of their own actions only (see `server::alerts`), supervisors of all.
            action_overdue: role.can(Action::LogCleaning),
            problem_reported: oversees,
            email: role.can(Action::LogCleaning),
            quiet_from: None,
            quiet_until: None,
            facilities: None,
        }
    }

    pub fn wants(&self, kind: AlertKind) -> bool {
        match kind {
            AlertKind::DueSoon => self.due_soon_hours.is_some(),
            AlertKind::Overdue => self.overdue,
            AlertKind::FailedCleaning => self.failed_cleaning,
            AlertKind::ActionAssigned => self.action_assigned,
            AlertKind::ActionOverdue => self.action_overdue,
            AlertKind::ProblemReported => self.problem_reported,
        }
    }

    pub fn covers(&self, facility: FacilityId) -> bool {
        self.facilities.as_ref().is_none_or(|f| f.contains(&facility))
    }
}

/// Seconds after midnight of "HH:MM" or "HH:MM:SS".
pub fn seconds_of_day(hms: &str) -> Option<i64> {
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m) = (parts.next()??, parts.next()??);
    let s = parts.next().unwrap_or(Some(0))?;
    ((0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s)).then_some(h * 3600 + m * 60 + s)
}

/// Seconds from `now` (a local time of day) until the quiet window `[from, until)` ends, or
/// `None` when `now` is outside it. The window may wrap past midnight (22:00 to 06:00).
pub fn quiet_left(now: i64, from: i64, until: i64) -> Option<i64> {
    const DAY: i64 = 86_400;
    let inside = if from <= until { (from..until).contains(&now) } else { now >= from || now < until };
    inside.then(|| (until - now).rem_euclid(DAY))
}

/// One notification in a person's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub key: String,
    pub kind: AlertKind,
    pub title: String,
    pub body: String,
    pub link: String,
    /// When it was noticed, in the zone of the facility it is about.
    pub created_at: String,
    pub read: bool,
}

/// The notification page: the latest notifications, the unread count, the settings and the
/// facilities they can be limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<Notification>,
    pub unread: i64,
    pub preferences: Preferences,
    pub facilities: Vec<(FacilityId, String)>,
}

#[cfg(test)]
mod tests {
    use super::{quiet_left, seconds_of_day};

    #[test]
    fn quiet_hours_wrap_past_midnight_and_say_how_long_is_left() {
        let t = |s: &str| seconds_of_day(s).unwrap();
        assert_eq!(quiet_left(t("23:00"), t("22:00"), t("06:00")), Some(7 * 3600));
        assert_eq!(quiet_left(t("05:30"), t("22:00"), t("06:00")), Some(1800));
        assert_eq!(quiet_left(t("06:00"), t("22:00"), t("06:00")), None);
        assert_eq!(quiet_left(t("12:00"), t("22:00"), t("06:00")), None);
        assert_eq!(quiet_left(t("13:00"), t("12:00"), t("14:00")), Some(3600));
        assert_eq!(seconds_of_day("24:00"), None);
        assert_eq!(seconds_of_day("07:05:09"), Some(7 * 3600 + 5 * 60 + 9));
    }
}
