//! The top bar: brand, navigation between the product's areas, and who is signed in.

use leptos::prelude::*;

use crate::components::session::{Logout, SwitchOrg};
use crate::model::accounts::SessionInfo;
use crate::model::role::Action;

/// The header: the bar with the phone's menu button (an island) and the navigation (server
/// HTML, like the rest of the page).
#[component]
pub fn SiteHeader() -> impl IntoView {
    let session = crate::components::session::use_session();
    view! {
        <header class="site-header">
            <HeaderBar/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let limit = session.await.ok().flatten().and_then(|s| s.idle_limit_seconds);
                    limit.map(|limit| view! { <IdleWatch limit=limit/> })
                })}
            </Suspense>
            <nav id="site-nav" class="site-nav" aria-label="Main">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let info = session.await.ok().flatten();
                        view! { <ul>{nav_items(info)}</ul> }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// On a phone the navigation folds behind "Menu" from the first paint, so nothing moves when the
/// WASM arrives. Without JavaScript "Menu" is a link to `#site-nav`, which CSS opens (`:target`);
/// once this island has hydrated it opens and closes the menu in place (`menu-open` on the
/// header, which is server HTML outside the island).
#[island]
fn HeaderBar() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="site-header__bar">
            <a href="/" class="brand">
                <span class="brand__mark" aria-hidden="true">"✓"</span>
                "CleanTrack"
            </a>
            <a
                href="#site-nav"
                role="button"
                class="menu-toggle"
                aria-controls="site-nav"
                aria-expanded=move || open.get().to_string()
                on:click=move |ev| {
                    ev.prevent_default();
                    open.update(|o| *o = !*o);
                    mark_header_open(open.get_untracked());
                }
            >
                {move || if open.get() { "Close" } else { "Menu" }}
            </a>
        </div>
    }
}

/// Where the organization signs idle sessions out (shared ward phones, staff): "Sign out" always
/// in sight, and a minute before the server's limit a warning with "Stay signed in". Taps and
/// keys on the page count as activity (at most one request a minute tells the server); when
/// the time is up the page goes to the sign-in page, as the server has ended the session.
#[island]
fn IdleWatch(limit: i64) -> impl IntoView {
    const WARN_BEFORE: i64 = 60;
    let left = RwSignal::new(limit);
    // Milliseconds (the page's clock) of the last time the server was told; 0: never.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let told_at = StoredValue::new(0.0_f64);
    let stay = move || {
        #[cfg(feature = "hydrate")]
        {
            let now = page_clock_ms();
            left.set(limit);
            if now - told_at.get_value() < 60_000.0 {
                return;
            }
            told_at.set_value(now);
            leptos::task::spawn_local(async move {
                if let Ok(Some(fresh)) = crate::pages::accounts::security::keep_session().await {
                    left.set(fresh);
                }
            });
        }
    };
    #[cfg(feature = "hydrate")]
    {
        told_at.set_value(page_clock_ms());
        let _ = set_interval_with_handle(
            move || {
                let now = left.get_untracked() - 1;
                left.set(now);
                if now <= 0 {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href("/login?ended=idle");
                    }
                }
            },
            std::time::Duration::from_secs(1),
        );
        // Before the warning, a tap or a key is activity; once it shows, only its button is.
        let on_activity = move || {
            if left.get_untracked() > WARN_BEFORE {
                stay();
            }
        };
        let keys = window_event_listener(leptos::ev::keydown, move |_| on_activity());
        let taps = window_event_listener(leptos::ev::pointerdown, move |_| on_activity());
        on_cleanup(move || {
            keys.remove();
            taps.remove();
        });
    }
    view! {
        <div class="idle-watch">
            {move || {
                let n = left.get();
                (n <= WARN_BEFORE).then(|| view! {
                    <p class="idle-watch__warning" role="alert">
                        {format!("No activity: signing out in {} s. ", n.max(0))}
                        <button type="button" class="button button--small" on:click=move |_| stay()>"Stay signed in"</button>
                    </p>
                })
            }}
            <form method="post" action="/api/logout" class="inline-form">
                <button type="submit" class="button button--small button--secondary">"Sign out"</button>
            </form>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn page_clock_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Adds or removes `menu-open` on the page's header.
fn mark_header_open(open: bool) {
    #[cfg(feature = "hydrate")]
    {
        let Some(header) =
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(".site-header").ok().flatten())
        else {
            return;
        };
        let others = header.class_name().split_whitespace().filter(|c| *c != "menu-open").collect::<Vec<_>>().join(" ");
        header.set_class_name(&if open { format!("{others} menu-open") } else { others });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = open;
}

fn nav_items(info: Option<SessionInfo>) -> impl IntoView {
    match info {
        None => view! {
            <li><a href="/">"Home"</a></li>
            <li><a href="/login">"Sign in"</a></li>
            <li><a href="/register">"Register"</a></li>
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
                <li><a href="/app">"Overview"</a></li>
                <li><a href="/facilities">"Facilities"</a></li>
                <li><a href="/equipment">"Equipment"</a></li>
                <li><a href="/protocols">"Protocols"</a></li>
                {can_verify.then(|| view! { <li><a href="/reviews">"Reviews"<ReviewCount/></a></li> })}
                {can_verify.then(|| view! { <li><a href="/corrective-actions" aria-label="Corrective actions">"Actions"</a></li> })}
                {can_verify.then(|| view! { <li><a href="/monitoring">"Monitoring"</a></li> })}
                {can_view_team.then(|| view! { <li><a href="/team">"Team"</a></li> })}
                {can_export.then(|| view! { <li><a href="/reports">"Reports"</a></li> })}
                {can_view_audit.then(|| view! { <li><a href="/audit">"Audit"</a></li> })}
                {can_manage_settings.then(|| view! { <li><a href="/settings">"Settings"</a></li> })}
                {can_view_billing.then(|| view! { <li><a href="/billing">"Billing"</a></li> })}
                {operator.then(|| view! { <li><a href="/platform">"Platform"</a></li> })}
                <li><a href="/notifications" aria-label="Notifications">"Alerts"<UnreadCount/></a></li>
                <li><a href="/account">{name}</a></li>
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

/// Unread notifications, beside "Alerts": an island like [`ReviewCount`], for the same reason.
#[island]
fn UnreadCount() -> impl IntoView {
    let unread = RwSignal::new(0_i64);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(n) = crate::pages::notifications::count_unread().await {
                unread.set(n);
            }
        });
    });
    move || {
        let n = unread.get();
        (n > 0).then(|| view! { <span class="nav-count" aria-label=format!("{n} unread")>{n.to_string()}</span> })
    }
}

/// How many cleanings await verification, beside "Reviews". An island that asks for the count
/// in the browser once the page is there (an effect, which runs only in the browser), so the
/// count never delays a page. Not a resource: the server would wait for it in the header's
/// `Suspense` and send the header unresolved.
#[island]
fn ReviewCount() -> impl IntoView {
    let counts = RwSignal::new(None::<crate::model::logs::ReviewCounts>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(found) = crate::pages::logs::reviews::count_reviews().await {
                counts.set(Some(found));
            }
        });
    });
    move || {
        counts.get().filter(|c| c.awaiting > 0).map(|c| {
            let label = format!("{} awaiting verification{}", c.awaiting, if c.overdue > 0 { ", some overdue" } else { "" });
            view! { <span class="nav-count" class:nav-count--overdue={c.overdue > 0} aria-label=label>{c.awaiting.to_string()}</span> }
        })
    }
}
