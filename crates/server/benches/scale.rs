//! The API at scale: 50,000 agents in a real SQLite file, the real server on loopback,
//! timed request by request. Run by `cargo xtask bench`; prints medians and p95s.

use std::time::{Duration, Instant};

use alc_domain::access::Role;
use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet, LicenseType};
use alc_server::{Config, NewAgent};

#[path = "../tests/common/mod.rs"]
mod common;

const AGENTS: usize = 50_000;
const ROUNDS: usize = 40;

fn stats(mut d: Vec<Duration>) -> String {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    format!(
        "median {:6.2} ms   p95 {:6.2} ms",
        ms(d[d.len() / 2]),
        ms(d[d.len() * 95 / 100])
    )
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = alc_server::start(Config::ephemeral(dir.path().join("scale.db")))
        .await
        .unwrap();
    let ent = Entitlements {
        purchased: Counts::from_fn(|_| AGENTS as i64),
        web_chat_channel: true,
    };
    server.store.set_entitlements("Scale", &ent).await.unwrap();
    let started = Instant::now();
    let agents: Vec<NewAgent> = (0..AGENTS)
        .map(|i| NewAgent {
            name: format!("Agent {i:05} Example"),
            email: format!("agent{i}@scale.example"),
            // WebRTC agents fill 4000–28999 (so 4000–4999 is full); phone users 100000 and up.
            extension: if i % 2 == 0 {
                (4000 + i / 2).to_string()
            } else {
                (100_000 + i).to_string()
            },
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
    server.store.insert_agents(&agents).await.unwrap();
    println!(
        "seeded {AGENTS} agents in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let token = common::bearer(&server.store, Role::Admin, "bench@test.example").await;
    let http = common::client_with(&token);
    let base = format!("{}/api/v1", server.url());
    for (label, path) in [
        ("GET /licenses", "/licenses"),
        ("GET /agents (first page of 50)", "/agents"),
        ("GET /agents?page=900 (deep page)", "/agents?page=900"),
        ("GET /agents?q=07 (search)", "/agents?q=07"),
        ("GET /agents/next-extension", "/agents/next-extension"),
        (
            "GET /agents/availability",
            "/agents/availability?email=agent7%40scale.example&extension=4100",
        ),
    ] {
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let _ = r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        println!("{label:<40} {}", stats(times));
    }
    let suggestion: serde_json::Value = http
        .get(format!("{base}/agents/next-extension"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    println!(
        "next free WebRTC extension with 4000–4999 full: {}",
        suggestion["extension"]
    );
    server.stop().await.unwrap();
}
