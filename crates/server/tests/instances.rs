//! Several console servers on one database, as separate processes: what a load balancer
//! in front of two `alc-server serve` on one PostgreSQL must never show (more seats
//! assigned than bought, two refreshes at once, a lock held by a dead server), and what
//! a crash must never lose, on each backend.

mod common;

use std::sync::Arc;
use std::time::Duration;

use alc_directory_sim::{Credentials, Directory, Faults, Sim, System};
use alc_domain::access::Role;
use alc_domain::*;
use alc_server::store::Database;
use alc_server::{NewAgent, Store};
use common::{Served, bearer, client_with, database, postgres};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An account on `db` with `purchased` Voice seats (the other types: plenty), `licensed`
/// agents holding Voice and `free` without, and an admin's token that every server on
/// the database accepts.
async fn seed(db: &Database, purchased: i64, licensed: usize, free: usize) -> String {
    let store = Store::open(db).await.unwrap();
    let ent = Entitlements {
        purchased: Counts::from_fn(|t| {
            if t == LicenseType::Voice {
                purchased
            } else {
                1000
            }
        }),
        web_chat_channel: true,
    };
    store.set_entitlements("Test", &ent).await.unwrap();
    let agents: Vec<NewAgent> = (0..licensed + free)
        .map(|i| NewAgent {
            name: format!("Agent {i:03}"),
            email: format!("agent{i}@test.example"),
            extension: (4000 + i).to_string(),
            source: AgentSource::Webrtc,
            licenses: if i < licensed {
                LicenseSet::EMPTY.with(LicenseType::Voice, true)
            } else {
                LicenseSet::EMPTY
            },
            directory_key: None,
        })
        .collect();
    store.insert_agents(&agents).await.unwrap();
    let token = bearer(&store, Role::Admin, "admin@test.example").await;
    store.close().await;
    token
}

async fn agents(server: &Served, http: &reqwest::Client) -> Vec<Agent> {
    common::every_agent(http, &server.api(""), "").await
}

