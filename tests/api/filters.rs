//! Lists keep their filters and page in the address (`components::query`): the server renders
//! the filtered page from the query string alone, as a browser without JavaScript (or before the
//! WASM arrives) asks for it, and the pager's links keep the filters. Another organization's
//! facility in the address shows nothing of it.

use cleantrack::model::ids::FacilityId;
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::equipment::stickers::page;
use crate::helpers::{spawn_app, TestApp};
use crate::world::{facility_with_equipment, World};

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let (status, body, _) = page(app, client, path).await;
    assert_eq!(status, 200, "{path}");
    body
}

async fn add(app: &TestApp, client: &reqwest::Client, facility: FacilityId, name: &str) {
    let f = facility.to_string();
    let form = [
        ("facility_id", f.as_str()),
        ("name", name),
        ("kind", "Pump"),
        ("serial", ""),
        ("location", ""),
        ("risk_level", "low"),
    ];
    app.call(client, "create_equipment", &form).await.assert_ok();
}

#[sqlx::test]
async fn the_equipment_list_reads_its_filters_and_page_from_the_address(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let (lab, _) = facility_with_equipment(&app, owner, "Lab", "Hood 00", "").await;
    let (plant, _) = facility_with_equipment(&app, owner, "Plant", "Mixer 00", "").await;
    for i in 1..27 {
        add(&app, owner, if i % 3 == 0 { plant } else { lab }, &format!("Unit {i:02}")).await;
    }
    let staff = &world.a.member(Role::Staff).client;

    let all = html(&app, staff, "/equipment").await;
    assert!(all.contains("28 pieces of equipment") && all.contains("Page 1 of 2"), "{all}");
    assert!(all.contains(r#"href="/equipment?page=2""#), "Next leads to page 2");

    let second = html(&app, staff, "/equipment?page=2").await;
    assert!(second.contains("Page 2 of 2") && second.contains(r#"href="/equipment""#), "Previous leads to page 1");
    assert!(second.contains(r#"button--off">Next<"#), "no page after the last: {second}");

    let at_plant = html(&app, staff, &format!("/equipment?facility={plant}")).await;
    assert!(at_plant.contains("9 pieces of equipment"), "{at_plant}");
    assert!(at_plant.contains(&format!(r#"selected value="{plant}""#)), "the filter shows its choice");
    assert!(!at_plant.contains("Hood 00") && at_plant.contains("Mixer 00"));

    let searched = html(&app, staff, "/equipment?search=unit%201").await;
    assert!(searched.contains("10 pieces of equipment") && searched.contains(r#"value="unit 1""#), "{searched}");

    // Twenty-six units, searched, over two pages: the pager keeps the search.
    let units = html(&app, staff, "/equipment?search=unit").await;
    assert!(units.contains(r#"href="/equipment?search=unit&amp;page=2""#), "{units}");

    // B's facility in A's address filters A's list to nothing and names nothing of B.
    let (b_site, _) =
        facility_with_equipment(&app, &world.b.member(Role::Owner).client, "B's ward", "B's pump", "").await;
    let foreign = html(&app, staff, &format!("/equipment?facility={b_site}")).await;
    assert!(foreign.contains("0 pieces of equipment") && !foreign.contains("B&#x27;s") && !foreign.contains("B's"));

    // Not a page number, not a facility id: the first page of everything, never an error.
    let odd = html(&app, staff, "/equipment?page=zero&facility=nowhere").await;
    assert!(odd.contains("28 pieces of equipment") && odd.contains("Page 1 of 2"), "{odd}");
}

#[sqlx::test]
async fn the_audit_trail_pages_filters_and_checks_its_chain_from_the_address(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    for i in 0..60 {
        app.call(owner, "create_facility", &[("name", &format!("Site {i:02}")), ("address", ""), ("time_zone", "UTC")])
            .await
            .assert_ok();
    }

    let first = html(&app, owner, "/audit").await;
    assert!(!first.contains("events verify"), "the chain is checked when asked");
    let older = first.split(r#"href="/audit?before="#).nth(1).expect("a link to older entries");
    let before = &older[..older.find('"').unwrap()];
    let second = html(&app, owner, &format!("/audit?before={before}")).await;
    assert!(second.contains(">Newest entries<"));
    let seq = |page: &str| -> Vec<i64> {
        page.split(r#"data-seq=""#).skip(1).map(|s| s[..s.find('"').unwrap()].parse().unwrap()).collect()
    };
    let before: i64 = before.parse().unwrap();
    assert!(!seq(&second).is_empty() && seq(&second).iter().all(|s| *s < before), "older entries only");

    let filtered = html(&app, owner, "/audit?entity=memberships").await;
    assert!(
        filtered.contains(r#"selected value="memberships""#) || filtered.contains(r#"value="memberships" selected"#)
    );
    assert!(!filtered.contains("facilities.insert"), "only membership changes");

    // A date the calendar does not have is refused on the page, never a server error.
    let (status, odd, _) = page(&app, owner, "/audit?from=2026-13-45").await;
    assert_eq!(status, 422, "{odd}");
    assert!(odd.contains("is not a date like 2026-01-31"));

    let checked = html(&app, owner, "/audit?check=1").await;
    assert!(checked.contains("events verify"), "{checked}");
}

#[sqlx::test]
async fn the_overview_and_the_review_queue_read_their_facility_and_period_from_the_address(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let (lab, _) = facility_with_equipment(&app, owner, "Lab", "Hood", "").await;

    let week = html(&app, owner, &format!("/app?days=7&facility={lab}")).await;
    assert!(week.contains("on time over the last 7 days"), "{week}");
    assert!(week.contains(r#"value="7" selected"#) || week.contains(r#"selected value="7""#));
    assert!(week.contains(&format!(r#"selected value="{lab}""#)));
    let odd = html(&app, owner, "/app?days=13").await;
    assert!(odd.contains("on time over the last 30 days"), "a period not offered is the default");

    let reviews = html(&app, owner, &format!("/reviews?facility={lab}")).await;
    assert!(reviews.contains(&format!(r#"selected value="{lab}""#)), "{reviews}");
}
