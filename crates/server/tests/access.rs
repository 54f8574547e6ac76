//! Who may do what: every route without credentials, as an Agent, as a Supervisor and
//! as an Admin; CSRF; session expiry; slowed-down guessing; and the audit log written
//! with its change or not at all.

mod common;

use std::time::Duration;

use alc_domain::access::{self, AuditKind, AuditPage, Role, SessionInfo};
use alc_domain::*;
use alc_server::Config;
use alc_server::clock::Clock;
use common::{World, bearer, client_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every route of the API with a request that would be valid for an admin.
fn routes(agent: AgentId, version: Version, user: i64) -> Vec<(Method, String, Option<Value>)> {
    let ranges = json!({
        "uc_users": {"first": 2000, "last": 2999},
        "uc_groups": {"first": 3000, "last": 3999},
        "webrtc": {"first": 4000, "last": 4999},
    });
    let profile = json!({
        "name": "Route Walker", "email": "walker@test.example", "extension": "4999",
        "preferred_name": "", "no_answer": {"kind": "none"}, "recording": "automatic",
        "review_own_recordings": false,
    });
    vec![
        (Method::GET, "/licenses".into(), None),
        (Method::GET, "/agents".into(), None),
        (
            Method::POST,
            "/agents".into(),
            Some(json!({"profile": profile, "licenses": []})),
        ),
        (
            Method::GET,
            "/agents/availability?email=x@test.example".into(),
            None,
        ),
        (Method::GET, "/agents/next-extension".into(), None),
        (Method::GET, "/agents/selection?lacks=voice".into(), None),
        (Method::GET, "/agents/export?holds=voice".into(), None),
        (
            Method::POST,
            "/agents/import?file=x.csv".into(),
            Some(json!("Email,Voice")),
        ),
        (Method::GET, "/agents/import-template".into(), None),
        (Method::GET, format!("/agents/{agent}"), None),
        (
            Method::PUT,
            format!("/agents/{agent}"),
            Some(json!({"version": version, "profile": profile, "licenses": []})),
        ),
        (
            Method::DELETE,
            format!("/agents/{agent}?version={version}"),
            None,
        ),
        (
            Method::POST,
            "/license-changes".into(),
            Some(
                json!({"changes": [{"agent_id": agent, "license": "voice", "assigned": true, "version": version}]}),
            ),
        ),
        (Method::GET, "/settings/extension-ranges".into(), None),
        (
            Method::PUT,
            "/settings/extension-ranges".into(),
            Some(ranges),
        ),
        (
            Method::PUT,
            "/settings/purchases".into(),
            Some(
                json!({"voice": 30, "web_chat": 10, "sms": 5, "transcription": 5,
                        "web_chat_channel": true}),
            ),
        ),
        (Method::GET, "/directory".into(), None),
        (
            Method::PUT,
            "/directory".into(),
            Some(
                json!({"system": "ring_central", "base_url": "http://127.0.0.1:9",
                        "client_id": "id", "client_secret": "the-client-secret",
                        "jwt": "the-jwt-credential"}),
            ),
        ),
        (Method::GET, "/directory/refresh".into(), None),
        (Method::POST, "/directory/refresh".into(), None),
        (Method::GET, "/audit".into(), None),
        (Method::GET, "/auth/session".into(), None),
        (
            Method::POST,
            "/me/password".into(),
            Some(json!({"current_password": "correct horse battery",
                        "new_password": "a brand new passphrase"})),
        ),
        (Method::GET, "/users".into(), None),
        (
            Method::POST,
            "/users".into(),
            Some(
                json!({"name": "Route Walker", "email": "walker@test.example",
                        "role": "supervisor", "password": "an initial passphrase"}),
            ),
        ),
        (
            Method::PATCH,
            format!("/users/{user}"),
            Some(json!({"role": "supervisor"})),
        ),
        (
            Method::POST,
            format!("/users/{user}/password"),
            Some(json!({"password": "another initial passphrase"})),
        ),
        (Method::DELETE, format!("/users/{user}/sessions"), None),
        (Method::POST, "/auth/sign-out".into(), None),
    ]
}

/// Whether a walked path is an instance of a declared one (`/users/7/password` of
/// `/users/{id}/password`).
fn instance_of(declared: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (d, p): (Vec<&str>, Vec<&str>) = (declared.split('/').collect(), path.split('/').collect());
    d.len() == p.len()
        && d.iter().zip(&p).all(|(d, p)| {
            d == p || (d.starts_with('{') && !p.is_empty() && p.parse::<i64>().is_ok())
        })
}

async fn call(
    http: &reqwest::Client,
    w: &World,
    method: &Method,
    path: &str,
    body: &Option<Value>,
) -> (StatusCode, String) {
    let mut req = http.request(method.clone(), w.url(path));
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn every_route_checks_who_is_calling_and_never_shows_a_secret() {
    let w = World::demo().await;
    let agent = w.all_agents().await[0].clone();
    let target = w
        .server
        .store
        .add_user(
            &alc_server::store::access::Actor {
                id: None,
                name: "test".into(),
            },
            &access::NewUser {
                name: "Target User".into(),
                email: "target@test.example".into(),
                role: Role::Supervisor,
                password: "a first passphrase".into(),
            },
            true,
        )
        .await
        .unwrap();
    let routes = routes(agent.id, agent.version, target.id);
    // The router's own table: every route and method is walked below, and nothing is
    // walked that the table does not have.
    let table = alc_server::routes::table();
    for r in &table {
        let covered = routes
            .iter()
            .any(|(m, p, _)| *m == r.method && instance_of(r.path, p));
        // Public routes have tests of their own (tests/sso.rs for the exchange,
        // tests/api.rs for CSP reports).
        let public = [
            "/auth/sign-in",
            "/auth/tokens",
            "/auth/setup",
            "/auth/exchange",
            "/csp-reports",
        ];
        assert!(
            covered || public.contains(&r.path),
            "{} {} is not walked by this test",
            r.method,
            r.path
        );
    }
    for (method, path, _) in &routes {
        assert!(
            table
                .iter()
                .any(|r| r.method == *method && instance_of(r.path, path)),
            "{method} {path} is walked but is not in the table"
        );
    }
    let secrets = [
        "$argon2",
        "password_hash",
        "demo-client-secret",
        "demo-jwt-assertion",
        "the-client-secret",
        "the-jwt-credential",
    ];
    let anonymous = reqwest::Client::new();
    let agent_client =
        client_with(&bearer(&w.server.store, Role::Agent, "agent@test.example").await);
    let supervisor =
        client_with(&bearer(&w.server.store, Role::Supervisor, "sup@test.example").await);
    for (method, path, body) in &routes {
        let (status, text) = call(&anonymous, &w, method, path, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without credentials: {text}"
        );
        assert!(text.contains("\"code\":\"unauthenticated\""), "{text}");

        let (status, text) = call(&agent_client, &w, method, path, body).await;
        let own_session = path.starts_with("/auth/") || path.starts_with("/me/");
        if own_session {
            assert!(
                status.is_success(),
                "{method} {path} as an agent: {status} {text}"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} as an agent: {text}"
            );
            assert!(text.contains("\"code\":\"no_access\""), "{text}");
        }
    }
    // The agent's sign-out ended that session: it is refused from now on.
    let (status, _) = call(&agent_client, &w, &Method::GET, "/licenses", &None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for (method, path, body) in &routes {
        let admin_only = path.starts_with("/users")
            || matches!(
                (method.as_str(), path.as_str()),
                ("PUT", "/settings/extension-ranges")
                    | ("PUT", "/settings/purchases")
                    | ("PUT", "/directory")
            );
        let (status, text) = call(&supervisor, &w, method, path, body).await;
        if admin_only {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} as a supervisor: {text}"
            );
            assert!(text.contains("\"code\":\"admin_only\""), "{text}");
        } else if path != "/auth/sign-out" {
            assert!(
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                "{method} {path} as a supervisor: {status} {text}"
            );
        }
        for s in secrets {
            assert!(!text.contains(s), "{method} {path} shows {s}: {text}");
        }
    }
    // The admin (World's own client) may do everything, and never sees a secret either.
    for (method, path, body) in &routes {
        if path == "/auth/sign-out" {
            continue;
        }
        let (status, text) = call(&w.http, &w, method, path, body).await;
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "{method} {path} as an admin: {status} {text}"
        );
        for s in secrets {
            assert!(!text.contains(s), "{method} {path} shows {s}: {text}");
        }
    }
    w.server.stop().await.unwrap();
}

