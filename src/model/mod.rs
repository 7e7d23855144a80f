//! Types shared by the server and the browser: ids, roles and permissions, validated inputs,
//! the error type server functions return, and the data they exchange.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod billing;
pub mod compliance;
pub mod corrective_actions;
pub mod dashboard;
pub mod email;
pub mod equipment;
pub mod error;
pub mod facilities;
pub mod ids;
pub mod logs;
pub mod monitoring;
pub mod password;
pub mod protocols;
pub mod redirect;
pub mod reports;
pub mod role;
pub mod schedules;
pub mod security;
pub mod text;
