//! CleanTrack: one crate, compiled twice. With `ssr` it is the server (Axum, Postgres); with
//! `hydrate` it is the WASM that makes the server-rendered pages interactive.

#![recursion_limit = "256"]

pub mod app;
#[cfg(feature = "hydrate")]
mod browser;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point called by the hydration script in every page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    browser::report_panics();
    // A second hydration of the same page would attach every handler twice (two signings per
    // tap): refuse it loudly, which the panic report then tells us about.
    static HYDRATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if HYDRATED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        panic!("the page was asked to hydrate a second time");
    }
    // What `leptos::mount::hydrate_lazy` does (hydration that waits for a lazy route's chunk),
    // then telling the page it is whole: see `components::page_hydrated`.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        use leptos::prelude::Set;
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await.forget();
        components::page_hydrated().set(true);
    });
}
