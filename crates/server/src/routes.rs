//! The route table. Handlers are thin: parse, call the store, answer.

use alc_domain::ErrorCode;
use std::path::PathBuf;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, get, on};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use alc_domain::api::{
    AgentDetail, AgentSaved, Availability, AvailabilityQuery, CreateAgent, ExtensionSuggestion,
    UpdateAgent,
};
use alc_domain::{
    AgentId, AgentPage, AgentQuery, ExtensionRanges, LicenseChangeBatch, LicenseChangeResult,
    LicenseSummary,
};
use axum::http::StatusCode;

use alc_directory::Connection;
use alc_domain::access::{
    AuditPage, AuditQuery, NewUser, PasswordReset, Role, SessionsEnded, UserAccount, UserChange,
    UserId,
};
use alc_domain::connection::DirectoryConnection;
use alc_domain::directory::{DirectorySummary, RefreshStatus};

use crate::auth;
use crate::connection::{address_of, to_stored};
use crate::error::{ApiError, Json, Path, Query};
use crate::refresh::Refresher;
pub use crate::state::AppState;
use crate::state::{Access, Need};
use crate::store::access::Principal;
use crate::store::{Store, StoreError};

/// The signed-in user the access gate found (every non-public route has one).
type Who = axum::Extension<Principal>;

/// One route of the API: its path (as under `/api/v1`), its method, who may call it,
/// and its handler. [`api`] builds the router from [`table`], the access gate reads
/// each route's [`Need`] from it, and the access test walks it: a route cannot be
/// added to one without the others.
pub struct Route {
    pub path: &'static str,
    pub method: Method,
    pub need: Need,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(path: &'static str, method: Method, need: Need, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
    Route {
        path,
        method,
        need,
        handler: on(filter, handler),
    }
}

/// Every API route, with who may call it.
pub fn table() -> Vec<Route> {
    use Need::*;
    const GET: Method = Method::GET;
    const POST: Method = Method::POST;
    const PUT: Method = Method::PUT;
    const PATCH: Method = Method::PATCH;
    const DELETE: Method = Method::DELETE;
    vec![
        route("/licenses", GET, Console, licenses),
        route("/agents", GET, Console, agents),
        route("/agents", POST, Console, create_agent),
        route("/agents/availability", GET, Console, availability),
        route("/agents/next-extension", GET, Console, next_extension),
        route("/agents/selection", GET, Console, selection),
        route("/agents/export", GET, Console, crate::roster_csv::export),
        route("/agents/import", POST, Console, crate::roster_csv::import),
        route(
            "/agents/import-template",
            GET,
            Console,
            crate::roster_csv::template,
        ),
        route("/agents/{id}", GET, Console, agent),
        route("/agents/{id}", PUT, Console, update_agent),
        route("/agents/{id}", DELETE, Console, remove_agent),
        route("/license-changes", POST, Console, license_changes),
        route("/settings/extension-ranges", GET, Console, ranges),
        route("/settings/extension-ranges", PUT, Admin, set_ranges),
        route("/settings/purchases", PUT, Admin, set_purchases),
        route("/directory", GET, Console, directory),
        route("/directory", PUT, Admin, set_directory),
        route("/directory/refresh", GET, Console, refresh_status),
        route("/directory/refresh", POST, Console, start_refresh),
        route("/audit", GET, Console, audit),
        route("/auth/sign-in", POST, Public, auth::sign_in),
        route("/auth/tokens", POST, Public, auth::issue_token),
        route("/auth/exchange", POST, Public, crate::sso::exchange),
        route("/csp-reports", POST, Public, crate::csp_reports::receive),
        route("/auth/setup", GET, Public, auth::setup),
        route("/auth/session", GET, SignedIn, auth::session),
        route("/auth/sign-out", POST, SignedIn, auth::sign_out),
        route("/me/password", POST, SignedIn, auth::change_password),
        route("/users", GET, Admin, users),
        route("/users", POST, Admin, add_user),
        route("/users/{id}", PATCH, Admin, change_user),
        route("/users/{id}/password", POST, Admin, reset_password),
        route("/users/{id}/sessions", DELETE, Admin, end_sessions),
    ]
}

/// Who may call each route, from [`table`] (what the access gate reads).
pub fn access() -> Access {
    Access::new(
        table()
            .into_iter()
            .map(|r| (r.path, r.method, r.need))
            .collect(),
    )
}

pub fn api(state: AppState) -> Router {
    let mut paths: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for r in table() {
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(r.handler),
            None => paths.push((r.path, r.handler)),
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::gate,
        ))
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        // API answers are live data: never from a cache.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// The API under `/api/v1`, the health checks, and the site (if given) everywhere
/// else. Unknown paths outside the API get `index.html`, so that a reload of
/// `/agents?q=ann` works. The example portal page (it signs in with the demo's
/// accounts) is there only with the demo.
pub fn app(state: AppState, site: Option<PathBuf>, demo: bool) -> Router {
    app_with(state, site, demo, Router::new())
}

/// [`app`] with more routes (the demo's example portal) inside the same layers.
pub fn app_with(state: AppState, site: Option<PathBuf>, demo: bool, extra: Router) -> Router {
    let headers = std::sync::Arc::new(crate::security::Headers::for_site(
        site.as_deref(),
        state.trusted_proxies.clone(),
    ));
    let state_origins = state.cors_origins.clone();
    let health = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state.store.clone());
    let mut app = Router::new()
        .nest("/api/v1", api(state))
        .merge(health)
        .merge(extra);
    if !demo {
        app = app.route(
            "/example-portal.html",
            get(|| async { ApiError::not_found() }),
        );
    }
    if let Some(site) = site {
        app = app.fallback_service(crate::site::service(&site));
    } else {
        app = app.fallback(|| async { ApiError::not_found() });
    }
    let cors = cors(&state_origins);
    crate::logging::with_request_logs(
        app.layer(CompressionLayer::new())
            .layer(CatchPanicLayer::custom(|_| {
                ApiError::internal("a request handler panicked").into_response()
            }))
            .layer(axum::middleware::from_fn_with_state(
                headers,
                crate::security::add,
            ))
            // Outermost but for the request log: preflights never reach the access
            // gate, and a 401 carries the headers a portal's page needs to read it.
            .layer(cors),
    )
}

