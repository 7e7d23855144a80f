//! Level II monitoring rounds: start (the server draws the sample and records it), record each
//! surface's result, sign (which seals the round), and the rates per facility and over time. The
//! PDF summary for the infection-control committee is `summary_pdf`.

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, MonitoringRoundId};
use crate::model::logs::Signature;
use crate::model::monitoring::{Monitoring, RoundDetail, RoundSummary, Sample, UnitRate};
use crate::model::role::Action;
use crate::server::auth::TenantTx;
use crate::server::logs::signatures::Signer;

/// How a round is set up.
pub struct Setup {
    pub facility: FacilityId,
    pub sample_percent: i32,
    pub fluorescent: bool,
    pub atp: bool,
    pub atp_threshold: Option<i32>,
}

/// Starts a round: draws `sample_percent` of the facility's scheduled active equipment (all active
/// equipment when none is scheduled; at least one) at random and records the draw.
pub async fn start(tx: &mut TenantTx, setup: &Setup) -> Result<MonitoringRoundId, AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    if !(5..=100).contains(&setup.sample_percent) {
        return Err(AppError::Invalid("Sample between 5% and 100% of the surfaces (CDC suggests 10–15%).".into()));
    }
    if !setup.fluorescent && !setup.atp {
        return Err(AppError::Invalid("Choose what is checked: the fluorescent marker, ATP, or both.".into()));
    }
    let threshold = match (setup.atp, setup.atp_threshold) {
        (false, _) => None,
        (true, Some(t)) if (1..=100_000).contains(&t) => Some(t),
        (true, _) => return Err(AppError::Invalid("Give the ATP pass threshold in RLU (e.g. 250).".into())),
    };
    let (org, user, id) = (tx.ctx().org_id(), tx.ctx().user_id(), MonitoringRoundId::new());
    let eligible: Vec<EquipmentId> = sqlx::query_scalar!(
        r#"WITH active AS (SELECT e.id, EXISTS (SELECT 1 FROM schedules s WHERE s.org_id = e.org_id AND s.equipment_id = e.id) AS scheduled
                           FROM equipment e JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
                           WHERE e.org_id = $1 AND e.facility_id = $2 AND e.status = 'active' AND f.status = 'active')
           SELECT id AS "id!: EquipmentId" FROM active
           WHERE scheduled OR NOT EXISTS (SELECT 1 FROM active WHERE scheduled)"#,
        org as _,
        setup.facility as _
    )
    .fetch_all(tx.conn())
    .await?;
    if eligible.is_empty() {
        let known: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM facilities WHERE org_id = $1 AND id = $2) AS "v!""#,
            org as _,
            setup.facility as _
        )
        .fetch_one(tx.conn())
        .await?;
        return Err(if known {
            AppError::Invalid("This facility has no active equipment to sample.".into())
        } else {
            AppError::NotFound
        });
    }
    let size = ((eligible.len() as i64 * i64::from(setup.sample_percent) + 99) / 100).max(1);
    sqlx::query!(
        "INSERT INTO monitoring_rounds (id, org_id, facility_id, started_by, sample_percent, fluorescent, atp, atp_threshold, population) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id as _,
        org as _,
        setup.facility as _,
        user as _,
        setup.sample_percent,
        setup.fluorescent,
        setup.atp,
        threshold,
        eligible.len() as i32
    )
    .execute(tx.conn())
    .await?;
    // The draw: Postgres's random order over the eligible ids, kept as the round's sample.
    sqlx::query!(
        "INSERT INTO monitoring_samples (org_id, round_id, position, equipment_id) \
         SELECT $1, $2, row_number() OVER (), d.id FROM (SELECT id FROM unnest($3::uuid[]) AS u(id) ORDER BY random() LIMIT $4) d",
        org as _,
        id as _,
        &eligible as _,
        size
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Records what was found on one surface of an open round: the marker removed or not, the ATP
/// reading, a note. What the round checks must be given.
pub async fn record(
    tx: &mut TenantTx,
    round: MonitoringRoundId,
    position: i32,
    marker_removed: Option<bool>,
    atp_rlu: Option<i32>,
    notes: &str,
) -> Result<(), AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let org = tx.ctx().org_id();
    let setup = sqlx::query!(
        "SELECT fluorescent, atp, signed_at IS NOT NULL AS \"signed!\" FROM monitoring_rounds WHERE org_id = $1 AND id = $2 FOR UPDATE",
        org as _,
        round as _
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    if setup.signed {
        return Err(AppError::Conflict("This round is signed: its results no longer change.".into()));
    }
    if setup.fluorescent && marker_removed.is_none() {
        return Err(AppError::Invalid("Say whether the fluorescent marker was removed.".into()));
    }
    if setup.atp && atp_rlu.is_none() {
        return Err(AppError::Invalid("Give the ATP reading in RLU.".into()));
    }
    if atp_rlu.is_some_and(|r| !(0..=10_000_000).contains(&r)) {
        return Err(AppError::Invalid("An ATP reading is between 0 and 10,000,000 RLU.".into()));
    }
    let notes = notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::Invalid("Keep the note under 500 characters.".into()));
    }
    let done = sqlx::query!(
        "UPDATE monitoring_samples SET marker_removed = $4, atp_rlu = $5, notes = nullif($6, ''), recorded_by = $7, recorded_at = now() \
         WHERE org_id = $1 AND round_id = $2 AND position = $3",
        org as _,
        round as _,
        position,
        marker_removed.filter(|_| setup.fluorescent),
        atp_rlu.filter(|_| setup.atp),
        notes,
        tx.ctx().user_id() as _
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    crate::model::error::one_row(done)
}

