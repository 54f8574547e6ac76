//! What browsers report of the Content-Security-Policy they enforced
//! (`report-uri /api/v1/csp-reports`): a page the policy broke shows in the server's
//! log, and the end-to-end suite fails on it in every browser (Firefox and WebKit
//! have no log a WebDriver client can read).
//!
//! Anyone can post here, so a report is bad input until proven otherwise: at most
//! [`MAX_REPORT_BYTES`], the fields logged are cut short, at most [`LOG_PER_MINUTE`]
//! are logged a minute (the rest are counted), nothing is stored in the database, and
//! the memory kept for tests is a ring of [`KEEP`] lines.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use alc_domain::ErrorCode;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;

pub const MAX_REPORT_BYTES: usize = 16 * 1024;
pub const LOG_PER_MINUTE: u32 = 20;
pub const KEEP: usize = 64;
/// The longest a logged field may be.
const FIELD_CHARS: usize = 200;

#[derive(Clone, Default)]
pub struct CspReports(Arc<Mutex<Inner>>);

#[derive(Default)]
struct Inner {
    /// Reports not yet taken by [`CspReports::take`], newest last.
    kept: VecDeque<String>,
    /// The minute (Unix seconds / 60) the log budget is counted in, and its use.
    minute: i64,
    logged: u32,
    /// Reports not logged because the budget was spent.
    dropped: u64,
}

impl CspReports {
    /// The reports received since the last call (at most [`KEEP`]), one line each:
    /// the directive, what it blocked, and the page.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut i| i.kept.drain(..).collect())
            .unwrap_or_default()
    }

    /// How many reports were not logged because too many came at once.
    pub fn dropped(&self) -> u64 {
        self.0.lock().map(|i| i.dropped).unwrap_or(0)
    }

    fn record(&self, line: String, now: i64) {
        let Ok(mut i) = self.0.lock() else { return };
        if i.kept.len() == KEEP {
            i.kept.pop_front();
        }
        i.kept.push_back(line.clone());
        let minute = now / 60;
        if i.minute != minute {
            i.minute = minute;
            i.logged = 0;
        }
        if i.logged < LOG_PER_MINUTE {
            i.logged += 1;
            tracing::warn!(report = %line, "the browser refused something under the page's Content-Security-Policy");
        } else {
            i.dropped += 1;
        }
    }
}

fn field(report: &Value, names: &[&str]) -> String {
    let value = names
        .iter()
        .find_map(|n| report.get(*n).and_then(Value::as_str))
        .unwrap_or("?");
    let cut: String = value.chars().take(FIELD_CHARS).collect();
    // One line in the log, whatever the browser sent.
    cut.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One report as a log line, from either format: `report-uri`'s
/// `{"csp-report": {...}}` or the Reporting API's `[{"type": "csp-violation", "body": {...}}]`.
fn lines(body: &Value) -> Vec<String> {
    let reports: Vec<&Value> = match body {
        Value::Object(o) if o.contains_key("csp-report") => vec![&o["csp-report"]],
        Value::Array(list) => list.iter().filter_map(|r| r.get("body")).take(8).collect(),
        _ => Vec::new(),
    };
    reports
        .into_iter()
        .filter(|r| r.is_object())
        .map(|r| {
            format!(
                "{} blocked {} on {}",
                field(
                    r,
                    &[
                        "effective-directive",
                        "effectiveDirective",
                        "violated-directive"
                    ]
                ),
                field(r, &["blocked-uri", "blockedURL"]),
                field(r, &["document-uri", "documentURL"]),
            )
        })
        .collect()
}

/// `POST /csp-reports`: answered 204 whatever it holds, once it is a report.
pub async fn receive(
    State(state): State<crate::state::AppState>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if body.len() > MAX_REPORT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            "A CSP report is a few hundred bytes.",
        ));
    }
    let parsed: Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            "A CSP report is JSON.",
        )
    })?;
    let lines = lines(&parsed);
    if lines.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidBody,
            "Not a CSP violation report.",
        ));
    }
    let now = state.store.now_secs();
    for line in lines {
        state.csp_reports.record(line, now);
    }
    Ok(StatusCode::NO_CONTENT)
}
