//! A printable sheet of QR labels for one facility (A4 or Letter).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::model::equipment::LabelSheet;
use crate::model::error::AppError;
use crate::model::ids::FacilityId;

#[server(endpoint = "list_labels")]
pub async fn list_labels(facility_id: FacilityId) -> Result<LabelSheet, AppError> {
    use crate::server::auth::request::{in_tenant, state};
    use crate::server::equipment::stickers;
    let public_url = state().config.public_url.clone();
    in_tenant(async |tx| {
        let (facility_name, labels) = stickers::labels(tx, &public_url, facility_id).await?;
        Ok(LabelSheet { facility_name, labels })
    })
    .await
}

#[component]
pub fn LabelsPage() -> impl IntoView {
    let params = use_params_map();
    let sheet = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        |id| async move {
            match id.parse::<FacilityId>() {
                Ok(id) => list_labels(id).await,
                Err(_) => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="QR labels"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sheet.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(sheet) => view! {
                        <div class="no-print">
                            <h1>{format!("QR labels: {}", sheet.facility_name)}</h1>
                            <p class="muted">"Print on A4 or Letter (three labels across). Stick each label on its equipment; scanning it opens the equipment's page."</p>
                            <PrintButton/>
                        </div>
                        <div class="labels">
                            {sheet.labels.into_iter().map(|l| view! {
                                <figure class="label">
                                    <img src=format!("/equipment/{}/qr.svg", l.id) alt=format!("QR code for {}", l.name) width="120" height="120"/>
                                    <figcaption>
                                        <strong>{l.name.clone()}</strong>
                                        <span>{l.location.clone()}</span>
                                        <span class="label__code">{l.short_code.clone()}</span>
                                        <a class="no-print" href=l.sticker_url.clone()>"Open"</a>
                                    </figcaption>
                                </figure>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Opens the browser's print dialog (an island); without JavaScript the browser's own Print does
/// the same.
#[island]
fn PrintButton() -> impl IntoView {
    let hydrated = crate::components::use_hydrated();
    view! {
        <Show when=move || hydrated.get()>
            <button type="button" class="button" on:click=move |_| print()>"Print labels"</button>
        </Show>
    }
}

fn print() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}
