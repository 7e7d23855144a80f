//! Alerts: every few minutes a round looks at each organization as of an instant (`at`: the
//! round's time; tests give their own) and writes one notification per person per event, with
//! its email now or when the person's quiet hours end. Events are read from the records
//! themselves (due times, failed logs, open corrective actions, open problem reports), so the
//! round needs no hook in the code that writes them; an event's key makes it once per person.
//! The jobs are `Round` (fans out) and `OrgRound`; the inbox and settings are read and written
//! here too.

use serde::{Deserialize, Serialize};

use crate::model::alerts::{quiet_left, seconds_of_day, AlertKind, Inbox, Notification, Preferences};
use crate::model::error::AppError;
use crate::model::ids::{FacilityId, OrgId, UserId};
use crate::model::role::{Action, Role};
use crate::server::auth::scope::OrgJobTx;
use crate::server::auth::TenantTx;
use crate::server::jobs::{self, JobError, JobKind, Recurring};
use crate::server::mailer;
use crate::server::state::AppState;

/// Minutes between rounds.
const ROUND_MINUTES: i64 = 5;
/// The longest "due soon" warning a person can ask for, in hours (the form's limit too).
pub const MAX_DUE_SOON_HOURS: i32 = 72;

/// One round: every organization, as of `at`.
pub struct Round;

#[derive(Serialize, Deserialize)]
pub struct RoundAt {
    /// RFC 3339.
    pub at: String,
}

impl JobKind for Round {
    const KIND: &'static str = "alerts_round";
    type Payload = RoundAt;
    async fn run(state: &AppState, payload: RoundAt) -> Result<(), JobError> {
        let orgs = jobs::organizations_for_scheduler_unscoped(state).await.map_err(retry)?;
        let mut tx = state.pool.begin().await.map_err(retry)?;
        for org in orgs {
            jobs::enqueue::<OrgRound>(&mut tx, &OrgAt { org, at: payload.at.clone() }).await.map_err(retry)?;
        }
        tx.commit().await.map_err(retry)
    }
}

impl Recurring for Round {
    /// Enqueues this slot's round unless some instance already did.
    async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
        let mut conn = state.pool.acquire().await?;
        let now = sqlx::query!(
            r#"SELECT floor(extract(epoch FROM now()) / ($1::float8 * 60))::bigint AS "slot!",
                      to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "at!""#,
            ROUND_MINUTES as f64
        )
        .fetch_one(&mut *conn)
        .await?;
        let key = format!("{}:{}", Round::KIND, now.slot);
        jobs::enqueue_once::<Round>(&mut conn, &RoundAt { at: now.at }, &key).await
    }
}

/// One organization's round.
pub struct OrgRound;

#[derive(Serialize, Deserialize)]
pub struct OrgAt {
    pub org: OrgId,
    pub at: String,
}

impl JobKind for OrgRound {
    const KIND: &'static str = "alerts_org_round";
    type Payload = OrgAt;
    async fn run(state: &AppState, payload: OrgAt) -> Result<(), JobError> {
        let mut tx = OrgJobTx::begin(&state.pool, payload.org).await.map_err(retry)?;
        let sent = round(&mut tx, state, payload.org, &payload.at).await.map_err(retry)?;
        tx.commit().await.map_err(retry)?;
        if sent.notified > 0 || sent.emailed > 0 {
            tracing::info!(org = %payload.org, at = payload.at, sent.notified, sent.emailed, "alerts");
        }
        Ok(())
    }
}

fn retry(err: sqlx::Error) -> JobError {
    JobError::Retry(err.to_string())
}

/// What a round did.
pub struct Sent {
    pub notified: usize,
    pub emailed: usize,
}

/// A member who may be alerted, with their settings.
struct Member {
    id: UserId,
    role: Role,
    email: Option<String>,
    prefs: Preferences,
}

/// An event as the round reads it.
struct Event {
    key: String,
    kind: AlertKind,
    event_at: String,
    facility: FacilityId,
    time_zone: String,
    /// The facility's local time of day at the round's instant (HH24:MI:SS).
    local_now: String,
    /// For due times: seconds from the round's instant to the due time.
    seconds_until: i64,
    /// The one person it is for (an action's owner), besides those whose role oversees it.
    owner: Option<UserId>,
    title: String,
    body: String,
    link: String,
}

