//! The daily digest: each organization's supervisors get the list of overdue equipment and of
//! reviews (required verifications) past the organization's deadline.
//!
//! One job per day (whichever instance enqueues it first) lists the organizations in a
//! read-only transaction that names its purpose, and enqueues one job per organization. That
//! job works inside its organization only ([`OrgJobTx`]), and records the day in `digest_runs`
//! in the same transaction as the emails, so running it twice sends nothing twice.

use serde::{Deserialize, Serialize};

use super::{JobError, JobKind, Recurring};
use crate::model::ids::OrgId;
use crate::server::auth::scope::OrgJobTx;
use crate::server::mailer;
use crate::server::state::AppState;

/// The day's digest: fans out to one [`OrgDigest`] per organization.
pub struct Digest;

#[derive(Serialize, Deserialize)]
pub struct Day {
    /// YYYY-MM-DD (UTC).
    pub day: String,
}

impl JobKind for Digest {
    const KIND: &'static str = "overdue_digest";
    type Payload = Day;
    async fn run(state: &AppState, payload: Day) -> Result<(), JobError> {
        fan_out(state, &payload.day).await
    }
}

impl Recurring for Digest {
    async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
        schedule_due(state).await
    }
}

/// One organization's digest of one day.
pub struct OrgDigest;

#[derive(Serialize, Deserialize)]
pub struct OrgDay {
    pub day: String,
    pub org: OrgId,
}

impl JobKind for OrgDigest {
    const KIND: &'static str = "overdue_digest_org";
    type Payload = OrgDay;
    async fn run(state: &AppState, payload: OrgDay) -> Result<(), JobError> {
        run_org(state, &payload.day, payload.org).await
    }
}

const KIND: &str = Digest::KIND;
/// The longest list an email carries; the link leads to the rest.
const MAX_ITEMS: i64 = 50;
/// The digest goes out after this hour (UTC).
const HOUR_UTC: i32 = 6;

/// Enqueues today's digest once it is due, unless some instance already did.
async fn schedule_due(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let (due, day): (bool, String) = sqlx::query!("SELECT extract(hour FROM now() AT TIME ZONE 'UTC') >= $1::int AS \"due!: bool\", to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS \"day!: String\"", HOUR_UTC).map(|r| (r.due, r.day))
    .fetch_one(&mut *tx)
    .await?;
    if !due {
        return Ok(false);
    }
    let added = schedule_for(&mut tx, &day).await?;
    tx.commit().await?;
    Ok(added)
}

/// Enqueues the digest of `day` (YYYY-MM-DD) unless it was enqueued before.
pub async fn schedule_for(conn: &mut sqlx::PgConnection, day: &str) -> Result<bool, sqlx::Error> {
    super::enqueue_once::<Digest>(conn, &Day { day: day.to_owned() }, &format!("{KIND}:{day}")).await
}

/// Fans out: one job per organization, each enqueued once per day.
async fn fan_out(state: &AppState, day: &str) -> Result<(), JobError> {
    let orgs = super::organizations_for_scheduler_unscoped(state).await.map_err(retry)?;
    let mut tx = state.pool.begin().await.map_err(retry)?;
    for org in &orgs {
        let payload = OrgDay { day: day.to_owned(), org: *org };
        super::enqueue_once::<OrgDigest>(&mut tx, &payload, &format!("{KIND}:{day}:{org}")).await.map_err(retry)?;
    }
    tx.commit().await.map_err(retry)?;
    tracing::info!(organizations = orgs.len(), day, "overdue digest fanned out");
    Ok(())
}

fn retry(err: sqlx::Error) -> JobError {
    JobError::Retry(err.to_string())
}

/// One organization's digest: the overdue list to each supervisor (to owners and admins when
/// there is no supervisor), unless this day's was sent already or nothing is overdue.
async fn run_org(state: &AppState, day: &str, org: OrgId) -> Result<(), JobError> {
    let mut tx = OrgJobTx::begin(&state.pool, org).await.map_err(retry)?;
    let overdue: Vec<(String, String, String, String)> = sqlx::query!("SELECT e.name AS \"name!: String\", f.name AS \"facility!: String\", e.location AS \"location!: String\", app.local_time(d.next_due_at, d.time_zone) AS \"next_due!: String\" \
         FROM equipment_due d JOIN equipment e ON e.org_id = d.org_id AND e.id = d.equipment_id \
         JOIN facilities f ON f.org_id = d.org_id AND f.id = d.facility_id \
         WHERE d.org_id = $1 AND d.next_due_at < now() ORDER BY d.next_due_at, lower(e.name) LIMIT $2", org as _, MAX_ITEMS).map(|r| (r.name, r.facility, r.location, r.next_due))
    .fetch_all(tx.conn())
    .await
    .map_err(retry)?;
    let (org_name, recipients): (String, Vec<String>) = sqlx::query!(
        "SELECT o.name AS \"name!: String\", ARRAY(SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE m.org_id = o.id AND u.email_verified_at IS NOT NULL \
                  AND (m.role = 'supervisor' OR (m.role IN ('owner', 'admin') AND NOT EXISTS \
                       (SELECT 1 FROM memberships s WHERE s.org_id = o.id AND s.role = 'supervisor'))) \
                ORDER BY u.email) AS \"recipients!: Vec<String>\" \
         FROM organizations o WHERE o.id = $1",
        org as _
    )
    .map(|r| (r.name, r.recipients))
    .fetch_one(tx.conn())
    .await
    .map_err(retry)?;
    let reviews = crate::server::logs::reviews::overdue_lines(tx.conn(), org, MAX_ITEMS).await.map_err(retry)?;
    let send = (!overdue.is_empty() || !reviews.is_empty()) && !recipients.is_empty();
    let first_run = sqlx::query!(
        "INSERT INTO digest_runs (org_id, day, sent_to, overdue) VALUES ($1, $2::date, $3, $4) ON CONFLICT DO NOTHING",
        org as _,
        day as _,
        if send { recipients.len() as i32 } else { 0 },
        (overdue.len() + reviews.len()) as i32
    )
    .execute(tx.conn())
    .await
    .map_err(retry)?
    .rows_affected()
        == 1;
    if first_run && send {
        let items: Vec<String> = overdue
            .iter()
            .map(|(name, facility, location, since)| {
                let place =
                    [facility.as_str(), location.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
                format!("{name} ({}): overdue since {since}", place.join(" · "))
            })
            .chain(reviews.iter().cloned())
            .collect();
        let link = mailer::page(&state.config.public_url, "/equipment?overdue=1");
        for to in &recipients {
            mailer::send(tx.conn(), mailer::overdue_digest(to, &org_name, &items, &link)).await.map_err(retry)?;
        }
    }
    tx.commit().await.map_err(retry)?;
    tracing::info!(%org, day, overdue = overdue.len(), reviews = reviews.len(), sent = first_run && send, "overdue digest");
    Ok(())
}
