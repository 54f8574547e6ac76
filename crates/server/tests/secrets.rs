//! Directory credentials at rest: sealed before they are written, and credentials a
//! previous version stored in plaintext are sealed at the next start with a key,
//! leaving no trace of them in the file.

mod common;

use alc_directory::{Connection, Secret};
use alc_server::secrets::Keyring;
use alc_server::{Config, Store};
use common::{file_bytes, holds, stored_bytes};
use serde_json::json;

#[tokio::test]
async fn plaintext_from_a_previous_version_is_sealed_at_start_without_a_trace() {
    if common::postgres().is_some() {
        // Versions before sealing ran on SQLite only: no PostgreSQL database ever held
        // plaintext credentials to migrate.
        eprintln!("SQLite only: no PostgreSQL database predates sealing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    // What a version before sealing wrote: the connection as JSON.
    let store = Store::open(&db).await.unwrap();
    store.close().await;
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let plain = json!({"system": "netsapiens", "base_url": "https://pbx.example.net",
            "domain": "legacy-canary-domain", "auth": {"kind": "api_key", "key": "legacy-canary-key"}});
        sqlx::query("INSERT INTO directory_connection (id, settings) VALUES (1, ?)")
            .bind(plain.to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    assert!(
        holds(&file_bytes(&db), "legacy-canary-key"),
        "the test's premise"
    );

    // Without a key, it is still read (and the log says to set one).
    let store = Store::open(&db).await.unwrap();
    assert!(store.has_plaintext_secrets().await.unwrap());
    store.close().await;

    let keys = Keyring::ephemeral();
    let server = alc_server::start(Config {
        secret_keys: keys.clone(),
        ..Config::ephemeral(db.clone())
    })
    .await
    .unwrap();
    let conn = server.store.directory_connection().await.unwrap().unwrap();
    match conn {
        Connection::Netsapiens(s) => {
            assert_eq!(s.domain, "legacy-canary-domain");
            assert!(matches!(&s.auth,
                alc_directory::netsapiens::Auth::ApiKey { key } if *key == Secret("legacy-canary-key".into())));
        }
        other => panic!("{other:?}"),
    }
    assert!(!server.store.has_plaintext_secrets().await.unwrap());
    server.stop().await.unwrap();
    let bytes = file_bytes(&db);
    for secret in ["legacy-canary-key", "legacy-canary-domain"] {
        assert!(!holds(&bytes, secret), "{secret} is still in the file");
    }
}

#[tokio::test]
async fn a_lost_key_loses_only_the_credentials_an_admin_enters_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::database(dir.path().join("console.db")).await;
    let conn = |secret: &str| -> Connection {
        serde_json::from_value(
            json!({"system": "ring_central", "base_url": "http://127.0.0.1:9",
            "client_id": "id", "client_secret": secret, "jwt": "jwt"}),
        )
        .unwrap()
    };
    let first = alc_server::start(Config::ephemeral(db.clone()))
        .await
        .unwrap();
    first
        .store
        .set_directory_connection(None, &conn("sealed-with-the-lost-key"))
        .await
        .unwrap();
    first.stop().await.unwrap();
    // Another key: the old value cannot be opened, and a new one replaces it.
    let second = alc_server::start(Config::ephemeral(db.clone()))
        .await
        .unwrap();
    assert!(second.store.directory_connection().await.is_err());
    let token = common::bearer(
        &second.store,
        alc_domain::access::Role::Admin,
        "admin@test.example",
    )
    .await;
    let r = common::client_with(&token)
        .put(format!("{}/api/v1/directory", second.url()))
        .json(
            &json!({"system": "ring_central", "base_url": "http://127.0.0.1:9",
            "client_id": "id", "client_secret": "entered-again", "jwt": "jwt"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        reqwest::StatusCode::OK,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        second.store.directory_connection().await.unwrap(),
        Some(conn("entered-again"))
    );
    second.stop().await.unwrap();
}

#[tokio::test]
async fn a_pending_switch_is_sealed_and_follows_the_key_rotation() {
    use alc_server::secrets::Key;
    use alc_server::store::access::Actor;
    let dir = tempfile::tempdir().unwrap();
    let db = common::database(dir.path().join("console.db")).await;
    let netsapiens = |base_url: &str, domain: &str| -> Connection {
        serde_json::from_value(json!({"system": "netsapiens", "base_url": base_url,
            "domain": domain, "auth": {"kind": "api_key", "key": "k"}}))
        .unwrap()
    };
    let admin = Actor {
        id: None,
        name: "Test".into(),
    };
    let (old_key, old_text) = Key::generate();
    let (_, new_text) = Key::generate();
    let key = |text: &str| Key::from_base64(text).unwrap();
    let start = |keys: Keyring| {
        alc_server::start(Config {
            secret_keys: keys,
            ..Config::ephemeral(db.clone())
        })
    };

    let first = start(Keyring::new(Some(old_key), Vec::new()))
        .await
        .unwrap();
    for conn in [
        netsapiens("https://a.example.net", "switch-canary-old-domain"),
        netsapiens("https://b.example.net", "new-domain"),
    ] {
        first
            .store
            .set_directory_connection(Some(&admin), &conn)
            .await
            .unwrap();
    }
    let pending = first.store.pending_switch().await.unwrap().unwrap();
    assert_eq!(pending.account, "switch-canary-old-domain");
    first.stop().await.unwrap();
    assert!(!holds(&stored_bytes(&db).await, "switch-canary-old-domain"));

    // Rotated at the next start (the new key seals, the old one opens) ...
    let second = start(Keyring::new(Some(key(&new_text)), vec![key(&old_text)]))
        .await
        .unwrap();
    second.stop().await.unwrap();
    // ... so that the old key is no longer needed for it either.
    let third = start(Keyring::new(Some(key(&new_text)), Vec::new()))
        .await
        .unwrap();
    assert_eq!(third.store.pending_switch().await.unwrap(), Some(pending));
    third.stop().await.unwrap();
}
