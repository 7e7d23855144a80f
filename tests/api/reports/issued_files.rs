//! Tamper evidence beyond the database: files we issue are recorded and signed, so `/verify`
//! tells anyone holding one whether it is ours and unchanged; chain checkpoints signed with a
//! key outside the database expose a trail that was rewritten and re-hashed inside it.

use std::io::Read;

use cleantrack::model::audit::{ChainCheck, FileIssue};
use cleantrack::model::role::Role;
use sha2::Digest;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::audit::cli_verify;
use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::reports::{data, export};
use crate::world::World;

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Uploads `bytes` to `/verify/file` as a visitor would; the answer is a redirect to the page
/// for the file's SHA-256.
async fn upload(app: &TestApp, bytes: Vec<u8>) -> String {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("report.pdf");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = app.browser().post(app.url("/verify/file")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn check(app: &TestApp, sha256: &str) -> Vec<FileIssue> {
    app.call(&app.browser(), "check_file", &[("sha256", sha256)]).await.assert_ok().json()
}

#[sqlx::test]
async fn a_file_of_a_says_only_who_issued_it_and_when(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let auditor = &world.a.member(Role::Auditor).client;

    // A genuine PDF: uploaded by anyone, it is named as Org A's report, and its issue's
    // signature verifies.
    let (_, pdf) = export(&app, auditor, "report_pdf", d.lab).await;
    let location = upload(&app, pdf.clone()).await;
    assert_eq!(location, format!("/verify?sha256={}", sha256(&pdf)));
    let issues = check(&app, &sha256(&pdf)).await;
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!((issues[0].organization.as_str(), issues[0].kind.as_str()), ("Org A", "report_pdf"));
    assert!(issues[0].signature_valid);
    let page = app.browser().get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Issued by Org A on") && page.contains("inspection report (PDF), unchanged"), "{page}");
    // The time as people read it, to the second: "on 2026-12-02 14:05:09 UTC".
    let shown = format!("on {} UTC", issues[0].issued_at_for_people());
    assert!(shown.len() == "on 2026-12-02 14:05:09 UTC".len() && page.contains(&shown), "{shown} in {page}");

    // One changed byte: not ours.
    let mut changed = pdf.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    let location = upload(&app, changed.clone()).await;
    assert!(check(&app, &sha256(&changed)).await.is_empty());
    let page = app.browser().get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Not issued by CleanTrack here, or changed since it was issued."), "{page}");

    // A CSV downloaded from the reports page is issued too, once its last byte went out.
    let csv = auditor.get(app.url("/reports/logs.csv")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let issues = check(&app, &sha256(&csv)).await;
    assert_eq!(issues.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>(), ["logs_csv"]);
    let mut altered = String::from_utf8(csv).unwrap();
    altered.push('\n');
    assert!(check(&app, &sha256(altered.as_bytes())).await.is_empty());

    // What anyone learns of A: the "issued by" line, nothing else (the answer has four fields),
    // the same for a member of B as for a visitor.
    let raw = app.call(&world.b.member(Role::Owner).client, "check_file", &[("sha256", &sha256(&pdf))]).await;
    let fields: serde_json::Value = serde_json::from_str(&raw.body).unwrap();
    let keys: Vec<&str> = fields[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["issued_at", "kind", "organization", "signature_valid"]);
    for private in ["Hood", "Lab", "staff@a.example", &world.a.id.to_string()] {
        assert!(!raw.body.contains(private), "{private} in {}", raw.body);
    }

    // Bad input is a 4xx; the public key is published.
    app.call(&app.browser(), "check_file", &[("sha256", "not a hash")]).await.assert_status(422);
    let nothing = reqwest::multipart::Form::new().text("note", "no file");
    let response = app.browser().post(app.url("/verify/file")).multipart(nothing).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let key: serde_json::Value =
        app.browser().get(app.url("/.well-known/cleantrack-audit-key")).send().await.unwrap().json().await.unwrap();
    assert_eq!(key["public_key_hex"], app.state.config.audit_key.public_hex());
}

#[sqlx::test]
async fn an_inspector_of_every_facility_downloads_the_binder_and_its_files_verify(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let inspector = &world.a.member(Role::Inspector).client;
    let (_, zip) = export(&app, inspector, "binder", d.lab).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).unwrap();
    // The PDF taken out of the binder verifies on its own.
    let mut pdf = Vec::new();
    archive.by_name("inspection-report.pdf").unwrap().read_to_end(&mut pdf).unwrap();
    assert_eq!(check(&app, &sha256(&pdf)).await[0].kind, "report_pdf");
    assert_eq!(check(&app, &sha256(&zip)).await[0].kind, "binder");
    // The PDF prints the newest of the binder's checkpoints.
    let mut jsonl = String::new();
    archive.by_name("audit-checkpoints.jsonl").unwrap().read_to_string(&mut jsonl).unwrap();
    let newest = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_str().unwrap().parse::<i64>().unwrap())
        .max();
    let words = crate::reports::pdf_words(&pdf);
    assert!(words.contains(&format!("Latest signed checkpoint: event {} ", newest.unwrap())), "{newest:?} in {words}");

    // The binder's own instructions check the trail, the checkpoints and the signed manifest.
    let dir = crate::helpers::fresh_dir("verified-binder");
    archive.extract(&dir).unwrap();
    let (ok, stdout) = offline_check(&dir);
    assert!(ok, "{stdout}");
    assert!(
        stdout.contains("signed checkpoints confirm events 1 to") && stdout.contains("every file matches it"),
        "{stdout}"
    );
    // A changed CSV fails the manifest.
    let csv = std::fs::read_to_string(dir.join("cleaning-logs.csv")).unwrap();
    std::fs::write(dir.join("cleaning-logs.csv"), csv.replacen("pass", "fail", 1)).unwrap();
    let (ok, stdout) = offline_check(&dir);
    assert!(!ok && stdout.contains("cleaning-logs.csv: changed"), "{stdout}");
}

/// Runs the Python the binder's instructions give, in `dir`.
pub fn offline_check(dir: &std::path::Path) -> (bool, String) {
    let instructions = std::fs::read_to_string(dir.join("VERIFY-AUDIT-TRAIL.txt")).unwrap();
    let script = instructions.split("```python\n").nth(1).and_then(|s| s.split("```").next()).expect("a Python block");
    let output = std::process::Command::new("python3").arg("-c").arg(script).current_dir(dir).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

#[sqlx::test]
async fn a_trail_rewritten_and_rehashed_with_database_access_fails_against_the_signed_checkpoints(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let d = data(&app, &world).await;
    let owner = &world.a.member(Role::Owner).client;
    // The hourly round signs the head; an export signs it too.
    cleantrack::server::jobs::checkpoints::run(&app.state).await.unwrap();
    let (_, before) = export(&app, owner, "binder", d.lab).await;
    let check: ChainCheck = app.call(owner, "verify_audit_chain", &[]).await.assert_ok().json();
    let ChainCheck::Verified { events, signed_through: Some(through), .. } = check else { panic!("{check:?}") };
    assert_eq!(through, events - 1, "the export's checkpoint covers the chain up to its download's event");

    // Someone with the database (not the key) rewrites event 2 and re-hashes every event after
    // it, and the head: the chain is consistent again on its own.
    let su = superuser_pool(&db).await;
    rewrite_and_rehash(&su, world.a.id, 2).await;

    let check: ChainCheck = app.call(owner, "verify_audit_chain", &[]).await.assert_ok().json();
    let ChainCheck::Broken { seq, reason } = check else { panic!("{check:?}") };
    assert_eq!(
        seq, 1,
        "no checkpoint before event 2 confirms anything: the rewrite is in events 1 to the first checkpoint"
    );
    assert!(reason.contains("rewritten and re-hashed"), "{reason}");
    let (ok, stdout) = cli_verify(&db).await;
    assert!(!ok && stdout.contains("BROKEN") && stdout.contains("rewritten and re-hashed"), "{stdout}");

    // The earlier binder's checkpoints against the rewritten trail, as an inspector would check
    // with the binder's own instructions: the rewrite is found.
    let dir = crate::helpers::fresh_dir("rewritten-binder");
    zip::ZipArchive::new(std::io::Cursor::new(before)).unwrap().extract(&dir).unwrap();
    let trail: String = sqlx::query_scalar::<_, String>(
        "SELECT string_agg(json_build_object('org_id', fields[1], 'seq', fields[2], 'occurred_at', fields[3], \
                'actor_kind', fields[4], 'actor_user_id', fields[5], 'ip', fields[6], 'user_agent', fields[7], \
                'action', fields[8], 'entity_type', fields[9], 'entity_id', fields[10], 'before', fields[11], \
                'after', fields[12], 'prev_hash', fields[13], 'hash', hash)::text || E'\\n', '' ORDER BY seq) \
         FROM audit_events_text WHERE org_id = $1",
    )
    .bind(world.a.id)
    .fetch_one(&su)
    .await
    .unwrap();
    std::fs::write(dir.join("audit-trail.jsonl"), trail).unwrap();
    let (ok, stdout) = offline_check(&dir);
    assert!(!ok && stdout.contains("events verify") && stdout.contains("rewritten between events"), "{stdout}");
}

/// As a superuser with triggers off: changes event `seq` of `org`'s chain, then recomputes the
/// hash of it and of every later event (and the chain head) the way the database does.
async fn rewrite_and_rehash(su: &sqlx::PgPool, org: cleantrack::model::ids::OrgId, seq: i64) {
    let mut tx = su.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE audit_events SET after = jsonb_set(coalesce(after, '{}'), '{name}', '\"Rewritten\"') WHERE org_id = $1 AND seq = $2")
        .bind(org)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT set_config('test.org', $1, true), set_config('test.seq', $2, true)")
        .bind(org.to_string())
        .bind(seq.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "DO $$ DECLARE r record; prev bytea; BEGIN \
           SELECT hash INTO prev FROM audit_events WHERE org_id = current_setting('test.org')::uuid \
                  AND seq = current_setting('test.seq')::bigint - 1; \
           FOR r IN SELECT * FROM audit_events WHERE org_id = current_setting('test.org')::uuid \
                    AND seq >= current_setting('test.seq')::bigint ORDER BY seq LOOP \
             UPDATE audit_events SET prev_hash = prev, hash = app.audit_hash(app.audit_text_fields(r.org_id, r.seq, \
                 r.occurred_at, r.actor_kind, r.actor_user_id, r.ip, r.user_agent, r.action, r.entity_type, \
                 r.entity_id, r.before, r.after, prev)) WHERE id = r.id RETURNING hash INTO prev; \
           END LOOP; \
           UPDATE audit_chain_heads SET last_hash = prev WHERE chain = current_setting('test.org')::uuid; \
         END $$",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}