async fn members(conn: &mut sqlx::PgConnection, org: OrgId) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT m.user_id AS "id!: UserId", m.role AS "role!: Role",
                  CASE WHEN u.email_verified_at IS NOT NULL THEN u.email END AS "email?",
                  p.due_soon_hours AS "due_soon_hours?", p.overdue AS "overdue?", p.failed_cleaning AS "failed?",
                  p.action_assigned AS "assigned?", p.action_overdue AS "action_overdue?",
                  p.problem_reported AS "problem?", p.email AS "wants_email?",
                  to_char(p.quiet_from, 'HH24:MI') AS "quiet_from?", to_char(p.quiet_until, 'HH24:MI') AS "quiet_until?",
                  p.facility_ids AS "facilities?: Vec<FacilityId>", p.org_id IS NOT NULL AS "saved!"
           FROM memberships m JOIN users u ON u.id = m.user_id
           LEFT JOIN alert_preferences p ON p.org_id = m.org_id AND p.user_id = m.user_id
           WHERE m.org_id = $1 AND m.role <> 'inspector'"#,
        org as _
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let prefs = if r.saved {
                Preferences {
                    due_soon_hours: r.due_soon_hours,
                    overdue: r.overdue.unwrap_or(false),
                    failed_cleaning: r.failed.unwrap_or(false),
                    action_assigned: r.assigned.unwrap_or(false),
                    action_overdue: r.action_overdue.unwrap_or(false),
                    problem_reported: r.problem.unwrap_or(false),
                    email: r.wants_email.unwrap_or(false),
                    quiet_from: r.quiet_from,
                    quiet_until: r.quiet_until,
                    facilities: r.facilities,
                }
            } else {
                Preferences::for_role(r.role)
            };
            Member { id: r.id, role: r.role, email: r.email, prefs }
        })
        .collect())
}

