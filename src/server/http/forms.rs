//! Forms posted without JavaScript (before the WASM arrives, or with it off) come back to the
//! page they were sent from, with their outcome, so the person sees the same message the
//! hydrated page would show, on the form:
//!
//! - a refusal: `?__path=…&__err=…` (Leptos' own encoding, `ServerFnUrlError`), which
//!   `ServerAction::new` on that page reads as the action's error, so `ActionError` shows it;
//! - success: `?done=<server function path>`, which `ActionDone` shows as its message;
//! - a session that ended: the sign-in page, coming back here afterwards.
//!
//! leptos_axum alone sends the browser back to the page on success and leaves a refusal on the
//! server function's own URL (`/api/…`) with no message at all.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::server_fn::error::ServerFnUrlError;

use super::errors::SERVER_FN_ERROR_HEADER;
use crate::model::error::AppError;

/// The query parameters this module adds to a page's address.
const OURS: [&str; 3] = ["__path", "__err", "done"];

pub async fn plain_form_posts(req: Request, next: Next) -> Response {
    let accepts_html =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/") || !accepts_html {
        return next.run(req).await;
    }
    let function = req.uri().path().to_owned();
    let referer = req.headers().get(header::REFERER).cloned();
    let back = referer.as_ref().and_then(|r| r.to_str().ok()).and_then(page_of).unwrap_or_else(|| "/".to_owned());
    let response = next.run(req).await;

    if response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        let (_, body) = response.into_parts();
        let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
        let error = serde_json::from_slice::<AppError>(&bytes).unwrap_or(AppError::Internal);
        if error == AppError::Unauthenticated {
            let next = crate::model::redirect::encode_component(&back);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        return match ServerFnUrlError::new(&function, error).to_url(&format!("http://page{back}")) {
            Ok(url) => Redirect::to(&local(&url)).into_response(),
            Err(_) => Redirect::to(&back).into_response(),
        };
    }
    // server_fn's answer to a plain form post that succeeded: back to the page it came from
    // (the Referer, less any error of an earlier post). A function's own redirect (sign-in to
    // the next page, say) leads elsewhere and stands.
    let location = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).and_then(page_of);
    let went_back =
        response.status() == StatusCode::FOUND && referer.is_some() && location.as_deref() == Some(back.as_str());
    if went_back {
        let mut url = url::Url::parse(&format!("http://page{back}")).expect("a path joins");
        url.query_pairs_mut().append_pair("done", &function);
        let mut response = Redirect::to(&local(&url)).into_response();
        // Never from a cache: the page shows what was just saved.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    response
}

/// The path and query of a page address, without the outcome of an earlier submission.
fn page_of(address: &str) -> Option<String> {
    let mut url = url::Url::parse(address).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !OURS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    Some(local(&url))
}

fn local(url: &url::Url) -> String {
    url[url::Position::BeforePath..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_kept_without_an_earlier_outcome() {
        assert_eq!(page_of("http://x.example/q/abc?done=%2Fapi%2Flog&tab=1").as_deref(), Some("/q/abc?tab=1"));
        assert_eq!(page_of("http://x.example/q/abc?__path=a&__err=b").as_deref(), Some("/q/abc"));
        assert_eq!(page_of("not a url"), None);
    }
}
