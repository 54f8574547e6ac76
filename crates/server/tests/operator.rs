//! The operator's path, through the real `alc-server` binary: the command line, the
//! first admin, a start without the demo, health and readiness, logs without secrets,
//! backup and restore.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use alc_domain::access::SetupStatus;
use alc_domain::{AgentPage, LicenseSummary};
use alc_server::Config;
use common::{Served, World, client_with, file_bytes, holds, token_via_api};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_alc-server");

/// Runs `alc-server args…` to its end, with `stdin` as standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("ALC_DB")
        .env_remove("ALC_DEMO")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `alc-server serve` as a child process on a free port, its address read from what
/// it prints; standard error (the log) is kept.
#[test]
fn help_exits_0_and_bad_usage_exits_2_with_a_message() {
    for args in [
        &["--help"][..],
        &["users", "--help"],
        &["users", "add", "--help"],
        &["--version"],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
    let help = text(&run(&["--help"], ""));
    for word in [
        "serve",
        "users",
        "migrate",
        "check-config",
        "backup",
        "ALC_DB",
        "ALC_ADDR",
        "ALC_LOG_FORMAT",
    ] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
    for args in [
        &["--no-such-flag"][..],
        &["users", "add", "--email", "a@b.example"],
        &[
            "users",
            "add",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "owner",
        ],
        &["serve", "--addr", "not an address"],
        &["frobnicate"],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("error"), "{args:?}: {}", text(&out));
    }
}

#[test]
fn a_password_on_the_command_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let out = run(
        &[
            "users",
            "add",
            "--db",
            db.to_str().unwrap(),
            "--email",
            "a@test.example",
            "--name",
            "A",
            "--role",
            "admin",
            "--password",
            "visible to everyone",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("never taken from the command line"),
        "{}",
        text(&out)
    );
    assert!(!db.exists(), "nothing was created");
}

