//! `/verify`, public: anyone holding a PDF, CSV or binder we issued (an inspector, an auditor's
//! client) checks that we issued it and that not one byte changed since. The page sends the
//! file to `POST /verify/file`, which only hashes it, or takes its SHA-256 typed in; it answers
//! with who issued the file and when, and nothing else of that organization.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::model::audit::{file_kind_label, FileIssue};
use crate::model::error::AppError;

/// The issues of the file whose SHA-256 (64 hex digits) is given; empty when we never issued it.
#[server(endpoint = "check_file")]
pub async fn check_file(sha256: String) -> Result<Vec<FileIssue>, AppError> {
    use crate::server::audit::issued;
    use crate::server::auth::request::{reply, state};
    let state = state();
    reply(
        async {
            let sha256 = sha256.trim().to_ascii_lowercase();
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AppError::Invalid("A SHA-256 is 64 hexadecimal digits (0-9, a-f).".into()));
            }
            Ok(issued::lookup(&state.pool, &state.config.audit_key, &sha256).await?)
        }
        .await,
    )
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let query = use_query_map();
    let sha256 = move || query.with(|q| q.get("sha256")).filter(|s| !s.is_empty());
    let result = Resource::new(sha256, |sha256| async move {
        match sha256 {
            Some(sha256) => Some((sha256.clone(), check_file(sha256).await)),
            None => None,
        }
    });
    view! {
        <Title text="Check a file"/>
        <section class="narrow">
            <h1>"Check a file from CleanTrack"</h1>
            <p>"Choose a report, binder or CSV you were given. We say whether it was issued here, by whom and when, and whether it is unchanged. The file is only hashed here, never kept."</p>
            <form class="form" method="post" action="/verify/file" enctype="multipart/form-data">
                <div class="field">
                    <label for="verify-file">"The file"</label>
                    <input id="verify-file" type="file" name="file" required/>
                </div>
                <button type="submit" class="button">"Check this file"</button>
            </form>
            <details class="fold">
                <summary>"Check by its SHA-256 instead (files over 16 MB)"</summary>
                <form class="form" method="get" action="/verify">
                    <div class="field">
                        <label for="verify-sha">"SHA-256 (64 hexadecimal digits)"</label>
                        <input id="verify-sha" name="sha256" autocomplete="off" spellcheck="false" required/>
                        <small class="field__hint">"sha256sum FILE on Linux, shasum -a 256 FILE on a Mac, certutil -hashfile FILE SHA256 on Windows."</small>
                    </div>
                    <button type="submit" class="button">"Check"</button>
                </form>
            </details>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move { result.await.map(|(sha256, answer)| view! { <Answer sha256 answer/> }) })}
            </Suspense>
            <p class="muted">
                "Each issue is signed with our Ed25519 audit key, published at "
                <a href="/.well-known/cleantrack-audit-key" rel="external">"/.well-known/cleantrack-audit-key"</a>
                " and printed in every report, so anyone can check the signature without us."
            </p>
        </section>
    }
}

#[component]
fn Answer(sha256: String, answer: Result<Vec<FileIssue>, AppError>) -> impl IntoView {
    match answer {
        Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
        Ok(issues) if issues.is_empty() => view! {
            <div class="alert alert--error" role="alert">
                <p><strong>"Not issued by CleanTrack here, or changed since it was issued."</strong></p>
                <p class="muted hash">{format!("SHA-256 {sha256}")}</p>
            </div>
        }
        .into_any(),
        Ok(issues) => view! {
            <div class="alert alert--ok" role="status">
                {issues.into_iter().map(|i| view! {
                    <p><strong>{format!(
                        "Issued by {} on {} UTC: {}, unchanged.",
                        i.organization, i.issued_at_for_people(), file_kind_label(&i.kind)
                    )}</strong></p>
                    <p>{if i.signature_valid { "Its issue carries a valid signature of our audit key." } else { "Its issue's signature does not verify under our current key: ask the organization." }}</p>
                }).collect_view()}
                <p class="muted hash">{format!("SHA-256 {sha256}")}</p>
            </div>
        }
        .into_any(),
    }
}
