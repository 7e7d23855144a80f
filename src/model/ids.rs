//! Typed ids, so an organization id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            #[cfg(feature = "ssr")]
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        #[cfg(feature = "ssr")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )+};
}

id_type!(
    /// An organization: the tenant.
    OrgId,
    /// A person with an account; may belong to several organizations.
    UserId,
    InvitationId,
    /// A site: a clinic, a lab, a plant.
    FacilityId,
    /// One piece of equipment, the thing a QR sticker is on.
    EquipmentId,
    /// A cleaning protocol (all its versions).
    ProtocolId,
    /// One signed cleaning record.
    LogId,
    /// An uploaded photo (attached to a log once the log is signed).
    PhotoId,
    /// A report or binder prepared in the background for download.
    ExportId,
    /// A corrective action: the fix a failed cleaning (or a supervisor) opened.
    CorrectiveActionId,
    /// A problem reported from a sticker by someone without an account.
    ProblemReportId,
    /// A Level II monitoring round: an evaluator's check of a sample of surfaces.
    MonitoringRoundId,
);
