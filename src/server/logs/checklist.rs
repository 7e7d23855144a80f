//! What a signed checklist says, step by step, from the log form: ticked, not applicable (with
//! the reason), a reading checked against the range of the version in force, or a remark. A
//! reading outside its range fails the step and the log.

use std::collections::BTreeMap;

use crate::model::error::AppError;
use crate::model::logs::{ChecklistEntry, Outcome, Reading, StepResult};
use crate::model::protocols::{number, Step, StepKind};

/// The log form's answers, keyed by step number (0-based), as an HTML form sends them.
#[derive(Default)]
pub struct Answers {
    /// Ticked tick-boxes (`done[n]=on`).
    pub done: BTreeMap<String, String>,
    /// Readings as typed (`reading[n]=310`).
    pub readings: BTreeMap<String, String>,
    /// Remarks (`text[n]=…`).
    pub texts: BTreeMap<String, String>,
    /// Steps marked not applicable (`na[n]=on`), and why (`na_reason[n]=…`).
    pub na: BTreeMap<String, String>,
    pub na_reasons: BTreeMap<String, String>,
}

impl Answers {
    /// From the form's maps, each absent when the form had none of its fields.
    pub fn from_form(
        done: Option<BTreeMap<String, String>>,
        readings: Option<BTreeMap<String, String>>,
        texts: Option<BTreeMap<String, String>>,
        na: Option<BTreeMap<String, String>>,
        na_reasons: Option<BTreeMap<String, String>>,
    ) -> Answers {
        Answers {
            done: done.unwrap_or_default(),
            readings: readings.unwrap_or_default(),
            texts: texts.unwrap_or_default(),
            na: na.unwrap_or_default(),
            na_reasons: na_reasons.unwrap_or_default(),
        }
    }
}

/// The checklist as signed, and how it bears on the log's outcome.
#[derive(Debug)]
pub struct Checked {
    pub entries: Vec<ChecklistEntry>,
    /// Steps neither passed nor explained (a pass cannot be signed with any).
    pub unanswered: usize,
    /// Readings outside their range, described ("ATP swab: 310 RLU, accepted ≤ 250 RLU").
    pub out_of_range: Vec<String>,
}

impl Checked {
    /// The outcome recorded: what the signer chose, unless a reading failed, which fails it.
    pub fn outcome(&self, chosen: Outcome) -> Outcome {
        if self.out_of_range.is_empty() {
            chosen
        } else {
            Outcome::Fail
        }
    }
}

fn given(map: &BTreeMap<String, String>, i: usize) -> Option<&str> {
    map.get(&i.to_string()).map(|v| v.trim()).filter(|v| !v.is_empty())
}

