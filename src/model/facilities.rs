//! Facilities: the places equipment belongs to, each with its time zone.

use serde::{Deserialize, Serialize};

use super::ids::FacilityId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    pub id: FacilityId,
    pub name: String,
    pub address: String,
    /// IANA name, e.g. Europe/Lisbon: schedules are evaluated in it.
    pub time_zone: String,
    pub retired: bool,
    pub active_equipment: i64,
}
