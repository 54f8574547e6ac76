//! "Refresh Users and Groups" at scale: 50,000 users in 1,000-user pages and 50 queues
//! from the RingCentral fake over loopback HTTP, through the real connector, applied
//! in one transaction, on each backend side by side (SQLite; PostgreSQL when
//! `ALC_BENCH_POSTGRES` names a server). Run by `cargo xtask bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alc_directory::{Connection, Secret, ringcentral};
use alc_directory_sim::{Directory, Sim, System};
use alc_domain::access::Role;
use alc_domain::directory::{RefreshReport, RefreshStatus};
use alc_domain::{Counts, Entitlements};
use alc_server::Config;
use alc_server::store::Database;

#[path = "../tests/common/mod.rs"]
mod common;

const USERS: usize = 50_000;
const QUEUES: usize = 50;

async fn run(http: &reqwest::Client, base: &str) -> (Duration, RefreshReport) {
    let started = Instant::now();
    let r = http
        .post(format!("{base}/directory/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let s: RefreshStatus = http
            .get(format!("{base}/directory/refresh"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s.running.is_none() {
            let report = s.last.unwrap();
            assert_eq!(report.error, None, "the refresh failed");
            return (started.elapsed(), report);
        }
    }
}

/// Targets on SQLite (issue 11): a first import and a refresh that changes nothing.
const TARGET_FIRST_S: f64 = 2.0;
const TARGET_UNCHANGED_S: f64 = 1.0;

/// One backend's figures: (label, seconds, target).
async fn measure(db: Database) -> Vec<(String, f64, Option<f64>)> {
    let mut out = Vec::new();
    let server = alc_server::start(Config {
        directory_policy: alc_directory::Policy::default(),
        ..Config::ephemeral(db)
    })
    .await
    .unwrap();
    server
        .store
        .set_entitlements(
            "Bench",
            &Entitlements {
                purchased: Counts::from_fn(|_| 1000),
                web_chat_channel: true,
            },
        )
        .await
        .unwrap();
    let sim = Arc::new(Sim::new(Directory::generated(USERS, QUEUES, 100_000)));
    let base_url = alc_directory_sim::serve(System::RingCentral, sim.clone())
        .await
        .unwrap();
    let c = sim.credentials.clone();
    server
        .store
        .set_directory_connection(
            None,
            &Connection::RingCentral(ringcentral::Settings {
                base_url,
                client_id: c.client_id,
                client_secret: Secret(c.client_secret),
                jwt: Secret(c.secret),
            }),
        )
        .await
        .unwrap();
    let token = common::bearer(&server.store, Role::Admin, "bench@test.example").await;
    let http = common::client_with(&token);
    let base = format!("{}/api/v1", server.url());

    let (first, r) = run(&http, &base).await;
    assert_eq!(r.added.total as usize, USERS);
    let data_requests = sim
        .stats
        .data_requests
        .load(std::sync::atomic::Ordering::Relaxed);
    out.push((
        format!("first import: {USERS} users + {QUEUES} queues ({data_requests} requests)"),
        first.as_secs_f64(),
        Some(TARGET_FIRST_S),
    ));

    // 1% of the directory changes: renamed, renumbered, gone.
    {
        let mut d = sim.directory.lock().unwrap();
        for (i, p) in d
            .people
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| i % 100 == 0)
        {
            p.last_name.push_str("-Renamed");
            p.extension = (900_000 + i).to_string();
        }
        d.people.truncate(USERS - 100);
    }
    let (second, r) = run(&http, &base).await;
    out.push((
        format!(
            "{} changed, {} gone of {USERS}",
            r.changed.total, r.removed.total
        ),
        second.as_secs_f64(),
        None,
    ));
    let (third, r) = run(&http, &base).await;
    assert!(r.no_changes());
    out.push((
        format!("nothing changed ({} users)", r.users_read),
        third.as_secs_f64(),
        Some(TARGET_UNCHANGED_S),
    ));
    server.stop().await.unwrap();
    out
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut columns = Vec::new();
    for (name, db) in common::bench_databases(dir.path(), "refresh").await {
        columns.push((name, measure(db.clone()).await));
        common::drop_postgres_database(&db).await;
    }
    let mut header = format!("{:<56}", "refresh");
    for (name, _) in &columns {
        header.push_str(&format!("{name:>14}"));
    }
    println!("{header}   target (SQLite)");
    for (row, (label, _, target)) in columns[0].1.iter().enumerate() {
        let mut line = format!("{label:<56}");
        for (_, figures) in &columns {
            line.push_str(&format!("{:>12.2} s", figures[row].1));
        }
        if let Some(t) = target {
            let met = columns[0].1[row].1 <= *t;
            line.push_str(&format!(
                "   ≤ {t:.1} s {}",
                if met { "(met)" } else { "(NOT met)" }
            ));
        }
        println!("{line}");
    }
    if columns.len() < 2 {
        println!("(PostgreSQL not measured: ALC_BENCH_POSTGRES is not set)");
    }
}
