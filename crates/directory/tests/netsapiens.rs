//! The Netsapiens connector against the fake ns-api v2.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use alc_directory::netsapiens::{Auth, Netsapiens, Settings};
use alc_directory::{
    Connector, DirGroup, DirUser, DirectoryError, Http, Policy, Progress, Secret, Snapshot,
};
use alc_directory_sim::netsapiens::grants_seen;
use alc_directory_sim::{Credentials, Directory, Faults, PagingIgnored, Sim, System};

fn password() -> Auth {
    let c = Credentials::default();
    Auth::Password {
        client_id: c.client_id,
        client_secret: Secret(c.client_secret),
        username: c.username,
        password: Secret(c.password),
    }
}

fn api_key() -> Auth {
    Auth::ApiKey {
        key: Secret(Credentials::default().secret),
    }
}

/// Serves `sim` and returns settings for its domain.
async fn serve(sim: &Arc<Sim>, auth: Auth) -> Settings {
    let base_url = alc_directory_sim::serve(System::Netsapiens, sim.clone())
        .await
        .expect("serve");
    Settings {
        base_url,
        domain: sim.credentials.tenant.clone(),
        auth,
    }
}

async fn read(
    settings: Settings,
    page_size: Option<u32>,
) -> (Result<Snapshot, DirectoryError>, Arc<Progress>) {
    let progress = Arc::new(Progress::default());
    let http = Http::new(
        Policy::quick(),
        progress.clone(),
        Arc::new(alc_directory::Egress::loopback()),
    )
    .expect("http");
    let mut ns = Netsapiens::new(settings);
    if let Some(n) = page_size {
        ns = ns.with_page_size(n);
    }
    (ns.snapshot(&http).await, progress)
}

/// What the connector must read from `dir`: users keyed by extension, queues' members
/// as extensions.
fn expected(dir: &Directory) -> (Vec<DirUser>, Vec<DirGroup>) {
    let users = dir
        .people
        .iter()
        .map(|p| DirUser {
            key: p.extension.clone(),
            name: p.full_name(),
            email: p.email.clone(),
            extension: p.extension.clone(),
            status: "Enabled".into(),
        })
        .collect();
    let groups = dir
        .queues
        .iter()
        .map(|q| DirGroup {
            key: q.extension.clone(),
            name: q.name.clone(),
            extension: q.extension.clone(),
            members: q
                .members
                .iter()
                .map(|id| {
                    let p = dir.people.iter().find(|p| &p.id == id).expect("member");
                    p.extension.clone()
                })
                .collect(),
        })
        .collect();
    (users, groups)
}

/// Pages a list of `records` takes: full pages, then a shorter (maybe empty) one.
fn pages(records: usize, limit: usize) -> u32 {
    (records / limit + 1) as u32
}

fn data_requests(sim: &Sim) -> u32 {
    sim.stats.data_requests.load(Ordering::SeqCst)
}

fn token_requests(sim: &Sim) -> u32 {
    sim.stats.token_requests.load(Ordering::SeqCst)
}

#[tokio::test]
async fn reads_every_page_of_a_big_domain_exactly() {
    let dir = Directory::generated(2_350, 3, 10_000);
    let sim = Arc::new(Sim::new(dir.clone()));
    let (result, progress) = read(serve(&sim, password()).await, Some(500)).await;
    let snap = result.expect("snapshot");

    let (users, groups) = expected(&dir);
    assert_eq!(snap.users, users);
    assert_eq!(snap.groups, groups);
    // Users pages hold the people and one system user per queue.
    let expected_pages = pages(2_350 + 3, 500)
        + 1
        + dir
            .queues
            .iter()
            .map(|q| pages(q.members.len(), 500))
            .sum::<u32>();
    assert_eq!(expected_pages, 5 + 1 + 3 * 2);
    assert_eq!(data_requests(&sim), expected_pages);
    let now = progress.now();
    assert_eq!(now.pages, expected_pages);
    assert_eq!((now.users, now.groups), (2_350, 3));
    assert_eq!(token_requests(&sim), 1);
    assert_eq!(grants_seen(&sim), ["password"]);
    assert!(snap.notes.iter().any(|n| n.contains("3 system users")));
}

