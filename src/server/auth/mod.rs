//! Authentication and the tenant context: who is asking, and in which organization.
//!
//! axum-login keeps the signed-in user in a Postgres-backed session (tower-sessions); this module
//! turns that into a [`scope::TenantCtx`] for server functions, and owns the flows that may
//! create one (registration, accepting an invitation).

pub mod backend;
pub mod cache;
pub mod flows;
pub mod passkeys;
pub mod password;
pub mod request;
pub mod scope;
pub mod sealed;
pub mod sessions;
pub mod sso;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod two_factor;
pub mod user;

pub use backend::{AuthSession, Backend};
pub use scope::{TenantCtx, TenantTx};
pub use user::User;
