//! The sessions people can see and end: one `user_sessions` row per signed-in browser, its id
//! kept in the session ([`SID_KEY`]). Every request of a signed-in session passes [`guard`],
//! which signs it out when its row was ended (by the person elsewhere, by an owner, by a new
//! password or role) or when it sat idle past the organization's limit, moves its last activity
//! forward (at most once a minute), and sends a member who must enrol a second factor to do so
//! before anything else.
//!
//! What the guard needs is remembered for [`REMEMBERED_FOR`](super::cache::REMEMBERED_FOR)
//! (`auth::cache`), so a request costs no SQL; this instance forgets it the moment it ends a
//! session. Another instance acts on an ended session within that time, as for sign-outs.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::backend::AuthSession;
use super::cache::Live;
use super::request::session_org;
use super::scope::UserTx;
use crate::model::error::AppError;
use crate::model::ids::{OrgId, UserId};
use crate::model::security::{SessionRow, SessionsPage};
use crate::server::http::origin::RequestMeta;
use crate::server::state::AppState;

/// Session key holding the `user_sessions` row's id.
pub const SID_KEY: &str = "sid";

/// Last activity is written at most this often (seconds), so a session in use costs one small
/// write a minute; idle limits are whole minutes.
pub const TOUCH_EVERY: i64 = 60;

/// Sign-in ways, as stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    PasswordTotp,
    PasswordRecoveryCode,
    PasswordPasskey,
    Passkey,
    Sso,
    Registration,
    Invitation,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::PasswordTotp => "password+totp",
            Method::PasswordRecoveryCode => "password+recovery_code",
            Method::PasswordPasskey => "password+passkey",
            Method::Passkey => "passkey",
            Method::Sso => "sso",
            Method::Registration => "registration",
            Method::Invitation => "invitation",
        }
    }
}

/// Why a session ended, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    SignedOut,
    Idle,
    BySelf,
    ByOwner,
    PasswordChanged,
    RoleChanged,
    Removed,
    SecondFactorChanged,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Ended::SignedOut => "signed_out",
            Ended::Idle => "idle",
            Ended::BySelf => "ended_by_self",
            Ended::ByOwner => "ended_by_owner",
            Ended::PasswordChanged => "password_changed",
            Ended::RoleChanged => "role_changed",
            Ended::Removed => "removed",
            Ended::SecondFactorChanged => "second_factor_changed",
        }
    }
}

/// Called by every way of signing in, after `auth.login`: the row people will see, and its id
/// in the session.
pub async fn start(
    state: &AppState,
    auth: &AuthSession,
    user: UserId,
    method: Method,
    shared_device: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let sid = Uuid::new_v4();
    let agent: String = meta.user_agent.as_deref().unwrap_or("").chars().take(400).collect();
    // In a transaction of its own, committed before the session names the row: the next request
    // may read it from any connection.
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO user_sessions (id, user_id, method, shared_device, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6)",
        sid,
        user as _,
        method.as_str(),
        shared_device,
        agent,
        meta.ip as _
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    auth.session.insert(SID_KEY, sid).await.map_err(|err| {
        tracing::error!(error = %err, "session write failed");
        AppError::Internal
    })
}

/// The current session's row id, if it has one.
pub async fn current_sid(auth: &AuthSession) -> Option<Uuid> {
    auth.session.get(SID_KEY).await.ok().flatten()
}

/// Marks `sids` ended (those still open) and forgets them here at once.
async fn end(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    ended: Vec<Uuid>,
    reason: Ended,
    by: Option<UserId>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ended = sqlx::query_scalar!(
        "UPDATE user_sessions SET ended_at = now(), ended_reason = $2, ended_by = $3
         WHERE id = ANY($1) AND ended_at IS NULL RETURNING id",
        &ended,
        reason.as_str(),
        by as _
    )
    .fetch_all(conn)
    .await?;
    for sid in &ended {
        state.auth_cache.forget_session(*sid);
    }
    Ok(ended)
}

