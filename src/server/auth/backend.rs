//! axum-login's backend: checks a password at sign-in and finds the user of every request with
//! a session (from the cache when recently read, see `auth::cache`).

use axum_login::{AuthnBackend, UserId as AuthUserId};
use sqlx::PgPool;

use super::cache::AuthCache;
use super::password;
use super::user::{find_by_email, find_by_id, User};

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
