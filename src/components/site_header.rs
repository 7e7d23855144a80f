//! The top bar: brand, navigation between the product's areas, and who is signed in.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::account::SessionInfo;
use crate::model::role::Action;
use crate::pages::account::SwitchOrg;
use crate::pages::auth::login::Logout;

/// On a phone the navigation folds behind "Menu" from the first paint, so nothing moves when the
/// WASM arrives. Without JavaScript "Menu" is a link to `#site-nav`, which CSS opens
/// (`:target`); once hydrated it toggles the menu in place. `interactive` marks a page whose
/// every part has hydrated, the page's own lazily loaded code included (the browser tests wait
/// for it).
#[component]
pub fn SiteHeader() -> impl IntoView {
    let open = RwSignal::new(false);
    let interactive = super::page_hydrated();
    let session = crate::app::use_session();

    view! {
        <header class="site-header" class:interactive=move || interactive.get() class:menu-open=open>
            <div class="site-header__bar">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"✓"</span>
                    "CleanTrack"
                </A>
                <a
                    href="#site-nav"
                    role="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |ev| {
                        ev.prevent_default();
                        open.update(|o| *o = !*o);
                    }
                >
                    {move || if open.get() { "Close" } else { "Menu" }}
                </a>
            </div>
            <nav id="site-nav" class="site-nav" aria-label="Main">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let info = session.await.ok().flatten();
                        view! { <ul>{nav_items(info)}</ul> }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

fn nav_items(info: Option<SessionInfo>) -> impl IntoView {
    match info {
        None => view! {
            <li><A href="/">"Home"</A></li>
            <li><A href="/login">"Sign in"</A></li>
            <li><A href="/register">"Register"</A></li>
        }
        .into_any(),
        Some(info) => {
            let can_view_team = info.current.as_ref().is_some_and(|c| c.role.can(Action::ViewTeam));
            let can_view_audit = info.current.as_ref().is_some_and(|c| c.role.can(Action::ViewAudit));
            let can_manage_settings = info.current.as_ref().is_some_and(|c| c.role.can(Action::ManageSettings));
            let can_export = info.current.as_ref().is_some_and(|c| c.role.can(Action::ExportReports));
            let can_view_billing = info.current.as_ref().is_some_and(|c| c.role.can(Action::ViewBilling));
            let can_verify = info.current.as_ref().is_some_and(|c| c.role.can(Action::VerifyLogs));
            let logout = ServerAction::<Logout>::new();
            let switcher = (info.memberships.len() > 1).then(|| org_switcher(&info));
            let (operator, name) = (info.platform_operator, info.display_name.clone());
            view! {
                // A plain GET form: it works before the WASM arrives, and finds equipment by the
                // code printed on its sticker when the QR code itself is damaged.
                <li class="site-nav__search">
                    <form action="/equipment" method="get" role="search">
                        <label class="visually-hidden" for="header-search">"Find equipment"</label>
                        <input id="header-search" type="search" name="search" placeholder="Find equipment"/>
                    </form>
                </li>
                <li><A href="/app">"Overview"</A></li>
                <li><A href="/facilities">"Facilities"</A></li>
                <li><A href="/equipment">"Equipment"</A></li>
                <li><A href="/protocols">"Protocols"</A></li>
                {can_verify.then(|| view! { <li><A href="/reviews">"Reviews"<ReviewCount/></A></li> })}
                {can_view_team.then(|| view! { <li><A href="/team">"Team"</A></li> })}
                {can_export.then(|| view! { <li><A href="/reports">"Reports"</A></li> })}
                {can_view_audit.then(|| view! { <li><A href="/audit">"Audit"</A></li> })}
                {can_manage_settings.then(|| view! { <li><A href="/settings">"Settings"</A></li> })}
                {can_view_billing.then(|| view! { <li><A href="/billing">"Billing"</A></li> })}
                {operator.then(|| view! { <li><A href="/platform">"Platform"</A></li> })}
                <li><A href="/account">{name}</A></li>
                {switcher}
                <li>
                    <ActionForm action=logout attr:class="inline-form">
                        <button type="submit" class="link-button">"Sign out"</button>
                    </ActionForm>
                </li>
            }
            .into_any()
        }
    }
}

fn org_switcher(info: &SessionInfo) -> impl IntoView {
    let current = info.current.as_ref().map(|c| c.org_id);
    let options = info
        .memberships
        .iter()
        .map(|m| view! { <option value=m.org_id.to_string() selected=Some(m.org_id) == current>{m.org_name.clone()}</option> })
        .collect_view();
    let switch = ServerAction::<SwitchOrg>::new();
    view! {
        <li>
            <ActionForm action=switch attr:class="inline-form org-switcher">
                <label class="visually-hidden" for="org-switch">"Organization"</label>
                <select id="org-switch" name="org_id">{options}</select>
                <button type="submit" class="button button--small">"Switch"</button>
            </ActionForm>
        </li>
    }
}

/// How many cleanings await verification, beside "Reviews". Read in the browser after the
/// page has loaded (a `LocalResource`): the count never delays a page, the sticker page least.
#[component]
fn ReviewCount() -> impl IntoView {
    let counts = LocalResource::new(crate::pages::reviews::count_reviews);
    move || {
        counts.get().and_then(Result::ok).filter(|c| c.awaiting > 0).map(|c| {
            let label = format!("{} awaiting verification{}", c.awaiting, if c.overdue > 0 { ", some overdue" } else { "" });
            view! { <span class="nav-count" class:nav-count--overdue={c.overdue > 0} aria-label=label>{c.awaiting.to_string()}</span> }
        })
    }
}
