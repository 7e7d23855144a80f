//! Reports: the CSV and the PDF say what the database holds (amendments and verifications
//! included), the binder's trail verifies with the documented algorithm, inspectors see only
//! their facilities, change nothing, expire and are recorded, and retention holds.

mod inspectors;
mod issued_files;

use std::io::Read;

use cleantrack::model::ids::{EquipmentId, ExportId, FacilityId, LogId};
use cleantrack::model::reports::ExportInfo;
use cleantrack::model::role::Role;
use cleantrack::server::jobs::worker::{run_once, Outcome};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

/// A known data set in organization A: facility "Lab" (hood, three logs: a pass verified by
/// the supervisor, a pass amended to a fail with a reason) and facility "Kitchen" (one log).
pub struct Data {
    pub lab: FacilityId,
    pub kitchen: FacilityId,
    pub hood: EquipmentId,
    pub verified: LogId,
    pub amended: LogId,
    pub amendment: LogId,
}

pub async fn data(app: &TestApp, world: &World) -> Data {
    let admin = &world.a.member(Role::Admin).client;
    let (lab, hood) = facility_with_equipment(app, admin, "Lab", "Hood 1", "Room 2").await;
    let (kitchen, oven) = facility_with_equipment(app, admin, "Kitchen", "Oven", "").await;
    let staff = &world.a.member(Role::Staff).client;
    let log = |e: EquipmentId, notes: &'static str| {
        let e = e.to_string();
        async move {
            app.call(
                staff,
                "log_cleaning",
                &[("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", notes), NO_PROTOCOL],
            )
            .await
            .assert_ok()
            .json::<LogId>()
        }
    };
    let verified = log(hood, "=cmd|' /C calc'!A0").await;
    let amended = log(hood, "").await;
    log(oven, "Kitchen only").await;
    app.call(&world.a.member(Role::Supervisor).client, "verify_log", &[("log_id", &verified.to_string())])
        .await
        .assert_ok();
    let amendment: LogId = app
        .call(
            staff,
            "amend_log",
            &[
                ("log_id", &amended.to_string()),
                ("reason", "Residue found afterwards"),
                ("outcome", "fail"),
                ("notes", "Sash"),
                NO_PROTOCOL,
            ],
        )
        .await
        .assert_ok()
        .json();
    Data { lab, kitchen, hood, verified, amended, amendment }
}

async fn csv(app: &TestApp, client: &reqwest::Client, query: &str) -> (u16, Vec<csv::StringRecord>) {
    let response = client.get(app.url(&format!("/reports/logs.csv?{query}"))).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    if status != 200 {
        return (status, Vec::new());
    }
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), cleantrack::server::reports::csv_export::COLUMNS);
    (status, reader.records().map(Result::unwrap).collect())
}

