//! The tamper-evident audit trail. Row changes are captured by database triggers (see
//! `migrations/*_audit_trail.sql`), so no code path can forget them; this module records the
//! security events that change no row, reads the trail for the audit page, verifies chains and
//! exports them.

pub mod chain;
pub mod checkpoints;
pub mod export;
pub mod issued;
pub mod record;
pub mod signing;
pub mod trail;
