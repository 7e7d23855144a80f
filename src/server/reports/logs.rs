//! The cleaning logs a report covers, read in keyset pages so that a year of a large
//! organization never sits in memory. Shared by the CSV export and the PDF report.

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, LogId, OrgId};
use crate::model::logs::{ChecklistEntry, Outcome};
use crate::model::reports::LogFilter;
use crate::server::auth::TenantTx;

/// Rows per page: large enough to keep round trips few, small enough to keep memory flat.
pub const PAGE: i64 = 500;

const UTC: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

/// One log with everything an inspector reads about it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: LogId,
    pub facility: String,
    pub time_zone: String,
    pub equipment_id: EquipmentId,
    pub equipment: String,
    pub short_code: String,
    pub serial: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<i32>,
    /// In the facility's time zone, as people on site read it.
    pub performed_local: String,
    pub performed_at: String,
    pub received_at: String,
    pub signer_name: String,
    pub signature_meaning: String,
    /// How the signer re-authenticated (`model::logs::signed_with_label`).
    pub signed_with: Option<String>,
    pub outcome: Outcome,
    pub steps_done: i32,
    pub steps_total: i32,
    pub notes: String,
    pub amends: Option<LogId>,
    pub amendment_reason: Option<String>,
    /// Later logs that amend this one.
    pub amended_by: Vec<LogId>,
    pub verified_by: Option<String>,
    pub verification_meaning: Option<String>,
    pub verification_signed_with: Option<String>,
    pub verified_at: Option<String>,
    /// SHA-256 (hex) of each attached photo, in order.
    pub photo_sha256: Vec<String>,
    /// Storage keys of the photos' thumbnails, in the same order.
    pub thumb_keys: Vec<String>,
    /// The due time this cleaning answered (`app.answered_due`), UTC; none when it does not count
    /// or its equipment had no schedule.
    pub due_at: Option<String>,
    /// How it counted toward compliance: `on_time`, `late_entry`, `late`, `pending` (awaiting
    /// verification), `failed` (never counts), `corrected` (a later log counts instead), or
    /// `not_scheduled`.
    pub counted_as: String,
    /// Recorded more than the organization's window after it was performed, and why.
    pub late_entry: bool,
    pub late_entry_reason: Option<String>,
    /// Captured on a phone without a connection; `received_at` is when it synced.
    pub entered_offline: bool,
    /// The signer's reason for signing without a protocol.
    pub no_protocol_reason: Option<String>,
    /// Each step's result, reading, remark or N/A reason, as signed.
    pub checklist: sqlx::types::Json<Vec<ChecklistEntry>>,
    /// The disinfectant's lot and expiry, and the seconds of wet contact, when recorded.
    pub product_lot: Option<String>,
    pub product_expiry: Option<String>,
    pub contact_seconds: Option<i32>,
    /// The keyset cursor: performed_at as the database has it.
    pub performed_ts: time::OffsetDateTime,
}

/// The logs matching a filter: parameters $1 (organization) to $7, bound by `bind_filter`.
/// Not `sqlx::query!`: spliced into the page and the totals, so the filter is written once (a
/// SQL function would hide the conditions from the planner, which the page's keyset walk
/// needs); fixed text, never input, and both queries run in the report and export tests.
/// Only `cleaning_logs l` is in scope, so a page can walk the (org, performed_at, id) index
/// and stop after a page's worth; facility and period (days in each facility's time zone) are
/// checked through the log's equipment.
const MATCHING: &str = "l.org_id = $1 \
     AND ($3::uuid IS NULL OR l.equipment_id = $3) \
     AND ($6::text IS NULL OR l.outcome = $6) \
     AND ($7::uuid IS NULL OR l.performed_by = $7) \
     AND (($2::uuid IS NULL AND $4::date IS NULL AND $5::date IS NULL) OR EXISTS ( \
         SELECT 1 FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         WHERE e.org_id = l.org_id AND e.id = l.equipment_id \
           AND ($2::uuid IS NULL OR e.facility_id = $2) \
           AND ($4::date IS NULL OR l.performed_at >= $4::date::timestamp AT TIME ZONE f.time_zone) \
           AND ($5::date IS NULL OR l.performed_at < ($5::date + 1)::timestamp AT TIME ZONE f.time_zone)))";

/// Binds [`MATCHING`]'s parameters, to any sqlx query.
trait BindFilter: Sized {
    fn bind_filter(self, org: OrgId, filter: &LogFilter) -> Self;
}

macro_rules! bind_filter_for {
    ($($query:ty),+) => {$(
        impl<'q, O> BindFilter for $query {
            fn bind_filter(self, org: OrgId, filter: &LogFilter) -> Self {
                self.bind(org)
                    .bind(filter.facility)
                    .bind(filter.equipment)
                    .bind(filter.from.clone())
                    .bind(filter.to.clone())
                    .bind(filter.outcome.clone())
                    .bind(filter.person)
            }
        }
    )+};
}
bind_filter_for!(
    sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
);

/// Where a page ends; the next page starts after it.
#[derive(Debug, Clone, Default)]
pub struct Cursor(Option<(time::OffsetDateTime, LogId)>);

