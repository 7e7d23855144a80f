//! One module per screen, with the server functions it calls.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod corrective_actions;
pub mod dashboard;
pub mod equipment;
pub mod facilities;
pub mod home;
pub mod landing;
pub mod logs;
pub mod monitoring;
pub mod not_found;
pub mod notifications;
pub mod platform;
pub mod protocols;
pub mod reports;
pub mod schedules;
