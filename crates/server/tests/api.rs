//! The API over real HTTP, against a real SQLite file in a temporary folder.

use std::sync::Arc;

use LicenseType::*;
mod common;

use alc_domain::*;
use alc_server::Config;
use common::World;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assigned(s: &LicenseSummary, t: LicenseType) -> i64 {
    s.pool().assigned[t]
}

fn give(a: &Agent, t: LicenseType, on: bool) -> LicenseChange {
    LicenseChange {
        agent_id: a.id,
        license: t,
        assigned: on,
        version: a.version,
    }
}

#[tokio::test]
async fn summary_counts_what_the_demo_seeded() {
    let w = World::demo().await;
    let s = w.summary().await;
    let seeded = alc_server::demo::agents();
    for t in LicenseType::ALL {
        let expected = seeded.iter().filter(|a| a.licenses.has(t)).count() as i64;
        let c = s.licenses.iter().find(|c| c.license == t).unwrap();
        assert_eq!(c.assigned, expected, "{t}");
        assert_eq!(c.purchased, alc_server::demo::entitlements().purchased[t]);
        assert_eq!(c.available, c.purchased - c.assigned);
    }
    assert!(s.web_chat_channel);
}

#[tokio::test]
async fn agents_are_searched_and_paged_on_the_server() {
    let w = World::demo().await;
    let first: AgentPage = w.get("/agents?per_page=15").await;
    assert_eq!(first.total, 40);
    assert_eq!(first.agents.len(), 15);
    let names: Vec<_> = first.agents.iter().map(|a| a.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");

    let third: AgentPage = w.get("/agents?per_page=15&page=3").await;
    assert_eq!(third.agents.len(), 10);
    assert!(third.agents.iter().all(|a| !first.agents.contains(a)));

    // Name, extension and email, case-insensitively.
    let by_name: AgentPage = w.get("/agents?q=ROSA").await;
    assert_eq!(by_name.total, 1);
    assert_eq!(by_name.agents[0].name, "Rosa Jiménez");
    let by_ext: AgentPage = w.get("/agents?q=4003").await;
    assert_eq!(
        by_ext
            .agents
            .iter()
            .map(|a| a.extension.as_str())
            .collect::<Vec<_>>(),
        ["4003"]
    );
    let by_mail: AgentPage = w.get("/agents?q=liam.o").await;
    assert_eq!(by_mail.total, 1);
    // LIKE wildcards are searched for literally.
    let wild: AgentPage = w.get("/agents?q=%25").await;
    assert_eq!(wild.total, 0);

    // Never everything at once: the page size is capped.
    let capped: AgentPage = w.get("/agents?per_page=100000").await;
    assert_eq!(capped.per_page, AgentQuery::MAX_PER_PAGE);
    let default: AgentPage = w.get("/agents").await;
    assert_eq!(default.per_page, AgentQuery::DEFAULT_PER_PAGE);
}

#[tokio::test]
async fn a_valid_batch_is_applied_and_versions_move() {
    let w = World::with([2, 2, 2, 2], true, 3).await;
    let a = w.all_agents().await;
    let (status, body) = w
        .post_changes(&[
            give(&a[0], Voice, true),
            give(&a[0], Transcription, true),
            give(&a[1], WebChat, true),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result: LicenseChangeResult = serde_json::from_value(body).unwrap();
    assert_eq!(result.agents.len(), 2);
    assert_eq!(result.agents[0].version, a[0].version.next());
    assert_eq!(assigned(&result.summary, Voice), 1);
    let now = w.all_agents().await;
    assert_eq!(
        now[0].licenses,
        [Voice, Transcription].into_iter().collect()
    );
    assert_eq!(
        now[2].version, a[2].version,
        "untouched agents keep their version"
    );
    assert_eq!(w.summary().await, result.summary);
}

#[tokio::test]
async fn over_assignment_is_refused_and_changes_nothing() {
    let w = World::with([5, 5, 1, 5], true, 3).await;
    let a = w.all_agents().await;
    let before = w.summary().await;
    let (status, body) = w
        .post_changes(&[give(&a[0], Sms, true), give(&a[1], Sms, true)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "exceeds_purchased");
    assert!(body["message"].as_str().unwrap().contains("SMS"), "{body}");
    assert_eq!(body["fields"][0]["field"], "licenses.sms");
    assert_eq!(w.summary().await, before);
    assert_eq!(w.all_agents().await, a);
}

#[tokio::test]
async fn one_bad_change_spoils_the_whole_batch() {
    let w = World::with([5, 5, 5, 5], false, 3).await;
    let a = w.all_agents().await;
    let before = w.summary().await;
    for bad in [give(&a[2], Transcription, true), give(&a[2], WebChat, true)] {
        let (status, body) = w
            .post_changes(&[give(&a[0], Voice, true), give(&a[1], Sms, true), bad])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], "changes[2]");
        assert_eq!(w.summary().await, before);
        assert_eq!(w.all_agents().await, a);
    }
}

#[tokio::test]
async fn stale_or_vanished_agents_get_409() {
    let w = World::with([5, 5, 5, 5], true, 2).await;
    let a = w.all_agents().await;
    let (status, _) = w.post_changes(&[give(&a[0], Voice, true)]).await;
    assert_eq!(status, StatusCode::OK);
    // Another supervisor's page still holds version 1 of agent 0.
    let (status, body) = w
        .post_changes(&[give(&a[1], Sms, true), give(&a[0], Sms, true)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "conflict");
    assert_eq!(body["fields"][0]["field"], "changes[1]");
    assert_eq!(body["fields"][0]["code"], "stale_agent");
    assert_eq!(
        assigned(&w.summary().await, Sms),
        0,
        "nothing of the batch applied"
    );

    let ghost = LicenseChange {
        agent_id: alc_domain::AgentId(999_999),
        license: Voice,
        assigned: true,
        version: alc_domain::Version(1),
    };
    let (status, body) = w.post_changes(&[ghost]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["fields"][0]["code"], "unknown_agent");
}

/// Many supervisors race for the last seats; whatever the interleaving, the pool never
/// goes over what was purchased, and every refusal is a clean 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_clients_never_exceed_the_purchase() {
    const CLIENTS: usize = 40;
    const SEATS: i64 = 7;
    let w = Arc::new(World::with([SEATS, 0, 0, 0], true, CLIENTS * 2).await);
    let agents = w.all_agents().await;
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let w = w.clone();
        // Each client wants two seats at once, for a pair of agents of its own.
        let changes = vec![
            give(&agents[2 * i], Voice, true),
            give(&agents[2 * i + 1], Voice, true),
        ];
        tasks.push(tokio::spawn(async move { w.post_changes(&changes).await }));
    }
    let mut won = 0;
    for t in futures::future::join_all(tasks).await {
        let (status, body) = t.unwrap();
        match status {
            StatusCode::OK => won += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["code"], "exceeds_purchased"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won, (SEATS / 2) as usize, "every pair that fitted got in");
    let s = w.summary().await;
    assert_eq!(assigned(&s, Voice), 2 * won as i64);
    assert!(assigned(&s, Voice) <= SEATS);
    // The last single seat is still there for someone.
    let single = give(&agents[0], Voice, true);
    let now = w.all_agents().await;
    let free = now.iter().find(|a| a.licenses.is_empty()).unwrap();
    let (status, _) = w
        .post_changes(&[LicenseChange {
            agent_id: free.id,
            version: free.version,
            ..single
        }])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assigned(&w.summary().await, Voice), SEATS);
}

async fn raw(
    w: &World,
    method: reqwest::Method,
    path: &str,
    ctype: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = w.http.request(method, w.url(path)).body(body);
    if let Some(ct) = ctype {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.expect("every error has a JSON body");
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{body}"
    );
    (status, body)
}

#[tokio::test]
async fn bad_requests_get_clean_json_errors() {
    let w = World::with([1, 1, 1, 1], true, 1).await;
    let post = reqwest::Method::POST;
    let json = Some("application/json");

    let (s, b) = raw(
        &w,
        post.clone(),
        "/license-changes",
        json,
        b"{\"changes\": [".to_vec(),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );

    let (s, b) = raw(
        &w,
        post.clone(),
        "/license-changes",
        json,
        br#"{"changes":[{"agent_id":1,"license":"fax","assigned":true,"version":1}]}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );

    let (s, b) = raw(
        &w,
        post.clone(),
        "/license-changes",
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );

    let (s, b) = raw(
        &w,
        post.clone(),
        "/license-changes",
        json,
        br#"{"changes":[]}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_batch"))
    );

    // 20 MB of JSON: refused at the limit, without reading it all or hanging.
    let mut huge = b"{\"changes\":[".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 20 * 1024 * 1024));
    let (s, b) = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        raw(&w, post.clone(), "/license-changes", json, huge),
    )
    .await
    .expect("no hang");
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );

    let (s, b) = raw(
        &w,
        reqwest::Method::GET,
        "/agents?page=minus-one",
        None,
        vec![],
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );

    let (s, b) = raw(&w, reqwest::Method::GET, "/no-such-thing", None, vec![]).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    let (s, b) = raw(&w, reqwest::Method::DELETE, "/licenses", None, vec![]).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );

    // And the server is still fine afterwards.
    assert_eq!(w.summary().await.licenses.len(), 4);
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        demo: true,
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    };
    let first = alc_server::start(config.clone()).await.unwrap();
    // The way a portal's back end gets a token for the embedded console.
    let issued = common::token_via_api(
        &first.url(),
        "supervisor@northwind.example",
        "supervisor-demo-2026",
    )
    .await;
    assert_eq!(issued.user.role, alc_domain::access::Role::Supervisor);
    // The session is in the database: it outlives the restart below.
    let http = common::client_with(&issued.token);
    let page: AgentPage = http
        .get(format!("{}/api/v1/agents?q=zoe", first.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zoe = &page.agents[0];
    let r = http
        .post(format!("{}/api/v1/license-changes", first.url()))
        .json(&json!({"changes": [give(zoe, Sms, true)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    first.stop().await.unwrap();

    let second = alc_server::start(config).await.unwrap();
    let page: AgentPage = http
        .get(format!("{}/api/v1/agents?q=zoe", second.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page.agents[0].licenses.has(Sms));
    assert_eq!(page.agents.len(), 1, "the demo is not seeded twice");
    let all: AgentPage = http
        .get(format!("{}/api/v1/agents", second.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.total, 40);
    second.stop().await.unwrap();
}

#[tokio::test]
async fn admins_change_purchases_but_never_below_what_is_assigned() {
    let w = World::demo().await;
    // The demo: Voice 20 of 25 assigned, Web Chat 7 of 10, channel bought.
    let body = |voice: i64, channel: bool| {
        json!({"voice": voice, "web_chat": 10, "sms": 5, "transcription": 5,
               "web_chat_channel": channel})
    };
    let (status, err) = w
        .send(
            reqwest::Method::PUT,
            "/settings/purchases",
            Some(body(19, true)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["fields"][0]["field"], "voice");
    assert!(
        err["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unassign 1 first")
    );
    let (status, err) = w
        .send(
            reqwest::Method::PUT,
            "/settings/purchases",
            Some(body(25, false)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["fields"][0]["field"], "web_chat_channel");
    assert_eq!(
        w.summary().await.licenses[0].purchased,
        25,
        "nothing changed"
    );

    let (status, summary) = w
        .send(
            reqwest::Method::PUT,
            "/settings/purchases",
            Some(body(40, true)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let s = w.summary().await;
    assert_eq!((s.licenses[0].purchased, s.licenses[0].available), (40, 20));
    let audit: alc_domain::access::AuditPage = w.get("/audit?kind=settings").await;
    assert_eq!(audit.total, 1);
    assert_eq!(audit.entries[0].before.as_ref().unwrap()["voice"], 25);
    assert_eq!(audit.entries[0].after.as_ref().unwrap()["voice"], 40);
    w.server.stop().await.unwrap();
}

/// Browsers report what the page's CSP refused (`report-uri`): in either format, kept
/// for the end-to-end suite and logged; anything else, or too much, is refused.
#[tokio::test]
async fn csp_reports_are_taken_from_anyone_within_bounds() {
    // A clock that stands still: the log's budget is counted per minute.
    let w = World::start_with(false, alc_server::clock::Clock::manual()).await;
    let stranger = reqwest::Client::new();
    let post = |body: String| {
        stranger
            .post(w.url("/csp-reports"))
            .header("content-type", "application/csp-report")
            .body(body)
            .send()
    };
    let report = serde_json::json!({"csp-report": {
        "document-uri": "http://127.0.0.1/agents",
        "effective-directive": "img-src",
        "blocked-uri": "http://192.0.2.1/x.png",
    }});
    assert_eq!(
        post(report.to_string()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let reporting_api = serde_json::json!([{"type": "csp-violation", "body": {
        "documentURL": "http://127.0.0.1/", "effectiveDirective": "script-src-elem",
        "blockedURL": "inline\nforged log line",
    }}]);
    assert_eq!(
        post(reporting_api.to_string()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let got = w.server.csp_reports.take();
    assert_eq!(
        got,
        [
            "img-src blocked http://192.0.2.1/x.png on http://127.0.0.1/agents",
            "script-src-elem blocked inline forged log line on http://127.0.0.1/",
        ]
    );
    assert!(w.server.csp_reports.take().is_empty(), "taken once");

    // Not a report; not JSON; too big: refused with our error body, nothing kept.
    for (body, status) in [
        ("{\"hello\": 1}".to_string(), StatusCode::BAD_REQUEST),
        ("not json".to_string(), StatusCode::BAD_REQUEST),
        ("x".repeat(20_000), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), status);
        assert!(r.json::<serde_json::Value>().await.unwrap()["code"].is_string());
    }
    assert!(w.server.csp_reports.take().is_empty());

    // A flood: every report kept up to the ring's size, the log spared.
    for _ in 0..100 {
        post(report.to_string()).await.unwrap();
    }
    assert_eq!(
        w.server.csp_reports.take().len(),
        alc_server::csp_reports::KEEP
    );
    assert!(
        w.server.csp_reports.dropped() >= 100 - u64::from(alc_server::csp_reports::LOG_PER_MINUTE)
    );
}
