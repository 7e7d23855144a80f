//! Integration tests: the real application on a random port, a real Postgres database per test
//! (created by `#[sqlx::test]` as the application role, which row-level security binds).

mod helpers;
mod resend_stub;
mod stripe_standin;
mod tls_proxy;
mod world;

mod accounts;
mod assets;
mod audit;
mod backups;
mod bad_input;
mod billing;
mod cli;
mod compliance;
mod cross_tenant;
mod dashboard;
mod database;
mod deploy_files;
mod email_jobs;
mod filters;
mod health;
mod http_hardening;
mod injection;
mod inspectors;
mod invitations;
mod issued_files;
mod late_entries;
mod logs;
mod monitoring;
mod offline;
mod org_settings;
mod photos;
mod protocols;
mod reports;
mod reviews;
mod roles;
mod routes;
mod schedule_rules;
mod schedules;
mod sessions;
mod signatures;
mod smoke;
mod stickers;
