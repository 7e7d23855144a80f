//! `POST /webhooks/stripe`: Stripe's deliveries. Anything unsigned, stale or malformed gets 400
//! and changes nothing; a repeated delivery is acknowledged and changes nothing; what
//! verifying and recording mean is in `billing::webhook`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::server::billing::webhook;
use crate::server::state::AppState;

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
    let (event, created) = match webhook::verified(&body, header, stripe.webhook_secret.expose(), now) {
        Ok(verified) => verified,
        Err(why) => return bad_request(&why),
    };
    match webhook::record(&state, &event, created, &body, stripe.live_mode).await {
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
