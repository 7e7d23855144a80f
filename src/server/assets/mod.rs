//! Facilities and equipment inside one organization. Every function takes a
//! [`TenantTx`](crate::server::auth::TenantTx), checks the role, and filters by organization.

pub mod compliance;
pub mod dashboard;
pub mod equipment;
pub mod facilities;
pub mod logs;
pub mod protocols;
pub mod reviews;
pub mod schedules;
pub mod signatures;
pub mod stickers;
