use leptos::prelude::*;

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>"CleanTrack: cleaning and disinfection records that inspectors can trust."</p>
        </footer>
    }
}
