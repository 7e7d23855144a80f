//! Time-based one-time passwords (RFC 6238, the codes of Google Authenticator, Microsoft
//! Authenticator, 1Password and the like): HMAC-SHA1 over 30-second steps, six digits, the
//! defaults every app reads from the `otpauth://` link in the enrolment QR code.

use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};

pub const STEP_SECONDS: i64 = 30;
const DIGITS: u32 = 6;
/// A code from the step before or after the server's is accepted too: phones' clocks drift and
/// people type slowly.
const DRIFT_STEPS: i64 = 1;
const SEED_BYTES: usize = 20;

/// A new random seed (160 bits, as RFC 4226 recommends).
pub fn new_seed() -> Vec<u8> {
    let mut seed = vec![0u8; SEED_BYTES];
    SystemRandom::new().fill(&mut seed).expect("the system's random source works");
    seed
}

/// The seed as people type it into an app that cannot scan: base32 (RFC 4648), no padding,
/// in groups of four.
pub fn seed_text(seed: &[u8]) -> String {
    let plain = base32(seed);
    plain.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("base32 is ASCII")).collect::<Vec<_>>().join(" ")
}

/// What the enrolment QR code holds (Key Uri Format, as Google Authenticator defined it).
pub fn otpauth_uri(seed: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        url::form_urlencoded::byte_serialize(label.as_bytes()).collect::<String>().replace('+', "%20"),
        base32(seed),
        url::form_urlencoded::byte_serialize(issuer.as_bytes()).collect::<String>().replace('+', "%20"),
    )
}

pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code for one step (RFC 4226 dynamic truncation).
pub fn code_at_step(seed: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// The step whose code `typed` is, within the allowed drift of `now` and later than
/// `last_used` (a code is good once: the step is then stored as the last one used).
pub fn matching_step(seed: &[u8], typed: &str, unix_now: i64, last_used: i64) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_now);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| *step > last_used)
        .find(|step| super::tokens::same(code_at_step(seed, *step).as_bytes(), typed.as_bytes()))
}

/// RFC 4648 base32, upper case, without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // RFC 6238 appendix B (SHA-1), last six of the eight digits.
        for (time, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(code_at_step(RFC_SEED, step_at(time)), code, "at {time}");
        }
    }

    #[test]
    fn a_code_is_good_within_one_step_and_only_once() {
        let now = 1_234_567_890;
        let step = step_at(now);
        let code = code_at_step(RFC_SEED, step);
        assert_eq!(matching_step(RFC_SEED, &code, now, 0), Some(step));
        assert_eq!(matching_step(RFC_SEED, &format!("{} {}", &code[..3], &code[3..]), now, 0), Some(step));
        assert_eq!(matching_step(RFC_SEED, &code, now + 30, 0), Some(step), "the previous step");
        assert_eq!(matching_step(RFC_SEED, &code, now + 60, 0), None, "two steps late");
        assert_eq!(matching_step(RFC_SEED, &code, now, step), None, "replayed");
        assert_eq!(matching_step(RFC_SEED, &code, now, step + 1), None, "older than the last used");
        assert_eq!(matching_step(RFC_SEED, "12345", now, 0), None);
        assert_eq!(matching_step(RFC_SEED, "abcdef", now, 0), None);
    }

    #[test]
    fn seeds_are_written_in_base32() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(seed_text(b"foobar"), "MZXW 6YTB OI");
        let uri = otpauth_uri(b"foobar", "CleanTrack", "ana@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/CleanTrack%3Aana%40example.org?secret=MZXW6YTBOI&issuer=CleanTrack&algorithm=SHA1&digits=6&period=30"
        );
    }
}
