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
    }));
}

/// Marks the header `interactive` once the page's islands have hydrated: the browser tests wait
/// for it before they press what needs code.
pub fn mark_interactive() {
    let Some(header) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(".site-header").ok().flatten())
    else {
        return;
    };
    header.set_class_name(&format!("{} interactive", header.class_name()));
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
