//! `/dev/mail`: the emails the application recorded, newest first, with their links clickable.
//! Development only (the route is not registered in production), so a newcomer can confirm an
//! address or accept an invitation without any mail account, and browser tests can follow links.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use crate::server::state::AppState;

#[derive(Deserialize)]
pub struct Filter {
    to: Option<String>,
}

pub async fn outbox(
    State(state): State<AppState>,
    Query(filter): Query<Filter>,
) -> Result<Html<String>, axum::http::StatusCode> {
    let rows: Vec<(String, String, String, String)> = sqlx::query!("SELECT recipient AS \"recipient!: String\", subject AS \"subject!: String\", text_body AS \"text_body!: String\", to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS \"created_at!: String\" FROM outbound_emails \
         WHERE $1::text IS NULL OR recipient = lower($1) ORDER BY created_at DESC LIMIT 50", filter.to).map(|r| (r.recipient, r.subject, r.text_body, r.created_at))
    .fetch_all(&state.pool)
    .await
    .map_err(|err| {
        tracing::error!(error = %err, "dev mail listing failed");
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Development mail</title></head><body>\
         <h1>Development mail</h1><p>Emails recorded by this development server, newest first.</p>",
    );
    for (to, subject, body, at) in rows {
        html.push_str(&format!(
            "<article class=\"email\"><h2>{}</h2><p>To <span class=\"to\">{}</span> at {at}</p><pre>",
            escape(&subject),
            escape(&to)
        ));
        for word in body.split_inclusive(char::is_whitespace) {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                html.push_str(&format!("<a href=\"{0}\">{0}</a>{1}", escape(trimmed), &word[trimmed.len()..]));
            } else {
                html.push_str(&escape(word));
            }
        }
        html.push_str("</pre></article>");
    }
    html.push_str("</body></html>");
    Ok(Html(html))
}

fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
