//! An organization's billing account as the rest of the app sees it: its plan, its standing,
//! its usage, and the gates that server functions pass before they add or change anything.

use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};

use crate::model::billing::{Plan, Standing, GRACE_DAYS, LOGGING_DAYS_AFTER_GRACE};
use crate::model::error::AppError;
use crate::model::ids::OrgId;
use crate::server::auth::request::{in_tenant, state};
use crate::server::auth::TenantTx;
use crate::server::config::StripeConfig;

/// The `billing_accounts` row (or its absence: the Free plan) and current usage.
#[derive(Debug, Clone)]
pub struct Account {
    pub stripe_customer_id: Option<String>,
    pub status: Option<String>,
    pub trial_end: Option<OffsetDateTime>,
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
    pub delinquent_since: Option<OffsetDateTime>,
    pub trial_used: bool,
    pub active_facilities: i64,
    pub active_equipment: i64,
}

/// Statuses in which a subscription provides the Pro plan. A delinquent one still does, for
/// its grace and logging periods (see [`standing`]).
pub fn plan_of(status: Option<&str>) -> Plan {
    match status {
        Some("trialing" | "active") => Plan::Pro,
        Some(s) if is_delinquent(Some(s)) => Plan::Pro,
        // None, canceled, incomplete, incomplete_expired: nothing paid for.
        _ => Plan::Free,
    }
}

/// Payment is owed and not made: Stripe keeps retrying (past_due), has given up (unpaid), or
/// paused the subscription at the end of a trial without a payment method.
pub fn is_delinquent(status: Option<&str>) -> bool {
    matches!(status, Some("past_due" | "unpaid" | "paused"))
}

/// The standing at `now`, and when it ends. Delinquency runs from the first failed payment
/// through [`GRACE_DAYS`] of full service, then [`LOGGING_DAYS_AFTER_GRACE`] in which only
/// logging continues, then read-only. Reading and exporting never stop.
pub fn standing(
    status: Option<&str>,
    delinquent_since: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> (Standing, Option<OffsetDateTime>) {
    if !is_delinquent(status) {
        return (Standing::Good, None);
    }
    let since = delinquent_since.unwrap_or(now);
    let grace_ends = since + Duration::days(GRACE_DAYS);
    let logging_ends = grace_ends + Duration::days(LOGGING_DAYS_AFTER_GRACE);
    if now < grace_ends {
        (Standing::Grace, Some(grace_ends))
    } else if now < logging_ends {
        (Standing::Limited, Some(logging_ends))
    } else {
        (Standing::ReadOnly, None)
    }
}

impl Account {
    pub fn plan(&self) -> Plan {
        plan_of(self.status.as_deref())
    }

    pub fn standing(&self, now: OffsetDateTime) -> (Standing, Option<OffsetDateTime>) {
        standing(self.status.as_deref(), self.delinquent_since, now)
    }
}

/// Reads the account of `org`, in whatever transaction the caller holds (tenant or job).
pub async fn load(conn: &mut PgConnection, org: OrgId) -> Result<Account, sqlx::Error> {
    sqlx::query_as!(
        Account,
        r#"SELECT b.stripe_customer_id AS "stripe_customer_id?", b.status AS "status?", b.trial_end AS "trial_end?",
                b.current_period_end AS "current_period_end?",
                coalesce(b.cancel_at_period_end, false) AS "cancel_at_period_end!",
                b.delinquent_since AS "delinquent_since?", coalesce(b.trial_used, false) AS "trial_used!",
                (SELECT count(*) FROM facilities f WHERE f.org_id = o.id AND f.status = 'active') AS "active_facilities!",
                (SELECT count(*) FROM equipment e WHERE e.org_id = o.id AND e.status = 'active') AS "active_equipment!"
         FROM (SELECT $1::uuid AS id) o LEFT JOIN billing_accounts b ON b.org_id = o.id"#,
        org as _
    )
    .fetch_one(conn)
    .await
}

/// Only what the standing depends on: the subscription's status and when payment first failed.
async fn load_standing(
    conn: &mut PgConnection,
    org: OrgId,
) -> Result<(Option<String>, Option<OffsetDateTime>), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT status AS "status?", delinquent_since AS "delinquent_since?" FROM billing_accounts WHERE org_id = $1"#,
        org as _
    )
    .map(|r| (r.status, r.delinquent_since))
    .fetch_optional(conn)
        .await?;
    Ok(row.unwrap_or_default())
}

