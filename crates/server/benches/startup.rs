//! How long `alc-server serve` takes to be ready (first 200 from `/readyz`), from the
//! process's start, on an empty database and on one with 50,000 agents. The real
//! binary, built like the benchmark; medians of 7 starts. Run by `cargo xtask bench`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use alc_domain::{AgentSource, LicenseSet, LicenseType};
use alc_server::NewAgent;

#[path = "../tests/common/mod.rs"]
mod common;
use common::free_port;

const AGENTS: usize = 50_000;
const STARTS: usize = 7;

/// One start: spawn, poll `/readyz` every 2 ms until it answers 200, stop.
async fn start_once(db: &std::path::Path) -> Duration {
    let port = free_port();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_alc-server"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--site",
            "/nonexistent",
            "--db",
        ])
        .arg(db)
        .env("ALC_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let ready = loop {
        if let Ok(r) = client.get(&url).send().await
            && r.status().is_success()
        {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not ready within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let _ = child.kill().await;
    ready
}

async fn median_start(db: &std::path::Path) -> Duration {
    let mut times = Vec::new();
    for _ in 0..STARTS {
        times.push(start_once(db).await);
    }
    times.sort();
    times[STARTS / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    // The first start creates and migrates the file; the measured ones find it ready,
    // as every start after an installation's first does.
    start_once(&empty).await;
    let full = dir.path().join("full.db");
    let store = alc_server::Store::open(&full).await.unwrap();
    let agents: Vec<NewAgent> = (0..AGENTS)
        .map(|i| NewAgent {
            name: format!("Agent {i:05} Example"),
            email: format!("agent{i}@startup.example"),
            extension: (100_000 + i).to_string(),
            source: if i % 2 == 0 {
                AgentSource::Webrtc
            } else {
                AgentSource::RingCentral
            },
            licenses: if i % 3 == 0 {
                [LicenseType::Voice].into_iter().collect()
            } else {
                LicenseSet::EMPTY
            },
            directory_key: (i % 2 == 1).then(|| format!("rc-{i}")),
        })
        .collect();
    store.insert_agents(&agents).await.unwrap();
    store.close().await;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "serve to ready, empty database        median {:7.1} ms  ({STARTS} starts)",
        ms(median_start(&empty).await)
    );
    println!(
        "serve to ready, {AGENTS} agents        median {:7.1} ms  ({STARTS} starts)",
        ms(median_start(&full).await)
    );
}
