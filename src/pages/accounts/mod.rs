//! Inside an organization: one's own account, the team and its invitations, the settings.

pub mod account;
pub mod security;
pub mod settings;
pub mod team;
