//! Pieces every form uses: labelled fields, the outcome of the last submission.

use leptos::prelude::*;

use crate::model::error::AppError;

/// A labelled input. `autocomplete` matters on phones: it lets password managers fill in.
/// `scope` tells apart the fields of several forms on one page (one edit form per row): without
/// it, every "Name" label would focus the first form's field.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = true)] required: bool,
    #[prop(optional, into)] scope: Option<String>,
    /// The keyboard a phone shows ("numeric" for a PIN).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The server's limit (a name type's `MAX`), so the browser stops typing where it would
    /// refuse.
    #[prop(optional)]
    maxlength: Option<usize>,
) -> impl IntoView {
    let id = match scope {
        Some(scope) => format!("field-{scope}-{name}"),
        None => format!("field-{name}"),
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind name=name autocomplete=autocomplete value=value required=required inputmode=inputmode
                maxlength=maxlength/>
            {hint.map(|h| view! { <small class="field__hint">{h}</small> })}
        </div>
    }
}

/// What a signing asks for when the organization has strict signatures (21 CFR Part 11 §11.200):
/// the password, or the signer's PIN after their first signature of the session. With `id`, a
/// labelled field (the scan page); without, a compact one for a row of a list.
#[component]
pub fn SigningSecret(strict: bool, #[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    const LABEL: &str = "Your password or signing PIN (to sign)";
    strict.then(|| match id {
        Some(id) => view! {
            <div class="field">
                <label for=id>{LABEL}</label>
                <input id=id name="password" type="password" autocomplete="current-password" required/>
                <small class="field__hint">"Your first signature after signing in needs your password."</small>
            </div>
        }
        .into_any(),
        None => view! {
            <input class="signing-secret" name="password" type="password" autocomplete="current-password"
                placeholder="Password or PIN" aria-label=LABEL required/>
        }
        .into_any(),
    })
}

/// The text inside a `<textarea>`. Leptos writes a textarea's children into the server's HTML
/// without escaping them (it treats the element as raw text, like `<script>`), so stored text
/// such as `</textarea><meta http-equiv=refresh …>` would end the element and inject markup.
/// On the server the text is escaped here; in the browser it becomes a text node, which needs
/// no escaping, and hydration finds the same text either way.
pub fn textarea_text(text: String) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    } else {
        text
    }
}

/// Shows the error of the last submission, if it failed; announced to screen readers.
#[component]
pub fn ActionError<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let location = leptos_router::hooks::use_location();
    move || match value.get() {
        // The session ended (signed out elsewhere, a password reset): the way back, to this page.
        Some(Err(AppError::Unauthenticated)) => {
            let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
            let next = if here.is_empty() { "/".to_owned() } else { here };
            let href = format!("/login?next={}", crate::model::redirect::encode_component(&next));
            Some(
                view! {
                    <p class="alert alert--error" role="alert">
                        "Your session has ended. " <a href=href>"Sign in"</a> " to continue here."
                    </p>
                }
                .into_any(),
            )
        }
        Some(Err(err @ AppError::PlanLimit(_))) => Some(
            view! {
                <p class="alert alert--error" role="alert">
                    {err.to_string()} " " <a href="/billing">"See plans and upgrade"</a>
                </p>
            }
            .into_any(),
        ),
        Some(Err(err)) => Some(view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any()),
        _ => None,
    }
}

/// Shows `message` once the last submission succeeded: in the browser, or, for a form posted
/// without JavaScript, when the page came back with `?done=<this server function>` (see
/// `server::http::forms`).
#[component]
pub fn ActionDone<S>(action: ServerAction<S>, message: &'static str) -> impl IntoView
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let query = leptos_router::hooks::use_query_map();
    let done_here = query.read_untracked().get("done").is_some_and(|path| path == S::PATH);
    move || match action.value().get() {
        Some(Ok(_)) => Some(view! { <p class="alert alert--ok" role="status">{message}</p> }),
        None if done_here => Some(view! { <p class="alert alert--ok" role="status">{message}</p> }),
        _ => None,
    }
}

/// "Facility: All facilities / …" for pages that narrow what they show to one facility (the
/// overview, the review queue), as the `facility` field of the page's filter form
/// (`components::query`); retired facilities are left out. `selected` is the id in the address,
/// or empty for all.
#[component]
pub fn FacilityFilter(selected: String, sites: Vec<crate::model::facilities::Facility>) -> impl IntoView {
    view! {
        <label>"Facility"
            <select name="facility">
                <option value="" selected=selected.is_empty()>"All facilities"</option>
                {sites
                    .into_iter()
                    .filter(|f| !f.retired)
                    .map(|f| {
                        let id = f.id.to_string();
                        view! { <option selected=id == selected value=id>{f.name}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
