//! A local HTTP server that speaks the part of Stripe's API CleanTrack calls (customers,
//! checkout sessions, billing-portal sessions, subscriptions), with a hosted checkout page of
//! its own. Paying there creates the subscription and posts the events Stripe would to the
//! app's webhook, signed with Stripe's real scheme (async-stripe's test header helper).
//!
//! Used in-process by the integration tests and as a process (`examples/stripe_standin.rs`)
//! by the browser tests. Stripe itself cannot be run here, and stripe-mock is not available.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const SECRET_KEY: &str = "sk_test_standin";
pub const WEBHOOK_SECRET: &str = "whsec_standin";
pub const PRICE: &str = "price_pro_standin";

/// A request the app made, for assertions.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    seen: Vec<Seen>,
    customers: HashMap<String, Value>,
    sessions: HashMap<String, HashMap<String, String>>,
    subscriptions: HashMap<String, Value>,
    /// Answers already given per idempotency key, as Stripe replays them.
    replies: HashMap<String, Value>,
}

#[derive(Clone)]
pub struct StripeStandIn {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
    /// Where events go: the app's `/webhooks/stripe`.
    webhook_url: Arc<Mutex<Option<String>>>,
}

impl StripeStandIn {
    pub async fn start(addr: &str) -> StripeStandIn {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("stand-in binds");
        let standin =
            StripeStandIn { inner: Arc::default(), addr: listener.local_addr().unwrap(), webhook_url: Arc::default() };
        let app = Router::new()
            .route("/v1/customers", post(create_customer))
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route("/v1/subscriptions/{id}", get(read_subscription).post(update_subscription))
            .route("/checkout/{id}", get(checkout_page))
            .route("/checkout/{id}/pay", post(pay))
            .route("/portal/{id}", get(|| async { Html("<h1>Stand-in customer portal</h1>") }))
            .with_state(standin.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        standin
    }

    /// The API base URL the app is configured with (`STRIPE_API_BASE`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn send_webhooks_to(&self, url: String) {
        *self.webhook_url.lock().unwrap() = Some(url);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    pub fn customers(&self) -> Vec<Value> {
        self.inner.lock().unwrap().customers.values().cloned().collect()
    }

    /// The checkout sessions created, by id, with the parameters the app sent.
    pub fn sessions(&self) -> HashMap<String, HashMap<String, String>> {
        self.inner.lock().unwrap().sessions.clone()
    }

    pub fn subscription(&self, id: &str) -> Value {
        self.inner.lock().unwrap().subscriptions[id].clone()
    }

    /// Changes a subscription as Stripe would on its side (a failed renewal, a cancellation).
    pub fn change_subscription(&self, id: &str, change: impl FnOnce(&mut Value)) {
        change(self.inner.lock().unwrap().subscriptions.get_mut(id).expect("known subscription"));
    }

    /// Completes checkout session `id` as a customer paying on the hosted page would: the
    /// subscription is created (trialing when the session asked for a trial) and the
    /// `customer.subscription.created` and `checkout.session.completed` events are delivered.
    /// Returns the subscription id.
    pub async fn complete_checkout(&self, id: &str) -> String {
        let (subscription, session) = {
            let mut inner = self.inner.lock().unwrap();
            let session = inner.sessions.get(id).expect("known checkout session").clone();
            let sub_id = format!("sub_{}", next(&mut inner));
            let item_id = format!("si_{}", next(&mut inner));
            let now = now();
            let trial_days: Option<i64> =
                session.get("subscription_data[trial_period_days]").map(|d| d.parse().unwrap());
            let subscription = json!({
                "id": sub_id,
                "object": "subscription",
                "customer": session["customer"],
                "status": if trial_days.is_some() { "trialing" } else { "active" },
                "cancel_at_period_end": false,
                "trial_end": trial_days.map(|d| now + d * 86_400),
                "metadata": { "org_id": session.get("subscription_data[metadata][org_id]") },
                "items": { "object": "list", "data": [{
                    "id": item_id,
                    "object": "subscription_item",
                    "price": { "id": session["line_items[0][price]"] },
                    "quantity": session["line_items[0][quantity]"].parse::<u64>().unwrap(),
                    "current_period_end": now + trial_days.unwrap_or(30) * 86_400,
                }]},
            });
            inner.subscriptions.insert(sub_id.clone(), subscription.clone());
            (subscription, session)
        };
        let sub_id = subscription["id"].as_str().unwrap().to_owned();
        self.deliver(&self.event("customer.subscription.created", subscription.clone(), now())).await;
        let completed = json!({
            "id": id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "customer": session["customer"],
            "client_reference_id": session.get("client_reference_id"),
            "subscription": sub_id,
        });
        self.deliver(&self.event("checkout.session.completed", completed, now())).await;
        sub_id
    }

    /// An event as Stripe sends it, with a fresh id.
    pub fn event(&self, kind: &str, object: Value, created: i64) -> String {
        let id = format!("evt_{}", next(&mut self.inner.lock().unwrap()));
        json!({
            "id": id,
            "object": "event",
            "api_version": "2025-11-17.clover",
            "created": created,
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": kind,
            "data": { "object": object },
        })
        .to_string()
    }

    /// Posts `event` to the app's webhook with a valid signature; returns the app's status.
    pub async fn deliver(&self, event: &str) -> u16 {
        let header = stripe_webhook::Webhook::generate_test_header(event, WEBHOOK_SECRET, None);
        self.post_webhook(event, &header).await.0
    }

    /// Posts `body` with any `Stripe-Signature` header; returns the status and the answer.
    pub async fn post_webhook(&self, body: &str, signature: &str) -> (u16, String) {
        let url = self.webhook_url.lock().unwrap().clone().expect("send_webhooks_to was called");
        let response = reqwest::Client::new()
            .post(url)
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("webhook delivered");
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

fn next(inner: &mut Inner) -> u64 {
    inner.next += 1;
    inner.next
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn stripe_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "type": "invalid_request_error", "message": message } }))).into_response()
}

