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
    let ctx = crate::server::auth::scope::demo_owner_ctx(org, owner);
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
    Ok(logins)
}
