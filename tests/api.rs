//! The API client's query strings in a real browser: what `Api` sends for a search, an
//! availability check and the audit log's filters reads back, the way the server reads
//! it (`serde_urlencoded`, axum's `Query`), as the same query struct — whatever the
//! text holds. The API is a stand-in behind `window.fetch` that records each URL.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::api::{Abort, Api};
use alc_domain::access::{AuditKind, AuditQuery};
use alc_domain::api::AvailabilityQuery;
use alc_domain::{AgentId, AgentKind, AgentQuery, AgentSource, LicenseKeys, SortKey, SortOrder};
use serde::de::DeserializeOwned;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BASE: &str = "/fake/query-api";

/// Replaces `window.fetch` for `BASE`: each URL is recorded and answered with 404.
fn fake_api() {
    js_sys::eval(&format!(
        r#"
        window.__urls = [];
        window.__realFetch ??= window.fetch;
        window.fetch = async (request) => {{
            const url = new URL(request.url);
            if (!url.pathname.startsWith("{BASE}/")) return window.__realFetch(request);
            window.__urls.push(url.pathname.slice("{BASE}".length) + url.search);
            return new Response('{{"code":"not_found","message":"Not here."}}',
                {{status: 404, headers: {{"content-type": "application/json"}}}});
        }};
        "#
    ))
    .unwrap();
}

/// The last URL the client asked for: its path, and its query as the server reads it.
fn last_call<Q: DeserializeOwned>() -> (String, String, Q) {
    let url = js_sys::eval("window.__urls[window.__urls.length - 1]")
        .unwrap()
        .as_string()
        .expect("a call was made");
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let read = serde_urlencoded::from_str(query)
        .unwrap_or_else(|e| panic!("the server could not read {query:?}: {e}"));
    (path.to_string(), query.to_string(), read)
}

/// Text a hand-built query string gets wrong: `&` and `=` split it, `+` reads as a
/// space, `%` starts an escape, `#` ends the URL, and non-ASCII is several bytes.
const AWKWARD: &str = "Zoë & Co = 1+1 100% #2 ?";

#[wasm_bindgen_test]
async fn a_search_reaches_the_server_as_typed() {
    fake_api();
    let api = Api::new(BASE);
    let filters = AgentQuery {
        holds: LicenseKeys::parse("voice,sms").unwrap(),
        lacks: LicenseKeys::parse("transcription").unwrap(),
        source: Some(AgentSource::Webrtc),
        unlicensed: false,
        held: true,
        no_queue: true,
        sort: Some(SortKey::Email),
        order: Some(SortOrder::Desc),
        ..AgentQuery::default()
    };
    let query = AgentQuery {
        q: Some(format!("  {AWKWARD}  ")),
        page: Some(3),
        per_page: None,
        kind: Some(AgentKind::Webrtc),
        ..filters.clone()
    };
    let _ = api.agents(&query, &Abort::new()).await;
    let (path, raw, read) = last_call::<AgentQuery>();
    assert_eq!(path, "/agents");
    assert!(!raw.contains(' ') && !raw.contains('#'), "{raw}");
    // Trimmed, and the page size made explicit.
    assert_eq!(
        read,
        AgentQuery {
            q: Some(AWKWARD.to_string()),
            page: Some(3),
            per_page: Some(AgentQuery::DEFAULT_PER_PAGE),
            kind: Some(AgentKind::Webrtc),
            // Filters and order as they were.
            ..filters
        }
    );

    // Nothing to search for: no `q` at all.
    let _ = api
        .agents(
            &AgentQuery {
                q: Some("   ".into()),
                ..AgentQuery::default()
            },
            &Abort::new(),
        )
        .await;
    let (_, raw, read) = last_call::<AgentQuery>();
    assert_eq!(read.q, None, "{raw}");
    assert_eq!(read.kind, None, "{raw}");
}

#[wasm_bindgen_test]
async fn an_availability_check_keeps_a_plus_address() {
    fake_api();
    let api = Api::new(BASE);
    let query = AvailabilityQuery {
        email: Some("rosa.jimenez+webrtc@northwind.example".into()),
        extension: Some("4001".into()),
        agent_id: Some(AgentId(12)),
    };
    let _ = api.availability(&query, &Abort::new()).await;
    let (path, raw, read) = last_call::<AvailabilityQuery>();
    assert_eq!(path, "/agents/availability");
    assert_eq!(read, query, "{raw}");

    let only_email = AvailabilityQuery {
        email: Some("a&b=c@example.com".into()),
        ..AvailabilityQuery::default()
    };
    let _ = api.availability(&only_email, &Abort::new()).await;
    let (_, raw, read) = last_call::<AvailabilityQuery>();
    assert_eq!(read, only_email, "{raw}");
}

#[wasm_bindgen_test]
async fn audit_filters_reach_the_server_as_typed() {
    fake_api();
    let api = Api::new(BASE);
    let query = AuditQuery {
        agent_id: Some(AgentId(7)),
        actor: Some(format!(" {AWKWARD} ")),
        kind: Some(AuditKind::AgentUpdated),
        from: Some("2026-11-23T08:00:00+01:00".into()),
        to: Some("   ".into()),
        page: None,
    };
    let _ = api.audit(&query, &Abort::new()).await;
    let (path, raw, read) = last_call::<AuditQuery>();
    assert_eq!(path, "/audit");
    assert!(raw.contains("kind=agent_updated"), "{raw}");
    // Filters trimmed, blank ones left out, the page always sent.
    assert_eq!(
        read,
        AuditQuery {
            agent_id: Some(AgentId(7)),
            actor: Some(AWKWARD.to_string()),
            kind: Some(AuditKind::AgentUpdated),
            from: Some("2026-11-23T08:00:00+01:00".into()),
            to: None,
            page: Some(1),
        }
    );
}
