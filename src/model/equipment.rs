//! Equipment as the screens show it: the list, one piece's page, what a QR scan shows (members
//! and the public panel), label sheets.

use serde::{Deserialize, Serialize};

use super::logs::CleaningLog;
use super::protocols::Step;
use super::schedules::DueStatus;

use super::ids::{EquipmentId, FacilityId, ProtocolId};

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
    pub status: DueStatus,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScannedEquipment {
    pub id: EquipmentId,
    pub name: String,
    pub kind: String,
    pub location: String,
    pub serial: String,
    pub risk_level: String,
    pub short_code: String,
    pub facility_name: String,
    /// The facility's IANA zone, in which every time on the page is given.
    pub time_zone: String,
    /// The current protocol ("Hood wipe v2") and its steps, if one is assigned.
    pub protocol: Option<String>,
    pub steps: Vec<Step>,
    /// The protocol's disinfectant and wet contact time; whether the phone times the contact
    /// and whether the product's lot and expiry are asked (see `model::protocols::Protocol`).
    pub disinfectant: String,
    pub contact_time_minutes: i32,
    pub contact_timed: bool,
    pub product_lot_required: bool,
    pub status: DueStatus,
    /// The organization asks for the password at every signing.
    pub strict_signatures: bool,
    /// A cleaning performed longer ago than this is a late entry and needs a reason.
    pub late_entry_minutes: i32,
    /// The latest [`HISTORY_SHOWN`] cleanings, read with the rest so the page costs one call.
    pub history: Vec<CleaningLog>,
    /// The log form's one-time key (see `log_cleaning`), made by the server for this page.
    pub submission_key: uuid::Uuid,
}

/// Cleanings listed on the QR page; each carries its forms, so the page stays small.
pub const HISTORY_SHOWN: i64 = 10;

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

/// What a sticker shows someone who is not signed in, when the organization allows it: no
/// names, no protocol, only whether the equipment is clean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub name: String,
    pub last_cleaned: Option<String>,
    pub next_due: Option<String>,
    pub overdue: bool,
}

/// The QR landing's answer: the member's full view, or the public panel. One per request, never
/// in a collection, so the member's larger variant is not boxed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Scan {
    Member(ScannedEquipment),
    Public(PublicStatus),
}
