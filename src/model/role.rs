//! Roles and the permission matrix: which role may do what inside its organization.
//!
//! The matrix lives here, shared by server and browser, so the UI offers only what the server
//! will allow; the server checks it again in every server function.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(type_name = "member_role", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Supervisor,
    Staff,
    Auditor,
    /// A time-limited, read-only guest limited to chosen facilities (see `TenantCtx`).
    Inspector,
}

/// Everything a member can attempt inside an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See who belongs to the organization and their roles.
    ViewTeam,
    /// Invite people, list and revoke invitations.
    InviteMembers,
    /// Change another member's role or remove them (never beyond one's own rank).
    ManageMembers,
    /// Grant or take the owner role, or remove an owner.
    ManageOwners,
    /// Read and export the audit trail, and verify its chain.
    ViewAudit,
    /// See facilities and equipment.
    ViewAssets,
    /// Create, change and retire facilities and equipment; set schedules.
    ManageAssets,
    /// Change the organization's settings (strict signatures, the public sticker panel).
    ManageSettings,
    /// Set the organization's sign-in rules (required two-factor, idle sign-out, single
    /// sign-on) and end a member's sessions.
    ManageSignIn,
    /// Record (sign) a cleaning, and amend one's records.
    LogCleaning,
    /// Add the second signature to someone else's cleaning log.
    VerifyLogs,
    /// Download cleaning logs (CSV) and inspection reports (PDF) of the facilities one sees.
    ExportReports,
    /// Download the inspection binder, which carries the organization's whole audit trail:
    /// those who read the trail, and inspectors whose access covers every facility.
    ExportBinder,
    /// See the plan, the subscription's state, usage and payments.
    ViewBilling,
    /// Start a subscription (Stripe Checkout) and manage it (Stripe's customer portal).
    ManageBilling,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Owner, Role::Admin, Role::Supervisor, Role::Staff, Role::Auditor, Role::Inspector];

    /// The roles a member can be given on the team page; inspectors are invited as guests.
    pub const MEMBER: [Role; 5] = [Role::Owner, Role::Admin, Role::Supervisor, Role::Staff, Role::Auditor];

    /// The permission matrix. A test checks that README's "Permissions" table says the same.
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            ViewTeam => matches!(self, Owner | Admin | Supervisor | Auditor),
            InviteMembers | ManageMembers => matches!(self, Owner | Admin),
            ManageOwners | ManageSignIn => self == Owner,
            ViewAudit => matches!(self, Owner | Admin | Auditor),
            ViewAssets => true,
            ManageAssets | ManageSettings => matches!(self, Owner | Admin),
            LogCleaning => matches!(self, Owner | Admin | Supervisor | Staff),
            VerifyLogs => matches!(self, Owner | Admin | Supervisor),
            ExportReports => matches!(self, Owner | Admin | Supervisor | Auditor | Inspector),
            ExportBinder => matches!(self, Owner | Admin | Auditor | Inspector),
            ViewBilling => matches!(self, Owner | Admin),
            ManageBilling => self == Owner,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::Inspector => "inspector",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Supervisor => "Supervisor",
            Role::Staff => "Staff",
            Role::Auditor => "Auditor (read-only)",
            Role::Inspector => "Inspector (guest)",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_manage_people_and_only_owners_manage_owners() {
        for role in Role::ALL {
            assert_eq!(role.can(Action::InviteMembers), matches!(role, Role::Owner | Role::Admin));
            assert_eq!(role.can(Action::ManageOwners), role == Role::Owner);
        }
        assert!(!Role::Staff.can(Action::ViewTeam));
        assert!(Role::Auditor.can(Action::ViewTeam));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
