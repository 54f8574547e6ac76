//! The demo's example portal: `GET /example-portal/token` plays a portal's back end
//! (signs an assertion with the demo portal's key and exchanges it), so the example page
//! holds no password. Only with the demo, and only when the operator has not set up
//! single sign-on of their own.

mod common;

use alc_server::sso::{SsoConfig, VerifyKey};
use alc_server::{Config, Running};
use reqwest::StatusCode;
use serde_json::Value;

const PORTAL: &str = "http://portal.test:8000";

async fn config(dir: &tempfile::TempDir, demo: bool, sso: Option<SsoConfig>) -> Config {
    Config {
        demo,
        sso,
        cors_origins: vec![PORTAL.into()],
        ..Config::ephemeral(common::database(dir.path().join("data/console.db")).await)
    }
}

async fn start(dir: &tempfile::TempDir, demo: bool, sso: Option<SsoConfig>) -> Running {
    alc_server::start(config(dir, demo, sso).await)
        .await
        .unwrap()
}

async fn token(server: &Running, who: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}/example-portal/token?as={who}", server.url()))
        .header("Origin", PORTAL)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_demo_portal_hands_out_exchanged_tokens_for_its_users() {
    let dir = tempfile::tempdir().unwrap();
    let first = config(&dir, true, None).await;
    let server = alc_server::start(first.clone()).await.unwrap();
    let (status, headers, body) = token(&server, "supervisor").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "dana.park@northwind.example");
    assert_eq!(body["user"]["role"], "supervisor");
    assert_eq!(headers["cache-control"], "no-store");
    // The portal's page, on its own origin, may read it.
    assert_eq!(headers["access-control-allow-origin"], PORTAL);
    let me: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/auth/session", server.url()))
        .bearer_auth(body["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "Dana Park");
    // Each call is a new assertion (a new jti): a second token, the same user.
    let (status, _, again) = token(&server, "supervisor").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(again["token"], body["token"]);
    let (status, _, admin) = token(&server, "admin").await;
    assert_eq!(status, StatusCode::CREATED, "{admin}");
    assert_eq!(admin["user"]["role"], "admin");
    let (status, _, nobody) = token(&server, "intruder").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(nobody["code"], "not_found");
    server.stop().await.unwrap();

    // The key is the one made at the first start: a restart trusts the same portal.
    // Beside the SQLite file, or in data/ for PostgreSQL.
    let key_file = first.db.files_dir().join("demo-portal-ed25519.key");
    let key = std::fs::read(&key_file).unwrap();
    assert_eq!(key.len(), 32);
    let server = alc_server::start(first).await.unwrap();
    assert_eq!(token(&server, "supervisor").await.0, StatusCode::CREATED);
    assert_eq!(std::fs::read(&key_file).unwrap(), key);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn without_the_demo_or_with_the_operators_sso_there_is_no_example_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir, false, None).await;
    assert_eq!(token(&server, "supervisor").await.0, StatusCode::NOT_FOUND);
    server.stop().await.unwrap();
    assert!(!dir.path().join("data/demo-portal-ed25519.key").exists());

    let dir = tempfile::tempdir().unwrap();
    let secret = [9u8; 32];
    let operator = SsoConfig::new(
        "https://portal.example.com",
        "console",
        vec![VerifyKey::hs256("k1", &secret).unwrap()],
    );
    let server = start(&dir, true, Some(operator)).await;
    assert_eq!(token(&server, "supervisor").await.0, StatusCode::NOT_FOUND);
    server.stop().await.unwrap();
}
