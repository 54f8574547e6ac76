//! The harness shared by the server's tests: the real server on a free port, on a
//! real SQLite file in a temporary folder.
#![allow(dead_code)]

use alc_domain::access::{self, Role};
use alc_domain::*;
use alc_server::clock::Clock;
use alc_server::store::access::SessionKind;
use alc_server::{Config, NewAgent, Running};
use reqwest::StatusCode;
use serde_json::Value;

/// A console user of `role`, signed in with a bearer token.
pub async fn bearer(store: &alc_server::Store, role: Role, email: &str) -> String {
    store
        .upsert_console_user(email, role.label(), role, "correct horse battery")
        .await
        .unwrap();
    let (token, _) = store
        .sign_in(
            email,
            "correct horse battery",
            SessionKind::Bearer,
            Default::default(),
            "test",
        )
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e:?}"));
    token
}

/// A bearer token asked of the server at `base` (`http://host:port`) through
/// `POST /auth/tokens`, as a portal's back end does: the server's session policy applies.
pub async fn token_via_api(base: &str, email: &str, password: &str) -> access::TokenIssued {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// A client that sends `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

pub struct World {
    pub server: Running,
    pub http: reqwest::Client,
    /// The time the server's store reads (the system's unless started with another).
    pub clock: Clock,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn demo() -> World {
        Self::start(true).await
    }

    /// An account with `purchased` seats and `n` unlicensed WebRTC agents.
    pub async fn with(purchased: [i64; 4], channel: bool, n: usize) -> World {
        let w = Self::start(false).await;
        let ent = Entitlements {
            purchased: Counts::from_fn(|t| purchased[t.index()]),
            web_chat_channel: channel,
        };
        w.server.store.set_entitlements("Test", &ent).await.unwrap();
        let agents: Vec<NewAgent> = (0..n)
            .map(|i| NewAgent {
                name: format!("Agent {i:03}"),
                email: format!("agent{i}@test.example"),
                extension: (4000 + i).to_string(),
                source: AgentSource::Webrtc,
                licenses: LicenseSet::EMPTY,
                directory_key: None,
            })
            .collect();
        w.server.store.insert_agents(&agents).await.unwrap();
        w
    }

    pub async fn start(demo: bool) -> World {
        Self::start_with(demo, Clock::system()).await
    }

    /// [`World::start`] with the store reading `clock` (a manual one, to move time).
    pub async fn start_with(demo: bool, clock: Clock) -> World {
        let dir = tempfile::tempdir().unwrap();
        let server = alc_server::start(Config {
            demo,
            clock: clock.clone(),
            ..Config::ephemeral(dir.path().join("nested/console.db"))
        })
        .await
        .unwrap();
        let token = bearer(&server.store, Role::Admin, "admin@test.example").await;
        World {
            server,
            http: client_with(&token),
            clock,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server.url())
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().await.unwrap()
    }

    pub async fn summary(&self) -> LicenseSummary {
        self.get("/licenses").await
    }

    pub async fn all_agents(&self) -> Vec<Agent> {
        self.get::<AgentPage>("/agents?per_page=200").await.agents
    }

    pub async fn post_changes(&self, changes: &[LicenseChange]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url("/license-changes"))
            .json(&LicenseChangeBatch {
                changes: changes.to_vec(),
            })
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// Any request, answering the status and the JSON body (every answer has one).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The bytes of the SQLite file at `db` and of its WAL, for looking for a secret.
pub fn file_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let mut f = db.as_os_str().to_owned();
        f.push(suffix);
        if let Ok(b) = std::fs::read(&f) {
            all.extend(b);
        }
    }
    all
}

pub fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A free port on loopback (for a child server that must be told its port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
