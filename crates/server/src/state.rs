//! What every handler and the access gate can reach: [`AppState`], and who may call
//! each route ([`Need`], [`Access`], filled from `routes::table`). Below `routes` and
//! `auth`, so that neither imports the other for it.

use axum::extract::FromRef;
use axum::http::Method;

use crate::refresh::Refresher;
use crate::store::Store;
use crate::store::access::SessionPolicy;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone (signing in).
    Public,
    /// Any signed-in user, agents included (their own session).
    SignedIn,
    /// Supervisors and admins: the console.
    Console,
    /// Admins: the account's settings.
    Admin,
}

/// Who may call each API route: path patterns (as under `/api/v1`) and methods.
#[derive(Clone, Debug)]
pub struct Access(std::sync::Arc<[(&'static str, Method, Need)]>);

impl Access {
    pub fn new(routes: Vec<(&'static str, Method, Need)>) -> Access {
        Access(routes.into())
    }

    /// Who may call `method` on `path`. `HEAD` is `GET`'s. A path or method the table
    /// does not have needs the console (a stranger learns nothing, not even that it
    /// does not exist; a signed-in user gets 404 or 405).
    pub fn need(&self, method: &Method, path: &str) -> Need {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.0
            .iter()
            .find(|(pattern, m, _)| m == method && matches_pattern(pattern, path))
            .map_or(Need::Console, |(_, _, need)| *need)
    }
}

/// Whether `path` is an instance of `pattern` (`/users/7` of `/users/{id}`).
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.starts_with('{') && !q.is_empty() => {}
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub refresher: Refresher,
    pub sessions: SessionPolicy,
    /// Sign-in attempts per client address, across accounts.
    pub addresses: std::sync::Arc<crate::throttle::AddressBuckets>,
    pub trusted_proxies: std::sync::Arc<[crate::throttle::Cidr]>,
    /// Who may call each route (the access gate reads it).
    pub access: Access,
    /// Portal single sign-on, when the operator set it up.
    pub sso: Option<std::sync::Arc<crate::sso::SsoConfig>>,
    /// Browsers' reports of the pages' Content-Security-Policy.
    pub csp_reports: crate::csp_reports::CspReports,
    /// Whether `POST /auth/tokens` mints bearer tokens for a password.
    pub password_tokens: bool,
    /// Origins allowed to call the API from their pages (CORS, bearer only).
    pub cors_origins: std::sync::Arc<[axum::http::HeaderValue]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches_pattern("/users/{id}", "/users/7"));
        assert!(matches_pattern("/licenses", "/licenses"));
        assert!(!matches_pattern("/users/{id}", "/users/"));
        assert!(!matches_pattern("/users/{id}", "/users/7/password"));
        assert!(!matches_pattern("/users", "/users/7"));
        let access = Access::new(vec![("/directory", Method::PUT, Need::Admin)]);
        assert_eq!(access.need(&Method::PUT, "/directory"), Need::Admin);
        assert_eq!(access.need(&Method::GET, "/directory"), Need::Console);
    }
}
