//! What the sign-in security pages exchange with the browser: a person's second factors and
//! sessions, and the organization's sign-in rules.

use serde::{Deserialize, Serialize};

use super::role::Role;

/// One signed-in browser of the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: uuid::Uuid,
    /// "Chrome on Android", from the browser's user agent.
    pub device: String,
    /// The address it signed in from.
    pub place: String,
    /// How it signed in: "Password and authenticator code", "Passkey", …
    pub method: String,
    pub shared_device: bool,
    /// In [`SessionsPage::time_zone`].
    pub signed_in: String,
    pub last_seen: String,
    /// The browser asking.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsPage {
    pub time_zone: String,
    pub sessions: Vec<SessionRow>,
}

/// The person's second factors, for their security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactors {
    /// An authenticator app is set up and confirmed.
    pub totp: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
    /// Their current organization requires a second factor of their role.
    pub required: bool,
}

/// The start of setting up an authenticator app: the QR code to scan, or the key to type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The QR code of the `otpauth://` link: an SVG image as a `data:` URL (shown with `<img>`;
    /// the app writes no raw HTML into its pages).
    pub qr_image: String,
    /// The key in groups of four, for apps that cannot scan.
    pub key: String,
}

/// The longest name a passkey may have.
pub const PASSKEY_NAME_MAX: usize = 60;

/// One of the person's passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRow {
    pub id: uuid::Uuid,
    pub name: String,
    /// Day added and last used (UTC).
    pub added: String,
    pub last_used: Option<String>,
}

/// Everything the security page shows about the caller's second factors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPage {
    pub factors: SecondFactors,
    pub passkeys: Vec<PasskeyRow>,
    /// The QR code to scan, while no authenticator app is set up.
    pub enrolment: Option<TotpEnrolment>,
    /// Recovery codes made by the last action, shown this once.
    pub fresh_codes: Vec<String>,
}

/// The organization's sign-in rules (owners set them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRules {
    /// Roles that must use a second factor; empty when it is not required.
    pub require_2fa_roles: Vec<Role>,
    /// Minutes without activity after which a session ends, for [`Self::idle_roles`] and for
    /// everyone signed in on a shared device.
    pub idle_minutes: i32,
    pub idle_roles: Vec<Role>,
}

impl SignInRules {
    /// Roles offered when two-factor is turned on: the ones that manage people and settings.
    pub const DEFAULT_2FA_ROLES: [Role; 2] = [Role::Owner, Role::Admin];
}

/// Where a correct password leads: signed in, or on to the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginStep {
    SignedIn,
    /// The person's second factors: a code from an authenticator app, a passkey, or both.
    SecondFactor {
        totp: bool,
        passkey: bool,
    },
}

/// The organization's single sign-on provider (OpenID Connect), without its secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub configured: bool,
    pub issuer: String,
    pub client_id: String,
    pub domains: Vec<String>,
    /// The role a person new to the organization gets; `None`: invited people only.
    pub jit_role: Option<Role>,
    pub enforced: bool,
    /// What to register at the provider as the redirect URI.
    pub redirect_uri: String,
}
