//! Compliance: how many of the times scheduled equipment came due were met on time. One
//! definition, in SQL (`app.compliance_occasions`, migration `..._compliance.sql`), read by the
//! overview, the CSV exports and the PDF report; this type carries its figures and says them
//! the same way everywhere.

use serde::{Deserialize, Serialize};

/// The definition in words, printed beside every compliance figure we show or issue.
pub const DEFINITION: &str = "Each time a scheduled piece of equipment came due is one occasion. \
It was met on time when a passed cleaning was performed by the due time and recorded then; \
entered late when performed by the due time but recorded later than the organization allows \
(a late entry); late when performed after the due time; it is awaiting verification while its \
protocol requires a second signature not yet given, and not done while no passed cleaning has \
followed. A corrected cleaning counts as its correction; a failed one does not count. Occasions \
are counted on the day they were settled (the earlier of the due time and the cleaning), in the \
facility's time zone. Cleanings of unscheduled equipment are not occasions.";

/// The occasions settled in a period, by how they were met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    pub on_time: i64,
    /// Performed by the due time, recorded late (a late entry).
    pub late_entry: i64,
    pub late: i64,
    /// Awaiting the second signature its protocol requires.
    pub pending: i64,
    pub not_done: i64,
}

impl Compliance {
    /// Every occasion that came due.
    pub fn due(&self) -> i64 {
        self.on_time + self.late_entry + self.late + self.pending + self.not_done
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
                "{} of {} scheduled cleanings on time ({p}%): {} entered late, {} late, {} awaiting verification, {} not done.",
                self.on_time,
                self.due(),
                self.late_entry,
                self.late,
                self.pending,
                self.not_done
            ),
        }
    }

    pub fn add(&mut self, other: Compliance) {
        self.on_time += other.on_time;
        self.late_entry += other.late_entry;
        self.late += other.late;
        self.pending += other.pending;
        self.not_done += other.not_done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_words() {
        let c = Compliance { on_time: 5, late_entry: 1, late: 1, pending: 1, not_done: 1 };
        assert_eq!(c.due(), 9);
        assert_eq!(c.percent(), Some(56));
        assert_eq!(
            c.sentence(),
            "5 of 9 scheduled cleanings on time (56%): 1 entered late, 1 late, 1 awaiting verification, 1 not done."
        );
        assert_eq!(Compliance { on_time: 1, late: 1, ..Default::default() }.rate(), "50%");
        assert_eq!(Compliance { on_time: 2, late: 1, ..Default::default() }.rate(), "67%");
        assert_eq!(Compliance::default().percent(), None);
        assert_eq!(Compliance::default().rate(), "–");
    }
}
