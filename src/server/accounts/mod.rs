//! Organization administration inside one tenant: the team and its invitations. Every function
//! takes a [`TenantTx`](crate::server::auth::TenantTx) and filters by its organization.

pub mod invitations;
pub mod team;