/// A request that passed the key check: its form, the earlier answer to its idempotency key
/// (Stripe replays it), and that key.
type Accepted = (HashMap<String, String>, Option<Value>, Option<String>);

/// Checks the key, logs the request, and finds the answer to a repeated idempotency key.
fn accept(
    standin: &StripeStandIn,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &str,
) -> Result<Accepted, Box<Response>> {
    let key = headers.get("authorization").and_then(|v| v.to_str().ok());
    if key != Some(&format!("Bearer {SECRET_KEY}")) {
        return Err(Box::new(stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided")));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut inner = standin.inner.lock().unwrap();
    inner.seen.push(Seen { method: method.into(), path: path.into(), form: form.clone() });
    let idempotency = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let replay = idempotency.as_ref().and_then(|k| inner.replies.get(k).cloned());
    Ok((form, replay, idempotency))
}

fn remember(standin: &StripeStandIn, key: Option<String>, reply: &Value) {
    if let Some(key) = key {
        standin.inner.lock().unwrap().replies.insert(key, reply.clone());
    }
}

async fn create_customer(State(s): State<StripeStandIn>, headers: HeaderMap, body: String) -> Response {
    let (form, replay, key) = match accept(&s, &headers, "POST", "/v1/customers", &body) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    if let Some(reply) = replay {
        return Json(reply).into_response();
    }
    let id = format!("cus_{}", next(&mut s.inner.lock().unwrap()));
    let customer = json!({
        "id": id, "object": "customer", "email": form.get("email"), "name": form.get("name"),
        "metadata": { "org_id": form.get("metadata[org_id]") },
    });
    s.inner.lock().unwrap().customers.insert(id, customer.clone());
    remember(&s, key, &customer);
    Json(customer).into_response()
}

async fn create_session(State(s): State<StripeStandIn>, headers: HeaderMap, body: String) -> Response {
    let (form, _, _) = match accept(&s, &headers, "POST", "/v1/checkout/sessions", &body) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    let customer_known = form.get("customer").is_some_and(|c| s.inner.lock().unwrap().customers.contains_key(c));
    if !customer_known || form.get("mode").map(String::as_str) != Some("subscription") {
        return stripe_error(StatusCode::BAD_REQUEST, "No such customer, or not a subscription checkout");
    }
    let id = format!("cs_test_{}", next(&mut s.inner.lock().unwrap()));
    s.inner.lock().unwrap().sessions.insert(id.clone(), form);
    Json(json!({ "id": id, "object": "checkout.session", "url": format!("{}checkout/{id}", s.url()) })).into_response()
}

async fn create_portal(State(s): State<StripeStandIn>, headers: HeaderMap, body: String) -> Response {
    let (form, _, _) = match accept(&s, &headers, "POST", "/v1/billing_portal/sessions", &body) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    if !form.get("customer").is_some_and(|c| s.inner.lock().unwrap().customers.contains_key(c)) {
        return stripe_error(StatusCode::BAD_REQUEST, "No such customer");
    }
    let id = format!("bps_{}", next(&mut s.inner.lock().unwrap()));
    Json(json!({ "id": id, "object": "billing_portal.session", "url": format!("{}portal/{id}", s.url()) }))
        .into_response()
}

async fn read_subscription(State(s): State<StripeStandIn>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(refused) = accept(&s, &headers, "GET", &format!("/v1/subscriptions/{id}"), "") {
        return *refused;
    }
    match s.inner.lock().unwrap().subscriptions.get(&id) {
        Some(subscription) => Json(subscription.clone()).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, &format!("No such subscription: '{id}'")),
    }
}

async fn update_subscription(
    State(s): State<StripeStandIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let (form, replay, key) = match accept(&s, &headers, "POST", &format!("/v1/subscriptions/{id}"), &body) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    if let Some(reply) = replay {
        return Json(reply).into_response();
    }
    let updated = {
        let mut inner = s.inner.lock().unwrap();
        let Some(subscription) = inner.subscriptions.get_mut(&id) else {
            return stripe_error(StatusCode::NOT_FOUND, &format!("No such subscription: '{id}'"));
        };
        if let Some(quantity) = form.get("items[0][quantity]") {
            subscription["items"]["data"][0]["quantity"] = json!(quantity.parse::<u64>().unwrap());
        }
        subscription.clone()
    };
    remember(&s, key, &updated);
    Json(updated).into_response()
}

async fn checkout_page(State(s): State<StripeStandIn>, Path(id): Path<String>) -> Response {
    let Some(session) = s.sessions().get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    };
    let quantity = session.get("line_items[0][quantity]").cloned().unwrap_or_default();
    let trial = session.get("subscription_data[trial_period_days]").cloned();
    Html(format!(
        "<!doctype html><title>Stand-in checkout</title><h1>Stand-in checkout</h1>\
         <p>CleanTrack Pro for {quantity} facility(ies){}.</p>\
         <form method=post action=/checkout/{id}/pay><button>Start subscription</button></form>",
        trial.map(|d| format!(", {d}-day trial")).unwrap_or_default()
    ))
    .into_response()
}

async fn pay(State(s): State<StripeStandIn>, Path(id): Path<String>) -> Response {
    let Some(success) = s.sessions().get(&id).and_then(|session| session.get("success_url").cloned()) else {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    };
    s.complete_checkout(&id).await;
    Redirect::to(&success).into_response()
}
