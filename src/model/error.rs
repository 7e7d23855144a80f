//! The one error type server functions return. Users see its message; internals never leave
//! the server (they are logged there, and the browser gets "Something went wrong").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Not signed in (or the session ended).
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or belonging to another organization: the two are indistinguishable on purpose.
    #[error("Not found.")]
    NotFound,
    /// Bad input, with a message for the person who typed it.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with the current state (already a member, last owner, …).
    #[error("{0}")]
    Conflict(String),
    /// An upload over the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; try again later.
    #[error("{0}")]
    RateLimited(String),
    /// Beyond what the organization's plan or billing standing allows; the page offers a link
    /// to the billing page.
    #[error("{0}")]
    PlanLimit(String),
    /// A failure of ours; details are in the server log under the request id.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The database could not be reached (restarting, failing over, every connection busy):
    /// nothing was changed, and the same request can be sent again shortly.
    #[error("CleanTrack is briefly unavailable. Nothing was saved; please try again in a moment.")]
    Unavailable,
    /// The call never reached our code (network, encoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn forbidden() -> AppError {
        AppError::Forbidden("Your role does not allow this.".into())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::PlanLimit(_) => 402,
            AppError::RateLimited(_) => 429,
            AppError::Unavailable => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Malformed arguments are the caller's mistake, not ours.
            E::Args(msg) | E::MissingArg(msg) => AppError::Invalid(format!("The form was incomplete ({msg}).")),
            E::Request(msg) => AppError::Transport(msg),
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// Database and other internal failures: logged here with their cause chain, shown as `Internal`.
/// Unix seconds of the last time a query found the database unreachable. For a while after, the
/// pool checks each connection before lending it (`server::db::pool`): the others it holds idle
/// probably died with the database, and a request should not be the one to find out.
#[cfg(feature = "ssr")]
pub static DATABASE_LAST_UNREACHABLE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if database_unreachable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            DATABASE_LAST_UNREACHABLE
                .store(time::OffsetDateTime::now_utc().unix_timestamp(), std::sync::atomic::Ordering::Relaxed);
            return AppError::Unavailable;
        }
        match &err {
            // Which constraint or table, as well as the message, so the log says what failed.
            sqlx::Error::Database(db) => {
                tracing::error!(error = %db, code = ?db.code(), constraint = ?db.constraint(), table = ?db.table(), "database error")
            }
            other => tracing::error!(error = %with_causes(other), "database error"),
        }
        AppError::Internal
    }
}

/// A refusal by the database that is the person's mistake rather than ours.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// A unique or check constraint, by name ("another facility already has this name").
    Constraint(&'a str),
    /// A trigger's guard (`RAISE … USING ERRCODE = 'check_violation'`), which names no constraint.
    TriggerCheck,
}

/// The one way a database refusal becomes a 4xx: `err` is `mistake` when it is `refusal`, and
/// any other database error otherwise (logged, `Internal`).
#[cfg(feature = "ssr")]
pub fn refused_as(err: sqlx::Error, refusal: Refusal<'_>, mistake: AppError) -> AppError {
    let is_refusal = match (&err, refusal) {
        (sqlx::Error::Database(db), Refusal::Constraint(name)) => db.constraint() == Some(name),
        (sqlx::Error::Database(db), Refusal::TriggerCheck) => {
            db.code().as_deref() == Some("23514") && db.constraint().is_none()
        }
        _ => false,
    };
    if is_refusal {
        mistake
    } else {
        err.into()
    }
}

/// `err` followed by each of its causes ("a: b: c"): the logs keep the whole chain.
#[cfg(feature = "ssr")]
pub fn with_causes(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !out.ends_with(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
        source = cause.source();
    }
    out
}

/// Errors that say the database could not be reached or went away mid-request, as opposed to
/// a query that failed: no connection in time, a refused or reset connection, a server
/// shutting down or starting up (SQLSTATE class 08 and 57P01-57P03).
#[cfg(feature = "ssr")]
pub fn database_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

#[cfg(feature = "ssr")]
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        tracing::error!(error = format!("{err:#}"), "internal error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        tracing::error!(error = %with_causes(&err), "i/o error");
        AppError::Internal
    }
}

/// For a write that names one row of the caller's organization: no row touched means the id is
/// absent or another organization's, which the caller sees as "not found".
#[cfg(feature = "ssr")]
pub fn one_row(rows_affected: u64) -> Result<(), AppError> {
    if rows_affected == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// For plain axum routes (QR images, photos, the audit export): the status, and the message
/// as text.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.to_string()).into_response()
    }
}

#[cfg(all(test, feature = "ssr"))]
mod cause_tests {
    use super::with_causes;

    #[test]
    fn the_logged_error_keeps_every_cause_once() {
        let err = anyhow::anyhow!("connection reset by peer").context("reading the photo").context("storing a photo");
        assert_eq!(with_causes(&*err), "storing a photo: reading the photo: connection reset by peer");
        // sqlx repeats its cause's message in its own: said once.
        let io = sqlx::Error::Io(std::io::Error::other("connection reset by peer"));
        assert_eq!(with_causes(&io), "error communicating with database: connection reset by peer");
    }
}
