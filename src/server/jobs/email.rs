//! Delivering a recorded email through Resend. The outbox row's id is the idempotency key, so
//! a job that runs twice (a worker died after sending, before recording it) cannot send twice:
//! Resend answers the repeated request with the first result.

use resend_rs::types::CreateEmailBaseOptions;
use resend_rs::{Config as ResendClientConfig, Resend};
use serde::{Deserialize, Serialize};

use uuid::Uuid;

use super::{JobError, JobKind};
use crate::server::config::ResendConfig;
use crate::server::state::AppState;

/// Sends one recorded email (`outbound_emails`).
pub struct SendEmail;

#[derive(Serialize, Deserialize)]
pub struct Payload {
    pub email_id: Uuid,
}

impl JobKind for SendEmail {
    const KIND: &'static str = "send_email";
    type Payload = Payload;
    async fn run(state: &AppState, payload: Payload) -> Result<(), JobError> {
        deliver(state, payload.email_id).await
    }
}

async fn deliver(state: &AppState, id: Uuid) -> Result<(), JobError> {
    let row: Option<(String, String, String, String, bool)> = sqlx::query!("SELECT recipient AS \"recipient!: String\", subject AS \"subject!: String\", text_body AS \"text_body!: String\", html_body AS \"html_body!: String\", delivered_at IS NOT NULL AS \"delivered!: bool\" FROM outbound_emails WHERE id = $1", id).map(|r| (r.recipient, r.subject, r.text_body, r.html_body, r.delivered))
    .fetch_optional(&state.pool)
    .await
    .map_err(|e| JobError::Retry(e.to_string()))?;
    let Some((to, subject, text, html, delivered)) = row else {
        return Err(JobError::Fatal(format!("email {id} does not exist")));
    };
    if delivered {
        return Ok(());
    }
    let provider_id = match &state.config.email.resend {
        Some(resend) => {
            send(resend, &state.config.email.from, state.config.email.timeout, id, &to, &subject, &text, &html).await?
        }
        // No provider configured: the recorded message is the delivery (development, tests).
        None => "recorded-only".to_owned(),
    };
    sqlx::query!("UPDATE outbound_emails SET delivered_at = now(), provider_id = $2 WHERE id = $1", id, &provider_id)
        .execute(&state.pool)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    tracing::info!(email = %id, provider_id, "email delivered");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn send(
    resend: &ResendConfig,
    from: &str,
    timeout: std::time::Duration,
    id: Uuid,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<String, JobError> {
    let mut config = ResendClientConfig::builder(resend.api_key.expose());
    if let Some(url) = &resend.base_url {
        config = config.base_url(url.clone());
    }
    let client = Resend::with_config(config.build());
    let email = CreateEmailBaseOptions::new(from, [to], subject).with_text(text).with_html(html);
    let request = client.emails.send(email.with_idempotency_key(&format!("cleantrack-email-{id}")));
    match tokio::time::timeout(timeout, request).await {
        Err(_) => Err(JobError::Retry(format!("Resend did not answer within {} s", timeout.as_secs()))),
        Ok(Ok(response)) => Ok(response.id.to_string()),
        Ok(Err(err)) => Err(classify(err)),
    }
}

/// 4xx means the request itself is wrong (bad address, unverified domain, bad key): retrying
/// cannot help. Rate limits, 5xx, network and unreadable answers are worth another attempt.
fn classify(err: resend_rs::Error) -> JobError {
    match &err {
        resend_rs::Error::Resend(response)
            if (400..500).contains(&response.status_code) && response.status_code != 409 =>
        {
            JobError::Fatal(format!("Resend refused the email: {err}"))
        }
        _ => JobError::Retry(format!("Resend: {err}")),
    }
}
