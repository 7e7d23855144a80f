//! Billing against the Stripe stand-in: Checkout and the portal, webhooks that are signed,
//! recorded once and applied in an order-proof way, plan limits, the grace period after a
//! failed payment, refunds, and isolation between organizations.

use std::time::Duration;

use cleantrack::model::billing::{BillingOverview, Plan, Standing};
use cleantrack::model::ids::OrgId;
use cleantrack::model::role::Role;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, drain, spawn_app, spawn_app_with, TestApp};
use crate::stripe_standin::{StripeStandIn, PRICE, SECRET_KEY, WEBHOOK_SECRET};
use crate::world::{facility_with_equipment, World, NO_PROTOCOL};

async fn billing_app(db: PgConnectOptions) -> (TestApp, StripeStandIn) {
    let standin = StripeStandIn::start("127.0.0.1:0").await;
    let app = spawn_app_with(config_for(
        db,
        &[
            ("STRIPE_TEST_SECRET_KEY", SECRET_KEY),
            ("STRIPE_TEST_PRO_PRICE_ID", PRICE),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("STRIPE_API_BASE", &standin.url()),
            ("JOB_RETRY_BASE_MS", "50"),
        ],
    ))
    .await;
    standin.send_webhooks_to(app.url("/webhooks/stripe"));
    (app, standin)
}

async fn overview(app: &TestApp, client: &reqwest::Client) -> BillingOverview {
    app.call(client, "get_billing", &[]).await.assert_ok().json()
}

async fn jobs_done(app: &TestApp) {
    drain(app, Duration::from_secs(10)).await;
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The owner of `org` starts checkout; returns the checkout session's id.
async fn start_checkout(app: &TestApp, owner: &reqwest::Client) -> String {
    let url: String = app.call(owner, "start_checkout", &[]).await.assert_ok().json();
    url.rsplit('/').next().unwrap().to_owned()
}

/// Organization A subscribes (one facility, trial) and the events are processed; returns the
/// subscription id and A's Stripe customer.
async fn subscribe_a(app: &TestApp, standin: &StripeStandIn, world: &World) -> (String, String) {
    let owner = &world.a.member(Role::Owner).client;
    let session = start_checkout(app, owner).await;
    let subscription = standin.complete_checkout(&session).await;
    jobs_done(app).await;
    let customer = standin.subscription(&subscription)["customer"].as_str().unwrap().to_owned();
    (subscription, customer)
}

/// Rows read as the application inside organization `org` (row-level security shows nothing
/// of a tenant's tables without it).
async fn in_org<T>(app: &TestApp, org: OrgId, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.org_id', $1, true)").bind(org.to_string()).execute(&mut *tx).await.unwrap();
    let rows = sqlx::query_as(sql).fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    rows
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test]
async fn an_owner_subscribes_through_checkout_and_the_signed_webhook_makes_the_organization_pro(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, standin) = billing_app(db).await;
    let world = World::build(&app).await;
    let (owner, admin) = (&world.a.member(Role::Owner).client, &world.a.member(Role::Admin).client);
    facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;

    let before = overview(&app, owner).await;
    assert_eq!((before.enabled, before.plan, before.can_manage), (true, Plan::Free, true));
    assert_eq!((before.active_facilities, before.active_equipment), (1, 1));
    assert!(!overview(&app, admin).await.can_manage, "admins see billing but do not change it");
    app.call(&world.a.member(Role::Staff).client, "get_billing", &[]).await.assert_status(403);
    app.call(admin, "start_checkout", &[]).await.assert_status(403);
    app.call(admin, "open_billing_portal", &[]).await.assert_status(403);

    // Two clicks before paying: one customer, two sessions.
    start_checkout(&app, owner).await;
    let session = start_checkout(&app, owner).await;
    let customers = standin.customers();
    assert_eq!(customers.len(), 1, "{customers:?}");
    assert_eq!(customers[0]["metadata"]["org_id"], json!(world.a.id.to_string()));
    let params = &standin.sessions()[&session];
    assert_eq!(params["customer"], customers[0]["id"].as_str().unwrap());
    assert_eq!(params["line_items[0][price]"], PRICE);
    assert_eq!(params["line_items[0][quantity]"], "1", "billed per active facility");
    assert_eq!(params["subscription_data[trial_period_days]"], "14");
    assert_eq!(params["client_reference_id"], world.a.id.to_string());
    assert!(params["success_url"].ends_with("/billing?checkout=done"), "{params:?}");
    assert_eq!(overview(&app, owner).await.plan, Plan::Free, "nothing changes before Stripe says so");

    let subscription = standin.complete_checkout(&session).await;
    jobs_done(&app).await;
    let after = overview(&app, owner).await;
    assert_eq!((after.plan, after.status.as_deref()), (Plan::Pro, Some("trialing")));
    assert!(after.trial_end.is_some() && after.period_end.is_some(), "{after:?}");
    let outcomes: Vec<String> = sqlx::query_scalar("SELECT outcome FROM stripe_events ORDER BY received_at")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.starts_with("applied")), "{outcomes:?}");
    // Every billing change is in the organization's audit trail.
    let trail: Vec<String> = in_org::<(String,)>(
        &app,
        world.a.id,
        "SELECT action FROM audit_events WHERE entity_type = 'billing_accounts' OR action LIKE 'billing.%'",
    )
    .await
    .into_iter()
    .map(|(action,)| action)
    .collect();
    assert!(trail.contains(&"billing.checkout_started".to_owned()), "{trail:?}");
    assert!(
        trail.contains(&"billing_accounts.insert".to_owned()) && trail.contains(&"billing_accounts.update".to_owned())
    );

    let again = app.call(owner, "start_checkout", &[]).await;
    again.assert_status(409);
    assert!(again.body.contains("on Pro already"), "{}", again.body);

    // A second facility is allowed on Pro, and the subscription's quantity follows.
    app.call(admin, "create_facility", &[("name", "Second"), ("address", ""), ("time_zone", "UTC")]).await.assert_ok();
    jobs_done(&app).await;
    let update = standin
        .seen()
        .into_iter()
        .find(|s| s.method == "POST" && s.path == format!("/v1/subscriptions/{subscription}"));
    assert_eq!(update.expect("quantity sent to Stripe").form["items[0][quantity]"], "2");
    assert_eq!(standin.subscription(&subscription)["items"]["data"][0]["quantity"], json!(2));
    assert_eq!(in_org::<(i32,)>(&app, world.a.id, "SELECT quantity FROM billing_accounts").await, [(2,)]);

    let portal: String = app.call(owner, "open_billing_portal", &[]).await.assert_ok().json();
    assert!(portal.contains("/portal/bps_"), "{portal}");

    // Three days before the trial ends, Stripe says so and the owners hear of it.
    let mut ending = standin.subscription(&subscription);
    ending["trial_end"] = json!(now() + 3 * 86_400 - 60);
    assert_eq!(standin.deliver(&standin.event("customer.subscription.trial_will_end", ending, now())).await, 200);
    jobs_done(&app).await;
    let (subject, link) = app.last_email(&world.a.member(Role::Owner).email).await.expect("owner emailed");
    assert_eq!(subject, "Your CleanTrack trial for Org A ends in 3 days");
    assert!(link.ends_with("/billing"), "{link}");
}

