//! What a sign-in flood costs the people already signed in: the p99 of `GET /licenses`
//! for a signed-in supervisor, with no flood and while 300 parallel anonymous sign-ins
//! run without pause, in one run. The real `alc-server` binary (built like the
//! benchmark) on a real SQLite file with 50,000 agents, behind a "proxy" on loopback,
//! so the flood can come from one address or from 300. Run by `cargo xtask bench`.
//!
//! Target (issue 10): the flood costs at most 2× the p99, and no more than 50 ms.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alc_domain::access::Role;
use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet, LicenseType};
use alc_server::{NewAgent, Store};

#[path = "../tests/common/mod.rs"]
mod common;
use common::free_port;

const AGENTS: usize = 50_000;
const FLOODERS: usize = 300;
const SAMPLES: usize = 1500;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and p99 of `SAMPLES` sequential `GET /licenses` with `token`, from a
/// thread and runtime of their own: the flood's tasks must not delay the measuring
/// client, only the server.
fn licenses_p99(url: String, token: String) -> (Duration, Duration) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let http = reqwest::Client::new();
            let mut times = Vec::with_capacity(SAMPLES);
            for _ in 0..SAMPLES {
                let t = Instant::now();
                let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.unwrap();
                times.push(t.elapsed());
            }
            times.sort();
            (times[SAMPLES / 2], times[SAMPLES * 99 / 100])
        })
    })
    .join()
    .unwrap()
}

#[derive(Default)]
struct Answers {
    unauthorized: AtomicU64,
    throttled: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
}

/// 300 tasks signing in as nobody without pause; `addresses` distinct client
/// addresses (the proxy's `X-Forwarded-For`).
fn flood(
    base: &str,
    addresses: usize,
    stop: Arc<AtomicBool>,
    answers: Arc<Answers>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(FLOODERS)
        .build()
        .unwrap();
    (0..FLOODERS)
        .map(|i| {
            let (http, stop, answers) = (http.clone(), stop.clone(), answers.clone());
            let url = format!("{base}/api/v1/auth/sign-in");
            // Each scenario from a range of its own (buckets take a minute to refill).
            let range = if addresses == 1 { 18 } else { 19 };
            let from = format!(
                "198.{range}.{}.{}",
                (i % addresses) / 250,
                (i % addresses) % 250 + 1
            );
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let r = http
                        .post(&url)
                        .header("X-Forwarded-For", &from)
                        .json(&serde_json::json!({
                            "email": format!("nobody-{i}-{n}@flood.example"),
                            "password": "not a password anyone has",
                        }))
                        .send()
                        .await;
                    let counter = match r.as_ref().map(|r| r.status().as_u16()) {
                        Ok(401) => &answers.unauthorized,
                        Ok(429) => &answers.throttled,
                        Ok(503) => &answers.busy,
                        _ => &answers.other,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                }
            })
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flood.db");
    let store = Store::open(&db).await.unwrap();
    let ent = Entitlements {
        purchased: Counts::from_fn(|_| AGENTS as i64),
        web_chat_channel: true,
    };
    store.set_entitlements("Flood", &ent).await.unwrap();
    let agents: Vec<NewAgent> = (0..AGENTS)
        .map(|i| NewAgent {
            name: format!("Agent {i:05} Example"),
            email: format!("agent{i}@flood.example"),
            extension: (100_000 + i).to_string(),
            source: AgentSource::Webrtc,
            licenses: if i % 3 == 0 {
                [LicenseType::Voice].into_iter().collect()
            } else {
                LicenseSet::EMPTY
            },
            directory_key: None,
        })
        .collect();
    store.insert_agents(&agents).await.unwrap();
    let password = "flood bench passphrase";
    store
        .upsert_console_user(
            "supervisor@flood.example",
            "Supervisor",
            Role::Supervisor,
            password,
        )
        .await
        .unwrap();
    store.close().await;

    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_alc-server"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args([
            "--site",
            "/nonexistent",
            "--trusted-proxy",
            "127.0.0.1",
            "--db",
        ])
        .arg(&db)
        .env("ALC_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(60), "not ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let issued: alc_domain::access::TokenIssued = http
        .post(format!("{base}/api/v1/auth/tokens"))
        .header("X-Forwarded-For", "192.0.2.10")
        .json(&serde_json::json!({"email": "supervisor@flood.example", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let licenses = format!("{base}/api/v1/licenses");
    let measure = || {
        let (url, token) = (licenses.clone(), issued.token.clone());
        tokio::task::spawn_blocking(move || licenses_p99(url, token))
    };
    measure().await.unwrap(); // warm-up

    let (quiet_median, quiet_p99) = measure().await.unwrap();
    println!(
        "GET /licenses, {AGENTS} agents, no flood:           median {:6.2} ms   p99 {:6.2} ms",
        ms(quiet_median),
        ms(quiet_p99)
    );
    for addresses in [1, FLOODERS] {
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(Answers::default());
        let flooding = Instant::now();
        let tasks = flood(&base, addresses, stop.clone(), answers.clone());
        // Let the flood reach its stride (queues full, buckets empty) before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (median, p99) = measure().await.unwrap();
        let secs = flooding.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            let _ = task.await;
        }
        let label = if addresses == 1 {
            "from 1 address".to_string()
        } else {
            format!("from {addresses} addresses")
        };
        println!(
            "GET /licenses, {FLOODERS} parallel sign-ins {label:<16} median {:6.2} ms   p99 {:6.2} ms   ({:.2}× the quiet p99, {:+.2} ms)",
            ms(median),
            ms(p99),
            ms(p99) / ms(quiet_p99),
            ms(p99) - ms(quiet_p99)
        );
        let per_sec = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / secs;
        println!(
            "    the flood's answers per second: {:.0} × 401 (password checked), {:.0} × 429, {:.0} × 503 busy, {:.0} other",
            per_sec(&answers.unauthorized),
            per_sec(&answers.throttled),
            per_sec(&answers.busy),
            per_sec(&answers.other)
        );
    }
    println!("target: the flood's p99 at most 2× the quiet p99 and no more than 50 ms above it");
    let _ = child.kill().await;
}
