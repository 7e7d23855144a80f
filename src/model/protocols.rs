//! Cleaning protocols: named, versioned step lists a cleaning follows. A step is a tick-box, a
//! measured reading with its unit and acceptance range (ATP in RLU ≤ 250, chlorine 500–1000 ppm),
//! or a line of free text. A version never changes, so it records the ranges in force.

use serde::{Deserialize, Serialize};

use super::error::AppError;
use super::ids::ProtocolId;

/// A protocol with its current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    pub id: ProtocolId,
    pub name: String,
    pub version: i32,
    pub steps: Vec<Step>,
    pub disinfectant: String,
    pub contact_time_minutes: i32,
    /// The phone times the wet contact and signing before it has elapsed is refused.
    pub contact_timed: bool,
    /// The disinfectant's lot and expiry are asked at each cleaning; an expired lot is refused.
    pub product_lot_required: bool,
    pub photo_required: bool,
    pub verification_required: bool,
    /// Active equipment cleaned by this protocol.
    pub equipment_count: i64,
}

/// One step of a protocol version. Stored as JSON: a tick-box as its plain label (as every step
/// was before steps had kinds), a reading or a text as `{"label", "kind", …}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "StoredStep")]
pub struct Step {
    pub label: String,
    pub kind: StepKind,
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Full<'a> {
            label: &'a str,
            #[serde(flatten)]
            kind: &'a StepKind,
        }
        match self.kind {
            StepKind::Check => serializer.serialize_str(&self.label),
            _ => Full { label: &self.label, kind: &self.kind }.serialize(serializer),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Done, or not applicable with a reason.
    Check,
    /// A number in `unit`, accepted when within `min..=max` (either bound may be open).
    Reading { unit: String, min: Option<f64>, max: Option<f64> },
    /// A line of free text.
    Text,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StoredStep {
    Plain(String),
    Full {
        label: String,
        #[serde(flatten)]
        kind: StepKind,
    },
}

impl From<StoredStep> for Step {
    fn from(stored: StoredStep) -> Step {
        match stored {
            StoredStep::Plain(label) => Step { label, kind: StepKind::Check },
            StoredStep::Full { label, kind } => Step { label, kind },
        }
    }
}

impl StepKind {
    /// Whether a reading is within the range (always, for steps without one).
    pub fn accepts(&self, value: f64) -> bool {
        match self {
            StepKind::Reading { min, max, .. } => {
                min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max)
            }
            _ => true,
        }
    }

    /// The acceptance range as people write it: "≤ 250 RLU", "500–1000 ppm", "≥ 70 °C".
    pub fn range_label(&self) -> Option<String> {
        let StepKind::Reading { unit, min, max } = self else { return None };
        Some(match (min, max) {
            (Some(min), Some(max)) => format!("{}–{} {unit}", number(*min), number(*max)),
            (None, Some(max)) => format!("≤ {} {unit}", number(*max)),
            (Some(min), None) => format!("≥ {} {unit}", number(*min)),
            (None, None) => format!("in {unit}"),
        })
    }
}

/// A number as a person writes it: no trailing ".0".
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

