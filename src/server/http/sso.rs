//! The two addresses of single sign-on: `/sso/start` (from the sign-in page's form, with the
//! work email) sends the browser to the organization's provider; `/sso/callback` is where the
//! provider sends it back. Both are plain GETs of the browser, so a refusal goes back to the
//! sign-in page, whose notice says why (kept in the session, not in the address).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

use crate::model::error::AppError;
use crate::model::redirect::safe_next;
use crate::server::auth::{sso, AuthSession};
use crate::server::http::origin::ClientInfo;
use crate::server::state::AppState;

/// Session key of the notice the sign-in page shows once.
pub const NOTICE_KEY: &str = "sign_in_notice";

#[derive(Deserialize)]
pub struct Start {
    email: String,
    next: Option<String>,
    shared_device: Option<String>,
}

pub async fn start(State(state): State<AppState>, auth: AuthSession, Query(form): Query<Start>) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    match sso::start(&state, &auth, &form.email, &next, form.shared_device.is_some()).await {
        Ok(provider) => onward(&provider),
        Err(err) => back_to_sign_in(&auth, err).await,
    }
}

/// A page that moves on to the provider. Not a redirect: the sign-in form led here, and the
/// Content-Security-Policy's `form-action 'self'` would stop a form's redirect to another site.
fn onward(provider: &str) -> Response {
    let url = html_escape(provider);
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>Single sign-on</title></head><body><p>Continuing to your organization's sign-in… \
         <a href=\"{url}\">Continue</a></p></body></html>"
    );
    ([(http::header::CONTENT_TYPE, "text/html; charset=utf-8"), (http::header::CACHE_CONTROL, "no-store")], page)
        .into_response()
}

fn html_escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    mut auth: AuthSession,
    Extension(client): Extension<ClientInfo>,
    Query(answer): Query<Callback>,
) -> Response {
    let (Some(code), Some(returned_state), None) = (answer.code, answer.state, answer.error) else {
        let err =
            AppError::Invalid("The sign-in provider did not sign you in (cancelled or refused). Try again.".into());
        return back_to_sign_in(&auth, err).await;
    };
    match sso::finish(&state, &mut auth, client.ip, &code, &returned_state).await {
        Ok(next) => Redirect::to(&next).into_response(),
        Err(err) => back_to_sign_in(&auth, err).await,
    }
}

async fn back_to_sign_in(auth: &AuthSession, err: AppError) -> Response {
    let message = match &err {
        AppError::Invalid(m) | AppError::Forbidden(m) | AppError::RateLimited(m) => m.clone(),
        _ => "Single sign-on failed on our side. Try again in a moment.".to_owned(),
    };
    let _ = auth.session.insert(NOTICE_KEY, message).await;
    Redirect::to("/login?sso=failed").into_response()
}
