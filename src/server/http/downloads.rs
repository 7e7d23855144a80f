//! The file downloads, as HTTP: each handler reads the request, asks its area for the file
//! (which checks the member's role and facilities and records the download in the trail before
//! any byte is sent) and answers with the file and its headers.
//! - `GET /reports/logs.csv`, `/reports/compliance.csv`, `/reports/corrective-actions.csv`:
//!   `reports::csv_export`
//! - `GET /reports/monitoring.pdf`: the Level II summary, `monitoring::summary_pdf`
//! - `GET /exports/{id}`: a prepared PDF report or binder, `reports::exports`
//! - `GET /audit/export.jsonl`: the whole trail, `audit::export`
//!
//! Streamed bodies are fused: the compression layer polls a finished body once more
//! (tower-http #732), and an unfused unfold panics when polled after its end.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;

use crate::model::reports::ExportKind;
use crate::server::audit::{self, issued};
use crate::server::auth::AuthSession;
use crate::server::reports::{csv_export, exports};
use crate::server::state::AppState;

const CSV: &str = "text/csv; charset=utf-8";

fn attachment(content_type: &str, name: String) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ]
}

pub async fn logs_csv(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<HashMap<String, String>>,
    parts: Parts,
) -> Response {
    match csv_export::begin_download(&state, &auth, &parts, &query, "csv").await {
        Ok((ctx, filter)) => {
            let headers = attachment(CSV, format!("cleaning-logs-{}.csv", ctx.org_id()));
            let chunks = csv_export::chunks(state.clone(), ctx.clone(), filter);
            let body = issued::streamed(state, ctx, "logs_csv", chunks);
            (headers, Body::from_stream(body.fuse())).into_response()
        }
        Err(err) => err.into_response(),
    }
}

pub async fn compliance_csv(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<HashMap<String, String>>,
    parts: Parts,
) -> Response {
    match csv_export::compliance_file(&state, &auth, &parts, &query).await {
        Ok((ctx, body)) => (attachment(CSV, format!("compliance-{}.csv", ctx.org_id())), body).into_response(),
        Err(err) => err.into_response(),
    }
}

pub async fn corrective_actions_csv(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<HashMap<String, String>>,
    parts: Parts,
) -> Response {
    match csv_export::corrective_actions_file(&state, &auth, &parts, &query).await {
        Ok((ctx, body)) => (attachment(CSV, format!("corrective-actions-{}.csv", ctx.org_id())), body).into_response(),
        Err(err) => err.into_response(),
    }
}

pub async fn monitoring_pdf(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<HashMap<String, String>>,
    parts: Parts,
) -> Response {
    match crate::server::monitoring::summary_pdf(&state, &auth, &parts, &query).await {
        Ok((ctx, body)) => {
            (attachment("application/pdf", format!("monitoring-{}.pdf", ctx.org_id())), body).into_response()
        }
        Err(err) => err.into_response(),
    }
}

pub async fn export(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    match exports::open(&state, &auth, &parts, &id).await {
        Ok((kind, reader, size)) => {
            let (extension, content_type) = match kind {
                ExportKind::ReportPdf => ("pdf", "application/pdf"),
                ExportKind::Binder => ("zip", "application/zip"),
            };
            let name = format!("cleantrack-{}-{id}.{extension}", kind.as_str().replace('_', "-"));
            (
                attachment(content_type, name),
                [(header::CONTENT_LENGTH, size.to_string()), (header::CACHE_CONTROL, "private, no-store".to_owned())],
                Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
            )
                .into_response()
        }
        Err(err) => err.into_response(),
    }
}

pub async fn audit_trail(State(state): State<AppState>, auth: AuthSession, parts: Parts) -> Response {
    match audit::export::begin_download(&state, &auth, &parts).await {
        Ok(ctx) => {
            let headers = attachment("application/x-ndjson; charset=utf-8", format!("audit-{}.jsonl", ctx.org_id()));
            let lines = audit::export::lines(state.clone(), ctx.clone());
            let body = issued::streamed(state, ctx, "audit_jsonl", lines);
            (headers, Body::from_stream(body.fuse())).into_response()
        }
        Err(err) => err.into_response(),
    }
}
