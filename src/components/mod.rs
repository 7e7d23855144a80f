//! Widgets shared by several screens.

pub mod form;
pub mod query;
pub mod site_footer;
pub mod site_header;

use leptos::prelude::*;

/// `true` once the whole page has hydrated (set by `crate::hydrate`). With lazy routes the frame
/// hydrates first and the page's own code arrives after it, so an effect in the header would say
/// "ready" while the page's forms still post without their code: this waits for all of it. On the
/// server, always `false`.
pub fn page_hydrated() -> ArcRwSignal<bool> {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static PAGE_HYDRATED: ArcRwSignal<bool> = ArcRwSignal::new(false);
        }
        PAGE_HYDRATED.with(Clone::clone)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ArcRwSignal::new(false)
    }
}

/// `true` once this component runs in the browser after hydration (effects run only there):
/// for controls that need JavaScript, so the server's HTML and a browser without JavaScript
/// never show them.
pub fn use_hydrated() -> RwSignal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated
}
