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
