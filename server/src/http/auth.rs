//! Sign-in, sign-out, and who am I; the client address sign-in throttling
//! counts.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use ipnet::{IpNet, Ipv6Net};
use viewas_api::{AccessHistoryItem, EndReason, LoginRequest, LoginResponse, User};

use super::error::Json;
use super::extractor::Signed;
use super::{AppError, AppState};
use crate::auth::{new_token, verify_password_pooled, LOGIN_TOKEN_SECS};
use crate::clock::rfc3339;
use crate::store::accounts::{self, TokenKind};
use crate::store::rows::account_by_email;
use crate::store::{sessions, throttle};

pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, AppError> {
    let email = body.email.trim().to_lowercase();
    let now = state.now();
    let account_scope = throttle::account_scope(&email);
    let address_scope = throttle::address_scope(&addr);

    // Reserve the attempt first, on the writer: both limits are checked and
    // the attempt recorded as a failure in one transaction, so attempts
    // arriving together cannot all pass the check before any is recorded.
    // An attempt inside a delay is answered 429 here: no password is
    // checked and nothing is counted or reset (see `throttle`).
    let lookup_email = email.clone();
    let (reserved, found) = state
        .store
        .write(
            move |c| match throttle::reserve(c, &account_scope, &address_scope, now)? {
                Ok(r) => Ok((Ok(r), account_by_email(c, &lookup_email)?)),
                Err(wait) => Ok((Err(wait), None)),
            },
        )
        .await?;
    let reservation = reserved.map_err(|retry_after| AppError::TooManyRequests { retry_after })?;

    // argon2 is deliberately slow: keep it off the async workers, on its own
    // two threads (see `verify_password_pooled`). Unknown accounts are
    // checked against a dummy hash so both answers take as long.
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let password = body.password;
    let ok = verify_password_pooled(password, hash).await;
    let account = match found {
        Some((account, Some(_))) if ok && !account.disabled => account,
        // The reservation stays: it is this attempt's failure, now settled.
        _ => {
            state
                .store
                .write(move |c| throttle::settle(c, &reservation))
                .await?;
            return Err(AppError::InvalidCredentials);
        }
    };

    let t = new_token();
    let expires_at = now + LOGIN_TOKEN_SECS;
    let user_id = account.id;
    let (selector, secret_hash) = (t.selector.clone(), t.secret_hash);
    state
        .store
        .write(move |c| {
            // A right password is no failure, and resets the back-off.
            throttle::release(c, &reservation)?;
            accounts::insert_token(
                c,
                &selector,
                &secret_hash,
                TokenKind::Login,
                user_id,
                None,
                now,
                expires_at,
            )?;
            accounts::touch_last_active(c, user_id, now)
        })
        .await?;
    tracing::info!(user_id, "signed in");
    Ok(axum::Json(LoginResponse {
        token: t.token,
        user: account.to_user(),
        expires_at: rfc3339(expires_at),
    }))
}

/// Revokes the token at once; an impersonation session the account still
/// has open ends with it (exit), so signing out never leaves one running.
pub(super) async fn logout(
    State(state): State<AppState>,
    Signed(u): Signed,
) -> Result<StatusCode, AppError> {
    let now = state.now();
    state
        .store
        .write(move |c| {
            accounts::revoke_token(c, u.token_id, now)?;
            if let Some(id) = sessions::active_of(c, u.account.id)? {
                sessions::end(c, id, now, now, EndReason::Exit, Some(u.account.id))?;
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn me(Signed(u): Signed) -> axum::Json<User> {
    axum::Json(u.account.to_user())
}

pub(super) async fn access_history(
    State(state): State<AppState>,
    Signed(u): Signed,
) -> Result<axum::Json<Vec<AccessHistoryItem>>, AppError> {
    let id = u.account.id;
    let items = state
        .store
        .read(move |c| sessions::access_history(c, id))
        .await?;
    Ok(axum::Json(items))
}

/// The client's address as sign-in throttling counts it: the socket's peer,
/// or, when the peer is a trusted proxy, the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy (what lies left of it is
/// whatever the client sent). Without a peer (tests driving the router
/// directly) it is `unknown`.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip());
        Ok(ClientAddr(match peer {
            Some(peer) => {
                let ip = client_ip(peer, &parts.headers, &state.settings.trusted_proxies);
                throttle_key(ip)
            }
            None => "unknown".to_string(),
        }))
    }
}

/// See [`ClientAddr`]. The header's entries run from the client (left) to
/// the nearest proxy (right); several headers are one list, in order.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        // A value that is not text is one entry that is not an address.
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .collect();
    for hop in hops.into_iter().rev() {
        // An entry that is no address ends the walk at the hop that sent it.
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port or in
/// brackets, as proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| hop.trim_start_matches('[').trim_end_matches(']').parse())
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The throttle's name for an address: IPv4 as it is, IPv6 by its /64, the
/// block one subscriber usually holds whole (counting single IPv6 addresses
/// would give each attacker 2^64 fresh budgets).
pub fn throttle_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let lb = ip("10.0.0.2");
        // The client's own entry (left) is not believed; the proxy's is.
        let h = xff(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(client_ip(lb, &h, &trusted), ip("203.0.113.9"));
        // Trusted hops inside the chain are skipped, over several headers.
        let h = xff(&["6.6.6.6, 203.0.113.9", "10.1.2.3:4711"]);
        assert_eq!(client_ip(lb, &h, &trusted), ip("203.0.113.9"));
        // From an untrusted peer the header is ignored.
        assert_eq!(
            client_ip(ip("198.51.100.7"), &h, &trusted),
            ip("198.51.100.7")
        );
        // No header, or garbage: the last hop that could be named.
        assert_eq!(client_ip(lb, &HeaderMap::new(), &trusted), lb);
        let h = xff(&["203.0.113.9, unknown, 10.1.2.3"]);
        assert_eq!(client_ip(lb, &h, &trusted), ip("10.1.2.3"));
        // Every hop trusted: the left-most.
        let h = xff(&["10.9.9.9, 10.1.2.3"]);
        assert_eq!(client_ip(lb, &h, &trusted), ip("10.9.9.9"));
        // IPv4 mapped into IPv6 is IPv4, brackets and ports are dropped.
        let h = xff(&["[2001:db8::1]:443"]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), &h, &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_slash_64() {
        assert_eq!(throttle_key(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            throttle_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
    }
}
