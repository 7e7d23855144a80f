//! One module per screen, with the server functions it calls.

pub mod account;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod dashboard;
pub mod equipment;
pub mod facilities;
pub mod home;
pub mod labels;
pub mod landing;
pub mod log_history;
pub mod logs;
pub mod not_found;
pub mod platform;
pub mod protocols;
pub mod reports;
pub mod reviews;
pub mod scan;
pub mod schedules;
pub mod settings;
pub mod team;
pub mod verify;
