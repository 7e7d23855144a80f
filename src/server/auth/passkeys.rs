//! Passkeys (WebAuthn, webauthn-rs): registering several per person, naming and removing them,
//! and signing in with one, either alone (it is two factors: the device, unlocked by the
//! person's PIN or biometrics) or as the second step after a password.
//!
//! Each ceremony is two requests; the state between them (the challenge) stays in the server's
//! session, never in the browser. The relying party is `PUBLIC_URL`'s host; in development a
//! loopback address becomes `localhost` (browsers refuse IP addresses as relying parties) and
//! any port is accepted.

use url::{Host, Url};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Webauthn,
    WebauthnBuilder,
};

use super::backend::AuthSession;
use super::user::User;
use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::model::security::PasskeyRow;
use crate::model::text::one_line;
use crate::server::state::AppState;

const REGISTRATION_KEY: &str = "passkey_registration";
const AUTHENTICATION_KEY: &str = "passkey_authentication";
/// A ceremony must finish within this many seconds of its start.
const CEREMONY_SECONDS: i64 = 300;
const NAME_MAX: usize = crate::model::security::PASSKEY_NAME_MAX;

/// The relying party for this deployment.
pub fn relying_party(state: &AppState) -> Result<Webauthn, AppError> {
    let public = &state.config.public_url;
    let development = state.config.env != crate::server::config::AppEnv::Production;
    let loopback = match public.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    let (rp_id, origin) = if loopback {
        let mut origin = public.clone();
        origin.set_host(Some("localhost")).map_err(|_| AppError::Internal)?;
        ("localhost".to_owned(), origin)
    } else {
        (public.host_str().unwrap_or_default().to_owned(), public.clone())
    };
    let origin = Url::parse(origin.origin().ascii_serialization().as_str()).map_err(|_| AppError::Internal)?;
    WebauthnBuilder::new(&rp_id, &origin)
        .map(|b| b.rp_name("CleanTrack").allow_any_port(development && loopback))
        .and_then(WebauthnBuilder::build)
        .map_err(|err| {
            tracing::error!(error = %err, "the WebAuthn relying party cannot be built from PUBLIC_URL");
            AppError::Internal
        })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Ceremony<T> {
    user: UserId,
    since: i64,
    state: T,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn keep<T: serde::Serialize>(auth: &AuthSession, key: &str, user: UserId, state: T) -> Result<(), AppError> {
    auth.session.insert(key, Ceremony { user, since: now(), state }).await.map_err(|err| {
        tracing::error!(error = %err, "session write failed");
        AppError::Internal
    })
}

/// The ceremony begun in this session, once: taking it ends it.
async fn take<T: serde::de::DeserializeOwned>(auth: &AuthSession, key: &str) -> Result<Ceremony<T>, AppError> {
    let ceremony: Option<Ceremony<T>> = auth.session.remove(key).await.ok().flatten();
    ceremony
        .filter(|c| now() - c.since <= CEREMONY_SECONDS)
        .ok_or_else(|| AppError::Invalid("That took too long, or was already used: start again.".into()))
}

async fn stored(state: &AppState, user: UserId) -> Result<Vec<(Uuid, Passkey)>, AppError> {
    let rows = sqlx::query!("SELECT id, credential FROM passkeys WHERE user_id = $1 ORDER BY created_at", user as _)
        .fetch_all(&state.pool)
        .await?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(r.credential).map(|p| (r.id, p)).map_err(|err| {
                tracing::error!(error = %err, "a stored passkey does not read back");
                AppError::Internal
            })
        })
        .collect()
}

pub async fn list(state: &AppState, user: UserId) -> Result<Vec<PasskeyRow>, AppError> {
    Ok(sqlx::query_as!(
        PasskeyRow,
        r#"SELECT id, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "added!",
                  to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS last_used
           FROM passkeys WHERE user_id = $1 ORDER BY created_at"#,
        user as _
    )
    .fetch_all(&state.pool)
    .await?)
}

pub async fn has_any(pool: &sqlx::PgPool, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS "v!""#, user as _)
        .fetch_one(pool)
        .await
}

/// The options for the browser's `navigator.credentials.create`, as JSON.
pub async fn begin_registration(state: &AppState, auth: &AuthSession, user: &User) -> Result<String, AppError> {
    let webauthn = relying_party(state)?;
    let existing: Vec<_> = stored(state, user.id).await?.into_iter().map(|(_, p)| p.cred_id().clone()).collect();
    let (options, registration) = webauthn
        .start_passkey_registration(user.id.0, &user.email, &user.display_name, Some(existing))
        .map_err(|err| {
            tracing::error!(error = %err, "passkey registration could not start");
            AppError::Internal
        })?;
    keep::<PasskeyRegistration>(auth, REGISTRATION_KEY, user.id, registration).await?;
    serde_json::to_string(&options).map_err(|_| AppError::Internal)
}

