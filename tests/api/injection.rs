//! Stored text that looks like markup stays text on every page: in element content, in
//! attribute values, inside `<textarea>` (Leptos writes a textarea's children unescaped) and in
//! the hydration data.

use cleantrack::model::equipment::LabelSheet;
use cleantrack::model::ids::{FacilityId, LogId, ProtocolId};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::spawn_app;
use crate::world::World;

/// Each would do harm if it reached the HTML as markup; CSP stops scripts, not a meta refresh.
const PAYLOADS: [&str; 4] = [
    r#"</textarea><meta http-equiv="refresh" content="1;url=//evil.example">"#,
    "<script>window.__pwned=1</script>",
    r#""><img src=x onerror=alert(1)>"#,
    "</title><b>bold</b>",
];

/// What each payload's markup looks like when it was not escaped.
const RAW: [&str; 5] = ["<meta http-equiv", "<script>window.__pwned", "<img src=x", "</title><b>", "</textarea><meta"];

#[sqlx::test]
async fn markup_stored_in_every_text_field_is_shown_as_text_on_every_page(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let [p1, p2, p3, p4] = PAYLOADS;

    app.call(owner, "rename", &[("name", p3)]).await.assert_ok();
    let facility: FacilityId = app
        .call(owner, "create_facility", &[("name", p4), ("address", p2), ("time_zone", "UTC")])
        .await
        .assert_ok()
        .json();
    let f = facility.to_string();
    let protocol: ProtocolId = app
        .call(
            owner,
            "create_protocol",
            &[("name", p3), ("steps", &format!("{p1}\n{p2}")), ("disinfectant", p4), ("contact_time_minutes", "5")],
        )
        .await
        .assert_ok()
        .json();
    let form = [
        ("facility_id", f.as_str()),
        ("name", p1),
        ("kind", p2),
        ("serial", p3),
        ("location", p4),
        ("risk_level", "high"),
    ];
    let equipment: cleantrack::model::ids::EquipmentId =
        app.call(owner, "create_equipment", &form).await.assert_ok().json();
    let e = equipment.to_string();
    app.call(owner, "assign_protocol", &[("equipment_id", e.as_str()), ("protocol_id", &protocol.to_string())])
        .await
        .assert_ok();
    let staff = &world.a.member(Role::Staff).client;
    let signed =
        [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", p1), ("done[0]", "on"), ("done[1]", "on")];
    let log: LogId = app.call(staff, "log_cleaning", &signed).await.assert_ok().json();
    let correction =
        [("log_id", log.to_string()), ("reason", p2.to_owned()), ("outcome", "fail".into()), ("notes", p3.into())];
    app.call_owned(owner, "amend_log", &correction).await.assert_ok();
    let invite = [("email", "inspector@agency.example"), ("name", p4), ("days", "7"), ("all_facilities", "on")];
    app.call(owner, "invite_inspector", &invite).await.assert_ok();

    let labels: LabelSheet = app.call(owner, "list_labels", &[("facility_id", &f)]).await.assert_ok().json();
    let sticker = url::Url::parse(&labels.labels[0].sticker_url).unwrap().path().to_owned();
    let pages = [
        "/app".to_owned(),
        "/facilities".into(),
        "/equipment".into(),
        "/protocols".into(),
        format!("/facilities/{f}/labels"),
        sticker,
        "/account".into(),
        "/settings".into(),
        "/reports".into(),
        "/billing".into(),
        "/team".into(),
        "/audit".into(),
    ];
    for page in &pages {
        let response = owner.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{page}");
        let html = response.text().await.unwrap();
        for raw in RAW {
            assert!(!html.contains(raw), "{page} carries `{raw}` as markup");
        }
    }
    // The text itself is there, escaped: the Revise form's textarea and the list both show it.
    let protocols = owner.get(app.url("/protocols")).send().await.unwrap().text().await.unwrap();
    assert!(protocols.contains("&lt;/textarea&gt;&lt;meta http-equiv="), "the steps are shown as text");
    let scan = owner.get(app.url(&pages[5])).send().await.unwrap().text().await.unwrap();
    assert!(scan.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), "the step is shown as text");
}
