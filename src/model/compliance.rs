//! Compliance: how many of the times scheduled equipment came due were met on time. One
//! definition, in SQL (`app.compliance_occasions`, migration `..._compliance.sql`), read by the
//! overview, the CSV exports and the PDF report; this type carries its figures and says them
//! the same way everywhere.

use serde::{Deserialize, Serialize};

/// The definition in words, printed beside every compliance figure we show or issue.
pub const DEFINITION: &str = "Each time a scheduled piece of equipment came due is one occasion. \
It was met on time when a passed cleaning followed by the due time, late when after it, and is \
not done while none has followed. A corrected cleaning counts as its correction; a failed one \
does not count. Occasions are counted on the day they were settled (the earlier of the due time \
and the cleaning), in the facility's time zone. Cleanings of unscheduled equipment are not \
occasions.";

/// The occasions settled in a period, by how they were met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    pub on_time: i64,
    pub late: i64,
    pub not_done: i64,
}

impl Compliance {
    /// Every occasion that came due.
    pub fn due(&self) -> i64 {
        self.on_time + self.late + self.not_done
    }

    /// Whole percent on time, rounded half up; `None` when nothing came due.
    pub fn percent(&self) -> Option<i64> {
        let due = self.due();
        (due > 0).then(|| (self.on_time * 100 + due / 2) / due)
    }

    /// "71%", or "–" when nothing came due.
    pub fn rate(&self) -> String {
        self.percent().map(|p| format!("{p}%")).unwrap_or_else(|| "–".into())
    }

    /// The figures in one sentence, the same in every place that states them.
    pub fn sentence(&self) -> String {
        match self.percent() {
            None => "No scheduled cleaning came due.".into(),
            Some(p) => format!(
                "{} of {} scheduled cleanings on time ({p}%): {} late, {} not done.",
                self.on_time,
                self.due(),
                self.late,
                self.not_done
            ),
        }
    }

    pub fn add(&mut self, other: Compliance) {
        self.on_time += other.on_time;
        self.late += other.late;
        self.not_done += other.not_done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_words() {
        let c = Compliance { on_time: 5, late: 1, not_done: 1 };
        assert_eq!(c.due(), 7);
        assert_eq!(c.percent(), Some(71));
        assert_eq!(c.sentence(), "5 of 7 scheduled cleanings on time (71%): 1 late, 1 not done.");
        assert_eq!(Compliance { on_time: 1, late: 1, not_done: 0 }.rate(), "50%");
        assert_eq!(Compliance { on_time: 2, late: 1, not_done: 0 }.rate(), "67%");
        assert_eq!(Compliance::default().percent(), None);
        assert_eq!(Compliance::default().rate(), "–");
    }
}
