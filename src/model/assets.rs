//! Facilities and equipment as the screens show them, and the validated choices they carry.

use serde::{Deserialize, Serialize};

use super::ids::{EquipmentId, FacilityId, LogId, ProtocolId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 4] = [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High, RiskLevel::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        }
    }

    pub fn parse(raw: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equipment {
    pub id: EquipmentId,
    pub facility_id: FacilityId,
    pub facility_name: String,
    pub name: String,
    pub kind: String,
    pub serial: String,
    pub location: String,
    pub risk_level: RiskLevel,
    pub retired: bool,
    pub short_code: String,
    pub protocol_id: Option<ProtocolId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquipmentPage {
    pub items: Vec<Equipment>,
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
}

/// The QR landing: what a scan shows about the equipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedEquipment {
    pub id: EquipmentId,
    pub name: String,
    pub kind: String,
    pub location: String,
    pub serial: String,
    pub risk_level: String,
    pub short_code: String,
    pub facility_name: String,
    /// The current protocol ("Hood wipe v2") and its steps, if one is assigned.
    pub protocol: Option<String>,
    pub steps: Vec<String>,
}

/// One sticker on a label sheet; the QR image is at `/equipment/{id}/qr.svg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub id: EquipmentId,
    pub name: String,
    pub location: String,
    pub short_code: String,
    /// Where the sticker leads, so it can be opened without a camera.
    pub sticker_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSheet {
    pub facility_name: String,
    pub labels: Vec<Label>,
}

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

/// A signed cleaning record as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleaningLog {
    pub id: LogId,
    pub outcome: String,
    pub notes: String,
    /// The steps of the protocol version followed, and whether each was done.
    pub checklist: Vec<(String, bool)>,
    pub protocol: Option<String>,
    /// "performed" signature: printed name, meaning, time (RFC 3339, as the device said).
    pub performed_by: String,
    pub performed_at: String,
    pub received_at: String,
    pub verified: Option<Signature>,
    pub amends: Option<LogId>,
    pub amendment_reason: Option<String>,
    /// Later logs that amend this one.
    pub amended_by: Vec<LogId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub meaning: String,
    /// RFC 3339.
    pub at: String,
}
