//! `cleantrack smoke --url URL`: the seed's post-deploy checks against a running deployment, one
//! PASS or FAIL line each, exit status 1 if any fails. Needs no account and changes nothing.

use std::path::Path;
use std::time::Duration;

use reqwest::{header, Client, StatusCode};
use url::Url;

use super::http::static_files;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// An error with its causes (reqwest's own message hides them: "error sending request").
fn cause(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

fn pass(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, passed: true, detail: detail.into() }
}

fn fail(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, passed: false, detail: detail.into() }
}

/// A client for `base`: no redirects followed (a redirect is itself a finding), and, for a
/// certificate of one's own (a staging proxy, the tests), an extra trusted root.
pub fn client(ca_cert: Option<&Path>) -> anyhow::Result<Client> {
    let mut builder = Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(20));
    if let Some(path) = ca_cert {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(path)?)?);
    }
    Ok(builder.build()?)
}

/// Runs every check against `base` (the site's public address).
pub async fn run(client: &Client, base: &Url) -> Vec<Check> {
    let at = |path: &str| base.join(path).expect("static paths join");
    let mut checks = Vec::new();

    // The front page: HTTPS, HSTS, the security headers, and the site files it names.
    match client.get(at("/")).send().await {
        Err(err) => checks.push(fail("front page", format!("{} did not answer: {}", at("/"), cause(&err)))),
        Ok(response) => {
            let headers = response.headers().clone();
            let status = response.status();
            let html = response.text().await.unwrap_or_default();
            checks.push(if base.scheme() == "https" && status == StatusCode::OK {
                pass("https", format!("{base} answers 200 over HTTPS"))
            } else {
                fail("https", format!("{base} answered {status} over {}", base.scheme().to_uppercase()))
            });
            checks.push(hsts(&headers));
            checks.push(security_headers(&headers));
            checks.push(site_files(client, base, &html).await);
        }
    }
    checks.push(expect_status(client, at("/readyz"), "database", StatusCode::OK, None).await);
    checks.push(expect_status(client, at("/login"), "sign-in page", StatusCode::OK, Some("type=\"password\"")).await);
    checks.push(expect_status(client, at("/qr/sample.svg"), "QR image", StatusCode::OK, Some("<svg")).await);
    checks.push(match client.post(at("/webhooks/stripe")).body("{}").send().await {
        Ok(r) if r.status() == StatusCode::BAD_REQUEST => pass("stripe webhook", "an unsigned event is refused (400)"),
        Ok(r) if r.status() == StatusCode::NOT_FOUND => fail("stripe webhook", "not configured: billing is off (404)"),
        Ok(r) => fail("stripe webhook", format!("an unsigned event got {}", r.status())),
        Err(err) => fail("stripe webhook", cause(&err)),
    });
    checks
}

fn hsts(headers: &header::HeaderMap) -> Check {
    let value = headers.get(header::STRICT_TRANSPORT_SECURITY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let max_age = value
        .split(';')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    if max_age >= 31_536_000 {
        pass("hsts", value.to_owned())
    } else if max_age > 0 {
        fail("hsts", format!("max-age {max_age} is under a year: {value}"))
    } else {
        fail("hsts", "no Strict-Transport-Security header")
    }
}

fn security_headers(headers: &header::HeaderMap) -> Check {
    let expected = [
        ("x-content-type-options", Some("nosniff")),
        ("x-frame-options", Some("DENY")),
        ("referrer-policy", None),
        ("content-security-policy", None),
    ];
    let missing: Vec<&str> = expected
        .iter()
        .filter(|(name, want)| {
            let got = headers.get(*name).and_then(|v| v.to_str().ok());
            got.is_none() || want.is_some_and(|w| got != Some(w))
        })
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        pass("security headers", "nosniff, frame DENY, referrer policy, CSP")
    } else {
        fail("security headers", format!("missing or wrong: {}", missing.join(", ")))
    }
}

/// The stylesheet and script the page links, served with a cache policy: a year and immutable
/// for content-hashed names.
async fn site_files(client: &Client, base: &Url, html: &str) -> Check {
    let linked: Vec<&str> = html
        .split('"')
        .filter(|piece| piece.starts_with("/pkg/") && (piece.ends_with(".css") || piece.ends_with(".js")))
        .collect();
    if linked.is_empty() {
        return fail("static files", "the front page links no /pkg/ stylesheet or script");
    }
    let mut seen = Vec::new();
    for path in linked {
        let url = base.join(path).expect("a path joins");
        let response = match client.get(url).send().await {
            Ok(r) => r,
            Err(err) => return fail("static files", format!("{path}: {}", cause(&err))),
        };
        let cache = response.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if response.status() != StatusCode::OK {
            return fail("static files", format!("{path} answered {}", response.status()));
        }
        let wanted = if static_files::is_hashed(path) { static_files::IMMUTABLE } else { static_files::SHORT };
        if cache != wanted {
            return fail("static files", format!("{path} has Cache-Control `{cache}`, expected `{wanted}`"));
        }
        seen.push(format!("{path} ({cache})"));
    }
    pass("static files", seen.join(", "))
}

async fn expect_status(
    client: &Client,
    url: Url,
    name: &'static str,
    status: StatusCode,
    body_contains: Option<&str>,
) -> Check {
    match client.get(url.clone()).send().await {
        Err(err) => fail(name, format!("{url}: {}", cause(&err))),
        Ok(response) if response.status() != status => fail(name, format!("{url} answered {}", response.status())),
        Ok(response) => {
            let body = response.text().await.unwrap_or_default();
            match body_contains {
                Some(needle) if !body.contains(needle) => fail(name, format!("{url} lacks `{needle}`")),
                _ => pass(name, format!("{url} answers {status}")),
            }
        }
    }
}

/// The report: one line per check, then a summary line.
pub fn report(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        let verdict = if check.passed { "PASS" } else { "FAIL" };
        out.push_str(&format!("{verdict}  {:<17} {}\n", check.name, check.detail));
    }
    let failed = checks.iter().filter(|c| !c.passed).count();
    out.push_str(&format!("smoke: {} passed, {failed} failed\n", checks.len() - failed));
    out
}
