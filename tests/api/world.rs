//! Two organizations with a signed-in member of every role in each: the cast of the
//! cross-tenant and role tests.

use std::collections::BTreeMap;

use cleantrack::model::ids::{EquipmentId, FacilityId, LogId, OrgId, UserId};
use cleantrack::model::role::Role;
use tokio::sync::OnceCell;

use crate::helpers::TestApp;

pub const PASSWORD: &str = "violet kettle harbour drum";

/// The fixture organizations have strict signatures off, for this reason: signing is tested in
/// signatures.rs and org_settings.rs, the other tests are about something else.
pub const STRICT_OFF_REASON: &str = "Test fixture: signing is not what these tests are about";

/// The reason a test gives for signing a cleaning of equipment that has no protocol (the
/// server requires one; `facility_with_equipment` assigns no protocol).
pub const NO_PROTOCOL: (&str, &str) = ("no_protocol_reason", "Protocol being written; cleaned per the manual");

pub struct Person {
    pub id: UserId,
    pub email: String,
    pub client: reqwest::Client,
}

pub struct Org {
    pub id: OrgId,

    pub members: BTreeMap<Role, Person>,
}

impl Org {
    pub fn member(&self, role: Role) -> &Person {
        &self.members[&role]
    }
}

pub struct World {
    pub a: Org,
    pub b: Org,
}

/// One argon2 hash of [`PASSWORD`] for every fixture user: hashing is the slow part.
async fn password_hash() -> &'static str {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async { cleantrack::server::auth::password::hash(PASSWORD.into()).await.unwrap() }).await
}

impl World {
    pub async fn build(app: &TestApp) -> World {
        World { a: org(app, "a").await, b: org(app, "b").await }
    }

    /// A new browser signed in as `email` (a fixture user) on `app`, which may be a second
    /// application on the same database.
    pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Client {
        let client = app.browser();
        app.call(&client, "login", &[("email", email), ("password", PASSWORD)]).await.assert_ok();
        client
    }
}

/// Creates facility `facility` (UTC) and one piece of equipment named `name` in it through the
/// real server functions, as `client` (an owner or admin).
pub async fn facility_with_equipment(
    app: &TestApp,
    client: &reqwest::Client,
    facility: &str,
    name: &str,
    location: &str,
) -> (FacilityId, EquipmentId) {
    let facility: FacilityId = app
        .call(client, "create_facility", &[("name", facility), ("address", ""), ("time_zone", "UTC")])
        .await
        .assert_ok()
        .json();
    let f = facility.to_string();
    let form = [
        ("facility_id", f.as_str()),
        ("name", name),
        ("kind", "Fume hood"),
        ("serial", ""),
        ("location", location),
        ("risk_level", "high"),
    ];
    let equipment: EquipmentId = app.call(client, "create_equipment", &form).await.assert_ok().json();
    (facility, equipment)
}

impl Person {
    /// Gives this person the platform-operator flag, as `cleantrack create-superuser` does.
    /// That command is another process: a running server sees the flag once its memory of the
    /// user has expired (`auth::cache::REMEMBERED_FOR`), which here is at once.
    pub async fn make_operator(&self, app: &TestApp) {
        sqlx::query("UPDATE users SET is_platform_operator = true WHERE id = $1")
            .bind(self.id)
            .execute(&app.pool)
            .await
            .unwrap();
        app.state.auth_cache.forget_user(self.id);
    }
}

/// Creates organization `tag` and its members directly in the database (a fixture, so it sets
/// the tenant context itself), then signs every member in through the real login endpoint.
async fn org(app: &TestApp, tag: &str) -> Org {
    let id = OrgId::new();
    let name = format!("Org {}", tag.to_uppercase());
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.org_id', $1, true)").bind(id.to_string()).execute(&mut *tx).await.unwrap();
    sqlx::query(
        "INSERT INTO organizations (id, name, strict_signatures, strict_off_reason) VALUES ($1, $2, false, $3)",
    )
    .bind(id)
    .bind(&name)
    .bind(STRICT_OFF_REASON)
    .execute(&mut *tx)
    .await
    .unwrap();
    let mut people = Vec::new();
    for role in Role::ALL {
        let user = UserId::new();
        let email = format!("{}@{tag}.example", role.as_str());
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now())",
        )
        .bind(user)
        .bind(&email)
        .bind(format!("{} of {name}", role.label()))
        .bind(password_hash().await)
        .execute(&mut *tx)
        .await
        .unwrap();
        // The inspector is a guest of every facility for a week.
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, access_until) \
             VALUES ($1, $2, $3, CASE WHEN $3 = 'inspector' THEN now() + interval '7 days' END)",
        )
        .bind(id)
        .bind(user)
        .bind(role)
        .execute(&mut *tx)
        .await
        .unwrap();
        people.push((role, user, email));
    }
    tx.commit().await.unwrap();
    let mut members = BTreeMap::new();
    for (role, id, email) in people {
        let client = World::sign_in(app, &email).await;
        members.insert(role, Person { id, email, client });
    }
    Org { id, members }
}

/// A cleaning recorded at the time it was performed (`at`, any Postgres time), as the server
/// would have written it then: a test cannot wait days for a history, and a backdated entry
/// through the API is a late entry. Signed by organization A's staff member, received 30
/// seconds after `at`; equipment without a protocol gets the `NO_PROTOCOL` reason.
pub async fn recorded(db: &sqlx::postgres::PgConnectOptions, equipment: EquipmentId, outcome: &str, at: &str) -> LogId {
    sqlx::query_scalar(
        "INSERT INTO cleaning_logs (id, org_id, equipment_id, protocol_id, protocol_version, performed_by, signer_name, \
                performed_at, received_at, outcome, notes, no_protocol_reason) \
         SELECT gen_random_uuid(), e.org_id, e.id, e.protocol_id, p.current_version, u.id, u.display_name, \
                $3::timestamptz, $3::timestamptz + interval '30 seconds', $2, 'noted', \
                CASE WHEN e.protocol_id IS NULL THEN $4 END \
         FROM equipment e LEFT JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id, users u \
         WHERE e.id = $1 AND u.email = 'staff@a.example' RETURNING id",
    )
    .bind(equipment)
    .bind(outcome)
    .bind(at)
    .bind(NO_PROTOCOL.1)
    .fetch_one(&crate::helpers::superuser_pool(db).await)
    .await
    .unwrap()
}

/// Sets a schedule (`every_n` `unit`s: "hours", "days", "weeks") on `equipment` as the admin
/// `client`, then moves its start `since` ago ("10 days"), as if it had been in place that long.
pub async fn scheduled_since(
    app: &TestApp,
    client: &reqwest::Client,
    db: &sqlx::postgres::PgConnectOptions,
    equipment: EquipmentId,
    (unit, every_n): (&str, &str),
    since: &str,
) {
    let e = equipment.to_string();
    app.call(client, "set_schedule", &[("equipment_id", e.as_str()), ("unit", unit), ("every_n", every_n)])
        .await
        .assert_ok();
    sqlx::query("UPDATE schedules SET starts_at = now() - $2::interval WHERE equipment_id = $1")
        .bind(equipment)
        .bind(since)
        .execute(&crate::helpers::superuser_pool(db).await)
        .await
        .unwrap();
}
