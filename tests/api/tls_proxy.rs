//! A TLS-terminating reverse proxy in front of the app, as a platform's load balancer is: HTTPS
//! outside (a certificate from `tests/fixtures/tls`, signed by its own test CA), plain HTTP to
//! the app with `X-Forwarded-Proto: https`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

/// Starts the proxy for the app at `upstream`; returns the proxy's address.
pub async fn start(upstream: SocketAddr) -> SocketAddr {
    cleantrack::server::install_crypto_provider();
    let certs: Vec<CertificateDer> =
        CertificateDer::pem_file_iter(fixture("cert.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(fixture("key.pem")).unwrap();
    let tls = rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let app = Router::new().fallback(forward).with_state((client, upstream));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    addr
}

async fn forward(State((client, upstream)): State<(reqwest::Client, SocketAddr)>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    headers.insert("x-forwarded-proto", "https".parse().unwrap());
    let answer = client
        .request(parts.method, format!("http://{upstream}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the app answers");
    let mut response = Response::builder().status(answer.status());
    // Framing is the proxy's own on each side (the app streams pages in chunks).
    for (name, value) in answer
        .headers()
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "transfer-encoding" | "connection" | "content-length"))
    {
        response = response.header(name, value);
    }
    response.body(axum::body::Body::from(answer.bytes().await.unwrap())).unwrap().into_response()
}
