//! The route table. Handlers are thin: parse, call the store, answer.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use alc_domain::api::{
    AgentDetail, AgentSaved, Availability, AvailabilityQuery, CreateAgent, ExtensionSuggestion,
    UpdateAgent,
};
use alc_domain::{
    AgentId, AgentPage, AgentQuery, ExtensionRanges, LicenseChangeBatch, LicenseChangeResult,
    LicenseSummary, Version,
};
use axum::http::StatusCode;

use crate::error::{ApiError, Json, Path, Query};
use crate::store::{Store, StoreError};

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(b) => b.into(),
            StoreError::NotFound => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "agent_not_found",
                "This agent does not exist (it may have been removed). Go back to the list.",
            ),
            other => ApiError::internal(other),
        }
    }
}

pub fn api(store: Store) -> Router {
    Router::new()
        .route("/licenses", get(licenses))
        .route("/agents", get(agents).post(create_agent))
        .route("/agents/availability", get(availability))
        .route("/agents/next-extension", get(next_extension))
        .route(
            "/agents/{id}",
            get(agent).put(update_agent).delete(remove_agent),
        )
        .route("/license-changes", post(license_changes))
        .route("/settings/extension-ranges", get(ranges).put(set_ranges))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        // API answers are live data: never from a cache.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(store)
}

/// The API under `/api/v1`, and the site (if given) everywhere else. Unknown paths
/// outside the API get `index.html`, so that a reload of `/agents?q=ann` works.
pub fn app(store: Store, site: Option<PathBuf>) -> Router {
    let mut app = Router::new().nest("/api/v1", api(store));
    if let Some(site) = site {
        let index = site.join("index.html");
        app = app.fallback_service(ServeDir::new(site).fallback(ServeFile::new(index)));
    } else {
        app = app.fallback(|| async { ApiError::not_found() });
    }
    app.layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a request handler panicked").into_response()
        }))
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

async fn license_changes(
    State(store): State<Store>,
    Json(batch): Json<LicenseChangeBatch>,
) -> Result<Json<LicenseChangeResult>, ApiError> {
    Ok(Json(store.apply_license_changes(&batch.changes).await?))
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
    Json(req): Json<CreateAgent>,
) -> Result<(StatusCode, Json<AgentSaved>), ApiError> {
    Ok((StatusCode::CREATED, Json(store.create_agent(&req).await?)))
}

async fn update_agent(
    State(store): State<Store>,
    Path(id): Path<AgentId>,
    Json(req): Json<UpdateAgent>,
) -> Result<Json<AgentSaved>, ApiError> {
    Ok(Json(store.update_agent(id, &req).await?))
}

#[derive(serde::Deserialize)]
struct RemoveQuery {
    /// The version the remover saw: removing an agent someone just changed is refused.
    version: Version,
}

async fn remove_agent(
    State(store): State<Store>,
    Path(id): Path<AgentId>,
    Query(q): Query<RemoveQuery>,
) -> Result<Json<AgentSaved>, ApiError> {
    Ok(Json(store.remove_agent(id, q.version).await?))
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
    Json(ranges): Json<ExtensionRanges>,
) -> Result<Json<ExtensionRanges>, ApiError> {
    Ok(Json(store.set_extension_ranges(&ranges).await?))
}