async fn summary(server: &Served, http: &reqwest::Client) -> LicenseSummary {
    let r = http.get(server.api("/licenses")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn voice(s: &LicenseSummary) -> (i64, i64) {
    let v = s
        .licenses
        .iter()
        .find(|l| l.license == LicenseType::Voice)
        .unwrap();
    (v.assigned, v.purchased)
}

#[tokio::test]
async fn two_servers_on_one_postgresql_hand_out_exactly_the_last_seven_seats() {
    let Some(_) = postgres() else {
        eprintln!("PostgreSQL only: one SQLite file has one server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path().join("console.db")).await;
    let token = seed(&db, 20, 13, 40).await;
    let url = db_arg(&db);
    let (a, b) = tokio::join!(Served::start(&url, &[], &[]), Served::start(&url, &[], &[]));
    let http = client_with(&token);
    let free: Vec<Agent> = agents(&a, &http)
        .await
        .into_iter()
        .filter(|x| x.licenses.is_empty())
        .collect();
    assert_eq!(free.len(), 40);
    // 40 clients, half on each server, each asking Voice for its own agent at once.
    let asks = free.iter().enumerate().map(|(i, agent)| {
        let server = if i % 2 == 0 { &a } else { &b };
        let http = http.clone();
        let change = LicenseChange {
            agent_id: agent.id,
            license: LicenseType::Voice,
            assigned: true,
            version: agent.version,
        };
        async move {
            let r = http
                .post(server.api("/license-changes"))
                .json(&LicenseChangeBatch {
                    changes: vec![change],
                })
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            (status, body)
        }
    });
    let answers = futures::future::join_all(asks).await;
    let granted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    for (status, body) in &answers {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status} {body}"
        );
    }
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!(granted, 7, "exactly the 7 seats left: {statuses:?}");
    // Both servers count the same, and the count is the rows'.
    for server in [&a, &b] {
        assert_eq!(voice(&summary(server, &http).await), (20, 20));
    }
    let holding = agents(&b, &http)
        .await
        .iter()
        .filter(|x| x.licenses.has(LicenseType::Voice))
        .count();
    assert_eq!(holding, 20);
    a.stop().await;
    b.stop().await;
}

/// The account's directory: a RingCentral fake whose first data request waits `secs`
/// (a run that takes that long), saved through `server`.
async fn slow_directory(server: &Served, http: &reqwest::Client, secs: u64) -> Arc<Sim> {
    let sim = Arc::new(
        Sim::new(Directory::generated(30, 2, 2001))
            .with_faults(Faults {
                rate_limit_at: Some((1, secs)),
                ..Faults::default()
            })
            .with_credentials(Credentials::default()),
    );
    let base_url = alc_directory_sim::serve(System::RingCentral, sim.clone())
        .await
        .unwrap();
    let c = &sim.credentials;
    let r = http
        .put(server.api("/directory"))
        .json(&json!({
            "system": "ring_central", "base_url": base_url, "client_id": c.client_id,
            "client_secret": c.client_secret, "jwt": c.secret,
        }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(status, StatusCode::OK, "{}", r.text().await.unwrap());
    sim
}

async fn post_refresh(server: &Served, http: &reqwest::Client) -> (StatusCode, Value) {
    let r = http
        .post(server.api("/directory/refresh"))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn refresh_status(server: &Served, http: &reqwest::Client) -> Value {
    http.get(server.api("/directory/refresh"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn db_arg(db: &Database) -> String {
    match db {
        Database::Sqlite(p) => p.display().to_string(),
        Database::Postgres(url) => url.clone(),
    }
}

#[tokio::test]
async fn one_refresh_at_a_time_across_servers_and_a_killed_server_leaves_no_lock() {
    let Some(_) = postgres() else {
        eprintln!("PostgreSQL only: one SQLite file has one server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path().join("console.db")).await;
    let token = seed(&db, 10, 0, 3).await;
    let key = dir.path().join("secret.key");
    alc_server::secrets::Key::create_file(&key).unwrap();
    let env = [
        ("ALC_SECRET_KEY_FILE", key.to_str().unwrap()),
        ("ALC_DIRECTORY_ALLOW", "127.0.0.1"),
    ];
    let url = db_arg(&db);
    let (a, b) = tokio::join!(
        Served::start(&url, &[], &env),
        Served::start(&url, &[], &env)
    );
    let http = client_with(&token);
    let _sim = slow_directory(&a, &http, 30).await;

    let (status, body) = post_refresh(&a, &http).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // The other server refuses a second run and shows the first one's progress.
    let (status, body) = post_refresh(&b, &http).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "refresh_running");
    let started = body["message"].as_str().unwrap().to_string();
    assert!(started.contains("already running (started 20"), "{started}");
    let seen = refresh_status(&b, &http).await;
    assert_eq!(seen["running"]["phase"], "reading", "{seen}");

    // Killed mid-run: PostgreSQL drops its lock with its connection.
    a.kill9().await;
    let mut started_again = None;
    for _ in 0..100 {
        let (status, body) = post_refresh(&b, &http).await;
        if status == StatusCode::ACCEPTED {
            started_again = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = started_again.expect("the other server can start a refresh within 10 s");
    assert_eq!(body["running"]["phase"], "reading", "{body}");
    b.stop().await;
}

#[tokio::test]
async fn a_killed_server_loses_no_answered_batch_and_its_counts_match_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path().join("console.db")).await;
    let token = seed(&db, 1000, 0, 32).await;
    let url = db_arg(&db);
    let server = Served::start(&url, &[], &[]).await;
    let http = client_with(&token);
    let list = agents(&server, &http).await;
    // 16 clients, each toggling Voice on two agents of its own as fast as it can,
    // remembering what the server said yes to.
    let api = server.api("/license-changes");
    let clients = list.chunks(2).map(|mine| {
        let http = http.clone();
        let api = api.clone();
        let mut mine: Vec<(AgentId, Version, bool)> =
            mine.iter().map(|a| (a.id, a.version, false)).collect();
        async move {
            let mut acked: Vec<(AgentId, Version, bool)> = Vec::new();
            'run: for round in 0.. {
                let i = round % mine.len();
                let (id, version, holds) = mine[i];
                let sent = http
                    .post(&api)
                    .json(&LicenseChangeBatch {
                        changes: vec![LicenseChange {
                            agent_id: id,
                            license: LicenseType::Voice,
                            assigned: !holds,
                            version,
                        }],
                    })
                    .send()
                    .await;
                let Ok(r) = sent else { break 'run };
                if r.status() != StatusCode::OK {
                    break 'run;
                }
                let Ok(done) = r.json::<LicenseChangeResult>().await else {
                    break 'run;
                };
                let now = done.agents.iter().find(|a| a.id == id).unwrap();
                mine[i] = (id, now.version, !holds);
                acked.push(mine[i]);
            }
            acked
        }
    });
    let burst = tokio::spawn(futures::future::join_all(clients));
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill9().await;
    let acked: Vec<(AgentId, Version, bool)> = burst.await.unwrap().into_iter().flatten().collect();
    assert!(acked.len() > 20, "the burst ran: {} answered", acked.len());

    let again = Served::start(&url, &[], &[]).await;
    let now = agents(&again, &http).await;
    for (id, version, holds) in &acked {
        let a = now.iter().find(|a| a.id == *id).unwrap();
        // The agent is at the answered version, or at a later one a batch in flight
        // wrote; at that version it holds what the answer said.
        assert!(a.version >= *version, "{a:?} lost a batch answered 200");
        if a.version == *version {
            assert_eq!(a.licenses.has(LicenseType::Voice), *holds, "{a:?}");
        }
    }
    let rows = now
        .iter()
        .filter(|a| a.licenses.has(LicenseType::Voice))
        .count() as i64;
    assert_eq!(voice(&summary(&again, &http).await).0, rows);
    again.stop().await;
}

#[tokio::test]
async fn two_servers_starting_at_once_on_an_empty_database_migrate_and_seed_it_once() {
    let Some(_) = postgres() else {
        eprintln!("PostgreSQL only: one SQLite file has one server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path().join("console.db")).await;
    // The files the demo keeps beside its database (for PostgreSQL: in data/), made
    // beforehand so that only the database is raced for.
    let key = dir.path().join("secret.key");
    alc_server::secrets::Key::create_file(&key).unwrap();
    alc_server::demo::portal::Portal::open(&db.files_dir()).unwrap();
    let env = [("ALC_SECRET_KEY_FILE", key.to_str().unwrap())];
    let url = db_arg(&db);
    let (a, b) = tokio::join!(
        Served::start(&url, &["--demo"], &env),
        Served::start(&url, &["--demo"], &env)
    );
    let store = Store::open(&db).await.unwrap();
    let token = bearer(&store, Role::Admin, "checker@test.example").await;
    let http = client_with(&token);
    let seen = agents(&b, &http).await;
    let expected = alc_server::demo::agents().len();
    assert_eq!(seen.len(), expected, "the demo's agents, once");
    let mut emails: Vec<&str> = seen.iter().map(|a| a.email.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), expected);
    assert_eq!(
        voice(&summary(&a, &http).await),
        voice(&summary(&b, &http).await)
    );
    store.close().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn sign_in_limits_hold_across_servers() {
    let Some(_) = postgres() else {
        eprintln!("PostgreSQL only: one SQLite file has one server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path().join("console.db")).await;
    let store = Store::open(&db).await.unwrap();
    store
        .upsert_console_user(
            "sam@test.example",
            "Sam Supervisor",
            Role::Supervisor,
            "correct horse battery",
        )
        .await
        .unwrap();
    store.close().await;
    let url = db_arg(&db);
    let (a, b) = tokio::join!(Served::start(&url, &[], &[]), Served::start(&url, &[], &[]));
    // Twelve wrong passwords at once, six to each server: the limits live in the
    // database, so only the first three are checked between them.
    let http = reqwest::Client::new();
    let guesses = (0..12).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        let http = http.clone();
        async move {
            http.post(server.api("/auth/sign-in"))
                .json(&json!({"email": "sam@test.example", "password": format!("guess {i}")}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, limited), (3, 9), "{statuses:?}");
    a.stop().await;
    b.stop().await;
}