#[tokio::test]
async fn reads_with_an_api_key_and_no_token_request() {
    let dir = Directory::generated(300, 2, 1_000);
    let sim = Arc::new(Sim::new(dir.clone()));
    let (result, _) = read(serve(&sim, api_key()).await, Some(100)).await;
    let snap = result.expect("snapshot");
    let (users, groups) = expected(&dir);
    assert_eq!(snap.users, users);
    assert_eq!(snap.groups, groups);
    assert_eq!(token_requests(&sim), 0);
    assert!(grants_seen(&sim).is_empty());
}

#[tokio::test]
async fn an_exact_multiple_of_the_page_size_ends_on_an_empty_page() {
    // 1,998 people + 2 system users = 2,000 records at the production limit of 1,000.
    let dir = Directory::generated(1_998, 2, 10_000);
    let sim = Arc::new(Sim::new(dir.clone()));
    let (result, progress) = read(serve(&sim, password()).await, None).await;
    let snap = result.expect("snapshot");
    let (users, groups) = expected(&dir);
    assert_eq!(snap.users, users);
    assert_eq!(snap.groups, groups);
    // 3 users pages (1,000, 1,000, 0), the queues, one agents page per queue.
    assert_eq!(data_requests(&sim), 3 + 1 + 2);
    assert_eq!(progress.now().pages, 6);
}

#[tokio::test]
async fn system_users_are_skipped_and_both_email_forms_are_read() {
    let dir = Directory::generated(6, 2, 200);
    let sim = Arc::new(Sim::new(dir.clone()));
    let (result, _) = read(serve(&sim, api_key()).await, None).await;
    let snap = result.expect("snapshot");
    let keys: Vec<&str> = snap.users.iter().map(|u| u.key.as_str()).collect();
    let people: Vec<&str> = dir.people.iter().map(|p| p.extension.as_str()).collect();
    assert_eq!(keys, people);
    assert!(!keys.contains(&"3001") && !keys.contains(&"3002"));
    // The fake sends person 1 with `email-address`, person 2 with "a;b".
    assert_eq!(snap.users[1].email, dir.people[1].email);
    assert_eq!(snap.users[2].email, dir.people[2].email);
    assert!(!snap.users[2].email.contains(';'));
    assert!(snap.notes.iter().any(|n| n.contains("2 system users")));
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_with_the_refresh_token() {
    // 252 records at 100 = 3 users pages, 1 queues page, 2 × 2 agents pages: 8 requests,
    // so a token good for 3 requests expires twice.
    let dir = Directory::generated(250, 2, 1_000);
    let sim = Arc::new(Sim::new(dir.clone()).with_faults(Faults {
        token_uses: Some(3),
        ..Faults::default()
    }));
    let (result, progress) = read(serve(&sim, password()).await, Some(100)).await;
    let snap = result.expect("snapshot");
    let (users, groups) = expected(&dir);
    assert_eq!(snap.users, users);
    assert_eq!(snap.groups, groups);
    assert_eq!(sim.stats.unauthorized.load(Ordering::SeqCst), 2);
    assert_eq!(token_requests(&sim), 1 + 2);
    assert_eq!(
        grants_seen(&sim),
        ["password", "refresh_token", "refresh_token"]
    );
    assert_eq!(data_requests(&sim), 8 + 2);
    // A 401 and its retry are one page.
    assert_eq!(progress.now().pages, 8);
}

#[tokio::test]
async fn an_access_token_refused_twice_in_a_row_is_an_auth_error() {
    let sim = Arc::new(
        Sim::new(Directory::generated(10, 1, 1_000)).with_faults(Faults {
            token_uses: Some(0),
            ..Faults::default()
        }),
    );
    let (result, _) = read(serve(&sim, password()).await, None).await;
    let err = result.expect_err("refused");
    assert!(matches!(err, DirectoryError::Auth { .. }), "{err:?}");
    assert_eq!(token_requests(&sim), 2);
    assert_eq!(data_requests(&sim), 2);
}

#[tokio::test]
async fn a_refused_api_key_is_an_auth_error_at_once() {
    let sim = Arc::new(Sim::new(Directory::generated(10, 1, 1_000)));
    let key = "nsd-wrong-api-key-0123456789";
    let auth = Auth::ApiKey {
        key: Secret(key.into()),
    };
    let (result, _) = read(serve(&sim, auth).await, None).await;
    let err = result.expect_err("refused");
    assert!(matches!(err, DirectoryError::Auth { .. }), "{err:?}");
    assert_eq!(data_requests(&sim), 1);
    assert_eq!(token_requests(&sim), 0);
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(key), "{shown}");
    }
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error_that_shows_no_secret() {
    let sim = Arc::new(Sim::new(Directory::generated(10, 1, 1_000)));
    let (client_secret, wrong_password) = ("wrong-client-secret-42", "wrong-password-42");
    let auth = Auth::Password {
        client_id: "test-client".into(),
        client_secret: Secret(client_secret.into()),
        username: "test-user".into(),
        password: Secret(wrong_password.into()),
    };
    let settings = serve(&sim, auth).await;
    let shown = format!("{settings:?}");
    assert!(!shown.contains(client_secret) && !shown.contains(wrong_password));

    let (result, _) = read(settings, None).await;
    let err = result.expect_err("refused");
    assert!(matches!(err, DirectoryError::Auth { .. }), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(client_secret), "{shown}");
        assert!(!shown.contains(wrong_password), "{shown}");
    }
    assert_eq!(token_requests(&sim), 1);
    assert_eq!(data_requests(&sim), 0);

    // Right credentials, but the server refuses every token request.
    let sim = Arc::new(
        Sim::new(Directory::generated(10, 1, 1_000)).with_faults(Faults {
            refuse_credentials: true,
            ..Faults::default()
        }),
    );
    let (result, _) = read(serve(&sim, password()).await, None).await;
    let err = result.expect_err("refused");
    assert!(matches!(err, DirectoryError::Auth { .. }), "{err:?}");
    let c = Credentials::default();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(&c.password) && !shown.contains(&c.client_secret));
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let dir = Directory::generated(250, 2, 1_000);
    let sim = Arc::new(Sim::new(dir.clone()).with_faults(Faults {
        rate_limit_at: Some((2, 1)),
        ..Faults::default()
    }));
    let (result, progress) = read(serve(&sim, api_key()).await, Some(100)).await;
    let snap = result.expect("snapshot");
    assert_eq!(snap.users, expected(&dir).0);
    assert_eq!(sim.stats.rate_limited.load(Ordering::SeqCst), 1);
    let arrivals = sim.stats.arrivals.lock().unwrap().clone();
    // Request 2 was told to wait; request 3 is its retry.
    assert!(arrivals[2] - arrivals[1] >= Duration::from_secs(1));
    assert!(progress.now().waited_ms >= 1_000);
}

