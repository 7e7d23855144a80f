//! Re-authentication at signing, per 21 CFR Part 11 §11.200(a)(1): in a series of signings
//! during one session the first is made with every component (the signed-in identity and the
//! password), each later one with at least one component only the signer can execute (the
//! password again, or the signer's personal signing PIN). Organizations have this on unless an
//! admin turned it off with a reason; each signature stores how it was made (`signed_with`).
//!
//! The session remembers that its user has signed with their password once; a PIN is refused
//! until then. Five wrong PINs in a row lock the PIN until the signer signs with the password.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::server::auth::password;
use crate::server::auth::TenantTx;

/// Session key: the user who has signed with their password in this session.
const SIGNED_IN_SESSION_KEY: &str = "signed_with_password";

/// Wrong PINs in a row that lock the PIN.
pub const PIN_ATTEMPTS: i32 = 5;

/// How a signature was re-authenticated; stored with it and sealed in its content hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedWith {
    Password,
    Pin,
    /// Strict signatures were off: the session's sign-in was the only authentication.
    Session,
}

impl SignedWith {
    pub fn as_str(self) -> &'static str {
        match self {
            SignedWith::Password => "password",
            SignedWith::Pin => "pin",
            SignedWith::Session => "session",
        }
    }
}

/// What the signer gave with a signing, and what their session has done before it.
pub struct Signer {
    secret: String,
    session_has_signed: bool,
    password_checked: AtomicBool,
    pin_failed: AtomicBool,
}

impl Signer {
    pub fn new(secret: Option<String>, session_has_signed: bool) -> Signer {
        Signer {
            secret: secret.unwrap_or_default(),
            session_has_signed,
            password_checked: AtomicBool::new(false),
            pin_failed: AtomicBool::new(false),
        }
    }

    /// Checks the signer's credential when the organization requires it, in the signing's
    /// transaction, and says how the signature is made. The caller stores the answer with it.
    pub async fn authenticate(&self, tx: &mut TenantTx) -> Result<SignedWith, AppError> {
        let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
        let (strict, password_hash, pin_hash, pin_failures): (bool, String, Option<String>, i32) = sqlx::query!("SELECT o.strict_signatures AS \"strict_signatures!: bool\", u.password_hash AS \"password_hash!: String\", u.signing_pin_hash AS \"signing_pin_hash?: String\", u.pin_failures AS \"pin_failures!: i32\" \
             FROM organizations o, users u WHERE o.id = $1 AND u.id = $2", org as _, user as _).map(|r| (r.strict_signatures, r.password_hash, r.signing_pin_hash, r.pin_failures))
        .fetch_one(tx.conn())
        .await?;
        if !strict {
            return Ok(SignedWith::Session);
        }
        let secret = self.secret.as_str();
        if secret.is_empty() {
            return Err(AppError::Invalid(
                "Enter your password or signing PIN to sign: your organization requires it.".into(),
            ));
        }
        let has_pin = pin_hash.is_some();
        let usable_pin = pin_hash.filter(|_| is_pin_shaped(secret) && pin_failures < PIN_ATTEMPTS);
        if let Some(pin_hash) = usable_pin {
            if password::verify(secret.to_owned(), Some(pin_hash)).await? {
                if !self.session_has_signed {
                    return Err(AppError::Invalid(
                        "Your first signature after signing in needs your password; your PIN works for the ones after it."
                            .into(),
                    ));
                }
                reset_pin_failures(tx, user, pin_failures).await?;
                return Ok(SignedWith::Pin);
            }
        }
        if password::verify(secret.to_owned(), Some(password_hash)).await? {
            reset_pin_failures(tx, user, pin_failures).await?;
            self.password_checked.store(true, Ordering::Relaxed);
            return Ok(SignedWith::Password);
        }
        if is_pin_shaped(secret) && has_pin {
            self.pin_failed.store(true, Ordering::Relaxed);
            let left = PIN_ATTEMPTS - pin_failures - 1;
            return Err(AppError::Invalid(if left > 0 {
                format!("That PIN is not correct; nothing was signed. {left} tries left before it locks.")
            } else {
                "That PIN is not correct, and it is now locked: sign with your password, which unlocks it.".to_owned()
            }));
        }
        Err(AppError::Invalid("That password is not correct; nothing was signed.".into()))
    }
}

/// A PIN is 6 to 12 digits (a password may look like one too: both are tried).
fn is_pin_shaped(secret: &str) -> bool {
    (6..=12).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_digit())
}

/// The PIN rule for a new PIN, as a message to show.
pub fn check_new_pin(pin: &str) -> Result<(), String> {
    if !is_pin_shaped(pin) {
        return Err("A signing PIN is 6 to 12 digits.".into());
    }
    let digits = pin.as_bytes();
    let same = digits.iter().all(|&d| d == digits[0]);
    let run = digits.windows(2).all(|w| w[1] == w[0] + 1) || digits.windows(2).all(|w| w[1] + 1 == w[0]);
    if same || run {
        return Err("Choose a PIN that is not one digit repeated or a run like 123456.".into());
    }
    Ok(())
}

async fn reset_pin_failures(tx: &mut TenantTx, user: UserId, failures: i32) -> Result<(), AppError> {
    if failures > 0 {
        sqlx::query!("UPDATE users SET pin_failures = 0 WHERE id = $1", user as _).execute(tx.conn()).await?;
    }
    Ok(())
}

/// Runs a signing server function: `work` gets a [`Signer`] for the `secret` the form sent; after
/// it, the session remembers a password signing, and a wrong PIN is counted (in its own
/// transaction, as the signing's rolled back).
pub async fn signing<T>(
    secret: Option<String>,
    work: impl AsyncFnOnce(&mut TenantTx, &Signer) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use crate::server::auth::request::{auth_session, state};
    use crate::server::billing::account::in_tenant_gated;
    use crate::server::billing::account::Gate;
    let pool = state().pool;
    let auth = auth_session().await?;
    let user = auth.user.as_ref().ok_or(AppError::Unauthenticated)?.id;
    let signed: Option<UserId> = auth.session.get(SIGNED_IN_SESSION_KEY).await.ok().flatten();
    let signer = Signer::new(secret, signed == Some(user));
    let result = in_tenant_gated(Gate::Logging, async |tx| work(tx, &signer).await).await;
    if result.is_ok() && signer.password_checked.load(Ordering::Relaxed) {
        let _ = auth.session.insert(SIGNED_IN_SESSION_KEY, user).await;
    }
    if signer.pin_failed.load(Ordering::Relaxed) {
        sqlx::query!("UPDATE users SET pin_failures = pin_failures + 1 WHERE id = $1", user as _)
            .execute(&pool)
            .await
            .map_err(AppError::from)?;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_to_twelve_digits_and_not_trivial() {
        assert!(check_new_pin("482916").is_ok());
        assert!(check_new_pin("48291").is_err());
        assert!(check_new_pin("4829164829164").is_err());
        assert!(check_new_pin("48a916").is_err());
        assert!(check_new_pin("111111").is_err());
        assert!(check_new_pin("123456").is_err());
        assert!(check_new_pin("987654").is_err());
    }
}
