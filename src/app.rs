//! The HTML shell, the router and the page frame shared by every screen.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::session::provide_session;
use crate::components::site_footer::SiteFooter;
use crate::components::site_header::SiteHeader;
use crate::pages::accounts::account::AccountPage;
use crate::pages::accounts::security::SecurityPageView;
use crate::pages::accounts::settings::SettingsPage;
use crate::pages::accounts::team::TeamPage;
use crate::pages::audit::verify::VerifyPage;
use crate::pages::audit::AuditPageView;
use crate::pages::auth::invitation::AcceptInvitationPage;
use crate::pages::auth::login::{LoginPage, SecondFactorPage, SingleSignOnPage};
use crate::pages::auth::password_reset::{ForgotPasswordPage, ResetPasswordPage};
use crate::pages::auth::register::RegisterPage;
use crate::pages::auth::verify_email::VerifyEmailPage;
use crate::pages::billing::BillingPage;
use crate::pages::corrective_actions::CorrectiveActionsPage;
use crate::pages::equipment::labels::LabelsPage;
use crate::pages::equipment::scan::ScanPage;
use crate::pages::equipment::EquipmentListPage;
use crate::pages::facilities::FacilitiesPage;
use crate::pages::home::HomePage;
use crate::pages::landing::Landing;
use crate::pages::logs::reviews::ReviewsPage;
use crate::pages::monitoring::{MonitoringPage, RoundPage};
use crate::pages::not_found::NotFound;
use crate::pages::notifications::NotificationsPage;
use crate::pages::platform::PlatformPage;
use crate::pages::protocols::ProtocolsPage;
use crate::pages::reports::ReportsPage;

/// The document around the app, rendered only on the server. The sticker page (`/q/…`) ships
/// none of the app's WASM: it is complete server HTML whose forms post by themselves, and
/// `/q.js` (a small hand-written script) adds what needs code on a phone: photos resized and
/// uploaded with progress, the device's clock, sending without losing the form, and the offline
/// queue with its service worker (`/sw.js`). See `pages::equipment::scan`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let scripts = if is_sticker_page() {
        // Nothing on this page hydrates: no resource's data is written into it for the browser
        // (`HydrationScripts` in islands mode says the same for the other pages).
        if let Some(context) = Owner::current_shared_context() {
            context.set_is_hydrating(false);
        }
        view! { <script src="/q.js" defer></script> }.into_any()
    } else {
        view! { <HydrationScripts options=options.clone() islands=true/> }.into_any()
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0b6e4f"/>
                // The site's files carry a content hash in their names when cargo-leptos built
                // them so (hash.txt next to the binary), and are then cached for a year.
                <HashedStylesheet id="leptos" options=options.clone()/>
                <AutoReload options=options/>
                {scripts}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Whether the page being rendered is a sticker page (`/q/{token}`).
fn is_sticker_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>().is_some_and(|parts| parts.uri.path().starts_with("/q/"))
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|page: String| if page.is_empty() { "CleanTrack".to_owned() } else { format!("{page} · CleanTrack") }/>
        <Router>
            <Frame/>
        </Router>
    }
}

/// Every route renders with `SsrMode::Async`: the server waits for the page's data and sends
/// complete HTML, so pages read (and forms post) before the WASM arrives or with JavaScript off,
/// and a status set while loading data (a 404, say) reaches the response.
#[component]
fn Frame() -> impl IntoView {
    provide_session();
    view! {
        <SiteHeader/>
        <main id="main" class="page">
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Landing ssr=SsrMode::Async/>
                <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/two-factor") view=SecondFactorPage ssr=SsrMode::Async/>
                <Route path=path!("/login/sso") view=SingleSignOnPage ssr=SsrMode::Async/>
                <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/invitations/accept") view=AcceptInvitationPage ssr=SsrMode::Async/>
                <Route path=path!("/app") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/team") view=TeamPage ssr=SsrMode::Async/>
                <Route path=path!("/audit") view=AuditPageView ssr=SsrMode::Async/>
                <Route path=path!("/facilities") view=FacilitiesPage ssr=SsrMode::Async/>
                <Route path=path!("/equipment") view=EquipmentListPage ssr=SsrMode::Async/>
                <Route path=path!("/protocols") view=ProtocolsPage ssr=SsrMode::Async/>
                <Route path=path!("/facilities/:id/labels") view=LabelsPage ssr=SsrMode::Async/>
                <Route path=path!("/q/:token") view=ScanPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/account/security") view=SecurityPageView ssr=SsrMode::Async/>
                <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/reports") view=ReportsPage ssr=SsrMode::Async/>
                <Route path=path!("/reviews") view=ReviewsPage ssr=SsrMode::Async/>
                <Route path=path!("/corrective-actions") view=CorrectiveActionsPage ssr=SsrMode::Async/>
                <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                <Route path=path!("/monitoring") view=MonitoringPage ssr=SsrMode::Async/>
                <Route path=path!("/monitoring/:id") view=RoundPage ssr=SsrMode::Async/>
                <Route path=path!("/verify") view=VerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/billing") view=BillingPage ssr=SsrMode::Async/>
                <Route path=path!("/platform") view=PlatformPage ssr=SsrMode::Async/>
            </Routes>
        </main>
        <SiteFooter/>
    }
}
