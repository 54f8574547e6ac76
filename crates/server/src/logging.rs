//! Logs an operator can ship: text for a person at a terminal, or JSON lines
//! (`ALC_LOG_FORMAT=json`) for a collector. One line per request, with its request id
//! (`X-Request-Id`: the client's or proxy's if it sent one, else a new UUID, echoed in
//! the answer), method, route, status and latency.
//!
//! What is never logged: request and response bodies (passwords, directory
//! credentials), headers (cookies, bearer tokens, CSRF tokens) and query strings. The
//! route is the matched pattern (`/api/v1/agents/{id}`), not the path the client sent;
//! `tests/operator.rs` signs in, calls with a token and stores a directory secret, and
//! looks for each in the log.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::response::Response;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber: `filter` as in `RUST_LOG` (`info,sqlx=warn`).
pub fn init(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        // The site's files: their paths are ours, never a secret; the query is left out.
        .unwrap_or_else(|| req.uri().path().chars().take(200).collect());
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(100)
        .collect::<String>();
    tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route)
}

fn answered(res: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = (latency.as_secs_f64() * 1e4).round() / 10.0,
        "answered"
    );
}

/// Request ids and one log line per request around `app`.
pub fn with_request_logs(app: axum::Router) -> axum::Router {
    // Each `layer` wraps what is there: the id is set first, then the span sees it,
    // and the answer carries it back.
    app.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span as fn(&Request) -> Span)
                .on_request(())
                .on_response(answered as fn(&Response, Duration, &Span))
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