pub fn check(steps: &[Step], answers: &Answers) -> Result<Checked, AppError> {
    let mut checked = Checked { entries: Vec::with_capacity(steps.len()), unanswered: 0, out_of_range: Vec::new() };
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let invalid = |why: String| AppError::Invalid(format!("Step {n} ({}): {why}", step.label));
        let mut entry = ChecklistEntry {
            step: step.label.clone(),
            done: false,
            result: Some(StepResult::Fail),
            reading: None,
            text: None,
            na_reason: None,
        };
        let answered = match &step.kind {
            StepKind::Check => answers.done.contains_key(&i.to_string()),
            StepKind::Reading { .. } => given(&answers.readings, i).is_some(),
            StepKind::Text => true,
        };
        if answers.na.contains_key(&i.to_string()) {
            let written = step.kind != StepKind::Text || given(&answers.texts, i).is_some();
            if answered && written {
                return Err(invalid("it is marked not applicable and answered too; keep one.".into()));
            }
            let reason = given(&answers.na_reasons, i).ok_or_else(|| invalid("say why it does not apply.".into()))?;
            if reason.chars().count() > 300 {
                return Err(invalid("keep the reason under 300 characters.".into()));
            }
            entry.result = Some(StepResult::Na);
            entry.done = true;
            entry.na_reason = Some(reason.to_owned());
            checked.entries.push(entry);
            continue;
        }
        match &step.kind {
            StepKind::Check if answered => entry.result = Some(StepResult::Pass),
            StepKind::Reading { unit, min, max } => {
                if let Some(raw) = given(&answers.readings, i) {
                    let value = raw
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && v.abs() < 1e12)
                        .ok_or_else(|| invalid(format!("“{raw}” is not a number.")))?;
                    let within = step.kind.accepts(value);
                    entry.result = Some(if within { StepResult::Pass } else { StepResult::Fail });
                    if !within {
                        checked.out_of_range.push(format!(
                            "{}: {} {unit}, accepted {}",
                            step.label,
                            number(value),
                            step.kind.range_label().unwrap_or_default()
                        ));
                    }
                    entry.reading = Some(Reading { value, unit: unit.clone(), min: *min, max: *max });
                }
            }
            // A remark is optional: an empty one passes with nothing written.
            StepKind::Text => {
                entry.result = Some(StepResult::Pass);
                if let Some(text) = given(&answers.texts, i) {
                    if text.chars().count() > 500 {
                        return Err(invalid("keep the remark under 500 characters.".into()));
                    }
                    entry.text = Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            StepKind::Check => {}
        }
        if !answered {
            checked.unanswered += 1;
        }
        entry.done = entry.result == Some(StepResult::Pass);
        checked.entries.push(entry);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::{check, Answers};
    use crate::model::logs::{Outcome, StepResult};
    use crate::model::protocols::Step;

    fn steps() -> Vec<Step> {
        ["Wipe surfaces", "ATP swab [RLU ≤ 250]", "Remarks [text]"]
            .iter()
            .map(|l| Step::parse_line(l).unwrap())
            .collect()
    }

    fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_step_answered_in_range_passes_and_a_high_reading_fails_the_log() {
        let mut a = Answers {
            done: map(&[("0", "on")]),
            readings: map(&[("1", "120")]),
            texts: map(&[("2", " looks   clean ")]),
            ..Answers::default()
        };
        let ok = check(&steps(), &a).unwrap();
        assert_eq!((ok.unanswered, ok.out_of_range.len()), (0, 0));
        assert_eq!(ok.outcome(Outcome::Pass), Outcome::Pass);
        assert_eq!(ok.entries[1].reading.as_ref().unwrap().max, Some(250.0));
        assert_eq!(ok.entries[2].text.as_deref(), Some("looks clean"));
        a.readings = map(&[("1", "310")]);
        let high = check(&steps(), &a).unwrap();
        assert_eq!(high.outcome(Outcome::Pass), Outcome::Fail);
        assert_eq!(high.entries[1].result, Some(StepResult::Fail));
        assert_eq!(high.out_of_range, vec!["ATP swab: 310 RLU, accepted ≤ 250 RLU".to_owned()]);
    }

    #[test]
    fn not_applicable_needs_a_reason_and_a_reading_must_be_a_number() {
        let a = Answers { na: map(&[("1", "on")]), ..Answers::default() };
        assert!(check(&steps(), &a).unwrap_err().to_string().contains("say why it does not apply"));
        let a = Answers {
            na: map(&[("1", "on")]),
            na_reasons: map(&[("1", "Swab kit out of stock")]),
            ..Answers::default()
        };
        let na = check(&steps(), &a).unwrap();
        assert_eq!(na.entries[1].result, Some(StepResult::Na));
        assert_eq!(na.unanswered, 1, "the tick-box; a remark is optional");
        let a = Answers { readings: map(&[("1", "lots")]), ..Answers::default() };
        assert!(check(&steps(), &a).unwrap_err().to_string().contains("“lots” is not a number"));
        let a = Answers { readings: map(&[("1", "99,5")]), ..Answers::default() };
        assert_eq!(check(&steps(), &a).unwrap().entries[1].reading.as_ref().unwrap().value, 99.5);
    }
}