/// Stores the new passkey under `name` (what the person will recognise it by).
pub async fn finish_registration(
    state: &AppState,
    auth: &AuthSession,
    user: &User,
    name: &str,
    credential: &str,
) -> Result<(), AppError> {
    let name = passkey_name(name)?;
    let ceremony: Ceremony<PasskeyRegistration> = take(auth, REGISTRATION_KEY).await?;
    if ceremony.user != user.id {
        return Err(AppError::Invalid("That took too long, or was already used: start again.".into()));
    }
    let credential: RegisterPublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| AppError::Invalid("The browser's answer was not a passkey. Try again.".into()))?;
    let passkey = relying_party(state)?.finish_passkey_registration(&credential, &ceremony.state).map_err(|err| {
        tracing::info!(error = %err, "a passkey registration was refused");
        AppError::Invalid("This passkey could not be verified. Try again, or use another device.".into())
    })?;
    let id = Uuid::new_v4();
    let credential_id: &[u8] = AsRef::<[u8]>::as_ref(passkey.cred_id());
    let inserted = sqlx::query!(
        "INSERT INTO passkeys (id, user_id, name, credential_id, credential) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (credential_id) DO NOTHING",
        id,
        user.id as _,
        &name,
        credential_id,
        serde_json::to_value(&passkey).map_err(|_| AppError::Internal)?
    )
    .execute(&state.pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::Conflict("This passkey is registered already.".into()));
    }
    event(state, user.id, "auth.passkey_added", serde_json::json!({ "passkey": id, "name": name })).await?;
    super::sessions::forget_all_of(state, user.id).await?;
    Ok(())
}

pub async fn rename(state: &AppState, user: UserId, id: Uuid, name: &str) -> Result<(), AppError> {
    let name = passkey_name(name)?;
    let changed = sqlx::query!("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2", id, user as _, &name)
        .execute(&state.pool)
        .await?
        .rows_affected();
    crate::model::error::one_row(changed)?;
    event(state, user, "auth.passkey_renamed", serde_json::json!({ "passkey": id, "name": name })).await?;
    Ok(())
}

/// Removing a passkey needs the password: it is a way in.
pub async fn remove(state: &AppState, user: &User, id: Uuid, password: String) -> Result<(), AppError> {
    if !super::password::verify(password, Some(user.password_hash.clone())).await? {
        return Err(AppError::Invalid("Your password is not correct.".into()));
    }
    let name =
        sqlx::query_scalar!("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name", id, user.id as _)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    event(state, user.id, "auth.passkey_removed", serde_json::json!({ "passkey": id, "name": name })).await?;
    super::sessions::forget_all_of(state, user.id).await?;
    Ok(())
}

/// The options for `navigator.credentials.get`, naming `user`'s passkeys, as JSON.
pub async fn begin_authentication(state: &AppState, auth: &AuthSession, user: UserId) -> Result<String, AppError> {
    let passkeys: Vec<Passkey> = stored(state, user).await?.into_iter().map(|(_, p)| p).collect();
    if passkeys.is_empty() {
        return Err(AppError::Invalid("No passkey is set up for this account: sign in with your password.".into()));
    }
    let (options, authentication) = relying_party(state)?.start_passkey_authentication(&passkeys).map_err(|err| {
        tracing::error!(error = %err, "passkey authentication could not start");
        AppError::Internal
    })?;
    keep::<PasskeyAuthentication>(auth, AUTHENTICATION_KEY, user, authentication).await?;
    serde_json::to_string(&options).map_err(|_| AppError::Internal)
}

/// Checks the browser's answer against the challenge begun in this session and the person's
/// passkeys (origin, relying party, signature, user verification, counter). Returns whom the
/// challenge was for and whether the answer proved it: a passkey of another person, or one
/// made for another site, does not.
pub async fn finish_authentication(
    state: &AppState,
    auth: &AuthSession,
    credential: &str,
) -> Result<(UserId, bool), AppError> {
    let ceremony: Ceremony<PasskeyAuthentication> = take(auth, AUTHENTICATION_KEY).await?;
    let user = ceremony.user;
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Ok((user, false));
    };
    let result = match relying_party(state)?.finish_passkey_authentication(&credential, &ceremony.state) {
        Ok(result) => result,
        Err(err) => {
            tracing::info!(error = %err, "a passkey sign-in was refused");
            return Ok((user, false));
        }
    };
    // The credential must be one of this person's (the challenge named only theirs).
    let mut mine = stored(state, user).await?;
    let Some((id, passkey)) = mine.iter_mut().find(|(_, p)| p.cred_id() == result.cred_id()) else {
        return Ok((user, false));
    };
    passkey.update_credential(&result);
    sqlx::query!(
        "UPDATE passkeys SET credential = $2, last_used_at = now() WHERE id = $1",
        *id,
        serde_json::to_value(&*passkey).map_err(|_| AppError::Internal)?
    )
    .execute(&state.pool)
    .await?;
    Ok((user, true))
}

fn passkey_name(raw: &str) -> Result<String, AppError> {
    one_line(raw, "a name for the passkey (such as \"Ward phone\" or \"YubiKey\")", NAME_MAX, true)
}

async fn event(state: &AppState, user: UserId, action: &str, details: serde_json::Value) -> Result<(), sqlx::Error> {
    super::flows::record_own(&state.pool, user, action, details).await
}
