//! `cleantrack demo-data`: a demonstration organization for development, created once through
//! the same tenant transactions as real work (so it is audited like everything else).

use sqlx::PgPool;

use crate::model::ids::{EquipmentId, FacilityId, OrgId, ProtocolId, UserId};
use crate::model::role::Role;
use crate::server::auth::{password, TenantTx};

pub const PASSWORD: &str = "demo harbour lantern 2026";
const DOMAIN: &str = "demo.cleantrack.test";

/// How much demo there is: the run command's default, or the load benchmark's.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Per facility (there are two).
    pub equipment_per_facility: usize,
    /// Days of cleaning history.
    pub days: i32,
}

impl Default for Scale {
    fn default() -> Scale {
        Scale { equipment_per_facility: 6, days: 30 }
    }
}

/// Creates the demo organization unless it exists; returns the sign-in addresses by role.
pub async fn create(pool: &PgPool, scale: Scale) -> anyhow::Result<Vec<(Role, String)>> {
    let logins: Vec<(Role, String)> = Role::ALL.iter().map(|r| (*r, format!("{}@{DOMAIN}", r.as_str()))).collect();
    let exists: bool =
        sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS \"v!\"", &logins[0].1)
            .fetch_one(pool)
            .await?;
    if exists {
        return Ok(logins);
    }
    let hash = password::hash(PASSWORD.to_owned()).await?;
    let (org, owner) = (OrgId::new(), UserId::new());
    let ctx = crate::server::auth::scope::demo_ctx(org, owner, Role::Owner);
    let mut tx = TenantTx::begin(pool, &ctx).await?;
    let mut users = Vec::new();
    for (role, email) in &logins {
        let id = if *role == Role::Owner { owner } else { UserId::new() };
        let name = format!("{} Demo", role.label().split(' ').next().unwrap_or("Member"));
        sqlx::query!("INSERT INTO users (id, email, display_name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now())", id as _, email, &name, &hash)
            .execute(tx.conn())
            .await?;
        users.push((*role, id));
    }
    sqlx::query!("INSERT INTO organizations (id, name) VALUES ($1, 'Demo Clinic')", org as _)
        .execute(tx.conn())
        .await?;
    // The inspector is a guest for 30 days, of the first facility (set once it exists).
    for (role, id) in &users {
        sqlx::query!("INSERT INTO memberships (org_id, user_id, role, access_until) \
             VALUES ($1, $2, $3::member_role, CASE WHEN $3::member_role = 'inspector' THEN now() + interval '30 days' END)", org as _, id as _, role as _)
        .execute(tx.conn())
        .await?;
    }

    let protocols = [
        (
            "Surface wipe",
            vec!["Remove visible soil", "Wipe all surfaces with disinfectant", "Leave wet for the contact time"],
            2,
            false,
        ),
        ("Autoclave clean", vec!["Cool down and open", "Remove trays", "Wipe chamber", "Run test cycle"], 10, true),
        (
            "Pump decontamination",
            vec!["Disconnect from patient", "Wipe housing and keypad", "Check for damage"],
            3,
            true,
        ),
    ];
    let mut protocol_ids = Vec::new();
    for (name, steps, minutes, verify) in protocols {
        let id = ProtocolId::new();
        sqlx::query!("INSERT INTO protocols (id, org_id, name) VALUES ($1, $2, $3)", id as _, org as _, name)
            .execute(tx.conn())
            .await?;
        sqlx::query!("INSERT INTO protocol_versions (org_id, protocol_id, version, steps, disinfectant, contact_time_minutes, photo_required, \
             verification_required, created_by) VALUES ($1, $2, 1, $3, 'Alcohol 70%', $4, false, $5, $6)", org as _, id as _, sqlx::types::Json(&steps) as _, minutes, verify, owner as _)
        .execute(tx.conn())
        .await?;
        protocol_ids.push((id, steps));
    }

    // Pumps daily, autoclaves on weekdays by 18:00, benches every other day; in place for
    // as long as the history goes back.
    let schedules =
        [("days", Some(1), None), ("weekdays", None, Some(vec![1i16, 2, 3, 4, 5])), ("days", Some(2), None)];
    let mut equipment = Vec::new();
    let mut facilities = Vec::new();
    for (f, (facility_name, tz)) in
        [("Main Hospital", "Europe/Lisbon"), ("North Lab", "America/New_York")].into_iter().enumerate()
    {
        let facility = FacilityId::new();
        sqlx::query!(
            "INSERT INTO facilities (id, org_id, name, address, time_zone) VALUES ($1, $2, $3, '', $4)",
            facility as _,
            org as _,
            facility_name,
            tz
        )
        .execute(tx.conn())
        .await?;
        facilities.push(facility);
        if f == 0 {
            sqlx::query!(
                "UPDATE memberships SET facility_ids = ARRAY[$2::uuid] WHERE org_id = $1 AND role = 'inspector'",
                org as _,
                facility as _
            )
            .execute(tx.conn())
            .await?;
        }
        for i in 0..scale.equipment_per_facility {
            let (kind, p) = [("Infusion pump", 2), ("Autoclave", 1), ("Bench", 0)][i % 3];
            let id = EquipmentId::new();
            sqlx::query!("INSERT INTO equipment (id, org_id, facility_id, name, kind, location, risk_level, qr_token, short_code, protocol_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", id as _, org as _, facility as _, format!("{kind} {}", f * scale.equipment_per_facility + i + 1), kind, format!("Room {}", 100 * (f + 1) + i % 50), ["low", "medium", "high", "critical"][(i + f) % 4], crate::server::auth::tokens::generate().token, format!("DM{}{:04}", (b'A' + f as u8) as char, i + 2), protocol_ids[p].0 as _)
            .execute(tx.conn())
            .await?;
            let (unit, every, days) = schedules[p].clone();
            sqlx::query!("INSERT INTO schedules (org_id, equipment_id, unit, every_n, weekdays, due_time, starts_at) \
                 VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 = 'weekdays' THEN time '18:00' END, now() - make_interval(days => $6 + 1))", org as _, id as _, unit, every, days as _, scale.days)
            .execute(tx.conn())
            .await?;
            equipment.push((id, p));
        }
    }

    tx.commit().await?;

    // The history: most pieces cleaned daily, some days skipped (so some are overdue now and
    // some cleanings late), an occasional failure, a few corrections; logs whose protocol
    // requires verification verified after a few hours except the last two days' (awaiting it),
    // and every third of the others. One statement and one transaction per piece
    // of equipment: every row extends the organization's audit chain, and a transaction that
    // extends it a hundred thousand times slows down with each row.
    let staff = users.iter().find(|(r, _)| *r == Role::Staff).map(|(_, id)| *id).unwrap_or(owner);
    let supervisor = users.iter().find(|(r, _)| *r == Role::Supervisor).map(|(_, id)| *id).unwrap_or(owner);
    for (n, (id, p)) in equipment.iter().enumerate() {
        let mut tx = TenantTx::begin(pool, &ctx).await?;
        let steps = &protocol_ids[*p].1;
        let checklist = |failed_first: bool| -> serde_json::Value {
            steps
                .iter()
                .enumerate()
                .map(|(s, step)| serde_json::json!({ "step": step, "done": !(failed_first && s == 0) }))
                .collect()
        };
        sqlx::query!("INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                    performed_at, received_at, checklist, outcome, notes) \
             SELECT gen_random_uuid(), $1, $2, $3, 1, $4, 'Staff Demo', t, t + interval '40 seconds', \
                    CASE WHEN fail THEN $7::jsonb ELSE $6::jsonb END, CASE WHEN fail THEN 'fail' ELSE 'pass' END, \
                    CASE WHEN fail THEN 'Residue left on the surface; cleaned again' ELSE '' END \
             FROM generate_series(1, $5) AS day, \
                  LATERAL (SELECT now() - make_interval(days => day, hours => $8 % 5, mins => $8 % 47) AS t, \
                                  (day * 7 + $8) % 23 = 0 AS fail) x \
             WHERE NOT ((day + $8) % 7 = 0 OR ($8 % 10 = 3 AND day < 6)) \
             ORDER BY t", org as _, id as _, protocol_ids[*p].0 as _, staff as _, scale.days, checklist(false), checklist(true), n as i32)
        .execute(tx.conn())
        .await?;
        // Every fourth piece: a recent cleaning corrected afterwards, as staff do when a lot
        // number was left out (the correction counts instead of the original).
        if n % 4 == 1 {
            sqlx::query!("INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, \
                        signer_name, performed_at, received_at, checklist, outcome, notes, amends, amendment_reason) \
                 SELECT gen_random_uuid(), org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                        performed_at, received_at + interval '2 hours', checklist, outcome, 'Disinfectant lot L2291', id, \
                        'The disinfectant lot number was left out' \
                 FROM cleaning_logs WHERE org_id = $1 AND equipment_id = $2 AND outcome = 'pass' \
                 ORDER BY performed_at DESC OFFSET 2 LIMIT 1", org as _, id as _)
            .execute(tx.conn())
            .await?;
        }
        sqlx::query!("INSERT INTO verifications (org_id, log_id, verified_by, signer_name, verified_at) \
             SELECT l.org_id, l.id, $2, 'Supervisor Demo', least(l.received_at + interval '3 hours', now()) \
             FROM cleaning_logs l \
             JOIN protocol_versions v ON v.org_id = l.org_id AND v.protocol_id = l.protocol_id AND v.version = l.protocol_version \
             WHERE l.org_id = $1 AND l.equipment_id = $3 \
               AND ((v.verification_required AND l.received_at < now() - interval '2 days') \
                    OR extract(day FROM l.performed_at)::int % 3 = 0) \
             ORDER BY l.performed_at", org as _, supervisor as _, id as _)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
    }
    let id_of = |role: Role| users.iter().find(|(r, _)| *r == role).map(|(_, id)| *id).unwrap_or(owner);
    let people = Cast { org, owner, staff: id_of(Role::Staff), supervisor: id_of(Role::Supervisor) };
    measured_and_corrected(pool, &people, facilities[0]).await?;
    monitoring_rounds(pool, &people, facilities[0]).await?;
    Ok(logins)
}

