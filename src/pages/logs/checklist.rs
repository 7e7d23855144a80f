//! The checklist part of a cleaning form (the sticker page's log form and a correction): a
//! tick-box, a reading with its unit and accepted range, or a remark per step, each of which can
//! be marked not applicable with a reason (the reason's field shows when the box is ticked, by
//! CSS alone, so the form works without JavaScript).

use leptos::prelude::*;

use crate::model::logs::{ChecklistEntry, StepResult};
use crate::model::protocols::{Step, StepKind};

/// The fields of `steps`, named as `log_cleaning` reads them; `scope` keeps ids unique when
/// several forms share a page.
pub fn checklist_fields(steps: &[Step], scope: &str) -> impl IntoView {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let id = format!("{scope}-step-{i}");
            let answer = match &step.kind {
                StepKind::Check => view! {
                    <label class="check"><input type="checkbox" name=format!("done[{i}]")/>{format!(" {}", step.label)}</label>
                }
                .into_any(),
                StepKind::Reading { unit, .. } => view! {
                    <label for=id.clone()>{step.label.clone()}" "<span class="muted">{format!("(accepted {})", step.kind.range_label().unwrap_or_default())}</span></label>
                    <span class="reading">
                        <input id=id.clone() name=format!("reading[{i}]") type="text" inputmode="decimal" autocomplete="off" size="8"/>
                        <span class="reading__unit">{unit.clone()}</span>
                    </span>
                }
                .into_any(),
                StepKind::Text => view! {
                    <label for=id.clone()>{step.label.clone()}</label>
                    <input id=id.clone() name=format!("text[{i}]") maxlength="500" autocomplete="off"/>
                }
                .into_any(),
            };
            view! {
                <div class="step">
                    <div class="step__answer">{answer}</div>
                    <label class="check step__na" title="Not applicable">
                        <input type="checkbox" name=format!("na[{i}]") aria-label=format!("Step {} not applicable", i + 1)/>" N/A"
                    </label>
                    <input class="step__na-reason" name=format!("na_reason[{i}]") maxlength="300"
                        aria-label=format!("Why step {} does not apply", i + 1) placeholder="Why does it not apply?"/>
                </div>
            }
        })
        .collect_view()
}

/// A signed checklist's measured and explained steps (readings, remarks, not applicable, and any
/// step that failed); plain ticks are implied by the outcome and not repeated.
pub fn checklist_results(entries: &[ChecklistEntry]) -> Option<impl IntoView> {
    let shown: Vec<&ChecklistEntry> =
        entries.iter().filter(|e| e.reading.is_some() || e.text.is_some() || e.result() != StepResult::Pass).collect();
    (!shown.is_empty()).then(|| {
        view! {
            <ul class="step-results">
                {shown.into_iter().map(|e| view! {
                    <li class:step-results__fail=e.result() == StepResult::Fail>{e.describe()}</li>
                }).collect_view()}
            </ul>
        }
    })
}