/// Signs in with a cookie: the client keeps the cookie; the answer carries the CSRF token.
async fn cookie_session(w: &World, email: &str, password: &str) -> (reqwest::Client, SessionInfo) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(w.url("/auth/sign-in"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    (http, r.json().await.unwrap())
}

#[tokio::test]
async fn a_cookie_session_needs_its_csrf_token_for_every_change() {
    let w = World::demo().await;
    let (http, session) =
        cookie_session(&w, "supervisor@northwind.example", "supervisor-demo-2026").await;
    assert_eq!(session.user.role, Role::Supervisor);
    let csrf = session
        .csrf_token
        .expect("cookie sessions have a CSRF token");
    // Reading needs no token.
    let r = http.get(w.url("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let zoe = w
        .all_agents()
        .await
        .into_iter()
        .find(|a| a.name == "Zoe Lambert")
        .unwrap();
    let batch = json!({"changes": [{"agent_id": zoe.id, "license": "sms", "assigned": true, "version": zoe.version}]});
    for token in [None, Some("forged"), Some(&csrf[..csrf.len() - 1])] {
        let mut req = http.post(w.url("/license-changes")).json(&batch);
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{token:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "csrf_failed");
    }
    assert!(
        w.all_agents()
            .await
            .iter()
            .any(|a| a.id == zoe.id && a.licenses.is_empty())
    );
    let r = http
        .post(w.url("/license-changes"))
        .header("X-CSRF-Token", &csrf)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Sign-out needs it too, and then the cookie opens nothing.
    let r = http
        .post(w.url("/auth/sign-out"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = http.get(w.url("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    // The store's time moves only when the test moves it: no real waiting, and no
    // session made at x.99 s that is over by the time it is read back.
    let clock = Clock::manual();
    let server = alc_server::start(Config {
        sessions: alc_server::store::access::SessionPolicy {
            idle: Duration::from_secs(2),
            max: Duration::from_secs(60),
        },
        clock: clock.clone(),
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    server
        .store
        .upsert_console_user("a@test.example", "A", Role::Admin, "pass phrase")
        .await
        .unwrap();
    // Signed in through the server, so the server's session policy applies.
    let issued = common::token_via_api(&server.url(), "a@test.example", "pass phrase").await;
    let http = client_with(&issued.token);
    let url = format!("{}/api/v1/licenses", server.url());
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    // Used within its idle time, it stays open.
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    clock.advance(Duration::from_secs(3));
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "session_expired");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_down() {
    let w = World::start_with(true, Clock::manual()).await;
    let http = reqwest::Client::new();
    let attempt = |password: &'static str| {
        http.post(w.url("/auth/sign-in"))
            .json(&json!({"email": "Supervisor@Northwind.example", "password": password}))
            .send()
    };
    for _ in 0..3 {
        let r = attempt("wrong").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["fields"][0]["field"], "password");
    }
    // Now even the right password waits: guessing is slowed down, not just refused.
    let r = attempt("supervisor-demo-2026").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    w.clock.advance(Duration::from_secs(wait));
    assert_eq!(
        attempt("supervisor-demo-2026").await.unwrap().status(),
        StatusCode::OK
    );
    // An unknown email is refused the same way as a wrong password.
    let r = http
        .post(w.url("/auth/sign-in"))
        .json(&json!({"email": "nobody@northwind.example", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    w.server.stop().await.unwrap();
}

async fn audit(w: &World, query: &str) -> AuditPage {
    w.get(&format!("/audit{query}")).await
}

#[tokio::test]
async fn every_change_is_audited_in_its_own_transaction() {
    let w = World::demo().await;
    // Seeding is not a change by anyone; the only entry is the test admin's sign-in.
    let page = audit(&w, "").await;
    assert_eq!(
        page.entries.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [AuditKind::SignInSucceeded]
    );
    let agents = w.all_agents().await;
    let zoe = agents.iter().find(|a| a.name == "Zoe Lambert").unwrap();
    let amelia = agents.iter().find(|a| a.name == "Amelia Hart").unwrap();

    // Refused: over the SMS purchase (1 left, 2 asked). No entry.
    let (status, _) = w
        .post_changes(&[
            LicenseChange {
                agent_id: zoe.id,
                license: LicenseType::Sms,
                assigned: true,
                version: zoe.version,
            },
            LicenseChange {
                agent_id: amelia.id,
                license: LicenseType::Sms,
                assigned: true,
                version: amelia.version,
            },
        ])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit(&w, "").await.total, 1);

    // Applied: one entry per agent, with before and after.
    let (status, _) = w
        .post_changes(&[LicenseChange {
            agent_id: zoe.id,
            license: LicenseType::Sms,
            assigned: true,
            version: zoe.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = audit(&w, "").await;
    assert_eq!(page.total, 2);
    let e = &page.entries[0];
    assert_eq!(
        (e.kind, e.agent_id, e.subject.as_str()),
        (AuditKind::Licenses, Some(zoe.id), "Zoe Lambert")
    );
    assert_eq!(e.actor, "Admin <admin@test.example>");
    assert_eq!(e.before, Some(json!([])));
    assert_eq!(e.after, Some(json!(["sms"])));

    // A refused agent (taken extension) leaves nothing; a created one is recorded.
    let profile = |ext: &str| {
        json!({"name": "Audit Person", "email": "audit@test.example", "extension": ext,
        "preferred_name": "", "no_answer": {"kind": "none"}, "recording": "automatic",
        "review_own_recordings": false})
    };
    let (status, _) = w
        .send(
            Method::POST,
            "/agents",
            Some(json!({"profile": profile("4001"), "licenses": []})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit(&w, "").await.total, 2);
    let (status, created) = w
        .send(
            Method::POST,
            "/agents",
            Some(json!({"profile": profile("4090"), "licenses": ["voice"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["agent"]["id"].as_i64().unwrap();
    let version = created["agent"]["version"].as_i64().unwrap();
    let (status, _) = w
        .send(
            Method::DELETE,
            &format!("/agents/{id}?version={version}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w
        .send(
            Method::PUT,
            "/settings/extension-ranges",
            Some(json!({
            "uc_users": {"first": 2000, "last": 2999}, "uc_groups": {"first": 3000, "last": 3999},
            "webrtc": {"first": 4000, "last": 5999}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Newest first, filtered by kind, agent, person and time; paged.
    let page = audit(&w, "").await;
    let kinds: Vec<AuditKind> = page.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::Settings,
            AuditKind::AgentRemoved,
            AuditKind::AgentCreated,
            AuditKind::Licenses,
            AuditKind::SignInSucceeded
        ]
    );
    assert_eq!(
        page.entries[1].before.as_ref().unwrap()["profile"]["name"],
        "Audit Person"
    );
    assert_eq!(
        page.entries[0].after.as_ref().unwrap()["webrtc"]["last"],
        5999
    );
    let by_agent = w.get::<AuditPage>(&format!("/audit?agent_id={id}")).await;
    assert_eq!(by_agent.total, 2);
    assert_eq!(audit(&w, "?kind=settings").await.total, 1);
    assert_eq!(audit(&w, "?actor=ADMIN@test").await.total, 5);
    assert_eq!(audit(&w, "?actor=someone-else").await.total, 0);
    assert_eq!(audit(&w, "?from=2000-01-01&to=2999-12-31").await.total, 5);
    assert_eq!(audit(&w, "?to=2000-01-01").await.total, 0);
    assert_eq!(audit(&w, "?page=2").await.entries.len(), 0);

    // The log cannot be changed through the API.
    for method in [Method::PUT, Method::DELETE, Method::POST] {
        let (status, _) = w.send(method.clone(), "/audit", Some(json!({}))).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    assert_eq!(audit(&w, "").await.total, 5);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn the_session_cookie_is_secure_and_host_only_behind_tls() {
    // Behind a proxy the operator trusts (here: loopback, where the test calls from).
    let dir = tempfile::tempdir().unwrap();
    let trusting = alc_server::start(Config {
        demo: true,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    let creds =
        json!({"email": "supervisor@northwind.example", "password": "supervisor-demo-2026"});
    let proxied = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/sign-in", trusting.url()))
        .header("X-Forwarded-Proto", "https")
        .json(&creds)
        .send()
        .await
        .unwrap();
    let cookie = proxied.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert!(cookie.starts_with("__Host-alc_session="), "{cookie}");
    assert!(
        cookie.contains("; Path=/;") && !cookie.contains("Domain"),
        "{cookie}"
    );
    // The prefixed cookie is the session: a change with it and its CSRF token works.
    let csrf = proxied.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let pair = cookie.split(';').next().unwrap();
    let me = reqwest::Client::new()
        .get(format!("{}/api/v1/auth/session", trusting.url()))
        .header(reqwest::header::COOKIE, pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let out = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/sign-out", trusting.url()))
        .header(reqwest::header::COOKIE, pair)
        .header("X-CSRF-Token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared: Vec<&str> = out
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("__Host-alc_session=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    trusting.stop().await.unwrap();
    // Anyone else's X-Forwarded-Proto is only a header: no Secure from it.
    let w = World::demo().await;
    let r = reqwest::Client::new()
        .post(w.url("/auth/sign-in"))
        .header("X-Forwarded-Proto", "https")
        .json(&creds)
        .send()
        .await
        .unwrap();
    let cookie = r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    let plain = reqwest::Client::new()
        .post(w.url("/auth/sign-in"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    let cookie = plain.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.starts_with("alc_session="), "{cookie}");
    w.server.stop().await.unwrap();
}