/// The events of organization `org` as of `at`.
async fn events(conn: &mut sqlx::PgConnection, org: OrgId, at: &str) -> Result<Vec<Event>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH due AS (
               SELECT d.equipment_id, d.facility_id, d.time_zone, d.next_due_at, e.name, f.name AS facility
               FROM equipment_due d
               JOIN equipment e ON e.org_id = d.org_id AND e.id = d.equipment_id
               JOIN facilities f ON f.org_id = d.org_id AND f.id = d.facility_id
               WHERE d.org_id = $1 AND d.next_due_at IS NOT NULL
                 AND d.next_due_at BETWEEN $2::text::timestamptz - interval '7 days' AND $2::text::timestamptz + make_interval(hours => $3))
           SELECT CASE WHEN next_due_at <= $2::text::timestamptz THEN 'overdue:' ELSE 'due_soon:' END
                      || equipment_id || ':' || extract(epoch FROM next_due_at)::bigint AS key,
                  CASE WHEN next_due_at <= $2::text::timestamptz THEN 'overdue' ELSE 'due_soon' END AS kind,
                  app.utc(next_due_at) AS event_at, facility_id, time_zone, NULL::uuid AS owner,
                  extract(epoch FROM next_due_at - $2::text::timestamptz)::bigint AS seconds_until,
                  name AS subject, facility, app.local_time(next_due_at, time_zone) AS local_at,
                  NULL::text AS detail, '/equipment/' || equipment_id AS link
           FROM due
           UNION ALL
           SELECT 'failed:' || l.id, 'failed_cleaning', app.utc(l.received_at), e.facility_id, f.time_zone, NULL, 0,
                  e.name, f.name, app.local_time(l.performed_at, f.time_zone),
                  l.signer_name || chr(31) || l.notes, '/equipment/' || e.id
           FROM cleaning_logs l
           JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE l.org_id = $1 AND l.outcome = 'fail'
             AND l.received_at BETWEEN $2::text::timestamptz - interval '1 day' AND $2::text::timestamptz
           UNION ALL
           SELECT 'assigned:' || a.id || ':' || a.owner_id, 'action_assigned', app.utc(a.opened_at), e.facility_id, f.time_zone,
                  a.owner_id, 0, e.name, f.name, app.local_time(a.due_at, f.time_zone), a.description, '/corrective-actions'
           FROM corrective_actions a
           JOIN equipment e ON e.org_id = a.org_id AND e.id = a.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE a.org_id = $1 AND a.closed_at IS NULL AND a.owner_id IS NOT NULL
           UNION ALL
           SELECT 'action_overdue:' || a.id || ':' || extract(epoch FROM a.due_at)::bigint, 'action_overdue', app.utc(a.due_at),
                  e.facility_id, f.time_zone, a.owner_id, 0, e.name, f.name, app.local_time(a.due_at, f.time_zone),
                  a.description, '/corrective-actions'
           FROM corrective_actions a
           JOIN equipment e ON e.org_id = a.org_id AND e.id = a.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE a.org_id = $1 AND a.closed_at IS NULL AND a.due_at <= $2::text::timestamptz
           UNION ALL
           SELECT 'problem:' || r.id, 'problem_reported', app.utc(r.reported_at), e.facility_id, f.time_zone, NULL, 0,
                  e.name, f.name, app.local_time(r.reported_at, f.time_zone), r.description, '/corrective-actions'
           FROM problem_reports r
           JOIN equipment e ON e.org_id = r.org_id AND e.id = r.equipment_id
           JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
           WHERE r.org_id = $1 AND r.corrective_action_id IS NULL AND r.dismissed_at IS NULL
             AND r.reported_at BETWEEN $2::text::timestamptz - interval '7 days' AND $2::text::timestamptz"#,
        org as _,
        at,
        MAX_DUE_SOON_HOURS
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(key), Some(kind), Some(subject), Some(facility_name), Some(local_at), Some(link)) =
            (r.key, r.kind, r.subject, r.facility, r.local_at, r.link)
        else {
            continue;
        };
        let (Some(event_at), Some(facility), Some(time_zone)) = (r.event_at, r.facility_id, r.time_zone) else {
            continue;
        };
        let detail = r.detail.unwrap_or_default();
        let (kind, title, body) = match kind.as_str() {
            "due_soon" => (
                AlertKind::DueSoon,
                format!("{subject} is due soon"),
                format!("{subject} ({facility_name}) is due at {local_at} ({time_zone})."),
            ),
            "overdue" => (
                AlertKind::Overdue,
                format!("{subject} is overdue"),
                format!("{subject} ({facility_name}) was due at {local_at} ({time_zone}) and has not been cleaned since."),
            ),
            "failed_cleaning" => {
                // The signer and the notes, joined by a unit separator in the query.
                let (signer, notes) = detail.split_once('\u{1f}').unwrap_or((detail.as_str(), ""));
                let notes = if notes.is_empty() { String::new() } else { format!(" Notes: {notes}") };
                (
                    AlertKind::FailedCleaning,
                    format!("Failed cleaning: {subject}"),
                    format!(
                        "{signer} recorded a failed cleaning of {subject} ({facility_name}) performed at {local_at} \
                         ({time_zone}).{notes} A corrective action was opened."
                    ),
                )
            }
            "action_assigned" => (
                AlertKind::ActionAssigned,
                format!("Corrective action for you: {subject}"),
                format!("{detail} ({subject}, {facility_name}). Due {local_at} ({time_zone})."),
            ),
            "action_overdue" => (
                AlertKind::ActionOverdue,
                format!("Corrective action overdue: {subject}"),
                format!("{detail} ({subject}, {facility_name}). It was due {local_at} ({time_zone})."),
            ),
            _ => (
                AlertKind::ProblemReported,
                format!("Problem reported: {subject}"),
                format!("Someone scanning the sticker of {subject} ({facility_name}) at {local_at} ({time_zone}) wrote: “{detail}”"),
            ),
        };
        events.push(Event {
            key,
            kind,
            event_at,
            facility: FacilityId(facility),
            time_zone,
            local_now: String::new(),
            seconds_until: r.seconds_until.unwrap_or(0),
            owner: r.owner.map(UserId),
            title,
            body,
            link,
        });
    }
    // The facilities' local time at `at`, for quiet hours.
    let zones: Vec<String> = events.iter().map(|e| e.time_zone.clone()).collect();
    let locals = sqlx::query_scalar!(
        r#"SELECT to_char($1::text::timestamptz AT TIME ZONE z, 'HH24:MI:SS') AS "t!" FROM unnest($2::text[]) WITH ORDINALITY AS u(z, n) ORDER BY n"#,
        at,
        &zones
    )
    .fetch_all(&mut *conn)
    .await?;
    for (event, local) in events.iter_mut().zip(locals) {
        event.local_now = local;
    }
    Ok(events)
}

/// Whether `member` is told about `event`.
fn is_for(member: &Member, event: &Event) -> bool {
    let owner = event.owner == Some(member.id);
    let by_role = match event.kind {
        // An assignment is only for its owner.
        AlertKind::ActionAssigned => owner,
        AlertKind::ActionOverdue => owner || event.kind.for_role(member.role),
        kind => kind.for_role(member.role),
    };
    let soon_enough = match (event.kind, member.prefs.due_soon_hours) {
        (AlertKind::DueSoon, Some(hours)) => event.seconds_until <= i64::from(hours) * 3600,
        _ => true,
    };
    by_role && soon_enough && member.prefs.wants(event.kind) && member.prefs.covers(event.facility)
}

