//! The HTML shell, the router and the page frame shared by every screen.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{path, Lazy, SsrMode};

use crate::components::site_footer::SiteFooter;
use crate::components::site_header::SiteHeader;
use crate::model::account::SessionInfo;
use crate::model::error::AppError;
use crate::pages::account::get_session;
use crate::pages::not_found::NotFound;
use crate::pages::scan::ScanPage;

/// The document around the app, rendered only on the server. The sticker page (`/q/…`) ships
/// none of the app's WASM: it is complete server HTML whose forms post by themselves, and
/// `/q.js` (a small hand-written script) adds what needs code on a phone: photos resized and
/// uploaded with progress, the device's clock, sending without losing the form, and the offline
/// queue with its service worker (`/sw.js`). See `pages::scan`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let scripts = if is_sticker_page() {
        view! { <script src="/q.js" defer></script> }.into_any()
    } else {
        view! { <HydrationScripts options=options.clone()/> }.into_any()
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

/// Who is signed in, shared by the header and the pages. Refetched on every navigation, so
/// signing in or out, or switching organization (each ends in a redirect), shows at once.
pub type SessionResource = Resource<Result<Option<SessionInfo>, AppError>>;

pub fn use_session() -> SessionResource {
    expect_context::<SessionResource>()
}

/// Every route renders with `SsrMode::Async`: the server waits for the page's data and sends
/// complete HTML, so pages read (and forms post) before the WASM arrives or with JavaScript off,
/// and a status set while loading data (a 404, say) reaches the response.
#[component]
fn Frame() -> impl IntoView {
    let location = use_location();
    let session: SessionResource = Resource::new(move || location.pathname.get(), |_| get_session());
    provide_context(session);
    view! {
        <SiteHeader/>
        <main id="main" class="page">
            <Routes fallback=NotFound>
                <Route path=path!("/") view={Lazy::<lazy::Landing>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/register") view={Lazy::<lazy::RegisterPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/login") view={Lazy::<lazy::LoginPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/verify-email") view={Lazy::<lazy::VerifyEmailPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view={Lazy::<lazy::ForgotPasswordPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view={Lazy::<lazy::ResetPasswordPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/invitations/accept") view={Lazy::<lazy::AcceptInvitationPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/app") view={Lazy::<lazy::HomePage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/team") view={Lazy::<lazy::TeamPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/audit") view={Lazy::<lazy::AuditPageView>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/facilities") view={Lazy::<lazy::FacilitiesPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/equipment") view={Lazy::<lazy::EquipmentListPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/protocols") view={Lazy::<lazy::ProtocolsPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/facilities/:id/labels") view={Lazy::<lazy::LabelsPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/q/:token") view=ScanPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view={Lazy::<lazy::AccountPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/settings") view={Lazy::<lazy::SettingsPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/reports") view={Lazy::<lazy::ReportsPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/reviews") view={Lazy::<lazy::ReviewsPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/verify") view={Lazy::<lazy::VerifyPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/billing") view={Lazy::<lazy::BillingPage>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/platform") view={Lazy::<lazy::PlatformPage>::new()} ssr=SsrMode::Async/>
            </Routes>
        </main>
        <SiteFooter/>
    }
}

/// Every page but the sticker page is a lazy route: with `cargo leptos build --split` its code
/// is a separate WASM chunk, fetched (preloaded by the server's `<link rel=preload>`) only when
/// the page is opened, so a first visit downloads the shared frame and one page, not every
/// screen of the app. Each struct here names the page component it loads.
mod lazy {
    use leptos::prelude::*;
    use leptos_router::{lazy_route, LazyRoute};

    macro_rules! lazy_pages {
        ($($page:ident => $component:path,)*) => {$(
            pub struct $page;

            #[lazy_route]
            impl LazyRoute for $page {
                fn data() -> Self {
                    $page
                }

                fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "ssr")]
                    preload_chunks(stringify!($page));
                    $component().into_any()
                }
            }
        )*};
    }

    /// Asks the browser to fetch this page's WASM chunks alongside the main bundle (`<link
    /// rel=preload>` in the head), instead of after it has run. Leptos 0.8 means to do the same,
    /// but reads its list of the chunks a page used outside the request's reactive owner, so it
    /// adds them to some responses and not others; this does it from inside the page's render,
    /// with the manifest `<HydrationScripts>` reads and the same attributes. A link Leptos also
    /// adds is the same URL, fetched once.
    #[cfg(feature = "ssr")]
    fn preload_chunks(page: &str) {
        use leptos_meta::Link;
        let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else { return };
        let Some(manifest) = manifest.0.try_read_value() else { return };
        let (pkg_path, chunks_of, split_js) = &*manifest;
        // The manifest names a page's lazy view `__<page in snake case>_view_<hash>`.
        let mut snake = String::from("__");
        for (i, c) in page.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        snake.push_str("_view_");
        let Some(chunks) = chunks_of.iter().find_map(|(key, chunks)| key.starts_with(&snake).then_some(chunks)) else {
            return;
        };
        let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
        for chunk in chunks {
            let _ = view! {
                <Link rel="preload" href=format!("{pkg_path}/{chunk}.wasm") as_="fetch" type_="application/wasm"
                    crossorigin=nonce.clone()/>
            }
            .to_html();
        }
        let _ = view! { <Link rel="modulepreload" href=format!("{pkg_path}/{split_js}") crossorigin=nonce/> }.to_html();
    }

    lazy_pages! {
        Landing => crate::pages::landing::Landing,
        RegisterPage => crate::pages::auth::register::RegisterPage,
        LoginPage => crate::pages::auth::login::LoginPage,
        VerifyEmailPage => crate::pages::auth::verify_email::VerifyEmailPage,
        ForgotPasswordPage => crate::pages::auth::password_reset::ForgotPasswordPage,
        ResetPasswordPage => crate::pages::auth::password_reset::ResetPasswordPage,
        AcceptInvitationPage => crate::pages::auth::invitation::AcceptInvitationPage,
        HomePage => crate::pages::home::HomePage,
        TeamPage => crate::pages::team::TeamPage,
        AuditPageView => crate::pages::audit::AuditPageView,
        FacilitiesPage => crate::pages::facilities::FacilitiesPage,
        EquipmentListPage => crate::pages::equipment::EquipmentListPage,
        ProtocolsPage => crate::pages::protocols::ProtocolsPage,
        LabelsPage => crate::pages::labels::LabelsPage,
        AccountPage => crate::pages::account::AccountPage,
        SettingsPage => crate::pages::settings::SettingsPage,
        ReportsPage => crate::pages::reports::ReportsPage,
        ReviewsPage => crate::pages::reviews::ReviewsPage,
        VerifyPage => crate::pages::verify::VerifyPage,
        BillingPage => crate::pages::billing::BillingPage,
        PlatformPage => crate::pages::platform::PlatformPage,
    }
}