#[tokio::test]
async fn the_first_admin_from_the_command_line_signs_in_and_users_are_managed_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/console.db");
    let dbs = db.to_str().unwrap();
    let weak = run(
        &[
            "users",
            "add",
            "--db",
            dbs,
            "--email",
            "ops@test.example",
            "--name",
            "Olu Ops",
            "--role",
            "admin",
        ],
        "short\n",
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        text(&weak).contains("at least 12 characters"),
        "{}",
        text(&weak)
    );
    let out = run(
        &[
            "users",
            "add",
            "--db",
            dbs,
            "--email",
            "ops@test.example",
            "--name",
            "Olu Ops",
            "--role",
            "admin",
        ],
        "operators own passphrase\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Added Olu Ops <ops@test.example> as Admin"),
        "{}",
        text(&out)
    );

    let served = Served::start(&db, &[], &[]).await;
    assert!(
        !served.stdout.contains("No console users yet"),
        "{}",
        served.stdout
    );
    let token = token_via_api(&served.url, "ops@test.example", "operators own passphrase").await;
    assert!(!token.user.email.is_empty());
    let admin = client_with(&token.token);
    assert_eq!(
        admin
            .get(served.api("/licenses"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // While it serves (WAL): add a supervisor, list, demote and disable from the CLI.
    let out = run(
        &[
            "users",
            "add",
            "--db",
            dbs,
            "--email",
            "sup@test.example",
            "--name",
            "Sue Sup",
            "--role",
            "supervisor",
            "--temporary",
        ],
        "sues first passphrase\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let sup = token_via_api(&served.url, "sup@test.example", "sues first passphrase").await;
    let sup_client = client_with(&sup.token);
    let r = sup_client
        .get(served.api("/licenses"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "--temporary: must change it first"
    );
    let list = text(&run(&["users", "list", "--db", dbs], ""));
    assert!(
        list.contains("ops@test.example")
            && list.contains("sup@test.example")
            && list.contains("Supervisor"),
        "{list}"
    );
    let out = run(
        &[
            "users",
            "set-role",
            "--db",
            dbs,
            "--email",
            "ops@test.example",
            "--role",
            "supervisor",
        ],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the last admin stays: {}",
        text(&out)
    );
    assert!(text(&out).contains("last active admin"), "{}", text(&out));
    let out = run(
        &[
            "users",
            "disable",
            "--db",
            dbs,
            "--email",
            "sup@test.example",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let r = sup_client
        .get(served.api("/auth/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "disabled from the CLI: its token stops"
    );
    let out = run(
        &[
            "users",
            "enable",
            "--db",
            dbs,
            "--email",
            "sup@test.example",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &[
            "users",
            "reset-password",
            "--db",
            dbs,
            "--email",
            "sup@test.example",
        ],
        "sues second passphrase\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    token_via_api(&served.url, "sup@test.example", "sues second passphrase").await;
    let out = run(
        &[
            "users",
            "disable",
            "--db",
            dbs,
            "--email",
            "nobody@test.example",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("no console user"), "{}", text(&out));
    // The operator's changes are in the audit log, by the operator.
    let audit: Value = admin
        .get(served.api("/audit?kind=user_disabled"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        audit["entries"][0]["actor"]
            .as_str()
            .unwrap()
            .contains("(command line)"),
        "{audit}"
    );
    served.stop().await;
}

/// The TCP ports process `pid` listens on (Linux: its socket inodes in /proc/net/tcp*).
fn listening_ports(pid: u32) -> HashSet<u16> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().to_string();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address, state 0A = LISTEN, inode in column 9.
            if cols.len() > 9 && cols[3] == "0A" && inodes.contains(cols[9]) {
                let port = cols[1].rsplit(':').next().unwrap();
                ports.insert(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports
}

#[tokio::test]
async fn serve_without_the_demo_creates_nothing_and_listens_on_its_port_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(site.join("example-portal.html"), "demo passwords here").unwrap();
    let served = Served::start(&db, &["--site", site.to_str().unwrap()], &[]).await;
    assert!(
        served.stdout.contains("No console users yet") && served.stdout.contains("users add --db"),
        "prints how to create the first admin: {}",
        served.stdout
    );
    let port: u16 = served.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        listening_ports(served.child.id().unwrap()),
        HashSet::from([port]),
        "no simulator, no second listener"
    );

    let setup: SetupStatus = reqwest::get(served.api("/auth/setup"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!setup.has_users);
    let r = reqwest::get(format!("{}/example-portal.html", served.url))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the demo's portal page is served only with the demo"
    );
    let r = reqwest::get(format!("{}/agents", served.url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the app is served");
    served.stop().await;

    let store = alc_server::Store::open(&db).await.unwrap();
    assert!(
        store.list_users().await.unwrap().is_empty(),
        "no console user"
    );
    assert!(
        store.directory_connection().await.unwrap().is_none(),
        "no directory"
    );
    assert_eq!(
        store
            .agents_by_id(&[1, 2, 3].map(alc_domain::AgentId))
            .await
            .unwrap()
            .len(),
        0,
        "no agents"
    );
    let summary = store.license_summary().await.unwrap();
    assert!(
        summary
            .licenses
            .iter()
            .all(|l| l.purchased == 0 && l.assigned == 0),
        "nothing bought"
    );
    store.close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the database is readable by its owner only");
    }
}

#[tokio::test]
async fn healthz_always_readyz_only_while_the_database_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let server = alc_server::start(Config::ephemeral(db.clone()))
        .await
        .unwrap();
    let get = |path: &str| reqwest::get(format!("{}{path}", server.url()));
    let r = get("/healthz").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers().contains_key("x-request-id"),
        "every answer carries its request id"
    );

    // The file goes away (a lost volume): not ready, with a reason, as JSON.
    let moved = dir.path().join("moved.db");
    std::fs::rename(&db, &moved).unwrap();
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_ready");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be opened"),
        "{body}"
    );
    assert_eq!(
        get("/healthz").await.unwrap().status(),
        StatusCode::OK,
        "the process is up all the same"
    );
    std::fs::rename(&moved, &db).unwrap();
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);

    // A newer version migrated the database (a rolling upgrade): this one steps back.
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    let future =
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                  VALUES (99990101, 'from the future', TRUE, x'00', 0)";
    sqlx::query(future).execute(&mut conn).await.unwrap();
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().await.unwrap().contains("1 unknown"));
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99990101")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_the_same_agents_and_licenses() {
    let w = World::demo().await;
    if let alc_server::store::Database::Postgres(url) = w.server.store.database() {
        // PostgreSQL is backed up with its own tools; the command says so and writes nothing.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backup.db");
        let out = run(&["backup", "--db", url, file.to_str().unwrap()], "");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
        assert!(!file.exists());
        return;
    }
    let agents = w.all_agents().await;
    let zoe = agents.iter().find(|a| a.name == "Zoe Lambert").unwrap();
    let (status, _) = w
        .post_changes(&[alc_domain::LicenseChange {
            agent_id: zoe.id,
            license: alc_domain::LicenseType::Sms,
            assigned: true,
            version: zoe.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK);
    let before_agents: AgentPage = w.get("/agents?per_page=200").await;
    let before_summary: LicenseSummary = w.get("/licenses").await;

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let db = w
        .server
        .store
        .database()
        .sqlite_path()
        .unwrap()
        .to_path_buf();
    let out = run(
        &[
            "backup",
            "--db",
            db.to_str().unwrap(),
            backup.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let again = run(
        &[
            "backup",
            "--db",
            db.to_str().unwrap(),
            backup.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(again.status.code(), Some(1), "never over an existing file");
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    // Restore: the backup file becomes a server's database.
    let restored_db: PathBuf = dir.path().join("restored.db");
    std::fs::copy(&backup, &restored_db).unwrap();
    let restored = alc_server::start(Config::ephemeral(restored_db))
        .await
        .unwrap();
    let token = common::bearer(
        &restored.store,
        alc_domain::access::Role::Admin,
        "restorer@test.example",
    )
    .await;
    let http = client_with(&token);
    let get = |path: &str| http.get(format!("{}/api/v1{path}", restored.url())).send();
    let after_agents: AgentPage = get("/agents?per_page=200")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after_summary: LicenseSummary = get("/licenses").await.unwrap().json().await.unwrap();
    assert_eq!(after_agents, before_agents);
    assert_eq!(after_summary, before_summary);
    assert!(
        after_agents
            .agents
            .iter()
            .any(|a| a.name == "Zoe Lambert" && a.licenses.has(alc_domain::LicenseType::Sms))
    );
    restored.stop().await.unwrap();
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn json_logs_carry_a_line_per_request_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let dbs = db.to_str().unwrap();
    let password = "log-canary passphrase 7";
    let out = run(
        &[
            "users",
            "add",
            "--db",
            dbs,
            "--email",
            "logs@test.example",
            "--name",
            "Lo Gs",
            "--role",
            "admin",
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let key = dir.path().join("secret.key");
    let out = run(&["generate-key", key.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    let served = Served::start(
        &db,
        &[],
        &[
            ("ALC_SECRET_KEY_FILE", key.to_str().unwrap()),
            ("ALC_LOG_FORMAT", "json"),
            ("ALC_LOG", "debug,hyper=info,h2=info"),
            ("ALC_DIRECTORY_ALLOW", "127.0.0.1"),
        ],
    )
    .await;

    let cookie = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = cookie
        .post(served.api("/auth/sign-in"))
        .json(&json!({"email": "logs@test.example", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = cookie
        .get(served.api("/agents?q=secret-search-term"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token = token_via_api(&served.url, "logs@test.example", password)
        .await
        .token;
    let bearer = client_with(&token);
    let r = bearer
        .put(served.api("/directory"))
        .json(
            &json!({"system": "ring_central", "base_url": "http://127.0.0.1:9",
                      "client_id": "canary-client-id", "client_secret": "canary-client-secret",
                      "jwt": "canary-jwt-credential"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = reqwest::Client::new()
        .post(served.api("/auth/sign-in"))
        .json(&json!({"email": "logs@test.example", "password": "canary wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = cookie
        .post(served.api("/me/password"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": password, "new_password": "canary new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = cookie
        .get(served.api("/nope"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-42");
    let log = served.stop().await;

    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "answered")
        .collect();
    assert!(answered.len() >= 7, "a line per request: {log}");
    let sign_in = answered
        .iter()
        .find(|l| l["span"]["route"] == "/api/v1/auth/sign-in")
        .unwrap_or_else(|| panic!("the matched route is logged: {log}"));
    assert_eq!(sign_in["span"]["method"], "POST");
    assert!(
        sign_in["status"].is_u64() && sign_in["latency_ms"].is_number(),
        "{sign_in}"
    );
    assert!(
        sign_in["span"]["request_id"].as_str().unwrap().len() >= 32,
        "{sign_in}"
    );
    assert!(
        answered
            .iter()
            .any(|l| l["span"]["request_id"] == "trace-me-42"),
        "{log}"
    );
    for secret in [
        password,
        "canary wrong password",
        "canary new passphrase",
        "canary-client-secret",
        "canary-jwt-credential",
        &token,
        &csrf,
        "secret-search-term",
        "$argon2",
    ] {
        assert!(!log.contains(secret), "the log shows {secret}: {log}");
    }
}

/// `GET /directory` as `admin`: what the console shows of the connection.
async fn directory_summary(served: &Served, admin: &reqwest::Client) -> Value {
    let r = admin.get(served.api("/directory")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// `serve` on `db` with `key` (or none) and `directory.test` allowed, and an admin's
/// client signed in with `password`.
async fn serve_keyed(db: &Path, key: Option<&Path>, password: &str) -> (Served, reqwest::Client) {
    let mut env = vec![("ALC_DIRECTORY_ALLOW", "directory.test")];
    if let Some(key) = key {
        env.push(("ALC_SECRET_KEY_FILE", key.to_str().unwrap()));
    }
    let served = Served::start(db, &[], &env).await;
    let admin = client_with(
        &token_via_api(&served.url, "keys@test.example", password)
            .await
            .token,
    );
    (served, admin)
}

#[tokio::test]
async fn directory_credentials_are_sealed_and_the_key_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/console.db");
    let dbs = db.to_str().unwrap();
    let (old, new) = (dir.path().join("old.key"), dir.path().join("new.key"));
    for key in [&old, &new] {
        let out = run(&["generate-key", key.to_str().unwrap()], "");
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("Wrote a new key"), "{}", text(&out));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let out = run(&["generate-key", old.to_str().unwrap()], "");
    assert!(
        !out.status.success(),
        "an existing key file is never overwritten"
    );
    let password = "sealing passphrase 31";
    let out = run(
        &[
            "users",
            "add",
            "--db",
            dbs,
            "--email",
            "keys@test.example",
            "--name",
            "Key Holder",
            "--role",
            "admin",
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "the folder the database is created in");
    }
    let settings = json!({"system": "ring_central", "base_url": "https://directory.test",
        "client_id": "sealed-canary-id", "client_secret": "sealed-canary-secret", "jwt": "sealed-canary-jwt"});

    // Without a key: refused, with what to do, and nothing stored.
    let (served, admin) = serve_keyed(&db, None, password).await;
    let r = admin
        .put(served.api("/directory"))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "no_secret_key");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("ALC_SECRET_KEY_FILE"),
        "{body}"
    );
    let summary = directory_summary(&served, &admin).await;
    assert_eq!(summary["system"], Value::Null, "{summary}");
    served.stop().await;

    // With the old key: stored, and no secret is in the file's bytes.
    let (served, admin) = serve_keyed(&db, Some(&old), password).await;
    let r = admin
        .put(served.api("/directory"))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    served.stop().await;
    let bytes = file_bytes(&db);
    for secret in [
        "sealed-canary-id",
        "sealed-canary-secret",
        "sealed-canary-jwt",
    ] {
        assert!(!holds(&bytes, secret), "{secret} is in the database file");
    }
    assert!(holds(&bytes, "alc-sealed:v1:"), "the sealed value is there");

    // The new key alone cannot open it: the directory says why, the rest works.
    let (served, admin) = serve_keyed(&db, Some(&new), password).await;
    let r = admin.get(served.api("/directory")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unknown_secret_key", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("rotate-key"),
        "{body}"
    );
    assert_eq!(
        admin
            .get(served.api("/licenses"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    served.stop().await;

    // rotate-key: the new key seals, the old one is no longer needed.
    let out = run(
        &[
            "rotate-key",
            "--db",
            dbs,
            "--secret-key-file",
            new.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        !out.status.success(),
        "without the old key the value cannot be opened: {}",
        text(&out)
    );
    let out = run(
        &[
            "rotate-key",
            "--db",
            dbs,
            "--secret-key-file",
            new.to_str().unwrap(),
            "--previous-secret-key-file",
            old.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Re-sealed"), "{}", text(&out));
    let (served, admin) = serve_keyed(&db, Some(&new), password).await;
    let summary = directory_summary(&served, &admin).await;
    assert_eq!(summary["base_url"], "https://directory.test", "{summary}");
    served.stop().await;

    // A key file others can read is refused at start, before serving.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(
        &[
            "check-config",
            "--db",
            dbs,
            "--secret-key-file",
            new.to_str().unwrap(),
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("chmod 600"), "{}", text(&out));
}

#[test]
fn check_config_and_migrate_explain_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let dbs = db.to_str().unwrap();
    let out = run(&["check-config", "--db", dbs], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("does not exist yet"), "{}", text(&out));
    assert!(!db.exists(), "check-config changes nothing");

    let out = run(&["migrate", "--db", dbs], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("up to date"), "{}", text(&out));
    let out = run(&["check-config", "--db", dbs], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("13 of 13 migrations applied"),
        "{}",
        text(&out)
    );

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let out = run(&["check-config", "--db", garbage.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("cannot be read as a console database"),
        "{}",
        text(&out)
    );
    let out = run(
        &["check-config", "--db", dbs, "--session-idle-minutes", "0"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "out of range: {}", text(&out));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    let loader = "import init from '/app.js'; await init();";
    std::fs::write(
        site.join("index.html"),
        format!("<!doctype html><script type=\"module\">{loader}</script><script src=\"/app.js\"></script>"),
    )
    .unwrap();
    std::fs::write(
        site.join("app.js"),
        "export default async function init() {}",
    )
    .unwrap();
    let server = alc_server::start(Config {
        site_dir: Some(site),
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    let expected_hash = {
        use base64::Engine;
        use sha2::Digest;
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader))
        )
    };
    let http = reqwest::Client::new();
    for (path, html) in [
        ("/", true),
        ("/agents?q=x", true),
        ("/app.js", false),
        ("/api/v1/licenses", false),
        ("/api/v1/nope", false),
        ("/api/v1/auth/setup", false),
        ("/healthz", false),
        ("/readyz", false),
    ] {
        let r = http
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "{path}: not over TLS"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        if html {
            assert!(
                csp.contains(&format!(
                    "script-src 'self' 'wasm-unsafe-eval' {expected_hash}"
                )),
                "{path}: {csp}"
            );
            assert!(
                csp.contains("frame-ancestors 'self'") && csp.contains("object-src 'none'"),
                "{csp}"
            );
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        }
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    }
    // A revalidated page (304) keeps its cached policy: the 304 carries none that
    // would replace it (a reload once blanked the console this way).
    let first = http
        .get(format!("{}/agents", server.url()))
        .send()
        .await
        .unwrap();
    let modified = first.headers()["last-modified"].clone();
    let again = http
        .get(format!("{}/agents", server.url()))
        .header("If-Modified-Since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(!again.headers().contains_key("content-security-policy"));
    // Over TLS at a trusted proxy: HSTS too.
    let r = http
        .get(format!("{}/", server.url()))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_demo_makes_its_own_key_in_a_private_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/console.db");
    let served = Served::start(&db, &["--demo"], &[]).await;
    let admin = client_with(
        &token_via_api(&served.url, "admin@northwind.example", "admin-demo-2026")
            .await
            .token,
    );
    // Its directory connection was sealed with that key, and opens.
    let summary = directory_summary(&served, &admin).await;
    assert_eq!(summary["system"], "ring_central", "{summary}");
    served.stop().await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&db.with_file_name("demo-secret.key")), 0o600);
    assert_eq!(mode(&db), 0o600);
    let bytes = file_bytes(&db);
    for secret in ["demo-client-secret", "demo-jwt-assertion"] {
        assert!(!holds(&bytes, secret), "{secret} is in the database file");
    }
}