/// Who signs the demo's records.
struct Cast {
    org: OrgId,
    owner: UserId,
    staff: UserId,
    supervisor: UserId,
}

impl Cast {
    fn ctx(&self, user: UserId, role: Role) -> crate::server::auth::TenantCtx {
        crate::server::auth::scope::demo_ctx(self.org, user, role)
    }
}

/// A biosafety cabinet cleaned by a protocol that measures (ATP, chlorine, a remark; the lot and
/// expiry of the disinfectant; a timed contact): a failed cleaning whose corrective action was
/// closed by a passing re-clean, a later failure whose action is open and assigned, and a problem
/// reported from a sticker. Signed through the same code as real cleanings.
async fn measured_and_corrected(pool: &PgPool, people: &Cast, facility: FacilityId) -> anyhow::Result<()> {
    use crate::server::corrective_actions::{self, Resolution};
    use crate::server::logs::{self, checklist::Answers, signatures::Signer, LogForm};
    use crate::server::protocols::{self, ProtocolForm};

    let admin = people.ctx(people.owner, Role::Owner);
    let mut tx = TenantTx::begin(pool, &admin).await?;
    let form = ProtocolForm {
        name: "Cabinet ATP check".into(),
        steps: "Wipe all interior surfaces\nATP swab of the work surface [RLU ≤ 250]\nChlorine solution strength [ppm 500–1000]\nRemarks [text]".into(),
        disinfectant: "Sodium hypochlorite 0.1%".into(),
        contact_time_minutes: 1,
        contact_timed: true,
        product_lot_required: true,
        photo_required: false,
        verification_required: false,
    };
    let protocol = protocols::create(&mut tx, &form).await?;
    let cabinet = EquipmentId::new();
    sqlx::query!(
        "INSERT INTO equipment (id, org_id, facility_id, name, kind, location, risk_level, qr_token, short_code, protocol_id) \
         VALUES ($1, $2, $3, 'Biosafety cabinet 1', 'Biosafety cabinet', 'Lab 2', 'critical', $4, 'DMA0001', $5)",
        cabinet as _,
        people.org as _,
        facility as _,
        crate::server::auth::tokens::generate().token,
        protocol as _
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "INSERT INTO schedules (org_id, equipment_id, unit, every_n, starts_at) VALUES ($1, $2, 'days', 1, now() - interval '2 days')",
        people.org as _,
        cabinet as _
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;

    let staff = people.ctx(people.staff, Role::Staff);
    let clean = async |atp: &str, notes: &str| -> anyhow::Result<crate::model::ids::LogId> {
        let mut tx = TenantTx::begin(pool, &staff).await?;
        // Applied three minutes before signing, in the facility's time, as the phone's timer writes it.
        let applied: String = sqlx::query_scalar!(
            r#"SELECT to_char((now() - interval '3 minutes') AT TIME ZONE f.time_zone, 'HH24:MI:SS') AS "t!" FROM facilities f WHERE f.id = $1"#,
            facility as _
        )
        .fetch_one(tx.conn())
        .await?;
        let one = |v: &str| [("0".to_owned(), v.to_owned())].into_iter().collect();
        let answers = Answers {
            done: one("on"),
            readings: [("1".to_owned(), atp.to_owned()), ("2".to_owned(), "650".to_owned())].into_iter().collect(),
            texts: [("3".to_owned(), "Sash and grille wiped too".to_owned())].into_iter().collect(),
            ..Answers::default()
        };
        let form = LogForm {
            outcome: "pass".into(),
            notes: notes.into(),
            performed_at: None,
            answers,
            product_lot: Some("HC-2291".into()),
            product_expiry: Some("2027-06-30".into()),
            applied_at: Some(applied),
            photos: Vec::new(),
            submission_key: None,
            no_protocol_reason: None,
            performed_local: None,
            late_entry_reason: None,
            entered_offline: false,
        };
        let id = logs::record(&mut tx, cabinet, &form, &Signer::new(Some(PASSWORD.into()), false)).await?;
        tx.commit().await?;
        Ok(id)
    };
    clean("480", "").await?;
    let reclean = clean("90", "").await?;
    let supervisor = people.ctx(people.supervisor, Role::Supervisor);
    let mut tx = TenantTx::begin(pool, &supervisor).await?;
    let first = sqlx::query_scalar!(
        r#"SELECT id AS "id!: crate::model::ids::CorrectiveActionId" FROM corrective_actions WHERE org_id = $1 ORDER BY opened_at LIMIT 1"#,
        people.org as _
    )
    .fetch_one(tx.conn())
    .await?;
    corrective_actions::assign(&mut tx, first, Some(people.staff), None).await?;
    tx.commit().await?;
    let mut tx = TenantTx::begin(pool, &staff).await?;
    let note = "Cleaned again with fresh hypochlorite; ATP 90 RLU";
    corrective_actions::close(&mut tx, first, note, Resolution::Reclean(reclean)).await?;
    tx.commit().await?;
    clean("610", "Spill residue under the grille").await?;
    let mut tx = TenantTx::begin(pool, &supervisor).await?;
    let open = sqlx::query_scalar!(
        r#"SELECT id AS "id!: crate::model::ids::CorrectiveActionId" FROM corrective_actions WHERE org_id = $1 AND closed_at IS NULL LIMIT 1"#,
        people.org as _
    )
    .fetch_one(tx.conn())
    .await?;
    corrective_actions::assign(&mut tx, open, Some(people.staff), None).await?;
    // Reported by someone scanning a pump's sticker (the demo's panel is off, so written here).
    sqlx::query!(
        "INSERT INTO problem_reports (id, org_id, equipment_id, description, contact) \
         SELECT gen_random_uuid(), e.org_id, e.id, 'Alarm keeps beeping and the keypad is sticky', 'Ward 3 nurse station' \
         FROM equipment e WHERE e.org_id = $1 AND e.kind = 'Infusion pump' ORDER BY e.name LIMIT 1",
        people.org as _
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Level II monitoring in the first facility: four signed weekly rounds whose rate climbs (from
/// about 40% to 100% with six pieces and the cabinet), and today's round under way (half its surfaces recorded). The sample is drawn by
/// the database at random, as in a real round; the past rounds are dated back and signed an hour
/// after they started (the signature seals them as any).
async fn monitoring_rounds(pool: &PgPool, people: &Cast, facility: FacilityId) -> anyhow::Result<()> {
    use crate::model::ids::MonitoringRoundId;
    let supervisor = people.ctx(people.supervisor, Role::Supervisor);
    for (weeks_ago, pass_rate) in [(4, 40), (3, 55), (2, 70), (1, 85), (0, 0)] {
        let mut tx = TenantTx::begin(pool, &supervisor).await?;
        let round = MonitoringRoundId::new();
        sqlx::query!(
            "INSERT INTO monitoring_rounds (id, org_id, facility_id, started_by, started_at, sample_percent, fluorescent, atp, \
                    atp_threshold, population) \
             SELECT $1, $2, $3, $4, now() - make_interval(days => 7 * $5), 100, true, true, 250, count(*) \
             FROM equipment WHERE org_id = $2 AND facility_id = $3 AND status = 'active'",
            round as _,
            people.org as _,
            facility as _,
            people.supervisor as _,
            weeks_ago
        )
        .execute(tx.conn())
        .await?;
        // Every surface, in a random order; a share of them fail, by position.
        sqlx::query!(
            "INSERT INTO monitoring_samples (org_id, round_id, position, equipment_id, marker_removed, atp_rlu, recorded_by, recorded_at) \
             SELECT $1, $2, n, id, \
                    CASE WHEN $4 = 0 AND n % 2 = 0 THEN NULL ELSE (n * 10) % 100 < $5 OR n = 1 END, \
                    CASE WHEN $4 = 0 AND n % 2 = 0 THEN NULL WHEN (n * 10) % 100 < $5 OR n = 1 THEN 40 + n * 13 ELSE 380 + n * 7 END, \
                    CASE WHEN $4 = 0 AND n % 2 = 0 THEN NULL ELSE $3::uuid END, \
                    CASE WHEN $4 = 0 AND n % 2 = 0 THEN NULL ELSE now() - make_interval(days => 7 * $4) END \
             FROM (SELECT id, row_number() OVER (ORDER BY random())::int AS n FROM equipment \
                   WHERE org_id = $1 AND facility_id = $6 AND status = 'active') e",
            people.org as _,
            round as _,
            people.supervisor as _,
            weeks_ago,
            pass_rate,
            facility as _
        )
        .execute(tx.conn())
        .await?;
        if weeks_ago > 0 {
            sqlx::query!(
                "UPDATE monitoring_rounds SET signed_by = $3, signer_name = 'Supervisor Demo', signature_meaning = 'evaluated', \
                        signed_with = 'password', signed_at = started_at + interval '1 hour' \
                 WHERE org_id = $1 AND id = $2",
                people.org as _,
                round as _,
                people.supervisor as _
            )
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
