//! Calls out to directories go only where they may: public `https://` addresses, or
//! what the operator allows. An admin cannot point the console at the server's own
//! network (saving is refused, and so is every connection, however the name resolves
//! by then), redirects are not followed, and a supervisor's report never says what
//! answers at an address.

mod common;

use alc_domain::ErrorCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alc_directory::Connection;
use alc_domain::access::Role;
use alc_domain::directory::{RefreshReport, RefreshStatus};
use alc_server::Config;
use alc_server::store::access::Actor;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Console {
    server: alc_server::Running,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Console {
    async fn start(allow: &[&str]) -> Console {
        let dir = tempfile::tempdir().unwrap();
        let server = alc_server::start(Config {
            directory_allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
            ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
        })
        .await
        .unwrap();
        let token = common::bearer(&server.store, Role::Admin, "admin@test.example").await;
        Console {
            server,
            http: common::client_with(&token),
            _dir: dir,
        }
    }

    async fn put_directory(&self, base_url: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .put(format!("{}/api/v1/directory", self.server.url()))
            .json(&ring_central(base_url))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// Stores a connection as if it had been saved when its name still resolved
    /// elsewhere: the connection-time check must stand alone.
    async fn store_directly(&self, base_url: &str) {
        let conn: Connection = serde_json::from_value(ring_central(base_url)).unwrap();
        self.server
            .store
            .set_directory_connection(None::<&Actor>, &conn)
            .await
            .unwrap();
    }

    async fn refresh(&self) -> RefreshReport {
        let url = format!("{}/api/v1/directory/refresh", self.server.url());
        let r = self.http.post(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        for _ in 0..400 {
            let s: RefreshStatus = self
                .http
                .get(&url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if s.running.is_none() {
                return s.last.expect("a report");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the refresh did not end");
    }
}

fn ring_central(base_url: &str) -> Value {
    json!({"system": "ring_central", "base_url": base_url, "client_id": "canary-id",
           "client_secret": "canary-secret", "jwt": "canary-jwt"})
}

/// A listener that counts the connections it accepts and answers each with `answer`.
async fn listener(ip: &str, answer: String) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            seen2.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn addresses_inside_the_network_are_refused_when_saved() {
    let c = Console::start(&[]).await;
    for url in [
        "https://127.0.0.1:22",
        "https://10.0.0.1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443",
        "https://[::ffff:127.0.0.1]",
        // A name that resolves to 127.0.0.1.
        "https://localhost:8443",
        // Any http:// address, public or not.
        "http://platform.ringcentral.com",
        "http://127.0.0.1:9",
        "ftp://x",
    ] {
        let (status, body) = c.put_directory(url).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["code"], "invalid_directory", "{url}");
        assert_eq!(body["fields"][0]["field"], "base_url", "{url}");
        let message = body["fields"][0]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{url}");
    }
    let (_, body) = c.put_directory("https://localhost:8443").await;
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("localhost resolves to"),
        "{body}"
    );
    assert_eq!(c.server.store.directory_connection().await.unwrap(), None);
    c.server.stop().await.unwrap();
}

#[tokio::test]
async fn the_operator_allow_list_admits_named_hosts_and_ranges() {
    let c = Console::start(&["127.0.0.1", "localhost"]).await;
    for url in ["http://127.0.0.1:9", "http://localhost:9"] {
        let (status, body) = c.put_directory(url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
    }
    let (status, _) = c.put_directory("http://127.0.0.2:9").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "127.0.0.2 is not listed"
    );
    c.server.stop().await.unwrap();
}

#[tokio::test]
async fn every_connection_is_checked_not_only_the_saved_address() {
    let c = Console::start(&[]).await;
    let (url, seen) = listener(
        "127.0.0.1",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(),
    )
    .await;
    let port = url.rsplit(':').next().unwrap();
    for stored in [
        // A name that resolved elsewhere when saved and now to loopback (rebinding).
        format!("https://localhost:{port}"),
        // A literal never reaches a resolver: the request's own check refuses it.
        format!("https://127.0.0.1:{port}"),
    ] {
        c.store_directly(&stored).await;
        let report = c.refresh().await;
        let error = report.error.expect("the refresh failed");
        assert_eq!(error.code, ErrorCode::DirectoryBlocked, "{stored}");
        assert!(error.message.contains("not allowed"), "{}", error.message);
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "no connection was made");
    c.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_other_host_never_sees_the_credential() {
    // Both hosts allowed: only the redirect rule stands between them.
    let c = Console::start(&["127.0.0.0/8"]).await;
    let (elsewhere, seen_elsewhere) = listener(
        "127.0.0.2",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(),
    )
    .await;
    let (directory, seen_directory) = listener(
        "127.0.0.1",
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/restapi/oauth/token\r\nContent-Length: 30\r\n\r\nsecret-body-of-the-directory!!"
        ),
    )
    .await;
    let (status, body) = c.put_directory(&directory).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = c.refresh().await;
    let error = report.error.expect("the refresh failed");
    assert!(
        error
            .message
            .starts_with("Nothing was changed: the directory refused")
            && !error.message.contains("secret-body"),
        "{}",
        error.message
    );
    assert!(seen_directory.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        seen_elsewhere.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    c.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_report_says_the_directory_did_not_answer_not_what_the_socket_said() {
    let c = Console::start(&["127.0.0.1"]).await;
    // Nothing listens on port 9 (discard) here: the connection is refused.
    let (status, _) = c.put_directory("http://127.0.0.1:9").await;
    assert_eq!(status, StatusCode::OK);
    let report = c.refresh().await;
    let error = report.error.expect("the refresh failed");
    assert_eq!(error.code, ErrorCode::DirectoryUnavailable);
    assert_eq!(
        error.message,
        "Nothing was changed: the directory did not answer. Try again later."
    );
    c.server.stop().await.unwrap();
}
