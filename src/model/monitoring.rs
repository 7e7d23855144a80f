//! Level II monitoring (CDC 2010): evaluation rounds of a sample of surfaces, each checked for a
//! fluorescent marker removed and/or an ATP reading under the round's threshold; the rate of
//! thoroughness of cleaning is the share of checked surfaces that passed.

use serde::{Deserialize, Serialize};

use super::ids::{EquipmentId, FacilityId, MonitoringRoundId};
use super::logs::Signature;

/// A round as the list and the chart show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundSummary {
    pub id: MonitoringRoundId,
    pub facility_id: FacilityId,
    pub facility: String,
    /// In the facility's zone.
    pub started_at: String,
    /// YYYY-MM-DD in the facility's zone, for the chart.
    pub day: String,
    pub started_by: String,
    /// "fluorescent marker", "ATP ≤ 250 RLU", or both.
    pub method: String,
    pub sampled: i64,
    pub recorded: i64,
    pub passed: i64,
    pub signed: Option<Signature>,
}

impl RoundSummary {
    /// Thoroughness of cleaning: passed over checked, in percent, once anything is checked.
    pub fn rate(&self) -> Option<f64> {
        (self.recorded > 0).then(|| 100.0 * self.passed as f64 / self.recorded as f64)
    }
}

/// One surface of a round's sample and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub position: i32,
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub location: String,
    pub marker_removed: Option<bool>,
    pub atp_rlu: Option<i32>,
    pub notes: Option<String>,
    /// Whether it passed, once everything the round checks is recorded.
    pub passed: Option<bool>,
}

/// A round with its sample, for recording results and signing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundDetail {
    pub summary: RoundSummary,
    pub fluorescent: bool,
    pub atp: bool,
    pub atp_threshold: Option<i32>,
    pub sample_percent: i32,
    /// Surfaces eligible when the sample was drawn.
    pub population: i32,
    pub samples: Vec<Sample>,
    pub strict_signatures: bool,
}

/// The monitoring page: rounds (newest first), facilities, and each facility's rate over its
/// signed rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitoring {
    pub rounds: Vec<RoundSummary>,
    pub facilities: Vec<(FacilityId, String)>,
    /// Per facility: signed rounds, surfaces checked and passed.
    pub units: Vec<UnitRate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRate {
    pub facility_id: FacilityId,
    pub facility: String,
    pub rounds: i64,
    pub checked: i64,
    pub passed: i64,
}

impl UnitRate {
    pub fn rate(&self) -> Option<f64> {
        (self.checked > 0).then(|| 100.0 * self.passed as f64 / self.checked as f64)
    }
}
