//! The top bar: brand, and the navigation between the product's areas.

use leptos::prelude::*;
use leptos_router::components::A;

/// The areas of DESIGN.md in the order people use them. Each becomes a link when its screen lands.
const AREAS: &[&str] = &["Dashboard", "Equipment", "Cleaning logs", "Audit trail", "Team", "Billing"];

/// On a phone the navigation folds behind a menu button. Without JavaScript (slow network, WASM
/// still loading) the button is hidden and the navigation simply shows, so nothing is out of reach.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let open = RwSignal::new(false);
    // Effects run only in the browser, after hydration: the header learns it can fold.
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));

    view! {
        <header class="site-header" class:interactive=interactive class:menu-open=open>
            <div class="site-header__bar">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"✓"</span>
                    "CleanTrack"
                </A>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { "Close" } else { "Menu" }}
                </button>
            </div>
            <nav id="site-nav" class="site-nav" aria-label="Main">
                <ul>
                    <li><A href="/">"Home"</A></li>
                    {AREAS
                        .iter()
                        .map(|area| view! {
                            <li>
                                <span class="site-nav__soon" aria-disabled="true" title="Not available yet">
                                    {*area}
                                    <small>" soon"</small>
                                </span>
                            </li>
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
    }
}