/// Asks for an export and runs the job queue until it is done; returns the file.
pub async fn export(app: &TestApp, client: &reqwest::Client, kind: &str, facility: FacilityId) -> (ExportId, Vec<u8>) {
    let id: ExportId = app
        .call(client, "request_export", &[("kind", kind), ("facility", &facility.to_string())])
        .await
        .assert_ok()
        .json();
    while run_once(&app.state).await.unwrap() != Outcome::Idle {}
    let list: Vec<ExportInfo> = app.call(client, "list_exports", &[]).await.assert_ok().json();
    let info = list.iter().find(|x| x.id == id).expect("listed");
    assert_eq!((info.state.as_str(), info.percent()), ("ready", 100), "{info:?}");
    let response = client.get(app.url(&format!("/exports/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    // The list states the file's SHA-256, and it is the file's.
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(info.sha256.as_deref(), Some(hash.as_str()));
    (id, bytes)
}

pub fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a well-formed PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).expect("text can be extracted")
}

/// The PDF's text with every run of whitespace (a line wrapped in a paragraph) as one space.
pub fn pdf_words(bytes: &[u8]) -> String {
    pdf_text(bytes).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[sqlx::test]
async fn the_csv_and_the_pdf_say_what_the_database_holds(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let auditor = &world.a.member(Role::Auditor).client;

    let (status, rows) = csv(&app, auditor, "").await;
    assert_eq!(status, 200);
    let expected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cleaning_logs").fetch_one(&superuser_pool(&db).await).await.unwrap();
    assert_eq!(rows.len() as i64, expected);
    let by_id = |id: LogId| rows.iter().find(|r| &r[0] == id.to_string().as_str()).expect("log in the CSV").clone();
    let verified = by_id(d.verified);
    assert_eq!(
        (&verified[1], &verified[2], &verified[11], &verified[12]),
        ("Lab", "Hood 1", "Staff of Org A", "performed")
    );
    assert_eq!(&verified[20], "Supervisor of Org A");
    assert_eq!(&verified[16], "'=cmd|' /C calc'!A0", "a formula is defused");
    let amendment = by_id(d.amendment);
    assert_eq!(
        (&amendment[13], &amendment[17], &amendment[18]),
        ("fail", d.amended.to_string().as_str(), "Residue found afterwards")
    );
    assert_eq!(&by_id(d.amended)[19], d.amendment.to_string().as_str(), "the original names its amendment");
    // Filters: facility, outcome, equipment, period.
    assert_eq!(csv(&app, auditor, &format!("facility={}", d.kitchen)).await.1.len(), 1);
    assert_eq!(csv(&app, auditor, "outcome=fail").await.1.len(), 1);
    assert_eq!(csv(&app, auditor, &format!("equipment={}", d.hood)).await.1.len(), 3);
    assert_eq!(csv(&app, auditor, "to=2001-01-01").await.1.len(), 0);
    assert_eq!(csv(&app, auditor, "from=tomorrow").await.0, 422);
    assert_eq!(csv(&app, &world.a.member(Role::Staff).client, "").await.0, 403);

    let (_, pdf) = export(&app, auditor, "report_pdf", d.lab).await;
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for expected in [
        "Inspection report",
        "Facility: Lab",
        "Hood 1",
        "Signed by Staff of Org A (meaning: performed)",
        "Verified by Supervisor of Org A (meaning: verified)",
        &format!("Amends log {}. Reason: Residue found afterwards", d.amended),
        &format!("Amended by log {} (below)", d.amendment),
        "Failures (outcome fail): 1",
        "Cleaning logs in the period: 3",
        "page 1",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("Kitchen only"), "another facility's logs stay out");
    assert!(
        pdf_words(&pdf).contains("(server time), not re-authenticated (strict signatures off); performed"),
        "the signing time is the server's"
    );

    // A week later the hourly cleanup removes the file; the record of the export stays.
    sqlx::query("UPDATE exports SET finished_at = now() - interval '8 days'")
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap();
    cleantrack::server::jobs::photo_cleanup::run(&app.state).await.unwrap();
    let list: Vec<ExportInfo> = app.call(auditor, "list_exports", &[]).await.assert_ok().json();
    assert_eq!(list[0].state, "expired");
    assert_eq!(auditor.get(app.url(&format!("/exports/{}", list[0].id))).send().await.unwrap().status(), 404);
    // The chain was verified when the report was made; events were appended since (the
    // download itself is one), so the reported hash must be one of the chain's events.
    let reported = text.split("Hash of the last event: ").nth(1).expect("hash line").split_whitespace().next().unwrap();
    let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_events WHERE encode(hash, 'hex') = $1)")
        .bind(reported)
        .fetch_one(&superuser_pool(&db).await)
        .await
        .unwrap();
    assert!(known, "the reported hash {reported} is one of the chain's events");
}

#[sqlx::test]
async fn the_binders_trail_verifies_with_the_documented_algorithm(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let owner = &world.a.member(Role::Owner).client;
    // Supervisors export reports but not the binder (it holds the whole audit trail).
    app.call(
        &world.a.member(Role::Supervisor).client,
        "request_export",
        &[("kind", "binder"), ("facility", &d.lab.to_string())],
    )
    .await
    .assert_status(403);

    let (_, zip) = export(&app, owner, "binder", d.lab).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "MANIFEST.sig",
            "MANIFEST.txt",
            "VERIFY-AUDIT-TRAIL.txt",
            "audit-checkpoints.jsonl",
            "audit-signing-key.json",
            "audit-trail.jsonl",
            "cleaning-logs.csv",
            "compliance.csv",
            "inspection-report.pdf"
        ]
    );
    let read = |archive: &mut zip::ZipArchive<_>, name: &str| {
        let mut bytes = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    let pdf = read(&mut archive, "inspection-report.pdf");
    assert!(pdf_text(&pdf).contains("Facility: Lab"));
    let logs = String::from_utf8(read(&mut archive, "cleaning-logs.csv")).unwrap();
    assert_eq!(logs.lines().count(), 1 + 3, "header and the Lab's three logs");
    let compliance = String::from_utf8(read(&mut archive, "compliance.csv")).unwrap();
    assert_eq!(compliance.lines().last(), Some("All,Total,,,,,0,0,0,0,0,0,"), "the hood has no schedule: {compliance}");

    // Run the Python that the binder's own instructions give, on the binder's trail.
    let dir = crate::helpers::fresh_dir("binder");
    archive.extract(&dir).unwrap();
    let (ok, stdout) = crate::reports::issued_files::offline_check(&dir);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("events verify; last hash"), "{stdout}");

    // A changed line no longer verifies.
    let trail = std::fs::read_to_string(dir.join("audit-trail.jsonl")).unwrap();
    std::fs::write(dir.join("audit-trail.jsonl"), trail.replacen("Hood 1", "Hood 9", 1)).unwrap();
    assert!(!crate::reports::issued_files::offline_check(&dir).0, "an altered trail fails the documented check");
}