/// Ends every open session of `user` except `keep`; returns how many ended.
pub async fn end_all_of(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    user: UserId,
    keep: Option<Uuid>,
    reason: Ended,
    by: Option<UserId>,
) -> Result<usize, sqlx::Error> {
    let open = sqlx::query_scalar!(
        "SELECT id FROM user_sessions WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
        user as _,
        keep
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(end(state, conn, open, reason, by).await?.len())
}

/// The guard re-reads every open session of `user` at its next request (a second factor was
/// added or removed: whether they must still enrol changed).
pub async fn forget_all_of(state: &AppState, user: UserId) -> Result<(), sqlx::Error> {
    let open = sqlx::query_scalar!("SELECT id FROM user_sessions WHERE user_id = $1 AND ended_at IS NULL", user as _)
        .fetch_all(&state.pool)
        .await?;
    for sid in open {
        state.auth_cache.forget_session(sid);
    }
    Ok(())
}

/// Signing out: the row is ended with the session.
pub async fn end_current(state: &AppState, auth: &AuthSession, reason: Ended) -> Result<(), sqlx::Error> {
    if let Some(sid) = current_sid(auth).await {
        let by = auth.user.as_ref().map(|u| u.id);
        let mut tx = state.pool.begin().await?;
        end(state, &mut tx, vec![sid], reason, by).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The person's own sessions, newest activity first, with times in the zone of their current
/// organization's first facility.
pub async fn list(state: &AppState, auth: &AuthSession) -> Result<SessionsPage, AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    let current = current_sid(auth).await;
    let org = session_org(auth).await;
    let zone = time_zone(state, user.id, org).await?;
    let mut tx = UserTx::begin(&state.pool, user.id).await?;
    let rows = sqlx::query!(
        r#"SELECT id, method, shared_device, user_agent, host(ip) AS "ip!",
                  app.local_time(created_at, $2) AS "signed_in!", app.local_time(last_seen_at, $2) AS "last_seen!"
           FROM user_sessions WHERE user_id = $1 AND ended_at IS NULL
           ORDER BY last_seen_at DESC LIMIT 50"#,
        user.id as _,
        &zone
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    let sessions = rows
        .into_iter()
        .map(|r| SessionRow {
            id: r.id,
            device: device(&r.user_agent),
            place: r.ip,
            method: method_label(&r.method).to_owned(),
            shared_device: r.shared_device,
            signed_in: r.signed_in,
            last_seen: r.last_seen,
            current: Some(r.id) == current,
        })
        .collect();
    Ok(SessionsPage { time_zone: zone, sessions })
}

/// The zone people read times in: their organization's first facility's, else UTC. Read in
/// the organization (facilities are its rows).
async fn time_zone(state: &AppState, user: UserId, org: Option<OrgId>) -> Result<String, sqlx::Error> {
    let Some(mut tx) = super::scope::TenantTx::enter(&state.pool, user, org).await? else {
        return Ok("UTC".to_owned());
    };
    let org = tx.ctx().org_id();
    let zone =
        sqlx::query_scalar!("SELECT time_zone FROM facilities WHERE org_id = $1 ORDER BY created_at LIMIT 1", org as _)
            .fetch_optional(tx.conn())
            .await?;
    tx.commit().await?;
    Ok(zone.unwrap_or_else(|| "UTC".to_owned()))
}

/// "Sign out everywhere else", or one session of the person's by its id (404 if not theirs).
pub async fn end_own(state: &AppState, auth: &AuthSession, which: Option<Uuid>) -> Result<usize, AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthenticated)?;
    let current = current_sid(auth).await;
    let mut conn = state.pool.begin().await?;
    let count = match which {
        None => end_all_of(state, &mut conn, user.id, current, Ended::BySelf, Some(user.id)).await?,
        Some(sid) => {
            let mine = sqlx::query_scalar!(
                "SELECT id FROM user_sessions WHERE id = $1 AND user_id = $2 AND ended_at IS NULL",
                sid,
                user.id as _
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound)?;
            end(state, &mut conn, vec![mine], Ended::BySelf, Some(user.id)).await?.len()
        }
    };
    conn.commit().await?;
    let which = which.map_or("all others".to_owned(), |s| s.to_string());
    let details = serde_json::json!({ "ended": count, "by": "self", "which": which });
    super::flows::record_own(&state.pool, user.id, "auth.sessions_ended", details).await?;
    Ok(count)
}

/// The guard's view of a session: remembered, or read with the organization's limits.
async fn live(state: &AppState, sid: Uuid, user: UserId, org: Option<OrgId>) -> Result<Live, sqlx::Error> {
    if let Some(live) = state.auth_cache.live_session(sid).filter(|l| l.org == org || org.is_none()) {
        return Ok(live);
    }
    let mut tx = UserTx::begin(&state.pool, user).await?;
    let row = sqlx::query!(
        r#"SELECT s.user_id AS "user_id: UserId", s.ended_at IS NOT NULL AS "ended!",
                  extract(epoch FROM s.last_seen_at)::bigint AS "last_seen!",
                  m.org_id AS "org_id?: OrgId",
                  CASE WHEN s.shared_device THEN coalesce(o.idle_minutes, 15)
                       WHEN m.role = ANY (o.idle_roles) THEN o.idle_minutes END AS "idle_minutes?",
                  coalesce(m.role = ANY (o.require_2fa_roles), false)
                    AND NOT EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = s.user_id)
                    AS "must_enrol!"
           FROM user_sessions s
           LEFT JOIN LATERAL (SELECT m.org_id, m.role FROM memberships m
                              WHERE m.user_id = s.user_id AND ($2::uuid IS NULL OR m.org_id = $2)
                                AND app.membership_active(m.access_until)
                              ORDER BY m.created_at LIMIT 1) m ON true
           LEFT JOIN organizations o ON o.id = m.org_id
           WHERE s.id = $1"#,
        sid,
        org as _
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let live = match row {
        Some(r) => Live {
            user: r.user_id,
            org: org.or(r.org_id),
            ended: r.ended,
            last_seen: r.last_seen,
            idle_limit: r.idle_minutes.map(|m| i64::from(m) * 60),
            must_enrol: r.must_enrol,
        },
        // No such row: treated as ended (a forged or purged id).
        None => Live { user, org, ended: true, last_seen: 0, idle_limit: None, must_enrol: false },
    };
    state.auth_cache.remember_live_session(sid, live.clone());
    Ok(live)
}

/// The current session's idle limit in seconds (for the header's warning), if one applies.
pub async fn idle_limit(state: &AppState, auth: &AuthSession) -> Option<i64> {
    let user = auth.user.as_ref()?;
    let sid = current_sid(auth).await?;
    live(state, sid, user.id, session_org(auth).await).await.ok()?.idle_limit
}

/// The layer: see the module's comment. Runs after the session and auth layers.
pub async fn guard(State(state): State<AppState>, auth: AuthSession, mut request: Request, next: Next) -> Response {
    let Some(user) = auth.user.clone() else {
        return next.run(request).await;
    };
    let sid = match current_sid(&auth).await {
        Some(sid) => sid,
        // Signed in before sessions had rows: given one now, so it can be listed and ended.
        None => {
            let meta = RequestMeta::of(request.headers(), request.extensions());
            if let Err(err) = start(&state, &auth, user.id, Method::Password, false, &meta).await {
                tracing::error!(error = %err, "could not record a session");
            }
            return next.run(request).await;
        }
    };
    let org = session_org(&auth).await;
    let live = match live(&state, sid, user.id, org).await {
        Ok(live) => live,
        Err(err) => {
            tracing::error!(error = %err, "session check failed");
            return AppError::from(err).into_response();
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let idle = live.idle_limit.is_some_and(|limit| now - live.last_seen > limit);
    if live.ended || live.user != user.id || idle {
        if idle {
            if let Err(err) = end_idle(&state, sid).await {
                tracing::error!(error = %err, "could not record an idle session's end");
            }
        }
        return signed_out(auth, request, next, if idle { "idle" } else { "ended" }).await;
    }
    let must_enrol_first = live.must_enrol;
    if now - live.last_seen >= TOUCH_EVERY {
        touch(&state, sid, live, now).await;
    }
    if must_enrol_first && !enrolment_allowed(&request) {
        return must_enrol(&request);
    }
    request.extensions_mut().insert(auth);
    next.run(request).await
}

async fn end_idle(state: &AppState, sid: Uuid) -> Result<(), sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    end(state, &mut tx, vec![sid], Ended::Idle, None).await?;
    tx.commit().await
}

async fn touch(state: &AppState, sid: Uuid, mut live: Live, now: i64) {
    match sqlx::query!("UPDATE user_sessions SET last_seen_at = now() WHERE id = $1", sid).execute(&state.pool).await {
        Ok(_) => {
            live.last_seen = now;
            state.auth_cache.remember_live_session(sid, live);
        }
        Err(err) => tracing::warn!(error = %err, "could not note a session's activity"),
    }
}

/// What a member who must enrol a second factor may still do: enrol, read who they are, sign out.
fn enrolment_allowed(request: &Request) -> bool {
    let path = request.uri().path();
    path == "/account/security"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/") && ENROLMENT_ENDPOINTS.iter().any(|e| path.strip_prefix("/api/") == Some(*e))
        || !path.starts_with("/api/") && path.contains('.')
}

/// Server functions the enrolment page calls.
const ENROLMENT_ENDPOINTS: &[&str] = &[
    "session",
    "logout",
    "security_overview",
    "confirm_totp",
    "passkey_register_start",
    "passkey_register_finish",
    "keep_session",
    "count_unread",
    "count_reviews",
];

const MUST_ENROL: &str = "Your organization requires two-factor authentication for your role: set it up on your account's security page first.";

fn must_enrol(request: &Request) -> Response {
    if request.uri().path().starts_with("/api/") || request.method() != http::Method::GET {
        return AppError::Forbidden(MUST_ENROL.into()).into_response();
    }
    Redirect::to("/account/security?required=1").into_response()
}

/// The session ended: signed out here, and a page asks to sign in again saying why.
async fn signed_out(mut auth: AuthSession, mut request: Request, next: Next, why: &str) -> Response {
    let page = request.method() == http::Method::GET && !request.uri().path().starts_with("/api/");
    let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_else(|| "/".into());
    if let Err(err) = auth.logout().await {
        tracing::error!(error = %err, "signing out an ended session failed");
    }
    if page {
        let next_path = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/login?ended={why}&next={next_path}")).into_response();
    }
    request.extensions_mut().insert(auth);
    next.run(request).await
}

/// "Chrome on Android", "Safari on iPhone": enough to recognise one's own devices.
pub fn device(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        ""
    };
    let system = if ua.contains("iPhone") {
        "iPhone"
    } else if ua.contains("iPad") {
        "iPad"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    match (browser, system) {
        ("", "") if ua.is_empty() => "Unknown device".to_owned(),
        ("", "") => ua.split(['/', ' ']).next().unwrap_or("Unknown").to_owned(),
        (b, "") => b.to_owned(),
        ("", s) => s.to_owned(),
        (b, s) => format!("{b} on {s}"),
    }
}

fn method_label(method: &str) -> &'static str {
    match method {
        "password" => "Password",
        "password+totp" => "Password and authenticator code",
        "password+recovery_code" => "Password and recovery code",
        "password+passkey" => "Password and passkey",
        "passkey" => "Passkey",
        "sso" => "Single sign-on",
        "registration" => "Registration",
        "invitation" => "Accepted invitation",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_are_named_as_people_know_them() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device(android), "Chrome on Android");
        assert_eq!(device(iphone), "Safari on iPhone");
        assert_eq!(device(edge), "Edge on Windows");
        assert_eq!(
            device("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            "Firefox on Linux"
        );
        assert_eq!(device("curl/8.5.0"), "curl");
        assert_eq!(device(""), "Unknown device");
    }
}
