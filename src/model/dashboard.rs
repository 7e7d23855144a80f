//! The overview of an organization or facility: figures, recent activity, first steps.

use serde::{Deserialize, Serialize};

use super::logs::{Outcome, ReviewCounts};
use super::schedules::OverdueItem;

use super::ids::EquipmentId;

/// The overview of an organization (or one facility) over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub period_days: i32,
    /// The period's occasions by the one definition (`model::compliance`).
    pub compliance: crate::model::compliance::Compliance,
    pub overdue: Vec<OverdueItem>,
    pub recent: Vec<Activity>,
    /// The last 30 days, oldest first, by the facility's local day.
    pub days: Vec<DayCount>,
    /// How far the organization is set up: the overview's first steps.
    pub setup: Setup,
    /// Cleanings awaiting their required verification.
    pub reviews: ReviewCounts,
    /// Corrective actions open, and past due.
    pub actions: crate::model::corrective_actions::ActionCounts,
}

/// What an organization has so far, for the first steps an empty one is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub facilities: i64,
    pub protocols: i64,
    pub equipment: i64,
    /// Active equipment with no protocol assigned yet.
    pub equipment_without_protocol: i64,
    /// Members and invitations still open, the inviter included.
    pub people: i64,
}

impl Setup {
    /// Facility, protocol, equipment with protocols, and someone besides the owner.
    pub fn is_complete(&self) -> bool {
        self.facilities > 0
            && self.protocols > 0
            && self.equipment > 0
            && self.equipment_without_protocol == 0
            && self.people > 1
    }
}

/// One signed cleaning in the recent-activity list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub outcome: Outcome,
    pub signer: String,
    /// Local to the facility.
    pub at: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// YYYY-MM-DD.
    pub day: String,
    pub on_time: i64,
    pub late: i64,
    pub failed: i64,
}