/// Signs the round as its evaluator ("evaluated"), once every surface has its result; the
/// database seals the round and its results with the signature.
pub async fn sign(tx: &mut TenantTx, round: MonitoringRoundId, signer: &Signer) -> Result<(), AppError> {
    tx.ctx().require(Action::VerifyLogs)?;
    let (org, user) = (tx.ctx().org_id(), tx.ctx().user_id());
    let state = sqlx::query!(
        r#"SELECT r.signed_at IS NOT NULL AS "signed!",
                  (SELECT count(*) FROM monitoring_samples s WHERE s.org_id = r.org_id AND s.round_id = r.id AND s.recorded_at IS NULL) AS "missing!"
           FROM monitoring_rounds r WHERE r.org_id = $1 AND r.id = $2 FOR UPDATE"#,
        org as _,
        round as _
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    if state.signed {
        return Err(AppError::Conflict("This round is already signed.".into()));
    }
    if state.missing > 0 {
        return Err(AppError::Invalid(format!(
            "Record every surface before signing: {} still without a result.",
            state.missing
        )));
    }
    let signed_with = signer.authenticate(tx).await?;
    sqlx::query!(
        "UPDATE monitoring_rounds SET signed_by = $3, signer_name = (SELECT legal_name FROM users WHERE id = $3), \
                signature_meaning = 'evaluated', signed_with = $4, signed_at = now() \
         WHERE org_id = $1 AND id = $2",
        org as _,
        round as _,
        user as _,
        signed_with.as_str()
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The summaries of rounds (newest first; one facility or all; at most `limit`).
pub async fn rounds(
    tx: &mut TenantTx,
    facility: Option<FacilityId>,
    only: Option<MonitoringRoundId>,
    limit: i64,
) -> Result<Vec<RoundSummary>, AppError> {
    tx.ctx().require(Action::ViewAssets)?;
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id!: MonitoringRoundId", r.facility_id AS "facility_id!: FacilityId", f.name AS "facility!",
                  app.local_time(r.started_at, f.time_zone) AS "started_at!",
                  to_char(r.started_at AT TIME ZONE f.time_zone, 'YYYY-MM-DD') AS "day!",
                  u.legal_name AS "started_by!", r.fluorescent, r.atp, r.atp_threshold,
                  count(s.position) AS "sampled!", count(s.recorded_at) AS "recorded!",
                  count(*) FILTER (WHERE s.recorded_at IS NOT NULL AND (NOT r.fluorescent OR s.marker_removed)
                                   AND (NOT r.atp OR s.atp_rlu <= r.atp_threshold)) AS "passed!",
                  r.signer_name, r.signature_meaning, r.signed_with, app.local_time(r.signed_at, f.time_zone) AS "signed_at?"
           FROM monitoring_rounds r
           JOIN facilities f ON f.org_id = r.org_id AND f.id = r.facility_id
           JOIN users u ON u.id = r.started_by
           LEFT JOIN monitoring_samples s ON s.org_id = r.org_id AND s.round_id = r.id
           WHERE r.org_id = $1 AND ($2::uuid IS NULL OR r.facility_id = $2) AND ($3::uuid IS NULL OR r.id = $3)
           GROUP BY r.org_id, r.id, f.org_id, f.id, u.id
           ORDER BY r.started_at DESC LIMIT $4"#,
        tx.ctx().org_id() as _,
        facility as _,
        only as _,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut method = Vec::new();
            if r.fluorescent {
                method.push("fluorescent marker".to_owned());
            }
            if let Some(t) = r.atp_threshold.filter(|_| r.atp) {
                method.push(format!("ATP ≤ {t} RLU"));
            }
            RoundSummary {
                id: r.id,
                facility_id: r.facility_id,
                facility: r.facility,
                started_at: r.started_at,
                day: r.day,
                started_by: r.started_by,
                method: method.join(" and "),
                sampled: r.sampled,
                recorded: r.recorded,
                passed: r.passed,
                signed: r.signer_name.zip(r.signed_at).map(|(name, at)| Signature {
                    name,
                    meaning: r.signature_meaning.unwrap_or_default(),
                    at,
                    signed_with: r.signed_with,
                }),
            }
        })
        .collect())
}

