//! Plans, their limits, and what a billing standing allows: shared so the billing page states
//! the same rules the server enforces.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Plan {
    /// One facility and 25 pieces of equipment, no charge.
    Free,
    /// Billed per active facility; no limits.
    Pro,
}

impl Plan {
    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Pro => "Pro",
        }
    }

    /// Active facilities allowed; `None` for no limit.
    pub fn max_facilities(self) -> Option<i64> {
        match self {
            Plan::Free => Some(1),
            Plan::Pro => None,
        }
    }

    /// Active pieces of equipment allowed; `None` for no limit.
    pub fn max_equipment(self) -> Option<i64> {
        match self {
            Plan::Free => Some(25),
            Plan::Pro => None,
        }
    }
}

/// Days of full service after a payment fails.
pub const GRACE_DAYS: i64 = 7;
/// Further days, after the grace period, in which cleanings can still be logged.
pub const LOGGING_DAYS_AFTER_GRACE: i64 = 14;

/// What an organization may do, given how its payments stand. Reading and exporting records
/// are allowed in every standing: records are never held hostage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    /// Free, trialing or paid: everything within the plan's limits.
    Good,
    /// A payment failed recently: everything continues while it is put right.
    Grace,
    /// The grace period is over: administration stops; logging, reading and exporting go on.
    Limited,
    /// Logging has stopped too; reading and exporting go on.
    ReadOnly,
}

impl Standing {
    pub fn allows_administration(self) -> bool {
        matches!(self, Standing::Good | Standing::Grace)
    }

    pub fn allows_logging(self) -> bool {
        self != Standing::ReadOnly
    }
}

/// The billing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// Whether this server takes payments at all (Stripe configured).
    pub enabled: bool,
    pub plan: Plan,
    /// Stripe's subscription status, in words.
    pub status: Option<String>,
    pub trial_end: Option<String>,
    pub period_end: Option<String>,
    pub cancel_at_period_end: bool,
    pub standing: Standing,
    /// When the current standing ends (the grace period, the logging period), if it does.
    pub standing_until: Option<String>,
    pub active_facilities: i64,
    pub active_equipment: i64,
    /// Owners start checkout and open the portal; admins only look.
    pub can_manage: bool,
    /// There is a Stripe customer, so the portal can open.
    pub has_customer: bool,
    pub records: Vec<BillingRecord>,
}

/// A payment, failed payment or refund, as shown in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingRecord {
    pub what: String,
    pub amount: String,
    pub when: String,
}

/// `1234, "eur"` → `12.34 EUR`. Stripe amounts are in the currency's smallest unit; the few
/// zero-decimal currencies we might meet are shown without cents.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    if matches!(code.as_str(), "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "HUF" | "TWD" | "UGX") {
        return format!("{amount} {code}");
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{}.{:02} {code}", amount.abs() / 100, amount.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_is_limited_and_pro_is_not() {
        assert_eq!((Plan::Free.max_facilities(), Plan::Free.max_equipment()), (Some(1), Some(25)));
        assert_eq!((Plan::Pro.max_facilities(), Plan::Pro.max_equipment()), (None, None));
    }

    #[test]
    fn every_standing_keeps_records_readable_and_only_the_last_stops_logging() {
        assert!(Standing::Grace.allows_administration() && !Standing::Limited.allows_administration());
        assert!(Standing::Limited.allows_logging() && !Standing::ReadOnly.allows_logging());
    }

    #[test]
    fn amounts_are_shown_in_major_units() {
        assert_eq!(format_amount(2900, "eur"), "29.00 EUR");
        assert_eq!(format_amount(-505, "usd"), "-5.05 USD");
        assert_eq!(format_amount(500, "jpy"), "500 JPY");
    }
}
