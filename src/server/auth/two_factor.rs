//! Two-factor authentication with an authenticator app (TOTP, `auth::totp`) and single-use
//! recovery codes: setting it up, using it at sign-in, turning it off. Every change is in the
//! platform audit chain (it belongs to the person, not to one organization).

use rand::Rng as _;
use sha2::{Digest as _, Sha256};

use super::sealed::Purpose;
use super::user::User;
use super::{password, totp};
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::security::{SecondFactors, TotpEnrolment};
use crate::server::state::AppState;

pub const RECOVERY_CODES: usize = 10;
/// Shown in the authenticator app above the codes.
const ISSUER: &str = "CleanTrack";
/// Letters and digits nobody confuses when reading them off paper (no 0/o, 1/l/i).
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// What proved the second factor at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Totp,
    RecoveryCode { left: i64 },
}

pub async fn factors(state: &AppState, user: UserId, org: Option<OrgId>) -> Result<SecondFactors, AppError> {
    let mut tx = super::scope::UserTx::begin(&state.pool, user).await?;
    let row = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "totp!",
                  (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS "left!",
                  coalesce((SELECT m.role = ANY (o.require_2fa_roles) FROM memberships m JOIN organizations o ON o.id = m.org_id
                            WHERE m.user_id = $1 AND ($2::uuid IS NULL OR m.org_id = $2)
                            ORDER BY m.created_at LIMIT 1), false) AS "required!""#,
        user as _,
        org as _
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(SecondFactors { totp: row.totp, recovery_codes_left: row.left, required: row.required })
}

/// Whether `user` must give a second factor after their password.
pub async fn has_totp(pool: &sqlx::PgPool, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "v!""#,
        user as _
    )
    .fetch_one(pool)
    .await
}

/// The QR code to scan while no app is confirmed: the seed begun in the last half hour (so a
/// wrong code typed and the page shown again keeps the one already scanned), else a new one.
pub async fn enrolment(state: &AppState, user: &User) -> Result<TotpEnrolment, AppError> {
    let pending = sqlx::query_scalar!(
        "SELECT secret_sealed FROM totp_credentials
         WHERE user_id = $1 AND confirmed_at IS NULL AND created_at > now() - interval '30 minutes'",
        user.id as _
    )
    .fetch_optional(&state.pool)
    .await?;
    let seed = match pending {
        Some(sealed) => open_seed(state, &sealed)?,
        None => begin_totp(state, user).await?,
    };
    let uri = totp::otpauth_uri(&seed, ISSUER, &user.email);
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    let svg = crate::server::equipment::stickers::svg(&uri)?;
    let qr_image = format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg));
    Ok(TotpEnrolment { qr_image, key: totp::seed_text(&seed) })
}

/// A new seed, kept unconfirmed until a code from the app proves it was scanned. It replaces an
/// unconfirmed seed; a confirmed one must be turned off first.
async fn begin_totp(state: &AppState, user: &User) -> Result<Vec<u8>, AppError> {
    let seed = totp::new_seed();
    let sealed = state.config.field_key.seal(Purpose::TotpSeed, &seed);
    let stored = sqlx::query!(
        "INSERT INTO totp_credentials (user_id, secret_sealed) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = now(), last_step = 0
         WHERE totp_credentials.confirmed_at IS NULL",
        user.id as _,
        &sealed
    )
    .execute(&state.pool)
    .await?
    .rows_affected();
    if stored == 0 {
        return Err(AppError::Conflict(
            "An authenticator app is already set up. Turn it off first to set up another.".into(),
        ));
    }
    Ok(seed)
}

/// Confirms the app with a code from it; returns the new recovery codes (shown once).
pub async fn confirm_totp(state: &AppState, user: &User, code: &str) -> Result<Vec<String>, AppError> {
    let mut tx = state.pool.begin().await?;
    let pending = sqlx::query!(
        "SELECT secret_sealed, confirmed_at IS NOT NULL AS \"confirmed!\" FROM totp_credentials WHERE user_id = $1 FOR UPDATE",
        user.id as _
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Invalid("Start by scanning the QR code: choose \"Set up an authenticator app\".".into()))?;
    if pending.confirmed {
        return Err(AppError::Conflict("Your authenticator app is already set up.".into()));
    }
    let seed = open_seed(state, &pending.secret_sealed)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let step = totp::matching_step(&seed, code, now, 0).ok_or_else(|| {
        AppError::Invalid(
            "That code does not match. Type the six digits your app shows now (check the phone's time is set automatically)."
                .into(),
        )
    })?;
    sqlx::query!(
        "UPDATE totp_credentials SET confirmed_at = now(), last_step = $2 WHERE user_id = $1",
        user.id as _,
        step
    )
    .execute(&mut *tx)
    .await?;
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    tx.commit().await?;
    event(state, user.id, "auth.two_factor_enrolled", serde_json::json!({ "method": "totp" })).await?;
    super::sessions::forget_all_of(state, user.id).await?;
    Ok(codes)
}

