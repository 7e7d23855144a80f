//! `POST /client-errors`: a panic in a person's browser, sent by the page's panic hook
//! (`browser.rs`) as JSON `{"message": "...", "url": "..."}`. Logged as an error (and so sent to
//! Sentry when it is configured) with who was signed in, so that a page that stopped reacting
//! for someone is a report we read, not a silence.
//!
//! Only our own pages can send one (the CSRF check applies as to any POST). Reports are capped
//! at 4 KB each and at 60 a minute per instance, so a broken release cannot flood the logs.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};

use crate::server::auth::AuthSession;

pub const MAX_BYTES: usize = 4 * 1024;
const PER_MINUTE: u64 = 60;

#[derive(serde::Deserialize)]
struct Report {
    message: String,
    url: String,
}

/// The minute (since the epoch) and the reports logged in it, in one word: minute << 16 | count.
static WINDOW: AtomicU64 = AtomicU64::new(0);

fn admit() -> bool {
    let minute = time::OffsetDateTime::now_utc().unix_timestamp() as u64 / 60;
    let mut seen = WINDOW.load(Ordering::Relaxed);
    loop {
        let (window, count) = (seen >> 16, seen & 0xffff);
        let next = if window == minute { (minute << 16) | (count + 1) } else { (minute << 16) | 1 };
        if window == minute && count >= PER_MINUTE {
            return false;
        }
        match WINDOW.compare_exchange_weak(seen, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(now) => seen = now,
        }
    }
}

pub async fn report(auth: AuthSession, headers: HeaderMap, body: Bytes) -> StatusCode {
    if body.len() > MAX_BYTES {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    let Ok(report) = serde_json::from_slice::<Report>(&body) else {
        return StatusCode::UNPROCESSABLE_ENTITY;
    };
    if !admit() {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    let user = auth.user.as_ref().map(|u| u.id.to_string()).unwrap_or_else(|| "-".into());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::error!(
        target: "cleantrack::browser",
        panic = %report.message,
        url = %report.url,
        user = %user,
        user_agent = %agent,
        "a page panicked in the browser"
    );
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_sixty_reports_a_minute_are_admitted() {
        let minute = || time::OffsetDateTime::now_utc().unix_timestamp() / 60;
        loop {
            let started = minute();
            let admitted = (0..100).filter(|_| admit()).count();
            // A minute that turned during the loop admits again: measure inside one minute.
            if minute() == started {
                assert!(admitted <= PER_MINUTE as usize, "{admitted} admitted");
                assert!(!admit(), "the 61st is refused");
                break;
            }
        }
    }
}
