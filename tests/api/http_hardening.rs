//! The layers every request passes: allowed hosts, HTTPS, security headers, limits, request ids.

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{config_for, spawn_app, spawn_app_with};

#[sqlx::test]
async fn a_foreign_host_header_gets_400(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let response = app.client.get(app.url("/")).header(header::HOST, "evil.example.com").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Development allows localhost and 127.0.0.1 by default.
    let local = app.client.get(app.url("/")).header(header::HOST, "localhost").send().await.unwrap();
    assert_eq!(local.status(), StatusCode::OK);
}

#[sqlx::test]
async fn probes_answer_whatever_the_host(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let response = app.client.get(app.url("/healthz")).header(header::HOST, "10.0.3.7:8080").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test]
async fn pages_carry_the_security_headers_and_a_nonce_the_scripts_use(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(value(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(value(&headers, "x-frame-options"), "DENY");
    assert_eq!(value(&headers, "referrer-policy"), "same-origin");
    let csp = value(&headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "hydration needs WASM compilation: {csp}");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the CSP");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")),
        "the hydration script must carry the CSP nonce"
    );
    // A fresh nonce per response: a reused one would let an injected script copy it.
    let again = value(&app.get("/").await.headers().clone(), "content-security-policy");
    assert_ne!(csp, again);
}

#[sqlx::test]
async fn an_unknown_page_is_a_404_with_the_security_headers(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(value(response.headers(), "x-frame-options"), "DENY");
    assert!(response.text().await.unwrap().contains("Page not found"));
}

