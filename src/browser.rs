//! What runs in the browser only: a panic in the WASM is reported to the server
//! (`POST /client-errors`, see `server::http::client_errors`) and told to the person, instead of
//! leaving a page that looks alive but no longer reacts.

/// Where the report goes; the server route has the same path.
pub const REPORT_PATH: &str = "/client-errors";

/// Installs the panic hook: the console message as before, a report to the server, and a notice
/// on the page with a way out.
pub fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(window) = web_sys::window() else { return };
        let page = window.location().href().unwrap_or_default();
        let report = serde_json::json!({ "message": info.to_string(), "url": page });
        // A beacon: sent even if the person reloads at once, and without any of our (now
        // unreliable) code running after it.
        let _ = window.navigator().send_beacon_with_opt_str(REPORT_PATH, Some(&report.to_string()));
        show_notice(&window, &page);
        links_load_in_full(&window);
    }));
}

/// After a panic the router's state cannot be trusted: a page whose code failed to download (a
/// dropped connection; Leptos 0.8 panics then) leaves it halfway through a navigation that never
/// ends, and every later link click would join it. From then on a link click is kept from the
/// router (which listens on the window, behind the document), so the browser loads the page in
/// full, with fresh code.
fn links_load_in_full(window: &web_sys::Window) {
    use wasm_bindgen::{closure::Closure, JsCast};
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Some(document) = window.document() else { return };
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let keep_from_router = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        let on_link = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a[href]").ok().flatten())
            .is_some();
        if on_link {
            ev.stop_propagation();
        }
    });
    let _ = document.add_event_listener_with_callback("click", keep_from_router.as_ref().unchecked_ref());
    // It stays for the life of the page.
    keep_from_router.forget();
}

/// A notice at the top of the page, made with the DOM directly: after a panic the reactive
/// system cannot be trusted to draw anything.
fn show_notice(window: &web_sys::Window, page: &str) {
    let Some(document) = window.document() else { return };
    if document.get_element_by_id("panic-notice").is_some() {
        return;
    }
    let Ok(notice) = document.create_element("div") else { return };
    notice.set_id("panic-notice");
    notice.set_class_name("alert alert--error panic-notice");
    let _ = notice.set_attribute("role", "alert");
    notice.set_text_content(Some(
        "Something went wrong on this page and it may no longer respond. It has been reported. \
         Nothing you already saved is lost. ",
    ));
    if let Ok(reload) = document.create_element("a") {
        let _ = reload.set_attribute("href", page);
        reload.set_class_name("button button--small");
        reload.set_text_content(Some("Reload the page"));
        let _ = notice.append_child(&reload);
    }
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&notice);
    }
}
