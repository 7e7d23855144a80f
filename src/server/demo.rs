//! `cleantrack demo-data`: a demonstration organization for development, created once through
//! the same tenant transactions as real work (so it is audited like everything else).

use sqlx::PgPool;

use crate::model::ids::{EquipmentId, FacilityId, LogId, OrgId, ProtocolId, UserId};
use crate::model::role::Role;
use crate::server::auth::{password, TenantTx};

pub const PASSWORD: &str = "demo harbour lantern 2026";
const DOMAIN: &str = "demo.cleantrack.test";

/// Creates the demo organization unless it exists; returns the sign-in addresses by role.
pub async fn create(pool: &PgPool) -> anyhow::Result<Vec<(Role, String)>> {
    let logins: Vec<(Role, String)> = Role::ALL.iter().map(|r| (*r, format!("{}@{DOMAIN}", r.as_str()))).collect();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(&logins[0].1)
        .fetch_one(pool)
        .await?;
    if exists {
        return Ok(logins);
    }
    let hash = password::hash(PASSWORD.to_owned()).await?;
    let (org, owner) = (OrgId::new(), UserId::new());
    let mut tx = TenantTx::begin(pool, &crate::server::auth::scope::demo_owner_ctx(org, owner)).await?;
    let mut users = Vec::new();
    for (role, email) in &logins {
        let id = if *role == Role::Owner { owner } else { UserId::new() };
        let name = format!("{} Demo", role.label().split(' ').next().unwrap_or("Member"));
        sqlx::query("INSERT INTO users (id, email, display_name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now())")
            .bind(id)
            .bind(email)
            .bind(&name)
            .bind(&hash)
            .execute(tx.conn())
            .await?;
        users.push((*role, id));
    }
    sqlx::query("INSERT INTO organizations (id, name) VALUES ($1, 'Demo Clinic')").bind(org).execute(tx.conn()).await?;
    for (role, id) in &users {
        sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(org)
            .bind(id)
            .bind(role)
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
        sqlx::query("INSERT INTO protocols (id, org_id, name) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(org)
            .bind(name)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "INSERT INTO protocol_versions (org_id, protocol_id, version, steps, disinfectant, contact_time_minutes, photo_required, \
             verification_required, created_by) VALUES ($1, $2, 1, $3, 'Alcohol 70%', $4, false, $5, $6)",
        )
        .bind(org)
        .bind(id)
        .bind(sqlx::types::Json(&steps))
        .bind(minutes)
        .bind(verify)
        .bind(owner)
        .execute(tx.conn())
        .await?;
        protocol_ids.push((id, steps));
    }

    let mut equipment = Vec::new();
    for (f, (facility_name, tz)) in
        [("Main Hospital", "Europe/Lisbon"), ("North Lab", "Europe/Lisbon")].into_iter().enumerate()
    {
        let facility = FacilityId::new();
        sqlx::query("INSERT INTO facilities (id, org_id, name, address, time_zone) VALUES ($1, $2, $3, '', $4)")
            .bind(facility)
            .bind(org)
            .bind(facility_name)
            .bind(tz)
            .execute(tx.conn())
            .await?;
        for i in 0..6 {
            let (kind, p) = [("Infusion pump", 2), ("Autoclave", 1), ("Bench", 0)][i % 3];
            let id = EquipmentId::new();
            sqlx::query(
                "INSERT INTO equipment (id, org_id, facility_id, name, kind, location, risk_level, qr_token, short_code, protocol_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(org)
            .bind(facility)
            .bind(format!("{kind} {}", f * 6 + i + 1))
            .bind(kind)
            .bind(format!("Room {}", 100 * (f + 1) + i))
            .bind(["low", "medium", "high", "critical"][(i + f) % 4])
            .bind(crate::server::auth::tokens::generate().token)
            .bind(format!("DEMO{}{}", (b'A' + f as u8) as char, i + 2))
            .bind(protocol_ids[p].0)
            .execute(tx.conn())
            .await?;
            equipment.push((id, p));
        }
    }

    // A month of cleanings: most pieces daily, a few skipped days, an occasional failure.
    let staff = users.iter().find(|(r, _)| *r == Role::Staff).map(|(_, id)| *id).unwrap_or(owner);
    let supervisor = users.iter().find(|(r, _)| *r == Role::Supervisor).map(|(_, id)| *id).unwrap_or(owner);
    for (n, (id, p)) in equipment.iter().enumerate() {
        let steps = &protocol_ids[*p].1;
        for day in 1..=30 {
            if (day + n) % 7 == 0 || (n == 3 && day < 6) {
                continue;
            }
            let fail = (day * 7 + n) % 23 == 0;
            let checklist: Vec<serde_json::Value> = steps
                .iter()
                .enumerate()
                .map(|(s, step)| serde_json::json!({ "step": step, "done": !(fail && s == 0) }))
                .collect();
            let log = LogId::new();
            sqlx::query(
                "INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                        performed_at, received_at, checklist, outcome, notes) \
                 VALUES ($1, $2, $3, $4, 1, $5, 'Staff Demo', now() - make_interval(days => $6, hours => $7), \
                         now() - make_interval(days => $6, hours => $7) + interval '40 seconds', $8, $9, $10)",
            )
            .bind(log)
            .bind(org)
            .bind(id)
            .bind(protocol_ids[*p].0)
            .bind(staff)
            .bind(day as i32)
            .bind((n % 5) as i32)
            .bind(serde_json::Value::Array(checklist))
            .bind(if fail { "fail" } else { "pass" })
            .bind(if fail { "Residue left on the surface; cleaned again" } else { "" })
            .execute(tx.conn())
            .await?;
            if day % 3 == 0 {
                sqlx::query("INSERT INTO verifications (org_id, log_id, verified_by, signer_name) VALUES ($1, $2, $3, 'Supervisor Demo')")
                    .bind(org)
                    .bind(log)
                    .bind(supervisor)
                    .execute(tx.conn())
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(logins)
}
