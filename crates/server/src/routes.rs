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

use alc_domain::{AgentPage, AgentQuery, LicenseChangeBatch, LicenseChangeResult, LicenseSummary};

use crate::error::{ApiError, Json, Query};
use crate::store::{Store, StoreError};

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Batch(b) => b.into(),
            other => ApiError::internal(other),
        }
    }
}

pub fn api(store: Store) -> Router {
    Router::new()
        .route("/licenses", get(licenses))
        .route("/agents", get(agents))
        .route("/license-changes", post(license_changes))
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
