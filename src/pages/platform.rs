//! Platform operators' console: every organization, its members and usage. Read-only.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::accounts::PlatformConsole;
use crate::model::error::AppError;

/// All organizations, for platform operators only (everyone else gets "not found").
#[server(endpoint = "platform_overview")]
pub async fn platform_overview() -> Result<PlatformConsole, AppError> {
    use crate::server::auth::flows::platform;
    use crate::server::auth::request::{current_user, reply, state};
    reply(async { platform::overview(&state(), &current_user().await?).await }.await)
}

#[component]
pub fn PlatformPage() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| platform_overview());
    view! {
        <Title text="Platform console"/>
        <h1>"Platform console"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orgs.await {
                    Err(err) => view! { <p class="alert alert--error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(PlatformConsole { organizations: orgs, dead_jobs }) => view! {
                        <h2>"Failed background jobs"</h2>
                        {if dead_jobs.is_empty() {
                            view! { <p class="muted">"None."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="list">
                                    {dead_jobs.into_iter().map(|job| view! {
                                        <li class="list__item"><div>
                                            <strong>{job.kind.clone()}</strong>
                                            <div class="muted">{format!("{} · {} attempts · {}", job.failed_at, job.attempts, job.last_error)}</div>
                                        </div></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <h2>{format!("{} organizations", orgs.len())}</h2>
                        {orgs.into_iter().map(|org| view! {
                            <article class="card">
                                <h2>{org.name.clone()}</h2>
                                <p class="muted">{format!("created {} · {} members · {} pending invitations",
                                    &org.created_at[..10], org.members.len(), org.pending_invitations)}</p>
                                <ul>
                                    {org.members.into_iter().map(|m| view! {
                                        <li>{format!("{} <{}> · {}", m.display_name, m.email, m.role.label())}</li>
                                    }).collect_view()}
                                </ul>
                            </article>
                        }).collect_view()}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
