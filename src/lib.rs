//! CleanTrack: one crate, compiled twice. With `ssr` it is the server (Axum, Postgres); with
//! `hydrate` it is the WASM of the pages' islands, the few parts that need code in the browser.

#![recursion_limit = "256"]

pub mod app;
#[cfg(feature = "hydrate")]
mod browser;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point called by the hydration script in every page but the sticker page: brings the
/// page's islands to life (the rest of the page is server HTML that needs no code), then marks
/// the header `interactive`, which the browser tests wait for.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    browser::report_panics();
    // A second hydration of the same page would attach every handler twice: refuse it loudly,
    // which the panic report then tells us about.
    static HYDRATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if HYDRATED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        panic!("the page was asked to hydrate a second time");
    }
    leptos::mount::hydrate_islands();
    browser::mark_interactive();
}