#[sqlx::test]
async fn a_request_body_over_the_limit_gets_413(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app_with(config_for(db, &[("MAX_REQUEST_BODY_BYTES", "1024")])).await;
    let response =
        app.client.post(app.url("/")).header("origin", app.url("")).body(vec![b'x'; 4096]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[sqlx::test]
async fn every_response_has_a_request_id_and_a_given_one_is_kept(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    assert!(!value(app.get("/healthz").await.headers(), "x-request-id").is_empty());
    let response = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(value(response.headers(), "x-request-id"), "abc-123");
}

#[sqlx::test]
async fn pages_are_compressed_for_clients_that_accept_it(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    for encoding in ["br", "gzip"] {
        let response = app.client.get(app.url("/")).header(header::ACCEPT_ENCODING, encoding).send().await.unwrap();
        assert_eq!(value(response.headers(), "content-encoding"), encoding);
    }
}

#[sqlx::test]
async fn plain_http_is_redirected_to_https_when_configured(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app_with(config_for(db, &[("SECURE_SSL_REDIRECT", "true"), ("SECURE_HSTS_SECONDS", "3600")])).await;
    let response = app.client.get(app.url("/some/page?x=1")).header(header::HOST, "localhost").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(value(response.headers(), "location"), "https://localhost/some/page?x=1");
    assert!(response.headers().get("strict-transport-security").is_none(), "HSTS is never sent over plain HTTP");
    let post = app.client.post(app.url("/form")).header(header::HOST, "localhost").send().await.unwrap();
    assert_eq!(post.status(), StatusCode::PERMANENT_REDIRECT, "a POST keeps its method through the redirect");
    // Platform health checks come over plain HTTP and must not be redirected.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[sqlx::test]
async fn x_forwarded_proto_is_believed_only_from_a_trusted_proxy(_: PgPoolOptions, db: PgConnectOptions) {
    let https =
        [("SECURE_SSL_REDIRECT", "true"), ("SECURE_HSTS_SECONDS", "3600"), ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")];

    let untrusting = spawn_app_with(config_for(db.clone(), &https)).await;
    let forged = untrusting.client.get(untrusting.url("/")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::MOVED_PERMANENTLY, "a client cannot claim HTTPS by itself");

    let mut behind_proxy = https.to_vec();
    behind_proxy.push(("TRUSTED_PROXIES", "127.0.0.0/8"));
    let app = spawn_app_with(config_for(db, &behind_proxy)).await;
    let response = app.client.get(app.url("/")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(value(response.headers(), "strict-transport-security"), "max-age=3600; includeSubDomains");
}

fn value(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The site's files come from the site directory with their type, precompressed when asked, and
/// 304 when the browser's copy is fresh; anything else is the 404 page. A file never takes
/// another request's status, however the requests interleave (they once did: a revalidated
/// cleantrack.js went out as 404 right after a 404 page).
#[sqlx::test]
async fn site_files_are_served_with_their_own_status(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app_with(config_for(db, &[("LEPTOS_SITE_ROOT", &site_with_files())])).await;

    let hashed = app.get("/pkg/app.Xk3v9QeT1aBcDeFgHiJkLm.js").await;
    assert_eq!(value(hashed.headers(), "cache-control"), "public, max-age=31536000, immutable");
    let first = app.get("/pkg/app.js").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(value(first.headers(), "cache-control"), "public, max-age=300", "unhashed: a short cache");
    assert_eq!(value(first.headers(), "content-type"), "text/javascript");
    let modified = value(first.headers(), "last-modified");
    let again =
        app.client.get(app.url("/pkg/app.js")).header(header::IF_MODIFIED_SINCE, &modified).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let requests = (0..40).map(|n| {
        let (client, url) = (app.client.clone(), app.url(if n % 2 == 0 { "/favicon.ico" } else { "/pkg/app.js" }));
        tokio::spawn(async move { (n, client.get(url).send().await.unwrap().status()) })
    });
    for request in requests.collect::<Vec<_>>() {
        let (n, status) = request.await.unwrap();
        let expected = if n % 2 == 0 { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(status, expected, "request {n}");
    }
}

/// A site directory with an unhashed and a hashed script in `pkg/` and the sticker page's script.
fn site_with_files() -> String {
    let site = crate::helpers::fresh_dir("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/app.js"), "console.log('hi')").unwrap();
    std::fs::write(site.join("pkg/app.Xk3v9QeT1aBcDeFgHiJkLm.js"), "console.log('hashed')").unwrap();
    std::fs::write(site.join("q.js"), "console.log('sticker')").unwrap();
    site.to_string_lossy().into_owned()
}

/// A site file costs no SQL, even for a signed-in browser: with the sessions table locked, the
/// file still comes while a page (which reads the session) waits for the lock.
#[sqlx::test]
async fn site_files_are_served_without_reading_the_session(_: PgPoolOptions, db: PgConnectOptions) {
    let site_root = site_with_files();
    let first = spawn_app_with(config_for(db.clone(), &[("LEPTOS_SITE_ROOT", &site_root)])).await;
    let world = crate::world::World::build(&first).await;
    let browser = world.a.member(cleantrack::model::role::Role::Owner).client.clone();
    // Another instance, which has not seen this session yet (the first remembers it for a while).
    let app = spawn_app_with(config_for(db.clone(), &[("LEPTOS_SITE_ROOT", &site_root)])).await;

    let superuser = crate::helpers::superuser_pool(&db).await;
    let mut lock = superuser.begin().await.unwrap();
    sqlx::query("LOCK TABLE tower_sessions.session IN ACCESS EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();

    let page = tokio::spawn({
        let (browser, url) = (browser.clone(), app.url("/app"));
        async move { browser.get(url).send().await.unwrap().status() }
    });
    for path in ["/pkg/app.Xk3v9QeT1aBcDeFgHiJkLm.js", "/q.js"] {
        let file = tokio::time::timeout(std::time::Duration::from_secs(10), browser.get(app.url(path)).send())
            .await
            .unwrap_or_else(|_| panic!("{path} waited for the locked sessions table"))
            .unwrap();
        assert_eq!(file.status(), StatusCode::OK, "{path}");
    }
    let missing = browser.get(app.url("/pkg/nothing.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(!page.is_finished(), "the page reads the session, so it waits for the lock");

    lock.rollback().await.unwrap();
    assert_eq!(page.await.unwrap(), StatusCode::OK);
}
