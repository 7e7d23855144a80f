//! `/q/{token}`: where a QR sticker leads. A member of the equipment's organization sees it
//! (and works in that organization from then on); a visitor is sent to sign in and brought
//! back; anyone else, and any unknown or replaced sticker, gets "not found".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::model::assets::ScannedEquipment;
use crate::model::error::AppError;

#[server(endpoint = "scan_equipment")]
pub async fn scan_equipment(token: String) -> Result<ScannedEquipment, AppError> {
    use crate::server::assets::stickers;
    use crate::server::auth::request::{auth_session, reply, state, CURRENT_ORG_KEY};
    use crate::server::auth::TenantTx;
    let auth = auth_session().await?;
    let Some(user) = auth.user.clone() else {
        // Not through `reply`: the redirect's own status must stand. Tokens are URL-safe
        // base64, so the path needs no escaping.
        leptos_axum::redirect(&format!("/login?next=/q/{}", token.trim()));
        return Err(AppError::Unauthenticated);
    };
    reply(
        async {
            let state = state();
            if !user.email_verified {
                return Err(AppError::Forbidden("Confirm your email address first.".into()));
            }
            let (ctx, id) = stickers::scan_context(&state.pool, token.trim(), user.id).await?;
            let _ = auth.session.insert(CURRENT_ORG_KEY, ctx.org_id()).await;
            let mut tx = TenantTx::begin(&state.pool, &ctx).await?;
            stickers::scanned(&mut tx, id).await
        }
        .await,
    )
}

#[component]
pub fn ScanPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let scanned = Resource::new(token, scan_equipment);
    view! {
        <Title text="Equipment"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match scanned.await {
                    Ok(e) => view! {
                        <section class="scan">
                            <p class="muted">{format!("{} · {}", e.facility_name, e.location)}</p>
                            <h1>{e.name.clone()}</h1>
                            <p><span class="badge">{e.short_code.clone()}</span> " " {format!("{} · risk {}", e.kind, e.risk_level)}</p>
                            {(!e.serial.is_empty()).then(|| view! { <p class="muted">{format!("Serial {}", e.serial)}</p> })}
                            <p class="alert alert--warn">"Cleaning logs from this page arrive with the next release."</p>
                        </section>
                    }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <h1>"Please sign in"</h1>
                        <p><a href=format!("/login?next=/q/{}", token())>"Sign in to see this equipment"</a></p>
                    }.into_any(),
                    Err(err) => view! {
                        <h1>"Sticker not found"</h1>
                        <p>{err.to_string()}" This sticker may have been replaced, or belongs to an organization you are not a member of."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
