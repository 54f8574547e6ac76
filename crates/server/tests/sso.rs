//! Portal single sign-on (`POST /auth/exchange`, RFC 7523) and cross-origin calls,
//! against the real server: every way an assertion can be wrong is refused, and the
//! right one opens a bearer session for a console user matched by issuer and subject.
//!
//! The keys under `fixtures/sso/` were made for these tests with openssl
//! (`genpkey -algorithm ed25519`, `EC` on P-256, `RSA` 2048) and sign nothing else.

mod common;

use std::time::Duration;

use alc_server::clock::Clock;
use alc_server::sso::{JWT_BEARER, SsoConfig, VerifyKey};
use alc_server::{Config, Running};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ISSUER: &str = "https://portal.example.com";
const AUDIENCE: &str = "agent-licensing-console";
const PORTAL_ORIGIN: &str = "https://portal.example.com";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/sso/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ed_key() -> EncodingKey {
    EncodingKey::from_ed_pem(&fixture("portal-ed25519.pem")).unwrap()
}
fn attacker_key() -> EncodingKey {
    EncodingKey::from_ed_pem(&fixture("attacker-ed25519.pem")).unwrap()
}
fn es_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("portal-es256.pem")).unwrap()
}
fn rs_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("portal-rs256.pem")).unwrap()
}

/// The portal's JWKS: its Ed25519, P-256 and RSA public keys, each pinned by `alg`
/// (written from the public halves with openssl: the raw key of the SPKI, and the
/// RSA modulus).
fn jwks() -> String {
    String::from_utf8(fixture("portal-jwks.json")).unwrap()
}

/// The attacker's public key as a JWK, to carry in a token's header.
fn attacker_jwk() -> Value {
    serde_json::from_slice(&fixture("attacker-jwk.json")).unwrap()
}

/// The portal's Ed25519 JWK, to bend in the key-loading checks.
fn portal_ed_jwk() -> Value {
    serde_json::from_str::<Value>(&jwks()).unwrap()["keys"][0].clone()
}

fn sso(allow_admin: bool) -> SsoConfig {
    let mut sso = SsoConfig::new(ISSUER, AUDIENCE, VerifyKey::from_jwks(&jwks()).unwrap());
    sso.roles =
        SsoConfig::parse_roles("portal-admin=admin,team-lead=supervisor,staff=agent").unwrap();
    sso.allow_admin = allow_admin;
    sso
}

/// The account's first admin, by password (single sign-on cannot make admins unless
/// allowed): owner@example.com.
async fn add_owner(store: &alc_server::Store) {
    store
        .upsert_console_user(
            "owner@example.com",
            "Owner",
            alc_domain::access::Role::Admin,
            "correct horse battery",
        )
        .await
        .unwrap();
}

struct Portal {
    server: Running,
    clock: Clock,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(allow_admin: bool, password_tokens: bool) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual();
    let server = alc_server::start(Config {
        clock: clock.clone(),
        sso: Some(sso(allow_admin)),
        password_tokens,
        cors_origins: vec![PORTAL_ORIGIN.into()],
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    add_owner(&server.store).await;
    Portal {
        server,
        clock,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Portal {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server.url())
    }

    /// Claims the portal would sign for Dana (a team lead) now.
    fn claims(&self, jti: &str) -> Value {
        let now = self.clock.now_secs();
        json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "portal-user-42",
            "iat": now, "exp": now + 60, "jti": jti,
            "role": "team-lead", "name": "Dana Reyes", "email": "dana@example.com",
        })
    }

