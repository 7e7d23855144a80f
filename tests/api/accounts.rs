//! Inside an organization: roles, invitations, the settings.

mod invitations;
mod roles;
mod settings;
