//! What server functions about accounts, organizations and teams exchange with the browser.

use serde::{Deserialize, Serialize};

use super::ids::{InvitationId, OrgId, UserId};
use super::role::Role;

/// Who is signed in, and in which organization they are working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
    pub platform_operator: bool,
    /// The organization the session works in; `None` when the user belongs to none.
    pub current: Option<OrgMembership>,
    pub memberships: Vec<OrgMembership>,
    /// Seconds without activity before the server signs this session out, where the
    /// organization's idle rule applies to it (its role, or a shared device).
    pub idle_limit_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMembership {
    pub org_id: OrgId,
    pub org_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    /// An inspector's access ends then (UTC, "2026-12-01 17:00").
    pub access_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    /// An account with the invited email exists: the invitee signs in instead of registering.
    pub account_exists: bool,
    /// The name the inviter gave (inspectors), to start the new account with.
    pub name: Option<String>,
}

/// Platform console: one organization with its people and usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOverview {
    pub org_id: OrgId,
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    pub members: Vec<Member>,
    pub pending_invitations: i64,
}

/// Platform console: everything at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformConsole {
    pub organizations: Vec<OrgOverview>,
    /// Background jobs that gave up, newest first: each needs a person to look at it.
    pub dead_jobs: Vec<DeadJob>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadJob {
    pub kind: String,
    pub attempts: i32,
    pub last_error: String,
    /// RFC 3339.
    pub failed_at: String,
}

/// Per-organization settings of the compliance core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    /// 21 CFR Part 11 §11.200: the password (or, after the first signing in a session, the
    /// signer's PIN) at every signing. On unless turned off with a reason.
    pub strict_signatures: bool,
    /// Why strict signatures are off (given when they were turned off).
    pub strict_off_reason: Option<String>,
    /// Someone scanning a sticker without signing in sees "last cleaned" and "due", no names.
    pub public_status: bool,
    /// Years records are kept; nothing is removed before (default 6).
    pub retention_years: i32,
    /// A cleaning recorded more than this many minutes after it was performed is a late entry.
    pub late_entry_minutes: i32,
    /// A required verification waiting longer than this many days is overdue.
    pub review_days: i32,
}

/// What a person's signatures carry: their legal name, and whether they have a signing PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningProfile {
    /// Printed under every signature, as it was when signing; changed only with a reason.
    pub legal_name: String,
    pub has_pin: bool,
    /// Too many wrong PINs: signing with the password unlocks it.
    pub pin_locked: bool,
}
