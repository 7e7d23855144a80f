//! Integration tests: the real application on a random port, a real Postgres database per test
//! (created by `#[sqlx::test]` as the application role, which row-level security binds).

mod helpers;
mod resend_stub;
mod stripe_standin;
mod tls_proxy;
mod world;

mod accounts;
mod alerts;
mod audit;
mod auth;
mod backups;
mod bad_input;
mod billing;
mod cli;
mod compliance;
mod corrective_actions;
mod cross_tenant;
mod dashboard;
mod database;
mod deploy_files;
mod equipment;
mod facilities;
mod filters;
mod health;
mod http_hardening;
mod injection;
mod jobs;
mod logs;
mod monitoring;
mod monitoring_rounds;
mod photos;
mod protocols;
mod reports;
mod routes;
mod schedules;
mod smoke;
