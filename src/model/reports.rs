//! Reports and exports: the filters of the cleaning-log export, and the background exports
//! (PDF report, inspection binder) as their owner sees them.

use serde::{Deserialize, Serialize};

use super::ids::{EquipmentId, ExportId, FacilityId, UserId};

/// Which cleaning logs a CSV or report covers. Dates are days in each facility's time zone,
/// both ends included; empty means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<EquipmentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `pass` or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Who performed (signed) the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<UserId>,
}

impl LogFilter {
    /// Checks the filter and normalises it; the message says what to correct.
    pub fn validated(mut self) -> Result<LogFilter, String> {
        for (name, date) in [("from", &mut self.from), ("to", &mut self.to)] {
            let trimmed = date.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
            if let Some(d) = &trimmed {
                if !is_date(d) {
                    return Err(format!("The {name} date must look like 2026-01-31."));
                }
            }
            *date = trimmed;
        }
        if let (Some(from), Some(to)) = (&self.from, &self.to) {
            if from > to {
                return Err("The period ends before it starts.".into());
            }
        }
        self.outcome = self.outcome.filter(|o| !o.is_empty());
        if let Some(outcome) = &self.outcome {
            if super::logs::Outcome::parse(outcome).is_none() {
                return Err("The outcome is either pass or fail.".into());
            }
        }
        Ok(self)
    }

    /// The filter from a query string as a plain HTML form sends it (empty fields for "any"),
    /// validated.
    pub fn from_query(query: &std::collections::HashMap<String, String>) -> Result<LogFilter, String> {
        fn id<T: std::str::FromStr>(
            query: &std::collections::HashMap<String, String>,
            name: &str,
        ) -> Result<Option<T>, String> {
            match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(raw) => raw.parse().map(Some).map_err(|_| format!("The {name} is not one of ours: {raw}")),
            }
        }
        let text = |name: &str| query.get(name).cloned();
        LogFilter {
            facility: id(query, "facility")?,
            equipment: id(query, "equipment")?,
            from: text("from"),
            to: text("to"),
            outcome: text("outcome"),
            person: id(query, "person")?,
        }
        .validated()
    }
}

/// "2026-01-01 to 2026-03-31", "from 2026-01-01", "all records".
pub fn describe_period(from: Option<&str>, to: Option<&str>) -> String {
    match (from, to) {
        (None, None) => "all records".into(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("until {t}"),
        (Some(f), Some(t)) => format!("{f} to {t}"),
    }
}

fn is_date(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('-').collect();
    let number = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    let [y, m, d] = parts[..] else { return false };
    if !(number(y, 4) && number(m, 2) && number(d, 2)) {
        return false;
    }
    let (m, d): (u32, u32) = (m.parse().unwrap_or(0), d.parse().unwrap_or(0));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// The inspection report of one facility and period.
    ReportPdf,
    /// The report, the logs as CSV, the audit trail and how to verify it, in one zip.
    Binder,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::ReportPdf => "report_pdf",
            ExportKind::Binder => "binder",
        }
    }

    pub fn parse(raw: &str) -> Option<ExportKind> {
        [ExportKind::ReportPdf, ExportKind::Binder].into_iter().find(|k| k.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportKind::ReportPdf => "Inspection report (PDF)",
            ExportKind::Binder => "Inspection binder (zip)",
        }
    }
}

/// What the reports page offers to filter by: what the caller can see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOptions {
    pub facilities: Vec<(FacilityId, String)>,
    /// Equipment with its facility's name.
    pub equipment: Vec<(EquipmentId, String, String)>,
    /// Everyone who has signed a log, by the name they signed with most recently.
    pub people: Vec<(UserId, String)>,
}

/// A background export as its requester sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportInfo {
    pub id: ExportId,
    pub kind: ExportKind,
    pub facility: String,
    pub period: String,
    /// `queued`, `running`, `ready`, `failed` or `expired` (the file is kept a week).
    pub state: String,
    pub done: i32,
    pub total: i32,
    pub byte_size: Option<i64>,
    /// SHA-256 (hex) of the file as issued: anyone holding a copy can compare it.
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
}

impl ExportInfo {
    /// Percent done, for the progress bar.
    pub fn percent(&self) -> u32 {
        match self.state.as_str() {
            "ready" | "expired" => 100,
            _ if self.total > 0 => (self.done.max(0) as u32 * 100 / self.total as u32).min(99),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_normalised() {
        let ok = LogFilter { from: Some(" 2026-01-01 ".into()), to: Some("".into()), ..Default::default() };
        assert_eq!(ok.validated().unwrap().from.as_deref(), Some("2026-01-01"));
        let bad = LogFilter { from: Some("yesterday".into()), ..Default::default() };
        assert!(bad.validated().unwrap_err().contains("2026-01-31"));
        let reversed =
            LogFilter { from: Some("2026-02-01".into()), to: Some("2026-01-01".into()), ..Default::default() };
        assert!(reversed.validated().is_err());
        let outcome = LogFilter { outcome: Some("maybe".into()), ..Default::default() };
        assert!(outcome.validated().is_err());
        // A plain form sends every field, empty for "any".
        let form: std::collections::HashMap<String, String> =
            [("facility", ""), ("equipment", " "), ("from", ""), ("outcome", ""), ("person", "")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(LogFilter::from_query(&form), Ok(LogFilter::default()));
        let bad: std::collections::HashMap<String, String> = [("person".to_owned(), "bob".to_owned())].into();
        assert!(LogFilter::from_query(&bad).unwrap_err().contains("person"));
    }
}