    async fn exchange(&self, assertion: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url("/auth/exchange"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([("grant_type", JWT_BEARER), ("assertion", assertion)])
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get_with(&self, token: &str, path: &str) -> StatusCode {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    }
}

fn sign(claims: &Value, alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn ed(claims: &Value) -> String {
    sign(claims, Algorithm::EdDSA, "portal-ed", &ed_key())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token built by hand: any header, any signature.
fn forged(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

#[track_caller]
fn refused(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{:?}", got.1);
    assert_eq!(got.1["code"], code, "{:?}", got.1);
    assert!(
        got.1["message"].as_str().is_some_and(|m| m.len() > 10),
        "{:?}",
        got.1
    );
}

#[tokio::test]
async fn a_valid_assertion_opens_a_session_for_a_user_made_at_first_use() {
    let p = start(false, true).await;
    let (status, body) = p.exchange(&ed(&p.claims("a-1"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    assert_eq!(body["user"]["email"], "dana@example.com");
    assert_eq!(body["user"]["role"], "supervisor");
    let token = body["token"].as_str().unwrap();
    assert_eq!(p.get_with(token, "/licenses").await, StatusCode::OK);

    // Made once, without a password: a second exchange finds the same user, and no
    // password signs them in.
    let (status, _) = p.exchange(&ed(&p.claims("a-2"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let users = p.server.store.list_users().await.unwrap();
    let dana: Vec<_> = users
        .iter()
        .filter(|u| u.email == "dana@example.com")
        .collect();
    assert_eq!(dana.len(), 1);
    for guess in ["", "!single-sign-on", "not a password of anyone"] {
        let r = p
            .http
            .post(p.url("/auth/tokens"))
            .json(&json!({"email": "dana@example.com", "password": guess}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{guess:?}: {}", r.status());
    }

    // ES256 and RS256 keys work too, each with its own algorithm.
    let es = sign(&p.claims("a-3"), Algorithm::ES256, "portal-es", &es_key());
    assert_eq!(p.exchange(&es).await.0, StatusCode::CREATED);
    let rs = sign(&p.claims("a-4"), Algorithm::RS256, "portal-rs", &rs_key());
    assert_eq!(p.exchange(&rs).await.0, StatusCode::CREATED);

    // Audited: the user added by single sign-on, and each sign-in.
    let owner = common::bearer(
        &p.server.store,
        alc_domain::access::Role::Admin,
        "owner@example.com",
    )
    .await;
    let audit: Value = common::client_with(&owner)
        .get(p.url("/audit?kind=user_added"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(
        text.contains("Single sign-on (https://portal.example.com)"),
        "{text}"
    );
    assert!(text.contains("dana@example.com"), "{text}");
}

#[tokio::test]
async fn a_wrong_key_or_algorithm_is_refused() {
    let p = start(false, true).await;
    let c = p.claims("k-1");
    let unauthorized = StatusCode::UNAUTHORIZED;
    // Signed by another key under the portal's kid; under an unknown kid.
    refused(
        &p.exchange(&sign(&c, Algorithm::EdDSA, "portal-ed", &attacker_key()))
            .await,
        unauthorized,
        "invalid_assertion",
    );
    refused(
        &p.exchange(&sign(&c, Algorithm::EdDSA, "elsewhere", &attacker_key()))
            .await,
        unauthorized,
        "invalid_assertion",
    );
    // No kid at all.
    let no_kid = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &c, &ed_key()).unwrap();
    refused(
        &p.exchange(&no_kid).await,
        unauthorized,
        "invalid_assertion",
    );
    // The attacker's key carried in the header (jwk) is never used, with or without
    // a kid of ours.
    let attacker_jwk = attacker_jwk();
    for kid in ["portal-ed", "attacker"] {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        header.jwk = Some(serde_json::from_value(attacker_jwk.clone()).unwrap());
        header.jku = Some("https://attacker.example/jwks.json".into());
        let token = jsonwebtoken::encode(&header, &c, &attacker_key()).unwrap();
        refused(&p.exchange(&token).await, unauthorized, "invalid_assertion");
    }
    // alg none, with and without a signature.
    for sig in [&b""[..], b"x"] {
        let token = forged(&json!({"alg": "none", "kid": "portal-ed"}), &c, sig);
        refused(&p.exchange(&token).await, unauthorized, "invalid_assertion");
    }
    // HS256 "signed" with the portal's public key as the secret.
    let public_pem = fixture("portal-ed25519.pub.pem");
    let hs = sign(
        &c,
        Algorithm::HS256,
        "portal-ed",
        &EncodingKey::from_secret(&public_pem),
    );
    refused(&p.exchange(&hs).await, unauthorized, "invalid_assertion");
    // The ES256 key used with another algorithm of its family is refused too.
    let es384 = forged(&json!({"alg": "ES384", "kid": "portal-es"}), &c, b"sig");
    refused(&p.exchange(&es384).await, unauthorized, "invalid_assertion");
    // Not a JWT; an enormous one.
    refused(
        &p.exchange("not.a.jwt").await,
        unauthorized,
        "invalid_assertion",
    );
    refused(
        &p.exchange(&"a".repeat(20_000)).await,
        unauthorized,
        "invalid_assertion",
    );
    // And nothing was created by any of them.
    assert!(
        p.server
            .store
            .list_users()
            .await
            .unwrap()
            .iter()
            .all(|u| u.email != "dana@example.com")
    );
}

#[tokio::test]
async fn every_required_claim_is_checked() {
    let p = start(false, true).await;
    let unauthorized = StatusCode::UNAUTHORIZED;
    // Each case: a claim set to a value, or removed (None).
    let cases: [(&str, &str, Option<Value>); 11] = [
        ("wrong iss", "iss", Some(json!("https://evil.example"))),
        ("no iss", "iss", None),
        ("wrong aud", "aud", Some(json!("another-app"))),
        ("no aud", "aud", None),
        ("no sub", "sub", None),
        ("empty sub", "sub", Some(json!(""))),
        ("no exp", "exp", None),
        ("exp as text", "exp", Some(json!("tomorrow"))),
        ("no iat", "iat", None),
        ("no jti", "jti", None),
        ("no email", "email", None),
    ];
    let with = |jti: &str, claim: &str, value: Option<Value>| {
        let mut c = p.claims(jti);
        let map = c.as_object_mut().unwrap();
        match value {
            Some(v) => map.insert(claim.into(), v),
            None => map.remove(claim),
        };
        ed(&c)
    };
    let cases: Vec<(&str, String)> = cases
        .into_iter()
        .enumerate()
        .map(|(i, (what, claim, value))| (what, with(&format!("c-{i}"), claim, value)))
        .collect();
    for (what, token) in &cases {
        let got = p.exchange(token).await;
        assert_eq!(got.0, unauthorized, "{what}: {:?}", got.1);
        assert_eq!(got.1["code"], "invalid_assertion", "{what}: {:?}", got.1);
    }
    // An audience list that includes ours is fine.
    let token = with("c-list", "aud", Some(json!(["other", AUDIENCE])));
    assert_eq!(p.exchange(&token).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn time_is_checked_with_the_leeway_and_the_maximum_age() {
    let p = start(false, true).await;
    let now = p.clock.now_secs();
    let at = |jti: &str, iat: i64, exp: i64| {
        let mut c = p.claims(jti);
        c["iat"] = json!(iat);
        c["exp"] = json!(exp);
        ed(&c)
    };
    // Expired 31 s ago: past the 30 s leeway. 29 s ago: inside it.
    refused(
        &p.exchange(&at("t-1", now - 80, now - 31)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_assertion",
    );
    assert_eq!(
        p.exchange(&at("t-2", now - 80, now - 29)).await.0,
        StatusCode::CREATED
    );
    // Issued in the future beyond the leeway; within it.
    refused(
        &p.exchange(&at("t-3", now + 31, now + 60)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_assertion",
    );
    assert_eq!(
        p.exchange(&at("t-4", now + 29, now + 60)).await.0,
        StatusCode::CREATED
    );
    // Living longer than 60 s.
    refused(
        &p.exchange(&at("t-5", now, now + 61)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_assertion",
    );
    // The clock moves: an assertion valid a minute ago is expired now.
    let later = at("t-6", now, now + 20);
    p.clock.advance(Duration::from_secs(51));
    refused(
        &p.exchange(&later).await,
        StatusCode::UNAUTHORIZED,
        "invalid_assertion",
    );
}

#[tokio::test]
async fn an_assertion_opens_one_session_only() {
    let p = start(false, true).await;
    let token = ed(&p.claims("once"));
    assert_eq!(p.exchange(&token).await.0, StatusCode::CREATED);
    refused(
        &p.exchange(&token).await,
        StatusCode::UNAUTHORIZED,
        "assertion_replayed",
    );
    // At once, from many clients: one wins.
    let token = ed(&p.claims("race"));
    let results = futures::future::join_all((0..8).map(|_| p.exchange(&token))).await;
    let won = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "{results:?}");
}

#[tokio::test]
async fn roles_map_strictly_and_a_lowered_role_applies_to_live_sessions() {
    let p = start(false, true).await;
    let forbidden = StatusCode::FORBIDDEN;
    let role = |jti: &str, role: Value| {
        let mut c = p.claims(jti);
        c["role"] = role;
        ed(&c)
    };
    refused(
        &p.exchange(&role("r-1", json!("janitor"))).await,
        forbidden,
        "role_not_mapped",
    );
    refused(
        &p.exchange(&role("r-2", json!(["team-lead"]))).await,
        forbidden,
        "role_not_mapped",
    );
    refused(
        &p.exchange(&role("r-3", json!("supervisor"))).await,
        forbidden,
        "role_not_mapped",
    );
    let mut c = p.claims("r-4");
    c.as_object_mut().unwrap().remove("role");
    refused(&p.exchange(&ed(&c)).await, forbidden, "role_not_mapped");
    // Admin is not granted by single sign-on unless the operator allows it.
    refused(
        &p.exchange(&role("r-5", json!("portal-admin"))).await,
        forbidden,
        "admin_not_allowed",
    );

    // A team lead's session; then the portal makes them staff (an agent): the live
    // session loses the console at its next request.
    let (_, body) = p.exchange(&role("r-6", json!("team-lead"))).await;
    let lead = body["token"].as_str().unwrap().to_string();
    assert_eq!(p.get_with(&lead, "/licenses").await, StatusCode::OK);
    let (status, body) = p.exchange(&role("r-7", json!("staff"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    assert_eq!(body["user"]["role"], "agent");
    assert_eq!(p.get_with(&lead, "/licenses").await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_by_single_sign_on_when_allowed_and_never_the_last_one_demoted() {
    let p = start(true, true).await;
    let role = |jti: &str, role: &str| {
        let mut c = p.claims(jti);
        c["role"] = json!(role);
        ed(&c)
    };
    let (status, body) = p.exchange(&role("m-1", "portal-admin")).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(p.get_with(&token, "/users").await, StatusCode::OK);
    // The password admin is disabled: Dana is the last active admin, and an assertion
    // that would make her a supervisor is refused (she stays admin).
    let users = p.server.store.list_users().await.unwrap();
    let owner = users
        .iter()
        .find(|u| u.email == "owner@example.com")
        .unwrap();
    let r = common::client_with(&token)
        .patch(p.url(&format!("/users/{}", owner.id)))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    refused(
        &p.exchange(&role("m-2", "team-lead")).await,
        StatusCode::CONFLICT,
        "last_admin",
    );
    assert_eq!(p.get_with(&token, "/users").await, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_user_or_a_taken_email_is_refused() {
    let p = start(false, true).await;
    let (_, body) = p.exchange(&ed(&p.claims("d-1"))).await;
    let id = body["user"]["email"].as_str().map(|_| ()).and(
        p.server
            .store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.email == "dana@example.com")
            .map(|u| u.id),
    );
    let owner = common::bearer(
        &p.server.store,
        alc_domain::access::Role::Admin,
        "owner@example.com",
    )
    .await;
    let r = common::client_with(&owner)
        .patch(p.url(&format!("/users/{}", id.unwrap())))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    refused(
        &p.exchange(&ed(&p.claims("d-2"))).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    );

    // Another portal user whose email is the password admin's: not taken over.
    let mut c = p.claims("d-3");
    c["sub"] = json!("portal-user-7");
    c["email"] = json!("OWNER@example.com");
    refused(
        &p.exchange(&ed(&c)).await,
        StatusCode::CONFLICT,
        "email_taken",
    );
}

#[tokio::test]
async fn the_request_must_be_the_jwt_bearer_grant() {
    let p = start(false, true).await;
    let token = ed(&p.claims("g-1"));
    let post = |content_type: &'static str, body: String| {
        p.http
            .post(p.url("/auth/exchange"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let r = post(
        "application/x-www-form-urlencoded",
        serde_urlencoded::to_string([("grant_type", "password"), ("assertion", &token)]).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "unsupported_grant_type"
    );
    let r = post(
        "application/json",
        json!({"grant_type": JWT_BEARER, "assertion": token}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = post("application/x-www-form-urlencoded", "grant_type=x".into())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The assertion was never used: it still works.
    assert_eq!(p.exchange(&token).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn without_single_sign_on_set_up_the_exchange_says_so_and_tokens_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = alc_server::start(Config {
        password_tokens: false,
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/auth/exchange", server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=x&assertion=y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "sso_not_configured"
    );
    add_owner(&server.store).await;
    let r = http
        .post(format!("{}/api/v1/auth/tokens", server.url()))
        .json(&json!({"email": "owner@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "password_tokens_disabled"
    );
    // Cookie sign-in (the console's own page) still works.
    let r = http
        .post(format!("{}/api/v1/auth/sign-in", server.url()))
        .json(&json!({"email": "owner@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[test]
fn the_operators_keys_must_be_pinned() {
    let jwk = |value: Value| json!({"keys": [value]}).to_string();
    let ed = portal_ed_jwk();
    // No kid; no alg; an algorithm that does not fit the key; a duplicate kid.
    let mut no_kid = ed.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    assert!(
        VerifyKey::from_jwks(&jwk(no_kid))
            .unwrap_err()
            .contains("kid")
    );
    let mut no_alg = ed.clone();
    no_alg["kid"] = json!("a");
    no_alg.as_object_mut().unwrap().remove("alg");
    assert!(
        VerifyKey::from_jwks(&jwk(no_alg))
            .unwrap_err()
            .contains("alg")
    );
    let mut wrong = ed.clone();
    wrong["kid"] = json!("a");
    wrong["alg"] = json!("ES256");
    assert!(VerifyKey::from_jwks(&jwk(wrong)).is_err());
    let mut one = ed.clone();
    one["kid"] = json!("a");
    let two = json!({"keys": [one.clone(), one]}).to_string();
    assert!(VerifyKey::from_jwks(&two).unwrap_err().contains("two keys"));
    // HS256 secrets of fewer than 32 bytes.
    assert!(VerifyKey::hs256("h", b"short secret").is_err());
    let short = json!({"kty": "oct", "kid": "h", "alg": "HS256", "k": b64(b"short secret")});
    assert!(
        VerifyKey::from_jwks(&jwk(short))
            .unwrap_err()
            .contains("32")
    );
    assert!(VerifyKey::hs256("h", &[7u8; 32]).is_ok());
    // The maximum age cannot pass 300 s.
    let mut s = sso(false);
    s.max_age = Duration::from_secs(301);
    assert!(s.check().is_err());
    assert!(SsoConfig::parse_roles("lead=boss").is_err());
}

#[tokio::test]
async fn cors_for_the_portals_origin_only_and_never_with_credentials() {
    let p = start(false, true).await;
    let preflight = |origin: &'static str| {
        p.http
            .request(reqwest::Method::OPTIONS, p.url("/licenses"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let r = preflight(PORTAL_ORIGIN).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], PORTAL_ORIGIN);
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("authorization")
    );
    assert!(h.get("access-control-max-age").is_some());
    assert!(h.get("access-control-allow-credentials").is_none());

    let r = preflight("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    // A 401 carries the headers, so the portal's page can read why.
    let r = p
        .http
        .get(p.url("/licenses"))
        .header("origin", PORTAL_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["access-control-allow-origin"], PORTAL_ORIGIN);
    assert!(
        r.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    assert!(
        r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("retry-after")
    );

    // The session cookie from another site's page is refused, whatever the origin.
    let r = p
        .http
        .post(p.url("/auth/sign-in"))
        .json(&json!({"email": "owner@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.contains("alc_session"))
        .unwrap();
    let with_cookie = |site: &'static str| {
        p.http
            .get(p.url("/licenses"))
            .header("cookie", &cookie)
            .header("sec-fetch-site", site)
            .send()
    };
    assert_eq!(
        with_cookie("same-origin").await.unwrap().status(),
        StatusCode::OK
    );
    for site in ["cross-site", "same-site"] {
        let r = with_cookie(site).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "cross_origin");
    }
}