/// What a server function is about to do, for [`check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Add a facility: the plan's facility limit, and administration allowed.
    NewFacility,
    /// Add a piece of equipment: the plan's equipment limit, and administration allowed.
    NewEquipment,
    /// Change facilities, equipment, protocols, schedules or invite people.
    Administration,
    /// Record, amend or verify a cleaning.
    Logging,
}

/// Refuses what the plan or the billing standing does not allow, with a message saying why and
/// what still works. Without Stripe (billing off) nothing is refused: there is nothing to
/// upgrade to. Additions take a per-organization lock first, so two at once cannot both pass
/// the limit.
pub async fn check(tx: &mut TenantTx, stripe: Option<&StripeConfig>, gate: Gate) -> Result<(), AppError> {
    if stripe.is_none() {
        return Ok(());
    }
    let org = tx.ctx().org_id();
    if matches!(gate, Gate::NewFacility | Gate::NewEquipment) {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended('billing:' || $1::text, 0))", org as _)
            .execute(tx.conn())
            .await?;
    }
    // Counting facilities and equipment is only needed for additions; a log submission reads
    // one row.
    let (status, delinquent_since, usage) = match gate {
        Gate::NewFacility | Gate::NewEquipment => {
            let a = load(tx.conn(), org).await?;
            (a.status, a.delinquent_since, Some((a.active_facilities, a.active_equipment)))
        }
        Gate::Administration | Gate::Logging => {
            let (status, since) = load_standing(tx.conn(), org).await?;
            (status, since, None)
        }
    };
    let (standing, until) = standing(status.as_deref(), delinquent_since, OffsetDateTime::now_utc());
    if gate == Gate::Logging {
        return match standing.allows_logging() {
            true => Ok(()),
            false => Err(AppError::PlanLimit(
                "Logging is paused: the subscription has been unpaid for more than three weeks. Records stay \
                 readable and exportable; an owner can settle the payment on the billing page."
                    .into(),
            )),
        };
    }
    if !standing.allows_administration() {
        let until = until.map(|t| format!(" until {}", t.date())).unwrap_or_default();
        return Err(AppError::PlanLimit(format!(
            "The subscription is unpaid, so adding and changing facilities, equipment, protocols, schedules and \
             people is paused. Logging cleanings continues{until}; reading and exporting always do."
        )));
    }
    let plan = plan_of(status.as_deref());
    let over = match (gate, usage) {
        (Gate::NewFacility, Some((facilities, _))) => plan
            .max_facilities()
            .filter(|max| facilities >= *max)
            .map(|max| format!("The {} plan includes {max} facility; upgrade to Pro to add more.", plan.label())),
        (Gate::NewEquipment, Some((_, equipment))) => plan.max_equipment().filter(|max| equipment >= *max).map(|max| {
            format!("The {} plan includes {max} pieces of equipment; upgrade to Pro to add more.", plan.label())
        }),
        _ => None,
    };
    over.map_or(Ok(()), |message| Err(AppError::PlanLimit(message)))
}

/// [`in_tenant`] for a server function that adds or changes something billing may limit: the
/// plan's limits and the billing standing are checked (see [`check`]) in the
/// same transaction, before `work`.
pub async fn in_tenant_gated<T>(
    gate: Gate,
    work: impl AsyncFnOnce(&mut TenantTx) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let stripe = state().config.stripe.clone();
    in_tenant(async |tx| {
        check(tx, stripe.as_ref(), gate).await?;
        work(tx).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paid_trialing_and_free_are_in_good_standing() {
        let now = OffsetDateTime::now_utc();
        for status in [None, Some("active"), Some("trialing"), Some("canceled")] {
            assert_eq!(standing(status, Some(now - Duration::days(90)), now), (Standing::Good, None));
        }
        assert_eq!(plan_of(Some("trialing")), Plan::Pro);
        assert_eq!(plan_of(Some("canceled")), Plan::Free);
        assert_eq!(plan_of(Some("incomplete")), Plan::Free);
    }

    #[test]
    fn a_failed_payment_gives_grace_then_logging_only_then_read_only() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| standing(Some("past_due"), Some(now - Duration::days(days)), now);
        assert_eq!(at(0).0, Standing::Grace);
        assert_eq!(at(6), (Standing::Grace, Some(now + Duration::days(1))));
        assert_eq!(at(8), (Standing::Limited, Some(now + Duration::days(13))));
        assert_eq!(at(21), (Standing::ReadOnly, None));
        assert_eq!(plan_of(Some("unpaid")), Plan::Pro, "limits do not drop while the debt is open");
    }
}
