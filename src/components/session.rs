//! Who is signed in, for every page and the header: the session resource (refetched on every
//! navigation, so signing in or out or switching organization shows at once), and the server
//! functions that read and change it (sign out, switch organization).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::model::accounts::SessionInfo;
use crate::model::error::AppError;
use crate::model::ids::OrgId;

/// Who is signed in (or nobody) and their organizations.
#[server(endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(async { signin::session_info(&state(), &auth_session().await?).await }.await)
}

/// Moves the session to another of the user's organizations; any other id is "not found".
#[server(endpoint = "switch_org")]
pub async fn switch_org(org_id: OrgId) -> Result<(), AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    reply(
        async {
            signin::switch_org(&state(), &mut auth_session().await?, org_id).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

/// Ends the session.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::auth::flows::signin;
    use crate::server::auth::request::{auth_session, reply, state};
    let state = state();
    reply(
        async {
            let mut auth = auth_session().await?;
            signin::logout(&state, &mut auth).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Who is signed in, shared by the header and the pages.
pub type SessionResource = Resource<Result<Option<SessionInfo>, AppError>>;

/// Makes the session resource available below (the app's frame calls this once).
pub fn provide_session() {
    let location = use_location();
    let session: SessionResource = Resource::new(move || location.pathname.get(), |_| get_session());
    provide_context(session);
}

pub fn use_session() -> SessionResource {
    expect_context::<SessionResource>()
}
