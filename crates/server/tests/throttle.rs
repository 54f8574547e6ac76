//! Sign-in under guessing and flooding: a parallel burst gets no more password checks
//! than the limits allow, a flood from one address does not lock the real user out
//! from another, and anonymous attempts cannot grow the database.

mod common;

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use alc_server::Config;
use reqwest::StatusCode;
use serde_json::json;

/// The demo, behind a "proxy" on loopback whose `X-Forwarded-For` is believed, so that
/// a test can speak for several client addresses (documentation ranges, never dialled).
async fn behind_proxy() -> (alc_server::Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let server = alc_server::start(Config {
        demo: true,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    (server, dir)
}

async fn attempt(
    http: &reqwest::Client,
    server: &alc_server::Running,
    from: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    http.post(format!("{}/api/v1/auth/sign-in", server.url()))
        .header("X-Forwarded-For", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_wrong_passwords_reach_the_hash_three_times() {
    let (server, _dir) = behind_proxy().await;
    let server = Arc::new(server);
    let http = reqwest::Client::new();
    let before = server.store.password_checks();
    let burst = (0..30).map(|i| {
        let (http, server) = (http.clone(), server.clone());
        tokio::spawn(async move {
            let r = attempt(
                &http,
                &server,
                "203.0.113.5",
                "supervisor@northwind.example",
                &format!("guess {i}"),
            )
            .await;
            (r.status(), r.headers().get("retry-after").cloned())
        })
    });
    let answers = futures::future::join_all(burst).await;
    let checked = server.store.password_checks() - before;
    assert_eq!(checked, 3, "password checks made for a burst of 30");
    let refused: Vec<_> = answers
        .iter()
        .map(|a| a.as_ref().unwrap())
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(refused.len(), 27, "{answers:?}");
    assert!(
        refused.iter().all(|(_, retry)| retry.is_some()),
        "each 429 says when to retry"
    );
    let unauthorized = answers
        .iter()
        .filter(|a| a.as_ref().unwrap().0 == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(unauthorized, 3);
    Arc::try_unwrap(server).ok().unwrap().stop().await.unwrap();
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_keep_the_user_out_from_another() {
    let (server, _dir) = behind_proxy().await;
    let http = reqwest::Client::new();
    // The flood at once (a refusal is held a second before it is sent); while it is
    // being answered, the right password from each address.
    let before = server.store.password_checks();
    let guesses: Vec<String> = (0..15).map(|i| format!("guess {i}")).collect();
    let flood = futures::future::join_all(guesses.iter().map(|guess| {
        attempt(
            &http,
            &server,
            "203.0.113.5",
            "supervisor@northwind.example",
            guess,
        )
    }));
    let right_password_from_the_flood = async {
        // Once the three free checks are taken, the attacker's address must wait...
        while server.store.password_checks() < before + 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        attempt(
            &http,
            &server,
            "203.0.113.5",
            "supervisor@northwind.example",
            "supervisor-demo-2026",
        )
        .await
    };
    let (answers, r) = tokio::join!(flood, right_password_from_the_flood);
    for a in answers {
        assert!(matches!(
            a.status(),
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
        ));
    }
    // ...even with the right password.
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...the supervisor at their desk does not.
    let r = attempt(
        &http,
        &server,
        "198.51.100.7",
        "supervisor@northwind.example",
        "supervisor-demo-2026",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_thousand_anonymous_attempts_leave_the_tables_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = alc_server::start(Config::ephemeral(
        common::database(dir.path().join("console.db")).await,
    ))
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let started = Instant::now();
    let before_checks = server.store.password_checks();
    let (mut limited, mut refused) = (0, 0);
    // 200 at a time: a refusal is held a second before it is sent, so one after the
    // other would take a quarter of an hour.
    let url = format!("{}/api/v1/auth/sign-in", server.url());
    let answers: Vec<StatusCode> = futures::stream::iter(0..1000)
        .map(|i| {
            // 254 bytes: the longest email there is.
            let local = format!("{i:04}{}", "x".repeat(60));
            let email = format!("{local}@{}.example", "d".repeat(254 - local.len() - 9));
            assert_eq!(email.len(), 254);
            let request = http
                .post(&url)
                .header("X-Forwarded-For", format!("198.51.100.{}", i % 250))
                .json(&json!({"email": email, "password": "whatever it is"}));
            async move { request.send().await.unwrap().status() }
        })
        .buffer_unordered(200)
        .collect()
        .await;
    for status in answers {
        match status {
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            StatusCode::UNAUTHORIZED => refused += 1,
            other => panic!("{other}"),
        }
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    // One address (the header is not believed without a trusted proxy): 20 at once,
    // then 20 a minute; two throttling rows for each attempt that got through.
    let allowed = 20.0 + 20.0 * minutes + 1.0;
    assert!(
        f64::from(refused) <= allowed,
        "{refused} got through in {minutes:.2} min"
    );
    assert_eq!(limited + refused, 1000);
    let rows = server.store.sign_in_failure_rows().await.unwrap();
    println!(
        "1,000 anonymous attempts: {refused} checked, {limited} refused with 429, {rows} rows"
    );
    assert!(rows as f64 <= 2.0 * allowed, "{rows} rows");
    assert!((server.store.password_checks() - before_checks) as f64 <= allowed);
    // Old rows are swept by age; nothing younger goes.
    assert_eq!(server.store.sweep_sign_in_throttle().await.unwrap(), 0);
    server.stop().await.unwrap();
}