#[sqlx::test]
async fn unsigned_forged_stale_and_malformed_webhooks_get_400_and_change_nothing(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, standin) = billing_app(db).await;
    let event = standin.event("invoice.paid", json!({ "id": "in_1", "customer": "cus_x", "amount_paid": 100 }), now());
    let sign = |body: &str, secret: &str, t: i64| stripe_webhook::Webhook::generate_test_header(body, secret, Some(t));

    let attempts = [
        ("no signature", event.clone(), String::new()),
        ("another secret", event.clone(), sign(&event, "whsec_someone_else", now())),
        ("another body", event.replace("in_1", "in_2"), sign(&event, WEBHOOK_SECRET, now())),
        ("six minutes old", event.clone(), sign(&event, WEBHOOK_SECRET, now() - 360)),
        ("not JSON", "{not json".to_owned(), sign("{not json", WEBHOOK_SECRET, now())),
        (
            "no data.object",
            r#"{"id":"evt_x","type":"invoice.paid","created":1,"livemode":false,"data":{}}"#.to_owned(),
            String::new(),
        ),
    ];
    for (what, body, header) in attempts {
        let header =
            if header.is_empty() && what != "no signature" { sign(&body, WEBHOOK_SECRET, now()) } else { header };
        let (status, answer) = standin.post_webhook(&body, &header).await;
        assert_eq!(status, 400, "{what}: {answer}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM stripe_events").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM jobs").await, 0);
    assert_eq!(standin.deliver(&event).await, 200, "the same event, signed properly, is taken");
    // A live-mode event reaching this test-mode server is acknowledged and set aside.
    let live = standin
        .event("invoice.paid", json!({ "id": "in_live", "customer": "cus_x" }), now())
        .replace("\"livemode\":false", "\"livemode\":true");
    assert_eq!(standin.deliver(&live).await, 200);
    let outcome: Option<String> =
        sqlx::query_scalar("SELECT outcome FROM stripe_events WHERE payload->'data'->'object'->>'id' = 'in_live'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(outcome.as_deref(), Some("ignored: a live-mode event on a test-mode server"));
    assert_eq!(count(&app, "SELECT count(*) FROM jobs").await, 1, "only the first event's job");

    // Without Stripe configured there is no webhook to speak of.
    let off = spawn_app(app.state.config.database.connect_options.clone()).await;
    let response = reqwest::Client::new().post(off.url("/webhooks/stripe")).body(event).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[sqlx::test]
async fn an_event_delivered_twice_and_one_payment_reported_twice_have_one_effect(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, standin) = billing_app(db).await;
    let world = World::build(&app).await;
    let (subscription, customer) = subscribe_a(&app, &standin, &world).await;
    let invoice = json!({ "id": "in_1", "customer": customer, "subscription": subscription, "amount_paid": 2900, "currency": "eur" });
    let paid = standin.event("invoice.paid", invoice.clone(), now());
    let header = stripe_webhook::Webhook::generate_test_header(&paid, WEBHOOK_SECRET, None);
    let first = standin.post_webhook(&paid, &header).await;
    let second = standin.post_webhook(&paid, &header).await;
    assert_eq!((first.0, second.0), (200, 200));
    assert!(first.1.contains("\"duplicate\":false") && second.1.contains("\"duplicate\":true"), "{second:?}");
    // Stripe also sends invoice.payment_succeeded for the same payment.
    assert_eq!(standin.deliver(&standin.event("invoice.payment_succeeded", invoice, now())).await, 200);
    jobs_done(&app).await;

    assert_eq!(count(&app, "SELECT count(*) FROM stripe_events WHERE type LIKE 'invoice.%'").await, 2);
    assert_eq!(
        count(&app, "SELECT count(*) FROM jobs WHERE kind = 'stripe_event'").await,
        4,
        "2 from checkout, 2 here"
    );
    let records = overview(&app, &world.a.member(Role::Owner).client).await.records;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!((records[0].what.as_str(), records[0].amount.as_str()), ("Payment", "29.00 EUR"));
}

#[sqlx::test]
async fn an_update_that_arrives_before_an_older_event_leaves_the_newest_state(_: PgPoolOptions, db: PgConnectOptions) {
    let (app, standin) = billing_app(db).await;
    let world = World::build(&app).await;
    let owner = &world.a.member(Role::Owner).client;
    let session = start_checkout(&app, owner).await;
    // Stripe's side moves on: the trial converts and a seat is added, before anything is processed.
    let subscription = standin.complete_checkout(&session).await;
    let created = standin.subscription(&subscription);
    standin.change_subscription(&subscription, |s| {
        s["status"] = json!("active");
        s["items"]["data"][0]["quantity"] = json!(3);
    });
    let t = now();
    let updated = standin.event("customer.subscription.updated", standin.subscription(&subscription), t);
    let stale_created = standin.event("customer.subscription.created", created, t - 60);
    // The jobs of checkout's two events are already queued; run the update first, then the
    // stale creation arrives again (Stripe retries) and is processed last.
    assert_eq!(standin.deliver(&updated).await, 200);
    jobs_done(&app).await;
    assert_eq!(standin.deliver(&stale_created).await, 200);
    jobs_done(&app).await;

    let state: Vec<(String, i32)> = in_org(&app, world.a.id, "SELECT status, quantity FROM billing_accounts").await;
    assert_eq!(state, [("active".to_owned(), 3)], "the stale `trialing, 1` payload must not win");
    let view = overview(&app, owner).await;
    assert_eq!((view.plan, view.status.as_deref(), view.trial_end), (Plan::Pro, Some("active"), None));
}

#[sqlx::test]
async fn a_failed_payment_gives_grace_then_limits_that_never_hold_records_hostage(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let (app, standin) = billing_app(db).await;
    let world = World::build(&app).await;
    let (owner, admin, staff) =
        (&world.a.member(Role::Owner).client, &world.a.member(Role::Admin).client, &world.a.member(Role::Staff).client);
    let (facility, equipment) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let (subscription, customer) = subscribe_a(&app, &standin, &world).await;
    standin.change_subscription(&subscription, |s| s["status"] = json!("past_due"));
    let failed = |invoice: &str, days_ago: i64| {
        standin.event(
            "invoice.payment_failed",
            json!({ "id": invoice, "customer": customer, "subscription": subscription, "amount_due": 2900, "currency": "eur" }),
            now() - days_ago * 86_400,
        )
    };
    let e = equipment.to_string();
    let log = [("equipment_id", e.as_str()), ("outcome", "pass"), ("notes", ""), NO_PROTOCOL];
    let new_facility = |name: &'static str| [("name", name), ("address", ""), ("time_zone", "UTC")];

    // A day after the failure: grace, everything works, owners are told.
    assert_eq!(standin.deliver(&failed("in_1", 1)).await, 200);
    jobs_done(&app).await;
    assert_eq!(overview(&app, owner).await.standing, Standing::Grace);
    let (subject, link) = app.last_email(&world.a.member(Role::Owner).email).await.expect("owner emailed");
    assert_eq!(subject, "Payment failed for Org A");
    assert!(link.ends_with("/billing"), "{link}");
    let second: String = app.call(admin, "create_facility", &new_facility("Second")).await.assert_ok().json();

    // Ten days after the first failure: administration stops, logging and reading go on.
    assert_eq!(standin.deliver(&failed("in_0", 10)).await, 200);
    jobs_done(&app).await;
    let limited = overview(&app, owner).await;
    assert_eq!(limited.standing, Standing::Limited, "dated from the earliest failure");
    let refused = app.call(admin, "create_facility", &new_facility("Third")).await;
    refused.assert_status(402);
    assert!(refused.body.contains("Logging cleanings continues until"), "{}", refused.body);
    let f = facility.to_string();
    let more_equipment = [
        ("facility_id", f.as_str()),
        ("name", "Hood 2"),
        ("kind", "Hood"),
        ("serial", ""),
        ("location", ""),
        ("risk_level", "low"),
    ];
    app.call(admin, "create_equipment", &more_equipment).await.assert_status(402);
    app.call(staff, "log_cleaning", &log).await.assert_ok();
    app.call(staff, "list_equipment", &[]).await.assert_ok();
    assert_eq!(app.get_with(owner, "/reports/logs.csv").await, 200);
    // Retiring is how an organization gets back within its means: still allowed.
    app.call(admin, "retire_facility", &[("id", &second)]).await.assert_ok();

    // Over three weeks: logging stops too; records stay readable and exportable.
    assert_eq!(standin.deliver(&failed("in_old", 30)).await, 200);
    jobs_done(&app).await;
    assert_eq!(overview(&app, owner).await.standing, Standing::ReadOnly);
    let paused = app.call(staff, "log_cleaning", &log).await;
    paused.assert_status(402);
    assert!(paused.body.contains("Logging is paused"), "{}", paused.body);
    assert_eq!(app.get_with(owner, "/reports/logs.csv").await, 200);
    let history: Vec<Value> = app.call(owner, "list_logs", &[("equipment_id", &e)]).await.assert_ok().json();
    assert_eq!(history.len(), 1, "the log of the limited period is there");

    // A refund, reported again with a larger total, is one record.
    let refund =
        |total: i64| json!({ "id": "ch_1", "customer": customer, "amount_refunded": total, "currency": "eur" });
    standin.deliver(&standin.event("charge.refunded", refund(1500), now())).await;
    standin.deliver(&standin.event("charge.refunded", refund(2900), now())).await;
    jobs_done(&app).await;
    let records = overview(&app, owner).await.records;
    let refunds: Vec<_> = records.iter().filter(|r| r.what == "Refund").collect();
    assert_eq!(refunds.len(), 1, "{records:?}");
    assert_eq!(refunds[0].amount, "29.00 EUR");
    assert_eq!(records.iter().filter(|r| r.what == "Payment failed").count(), 3);

    // Paid at last: good standing, administration again.
    standin.change_subscription(&subscription, |s| s["status"] = json!("active"));
    let paid = json!({ "id": "in_1", "customer": customer, "subscription": subscription, "amount_paid": 2900, "currency": "eur" });
    standin.deliver(&standin.event("invoice.paid", paid, now())).await;
    jobs_done(&app).await;
    assert_eq!(overview(&app, owner).await.standing, Standing::Good);
    app.call(admin, "create_facility", &new_facility("Third")).await.assert_ok();
}

#[sqlx::test]
async fn the_free_plan_stops_at_one_facility_and_25_pieces_of_equipment(_: PgPoolOptions, db: PgConnectOptions) {
    let (app, _standin) = billing_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (facility, _) = facility_with_equipment(&app, admin, "Lab", "Hood 1", "").await;
    let second = app.call(admin, "create_facility", &[("name", "Second"), ("address", ""), ("time_zone", "UTC")]).await;
    second.assert_status(402);
    assert!(second.body.contains("The Free plan includes 1 facility; upgrade to Pro"), "{}", second.body);

    let f = facility.to_string();
    let mut last = None;
    for n in 2..=26 {
        let name = format!("Hood {n}");
        let form = [
            ("facility_id", f.as_str()),
            ("name", &name),
            ("kind", "Hood"),
            ("serial", ""),
            ("location", ""),
            ("risk_level", "low"),
        ];
        last = Some(app.call(admin, "create_equipment", &form).await);
        if n < 26 {
            last.as_ref().unwrap().assert_ok();
        }
    }
    let refused = last.unwrap();
    refused.assert_status(402);
    assert!(refused.body.contains("25 pieces of equipment"), "{}", refused.body);
    let usage = overview(&app, &world.a.member(Role::Owner).client).await;
    assert_eq!((usage.active_facilities, usage.active_equipment), (1, 25));

    // Organization B is not held to A's count, and a server without Stripe holds nobody.
    facility_with_equipment(&app, &world.b.member(Role::Admin).client, "B Lab", "B Hood", "").await;
    let off = spawn_app(db).await;
    let admin_off = World::sign_in(&off, &world.a.member(Role::Admin).email).await;
    off.call(&admin_off, "create_facility", &[("name", "Second"), ("address", ""), ("time_zone", "UTC")])
        .await
        .assert_ok();
}

#[sqlx::test]
async fn billing_of_a_is_out_of_reach_of_b_through_pages_and_webhooks(_: PgPoolOptions, db: PgConnectOptions) {
    let (app, standin) = billing_app(db).await;
    let world = World::build(&app).await;
    let (subscription_a, customer_a) = subscribe_a(&app, &standin, &world).await;
    let owner_b = &world.b.member(Role::Owner).client;

    let b = overview(&app, owner_b).await;
    assert_eq!((b.plan, b.has_customer, b.records.len()), (Plan::Free, false, 0));
    let portal = app.call(owner_b, "open_billing_portal", &[]).await;
    portal.assert_status(409);
    assert!(standin.seen().iter().all(|s| s.path != "/v1/billing_portal/sessions"), "no portal was opened for anyone");
    let session_b = start_checkout(&app, owner_b).await;
    let customer_b = standin.sessions()[&session_b]["customer"].clone();
    assert_ne!(customer_b, customer_a, "B gets a customer of its own");

    // Events can only touch the organization owning the customer they name.
    let sql = "SELECT stripe_customer_id, stripe_subscription_id, status FROM billing_accounts";
    let a_state = || async {
        let a: Vec<(String, Option<String>, Option<String>)> = in_org(&app, world.a.id, sql).await;
        let b: Vec<(String, Option<String>, Option<String>)> = in_org(&app, world.b.id, sql).await;
        (a, b)
    };
    let before = a_state().await;
    let events = [
        // A's customer, but the checkout claims to be B's.
        standin.event(
            "checkout.session.completed",
            json!({ "id": "cs_x", "customer": customer_a, "client_reference_id": world.b.id.to_string(), "subscription": subscription_a }),
            now(),
        ),
        // B's customer, naming A's subscription.
        standin.event("customer.subscription.updated", json!({ "id": subscription_a, "customer": customer_b }), now()),
        // A customer nobody here owns.
        standin.event("customer.subscription.deleted", json!({ "id": "sub_nobody", "customer": "cus_nobody" }), now()),
    ];
    for event in &events {
        assert_eq!(standin.deliver(event).await, 200);
    }
    jobs_done(&app).await;
    assert_eq!(a_state().await, before, "nothing changed for A or B");
    let outcomes: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT org_id::text, outcome FROM stripe_events WHERE id = ANY($1) ORDER BY received_at")
            .bind(
                events
                    .iter()
                    .map(|e| serde_json::from_str::<Value>(e).unwrap()["id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(outcomes.iter().all(|(_, o)| o.starts_with("ignored")), "{outcomes:?}");
    assert_eq!(outcomes[2].0, None, "an unknown customer is no organization's");
    assert_eq!(overview(&app, owner_b).await.plan, Plan::Free);
}