/// CORS for the operator's portal origins: exact origins only, bearer tokens only
/// (no credentials mode, so a browser never sends the session cookie with them), the
/// headers a portal's page sends and reads, and a preflight cached for ten minutes.
/// Any other origin gets no CORS headers at all. The built files (module script, wasm)
/// get them too, so a portal's page can load the console from here.
fn cors(origins: &[axum::http::HeaderValue]) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}

/// `GET /healthz`: the process is up and answering.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and its schema is this version's. A load
/// balancer sends no traffic to an instance that answers 503.
async fn readyz(State(store): State<Store>) -> Result<Json<serde_json::Value>, ApiError> {
    match store.ready().await {
        Ok(()) => Ok(Json(serde_json::json!({"status": "ready"}))),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::NotReady,
                format!("The console cannot serve requests: {reason}"),
            ))
        }
    }
}

async fn licenses(State(store): State<Store>) -> Result<Json<LicenseSummary>, ApiError> {
    Ok(Json(store.license_summary().await?))
}

async fn agents(
    State(store): State<Store>,
    Query(query): Query<AgentQuery>,
) -> Result<Json<AgentPage>, ApiError> {
    Ok(Json(store.list_agents(&query).await?))
}

/// Every agent a list's query admits, for a bulk change to all of them.
async fn selection(
    State(store): State<Store>,
    Query(query): Query<AgentQuery>,
) -> Result<Json<alc_domain::api::AgentSelection>, ApiError> {
    match store
        .select_agents(&query, alc_domain::MAX_BATCH_CHANGES)
        .await?
    {
        Some(agents) => Ok(Json(alc_domain::api::AgentSelection { agents })),
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BatchTooLarge,
            format!(
                "More than {} agents match: one save can change at most that many. Narrow the search or the filters.",
                alc_domain::MAX_BATCH_CHANGES
            ),
        )),
    }
}

async fn license_changes(
    State(store): State<Store>,
    who: Who,
    Json(batch): Json<LicenseChangeBatch>,
) -> Result<Json<LicenseChangeResult>, ApiError> {
    Ok(Json(
        store
            .apply_license_changes(&who.actor(), &batch.changes)
            .await?,
    ))
}

async fn agent(
    State(store): State<Store>,
    Path(id): Path<AgentId>,
) -> Result<Json<AgentDetail>, ApiError> {
    store
        .agent_detail(id)
        .await?
        .map(Json)
        .ok_or_else(|| StoreError::NotFound.into())
}

async fn create_agent(
    State(store): State<Store>,
    who: Who,
    Json(req): Json<CreateAgent>,
) -> Result<(StatusCode, Json<AgentSaved>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store.create_agent(&who.actor(), &req).await?),
    ))
}

async fn update_agent(
    State(store): State<Store>,
    who: Who,
    Path(id): Path<AgentId>,
    Json(req): Json<UpdateAgent>,
) -> Result<Json<AgentSaved>, ApiError> {
    Ok(Json(store.update_agent(&who.actor(), id, &req).await?))
}

async fn remove_agent(
    State(store): State<Store>,
    who: Who,
    Path(id): Path<AgentId>,
    Query(q): Query<alc_domain::api::RemoveQuery>,
) -> Result<Json<AgentSaved>, ApiError> {
    Ok(Json(store.remove_agent(&who.actor(), id, q.version).await?))
}