impl Step {
    /// Reads one line of the protocol form: a tick-box by default; `[text]` at the end asks for
    /// free text; `[unit range]` asks for a reading, the range written `≤ 250`, `<= 250`, `≥ 70`,
    /// `500-1000`, `500–1000` or `2 to 8` (`[RLU ≤ 250]`, `[ppm 500–1000]`, `[°C 2 to 8]`).
    pub fn parse_line(line: &str) -> Result<Step, AppError> {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(open) = line.strip_suffix(']').and_then(|l| l.rfind('[').map(|at| (at, l))) else {
            return Ok(Step { label: line, kind: StepKind::Check });
        };
        let (at, without_close) = open;
        let label = without_close[..at].trim().to_owned();
        let spec = without_close[at + 1..].trim();
        let invalid = |why: &str| AppError::Invalid(format!("Step “{line}”: {why}"));
        if label.is_empty() {
            return Err(invalid("write what the step is before the brackets."));
        }
        if spec.eq_ignore_ascii_case("text") {
            return Ok(Step { label, kind: StepKind::Text });
        }
        // The unit is what comes before the range: everything up to the first digit, sign or
        // comparison.
        let starts_range = |c: char| c.is_ascii_digit() || "≤≥<>-+.".contains(c);
        let split = spec.find(|c: char| starts_range(c) && c != '.').unwrap_or(spec.len());
        let (unit, range) = (spec[..split].trim(), spec[split..].trim());
        let unit = unit.strip_suffix(':').unwrap_or(unit).trim().to_owned();
        if unit.is_empty() || unit.chars().count() > 20 {
            return Err(invalid("give the unit first, e.g. [RLU ≤ 250], [ppm 500–1000], [°C 2 to 8] or [text]."));
        }
        let num = |s: &str| -> Result<f64, AppError> {
            let cleaned: String = s.trim().chars().filter(|c| *c != ',').collect();
            cleaned
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| invalid(&format!("“{}” is not a number.", s.trim())))
        };
        let (min, max) = if let Some(rest) =
            range.strip_prefix('≤').or_else(|| range.strip_prefix("<=")).or_else(|| range.strip_prefix('<'))
        {
            (None, Some(num(rest)?))
        } else if let Some(rest) =
            range.strip_prefix('≥').or_else(|| range.strip_prefix(">=")).or_else(|| range.strip_prefix('>'))
        {
            (Some(num(rest)?), None)
        } else if range.is_empty() {
            (None, None)
        } else {
            // "a to b", "a–b", or "a-b" where the hyphen follows the first number (so "-20 - -15"
            // reads as a negative range).
            let parts = range
                .split_once(" to ")
                .or_else(|| range.split_once('–'))
                .or_else(|| range.split_once('—'))
                .or_else(|| {
                    range.char_indices().skip(1).find(|&(_, c)| c == '-').map(|(i, _)| (&range[..i], &range[i + 1..]))
                });
            let Some((low, high)) = parts else {
                return Err(invalid("write the range as ≤ 250, ≥ 70, 500–1000 or 2 to 8."));
            };
            let (low, high) = (num(low)?, num(high)?);
            if low > high {
                return Err(invalid("the range's low end is above its high end."));
            }
            (Some(low), Some(high))
        };
        Ok(Step { label, kind: StepKind::Reading { unit, min, max } })
    }

    /// The line that reads back as this step (the protocol form's text).
    pub fn to_line(&self) -> String {
        match &self.kind {
            StepKind::Check => self.label.clone(),
            StepKind::Text => format!("{} [text]", self.label),
            StepKind::Reading { unit, min, max } => {
                let range = match (min, max) {
                    (Some(min), Some(max)) => format!(" {}–{}", number(*min), number(*max)),
                    (None, Some(max)) => format!(" ≤ {}", number(*max)),
                    (Some(min), None) => format!(" ≥ {}", number(*min)),
                    (None, None) => String::new(),
                };
                format!("{} [{unit}{range}]", self.label)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Step, StepKind};

    fn reading(unit: &str, min: Option<f64>, max: Option<f64>) -> StepKind {
        StepKind::Reading { unit: unit.into(), min, max }
    }

    #[test]
    fn a_line_reads_as_a_tick_box_a_text_or_a_reading_with_its_range() {
        let parse = |l: &str| Step::parse_line(l).unwrap();
        assert_eq!(parse("  Wipe   all surfaces ").kind, StepKind::Check);
        assert_eq!(parse("Wipe all surfaces").label, "Wipe all surfaces");
        assert_eq!(parse("Remarks [text]").kind, StepKind::Text);
        assert_eq!(parse("ATP swab [RLU ≤ 250]").kind, reading("RLU", None, Some(250.0)));
        assert_eq!(parse("ATP swab [RLU <= 250]").kind, reading("RLU", None, Some(250.0)));
        assert_eq!(parse("Chlorine [ppm 500–1,000]").kind, reading("ppm", Some(500.0), Some(1000.0)));
        assert_eq!(parse("Chlorine [ppm 500-1000]").kind, reading("ppm", Some(500.0), Some(1000.0)));
        assert_eq!(parse("Fridge [°C 2 to 8]").kind, reading("°C", Some(2.0), Some(8.0)));
        assert_eq!(parse("Freezer [°C -25 - -15]").kind, reading("°C", Some(-25.0), Some(-15.0)));
        assert_eq!(parse("Rinse [°C ≥ 82.5]").kind, reading("°C", Some(82.5), None));
        assert_eq!(parse("pH [pH 6.5-8.5]").kind, reading("pH", Some(6.5), Some(8.5)));
        for bad in ["[RLU ≤ 250]", "ATP [≤ 250]", "ATP [RLU ≤ lots]", "ATP [RLU 9-2]", "ATP [RLU about 5]"] {
            assert!(Step::parse_line(bad).is_err(), "{bad} should be refused");
        }
        for line in ["Wipe", "Remarks [text]", "ATP swab [RLU ≤ 250]", "Chlorine [ppm 500–1000]", "Rinse [°C ≥ 82.5]"]
        {
            assert_eq!(parse(&parse(line).to_line()), parse(line), "{line} reads back");
        }
    }

    #[test]
    fn a_reading_is_accepted_within_its_range_and_old_steps_read_as_tick_boxes() {
        let atp = reading("RLU", None, Some(250.0));
        assert!(atp.accepts(250.0) && !atp.accepts(251.0));
        let ppm = reading("ppm", Some(500.0), Some(1000.0));
        assert!(!ppm.accepts(499.0) && ppm.accepts(500.0) && ppm.accepts(1000.0) && !ppm.accepts(1000.5));
        assert_eq!(atp.range_label().unwrap(), "≤ 250 RLU");
        assert_eq!(ppm.range_label().unwrap(), "500–1000 ppm");
        let steps: Vec<Step> = serde_json::from_str(
            r#"["Wipe", {"label": "ATP", "kind": "reading", "unit": "RLU", "min": null, "max": 250}]"#,
        )
        .unwrap();
        assert_eq!(steps[0], Step { label: "Wipe".into(), kind: StepKind::Check });
        assert_eq!(steps[1].kind, atp);
        let json = serde_json::to_value(&steps).unwrap();
        assert_eq!(json[0], "Wipe", "a tick-box is stored as before");
        assert_eq!((json[1]["kind"].as_str(), json[1]["label"].as_str()), (Some("reading"), Some("ATP")));
        assert_eq!(serde_json::from_value::<Vec<Step>>(json).unwrap(), steps);
    }
}
