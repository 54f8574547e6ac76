//! Who is calling, and may they: sign-in, sessions (cookie or bearer), CSRF, roles.
//!
//! Every API request passes [`gate`]. It finds the session (the `__Host-alc_session`
//! cookie behind TLS, `alc_session` on plain HTTP, or `Authorization: Bearer`), refuses state-changing cookie requests without the
//! session's `X-CSRF-Token`, and checks the route's role ([`need`]). Handlers that
//! record who did something take the [`Principal`] it leaves in the request.
//!
//! Who may call each route is in `routes::table`, with the route itself.

use alc_domain::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use alc_domain::access::{
    Credentials, PasswordChange, Role, SessionInfo, SetupStatus, TokenIssued,
};

use crate::clock::rfc3339;
use crate::error::{ApiError, Json};
use crate::state::{AppState, Need};
use crate::store::access::{Principal, SessionKind, SignInRefused};
use crate::throttle::Client;

/// The session cookie on plain HTTP (the console on localhost).
pub const COOKIE: &str = "alc_session";
/// The session cookie behind TLS: the `__Host-` prefix makes a browser keep it only if
/// it is `Secure`, for this host alone (no `Domain`) and for every path, so neither a
/// sibling subdomain nor a plain-HTTP page can plant or shadow it.
pub const SECURE_COOKIE: &str = "__Host-alc_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

fn token_from(headers: &HeaderMap) -> Option<(String, SessionKind)> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_string(), SessionKind::Bearer));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SECURE_COOKIE || *k == COOKIE)
        .map(|(_, v)| (v.to_string(), SessionKind::Cookie))
}

/// Equal without saying where they differ (a timing side channel on the CSRF token).
fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether the browser says the request comes from a page of another site. The
/// browser sets `Sec-Fetch-Site` itself (a page cannot), and unlike `Origin` against
/// `Host` it needs no knowledge of how proxies rewrite the host.
fn from_another_site(headers: &HeaderMap) -> bool {
    matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site" | "same-site")
    ) || headers.get(header::ORIGIN).is_some_and(|o| o == "null")
}

pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let need = state.access.need(req.method(), req.uri().path());
    if need == Need::Public {
        return next.run(req).await;
    }
    let Some((token, kind)) = token_from(req.headers()) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Sign in to continue.",
        )
        .into_response();
    };
    if kind == SessionKind::Cookie && from_another_site(req.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CrossOrigin,
            "The console's session cookie is not accepted from another site: a portal calls the API with a bearer token.",
        )
        .into_response();
    }
    let principal = match state.store.session(&token, state.sessions).await {
        Ok(Some(p)) if p.kind == kind => p,
        Ok(_) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SessionExpired,
                "Your session has ended. Sign in again.",
            )
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if kind == SessionKind::Cookie && !safe {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !same(sent, &principal.csrf) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::CsrfFailed,
                "This request did not come from the console's own page (its anti-forgery token is missing or wrong). Reload the page and try again.",
            )
            .into_response();
        }
    }
    // What a user who must change their password may still do: see who they are,
    // change it, or leave.
    if principal.must_change_password && need != Need::SignedIn {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PasswordChangeRequired,
            "Choose a new password first: the current one was set by an admin.",
        )
        .into_response();
    }
    let role = principal.user.role;
    let admin_only = if req.uri().path().starts_with("/users") {
        "Only admins can manage console users."
    } else {
        "Only admins can change the account's settings."
    };
    let refused = match need {
        Need::Console | Need::Admin if !role.may_use_console() => Some((
            ErrorCode::NoAccess,
            "Your account has the Agent role. The Agent Licensing Console is for supervisors and admins; ask an admin if you need access.",
        )),
        Need::Admin if role != Role::Admin => Some((ErrorCode::AdminOnly, admin_only)),
        _ => None,
    };
    if let Some((code, message)) = refused {
        return ApiError::new(StatusCode::FORBIDDEN, code, message).into_response();
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

fn info(p: &Principal) -> SessionInfo {
    SessionInfo {
        user: p.user.clone(),
        csrf_token: (p.kind == SessionKind::Cookie).then(|| p.csrf.clone()),
        expires_at: rfc3339(p.expires_at),
        must_change_password: p.must_change_password,
    }
}

fn slow_down(secs: u64, message: String) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyAttempts,
        message,
    );
    e.retry_after = Some(secs);
    e
}

