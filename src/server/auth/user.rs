//! The signed-in person, as axum-login keeps them in the session.

use axum_login::{AuthUser, AuthnBackend, UserId as AuthUserId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::cache::AuthCache;
use super::password;
use crate::model::ids::UserId;

#[derive(Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    password_hash: String,
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

const SELECT_USER: &str =
    "SELECT id, email, display_name, password_hash, email_verified_at IS NOT NULL AS email_verified, \
     is_platform_operator FROM users";

pub async fn find_by_id(db: impl sqlx::PgExecutor<'_>, id: UserId) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_USER} WHERE id = $1")).bind(id).fetch_optional(db).await
}

pub async fn find_by_email(db: impl sqlx::PgExecutor<'_>, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_USER} WHERE email = $1")).bind(email).fetch_optional(db).await
}

#[derive(Clone)]
pub struct Backend {
    pool: PgPool,
    cache: AuthCache,
}

impl Backend {
    pub fn new(pool: PgPool, cache: AuthCache) -> Backend {
        Backend { pool, cache }
    }
}

pub struct Credentials {
    /// Already normalized by `Email::parse`.
    pub email: String,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, BackendError> {
        let user = find_by_email(&self.pool, &creds.email).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        if !password::verify(creds.password, stored).await? {
            return Ok(None);
        }
        // Read afresh for the password check: remembered as it is now.
        if let Some(user) = &user {
            self.cache.remember_user(user);
        }
        Ok(user)
    }

    /// Every request with a session asks for its user: from the cache when read in the last
    /// few seconds (see `auth::cache`).
    async fn get_user(&self, id: &AuthUserId<Self>) -> Result<Option<User>, BackendError> {
        if let Some(user) = self.cache.user(*id) {
            return Ok(Some(user));
        }
        let user = find_by_id(&self.pool, *id).await?;
        if let Some(user) = &user {
            self.cache.remember_user(user);
        }
        Ok(user)
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;