/// The next page of logs matching `filter` after `cursor`, ordered by performed time, then id;
/// empty at the end. The caller's context decides what is visible (an inspector's facilities).
pub async fn page(tx: &mut TenantTx, filter: &LogFilter, cursor: &mut Cursor) -> Result<Vec<LogRow>, AppError> {
    let org = tx.ctx().org_id();
    let (after_at, after_id) = cursor.0.unzip();
    // Plans made for these values: a generic plan cannot see which filters are empty, and
    // would walk every log for each page.
    sqlx::query!("SET LOCAL plan_cache_mode = force_custom_plan").execute(tx.conn()).await?;
    let rows: Vec<LogRow> = sqlx::query_as(&format!(
        "WITH page AS MATERIALIZED ( \
             SELECT l.* FROM cleaning_logs l WHERE {MATCHING} \
               AND ($8::timestamptz IS NULL OR (l.performed_at >= $8::timestamptz AND (l.performed_at, l.id) > ($8::timestamptz, $9::uuid))) \
             ORDER BY l.performed_at, l.id LIMIT $10) \
         SELECT l.id, f.name AS facility, f.time_zone, e.id AS equipment_id, e.name AS equipment, e.short_code, e.serial, \
                p.name AS protocol, l.protocol_version, \
                app.local_time(l.performed_at, f.time_zone) AS performed_local, \
                to_char(l.performed_at AT TIME ZONE 'UTC', {UTC}) AS performed_at, \
                to_char(l.received_at AT TIME ZONE 'UTC', {UTC}) AS received_at, \
                l.signer_name, l.signature_meaning, l.signed_with, l.outcome, \
                (SELECT count(*) FILTER (WHERE (i->>'done')::boolean) FROM jsonb_array_elements(l.checklist) i)::int AS steps_done, \
                jsonb_array_length(l.checklist) AS steps_total, \
                l.notes, l.amends, l.amendment_reason, \
                ARRAY(SELECT a.id FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id ORDER BY a.received_at) AS amended_by, \
                v.signer_name AS verified_by, v.signature_meaning AS verification_meaning, \
                v.signed_with AS verification_signed_with, \
                to_char(v.verified_at AT TIME ZONE 'UTC', {UTC}) AS verified_at, \
                ARRAY(SELECT encode(ph.sha256, 'hex') FROM log_photos lp \
                      JOIN photos ph ON ph.org_id = lp.org_id AND ph.id = lp.photo_id \
                      WHERE lp.org_id = l.org_id AND lp.log_id = l.id ORDER BY lp.position) AS photo_sha256, \
                ARRAY(SELECT ph.thumb_key FROM log_photos lp \
                      JOIN photos ph ON ph.org_id = lp.org_id AND ph.id = lp.photo_id \
                      WHERE lp.org_id = l.org_id AND lp.log_id = l.id ORDER BY lp.position) AS thumb_keys, \
                to_char(d.due_at AT TIME ZONE 'UTC', {UTC}) AS due_at, \
                CASE WHEN l.outcome = 'fail' THEN 'failed' \
                     WHEN c.corrected THEN 'corrected' \
                     WHEN d.due_at IS NULL THEN 'not_scheduled' \
                     ELSE app.occasion_met(l.performed_at, d.due_at, l.late_entry, w.pending) END AS counted_as, \
                l.late_entry, l.late_entry_reason, l.entered_offline, \
                l.no_protocol_reason, l.checklist, l.product_lot, l.product_expiry::text AS product_expiry, \
                l.contact_seconds, l.performed_at AS performed_ts \
         FROM page l \
         CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id) AS corrected) c \
         LEFT JOIN LATERAL app.answered_due(l.org_id, l.equipment_id, l.performed_at) d ON l.outcome = 'pass' AND NOT c.corrected \
         CROSS JOIN LATERAL app.awaiting_verification(l.org_id, l.id, l.protocol_id, l.protocol_version) w \
         JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id \
         JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id \
         LEFT JOIN protocols p ON p.org_id = l.org_id AND p.id = l.protocol_id \
         LEFT JOIN verifications v ON v.org_id = l.org_id AND v.log_id = l.id \
         ORDER BY l.performed_at, l.id"
    ))
    .bind_filter(org, filter)
    .bind(after_at)
    .bind(after_id)
    .bind(PAGE)
    .fetch_all(tx.conn())
    .await?;
    if let Some(last) = rows.last() {
        cursor.0 = Some((last.performed_ts, last.id));
    }
    Ok(rows)
}

/// [`page`] in a transaction of its own, as the caller: long exports hold no transaction open
/// between pages.
pub async fn next_page(
    pool: &sqlx::PgPool,
    ctx: &crate::server::auth::TenantCtx,
    filter: &LogFilter,
    cursor: &mut Cursor,
) -> Result<Vec<LogRow>, AppError> {
    let mut tx = TenantTx::begin(pool, ctx).await?;
    let rows = page(&mut tx, filter, cursor).await?;
    tx.commit().await?;
    Ok(rows)
}

/// What a report's summary counts.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Totals {
    pub logs: i64,
    pub failures: i64,
    pub amendments: i64,
    pub verified: i64,
    /// Signatures (performed and verified) made without re-authentication: strict signatures
    /// were off.
    pub not_reauthenticated: i64,
}

pub async fn totals(tx: &mut TenantTx, filter: &LogFilter) -> Result<Totals, AppError> {
    let org = tx.ctx().org_id();
    Ok(sqlx::query_as(&format!(
        "SELECT count(*) AS logs, count(*) FILTER (WHERE l.outcome = 'fail') AS failures, \
                count(l.amends) AS amendments, count(v.log_id) AS verified, \
                count(*) FILTER (WHERE l.signed_with = 'session') + count(*) FILTER (WHERE v.signed_with = 'session') \
                    AS not_reauthenticated \
         FROM cleaning_logs l LEFT JOIN verifications v ON v.org_id = l.org_id AND v.log_id = l.id WHERE {MATCHING}"
    ))
    .bind_filter(org, filter)
    .fetch_one(tx.conn())
    .await?)
}
