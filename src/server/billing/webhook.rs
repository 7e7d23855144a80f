//! Stripe's deliveries (`POST /webhooks/stripe`, handled in `server::http::stripe_webhook`): verify
//! the signature over the raw body, record the event once by its id, enqueue its processing. A repeated delivery is acknowledged and changes
//! nothing; anything unsigned, stale or malformed gets 400 and changes nothing.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::{events, signature};
use crate::server::jobs;
use crate::server::state::AppState;

/// The envelope fields we need; `data.object` is kept whole in the recorded payload.
#[derive(Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    created: i64,
    livemode: bool,
    data: EnvelopeData,
}

#[derive(Deserialize)]
struct EnvelopeData {
    object: Value,
}

/// A delivery whose signature over the raw body verifies (within Stripe's tolerance of `now`)
/// and which is a Stripe event with an object; the reason it is not, otherwise.
pub fn verified(
    body: &[u8],
    signature_header: &str,
    secret: &str,
    now: i64,
) -> Result<(Envelope, OffsetDateTime), String> {
    signature::verify(body, signature_header, secret, now).map_err(|err| err.to_string())?;
    let event: Envelope = serde_json::from_slice(body).map_err(|err| format!("not a Stripe event: {err}"))?;
    if !event.data.object.is_object() {
        return Err("the event has no data.object".into());
    }
    let created = OffsetDateTime::from_unix_timestamp(event.created)
        .map_err(|_| "the event's `created` is not a time".to_owned())?;
    Ok((event, created))
}

/// Records the event and its job in one transaction; `false` if its id was recorded before.
/// An event of the other mode (a test event reaching a live server) is recorded as ignored.
pub async fn record(
    state: &AppState,
    event: &Envelope,
    created: OffsetDateTime,
    body: &[u8],
    live_mode: bool,
) -> Result<bool, sqlx::Error> {
    let payload: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let wrong_mode = event.livemode != live_mode;
    let mut tx = state.pool.begin().await?;
    let inserted = sqlx::query!(
        "INSERT INTO stripe_events (id, type, livemode, created, payload, processed_at, outcome) \
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN $7 END) \
         ON CONFLICT (id) DO NOTHING",
        &event.id,
        &event.kind,
        event.livemode,
        created,
        payload,
        wrong_mode,
        format!("ignored: a {} event on a {} server", mode(event.livemode), mode(live_mode))
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if inserted && !wrong_mode {
        let payload = events::Payload { event_id: event.id.clone() };
        jobs::enqueue::<events::StripeEvent>(&mut tx, &payload).await?;
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
