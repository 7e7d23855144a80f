//! Cleaning protocols: named, versioned step lists a cleaning follows.

use serde::{Deserialize, Serialize};

use super::ids::ProtocolId;

/// A protocol with its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub id: ProtocolId,
    pub name: String,
    pub version: i32,
    pub steps: Vec<String>,
    pub disinfectant: String,
    pub contact_time_minutes: i32,
    pub photo_required: bool,
    pub verification_required: bool,
    /// Active equipment cleaned by this protocol.
    pub equipment_count: i64,
}
