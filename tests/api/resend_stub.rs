//! A local HTTP server that speaks the part of Resend's API we use (`POST /emails` with a
//! bearer key and an `Idempotency-Key`), with failures scripted by the test.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// How the stub answers the next request that is not a repeat.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    Status(u16),
    /// Wait, then accept (for client timeouts).
    Slow(Duration),
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Answer>,
    delivered: Vec<Value>,
    /// Idempotency keys seen: `None` while their first request is still being answered.
    by_key: HashMap<String, Option<String>>,
    requests: usize,
}

#[derive(Clone, Default)]
pub struct ResendStub {
    inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

pub const API_KEY: &str = "re_test_stub_key";

impl ResendStub {
    pub async fn start(script: Vec<Answer>) -> ResendStub {
        let mut stub = ResendStub::default();
        stub.inner.lock().unwrap().script = script.into();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        stub.addr = Some(listener.local_addr().unwrap());
        let app = Router::new().route("/emails", post(send)).with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        stub
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr.unwrap())
    }

    /// Emails accepted for delivery (a repeated idempotency key is not delivered again).
    pub fn delivered(&self) -> Vec<Value> {
        self.inner.lock().unwrap().delivered.clone()
    }

    pub fn requests(&self) -> usize {
        self.inner.lock().unwrap().requests
    }
}

fn error(status: u16, name: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap();
    (code, Json(json!({ "statusCode": status, "message": format!("stub answered {status}"), "name": name })))
        .into_response()
}

async fn send(State(stub): State<ResendStub>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {API_KEY}")) {
        return error(401, "missing_api_key");
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let answer = {
        let mut inner = stub.inner.lock().unwrap();
        inner.requests += 1;
        // Like Resend: a repeated key gets the first answer; one still in progress gets 409.
        match key.as_ref().and_then(|k| inner.by_key.get(k)) {
            Some(Some(id)) => return Json(json!({ "id": id })).into_response(),
            Some(None) => return error(409, "concurrent_idempotent_requests"),
            None => {}
        }
        if let Some(key) = &key {
            inner.by_key.insert(key.clone(), None);
        }
        inner.script.pop_front().unwrap_or(Answer::Accept)
    };
    match answer {
        Answer::Status(status) => {
            if let Some(key) = &key {
                stub.inner.lock().unwrap().by_key.remove(key);
            }
            error(status, if status >= 500 { "internal_server_error" } else { "validation_error" })
        }
        // A real provider finishes the request even when the client has stopped waiting; a
        // detached task keeps axum from cancelling it with the dropped connection.
        Answer::Slow(delay) => tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            accept(&stub, key, body)
        })
        .await
        .unwrap(),
        Answer::Accept => accept(&stub, key, body),
    }
}

fn accept(stub: &ResendStub, key: Option<String>, body: Value) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let mut inner = stub.inner.lock().unwrap();
    if let Some(key) = key {
        inner.by_key.insert(key, Some(id.clone()));
    }
    inner.delivered.push(body);
    Json(json!({ "id": id })).into_response()
}
