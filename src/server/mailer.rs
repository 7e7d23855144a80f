//! Outgoing email. Every message goes through [`send`], which records it in `outbound_emails`
//! and enqueues its delivery job inside the caller's transaction: an email exists, and is
//! delivered, exactly when the change that caused it commits. Workers deliver it through Resend
//! (`server::jobs::email`); without Resend the recorded message is the delivery, shown at
//! `/dev/mail` in development.

use sqlx::PgConnection;
use url::Url;

pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub async fn send(conn: &mut PgConnection, email: Email) -> Result<(), sqlx::Error> {
    let id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO outbound_emails (id, recipient, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .execute(&mut *conn)
    .await?;
    crate::server::jobs::enqueue(conn, crate::server::jobs::email::KIND, crate::server::jobs::email::payload(id))
        .await?;
    tracing::info!(to = %email.to, subject = %email.subject, "email recorded");
    Ok(())
}

/// `https://host/path?token=…`, built from PUBLIC_URL so a forged Host header can never steer
/// a link somewhere else.
pub fn link(public_url: &Url, path: &str, token: &str) -> String {
    let mut url = public_url.join(path).expect("static paths join");
    url.query_pairs_mut().append_pair("token", token);
    url.to_string()
}

/// One look for every message: a heading, a paragraph, a button, and the link spelled out.
fn render(to: &str, subject: &str, intro: &str, action: &str, link: &str, outro: &str) -> Email {
    let text = format!("{intro}\n\n{action}: {link}\n\n{outro}\n\n— CleanTrack\n");
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#1b1f23;max-width:36rem\">\
         <h1 style=\"font-size:1.3rem;color:#0b6e4f\">{subject}</h1><p>{intro}</p>\
         <p><a href=\"{link}\" style=\"display:inline-block;background:#0b6e4f;color:#fff;padding:.7rem 1.1rem;\
         border-radius:8px;text-decoration:none\">{action}</a></p>\
         <p style=\"font-size:.9rem;color:#5b6570\">Or paste this address into your browser:<br>{link}</p>\
         <p style=\"font-size:.9rem;color:#5b6570\">{outro}</p></body></html>",
        subject = escape(subject),
        intro = escape(intro),
        action = escape(action),
        link = escape(link),
        outro = escape(outro),
    );
    Email { to: to.to_owned(), subject: subject.to_owned(), text, html }
}

fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn verification(to: &str, name: &str, link: &str) -> Email {
    render(
        to,
        "Confirm your email address",
        &format!("Hello {name}, please confirm that this is your email address to start using CleanTrack."),
        "Confirm my email",
        link,
        "The link works once and expires in 48 hours. If you did not create an account, ignore this message.",
    )
}

pub fn password_reset(to: &str, link: &str) -> Email {
    render(
        to,
        "Reset your password",
        "Someone (hopefully you) asked to reset the password of your CleanTrack account.",
        "Choose a new password",
        link,
        "The link works once and expires in 1 hour. If you did not ask, ignore this message: your password stays as it is.",
    )
}

pub fn invitation(to: &str, inviter: &str, org: &str, role: &str, link: &str) -> Email {
    render(
        to,
        &format!("Join {org} on CleanTrack"),
        &format!("{inviter} invited you to join {org} on CleanTrack as {role}."),
        "Accept the invitation",
        link,
        "The invitation expires in 7 days.",
    )
}
