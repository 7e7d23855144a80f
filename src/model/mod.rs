//! Types shared by the server and the browser: ids, roles and permissions, validated inputs,
//! the error type server functions return, and the data they exchange.

pub mod account;
pub mod assets;
pub mod audit;
pub mod billing;
pub mod compliance;
pub mod email;
pub mod error;
pub mod ids;
pub mod password;
pub mod redirect;
pub mod reports;
pub mod role;
pub mod text;