/// The round for one organization as of `at` (RFC 3339): new notifications with their emails
/// (now, or after quiet hours), then the emails whose quiet hours have ended.
pub async fn round(tx: &mut OrgJobTx, state: &AppState, org: OrgId, at: &str) -> Result<Sent, sqlx::Error> {
    let conn = tx.conn();
    let people = members(conn, org).await?;
    let events = events(conn, org, at).await?;
    let org_name =
        sqlx::query_scalar!("SELECT name FROM organizations WHERE id = $1", org as _).fetch_one(&mut *conn).await?;
    let mut sent = Sent { notified: 0, emailed: 0 };
    for event in &events {
        for member in people.iter().filter(|m| is_for(m, event)) {
            let email = member.email.as_ref().filter(|_| member.prefs.email);
            let quiet = match (&member.prefs.quiet_from, &member.prefs.quiet_until) {
                (Some(from), Some(until)) => seconds_of_day(&event.local_now)
                    .zip(seconds_of_day(from))
                    .zip(seconds_of_day(until))
                    .and_then(|((now, from), until)| quiet_left(now, from, until)),
                _ => None,
            };
            let email_after_seconds = email.and(quiet);
            let inserted = sqlx::query_scalar!(
                r#"INSERT INTO notifications (org_id, user_id, event_key, kind, event_at, created_at, title, body, link, time_zone,
                                              email_after, emailed_at)
                   VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6::text::timestamptz, $7, $8, $9, $10,
                           $6::text::timestamptz + make_interval(secs => $11::float8),
                           CASE WHEN $12 AND $11::float8 IS NULL THEN $6::text::timestamptz END)
                   ON CONFLICT DO NOTHING RETURNING true AS "v!""#,
                org as _,
                member.id as _,
                event.key,
                event.kind.as_str(),
                event.event_at,
                at,
                event.title,
                event.body,
                event.link,
                event.time_zone,
                email_after_seconds.map(|s| s as f64),
                email.is_some()
            )
            .fetch_optional(&mut *conn)
            .await?;
            if inserted.is_none() {
                continue;
            }
            sent.notified += 1;
            if let (Some(to), None) = (email, email_after_seconds) {
                let link = mailer::page(&state.config.public_url, &event.link);
                mailer::send(&mut *conn, mailer::alert(to, &org_name, &event.title, &event.body, &link)).await?;
                sent.emailed += 1;
            }
        }
    }
    // Emails held for quiet hours that have ended.
    let held = sqlx::query!(
        r#"UPDATE notifications n SET emailed_at = $2::text::timestamptz
           FROM users u WHERE u.id = n.user_id AND n.org_id = $1 AND n.email_after <= $2::text::timestamptz AND n.emailed_at IS NULL
           RETURNING u.email, n.title, n.body, n.link"#,
        org as _,
        at
    )
    .fetch_all(&mut *conn)
    .await?;
    for n in held {
        let link = mailer::page(&state.config.public_url, &n.link);
        mailer::send(&mut *conn, mailer::alert(&n.email, &org_name, &n.title, &n.body, &link)).await?;
        sent.emailed += 1;
    }
    Ok(sent)
}

/// The caller's notifications (the latest 100), unread count and settings.
pub async fn inbox(tx: &mut TenantTx) -> Result<Inbox, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let items = sqlx::query!(
        r#"SELECT event_key, kind, title, body, link, app.local_time(created_at, time_zone) AS "created_at!",
                  read_at IS NOT NULL AS "read!"
           FROM notifications WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, event_key LIMIT 100"#,
        org as _,
        user as _
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .filter_map(|r| {
        let kind = serde_json::from_value(serde_json::Value::String(r.kind)).ok()?;
        Some(Notification {
            key: r.event_key,
            kind,
            title: r.title,
            body: r.body,
            link: r.link,
            created_at: r.created_at,
            read: r.read,
        })
    })
    .collect();
    let unread = unread(tx).await?;
    let preferences = preferences(tx).await?;
    let facilities = sqlx::query!(
        r#"SELECT id AS "id!: FacilityId", name FROM facilities WHERE org_id = $1 AND status = 'active' ORDER BY lower(name)"#,
        org as _
    )
    .map(|r| (r.id, r.name))
    .fetch_all(tx.conn())
    .await?;
    Ok(Inbox { items, unread, preferences, facilities })
}

