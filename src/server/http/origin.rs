//! Where a request came from: the client's address and whether it arrived over HTTPS (resolved
//! by `http::client`), and the origin the audit trail records. A leaf: the tenancy core reads
//! it without depending on the HTTP layer.

use std::net::{IpAddr, Ipv4Addr};

use leptos::prelude::use_context;

/// Inserted into every request's extensions by `http::client::resolve_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub secure: bool,
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn from_parts(parts: &http::request::Parts) -> RequestMeta {
        RequestMeta::of(&parts.headers, &parts.extensions)
    }

    /// For middleware, which holds the request's headers and extensions rather than its parts.
    pub fn of(headers: &http::HeaderMap, extensions: &http::Extensions) -> RequestMeta {
        RequestMeta {
            ip: extensions.get::<ClientInfo>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.ip),
            user_agent: headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
        }
    }
}

/// The current request's origin, inside a server function or page render; `None` elsewhere
/// (command line, background work).
pub fn request_meta() -> Option<RequestMeta> {
    use_context::<http::request::Parts>().map(|parts| RequestMeta::from_parts(&parts))
}
