//! Who is on the other end of a request: the client's IP and whether it arrived over HTTPS.
//!
//! We never terminate TLS ourselves, so HTTPS can only be known from a proxy's
//! `X-Forwarded-Proto`. Anyone can send that header, so it is believed only from a peer listed
//! in TRUSTED_PROXIES; the same goes for `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::origin::ClientInfo;
use crate::server::state::AppState;

pub async fn resolve_client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    let info = client_info(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(info);
    next.run(req).await
}

fn client_info(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> ClientInfo {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return ClientInfo { ip: peer, secure: false };
    }
    let header =
        |name: &str| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    // The last proxy in front of us appends last, so its value is the rightmost one.
    let proto = header("x-forwarded-proto");
    let secure = proto.rsplit(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    // Walk X-Forwarded-For from the right past our own proxies; the first other address is the
    // client. Entries left of it could be forged by the client and are ignored.
    let forwarded = header("x-forwarded-for");
    let ip = forwarded
        .rsplit(',')
        .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer);
    ClientInfo { ip, secure }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    const PROXY: &str = "10.1.2.3";
    fn trusted() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().unwrap()]
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-proto", "https"), ("x-forwarded-for", "1.2.3.4")]);
        let info = client_info(Some("203.0.113.9".parse().unwrap()), &h, &trusted());
        assert_eq!(info, ClientInfo { ip: "203.0.113.9".parse().unwrap(), secure: false });
    }

    #[test]
    fn a_trusted_proxy_tells_the_scheme_and_the_client() {
        let h = headers(&[("x-forwarded-proto", "https"), ("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.9.9.9")]);
        let info = client_info(Some(PROXY.parse().unwrap()), &h, &trusted());
        assert_eq!(info, ClientInfo { ip: "198.51.100.7".parse().unwrap(), secure: true });
    }

    #[test]
    fn no_proxies_configured_means_nobody_is_trusted() {
        let h = headers(&[("x-forwarded-proto", "https")]);
        assert!(!client_info(Some(PROXY.parse().unwrap()), &h, &[]).secure);
    }
}
