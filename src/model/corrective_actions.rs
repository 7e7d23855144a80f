//! Corrective actions: what a failed cleaning leads to. Opened by the server for a failed log
//! (or by a supervisor from any log), owned by someone, due by a time; closed with a note and a
//! passing re-clean of the same equipment, or a supervisor's signed override with a reason.

use serde::{Deserialize, Serialize};

use super::ids::{CorrectiveActionId, EquipmentId, FacilityId, LogId, ProblemReportId, UserId};
use super::logs::Signature;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectiveAction {
    pub id: CorrectiveActionId,
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub facility: String,
    /// The log it was opened from.
    pub log_id: Option<LogId>,
    /// Or the problem reported from the sticker it was opened for: what the reporter wrote.
    pub problem: Option<String>,
    /// Who opened it; `None`: the server, as the failed log was signed.
    pub opened_by: Option<String>,
    /// Times in the facility's zone ("2026-12-01 14:05"), like every time people read.
    pub opened_at: String,
    pub description: String,
    pub owner: Option<(UserId, String)>,
    pub due_at: String,
    /// The due day as the form's date field takes it (YYYY-MM-DD, facility's zone).
    pub due_date: String,
    pub overdue: bool,
    pub closed: Option<Closure>,
    /// Passing cleanings of the same equipment after the failure: what can close it.
    pub recleans: Vec<Reclean>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub at: String,
    pub by: String,
    pub note: String,
    pub reclean: Option<Reclean>,
    pub override_reason: Option<String>,
    /// The supervisor's signature on an override ("closed by override").
    pub override_signature: Option<Signature>,
}

/// A passing cleaning that can close (or closed) an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclean {
    pub log_id: LogId,
    pub performed_at: String,
    pub signer: String,
}

/// Which actions a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Show {
    #[default]
    Open,
    Overdue,
    Closed,
    All,
}

impl Show {
    pub const ALL: [Show; 4] = [Show::Open, Show::Overdue, Show::Closed, Show::All];

    pub fn parse(raw: &str) -> Option<Show> {
        Show::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Show::Open => "open",
            Show::Overdue => "overdue",
            Show::Closed => "closed",
            Show::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Show::Open => "Open",
            Show::Overdue => "Overdue",
            Show::Closed => "Closed",
            Show::All => "All",
        }
    }
}

/// The supervisors' list, with what its forms need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionList {
    pub items: Vec<CorrectiveAction>,
    /// Problems reported from stickers and not yet handled, oldest first.
    pub problems: Vec<ProblemReport>,
    pub counts: ActionCounts,
    /// Members who can own an action (those who may record cleanings).
    pub owners: Vec<(UserId, String)>,
    pub facilities: Vec<(FacilityId, String)>,
    /// The organization asks for the password (or PIN) at each signing.
    pub strict_signatures: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCounts {
    pub open: i64,
    pub overdue: i64,
}

/// A problem someone reported from a sticker without an account, waiting for a supervisor to turn
/// it into a corrective action or dismiss it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemReport {
    pub id: ProblemReportId,
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub facility: String,
    /// In the facility's zone.
    pub reported_at: String,
    pub description: String,
    /// How to reach the reporter, if they said.
    pub contact: Option<String>,
}
