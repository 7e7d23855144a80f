//! Widgets shared by several screens.

pub mod form;
pub mod query;
pub mod session;
pub mod site_footer;
pub mod site_header;

use leptos::prelude::*;

/// `true` once this island runs in the browser after hydration (effects run only there): for
/// controls that need JavaScript, so the server's HTML and a browser without JavaScript never
/// show them.
pub fn use_hydrated() -> RwSignal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated
}
