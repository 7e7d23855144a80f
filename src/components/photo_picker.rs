//! Adding photos to a cleaning: each chosen file is uploaded at once (`POST /photos`) with a
//! progress bar, and the form carries the ids of those that arrived (`photos[n]`). The signing
//! button waits while any is still on its way (see [`in_flight`]), and a failed one is reported
//! while the person still holds the phone. Without JavaScript the picker is not shown; the log
//! can be recorded without photos.

use leptos::prelude::*;

use crate::model::ids::{EquipmentId, PhotoId};

/// One file on its way up, or arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum Upload {
    Sending { name: String, percent: u32 },
    Done { id: PhotoId },
    Failed { name: String, message: String },
}

/// An upload and the key its progress reports find it by. Uploads finish in any order, and the
/// list may be cleared (after signing) while one is still running: a report for a key no longer
/// in the list is dropped, never written to a position that may not exist.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub key: u32,
    pub upload: Upload,
}

#[component]
pub fn PhotoPicker(equipment: EquipmentId, uploads: RwSignal<Vec<Slot>>) -> impl IntoView {
    // Rendered only once hydrated: the server's HTML (and a browser without JS) has no picker.
    let hydrated = super::use_hydrated();
    let on_change = move |ev: leptos::ev::Event| start_uploads(&ev, equipment, uploads);
    view! {
        <Show when=move || hydrated.get()>
            <div class="field photo-picker">
                <label for="log-photo">"Photos"</label>
                <input id="log-photo" type="file" accept="image/jpeg,image/png,image/webp" multiple on:change=on_change/>
                <ul class="photo-uploads">
                    <For each=move || uploads.get() key=|slot| (slot.key, format!("{:?}", slot.upload)) let:item>
                        {match item.upload {
                            Upload::Sending { name, percent } => view! {
                                <li>
                                    <span>{name}</span>
                                    <progress max="100" value=percent.to_string()>{format!("{percent}%")}</progress>
                                </li>
                            }.into_any(),
                            Upload::Done { id } => view! {
                                <li><img src=format!("/photos/{id}/thumb") alt="Uploaded photo" width="80" height="60"/></li>
                            }.into_any(),
                            Upload::Failed { name, message } => view! {
                                <li class="alert alert--error" role="alert">{format!("{name}: {message}")}</li>
                            }.into_any(),
                        }}
                    </For>
                </ul>
                {move || uploaded(&uploads.get()).into_iter().enumerate().map(|(i, id)| view! {
                    <input type="hidden" name=format!("photos[{i}]") value=id.to_string()/>
                }).collect_view()}
            </div>
        </Show>
    }
}

/// The ids of the photos that arrived, in order.
pub fn uploaded(uploads: &[Slot]) -> Vec<PhotoId> {
    uploads.iter().filter_map(|s| if let Upload::Done { id } = s.upload { Some(id) } else { None }).collect()
}

/// How many are still on their way: signing waits for them.
pub fn in_flight(uploads: &[Slot]) -> usize {
    uploads.iter().filter(|s| matches!(s.upload, Upload::Sending { .. })).count()
}

#[cfg(feature = "hydrate")]
fn start_uploads(ev: &leptos::ev::Event, equipment: EquipmentId, uploads: RwSignal<Vec<Slot>>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(files) = input.files() else { return };
    for i in 0..files.length() {
        if let Some(file) = files.get(i) {
            send(file, equipment, uploads);
        }
    }
    // Choosing the same file again is a new upload.
    input.set_value("");
}

#[cfg(feature = "hydrate")]
fn send(file: web_sys::File, equipment: EquipmentId, uploads: RwSignal<Vec<Slot>>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    static NEXT_KEY: AtomicU32 = AtomicU32::new(0);
    let name = file.name();
    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    uploads.update(|u| u.push(Slot { key, upload: Upload::Sending { name: name.clone(), percent: 0 } }));
    let set = move |state: Upload| {
        uploads.update(|u| {
            if let Some(slot) = u.iter_mut().find(|s| s.key == key) {
                slot.upload = state;
            }
        })
    };
    let fail = {
        let name = name.clone();
        move |message: String| set(Upload::Failed { name: name.clone(), message })
    };
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else { return fail("Your browser cannot upload.".into()) };
    let Ok(form) = web_sys::FormData::new() else { return fail("Your browser cannot upload.".into()) };
    if form.append_with_blob_and_filename("photo", &file, &name).is_err()
        || xhr.open("POST", &format!("/photos?equipment={equipment}")).is_err()
    {
        return fail("Your browser cannot upload.".into());
    }
    let on_progress = {
        let name = name.clone();
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                let percent = (e.loaded() / e.total() * 100.0).round() as u32;
                set(Upload::Sending { name: name.clone(), percent });
            }
        })
    };
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();
    let on_done = {
        let xhr = xhr.clone();
        let fail = fail.clone();
        Closure::<dyn FnMut()>::new(move || {
            let body = xhr.response_text().ok().flatten().unwrap_or_default();
            match (xhr.status().unwrap_or(0), serde_json::from_str::<PhotoId>(&body)) {
                (201, Ok(id)) => set(Upload::Done { id }),
                _ => fail(error_message(&body)),
            }
        })
    };
    xhr.set_onload(Some(on_done.as_ref().unchecked_ref()));
    on_done.forget();
    let on_error = {
        let fail = fail.clone();
        Closure::<dyn FnMut()>::new(move || fail("The upload did not get through; try again.".into()))
    };
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        fail("The upload did not start; try again.".into());
    }
}

/// Refusals come as the message itself, in plain text.
#[cfg(feature = "hydrate")]
fn error_message(body: &str) -> String {
    let message = body.trim();
    if message.is_empty() || message.len() > 300 {
        "The upload failed; try again.".into()
    } else {
        message.to_owned()
    }
}

#[cfg(not(feature = "hydrate"))]
fn start_uploads(_: &leptos::ev::Event, _: EquipmentId, _: RwSignal<Vec<Slot>>) {}
