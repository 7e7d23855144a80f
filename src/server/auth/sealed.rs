//! Secrets we must be able to read back (TOTP seeds, single sign-on client secrets), sealed with
//! AES-256-GCM under the field encryption key (`FIELD_ENCRYPTION_KEY`). A copy of the database
//! alone does not reveal them; the key lives only in the environment.
//!
//! A sealed value is the 12-byte random nonce followed by the ciphertext and its tag. The
//! purpose is bound in as associated data, so a sealed TOTP seed cannot be passed off as a
//! client secret (or the reverse).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom as _, SystemRandom};
use sha2::{Digest as _, Sha256};

use crate::server::secret::Secret;

/// What a sealed value is for; part of what is authenticated.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    TotpSeed,
    SsoClientSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::TotpSeed => b"totp-seed",
            Purpose::SsoClientSecret => b"sso-client-secret",
        }
    }
}

pub struct FieldKey {
    key: LessSafeKey,
    /// Set from `FIELD_ENCRYPTION_KEY` rather than derived (`check --deploy` flags the latter).
    pub from_environment: bool,
}

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldKey").field("from_environment", &self.from_environment).finish_non_exhaustive()
    }
}

impl FieldKey {
    /// `FIELD_ENCRYPTION_KEY`: 32 bytes in base64 (`cleantrack generate-audit-key` makes such a value).
    pub fn from_setting(value: &str) -> Result<FieldKey, String> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
        let value = value.trim();
        let bytes = [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(value).ok())
            .filter(|bytes| bytes.len() == 32)
            .ok_or(
                "FIELD_ENCRYPTION_KEY must be 32 bytes in base64 (create one with `cleantrack generate-audit-key`)",
            )?;
        Ok(FieldKey::new(&bytes, true))
    }

    /// Without `FIELD_ENCRYPTION_KEY`: a key derived from SECRET_KEY, so that sign-in security
    /// works out of the box; changing SECRET_KEY then makes the sealed values unreadable, which
    /// is why `check --deploy` asks for a key of its own.
    pub fn derived_from(secret: &Secret) -> FieldKey {
        let bytes =
            Sha256::new().chain_update(b"cleantrack-field-encryption-key\n").chain_update(secret.expose()).finalize();
        FieldKey::new(&bytes, false)
    }

    fn new(bytes: &[u8], from_environment: bool) -> FieldKey {
        let key = UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes make an AES-256 key");
        FieldKey { key: LessSafeKey::new(key), from_environment }
    }

    pub fn seal(&self, purpose: Purpose, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(purpose.label()), &mut sealed)
            .expect("AES-GCM seals any input this small");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// `None` when the value was sealed under another key or purpose, or altered.
    pub fn open(&self, purpose: Purpose, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(purpose.label()), &mut body).ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_purpose() {
        let key = FieldKey::from_setting(&URL_SAFE_NO_PAD.encode([9u8; 32])).unwrap();
        let sealed = key.seal(Purpose::TotpSeed, b"twenty bytes of seed");
        assert!(!sealed.windows(5).any(|w| w == b"bytes"), "the seed is not in the clear");
        assert_eq!(key.open(Purpose::TotpSeed, &sealed).unwrap(), b"twenty bytes of seed");
        assert!(key.open(Purpose::SsoClientSecret, &sealed).is_none());
        let other = FieldKey::derived_from(&Secret::new("another secret".into()));
        assert!(other.open(Purpose::TotpSeed, &sealed).is_none());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(key.open(Purpose::TotpSeed, &altered).is_none());
        assert!(key.open(Purpose::TotpSeed, b"short").is_none());
        assert_ne!(key.seal(Purpose::TotpSeed, b"x"), key.seal(Purpose::TotpSeed, b"x"), "a fresh nonce each time");
    }

    #[test]
    fn the_setting_must_be_32_bytes() {
        assert!(FieldKey::from_setting("short").is_err());
        assert!(FieldKey::from_setting(&URL_SAFE_NO_PAD.encode([1u8; 31])).is_err());
        assert!(FieldKey::from_setting(&URL_SAFE_NO_PAD.encode([1u8; 32])).unwrap().from_environment);
    }
}