pub async fn unread(tx: &mut TenantTx) -> Result<i64, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL"#,
        tx.ctx().org_id() as _,
        tx.ctx().user_id() as _
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Marks one of the caller's notifications read, or all of them (`None`).
pub async fn mark_read(tx: &mut TenantTx, key: Option<&str>) -> Result<(), AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let done = sqlx::query!(
        "UPDATE notifications SET read_at = now() WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL \
         AND ($3::text IS NULL OR event_key = $3)",
        tx.ctx().org_id() as _,
        tx.ctx().user_id() as _,
        key
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    match (key, done) {
        (Some(_), 0) => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// The caller's settings: saved, or their role's defaults.
pub async fn preferences(tx: &mut TenantTx) -> Result<Preferences, AppError> {
    let r = sqlx::query!(
        r#"SELECT due_soon_hours, overdue, failed_cleaning, action_assigned, action_overdue, problem_reported, email,
                  to_char(quiet_from, 'HH24:MI') AS "quiet_from?", to_char(quiet_until, 'HH24:MI') AS "quiet_until?",
                  facility_ids AS "facility_ids?: Vec<FacilityId>"
           FROM alert_preferences WHERE org_id = $1 AND user_id = $2"#,
        tx.ctx().org_id() as _,
        tx.ctx().user_id() as _
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(match r {
        None => Preferences::for_role(tx.ctx().role()),
        Some(r) => Preferences {
            due_soon_hours: r.due_soon_hours,
            overdue: r.overdue,
            failed_cleaning: r.failed_cleaning,
            action_assigned: r.action_assigned,
            action_overdue: r.action_overdue,
            problem_reported: r.problem_reported,
            email: r.email,
            quiet_from: r.quiet_from,
            quiet_until: r.quiet_until,
            facilities: r.facility_ids,
        },
    })
}

/// Saves the caller's settings (checked: hours 1–72, quiet hours both or neither and as times,
/// facilities of this organization).
pub async fn save_preferences(tx: &mut TenantTx, prefs: &Preferences) -> Result<(), AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    if prefs.due_soon_hours.is_some_and(|h| !(1..=MAX_DUE_SOON_HOURS).contains(&h)) {
        return Err(AppError::Invalid(format!("Warn between 1 and {MAX_DUE_SOON_HOURS} hours before a due time.")));
    }
    let quiet = match (prefs.quiet_from.as_deref(), prefs.quiet_until.as_deref()) {
        (None, None) => None,
        (Some(from), Some(until)) => match (seconds_of_day(from), seconds_of_day(until)) {
            (Some(f), Some(u)) if f != u => Some((from.to_owned(), until.to_owned())),
            (Some(_), Some(_)) => {
                return Err(AppError::Invalid("Quiet hours start and end at different times.".into()))
            }
            _ => return Err(AppError::Invalid("Give quiet hours as times of day (HH:MM).".into())),
        },
        _ => return Err(AppError::Invalid("Give both ends of the quiet hours, or neither.".into())),
    };
    let org = tx.ctx().org_id();
    if let Some(chosen) = &prefs.facilities {
        let known: i64 = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM facilities WHERE org_id = $1 AND id = ANY($2::uuid[])"#,
            org as _,
            chosen as _
        )
        .fetch_one(tx.conn())
        .await?;
        if known != chosen.len() as i64 {
            return Err(AppError::NotFound);
        }
    }
    sqlx::query!(
        "INSERT INTO alert_preferences (org_id, user_id, due_soon_hours, overdue, failed_cleaning, action_assigned, \
                action_overdue, problem_reported, email, quiet_from, quiet_until, facility_ids) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::time, $11::text::time, $12) \
         ON CONFLICT (org_id, user_id) DO UPDATE SET due_soon_hours = $3, overdue = $4, failed_cleaning = $5, \
                action_assigned = $6, action_overdue = $7, problem_reported = $8, email = $9, quiet_from = $10::text::time, \
                quiet_until = $11::text::time, facility_ids = $12, updated_at = now()",
        org as _,
        tx.ctx().user_id() as _,
        prefs.due_soon_hours,
        prefs.overdue,
        prefs.failed_cleaning,
        prefs.action_assigned,
        prefs.action_overdue,
        prefs.problem_reported,
        prefs.email,
        quiet.as_ref().map(|q| q.0.as_str()),
        quiet.as_ref().map(|q| q.1.as_str()),
        prefs.facilities.as_ref() as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
