//! `POST /webhooks/stripe`: verify the signature over the raw body, record the event once by
//! its id, enqueue its processing, answer. A repeated delivery is acknowledged and changes
//! nothing; anything unsigned, stale or malformed gets 400 and changes nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::signature;
use crate::server::jobs;
use crate::server::state::AppState;

/// The envelope fields we need; `data.object` is kept whole in the recorded payload.
#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    livemode: bool,
    data: EnvelopeData,
}

#[derive(Deserialize)]
struct EnvelopeData {
    object: Value,
}

fn bad_request(why: &str) -> Response {
    tracing::warn!("Stripe webhook refused: {why}");
    (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(stripe) = &state.config.stripe else {
        return (StatusCode::NOT_FOUND, "Billing is not configured on this server.\n").into_response();
    };
    let Some(header) = headers.get("stripe-signature").and_then(|v| v.to_str().ok()) else {
        return bad_request("no Stripe-Signature header");
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(err) = signature::verify(&body, header, stripe.webhook_secret.expose(), now) {
        return bad_request(&err.to_string());
    }
    let event: Envelope = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(err) => return bad_request(&format!("not a Stripe event: {err}")),
    };
    if !event.data.object.is_object() {
        return bad_request("the event has no data.object");
    }
    let Ok(created) = time::OffsetDateTime::from_unix_timestamp(event.created) else {
        return bad_request("the event's `created` is not a time");
    };
    match record(&state, &event, created, &body, stripe.live_mode).await {
        Ok(new) => {
            tracing::info!(event = %event.id, kind = %event.kind, duplicate = !new, "Stripe event received");
            (StatusCode::OK, axum::Json(serde_json::json!({ "received": true, "duplicate": !new }))).into_response()
        }
        Err(err) => {
            // Stripe retries anything but 2xx, for days: nothing is lost by answering 500.
            tracing::error!(error = %err, event = %event.id, "could not record a Stripe event");
            (StatusCode::INTERNAL_SERVER_ERROR, "Could not record the event; Stripe will retry.\n").into_response()
        }
    }
}

/// Records the event and its job in one transaction; `false` if its id was recorded before.
/// An event of the other mode (a test event reaching a live server) is recorded as ignored.
async fn record(
    state: &AppState,
    event: &Envelope,
    created: time::OffsetDateTime,
    body: &[u8],
    live_mode: bool,
) -> Result<bool, sqlx::Error> {
    let payload: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let wrong_mode = event.livemode != live_mode;
    let mut tx = state.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, livemode, created, payload, processed_at, outcome) \
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN $7 END) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.kind)
    .bind(event.livemode)
    .bind(created)
    .bind(payload)
    .bind(wrong_mode)
    .bind(format!("ignored: a {} event on a {} server", mode(event.livemode), mode(live_mode)))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if inserted && !wrong_mode {
        jobs::enqueue(&mut tx, super::events::KIND, super::events::payload(&event.id)).await?;
    }
    tx.commit().await?;
    Ok(inserted)
}

fn mode(live: bool) -> &'static str {
    if live {
        "live-mode"
    } else {
        "test-mode"
    }
}
