//! Signed cleaning records: the outcome, the history, signatures, and the review queue for
//! records that need a second signature.

use serde::{Deserialize, Serialize};

use super::ids::{EquipmentId, LogId, PhotoId, UserId};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleaningLog {
    pub id: LogId,
    pub outcome: Outcome,
    pub notes: String,
    /// The steps of the protocol version followed, each with its result and what was read.
    pub checklist: Vec<ChecklistEntry>,
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
    /// The disinfectant's lot and its expiry date (YYYY-MM-DD), when recorded.
    pub product_lot: Option<String>,
    pub product_expiry: Option<String>,
    /// Seconds of wet contact from application to signing, when the protocol times it.
    pub contact_seconds: Option<i32>,
    /// The corrective action this log opened: "open" or "closed".
    pub corrective_action: Option<String>,
}

/// How one step of a signed checklist ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepResult {
    Pass,
    Fail,
    /// Not applicable, with the signer's reason.
    Na,
}

/// One step of a signed checklist, as stored in the log (`cleaning_logs.checklist`). Logs from
/// before steps had results hold only `step` and `done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistEntry {
    pub step: String,
    /// Accounted for: passed, or not applicable (what the reports count as done).
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<StepResult>,
    /// A measured value with the unit and the range in force when it was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub na_reason: Option<String>,
}

impl ChecklistEntry {
    pub fn result(&self) -> StepResult {
        self.result.unwrap_or(if self.done { StepResult::Pass } else { StepResult::Fail })
    }

    /// The step as the history and reports print it: "ATP swab: 310 RLU (≤ 250) FAIL".
    pub fn describe(&self) -> String {
        let mut line = self.step.clone();
        if let Some(r) = &self.reading {
            let kind = super::protocols::StepKind::Reading { unit: r.unit.clone(), min: r.min, max: r.max };
            let range = kind.range_label().unwrap_or_default();
            line.push_str(&format!(": {} {} (accepted {range})", super::protocols::number(r.value), r.unit));
        }
        if let Some(t) = &self.text {
            line.push_str(&format!(": “{t}”"));
        }
        match self.result() {
            StepResult::Pass => line.push_str(" ✓"),
            StepResult::Fail => line.push_str(" ✗"),
            StepResult::Na => line.push_str(&format!(" N/A: {}", self.na_reason.as_deref().unwrap_or(""))),
        }
        line
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub value: f64,
    pub unit: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
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
