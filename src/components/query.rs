//! Page state kept in the address. A list's filters and page number are query parameters the
//! server renders the page from: the list needs no JavaScript, a filtered view can be
//! bookmarked or sent to a colleague, and Back returns to it. The filter forms are
//! plain `GET` forms, the pager plain links.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

use crate::model::redirect::encode_component;

/// `path?key=value&…` with the pairs whose value is not empty.
pub fn href(path: &str, pairs: &[(&str, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode_component(value)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A parameter's value, empty when absent.
pub fn text(query: &ParamsMap, key: &str) -> String {
    query.get(key).unwrap_or_default()
}

/// A checkbox's parameter: `1` (what our checkboxes send) or `on` (a browser's default).
pub fn flag(query: &ParamsMap, key: &str) -> bool {
    query.get(key).is_some_and(|v| v == "1" || v == "on")
}

/// `?page=N`, 1 when absent or not a page number.
pub fn page_number(query: &ParamsMap) -> i64 {
    query.get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// "Previous · Page 2 of 5 · Next" as links that keep the list's filters (`keep`). An end that
/// cannot be followed is shown dimmed, not as a link.
#[component]
pub fn Pager(path: &'static str, keep: Vec<(&'static str, String)>, page: i64, pages: i64) -> impl IntoView {
    let link = move |label: &'static str, to: i64, open: bool| {
        if open {
            let mut pairs = keep.clone();
            pairs.push(("page", if to > 1 { to.to_string() } else { String::new() }));
            view! { <a class="button button--small" href=href(path, &pairs)>{label}</a> }.into_any()
        } else {
            view! { <span class="button button--small button--off" aria-disabled="true">{label}</span> }.into_any()
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link("Previous", page - 1, page > 1)}
            <span>{format!("Page {page} of {pages}")}</span>
            {link("Next", page + 1, page < pages)}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_keeps_the_filters_that_are_set_and_encodes_them() {
        let pairs = [("facility", String::new()), ("search", "a&b c".to_owned()), ("overdue", "1".to_owned())];
        assert_eq!(href("/equipment", &pairs), "/equipment?search=a%26b%20c&overdue=1");
        assert_eq!(href("/equipment", &[("search", String::new())]), "/equipment");
    }

    #[test]
    fn a_page_number_that_is_not_one_is_the_first_page() {
        let query = |q: &str| {
            ParamsMap::from_iter(
                q.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())),
            )
        };
        assert_eq!(page_number(&query("page=3")), 3);
        assert_eq!(page_number(&query("page=0")), 1);
        assert_eq!(page_number(&query("page=-2")), 1);
        assert_eq!(page_number(&query("page=x")), 1);
        assert_eq!(page_number(&query("")), 1);
        assert!(flag(&query("overdue=1"), "overdue") && flag(&query("overdue=on"), "overdue"));
        assert!(!flag(&query("overdue=0"), "overdue"));
    }
}
