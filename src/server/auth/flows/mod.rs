//! The account flows that create sessions or tenant contexts. Each takes what it needs
//! explicitly (state, session, caller's address) so it can be called from a server function or
//! a test alike.

pub mod invitation;
pub mod platform;
pub mod recovery;
pub mod registration;
pub mod security;
pub mod signin;

use crate::server::audit::record::SecurityEvent;

/// Records a security event that belongs to no organization (sign-in attempts and the like), in
/// its own transaction on the platform chain.
pub async fn record_platform(pool: &sqlx::PgPool, event: SecurityEvent<'_>) -> Result<(), sqlx::Error> {
    debug_assert!(event.org.is_none());
    let mut tx = crate::server::auth::scope::begin_anonymous(pool).await?;
    crate::server::audit::record::record(&mut tx, event).await?;
    tx.commit().await
}

/// A person's own security event (a second factor added, a session ended…): their account's,
/// on the platform chain.
pub async fn record_own(
    pool: &sqlx::PgPool,
    user: crate::model::ids::UserId,
    action: &str,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let event = SecurityEvent {
        org: None,
        actor: Some(user),
        action,
        entity_type: "users",
        entity_id: Some(user.to_string()),
        details,
    };
    record_platform(pool, event).await
}

/// Single-use, expiring account tokens (email verification, password reset).
pub(crate) mod user_tokens {
    use sqlx::PgConnection;

    use crate::model::ids::UserId;
    use crate::server::auth::tokens;

    pub async fn issue(
        conn: &mut PgConnection,
        user: UserId,
        purpose: &str,
        hours: i32,
    ) -> Result<String, sqlx::Error> {
        let new = tokens::generate();
        sqlx::query!(
            "INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) \
             VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
            &new.hash,
            user as _,
            purpose,
            hours
        )
        .execute(conn)
        .await?;
        Ok(new.token)
    }

    /// Marks the token used and returns its user, or `None` if it is unknown, used or expired.
    pub async fn consume(conn: &mut PgConnection, token: &str, purpose: &str) -> Result<Option<UserId>, sqlx::Error> {
        sqlx::query_scalar!("UPDATE user_tokens SET used_at = now() \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() RETURNING user_id AS \"v: UserId\"", tokens::hash(token), purpose)
        .fetch_optional(conn)
        .await
    }
}
