//! Secrets: a wrapper that never prints its value, the strength rule, and the generator.

use std::fmt;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore as _;

/// A string that must not reach logs: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The value itself, for the few places that must use it (hashing, connecting).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Minimum length. Django asks for 50 characters; 40 admits the 256-bit base64 values (44
/// characters) that hosting platforms such as Render generate, which carry more entropy than
/// Django's 50 characters drawn from a 50-letter alphabet.
const MIN_LENGTH: usize = 40;
/// Minimum number of distinct characters, also Django's rule: rejects `aaaa…` and `abab…`.
const MIN_UNIQUE: usize = 5;

/// Values copied from examples and templates (the seed checklist among them) that look random
/// enough to pass the length rule, or are simply too common to be secret.
const KNOWN_PLACEHOLDERS: &[&str] = &[
    "changeme",
    "secret",
    "secret_key",
    "your-secret-key",
    "<generate-new-strong-key>",
    "<generate-with-get_random_secret_key>",
    "django-insecure-",
];

/// Why a key is too weak to sign production sessions and tokens, or `None` if it is fine.
pub fn weakness(key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    if KNOWN_PLACEHOLDERS.iter().any(|p| lower == *p || (p.ends_with('-') && lower.starts_with(p))) {
        return Some("it is a well-known placeholder value".into());
    }
    let length = key.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("it has {length} characters, at least {MIN_LENGTH} are needed"));
    }
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_UNIQUE {
        return Some(format!("it uses only {} distinct characters", distinct.len()));
    }
    None
}

/// A new key: 48 bytes from the OS generator, URL-safe base64 (64 characters), so it can be
/// pasted into any dashboard or `.env` file without quoting.
pub fn generate() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_strong_and_distinct() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(weakness(&a), None);
    }

    #[test]
    fn short_repetitive_and_placeholder_keys_are_weak() {
        assert!(weakness("short").unwrap().contains("at least 40"));
        assert!(weakness(&"ab".repeat(40)).unwrap().contains("distinct"));
        assert!(weakness("<generate-new-strong-key>").unwrap().contains("placeholder"));
        let django = format!("django-insecure-{}", generate());
        assert!(weakness(&django).unwrap().contains("placeholder"));
    }

    #[test]
    fn debug_output_hides_the_value() {
        assert!(!format!("{:?}", Secret::new("hunter2".into())).contains("hunter2"));
    }
}
