//! The public side of file verification: `POST /verify/file` hashes an uploaded file (keeping
//! nothing) and sends the browser to `/verify?sha256=…`, which says whether we issued it; and
//! `GET /.well-known/cleantrack-audit-key`, the public key that every signature verifies with.

use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use crate::model::error::AppError;
use crate::server::audit::signing::hex;
use crate::server::state::AppState;

pub async fn upload(mut multipart: Multipart) -> Response {
    let bad_form = || AppError::Invalid("The upload was interrupted or malformed; try again.".into());
    let hashed = async {
        while let Some(mut field) = multipart.next_field().await.map_err(|_| bad_form())? {
            if field.name() != Some("file") {
                continue;
            }
            let mut hasher = Sha256::new();
            let mut size = 0usize;
            while let Some(chunk) = field.chunk().await.map_err(|err| {
                if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge("The file is too large to upload here: enter its SHA-256 instead.".into())
                } else {
                    bad_form()
                }
            })? {
                size += chunk.len();
                hasher.update(&chunk);
            }
            if size == 0 {
                return Err(AppError::Invalid("Choose a file to check.".into()));
            }
            return Ok(hex(&hasher.finalize()));
        }
        Err(AppError::Invalid("Choose a file to check.".into()))
    };
    match hashed.await {
        Ok(sha256) => Redirect::to(&format!("/verify?sha256={sha256}")).into_response(),
        Err(err) => err.into_response(),
    }
}

pub async fn public_key(State(state): State<AppState>) -> Response {
    let key = &state.config.audit_key;
    let body = serde_json::json!({
        "algorithm": "Ed25519",
        "public_key_hex": key.public_hex(),
        "key_id": key.key_id(),
        "signs": ["cleantrack-checkpoint-v1", "cleantrack-file-v1"],
    });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")], body.to_string())
        .into_response()
}
