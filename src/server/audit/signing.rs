//! The audit signing key: Ed25519, held outside the database (`AUDIT_SIGNING_KEY`), so that
//! someone who can rewrite the database, and re-hash the chain after a rewrite, still cannot
//! make signatures that verify. It signs chain checkpoints (`checkpoints`) and every file we
//! issue (`issued`); its public key is served at `/.well-known/cleantrack-audit-key` and
//! printed in every PDF.
//!
//! Signed texts are versioned lines joined by `\n`, so a signature for one kind of statement
//! can never be read as another.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use sha2::{Digest, Sha256};

use crate::server::secret::Secret;

pub struct AuditKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(public {})", self.public_hex())
    }
}

impl AuditKey {
    /// From `AUDIT_SIGNING_KEY`: a 32-byte seed in base64 (URL-safe as `cleantrack
    /// generate-audit-key` prints it, or standard as hosting platforms generate them).
    pub fn from_setting(value: &str) -> Result<AuditKey, String> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
        let value = value.trim();
        let seed = [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(value).ok())
            .filter(|seed| seed.len() == 32)
            .ok_or("AUDIT_SIGNING_KEY must be 32 bytes in base64 (create one with `cleantrack generate-audit-key`)")?;
        Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(|pair| AuditKey { pair })
            .map_err(|_| "AUDIT_SIGNING_KEY is not a usable Ed25519 seed".to_owned())
    }

    /// Outside production, without `AUDIT_SIGNING_KEY`: a key derived from SECRET_KEY, so that
    /// development and test runs sign without setting anything. Production refuses to start
    /// without a key of its own.
    pub fn derived_from(secret: &Secret) -> AuditKey {
        let seed =
            Sha256::new().chain_update(b"cleantrack-audit-signing-key\n").chain_update(secret.expose()).finalize();
        AuditKey { pair: Ed25519KeyPair::from_seed_unchecked(&seed).expect("any 32 bytes are an Ed25519 seed") }
    }

    /// A new seed for `AUDIT_SIGNING_KEY`.
    pub fn generate() -> String {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        URL_SAFE_NO_PAD.encode(seed)
    }

    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    pub fn public_hex(&self) -> String {
        hex(self.public_key())
    }

    /// The first 16 hex digits of the public key's SHA-256: names the key in signed records.
    pub fn key_id(&self) -> String {
        key_id(self.public_key())
    }

    /// The signature of `text`, in hex.
    pub fn sign(&self, text: &str) -> String {
        hex(self.pair.sign(text.as_bytes()).as_ref())
    }

    /// Whether `signature` (hex) is this key's signature of `text`.
    pub fn verifies(&self, text: &str, signature: &str) -> bool {
        let Some(signature) = unhex(signature) else { return false };
        UnparsedPublicKey::new(&ED25519, self.public_key()).verify(text.as_bytes(), &signature).is_ok()
    }
}

pub fn key_id(public_key: &[u8]) -> String {
    hex(&Sha256::digest(public_key))[..16].to_owned()
}

/// The text a chain checkpoint signs: the chain (an organization's id, or `platform`), its
/// last event's number and hash, and when it was signed (UTC, to the microsecond).
pub fn checkpoint_text(chain: &str, seq: i64, hash: &str, signed_at: &str) -> String {
    format!("cleantrack-checkpoint-v1\n{chain}\n{seq}\n{hash}\n{signed_at}")
}

/// The text a file's signature signs: its SHA-256, the issuing organization, what it is and
/// when it was issued.
pub fn file_text(sha256: &str, org: &str, kind: &str, issued_at: &str) -> String {
    format!("cleantrack-file-v1\n{sha256}\n{org}\n{kind}\n{issued_at}")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_for_its_text_only_and_only_with_its_key() {
        let key = AuditKey::from_setting(&AuditKey::generate()).unwrap();
        let text = checkpoint_text("platform", 7, &"ab".repeat(32), "2026-12-02T10:00:00.000000Z");
        let signature = key.sign(&text);
        assert!(key.verifies(&text, &signature));
        assert!(!key.verifies(&text.replace("\n7\n", "\n8\n"), &signature));
        let other = AuditKey::derived_from(&Secret::new("another secret".into()));
        assert!(!other.verifies(&text, &signature));
        assert!(!key.verifies(&text, "zz"));
        assert_eq!(key.key_id().len(), 16);
    }

    #[test]
    fn the_setting_must_be_a_32_byte_seed() {
        assert!(AuditKey::from_setting("short").is_err());
        assert!(AuditKey::from_setting(&URL_SAFE_NO_PAD.encode([7u8; 31])).is_err());
        let seed = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert_eq!(
            AuditKey::from_setting(&seed).unwrap().public_hex(),
            AuditKey::from_setting(&seed).unwrap().public_hex()
        );
    }
}