#[tokio::test]
async fn a_few_server_errors_are_retried() {
    let dir = Directory::generated(250, 2, 1_000);
    let sim = Arc::new(Sim::new(dir.clone()).with_faults(Faults {
        server_errors_at: Some((2, 2)),
        ..Faults::default()
    }));
    let (result, progress) = read(serve(&sim, password()).await, Some(100)).await;
    let snap = result.expect("snapshot");
    assert_eq!(snap.users, expected(&dir).0);
    assert_eq!(progress.now().retries, 2);
    assert_eq!(sim.stats.server_errors.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn permanent_server_errors_make_the_run_unavailable() {
    let sim = Arc::new(
        Sim::new(Directory::generated(250, 2, 1_000)).with_faults(Faults {
            server_errors_at: Some((1, 1_000)),
            ..Faults::default()
        }),
    );
    let (result, _) = read(serve(&sim, password()).await, Some(100)).await;
    let err = result.expect_err("unavailable");
    let attempts = Policy::quick().max_retries + 1;
    assert!(
        matches!(&err, DirectoryError::Unavailable { what, attempts: a, .. }
            if what == "users page 1" && *a == attempts),
        "{err:?}"
    );
    assert_eq!(data_requests(&sim), attempts);
}

#[tokio::test]
async fn a_malformed_page_names_the_step() {
    let sim = Arc::new(
        Sim::new(Directory::generated(250, 2, 1_000)).with_faults(Faults {
            malformed_at: Some(2),
            ..Faults::default()
        }),
    );
    let (result, _) = read(serve(&sim, api_key()).await, Some(100)).await;
    let err = result.expect_err("malformed");
    assert!(
        matches!(&err, DirectoryError::Malformed { what, .. } if what == "users page 2"),
        "{err:?}"
    );
    assert!(err.to_string().contains("users page 2"));
}

#[tokio::test]
async fn an_unknown_domain_is_refused_with_the_servers_message() {
    let sim = Arc::new(Sim::new(Directory::generated(10, 1, 1_000)));
    let mut settings = serve(&sim, api_key()).await;
    settings.domain = "no-such-domain".into();
    let (result, _) = read(settings, None).await;
    let err = result.expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Refused { status: 404, message, .. }
            if message.contains("Domain not found")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unusable_settings_are_a_config_error() {
    let good = Settings {
        base_url: "https://ns.example.com/ns-api/v2".into(),
        domain: "example".into(),
        auth: api_key(),
    };
    let bad = [
        Settings {
            base_url: "ftp://ns.example.com/ns-api/v2".into(),
            ..good.clone()
        },
        Settings {
            domain: " ".into(),
            ..good.clone()
        },
        Settings {
            auth: Auth::ApiKey {
                key: Secret(String::new()),
            },
            ..good.clone()
        },
    ];
    for settings in bad {
        let (result, _) = read(settings, None).await;
        let err = result.expect_err("config");
        assert!(matches!(err, DirectoryError::Config(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_server_that_ignores_paging_is_read_whole_or_refused() {
    // Users pages of 10 records (people, then one system user per queue).
    for (people, queues) in [(5, 1), (8, 2), (20, 3)] {
        let records = people + queues;
        for ignored in [PagingIgnored::Both, PagingIgnored::Start] {
            let dir = Directory::generated(people, queues, 200);
            let sim = Arc::new(Sim::new(dir.clone()).with_faults(Faults {
                paging_ignored: Some(ignored),
                ..Faults::default()
            }));
            let (result, _) = read(serve(&sim, api_key()).await, Some(10)).await;
            let case = format!("{records} records, {ignored:?} ignored");
            if records > 10 && ignored == PagingIgnored::Start {
                // Only the first 10 can ever be read: better no refresh than a
                // directory missing the rest.
                let err = result.expect_err(&case);
                assert!(
                    matches!(&err, DirectoryError::Malformed { what, detail }
                        if what == "user count"
                        && detail.contains("sends the same 10 users every time, but the domain has 23")),
                    "{case}: {err:?}"
                );
                continue;
            }
            let snap = result.unwrap_or_else(|e| panic!("{case}: {e}"));
            let (users, groups) = expected(&dir);
            assert_eq!(snap.users, users, "{case}");
            assert_eq!(snap.groups, groups, "{case}");
            // Exactly one page's worth asks page 2, finds page 1 again and stops; the
            // user count settles it.
            let users_requests = if records == 10 { 3 } else { 1 };
            assert_eq!(
                data_requests(&sim),
                users_requests + 1 + queues as u32,
                "{case}"
            );
        }
    }
}

#[tokio::test]
async fn a_queue_deleted_while_the_run_reads_it_is_left_out_with_a_note() {
    let dir = Directory::generated(30, 3, 200);
    let sim = Arc::new(Sim::new(dir.clone()).with_faults(Faults {
        vanished_queues: vec![dir.queues[0].id.clone()],
        ..Faults::default()
    }));
    let (result, _) = read(serve(&sim, api_key()).await, None).await;
    let snap = result.expect("snapshot");
    let (users, mut groups) = expected(&dir);
    groups.remove(0);
    assert_eq!(snap.users, users);
    assert_eq!(snap.groups, groups);
    assert_eq!(
        snap.notes,
        [
            "The call queue Queue 1 (3001) was deleted in the directory while this refresh read it: it is left out, as deleted.",
            "3 system users (call queues, auto attendants) were left out: they are not people.",
        ]
    );
}

#[tokio::test]
async fn every_request_accepts_json() {
    let dir = Directory::generated(30, 2, 200);
    let sim = Arc::new(Sim::new(dir.clone()));
    let settings = serve(&sim, password()).await;
    let (result, _) = read(settings.clone(), Some(10)).await;
    assert_eq!(result.expect("snapshot").users, expected(&dir).0);
    assert_eq!(sim.stats.not_acceptable.load(Ordering::SeqCst), 0);
    let refused = reqwest::Client::new()
        .post(format!("{}/tokens", settings.base_url))
        .header("accept", "*/*")
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 406);
    assert_eq!(sim.stats.not_acceptable.load(Ordering::SeqCst), 1);
}
