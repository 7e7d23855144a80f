//! Outgoing email. Every message goes through [`send`], which records it in `outbound_emails`
//! and enqueues its delivery job inside the caller's transaction: an email exists, and is
//! delivered, exactly when the change that caused it commits. Workers deliver it through Resend
//! (`server::jobs::email`); without Resend the recorded message is the delivery, shown at
//! `/dev/mail` in development.

use sqlx::PgConnection;
use url::Url;

use crate::server::jobs::email::{self, SendEmail};

pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub async fn send(conn: &mut PgConnection, email: Email) -> Result<(), sqlx::Error> {
    let id = uuid::Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO outbound_emails (id, recipient, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5)",
        id,
        &email.to,
        &email.subject,
        &email.text,
        &email.html
    )
    .execute(&mut *conn)
    .await?;
    crate::server::jobs::enqueue::<SendEmail>(conn, &email::Payload { email_id: id }).await?;
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

/// One look for every message: a heading, a paragraph, an optional list, a button, and the
/// link spelled out (plain-text part and HTML part say the same).
fn render(to: &str, subject: &str, intro: &str, items: &[String], action: &str, link: &str, outro: &str) -> Email {
    let list_text: String = items.iter().map(|i| format!("  - {i}\n")).collect();
    let list_html: String = if items.is_empty() {
        String::new()
    } else {
        format!("<ul>{}</ul>", items.iter().map(|i| format!("<li>{}</li>", escape(i))).collect::<String>())
    };
    let text = format!(
        "{intro}\n\n{list_text}{sep}{action}: {link}\n\n{outro}\n\n— CleanTrack\n",
        sep = if items.is_empty() { "" } else { "\n" }
    );
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#1b1f23;max-width:36rem\">\
         <h1 style=\"font-size:1.3rem;color:#0b6e4f\">{subject}</h1><p>{intro}</p>{list_html}\
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

/// A page of the site (no token), built from PUBLIC_URL.
pub fn page(public_url: &Url, path: &str) -> String {
    public_url.join(path).expect("static paths join").to_string()
}

fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn verification(to: &str, name: &str, link: &str) -> Email {
    render(
        to,
        "Confirm your email address",
        &format!("Hello {name}, please confirm that this is your email address to start using CleanTrack."),
        &[],
        "Confirm my email",
        link,
        "The link works once and expires in 48 hours. If you did not create an account, ignore this message.",
    )
}

/// Someone registered with an address that already has an account. The page answered them as
/// it answers every registration, so only the address's owner learns of it, here.
pub fn already_registered(to: &str, name: &str, link: &str) -> Email {
    render(
        to,
        "You already have a CleanTrack account",
        &format!(
            "Hello {name}, someone (hopefully you) tried to create a new CleanTrack account with this address. \
             It already has one, so nothing was created."
        ),
        &[],
        "Sign in",
        link,
        "Forgot your password? Choose \"Forgot your password\" on the sign-in page. If this was not you, ignore this message.",
    )
}

pub fn password_reset(to: &str, link: &str) -> Email {
    render(
        to,
        "Reset your password",
        "Someone (hopefully you) asked to reset the password of your CleanTrack account.",
        &[],
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
        &[],
        "Accept the invitation",
        link,
        "The invitation expires in 7 days.",
    )
}

/// The daily list of overdue equipment, for an organization's supervisors.
pub fn overdue_digest(to: &str, org: &str, overdue: &[String], link: &str) -> Email {
    render(
        to,
        &format!("{} overdue at {org}", plural(overdue.len(), "item is", "items are")),
        &format!("These need cleaning at {org}, most overdue first:"),
        overdue,
        "Open the overdue list",
        link,
        "You receive this daily as a supervisor while anything is overdue.",
    )
}

/// One alert (due soon, overdue, failed cleaning, corrective action, problem reported).
pub fn alert(to: &str, org: &str, title: &str, body: &str, link: &str) -> Email {
    render(
        to,
        &format!("{title} · {org}"),
        body,
        &[],
        "Open CleanTrack",
        link,
        "You receive this because of your alert settings (Notifications → Alert settings in CleanTrack).",
    )
}

pub fn trial_ending(to: &str, org: &str, days_left: i64, link: &str) -> Email {
    render(
        to,
        &format!("Your CleanTrack trial for {org} ends in {}", plural(days_left as usize, "day", "days")),
        "Choose a plan to keep adding facilities and equipment. Your records stay readable and exportable whatever you decide.",
        &[],
        "Choose a plan",
        link,
        "Questions about plans? Reply to this email.",
    )
}

pub fn payment_failed(to: &str, org: &str, link: &str) -> Email {
    render(
        to,
        &format!("Payment failed for {org}"),
        "We could not charge the payment method on file. Please update it to keep your subscription active. \
         Logging and reading records continue in the meantime.",
        &[],
        "Update payment method",
        link,
        "If you have already fixed this, you can ignore this message.",
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Email> {
        let base = Url::parse("https://cleantrack.example").unwrap();
        vec![
            verification("a@x.example", "Ana", &link(&base, "/verify-email", "t0k")),
            password_reset("a@x.example", &link(&base, "/reset-password", "t0k")),
            invitation("a@x.example", "Olu", "North Lab", "Staff", &link(&base, "/invitations/accept", "t0k")),
            overdue_digest(
                "a@x.example",
                "North Lab",
                &["Autoclave 2 (3 days)".into(), "Hood <A> & B".into()],
                &page(&base, "/equipment?overdue=1"),
            ),
            trial_ending("a@x.example", "North Lab", 3, &page(&base, "/billing")),
            payment_failed("a@x.example", "North Lab", &page(&base, "/billing")),
        ]
    }

    #[test]
    fn every_email_has_both_parts_with_its_link_on_the_public_url() {
        for email in all() {
            let link =
                email.text.split_whitespace().find(|w| w.starts_with("https://")).expect("a link in the text part");
            assert!(link.starts_with("https://cleantrack.example/"), "{link}");
            assert!(
                email.html.contains(&format!("href=\"{link}\"")),
                "{}: the HTML button points to the same place",
                email.subject
            );
            assert!(email.html.contains("#0b6e4f"), "one look for all");
        }
    }

    #[test]
    fn names_are_escaped_in_html_and_lists_appear_in_both_parts() {
        let digest = &all()[3];
        assert_eq!(digest.subject, "2 items are overdue at North Lab");
        assert!(digest.text.contains("  - Hood <A> & B"));
        assert!(digest.html.contains("<li>Hood &lt;A&gt; &amp; B</li>"));
    }
}