async fn availability(
    State(store): State<Store>,
    Query(q): Query<AvailabilityQuery>,
) -> Result<Json<Availability>, ApiError> {
    Ok(Json(store.availability(&q).await?))
}

async fn next_extension(State(store): State<Store>) -> Result<Json<ExtensionSuggestion>, ApiError> {
    Ok(Json(store.next_extension().await?))
}

async fn ranges(State(store): State<Store>) -> Result<Json<ExtensionRanges>, ApiError> {
    Ok(Json(store.extension_ranges().await?))
}

async fn set_ranges(
    State(store): State<Store>,
    who: Who,
    Json(ranges): Json<ExtensionRanges>,
) -> Result<Json<ExtensionRanges>, ApiError> {
    Ok(Json(
        store.set_extension_ranges(&who.actor(), &ranges).await?,
    ))
}

/// What `GET /directory` shows of a connection: its system and address to everyone
/// who may read it, the account at that address to admins only (it is part of what
/// tells one directory from another when an admin changes the connection).
fn summary(conn: Option<&Connection>, who: &Principal) -> DirectorySummary {
    let Some(address) = conn.map(address_of) else {
        return DirectorySummary::default();
    };
    DirectorySummary {
        system: Some(address.system),
        base_url: address.base_url,
        account: if who.user.role == Role::Admin {
            address.account
        } else {
            String::new()
        },
    }
}

/// The connection without its credentials: they never leave the server.
async fn directory(
    State(store): State<Store>,
    who: Who,
) -> Result<Json<DirectorySummary>, ApiError> {
    Ok(Json(summary(
        store.directory_connection().await?.as_ref(),
        &who,
    )))
}

/// Saves the connection: every field the connector needs filled in, an address the
/// console may call. Saving one that reads another directory than the saved one is
/// remembered by the store, for the next refresh's report.
async fn set_directory(
    State(store): State<Store>,
    State(refresher): State<Refresher>,
    who: Who,
    Json(typed): Json<DirectoryConnection>,
) -> Result<Json<DirectorySummary>, ApiError> {
    let missing = typed.validate();
    if !missing.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidDirectory,
            "Fill in every field of the connection.",
        )
        .with_fields(missing));
    }
    let conn = to_stored(typed);
    if let Err(refused) = refresher.egress().check_saved(conn.base_url()).await {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidDirectory,
            "The console cannot call this directory address. Check the address.",
        )
        .with_fields(vec![alc_domain::FieldError {
            field: "base_url".into(),
            code: ErrorCode::AddressNotAllowed,
            message: refused.0,
        }]));
    }
    store
        .set_directory_connection(Some(&who.actor()), &conn)
        .await?;
    Ok(Json(summary(Some(&conn), &who)))
}

async fn refresh_status(State(state): State<AppState>) -> Result<Json<RefreshStatus>, ApiError> {
    Ok(Json(state.refresher.status(&state.store).await?))
}

async fn start_refresh(
    State(state): State<AppState>,
    who: Who,
) -> Result<(StatusCode, Json<RefreshStatus>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.refresher.start(&state.store, who.actor()).await?),
    ))
}

/// The audit log, newest first. Read-only: no route writes or deletes entries.
async fn audit(
    State(store): State<Store>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(store.audit(&q).await?))
}

async fn set_purchases(
    State(store): State<Store>,
    who: Who,
    Json(p): Json<alc_domain::Purchases>,
) -> Result<Json<LicenseSummary>, ApiError> {
    Ok(Json(store.set_purchases(&who.actor(), &p).await?))
}

async fn users(State(store): State<Store>) -> Result<Json<Vec<UserAccount>>, ApiError> {
    Ok(Json(store.list_users().await?))
}

async fn add_user(
    State(store): State<Store>,
    who: Who,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, Json<UserAccount>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store.add_user(&who.actor(), &new, true).await?),
    ))
}

async fn change_user(
    State(store): State<Store>,
    who: Who,
    Path(id): Path<UserId>,
    Json(change): Json<UserChange>,
) -> Result<Json<UserAccount>, ApiError> {
    Ok(Json(store.change_user(&who.actor(), id, &change).await?))
}

async fn reset_password(
    State(store): State<Store>,
    who: Who,
    Path(id): Path<UserId>,
    Json(req): Json<PasswordReset>,
) -> Result<Json<UserAccount>, ApiError> {
    Ok(Json(
        store
            .reset_password(&who.actor(), id, &req.password)
            .await?,
    ))
}

async fn end_sessions(
    State(store): State<Store>,
    who: Who,
    Path(id): Path<UserId>,
) -> Result<Json<SessionsEnded>, ApiError> {
    Ok(Json(SessionsEnded {
        ended: store.end_user_sessions(&who.actor(), id).await?,
    }))
}
