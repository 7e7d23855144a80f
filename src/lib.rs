//! CleanTrack: one crate, compiled twice. With `ssr` it is the server (Axum, Postgres); with
//! `hydrate` it is the WASM that makes the server-rendered pages interactive.

#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point called by the hydration script in every page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
