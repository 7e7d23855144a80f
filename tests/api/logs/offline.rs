//! Cleanings signed on a phone without a connection and sent later by its queue (`public/q.js`):
//! marked "entered offline" with the capture time and the receipt time, one log however often the
//! phone sends it, and a clear refusal for equipment retired in the meantime.

use cleantrack::model::ids::LogId;
use cleantrack::model::logs::CleaningLog;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, TestApp};
use crate::schedules::ago;
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

/// Two organizations, and a piece of equipment (no protocol) in the first.
async fn hood(db: PgConnectOptions) -> (TestApp, World, String) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (_, hood) = facility_with_equipment(&app, &world.a.member(Role::Admin).client, "Lab", "Hood 1", "").await;
    (app, world, hood.to_string())
}

/// What a phone's queue sends for a cleaning signed at `at`, with its one-time `key`.
fn queued(equipment: &str, key: &str, at: &str, offline: &str) -> Vec<(&'static str, String)> {
    vec![
        ("equipment_id", equipment.to_owned()),
        ("outcome", "pass".to_owned()),
        ("notes", "Basement, no signal".to_owned()),
        ("submission_key", key.to_owned()),
        ("performed_at", at.to_owned()),
        ("entered_offline", offline.to_owned()),
        (NO_PROTOCOL.0, NO_PROTOCOL.1.to_owned()),
    ]
}

#[sqlx::test]
async fn a_queued_cleaning_is_marked_offline_keeps_its_capture_time_and_is_recorded_once(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, world, h) = hood(db).await;
    let staff = &world.a.member(Role::Staff).client;
    let captured = ago(&app, "3 hours").await;
    let key = uuid::Uuid::new_v4().to_string();
    let form = |offline: &str, at: &str| queued(&h, &key, at, offline);

    // Three hours back is past the 30-minute window: as an ordinary entry it needs a reason …
    let plain = app.call_owned(staff, "log_cleaning", &form("false", &captured)).await;
    plain.assert_status(422);
    assert!(plain.body.contains("say why it is recorded only now"), "{}", plain.body);
    // … an offline one does not: the mark is the explanation. Sent again (the phone did not hear
    // the answer, or reloaded while sending), the same log.
    let first: LogId = app.call_owned(staff, "log_cleaning", &form("true", &captured)).await.assert_ok().json();
    let again: LogId = app.call_owned(staff, "log_cleaning", &form("true", &captured)).await.assert_ok().json();
    assert_eq!(first, again);

    let history: Vec<CleaningLog> =
        app.call(staff, "list_logs", &[("equipment_id", h.as_str())]).await.assert_ok().json();
    assert_eq!(history.len(), 1, "one log however often it was sent");
    let log = &history[0];
    assert!(log.entered_offline && log.late_entry, "{log:?}");
    assert!(log.late_entry_reason.is_none());
    assert_ne!(log.performed_at, log.received_at, "the capture time and the receipt time are both kept");

    // The CSV and the history page say so.
    let auditor = &world.a.member(Role::Auditor).client;
    let csv = auditor.get(app.url("/reports/logs.csv")).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "entered_offline").unwrap();
    let row = reader.records().map(Result::unwrap).find(|r| &r[0] == first.to_string().as_str()).unwrap();
    assert_eq!(&row[column], "yes");

    // An offline entry carries its capture time; without one it is refused, as is a future one.
    let mut untimed = form("true", "");
    untimed[3].1 = uuid::Uuid::new_v4().to_string();
    let refused = app.call_owned(staff, "log_cleaning", &untimed).await;
    refused.assert_status(422);
    assert!(refused.body.contains("carries the time it was captured"), "{}", refused.body);
    let mut future = form("true", "2999-01-01T00:00:00Z");
    future[3].1 = uuid::Uuid::new_v4().to_string();
    app.call_owned(staff, "log_cleaning", &future).await.assert_status(422);
    // Not a yes or no: a 4xx, never a 5xx.
    let mut garbled = form("perhaps", &captured);
    garbled[3].1 = uuid::Uuid::new_v4().to_string();
    let answer = app.call_owned(staff, "log_cleaning", &garbled).await;
    assert!(answer.status.is_client_error(), "{} {}", answer.status, answer.body);
}

#[sqlx::test]
async fn a_cleaning_queued_before_the_equipment_was_retired_is_refused_saying_so(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, world, h) = hood(db).await;
    let admin = &world.a.member(Role::Admin).client;
    let staff = &world.a.member(Role::Staff).client;
    let captured = ago(&app, "1 hour").await;
    let sent_before = uuid::Uuid::new_v4().to_string();
    let form = |key: &str| queued(&h, key, &captured, "true");
    let recorded: LogId = app.call_owned(staff, "log_cleaning", &form(&sent_before)).await.assert_ok().json();
    app.call(admin, "retire_equipment", &[("id", h.as_str()), ("reason", "Replaced by Hood 2")]).await.assert_ok();

    let refused = app.call_owned(staff, "log_cleaning", &form(&uuid::Uuid::new_v4().to_string())).await;
    refused.assert_status(409);
    assert!(refused.body.contains("Hood 1 was retired, so this cleaning was not recorded"), "{}", refused.body);
    // The one that got through before is still answered as recorded (a phone that missed the answer).
    let again: LogId = app.call_owned(staff, "log_cleaning", &form(&sent_before)).await.assert_ok().json();
    assert_eq!(again, recorded);
    // Another organization's staff sending to this equipment learns nothing about it.
    let theirs = &world.b.member(Role::Staff).client;
    let answer = app.call_owned(theirs, "log_cleaning", &form(&uuid::Uuid::new_v4().to_string())).await;
    answer.assert_status(404);
    assert!(!answer.body.contains("Hood 1"), "{}", answer.body);
}