#[sqlx::test]
async fn retention_keeps_an_organization_and_its_records(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    data(&app, &world).await;
    let owner = &world.a.member(Role::Owner).client;
    app.call(owner, "update_settings", &[("retention_years", "0")]).await.assert_status(422);
    app.call(owner, "update_settings", &[("retention_years", "10")]).await.assert_ok();
    let err = sqlx::query("DELETE FROM organizations WHERE id = $1")
        .bind(world.a.id)
        .execute(&superuser_pool(&db).await)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("keeps its records until"), "{err}");
    // A member who leaves takes nothing with them: their logs stay in the export.
    let staff = world.a.member(Role::Staff).id.to_string();
    app.call(owner, "remove_member", &[("user_id", &staff)]).await.assert_ok();
    let (_, rows) = csv(&app, owner, "").await;
    assert!(rows.iter().filter(|r| &r[11] == "Staff of Org A").count() >= 3);
}

/// Keyset pages of 500: more logs than a page, many signed at the same instant, come out
/// once each and in order.
#[sqlx::test]
async fn the_csv_pages_through_many_logs_without_losing_or_repeating_one(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let su = superuser_pool(&db).await;
    sqlx::query(
        "INSERT INTO cleaning_logs (id, org_id, equipment_id, performed_by, signer_name, performed_at, received_at, outcome, \
                no_protocol_reason) \
         SELECT gen_random_uuid(), e.org_id, e.id, u.id, 'Bulk Signer', t, t, 'pass', 'Bulk' \
         FROM equipment e, users u, generate_series(1, 1200) n, \
              LATERAL (SELECT CASE WHEN n % 2 = 0 THEN timestamptz '2026-01-01 08:00Z' \
                                   ELSE timestamptz '2026-01-01 08:00Z' + n * interval '1 minute' END AS t) x \
         WHERE e.id = $1 AND u.email = 'staff@a.example'",
    )
    .bind(d.hood)
    .execute(&su)
    .await
    .unwrap();
    let (status, rows) = csv(&app, &world.a.member(Role::Owner).client, "").await;
    assert_eq!(status, 200);
    let ids: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!((rows.len(), ids.len()), (1204, 1204), "every log once");
    let times: Vec<&str> = rows.iter().map(|r| &r[9]).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
}
