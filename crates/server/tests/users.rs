//! Console users through the API: admins add, change, disable and enable them, reset
//! passwords and end sessions; everyone changes their own password; the last admin
//! stays; a disabled user's sessions stop at once; each step is audited.

mod common;

use alc_domain::access::{AuditKind, AuditPage, Role, SessionInfo, SetupStatus, UserAccount};
use alc_server::Config;
use common::{World, bearer, client_with, token_via_api};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn send(
    http: &reqwest::Client,
    w: &World,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http.request(method, w.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_string(),
                        f["code"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Adds a user through the API as the World's admin.
async fn add(w: &World, name: &str, email: &str, role: &str, password: &str) -> UserAccount {
    let (status, body) = w
        .send(
            Method::POST,
            "/users",
            Some(json!({"name": name, "email": email, "role": role, "password": password})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A cookie session: the client (keeping the cookie) and the session's CSRF token.
async fn cookie_sign_in(w: &World, email: &str, password: &str) -> (reqwest::Client, SessionInfo) {
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
    assert_eq!(r.status(), StatusCode::OK, "sign-in of {email}");
    (http, r.json().await.unwrap())
}

async fn csrf_send(
    http: &reqwest::Client,
    w: &World,
    csrf: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(w.url(path))
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_new_installation_says_nobody_can_sign_in_yet() {
    let dir = tempfile::tempdir().unwrap();
    let server = alc_server::start(Config::ephemeral(
        common::database(dir.path().join("console.db")).await,
    ))
    .await
    .unwrap();
    let url = format!("{}/api/v1/auth/setup", server.url());
    let status: SetupStatus = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert!(!status.has_users);
    bearer(&server.store, Role::Admin, "first@test.example").await;
    let status: SetupStatus = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert!(status.has_users);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn supervisors_are_refused_every_users_route() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let sup = client_with(&bearer(&w.server.store, Role::Supervisor, "sup@test.example").await);
    let id = w.get::<Vec<UserAccount>>("/users").await[0].id;
    let calls = [
        (Method::GET, "/users".to_string(), None),
        (
            Method::POST,
            "/users".to_string(),
            Some(
                json!({"name": "X", "email": "x@test.example", "role": "admin", "password": "a long enough passphrase"}),
            ),
        ),
        (
            Method::PATCH,
            format!("/users/{id}"),
            Some(json!({"role": "agent"})),
        ),
        (
            Method::POST,
            format!("/users/{id}/password"),
            Some(json!({"password": "a long enough passphrase"})),
        ),
        (Method::DELETE, format!("/users/{id}/sessions"), None),
    ];
    for (method, path, body) in calls {
        let (status, body) = send(&sup, &w, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(body["code"], "admin_only", "{method} {path}");
        assert!(body["message"].as_str().unwrap().contains("console users"));
    }
    assert_eq!(w.get::<Vec<UserAccount>>("/users").await.len(), 2);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_names_each_field_and_adds_nobody() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let cases = [
        (
            json!({"name": "", "email": "not-an-email", "role": "supervisor", "password": "a long enough passphrase"}),
            vec![("name", "required"), ("email", "invalid_email")],
        ),
        (
            json!({"name": "Pat", "email": "pat@test.example", "role": "supervisor", "password": "short"}),
            vec![("password", "password_too_short")],
        ),
        (
            json!({"name": "Pat", "email": "pat@test.example", "role": "supervisor", "password": "Password123456"}),
            vec![("password", "password_common")],
        ),
        (
            json!({"name": "Pat", "email": "pat@test.example", "role": "supervisor", "password": "pat@test.example"}),
            vec![("password", "password_is_email")],
        ),
        (
            json!({"name": "Pat", "email": "pat@test.example", "role": "supervisor", "password": "x".repeat(1025)}),
            vec![("password", "password_too_long")],
        ),
        (
            json!({"name": "Pat", "email": "ADMIN@test.example", "role": "supervisor", "password": "a long enough passphrase"}),
            vec![("email", "email_taken")],
        ),
    ];
    for (body, want) in cases {
        let (status, answer) = w.send(Method::POST, "/users", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(field_codes(&answer), want, "{body}");
    }
    let (status, answer) = w
        .send(
            Method::POST,
            "/users",
            Some(json!({"name": "Pat", "email": "pat@test.example", "role": "owner", "password": "a long enough passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(w.get::<Vec<UserAccount>>("/users").await.len(), 1);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_new_user_changes_the_initial_password_before_anything_else() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let pat = add(
        &w,
        "Pat Lee",
        "pat@test.example",
        "supervisor",
        "initial passphrase 1",
    )
    .await;
    assert!(pat.must_change_password && pat.active && pat.last_sign_in_at.is_none());
    assert_eq!(pat.role, Role::Supervisor);

    let (http, info) = cookie_sign_in(&w, "pat@test.example", "initial passphrase 1").await;
    assert!(info.must_change_password);
    let csrf = info.csrf_token.unwrap();
    let r = http.get(w.url("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "password_change_required");

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, body) = csrf_send(
        &http,
        &w,
        &csrf,
        "/me/password",
        change("wrong one here", "a fresh passphrase"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&body),
        [("current_password".into(), "wrong_password".into())]
    );
    let (status, body) = csrf_send(
        &http,
        &w,
        &csrf,
        "/me/password",
        change("initial passphrase 1", "qwertyuiop1234"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&body),
        [("new_password".into(), "password_common".into())]
    );
    // Still bound to change it: the refusals changed nothing.
    let r = http.get(w.url("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let (status, body) = csrf_send(
        &http,
        &w,
        &csrf,
        "/me/password",
        change("initial passphrase 1", "a fresh passphrase"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let info: SessionInfo = serde_json::from_value(body).unwrap();
    assert!(!info.must_change_password);
    let r = http.get(w.url("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the same session goes on");

    // The old password is gone, the new one works.
    let r = reqwest::Client::new()
        .post(w.url("/auth/sign-in"))
        .json(&json!({"email": "pat@test.example", "password": "initial passphrase 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (_, info) = cookie_sign_in(&w, "pat@test.example", "a fresh passphrase").await;
    assert!(!info.must_change_password);
    let listed = w.get::<Vec<UserAccount>>("/users").await;
    let pat = listed
        .iter()
        .find(|u| u.email == "pat@test.example")
        .unwrap();
    assert!(pat.last_sign_in_at.is_some() && !pat.must_change_password);

    // Audited, without a password or a hash anywhere.
    let page: AuditPage = w.get("/audit").await;
    let kinds: Vec<AuditKind> = page.entries.iter().map(|e| e.kind).collect();
    for k in [
        AuditKind::UserAdded,
        AuditKind::PasswordChanged,
        AuditKind::SignInSucceeded,
        AuditKind::SignInFailed,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    let text = serde_json::to_string(&page).unwrap();
    for secret in ["initial passphrase 1", "a fresh passphrase", "$argon2"] {
        assert!(!text.contains(secret), "the audit log shows {secret}");
    }
    let by_kind: AuditPage = w.get("/audit?kind=user_added").await;
    assert_eq!(by_kind.total, 1);
    assert_eq!(by_kind.entries[0].subject, "Pat Lee <pat@test.example>");
    assert_eq!(by_kind.entries[0].actor, "Admin <admin@test.example>");
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn the_last_active_admin_can_be_neither_demoted_nor_disabled() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let me = w.get::<Vec<UserAccount>>("/users").await[0].clone();
    assert_eq!(me.role, Role::Admin);
    for change in [
        json!({"role": "supervisor"}),
        json!({"active": false}),
        json!({"role": "agent", "active": false}),
    ] {
        let (status, body) = w
            .send(
                Method::PATCH,
                &format!("/users/{}", me.id),
                Some(change.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        assert_eq!(body["code"], "last_admin");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("last active admin"),
            "{body}"
        );
    }
    let (status, body) = w
        .send(
            Method::PATCH,
            "/users/999999",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_not_found"))
    );
    // A disabled admin does not count: they cannot use the console.
    let other = add(
        &w,
        "Other Admin",
        "other@test.example",
        "admin",
        "second admin passphrase",
    )
    .await;
    let (status, _) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", other.id),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", me.id),
            Some(json!({"role": "supervisor"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // With a second active admin, the first may step down.
    let (status, _) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", other.id),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", me.id),
            Some(json!({"role": "supervisor"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "supervisor");
    let page: AuditPage = w.get("/audit?kind=user_role_changed").await;
    assert_eq!(page.total, 1);
    assert_eq!(page.entries[0].before, Some(json!({"role": "admin"})));
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_disabled_users_cookie_and_bearer_stop_working_at_once() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let sam = add(
        &w,
        "Sam Sup",
        "sam@test.example",
        "supervisor",
        "sam initial phrase",
    )
    .await;
    // Past the forced change, so that both sessions may use the console.
    let (http, info) = cookie_sign_in(&w, "sam@test.example", "sam initial phrase").await;
    let (status, _) = csrf_send(
        &http,
        &w,
        info.csrf_token.as_deref().unwrap(),
        "/me/password",
        json!({"current_password": "sam initial phrase", "new_password": "sam chose this one"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = token_via_api(&w.server.url(), "sam@test.example", "sam chose this one")
        .await
        .token;
    let bearer = client_with(&token);
    for client in [&http, &bearer] {
        assert_eq!(
            client
                .get(w.url("/licenses"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    let listed = w.get::<Vec<UserAccount>>("/users").await;
    assert_eq!(listed.iter().find(|u| u.id == sam.id).unwrap().sessions, 2);

    let (status, body) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", sam.id),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["active"].as_bool(), body["sessions"].as_u64()),
        (Some(false), Some(0))
    );
    for client in [&http, &bearer] {
        assert_eq!(
            client
                .get(w.url("/licenses"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The right password of a disabled account says so; a wrong one says nothing more.
    let r = reqwest::Client::new()
        .post(w.url("/auth/sign-in"))
        .json(&json!({"email": "sam@test.example", "password": "sam chose this one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "account_disabled");

    let (status, _) = w
        .send(
            Method::PATCH,
            &format!("/users/{}", sam.id),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    cookie_sign_in(&w, "sam@test.example", "sam chose this one").await;
    let kinds: Vec<AuditKind> = w
        .get::<AuditPage>("/audit")
        .await
        .entries
        .iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&AuditKind::UserDisabled) && kinds.contains(&AuditKind::UserEnabled));
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn reset_password_and_end_sessions_sign_the_user_out_everywhere() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let kim = add(
        &w,
        "Kim Park",
        "kim@test.example",
        "supervisor",
        "kim initial phrase",
    )
    .await;
    let t1 = client_with(
        &token_via_api(&w.server.url(), "kim@test.example", "kim initial phrase")
            .await
            .token,
    );
    let t2 = client_with(
        &token_via_api(&w.server.url(), "kim@test.example", "kim initial phrase")
            .await
            .token,
    );
    let (status, body) = w
        .send(Method::DELETE, &format!("/users/{}/sessions", kim.id), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ended"], 2);
    for t in [&t1, &t2] {
        assert_eq!(
            t.get(w.url("/auth/session")).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let t3 = client_with(
        &token_via_api(&w.server.url(), "kim@test.example", "kim initial phrase")
            .await
            .token,
    );
    let (status, body) = w
        .send(
            Method::POST,
            &format!("/users/{}/password", kim.id),
            Some(json!({"password": "short"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&body),
        [("password".into(), "password_too_short".into())]
    );
    assert_eq!(
        t3.get(w.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "a refused reset changes nothing"
    );
    let (status, body) = w
        .send(
            Method::POST,
            &format!("/users/{}/password", kim.id),
            Some(json!({"password": "kim second phrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["must_change_password"], true);
    assert_eq!(
        t3.get(w.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let info = token_via_api(&w.server.url(), "kim@test.example", "kim second phrase").await;
    let t4 = client_with(&info.token);
    let session: SessionInfo = t4
        .get(w.url("/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(session.must_change_password);
    let kinds: Vec<AuditKind> = w
        .get::<AuditPage>("/audit")
        .await
        .entries
        .iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&AuditKind::PasswordReset) && kinds.contains(&AuditKind::SessionsEnded));
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn sign_in_failures_are_audited_for_real_accounts_only() {
    let w = World::with([1, 1, 1, 1], true, 0).await;
    let http = reqwest::Client::new();
    for email in ["admin@test.example", "nobody@test.example"] {
        let r = http
            .post(w.url("/auth/sign-in"))
            .json(&json!({"email": email, "password": "not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // An email longer than any address is refused before any work, and not stored.
    let before = w.server.store.sign_in_failure_rows().await.unwrap();
    for (email, password, field) in [
        ("a".repeat(2_000_000), "x".to_string(), "email"),
        (
            "admin@test.example".to_string(),
            "p".repeat(1025),
            "password",
        ),
    ] {
        let r = http
            .post(w.url("/auth/sign-in"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], field, "{body}");
    }
    assert_eq!(w.server.store.sign_in_failure_rows().await.unwrap(), before);
    let failed: AuditPage = w.get("/audit?kind=sign_in_failed").await;
    assert_eq!(failed.total, 1);
    assert_eq!(failed.entries[0].subject, "Admin <admin@test.example>");
    // Signing out is recorded too.
    let (c, info) = cookie_sign_in(&w, "admin@test.example", "correct horse battery").await;
    let (status, _) = csrf_send(
        &c,
        &w,
        info.csrf_token.as_deref().unwrap(),
        "/auth/sign-out",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(w.get::<AuditPage>("/audit?kind=signed_out").await.total, 1);
    w.server.stop().await.unwrap();
}
