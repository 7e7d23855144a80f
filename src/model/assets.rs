//! Facilities and equipment as the screens show them, and the validated choices they carry.

use serde::{Deserialize, Serialize};

use super::ids::{EquipmentId, FacilityId, LogId, PhotoId, ProtocolId, UserId};

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
    /// The facility's IANA zone, in which every time on the page is given.
    pub time_zone: String,
    /// The current protocol ("Hood wipe v2") and its steps, if one is assigned.
    pub protocol: Option<String>,
    pub steps: Vec<String>,
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

/// How a signed cleaning ended: passed, or failed (its notes say what went wrong). Stored as the
/// text `pass` / `fail` (the column's CHECK), and written so in forms, JSON, filters and CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

impl Outcome {
    /// `pass` or `fail` (around spaces ignored); anything else is no outcome.
    pub fn parse(raw: &str) -> Option<Outcome> {
        match raw.trim() {
            "pass" => Some(Outcome::Pass),
            "fail" => Some(Outcome::Fail),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
        }
    }

    /// As lists and reports show it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
        }
    }
}

/// Read from and written to the text column as `pass` / `fail`.
#[cfg(feature = "ssr")]
mod outcome_column {
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
    use sqlx::{Decode, Encode, Postgres, Type};

    use super::Outcome;

    impl Type<Postgres> for Outcome {
        fn type_info() -> PgTypeInfo {
            <&str as Type<Postgres>>::type_info()
        }
        fn compatible(ty: &PgTypeInfo) -> bool {
            <&str as Type<Postgres>>::compatible(ty)
        }
    }

    impl Encode<'_, Postgres> for Outcome {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
            <&str as Encode<Postgres>>::encode_by_ref(&self.as_str(), buf)
        }
    }

    impl Decode<'_, Postgres> for Outcome {
        fn decode(value: PgValueRef<'_>) -> Result<Outcome, sqlx::error::BoxDynError> {
            let raw = <&str as Decode<Postgres>>::decode(value)?;
            Outcome::parse(raw).ok_or_else(|| format!("`{raw}` is not an outcome").into())
        }
    }
}

/// A signed cleaning record as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleaningLog {
    pub id: LogId,
    pub outcome: Outcome,
    pub notes: String,
    /// The steps of the protocol version followed, and whether each was done.
    pub checklist: Vec<(String, bool)>,
    pub protocol: Option<String>,
    /// Who signed "performed": the account, and the printed name.
    pub performer: UserId,
    pub performed_by: String,
    /// In the facility's time zone ("2026-12-01 14:05"): as the device said, and as the
    /// server received it.
    pub performed_at: String,
    pub received_at: String,
    /// The performer's signature: legal name, "performed", the server's receipt time.
    pub signature: Signature,
    pub verified: Option<Signature>,
    pub amends: Option<LogId>,
    pub amendment_reason: Option<String>,
    /// Later logs that amend this one.
    pub amended_by: Vec<LogId>,
    /// At `/photos/{id}` (and `/photos/{id}/thumb`).
    pub photos: Vec<PhotoId>,
    /// The signer's reason for signing without a protocol.
    pub no_protocol_reason: Option<String>,
    /// Recorded more than the organization's window after it was performed: with the reason,
    /// or entered offline (captured at `performed_at`, synced at `received_at`).
    pub late_entry: bool,
    pub late_entry_reason: Option<String>,
    pub entered_offline: bool,
    /// Its protocol version requires a second signature ("verified").
    pub verification_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The signer's legal name, as stored when signing.
    pub name: String,
    pub meaning: String,
    /// The server's time of signing, in the facility's time zone, like the log's own times.
    pub at: String,
    /// How the signer re-authenticated (see [`signed_with_label`]).
    pub signed_with: Option<String>,
}

/// How a signature was re-authenticated, as reports and pages say it; `None` for signatures
/// from before this was recorded.
pub fn signed_with_label(signed_with: Option<&str>) -> &'static str {
    match signed_with {
        Some("password") => "re-authenticated with password",
        Some("pin") => "re-authenticated with signing PIN",
        Some("session") => "not re-authenticated (strict signatures off)",
        _ => "re-authentication not recorded",
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Scan {
    Member(ScannedEquipment),
    Public(PublicStatus),
}

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

/// A signed cleaning awaiting the second signature its protocol requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub log_id: LogId,
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub facility: String,
    pub protocol: String,
    pub outcome: Outcome,
    /// Who signed it ("performed"); nobody verifies their own.
    pub performer: UserId,
    pub signer: String,
    /// Local to the facility: as performed, and as recorded by the server.
    pub performed_at: String,
    pub received_at: String,
    pub hours_waiting: i64,
    /// Waiting longer than the organization's review deadline.
    pub overdue: bool,
}

/// The review queue page: the oldest reviews first, the counts, and whether signing asks for
/// the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    pub items: Vec<Review>,
    pub counts: ReviewCounts,
    pub strict_signatures: bool,
}

/// How many reviews wait, and how many of them are past the deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCounts {
    pub awaiting: i64,
    pub overdue: i64,
    /// The organization's deadline, in days.
    pub review_days: i32,
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

#[cfg(all(test, feature = "ssr"))]
mod outcome_tests {
    use super::Outcome;

    #[test]
    fn an_outcome_is_pass_or_fail_in_forms_json_and_labels() {
        assert_eq!(Outcome::parse(" pass "), Some(Outcome::Pass));
        assert_eq!(Outcome::parse("fail"), Some(Outcome::Fail));
        assert_eq!(Outcome::parse("PASS"), None);
        assert_eq!(Outcome::parse("maybe"), None);
        assert_eq!(serde_json::to_string(&Outcome::Fail).unwrap(), "\"fail\"");
        assert_eq!(serde_json::from_str::<Outcome>("\"pass\"").unwrap(), Outcome::Pass);
        assert_eq!((Outcome::Fail.as_str(), Outcome::Fail.label()), ("fail", "FAIL"));
    }
}
