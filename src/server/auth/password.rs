//! Password hashing (argon2id with OWASP's parameters) and the rule for new passwords.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::model::password::length_problem;

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

/// Each hash or check takes 19 MiB and tens of milliseconds of CPU on purpose. At most two run
/// at once (more would not finish sooner on this many cores); the rest queue. Without the bound,
/// a burst of sign-ins would take 19 MiB each at the same time: a cheap way to exhaust memory.
static ARGON2_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Hashing runs off the async executor, in one of the slots above.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _slot = ARGON2_SLOTS.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

/// Whether `password` matches `stored`. With no stored hash (unknown email) a dummy hash is
/// checked anyway, so the answer takes as long whether or not the account exists: the
/// verification always runs, and only then is an unknown account refused.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _slot = ARGON2_SLOTS.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let matches = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(known && matches)
    })
    .await?
}

/// Password verifications run by this process: a test shows an unknown email costs one, as a
/// wrong password does (equal work, rather than a timing assertion).
pub static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A hash of a random password with the same parameters, for the timing-equalising check above.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2hO0Z8wB2yZ2mUUP5lSzm7hQ5GiPzx0jKgqD7zOkQ1U";

/// NIST SP 800-63B: long enough, and not a common or easily guessed password (dictionary words,
/// keyboard runs, repeats, years, or the person's own name, email or organization). No
/// composition rules. Returns the message to show.
pub fn check_new(password: &str, personal: &[&str]) -> Result<(), String> {
    if let Some(problem) = length_problem(password) {
        return Err(problem);
    }
    let estimate = zxcvbn::zxcvbn(password, personal);
    if (estimate.score() as u8) < 3 {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(format!("This password is too common or too easy to guess{hint}. Try a few unrelated words."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_long_passwords_are_refused() {
        for common in ["password1234", "qwertyuiop123", "123456789012", "aaaaaaaaaaaa", "iloveyou2024!"] {
            assert!(check_new(common, &[]).is_err(), "{common} accepted");
        }
    }

    #[test]
    fn passwords_made_of_the_persons_own_details_are_refused() {
        assert!(check_new("ana.silva@clinic.example", &["ana.silva@clinic.example", "Ana Silva"]).is_err());
    }

    #[test]
    fn passphrases_are_accepted_without_composition_rules() {
        assert!(check_new("violet kettle harbour drum", &[]).is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let stored = hash("violet kettle harbour drum".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("violet kettle harbour drum".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("violet kettle harbour dram".into(), Some(stored)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
