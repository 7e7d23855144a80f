//! Photos: uploaded through the real HTTP route, cleaned, stored in a local directory or in a
//! real S3-compatible server (s3s-fs, started here), attached to a log as it is signed, served
//! only to the organization's members; bad uploads refused with nothing left behind.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use cleantrack::model::ids::{EquipmentId, FacilityId, LogId, PhotoId};
use cleantrack::model::logs::CleaningLog;
use cleantrack::model::role::Role;
use cleantrack::server::jobs::photo_cleanup::{Cleanup, Hour};
use cleantrack::server::jobs::worker::{run_once, Outcome};
use image::{DynamicImage, ImageFormat};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, fresh_dir, spawn_app, spawn_app_with, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

fn picture(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let picture = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, ((x + y) % 256) as u8])
    }));
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// `POST /photos?equipment=…` as the browser's upload does it.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    equipment: EquipmentId,
    bytes: Vec<u8>,
    name: &str,
) -> (u16, String) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("image/jpeg").unwrap();
    let form = reqwest::multipart::Form::new().part("photo", part);
    let response =
        client.post(app.url(&format!("/photos?equipment={equipment}"))).multipart(form).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn uploaded(app: &TestApp, client: &reqwest::Client, equipment: EquipmentId, bytes: Vec<u8>) -> PhotoId {
    let (status, body) = upload(app, client, equipment, bytes, "photo.jpg").await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn log_with(
    app: &TestApp,
    client: &reqwest::Client,
    equipment: EquipmentId,
    photos: &[PhotoId],
) -> crate::helpers::Call {
    let e = equipment.to_string();
    let ids: Vec<String> = photos.iter().map(ToString::to_string).collect();
    let keys: Vec<String> = (0..photos.len()).map(|i| format!("photos[{i}]")).collect();
    let mut form = vec![("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL];
    form.extend(keys.iter().map(String::as_str).zip(ids.iter().map(String::as_str)));
    app.call(client, "log_cleaning", &form).await
}

async fn photo_count(app: &TestApp, db: &PgConnectOptions) -> i64 {
    let _ = app;
    sqlx::query_scalar("SELECT count(*) FROM photos").fetch_one(&superuser_pool(db).await).await.unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    entries.flatten().flat_map(|e| if e.path().is_dir() { files_under(&e.path()) } else { vec![e.path()] }).collect()
}

fn upload_dir(app: &TestApp) -> PathBuf {
    match &app.state.storage {
        cleantrack::server::storage::Storage::Local(dir) => dir.clone(),
        _ => panic!("local storage expected"),
    }
}

/// Upload, attach, read back: the flow of one photographed cleaning, checked end to end.
async fn photo_round_trip(app: &TestApp, world: &World, db: &PgConnectOptions) -> (EquipmentId, PhotoId, LogId) {
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(app, admin, "Lab", "Hood 1", "").await;
    let staff = &world.a.member(Role::Staff).client;
    let photo = uploaded(app, staff, equipment, picture(ImageFormat::Jpeg, 1200, 900)).await;
    let log: LogId = log_with(app, staff, equipment, &[photo]).await.assert_ok().json();
    let history: Vec<CleaningLog> =
        app.call(staff, "list_logs", &[("equipment_id", &equipment.to_string())]).await.assert_ok().json();
    assert_eq!(history[0].photos, vec![photo]);

    let response = staff.get(app.url(&format!("/photos/{photo}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    let bytes = response.bytes().await.unwrap();
    let stored: (Vec<u8>, i32, i32, String) =
        sqlx::query_as("SELECT sha256, width, height, uploaded_as FROM photos WHERE id = $1")
            .bind(photo)
            .fetch_one(&superuser_pool(db).await)
            .await
            .unwrap();
    assert_eq!(stored.0, Sha256::digest(&bytes).to_vec(), "the served file is the one on record");
    assert_eq!((stored.1, stored.2, stored.3.as_str()), (1200, 900, "jpeg"));
    let thumb = staff.get(app.url(&format!("/photos/{photo}/thumb"))).send().await.unwrap().bytes().await.unwrap();
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
    (equipment, photo, log)
}

#[sqlx::test]
async fn a_photo_is_uploaded_cleaned_attached_and_served_from_the_local_directory(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (_, photo, _) = photo_round_trip(&app, &world, &db).await;
    let files = files_under(&upload_dir(&app));
    assert_eq!(files.len(), 2, "the photo and its thumbnail: {files:?}");
    assert!(files.iter().all(|f| f.to_string_lossy().contains(&photo.to_string())));
    assert!(
        files.iter().all(|f| f.starts_with(upload_dir(&app).join(world.a.id.to_string()))),
        "kept per organization"
    );
}

#[sqlx::test]
async fn bad_uploads_are_refused_clearly_and_leave_nothing_behind(_: PgPoolOptions, db: PgConnectOptions) {
    let config = config_for(db.clone(), &[("MAX_PHOTO_BYTES", "300000")]);
    let app = spawn_app_with(config).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let staff = &world.a.member(Role::Staff).client;

    let jpeg = picture(ImageFormat::Jpeg, 400, 300);
    let mut oversized = picture(ImageFormat::Png, 1000, 1000);
    assert!(oversized.len() > 300_000, "fixture size {}", oversized.len());
    oversized.truncate(400_000);
    let mut bomb = picture(ImageFormat::Png, 8, 8);
    bomb[16..24].copy_from_slice(&[0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60]); // claims 60000 × 60000
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    for (bytes, name, status, message) in [
        (b"%PDF-1.7\n%binary".to_vec(), "report.pdf", 422, "not a JPEG, PNG or WebP"),
        (b"%PDF-1.7\n%renamed".to_vec(), "photo.jpg", 422, "not a JPEG, PNG or WebP"),
        (jpeg[..jpeg.len() / 2].to_vec(), "cut.jpg", 422, "damaged or incomplete"),
        (oversized, "big.png", 413, "larger than 1 MB"),
        (bomb, "bomb.png", 422, "too large in pixels"),
        (vec![], "empty.jpg", 422, "empty"),
    ] {
        let (got, body) = upload(&app, staff, equipment, bytes, name).await;
        assert_eq!(got, status, "{name}: {body}");
        assert!(body.contains(message), "{name}: {body}");
    }
    assert_eq!(photo_count(&app, &db).await, 0, "no record left");
    assert!(files_under(&upload_dir(&app)).is_empty(), "no file left");

    // A request with no photo in it.
    let form = reqwest::multipart::Form::new().text("note", "no file");
    let response = staff.post(app.url(&format!("/photos?equipment={equipment}"))).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("Choose a photo"));
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[sqlx::test]
async fn photos_attach_only_to_their_uploaders_log_of_the_same_equipment_once(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (facility, hood) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let form = [
        ("facility_id", facility.to_string()),
        ("name", "Hood 2".to_owned()),
        ("kind", "Fume hood".to_owned()),
        ("serial", String::new()),
        ("location", String::new()),
        ("risk_level", "low".to_owned()),
    ];
    let other: EquipmentId = app.call_owned(admin, "create_equipment", &form).await.assert_ok().json();
    let staff = &world.a.member(Role::Staff).client;
    let supervisor = &world.a.member(Role::Supervisor).client;
    let photo = uploaded(&app, staff, hood, picture(ImageFormat::Png, 64, 64)).await;

    for (client, equipment, who) in [(supervisor, hood, "someone else"), (staff, other, "other equipment")] {
        let call = log_with(&app, client, equipment, &[photo]).await;
        call.assert_status(422);
        assert!(call.body.contains("could not be attached"), "{who}: {}", call.body);
    }
    log_with(&app, staff, hood, &[photo, photo]).await.assert_status(422);
    log_with(&app, staff, hood, &[photo]).await.assert_ok();
    log_with(&app, staff, hood, &[photo]).await.assert_status(422);
    let logs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cleaning_logs").fetch_one(&superuser_pool(&db).await).await.unwrap();
    assert_eq!(logs, 1, "refused logs were not recorded");

    // A protocol that requires a photo refuses a log without one.
    let protocol: cleantrack::model::ids::ProtocolId = app
        .call(
            admin,
            "create_protocol",
            &[
                ("name", "Photo wipe"),
                ("steps", "Wipe"),
                ("disinfectant", "Ethanol"),
                ("contact_time_minutes", "1"),
                ("photo_required", "on"),
            ],
        )
        .await
        .assert_ok()
        .json();
    let assign = [("equipment_id", hood.to_string()), ("protocol_id", protocol.to_string())];
    app.call_owned(admin, "assign_protocol", &assign).await.assert_ok();
    let e = hood.to_string();
    let call = app
        .call(
            staff,
            "log_cleaning",
            &[("equipment_id", e.as_str()), ("outcome", "pass"), ("done[0]", "on"), ("notes", "")],
        )
        .await;
    call.assert_status(422);
    assert!(call.body.contains("requires a photo"), "{}", call.body);
}

#[sqlx::test]
async fn photos_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (a_equipment, photo, _) = photo_round_trip(&app, &world, &db).await;
    let (_, b_equipment) =
        facility_with_equipment(&app, &world.b.member(Role::Admin).client, "B lab", "B hood", "").await;
    for role in Role::ALL {
        let b = &world.b.member(role).client;
        for path in [format!("/photos/{photo}"), format!("/photos/{photo}/thumb")] {
            assert_eq!(b.get(app.url(&path)).send().await.unwrap().status(), 404, "{role:?} {path}");
        }
        let (status, _) = upload(&app, b, a_equipment, picture(ImageFormat::Jpeg, 50, 50), "x.jpg").await;
        let may_log = role.can(cleantrack::model::role::Action::LogCleaning);
        assert_eq!(status, if may_log { 404 } else { 403 }, "{role:?} uploads for A's equipment");
        if may_log {
            log_with(&app, b, b_equipment, &[photo]).await.assert_status(422);
        }
    }
    let visitor = app.browser();
    assert_eq!(visitor.get(app.url(&format!("/photos/{photo}"))).send().await.unwrap().status(), 401);
    assert_eq!(photo_count(&app, &db).await, 1, "B added nothing");
}

/// A real S3-compatible server on a free port, serving a temporary directory; stopped on drop.
struct S3Server {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl S3Server {
    async fn start() -> S3Server {
        let root = fresh_dir("s3");
        std::fs::create_dir_all(root.join("photos")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", "test-access", "--secret-key", "test-secret-key-for-s3s"])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs is installed by scripts/test.sh");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return S3Server { child, port, root };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("s3s-fs did not start");
    }

    fn vars(&self, secret: &'static str, bucket: &'static str) -> Vec<(&'static str, String)> {
        // S3_ENDPOINT second: a test points it elsewhere.
        vec![
            ("S3_BUCKET", bucket.to_owned()),
            ("S3_ENDPOINT", format!("http://127.0.0.1:{}", self.port)),
            ("S3_ACCESS_KEY_ID", "test-access".to_owned()),
            ("S3_SECRET_ACCESS_KEY", secret.to_owned()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn app_on_s3(db: &PgConnectOptions, vars: Vec<(&'static str, String)>) -> TestApp {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(config_for(db.clone(), &vars)).await
}

#[sqlx::test]
async fn photos_are_stored_in_a_real_s3_compatible_server(_: PgPoolOptions, db: PgConnectOptions) {
    let s3 = S3Server::start().await;
    let app = app_on_s3(&db, s3.vars("test-secret-key-for-s3s", "photos")).await;
    let world = World::build(&app).await;
    let (_, photo, _) = photo_round_trip(&app, &world, &db).await;
    let objects = files_under(&s3.root.join("photos"));
    let ours: Vec<_> = objects.iter().filter(|p| p.to_string_lossy().contains(&photo.to_string())).collect();
    assert_eq!(ours.len(), 2, "photo and thumbnail in the bucket: {objects:?}");
}

#[sqlx::test]
async fn a_failed_store_is_refused_and_leaves_no_file_and_no_usable_record(_: PgPoolOptions, db: PgConnectOptions) {
    let s3 = S3Server::start().await;
    let good = app_on_s3(&db, s3.vars("test-secret-key-for-s3s", "photos")).await;
    let world = World::build(&good).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(&good, admin, "Lab", "Hood 1", "").await;
    // The server refuses a forged signature (wrong secret); a storage that is down refuses all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut down = s3.vars("test-secret-key-for-s3s", "photos");
    down[1].1 = format!("http://127.0.0.1:{closed}");
    let mut failed = Vec::new();
    for vars in [s3.vars("not-the-right-secret", "photos"), down] {
        let app = app_on_s3(&db, vars).await;
        let staff = World::sign_in(&app, &world.a.member(Role::Staff).email).await;
        let (status, body) = upload(&app, &staff, equipment, picture(ImageFormat::Jpeg, 100, 100), "p.jpg").await;
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("Something went wrong"), "{body}");
        failed.extend(
            sqlx::query_scalar::<_, PhotoId>("SELECT id FROM photos WHERE stored_at IS NULL")
                .fetch_all(&superuser_pool(&db).await)
                .await
                .unwrap(),
        );
    }
    assert!(files_under(&s3.root).is_empty(), "nothing in any bucket");
    // The storage could not confirm the files absent, so the records stay, never stored: no log
    // can use them, and the cleanup removes them once the storage answers again.
    failed.dedup();
    assert_eq!(failed.len(), 2);
    let staff = &world.a.member(Role::Staff).client;
    log_with(&good, staff, equipment, &failed[..1]).await.assert_status(422);
    let superuser = superuser_pool(&db).await;
    let mut conn = superuser.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE photos SET created_at = now() - interval '2 hours'").execute(&mut *conn).await.unwrap();
    drop(conn);
    let mut tx = good.pool.begin().await.unwrap();
    cleantrack::server::jobs::enqueue::<Cleanup>(&mut tx, &Hour::default()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(run_once(&good.state).await.unwrap(), Outcome::Succeeded { kind: "photo_cleanup".into() });
    assert_eq!(photo_count(&good, &db).await, 0);
}

#[sqlx::test]
async fn the_cleanup_removes_abandoned_photos_and_their_files_but_never_attached_ones(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let (equipment, attached, _) = photo_round_trip(&app, &world, &db).await;
    let staff = &world.a.member(Role::Staff).client;
    let abandoned = uploaded(&app, staff, equipment, picture(ImageFormat::Jpeg, 100, 100)).await;
    let fresh = uploaded(&app, staff, equipment, picture(ImageFormat::Jpeg, 100, 100)).await;
    let superuser = superuser_pool(&db).await;
    // Two days pass for all but `fresh` (triggers off: the record is otherwise unchangeable).
    let mut conn = superuser.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE photos SET created_at = now() - interval '2 days' WHERE id <> $1")
        .bind(fresh)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);

    let mut tx = app.pool.begin().await.unwrap();
    cleantrack::server::jobs::enqueue::<Cleanup>(&mut tx, &Hour::default()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(run_once(&app.state).await.unwrap(), Outcome::Succeeded { kind: "photo_cleanup".into() });

    let left: Vec<PhotoId> =
        sqlx::query_scalar("SELECT id FROM photos ORDER BY created_at").fetch_all(&superuser).await.unwrap();
    assert_eq!(left, vec![attached, fresh]);
    let files = files_under(&upload_dir(&app));
    assert_eq!(files.len(), 4);
    assert!(!files.iter().any(|f| f.to_string_lossy().contains(&abandoned.to_string())));
}

/// A report with a photographed cleaning, built and served through a real S3 server: the PDF
/// carries the thumbnail (as the JPEG it is) and the photo's hash, and the file is in the bucket.
#[sqlx::test]
async fn a_report_with_photos_is_built_and_served_from_s3(_: PgPoolOptions, db: PgConnectOptions) {
    let s3 = S3Server::start().await;
    let app = app_on_s3(&db, s3.vars("test-secret-key-for-s3s", "photos")).await;
    let world = World::build(&app).await;
    let (_, photo, _) = photo_round_trip(&app, &world, &db).await;
    let (facility, sha256): (FacilityId, String) = sqlx::query_as(
        "SELECT e.facility_id, encode(p.sha256, 'hex') FROM equipment e JOIN photos p ON p.equipment_id = e.id WHERE p.id = $1",
    )
    .bind(photo)
    .fetch_one(&superuser_pool(&db).await)
    .await
    .unwrap();
    let (export, pdf) = crate::reports::export(&app, &world.a.member(Role::Owner).client, "report_pdf", facility).await;
    assert!(crate::reports::pdf_text(&pdf).contains(&format!("Photo SHA-256 {sha256}")));
    assert!(pdf.windows(9).any(|w| w == b"DCTDecode"), "the thumbnail is embedded");
    let objects = files_under(&s3.root.join("photos"));
    assert!(objects.iter().any(|p| p.to_string_lossy().contains(&export.to_string())), "{objects:?}");
}

/// Sends `POST path` over a raw connection, the body in two halves `pause` apart (a phone's
/// uplink), and returns the status.
async fn slow_post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
    pause: std::time::Duration,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(pause).await;
    // The server may have answered (and closed) already.
    let _ = stream.write_all(rest).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[sqlx::test]
async fn a_photo_on_a_slow_uplink_gets_longer_than_other_requests(_: PgPoolOptions, db: PgConnectOptions) {
    let config = config_for(db, &[("REQUEST_TIMEOUT_SECS", "1"), ("UPLOAD_TIMEOUT_SECS", "30")]);
    let app = spawn_app_with(config).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (_, equipment) = facility_with_equipment(&app, admin, "Lab", "Hood", "").await;
    let login = app
        .client
        .post(app.url("/api/login"))
        .header("origin", app.url(""))
        .header("accept", "application/json")
        .form(&[("email", world.a.member(Role::Staff).email.as_str()), ("password", crate::world::PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    let boundary = "ctboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend(picture(ImageFormat::Jpeg, 64, 48));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let multipart = format!("multipart/form-data; boundary={boundary}");
    let pause = std::time::Duration::from_millis(2_500);
    let status = slow_post(&app, &cookie, &format!("/photos?equipment={equipment}"), &multipart, &body, pause).await;
    assert_eq!(status, 201, "an upload slower than REQUEST_TIMEOUT_SECS still arrives");
    // Any other request that slow is cut off.
    let form = b"name=Renamed+after+a+long+pause";
    let status = slow_post(&app, &cookie, "/api/rename", "application/x-www-form-urlencoded", form, pause).await;
    assert_eq!(status, 503);
}
