//! The signed-in person, as axum-login keeps them in the session.

use axum_login::AuthUser;
use serde::{Deserialize, Serialize};

use crate::model::ids::UserId;

#[derive(Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub(super) password_hash: String,
    pub email_verified: bool,
    pub is_platform_operator: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("id", &self.id).field("email", &self.email).finish_non_exhaustive()
    }
}

impl AuthUser for User {
    type Id = UserId;

    fn id(&self) -> UserId {
        self.id
    }

    /// Sessions remember this; when the password changes it no longer matches and every other
    /// session of the user ends at its next request.
    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

pub async fn find_by_id(db: impl sqlx::PgExecutor<'_>, id: UserId) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"SELECT id AS "id: UserId", email, display_name, password_hash,
                  email_verified_at IS NOT NULL AS "email_verified!", is_platform_operator
           FROM users WHERE id = $1"#,
        id as _
    )
    .fetch_optional(db)
    .await
}

pub async fn find_by_email(db: impl sqlx::PgExecutor<'_>, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"SELECT id AS "id: UserId", email, display_name, password_hash,
                  email_verified_at IS NOT NULL AS "email_verified!", is_platform_operator
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(db)
    .await
}
