//! `POST /photos?equipment={id}`: upload one photo (multipart field `photo`), answered with its
//! id as JSON (or the error's message as text); the log form then names it. `GET /photos/{id}` and `/photos/{id}/thumb`: the
//! photo for members of its organization, 404 for anyone else.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, PhotoId};
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::AuthSession;
use crate::server::photos;
use crate::server::state::AppState;

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    equipment: String,
}

/// Every request gets `REQUEST_TIMEOUT_SECS`, except a photo upload, which gets
/// `UPLOAD_TIMEOUT_SECS`: a camera photo on a phone's uplink in a basement takes minutes, and
/// cutting it off at 30 s lost the photo. Past its limit a request answers 503.
pub async fn time_limit(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let upload = req.method() == axum::http::Method::POST && req.uri().path() == "/photos";
    let limit = if upload { state.config.upload_timeout } else { state.config.request_timeout };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "The request took too long; try again.\n").into_response(),
    }
}

pub async fn upload(
    State(state): State<AppState>,
    auth: AuthSession,
    Query(query): Query<UploadQuery>,
    parts: Parts,
    multipart: Multipart,
) -> Response {
    let result = async {
        let equipment: EquipmentId = query.equipment.parse().map_err(|_| AppError::NotFound)?;
        let ctx = tenant_ctx_of(&auth, &state.pool, &parts).await?;
        let bytes = read_photo_field(multipart, state.config.uploads.max_photo_bytes).await?;
        photos::upload(&state, &ctx, equipment, bytes).await
    }
    .await;
    match result {
        Ok(id) => (StatusCode::CREATED, Json(id)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// The bytes of the `photo` field, refusing more than `max` as they arrive (not after).
async fn read_photo_field(mut multipart: Multipart, max: usize) -> Result<Vec<u8>, AppError> {
    let too_large = || AppError::TooLarge(format!("The photo is larger than {} MB.", max.div_ceil(1024 * 1024)));
    let bad_form = |_| AppError::Invalid("The upload was interrupted or malformed; try again.".into());
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        if field.name() != Some("photo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|err| {
            // The request body limit ends the stream with this status.
            if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                bad_form(err)
            }
        })? {
            if bytes.len() + chunk.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(AppError::Invalid("Choose a photo to upload.".into()))
}

pub async fn original(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    serve(&state, &auth, &parts, &id, false).await
}

pub async fn thumbnail(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    serve(&state, &auth, &parts, &id, true).await
}

async fn serve(state: &AppState, auth: &AuthSession, parts: &Parts, id: &str, thumb: bool) -> Response {
    let result = async {
        let id: PhotoId = id.parse().map_err(|_| AppError::NotFound)?;
        let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
        photos::read(state, &ctx, id, thumb).await
    }
    .await;
    match result {
        // A photo never changes under its id; only its organization's members may cache it.
        Ok((content_type, bytes)) => (
            [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, max-age=86400".to_owned())],
            bytes,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