/// The monitoring page: rounds, facilities, and each facility's rate over its signed rounds.
pub async fn overview(tx: &mut TenantTx, facility: Option<FacilityId>) -> Result<Monitoring, AppError> {
    let rounds = rounds(tx, facility, None, 200).await?;
    let org = tx.ctx().org_id();
    let facilities = sqlx::query!(
        r#"SELECT id AS "id!: FacilityId", name FROM facilities WHERE org_id = $1 AND status = 'active' ORDER BY lower(name)"#,
        org as _
    )
    .map(|r| (r.id, r.name))
    .fetch_all(tx.conn())
    .await?;
    let units = sqlx::query_as!(
        UnitRate,
        r#"SELECT f.id AS "facility_id!: FacilityId", f.name AS "facility!", count(DISTINCT r.id) AS "rounds!",
                  count(s.position) AS "checked!",
                  count(*) FILTER (WHERE s.position IS NOT NULL AND (NOT r.fluorescent OR s.marker_removed)
                                   AND (NOT r.atp OR s.atp_rlu <= r.atp_threshold)) AS "passed!"
           FROM monitoring_rounds r
           JOIN facilities f ON f.org_id = r.org_id AND f.id = r.facility_id
           LEFT JOIN monitoring_samples s ON s.org_id = r.org_id AND s.round_id = r.id
           WHERE r.org_id = $1 AND r.signed_at IS NOT NULL AND ($2::uuid IS NULL OR r.facility_id = $2)
           GROUP BY f.org_id, f.id ORDER BY lower(f.name)"#,
        org as _,
        facility as _
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(Monitoring { rounds, facilities, units })
}

/// One round with its sample, for recording and signing.
pub async fn detail(tx: &mut TenantTx, round: MonitoringRoundId) -> Result<RoundDetail, AppError> {
    let summary = rounds(tx, None, Some(round), 1).await?.into_iter().next().ok_or(AppError::NotFound)?;
    let org = tx.ctx().org_id();
    let setup = sqlx::query!(
        "SELECT r.fluorescent, r.atp, r.atp_threshold, r.sample_percent, r.population, o.strict_signatures \
         FROM monitoring_rounds r JOIN organizations o ON o.id = r.org_id WHERE r.org_id = $1 AND r.id = $2",
        org as _,
        round as _
    )
    .fetch_one(tx.conn())
    .await?;
    let samples = sqlx::query!(
        r#"SELECT s.position, s.equipment_id AS "equipment_id!: EquipmentId", e.name, e.location, s.marker_removed,
                  s.atp_rlu, s.notes, s.recorded_at IS NOT NULL AS "recorded!"
           FROM monitoring_samples s JOIN equipment e ON e.org_id = s.org_id AND e.id = s.equipment_id
           WHERE s.org_id = $1 AND s.round_id = $2 ORDER BY s.position"#,
        org as _,
        round as _
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|s| {
        let passed = s.recorded.then(|| {
            (!setup.fluorescent || s.marker_removed == Some(true))
                && (!setup.atp || s.atp_rlu.zip(setup.atp_threshold).is_some_and(|(r, t)| r <= t))
        });
        Sample {
            position: s.position,
            equipment_id: s.equipment_id,
            equipment: s.name,
            location: s.location,
            marker_removed: s.marker_removed,
            atp_rlu: s.atp_rlu,
            notes: s.notes,
            passed,
        }
    })
    .collect();
    Ok(RoundDetail {
        summary,
        fluorescent: setup.fluorescent,
        atp: setup.atp,
        atp_threshold: setup.atp_threshold,
        sample_percent: setup.sample_percent,
        population: setup.population,
        samples,
        strict_signatures: setup.strict_signatures,
    })
}

/// `GET /reports/monitoring.pdf?facility=`: the summary for the infection-control committee:
/// each facility's rate over its signed rounds, then every round (newest first) with its
/// evaluator's signature and the surfaces that failed. Recorded as downloaded and issued (anyone
/// can check the file at /verify).
pub async fn summary_pdf(
    state: &crate::server::state::AppState,
    auth: &crate::server::auth::AuthSession,
    parts: &axum::http::request::Parts,
    query: &std::collections::HashMap<String, String>,
) -> Result<(crate::server::auth::TenantCtx, Vec<u8>), AppError> {
    use crate::server::reports::csv_export::{begin_file, issue};
    use crate::server::reports::layout::{Font, Layout};

    let about = ("reports.monitoring_exported", "monitoring_rounds");
    let (ctx, facility) = begin_file(state, auth, parts, query, about, serde_json::json!({})).await?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let overview = overview(&mut tx, facility).await?;
    let mut failures = Vec::new();
    for round in overview.rounds.iter().filter(|r| r.signed.is_some()) {
        let detail = detail(&mut tx, round.id).await?;
        failures.push(detail.samples.into_iter().filter(|s| s.passed == Some(false)).collect::<Vec<_>>());
    }
    let org_name = sqlx::query_scalar!("SELECT name FROM organizations WHERE id = $1", ctx.org_id() as _)
        .fetch_one(tx.conn())
        .await?;
    let generated =
        sqlx::query_scalar!(r#"SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS "v!""#)
            .fetch_one(tx.conn())
            .await?;
    tx.commit().await?;

    let rate = |r: Option<f64>| r.map_or_else(|| "no result".to_owned(), |r| format!("{r:.0}%"));
    let write = || -> std::io::Result<Vec<u8>> {
        let header = format!("{org_name} · Level II monitoring");
        let mut doc = Layout::new(Vec::new(), header, format!("CleanTrack · generated {generated}"))?;
        doc.line(0.0, Font::Bold, 18.0, "Environmental cleaning: Level II monitoring")?;
        doc.line(0.0, Font::Regular, 11.0, &format!("Organization: {org_name}"))?;
        doc.line(0.0, Font::Regular, 11.0, &format!("Generated: {generated}"))?;
        doc.paragraph(
            0.0,
            Font::Regular,
            9.5,
            "Thoroughness of cleaning (CDC, Options for Evaluating Environmental Cleaning, 2010): the share of \
             surfaces in a random sample whose fluorescent marker was removed and/or whose ATP reading was at or \
             under the round's threshold. Only rounds signed by their evaluator count.",
        )?;
        doc.gap(8.0);
        doc.line(0.0, Font::Bold, 13.0, "Rate per unit")?;
        if overview.units.is_empty() {
            doc.line(0.0, Font::Regular, 10.5, "No signed round.")?;
        }
        for u in &overview.units {
            doc.line(
                0.0,
                Font::Regular,
                10.5,
                &format!(
                    "{}: {} ({} of {} surfaces, {} rounds)",
                    u.facility,
                    rate(u.rate()),
                    u.passed,
                    u.checked,
                    u.rounds
                ),
            )?;
        }
        doc.gap(8.0);
        doc.line(0.0, Font::Bold, 13.0, "Signed rounds, newest first")?;
        for (round, failed) in overview.rounds.iter().filter(|r| r.signed.is_some()).zip(&failures) {
            doc.gap(4.0);
            doc.ensure(40.0)?;
            doc.line(
                0.0,
                Font::Bold,
                10.5,
                &format!(
                    "{} · {}: {} ({} of {} passed)",
                    round.facility,
                    round.started_at,
                    rate(round.rate()),
                    round.passed,
                    round.recorded
                ),
            )?;
            doc.line(
                12.0,
                Font::Regular,
                9.5,
                &format!("Checks: {} · sample of {} surfaces", round.method, round.sampled),
            )?;
            if let Some(s) = &round.signed {
                doc.line(
                    12.0,
                    Font::Regular,
                    9.5,
                    &format!(
                        "Signed \u{201c}{}\u{201d} by {} at {} · {}",
                        s.meaning,
                        s.name,
                        s.at,
                        crate::model::logs::signed_with_label(s.signed_with.as_deref())
                    ),
                )?;
            }
            for f in failed {
                let found = [
                    f.marker_removed.filter(|m| !m).map(|_| "marker still there".to_owned()),
                    f.atp_rlu.map(|r| format!("{r} RLU")),
                    f.notes.clone(),
                ];
                let found: Vec<String> = found.into_iter().flatten().collect();
                doc.line(12.0, Font::Regular, 9.5, &format!("Failed: {} ({})", f.equipment, found.join(", ")))?;
            }
        }
        doc.finish("Level II monitoring summary")
    };
    let body = write()?;
    issue(state, &ctx, &body, "monitoring_pdf").await?;
    Ok((ctx, body))
}
