//! Organization administration inside one tenant: the team, its invitations, the settings. Every function
//! takes a [`TenantTx`](crate::server::auth::TenantTx) and filters by its organization.

pub mod invitations;
pub mod settings;
pub mod sign_in_rules;
pub mod signing_profile;
pub mod team;
