//! The audit trail as the audit page shows it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// UTC, RFC 3339 with microseconds.
    pub occurred_at: String,
    /// Who: a member's name and email, or "system", "anonymous", …
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub ip: Option<String>,
    pub changes: Vec<FieldChange>,
    pub hash: String,
}

/// One field of a record before and after the change (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass back as `before_seq` for the next (older) page; `None` at the beginning of the trail.
    pub next_before_seq: Option<i64>,
}

/// The result of recomputing a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChainCheck {
    /// Every event links to the one before and hashes to its recorded hash, and matches every
    /// signed checkpoint; `signed_through`: the last event a signed checkpoint confirms.
    Verified { events: i64, last_hash: Option<String>, signed_through: Option<i64> },
    /// The first event that does not, and why.
    Broken { seq: i64, reason: String },
    /// The chain holds, but a signed record no longer matches the hash sealed with it when it
    /// was signed: `record` names it ("cleaning log <id>", "verification of log <id>").
    RecordAltered { events: i64, record: String },
}

/// What a chain's signed checkpoints confirm, in words.
pub fn signed_words(signed_through: Option<i64>) -> String {
    match signed_through {
        Some(seq) => format!("signed checkpoints confirm events 1 to {seq}"),
        None => "no signed checkpoint yet".to_owned(),
    }
}

/// What `/verify` says about a file we issued: who issued it and when, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIssue {
    pub organization: String,
    /// `report_pdf`, `binder`, `logs_csv`, `compliance_csv`, `corrective_actions_csv`,
    /// `monitoring_pdf` or `audit_jsonl`.
    pub kind: String,
    /// UTC, as signed.
    pub issued_at: String,
    /// The issue's signature verifies under our current key.
    pub signature_valid: bool,
}

impl FileIssue {
    /// "2026-12-02 14:05:09": the signed time to the second, as people read it (the signed text
    /// keeps its microseconds and `T…Z`).
    pub fn issued_at_for_people(&self) -> String {
        self.issued_at.get(..19).unwrap_or(&self.issued_at).replacen('T', " ", 1)
    }
}

/// The kind of an issued file, in words.
pub fn file_kind_label(kind: &str) -> &'static str {
    match kind {
        "report_pdf" => "inspection report (PDF)",
        "binder" => "inspection binder (ZIP)",
        "logs_csv" => "cleaning logs (CSV)",
        "compliance_csv" => "compliance figures (CSV)",
        "corrective_actions_csv" => "corrective actions (CSV)",
        "monitoring_pdf" => "Level II monitoring summary (PDF)",
        "audit_jsonl" => "audit trail export (JSON Lines)",
        _ => "file",
    }
}
