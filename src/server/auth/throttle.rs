//! Brute-force limits, counted in Postgres so they hold across every app instance.
//!
//! Sign-in: after 5 failures for one account since its last success (within 15 minutes) the
//! account waits 1 minute, doubling with each further failure up to an hour; one address gets
//! at most 50 failures per 15 minutes across all accounts. Registration and password reset:
//! 10 per address per hour; reset emails: 3 per account per hour (beyond that the answer is the
//! same, but nothing is sent). Problems reported from stickers: 10 per address per hour (and 3
//! per address and sticker, counted with the reports themselves).

use std::net::IpAddr;

use sqlx::PgPool;

use crate::model::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Register,
    Reset,
    /// A problem reported from a sticker without an account.
    ProblemReport,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Register => "register",
            Kind::Reset => "reset",
            Kind::ProblemReport => "problem_report",
        }
    }
}

const ACCOUNT_FREE_FAILURES: i64 = 5;
const ACCOUNT_MAX_WAIT_MINUTES: i64 = 60;
const IP_LOGIN_FAILURES_PER_15_MIN: i64 = 50;
pub const RESET_EMAILS_PER_ACCOUNT_PER_HOUR: i64 = 3;

pub async fn record(
    pool: &PgPool,
    kind: Kind,
    email: Option<&str>,
    ip: IpAddr,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO auth_attempts (kind, email, ip, succeeded) VALUES ($1, $2, $3, $4)",
        kind.as_str(),
        email,
        ip as _,
        succeeded
    )
    .execute(pool)
    .await
    .map(drop)
}

/// Refuses a sign-in attempt while the account or the address is locked out.
pub async fn check_login(pool: &PgPool, email: &str, ip: IpAddr) -> Result<(), AppError> {
    // Failures for this account since its last success, within the window, and how long ago
    // the latest one was.
    let (failures, seconds_since_last): (i64, Option<f64>) = sqlx::query!(
        "SELECT count(*) AS \"failures!: i64\", extract(epoch FROM now() - max(created_at))::float8 AS \"seconds_since_last?: f64\"
         FROM auth_attempts
         WHERE kind = 'login' AND email = $1 AND NOT succeeded
           AND created_at > now() - interval '15 minutes'
           AND created_at > coalesce((SELECT max(created_at) FROM auth_attempts
                                      WHERE kind = 'login' AND email = $1 AND succeeded), '-infinity')",
        email
    )
    .map(|r| (r.failures, r.seconds_since_last))
    .fetch_one(pool)
    .await?;
    if failures >= ACCOUNT_FREE_FAILURES {
        let wait_minutes = 1i64 << (failures - ACCOUNT_FREE_FAILURES).min(6);
        let wait_seconds = wait_minutes.min(ACCOUNT_MAX_WAIT_MINUTES) * 60;
        let remaining = wait_seconds as f64 - seconds_since_last.unwrap_or(0.0);
        if remaining > 0.0 {
            return Err(AppError::RateLimited(format!(
                "Too many failed sign-ins for this account. Try again in {}, or reset your password.",
                wait_text(remaining.ceil() as i64)
            )));
        }
    }
    let from_ip = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM auth_attempts
               WHERE kind = 'login' AND ip = $1 AND NOT succeeded AND created_at > now() - interval '15 minutes'"#,
        ip as _
    )
    .fetch_one(pool)
    .await?;
    if from_ip >= IP_LOGIN_FAILURES_PER_15_MIN {
        return Err(AppError::RateLimited(
            "Too many failed sign-ins from your network. Try again in 15 minutes.".into(),
        ));
    }
    Ok(())
}

/// The time left, as a person reads it: seconds under two minutes, then whole minutes (rounded up).
fn wait_text(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds < 120 {
        plural(seconds.max(1), "second")
    } else {
        plural((seconds + 59) / 60, "minute")
    }
}

/// Refuses registration or reset requests from an address that has made `per_hour` already.
pub async fn check_requests(pool: &PgPool, kind: Kind, ip: IpAddr, per_hour: i64) -> Result<(), AppError> {
    let recent = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM auth_attempts WHERE kind = $1 AND ip = $2 AND created_at > now() - interval '1 hour'"#,
        kind.as_str(),
        ip as _
    )
    .fetch_one(pool)
    .await?;
    if recent >= per_hour {
        return Err(AppError::RateLimited("Too many requests from your network. Try again in an hour.".into()));
    }
    Ok(())
}

pub async fn reset_emails_last_hour(pool: &PgPool, email: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"v!\" FROM auth_attempts WHERE kind = 'reset' AND email = $1 AND succeeded \
         AND created_at > now() - interval '1 hour'",
        email
    )
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_wait_is_stated_as_it_is() {
        assert_eq!(super::wait_text(1), "1 second");
        assert_eq!(super::wait_text(42), "42 seconds");
        assert_eq!(super::wait_text(119), "119 seconds");
        assert_eq!(super::wait_text(121), "3 minutes");
        assert_eq!(super::wait_text(3600), "60 minutes");
    }
}
