//! The harness shared by the server's tests: the real server on a free port, on a
//! real SQLite file in a temporary folder, or, when `ALC_TEST_POSTGRES` names a
//! PostgreSQL server (the second run of `cargo xtask test`), on a new database of its
//! own there: the same tests, on both backends.
#![allow(dead_code)]

use alc_domain::access::{self, Role};
use alc_domain::*;
use alc_server::clock::Clock;
use alc_server::store::Database;
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
            ..Config::ephemeral(database(dir.path().join("nested/console.db")).await)
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

    /// Starts "Refresh Users and Groups" and waits for its report.
    pub async fn refresh(&self) -> alc_domain::directory::RefreshReport {
        let (status, body) = self
            .send(reqwest::Method::POST, "/directory/refresh", None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait_for_report().await
    }

    /// Waits for the refresh running (if any) to end, and gives the last report.
    pub async fn wait_for_report(&self) -> alc_domain::directory::RefreshReport {
        for _ in 0..600 {
            let s: alc_domain::directory::RefreshStatus = self.get("/directory/refresh").await;
            if s.running.is_none() {
                return s.last.expect("a finished refresh has a report");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the refresh did not finish in 30 s");
    }

    pub async fn summary(&self) -> LicenseSummary {
        self.get("/licenses").await
    }

    pub async fn all_agents(&self) -> Vec<Agent> {
        every_agent(&self.http, &self.url(""), "").await
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

/// Runs one SQL statement on the world's database, as a test's setup does what no
/// route does (a phone user gone from the directory, say).
pub async fn execute(w: &World, sql: &str) {
    use sqlx::Connection;
    match w.server.store.database() {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
}

/// Every agent the API at `api` (`…/api/v1`) lists for `query` (say `kind=phone`),
/// page by page.
pub async fn every_agent(http: &reqwest::Client, api: &str, query: &str) -> Vec<Agent> {
    let mut all = Vec::new();
    for page in 1.. {
        let url = format!("{api}/agents?{query}&per_page=200&page={page}");
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let p: AgentPage = r.json().await.unwrap();
        let done = p.agents.len() < 200;
        all.extend(p.agents);
        if done {
            break;
        }
    }
    all
}

/// The PostgreSQL server the tests run on, if this run is PostgreSQL's.
pub fn postgres() -> Option<String> {
    std::env::var("ALC_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// The database a test runs on: the SQLite file `path`, or on PostgreSQL's run a new,
/// empty database of the test's own (`path` unused).
pub async fn database(path: std::path::PathBuf) -> Database {
    match postgres() {
        Some(server) => new_postgres_database(&server).await,
        None => Database::Sqlite(path),
    }
}

/// The backends a benchmark measures side by side: SQLite in `dir`, and PostgreSQL
/// when `ALC_BENCH_POSTGRES` names a server (`cargo xtask bench` starts one).
pub async fn bench_databases(dir: &std::path::Path, name: &str) -> Vec<(&'static str, Database)> {
    let mut all = vec![("SQLite", Database::Sqlite(dir.join(format!("{name}.db"))))];
    if let Some(server) = std::env::var("ALC_BENCH_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        all.push(("PostgreSQL", new_postgres_database(&server).await));
    }
    all
}

/// Drops a database [`new_postgres_database`] made (a benchmark's, when it is done, so
/// that PostgreSQL's autovacuum of it does not run under the next measurement).
pub async fn drop_postgres_database(db: &Database) {
    use sqlx::Connection;
    let Database::Postgres(url) = db else { return };
    let (base, name) = url.rsplit_once('/').expect("a URL with a database name");
    let mut conn = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// A new, empty database on the PostgreSQL server `server` (a URL).
pub async fn new_postgres_database(server: &str) -> Database {
    use sqlx::Connection;
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .expect("the PostgreSQL server answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    Database::Postgres(format!("{base}/{name}"))
}

/// Everything the database keeps on disk, for looking for a secret: the SQLite file and
/// its WAL, or PostgreSQL's whole data folder (tables and WAL) after a checkpoint.
pub async fn stored_bytes(db: &Database) -> Vec<u8> {
    match db {
        Database::Sqlite(path) => file_bytes(path),
        Database::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("CHECKPOINT").execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            let dir =
                std::env::var("ALC_TEST_PG_DATA").expect("ALC_TEST_PG_DATA with ALC_TEST_POSTGRES");
            let mut all = Vec::new();
            let mut todo = vec![std::path::PathBuf::from(dir)];
            while let Some(d) = todo.pop() {
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        todo.push(p);
                    } else if let Ok(b) = std::fs::read(&p) {
                        all.extend(b);
                    }
                }
            }
            all
        }
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

/// `alc-server serve` as its own process (what an operator runs), on a free port.
pub struct Served {
    pub child: tokio::process::Child,
    pub url: String,
    pub stdout: String,
}

impl Served {
    /// Starts it on `db` (a SQLite path or a PostgreSQL URL) with `extra` arguments and
    /// `env`, and waits for its address.
    pub async fn start(
        db: impl AsRef<std::ffi::OsStr>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Served {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_alc-server"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            .env_remove("ALC_DEMO")
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = String::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let url = loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
                .await
                .expect("the server prints its address within 30 s")
                .unwrap()
                .unwrap_or_else(|| panic!("the server stopped: {stdout}"));
            stdout.push_str(&line);
            stdout.push('\n');
            if let Some(rest) = line.strip_prefix("Agent Licensing Console: ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        Served { child, url, stdout }
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// Stops it as systemd does (SIGTERM) and answers its log.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        let status = tokio::time::timeout(std::time::Duration::from_secs(20), self.child.wait())
            .await
            .expect("the server stops on SIGTERM")
            .unwrap();
        assert!(status.success(), "a clean stop: {status}");
        let mut log = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut self.child.stderr.take().unwrap(), &mut log)
            .await
            .unwrap();
        log
    }

    /// Kills it with SIGKILL: no chance to finish anything.
    pub async fn kill9(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// A small, fixed pseudo-random sequence (the same agents on every run).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len())]
    }
}