/// How long a refused ("wait") sign-in is held before its 429 is sent. A client that
/// ignores `Retry-After` and asks again at once gets one cheap answer per connection
/// per second instead of tens of thousands: the flood slows itself, and the cores stay
/// with signed-in users. Waiting costs the server a sleeping task, no CPU.
const THROTTLED_ANSWER_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// The sign-in limits, cheapest first: sizes, then this address's bucket (memory),
/// then the account's counters (the database), and only then a password hash.
async fn check(
    state: &AppState,
    client: Client,
    creds: &Credentials,
    kind: SessionKind,
) -> Result<(String, Principal), ApiError> {
    let oversized = creds.oversized();
    if !oversized.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidCredentials,
            "That email or password is longer than any account's.",
        )
        .with_fields(oversized));
    }
    if let Err(secs) = state.addresses.take(client.addr) {
        tracing::info!(wait_secs = secs, "sign-in throttled for the client address");
        tokio::time::sleep(THROTTLED_ANSWER_DELAY).await;
        return Err(slow_down(
            secs,
            format!(
                "Too many sign-in attempts from your network. Wait {secs} seconds and try again."
            ),
        ));
    }
    match state
        .store
        .sign_in(
            &creds.email,
            &creds.password,
            kind,
            state.sessions,
            &client.addr.to_string(),
        )
        .await?
    {
        Ok(ok) => Ok(ok),
        Err(SignInRefused::Invalid) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
            "That email and password do not match an account.",
        )
        .with_fields(vec![alc_domain::FieldError {
            field: "password".into(),
            code: ErrorCode::InvalidCredentials,
            message: "Check the email and password and try again.".into(),
        }])),
        Err(SignInRefused::Disabled) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDisabled,
            "This account is disabled. Ask an admin to enable it.",
        )),
        Err(SignInRefused::SlowDown(secs)) => {
            tokio::time::sleep(THROTTLED_ANSWER_DELAY).await;
            Err(slow_down(
                secs,
                format!(
                    "Too many failed sign-ins for this email. Wait {secs} seconds and try again."
                ),
            ))
        }
    }
}

/// The `Set-Cookie` value of a session cookie (`max_age` 0 clears it): `__Host-` and
/// `Secure` behind TLS, plain on HTTP, where a browser would refuse both.
fn session_cookie(tls: bool, token: &str, max_age: u64) -> String {
    let (name, secure) = if tls {
        (SECURE_COOKIE, "; Secure")
    } else {
        (COOKIE, "")
    };
    format!("{name}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
}

/// `POST /auth/sign-in`: a cookie session for the standalone console.
pub async fn sign_in(
    State(state): State<AppState>,
    axum::Extension(client): axum::Extension<Client>,
    Json(creds): Json<Credentials>,
) -> Result<Response, ApiError> {
    let (token, principal) = check(&state, client, &creds, SessionKind::Cookie).await?;
    // Behind a trusted TLS-terminating proxy the cookie is `Secure` and `__Host-`; on
    // plain HTTP (the standalone console on localhost) a browser would refuse both.
    let cookie = session_cookie(client.tls, &token, state.sessions.max.as_secs());
    let mut resp = Json(info(&principal)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `POST /auth/tokens`: a bearer token for a host page's embedded console (the
/// portal's back end asks for it with the user's credentials).
pub async fn issue_token(
    State(state): State<AppState>,
    axum::Extension(client): axum::Extension<Client>,
    Json(creds): Json<Credentials>,
) -> Result<(StatusCode, Json<TokenIssued>), ApiError> {
    if !state.password_tokens {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PasswordTokensDisabled,
            "This console issues tokens by single sign-on only (POST /api/v1/auth/exchange).",
        ));
    }
    let (token, principal) = check(&state, client, &creds, SessionKind::Bearer).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenIssued {
            token,
            expires_at: rfc3339(principal.expires_at),
            user: principal.user,
        }),
    ))
}

/// `GET /auth/session`
pub async fn session(axum::Extension(p): axum::Extension<Principal>) -> Json<SessionInfo> {
    Json(info(&p))
}

/// `GET /auth/setup`: whether anyone can sign in yet (a new installation's sign-in
/// page says who creates the first admin).
pub async fn setup(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    Ok(Json(SetupStatus {
        has_users: state.store.has_users().await?,
    }))
}

/// `POST /me/password`: the signed-in user's own password. This session goes on
/// (no longer bound to change it); the user's other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(req): Json<PasswordChange>,
) -> Result<Json<SessionInfo>, ApiError> {
    state
        .store
        .change_own_password(
            &p.actor(),
            p.user_id,
            &req.current_password,
            &req.new_password,
            &p.token_hash,
        )
        .await?;
    Ok(Json(info(&Principal {
        must_change_password: false,
        ..p
    })))
}

/// `POST /auth/sign-out`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
) -> Result<Response, ApiError> {
    state.store.end_session(&p.actor(), &p.token_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for tls in [false, true] {
        if let Ok(v) = HeaderValue::from_str(&session_cookie(tls, "", 0)) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}