/// Turns the authenticator app off and voids the recovery codes; needs the password.
pub async fn disable(state: &AppState, user: &User, password_typed: String) -> Result<(), AppError> {
    reauthenticate(user, password_typed).await?;
    let mut tx = state.pool.begin().await?;
    let removed = sqlx::query!("DELETE FROM totp_credentials WHERE user_id = $1", user.id as _)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user.id as _).execute(&mut *tx).await?;
    tx.commit().await?;
    if removed == 0 {
        return Err(AppError::Conflict("Two-factor authentication is not on.".into()));
    }
    event(state, user.id, "auth.two_factor_disabled", serde_json::json!({ "method": "totp" })).await?;
    super::sessions::forget_all_of(state, user.id).await?;
    Ok(())
}

/// Ten new recovery codes in place of the old ones; needs the password.
pub async fn renew_recovery_codes(
    state: &AppState,
    user: &User,
    password_typed: String,
) -> Result<Vec<String>, AppError> {
    reauthenticate(user, password_typed).await?;
    if !has_totp(&state.pool, user.id).await? {
        return Err(AppError::Conflict("Set up an authenticator app first.".into()));
    }
    let mut tx = state.pool.begin().await?;
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    tx.commit().await?;
    event(state, user.id, "auth.recovery_codes_renewed", serde_json::json!({ "count": RECOVERY_CODES })).await?;
    Ok(codes)
}

/// The second step of signing in: a code from the app (once only) or an unused recovery code.
pub async fn verify(state: &AppState, user: UserId, typed: &str) -> Result<Option<Proof>, AppError> {
    let typed = typed.trim();
    let digits = typed.chars().filter(|c| !c.is_whitespace()).count();
    if digits == 6 && typed.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
        return Ok(verify_totp(state, user, typed).await?.then_some(Proof::Totp));
    }
    let hash = recovery_hash(typed);
    let mut tx = state.pool.begin().await?;
    let used = sqlx::query!(
        "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user as _,
        &hash
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let left = sqlx::query_scalar!(
        r#"SELECT count(*) AS "v!" FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        user as _
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if used == 0 {
        return Ok(None);
    }
    event(state, user, "auth.recovery_code_used", serde_json::json!({ "left": left })).await?;
    Ok(Some(Proof::RecoveryCode { left }))
}

/// A code is good once: the step it belongs to becomes the last one used, in the same
/// statement that checks it was not (two requests with one code cannot both pass).
async fn verify_totp(state: &AppState, user: UserId, typed: &str) -> Result<bool, AppError> {
    let Some(row) = sqlx::query!(
        "SELECT secret_sealed, last_step FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL",
        user as _
    )
    .fetch_optional(&state.pool)
    .await?
    else {
        return Ok(false);
    };
    let seed = open_seed(state, &row.secret_sealed)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let Some(step) = totp::matching_step(&seed, typed, now, row.last_step) else {
        return Ok(false);
    };
    let claimed = sqlx::query!(
        "UPDATE totp_credentials SET last_step = $2 WHERE user_id = $1 AND last_step < $2",
        user as _,
        step
    )
    .execute(&state.pool)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

fn open_seed(state: &AppState, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
    state.config.field_key.open(Purpose::TotpSeed, sealed).ok_or_else(|| {
        tracing::error!("a TOTP seed does not open with FIELD_ENCRYPTION_KEY: was the key (or SECRET_KEY) changed?");
        AppError::Internal
    })
}

async fn replace_recovery_codes(tx: &mut sqlx::PgConnection, user: UserId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user as _).execute(&mut *tx).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h",
        user as _,
        &hashes
    )
    .execute(&mut *tx)
    .await?;
    Ok(codes)
}

/// "k7m2p-x9qhd": ten characters (about 49 bits), in two groups.
fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..10).map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Case, spaces and dashes do not matter when typing a code back.
fn recovery_hash(typed: &str) -> Vec<u8> {
    let normal: String = typed.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::new().chain_update(b"recovery-code\n").chain_update(normal.as_bytes()).finalize().to_vec()
}

async fn reauthenticate(user: &User, typed: String) -> Result<(), AppError> {
    if !password::verify(typed, Some(user.password_hash.clone())).await? {
        return Err(AppError::Invalid("Your password is not correct.".into()));
    }
    Ok(())
}

async fn event(state: &AppState, user: UserId, action: &str, details: serde_json::Value) -> Result<(), sqlx::Error> {
    super::flows::record_own(&state.pool, user, action, details).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_read_back_however_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))));
        assert_eq!(recovery_hash(&code), recovery_hash(&code.to_uppercase().replace('-', " ")));
        assert_ne!(recovery_hash(&code), recovery_hash(&new_recovery_code()));
    }
}
