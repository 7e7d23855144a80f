//! Sticker routes. `GET /equipment/{id}`: the equipment's page, which is its sticker's
//! (`/q/{token}`), so every list that names equipment can link to it. `GET /equipment/{id}/qr.svg`:
//! the sticker's QR code. Both for members of the equipment's organization (404 for anyone else,
//! as for every other id). `GET /qr/sample.svg`: a QR code of
//! the site's own address, for anyone: proof that a deployment can make stickers, which
//! `cleantrack smoke` checks without an account.

use axum::extract::{Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use crate::model::error::AppError;
use crate::model::ids::EquipmentId;
use crate::server::auth::request::tenant_ctx_of;
use crate::server::auth::{AuthSession, TenantTx};
use crate::server::equipment::stickers;
use crate::server::state::AppState;

pub async fn qr_svg(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    match render(&state, &auth, &parts, &id).await {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=300")], svg)
            .into_response(),
        Err(err) => err.into_response(),
    }
}

/// Sends a member to the equipment's sticker page; a visitor signs in first and comes back.
pub async fn equipment_page(
    State(state): State<AppState>,
    auth: AuthSession,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    if auth.user.is_none() {
        let next = crate::model::redirect::encode_component(parts.uri.path());
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let found = async {
        let id: EquipmentId = id.parse().map_err(|_| AppError::NotFound)?;
        let ctx = tenant_ctx_of(&auth, &state.pool, &parts).await?;
        let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
        let url = stickers::sticker_url(&mut tx, &state.config.public_url, id).await?;
        tx.commit().await?;
        url::Url::parse(&url).map(|u| u.path().to_owned()).map_err(|_| AppError::Internal)
    };
    match found.await {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn render(state: &AppState, auth: &AuthSession, parts: &Parts, id: &str) -> Result<String, AppError> {
    let id: EquipmentId = id.parse().map_err(|_| AppError::NotFound)?;
    let ctx = tenant_ctx_of(auth, &state.pool, parts).await?;
    let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
    let url = stickers::sticker_url(&mut tx, &state.config.public_url, id).await?;
    stickers::svg(&url)
}

pub async fn sample_svg(State(state): State<AppState>) -> Response {
    match stickers::svg(state.config.public_url.as_str()) {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=3600")], svg)
            .into_response(),
        Err(err) => err.into_response(),
    }
}
