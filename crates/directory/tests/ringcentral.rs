//! The RingCentral / Avaya Cloud Office connector against the fake platform.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use alc_directory::ringcentral::{Brand, MAX_PAGE_SIZE, RingCentral, Settings};
use alc_directory::{
    Connector, DirGroup, DirUser, DirectoryError, Http, Policy, Progress, Secret, Snapshot,
};
use alc_directory_sim::ringcentral::ACO_TENANT;
use alc_directory_sim::{Credentials, Directory, Faults, OtherExtension, Sim, System, basic_auth};

struct Run {
    sim: Arc<Sim>,
    settings: Settings,
    brand: Brand,
    page_size: u32,
}

impl Run {
    async fn new(directory: Directory, faults: Faults, page_size: u32) -> Run {
        Run::with(directory, faults, Credentials::default(), page_size).await
    }

    async fn with(
        directory: Directory,
        faults: Faults,
        accepted: Credentials,
        page_size: u32,
    ) -> Run {
        let sim = Arc::new(
            Sim::new(directory)
                .with_faults(faults)
                .with_credentials(accepted),
        );
        let base_url = alc_directory_sim::serve(System::RingCentral, sim.clone())
            .await
            .expect("fake server");
        let c = &sim.credentials;
        let settings = Settings {
            base_url,
            client_id: c.client_id.clone(),
            client_secret: Secret(c.client_secret.clone()),
            jwt: Secret(c.secret.clone()),
        };
        Run {
            sim,
            settings,
            brand: Brand::RingCentral,
            page_size,
        }
    }

    async fn snapshot(&self) -> (Result<Snapshot, DirectoryError>, Arc<Progress>) {
        let progress = Arc::new(Progress::default());
        let http = Http::new(
            Policy::quick(),
            progress.clone(),
            Arc::new(alc_directory::Egress::loopback()),
        )
        .expect("client");
        let result = RingCentral::new(self.settings.clone(), self.brand)
            .with_page_size(self.page_size)
            .snapshot(&http)
            .await;
        (result, progress)
    }

    fn data_requests(&self) -> u32 {
        self.sim.stats.data_requests.load(Ordering::SeqCst)
    }

    fn token_requests(&self) -> u32 {
        self.sim.stats.token_requests.load(Ordering::SeqCst)
    }
}

fn expected_users(directory: &Directory) -> Vec<DirUser> {
    directory
        .people
        .iter()
        .map(|p| DirUser {
            key: p.id.clone(),
            name: p.full_name(),
            email: p.email.clone(),
            extension: p.extension.clone(),
            status: p.status.clone(),
        })
        .collect()
}

fn expected_groups(directory: &Directory) -> Vec<DirGroup> {
    directory
        .queues
        .iter()
        .map(|q| DirGroup {
            key: q.id.clone(),
            name: q.name.clone(),
            extension: q.extension.clone(),
            members: q.members.clone(),
        })
        .collect()
}

fn pages(n: usize, size: u32) -> u32 {
    (n.div_ceil(size as usize)).max(1) as u32
}

/// Data requests of a clean run: the account, then users, queues and each queue's
/// members, page by page.
fn requests_for(directory: &Directory, size: u32) -> u32 {
    1 + pages(directory.people.len(), size)
        + pages(directory.queues.len(), size)
        + directory
            .queues
            .iter()
            .map(|q| pages(q.members.len(), size))
            .sum::<u32>()
}

#[tokio::test]
async fn a_directory_of_many_pages_comes_back_complete_and_exact() {
    let directory = Directory::generated(2_350, 3, 2001);
    let run = Run::new(directory.clone(), Faults::default(), 300).await;
    let (result, progress) = run.snapshot().await;
    let snapshot = result.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
    assert!(snapshot.notes.is_empty(), "{:?}", snapshot.notes);
    // 8 user pages, 1 queue page, 3 member pages for each of the 3 queues, the account.
    assert_eq!(requests_for(&directory, 300), 1 + 8 + 1 + 9);
    assert_eq!(run.data_requests(), requests_for(&directory, 300));
    assert_eq!(run.token_requests(), 1);
    let now = progress.now();
    assert_eq!(now.pages, requests_for(&directory, 300) - 1);
    assert_eq!((now.users, now.groups, now.retries), (2_350, 3, 0));
}

#[tokio::test]
async fn the_queue_list_is_paged_too() {
    let directory = Directory::generated(20, 7, 2001);
    let run = Run::new(directory.clone(), Faults::default(), 3).await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
    // 7 user pages, 3 queue pages, one member page per queue.
    assert_eq!(run.data_requests(), 1 + 7 + 3 + 7);
}

#[tokio::test]
async fn an_exact_multiple_of_the_page_size_takes_no_extra_request() {
    // nextPage, not a short page, ends the list.
    let directory = Directory::generated(900, 0, 2001);
    let run = Run::new(directory.clone(), Faults::default(), 300).await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users.len(), 900);
    assert_eq!(run.data_requests(), 1 + 3 + 1);
}

#[tokio::test]
async fn an_expiring_token_is_renewed_once_per_expiry() {
    let directory = Directory::generated(2_350, 3, 2001);
    let run = Run::new(
        directory.clone(),
        Faults {
            token_uses: Some(5),
            ..Faults::default()
        },
        300,
    )
    .await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
    let served = requests_for(&directory, 300);
    let expiries = served.div_ceil(5) - 1;
    assert_eq!(run.sim.stats.unauthorized.load(Ordering::SeqCst), expiries);
    assert_eq!(run.token_requests(), 1 + expiries);
    assert_eq!(run.data_requests(), served + expiries);
}

#[tokio::test]
async fn a_token_refused_twice_in_a_row_is_an_auth_error() {
    let run = Run::new(
        Directory::generated(10, 1, 2001),
        Faults {
            token_uses: Some(0),
            ..Faults::default()
        },
        300,
    )
    .await;
    let err = run.snapshot().await.0.expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Auth { what, .. } if what == "account"),
        "{err:?}"
    );
    assert_eq!(run.token_requests(), 2);
    assert_eq!(run.data_requests(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let directory = Directory::generated(700, 2, 2001);
    let run = Run::new(
        directory.clone(),
        Faults {
            rate_limit_at: Some((3, 1)),
            ..Faults::default()
        },
        300,
    )
    .await;
    let (result, progress) = run.snapshot().await;
    let snapshot = result.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    let arrivals = run.sim.stats.arrivals.lock().unwrap().clone();
    let gap = arrivals[3] - arrivals[2];
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert_eq!(run.sim.stats.rate_limited.load(Ordering::SeqCst), 1);
    assert_eq!(run.data_requests(), requests_for(&directory, 300) + 1);
    assert!(progress.now().waited_ms >= 1000);
}

#[tokio::test]
async fn server_errors_are_retried_then_given_up() {
    let directory = Directory::generated(700, 2, 2001);
    let run = Run::new(
        directory.clone(),
        Faults {
            server_errors_at: Some((2, 2)),
            ..Faults::default()
        },
        300,
    )
    .await;
    let (result, progress) = run.snapshot().await;
    assert_eq!(result.expect("snapshot").users, expected_users(&directory));
    assert_eq!(progress.now().retries, 2);
    assert_eq!(run.data_requests(), requests_for(&directory, 300) + 2);

    let run = Run::new(
        directory,
        Faults {
            server_errors_at: Some((2, u32::MAX)),
            ..Faults::default()
        },
        300,
    )
    .await;
    let err = run.snapshot().await.0.expect_err("unavailable");
    let attempts = Policy::quick().max_retries + 1;
    assert_eq!(
        err,
        DirectoryError::Unavailable {
            what: "users page 1".into(),
            attempts,
            last: "HTTP 500".into()
        }
    );
    assert_eq!(run.data_requests(), 1 + attempts);
}

#[tokio::test]
async fn a_malformed_page_is_an_error_naming_the_step() {
    let directory = Directory::generated(700, 2, 2001);
    // Request 3 is the second users page; 6 is the first members page of queue 1.
    for (at, step) in [
        (3, "users page 2"),
        (6, "members of call queue 900001 page 1"),
    ] {
        let run = Run::new(
            directory.clone(),
            Faults {
                malformed_at: Some(at),
                ..Faults::default()
            },
            300,
        )
        .await;
        let err = run.snapshot().await.0.expect_err("malformed");
        assert!(
            matches!(&err, DirectoryError::Malformed { what, .. } if what == step),
            "{err:?}"
        );
        assert!(err.to_string().starts_with(step), "{err}");
    }
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error_that_shows_no_secret() {
    let accepted = Credentials::default();
    let secrets = [
        accepted.client_secret.clone(),
        accepted.secret.clone(),
        "wrong-client-secret".to_string(),
        "wrong-jwt".to_string(),
    ];
    let refuse_all = Faults {
        refuse_credentials: true,
        ..Faults::default()
    };
    for case in ["refused", "client secret", "jwt"] {
        let faults = match case {
            "refused" => refuse_all.clone(),
            _ => Faults::default(),
        };
        let mut run = Run::new(Directory::generated(10, 1, 2001), faults, 300).await;
        match case {
            "client secret" => run.settings.client_secret = Secret("wrong-client-secret".into()),
            "jwt" => run.settings.jwt = Secret("wrong-jwt".into()),
            _ => {}
        }
        let err = run.snapshot().await.0.expect_err("refused");
        assert!(
            matches!(&err, DirectoryError::Auth { what, .. } if what == "sign-in"),
            "{case}: {err:?}"
        );
        for shown in [
            err.to_string(),
            format!("{err:?}"),
            format!("{:?}", run.settings),
        ] {
            for s in &secrets {
                assert!(!shown.contains(s.as_str()), "{case}: {shown}");
            }
        }
        assert_eq!(run.token_requests(), 1, "{case}");
        assert_eq!(run.data_requests(), 0, "{case}");
    }
}

#[tokio::test]
async fn an_unusable_address_is_a_config_error() {
    let mut run = Run::new(Directory::generated(1, 0, 2001), Faults::default(), 300).await;
    run.settings.base_url = "ftp://platform.ringcentral.com".into();
    let err = run.snapshot().await.0.expect_err("config");
    assert!(matches!(err, DirectoryError::Config(_)), "{err:?}");
    assert_eq!(run.token_requests(), 0);
}

#[tokio::test]
async fn the_brand_mismatch_is_noted_not_fatal() {
    let aco = Credentials {
        tenant: ACO_TENANT.into(),
        ..Credentials::default()
    };
    let directory = Directory::generated(5, 1, 2001);
    for (account, configured, note) in [
        (
            aco.clone(),
            Brand::RingCentral,
            Some(
                "The account is branded Avaya Cloud Office, but the connection is set up as RingCentral.",
            ),
        ),
        (aco, Brand::AvayaCloudOffice, None),
        (
            Credentials::default(),
            Brand::AvayaCloudOffice,
            Some(
                "The account is branded RingCentral, but the connection is set up as Avaya Cloud Office.",
            ),
        ),
        (Credentials::default(), Brand::RingCentral, None),
    ] {
        let mut run = Run::with(directory.clone(), Faults::default(), account, 300).await;
        run.brand = configured;
        let snapshot = run.snapshot().await.0.expect("snapshot");
        assert_eq!(snapshot.users, expected_users(&directory));
        assert_eq!(
            snapshot.notes,
            note.into_iter().map(String::from).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn users_without_an_extension_or_unassigned_are_left_out_and_noted() {
    let mut directory = Directory::generated(12, 1, 2001);
    directory.people[3].extension.clear();
    directory.people[5].status = "Unassigned".into();
    directory.people[7].status = "Disabled".into();
    let run = Run::new(directory.clone(), Faults::default(), 5).await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    let mut expected = expected_users(&directory);
    expected.retain(|u| !["1004", "1006"].contains(&u.key.as_str()));
    assert_eq!(snapshot.users, expected);
    assert_eq!(snapshot.users[5].status, "Disabled");
    assert_eq!(
        snapshot.notes,
        ["2 entries without an extension number or not assigned to anyone were left out."]
    );
    // Their group memberships are the server's to drop.
    assert_eq!(snapshot.groups, expected_groups(&directory));
}

#[tokio::test]
async fn the_page_size_never_exceeds_the_api_maximum() {
    // The fake refuses perPage over 1000, as RingCentral does.
    let run = Run::new(Directory::generated(1, 0, 2001), Faults::default(), 300).await;
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/restapi/oauth/token", run.settings.base_url))
        .header("accept", "application/json")
        .header(
            "authorization",
            basic_auth(
                &run.sim.credentials.client_id,
                &run.sim.credentials.client_secret,
            ),
        )
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", run.sim.credentials.secret.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let bearer = token["access_token"].as_str().expect("access token");
    let list = |per_page: u32| {
        http.get(format!(
            "{}/restapi/v1.0/account/~/extension?type=User&page=1&perPage={per_page}",
            run.settings.base_url
        ))
        .header("accept", "application/json")
        .bearer_auth(bearer)
        .send()
    };
    assert_eq!(list(1000).await.expect("list").status(), 200);
    let refused = list(1001).await.expect("list");
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.expect("error body");
    assert_eq!(body["errors"][0]["errorCode"], "CMN-101");

    // Asked for more, the connector sends the maximum: 2,350 users are 3 pages.
    let directory = Directory::generated(2_350, 1, 2001);
    let run = Run::new(directory.clone(), Faults::default(), 5_000).await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(run.data_requests(), requests_for(&directory, MAX_PAGE_SIZE));
    assert_eq!(run.data_requests(), 1 + 3 + 1 + 3);
}

#[tokio::test]
async fn every_request_accepts_json_and_the_fake_refuses_one_that_does_not() {
    let directory = Directory::generated(30, 2, 2001);
    let run = Run::new(directory.clone(), Faults::default(), 10).await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    let refused = || run.sim.stats.not_acceptable.load(Ordering::SeqCst);
    assert_eq!(refused(), 0);

    // What reqwest sends by default (`*/*`), and no Accept at all: 406, at sign-in too.
    let http = reqwest::Client::new();
    let token_url = format!("{}/restapi/oauth/token", run.settings.base_url);
    let default = http.post(&token_url).send().await.expect("request");
    assert_eq!(default.status(), 406);
    let any = http
        .get(format!("{}/restapi/v1.0/account/~", run.settings.base_url))
        .header("accept", "*/*")
        .send()
        .await
        .expect("request");
    assert_eq!(any.status(), 406);
    assert_eq!(refused(), 2);
}

/// Extensions of the other types RingCentral lists (`specs/ringcentral_openapi3.json`,
/// `listExtensions`' `type` enum).
fn other_extensions() -> Vec<OtherExtension> {
    [
        "Announcement",
        "FaxUser",
        "VirtualUser",
        "DigitalUser",
        "IvrMenu",
    ]
    .iter()
    .enumerate()
    .map(|(i, kind)| OtherExtension {
        id: (700_001 + i).to_string(),
        name: format!("{kind} extension"),
        extension: (7001 + i).to_string(),
        kind: kind.to_string(),
    })
    .collect()
}

#[tokio::test]
async fn only_user_extensions_are_users_even_when_the_server_ignores_the_filter() {
    let directory = Directory::generated(23, 2, 2001);
    for ignore_type_filter in [false, true] {
        let faults = Faults {
            ignore_type_filter,
            ..Faults::default()
        };
        let mut run = Run::new(directory.clone(), faults.clone(), 10).await;
        // The same run, on a fake whose directory has the other types too.
        run.sim = Arc::new(
            Sim::new(directory.clone())
                .with_faults(faults)
                .with_other_extensions(other_extensions()),
        );
        run.settings.base_url = alc_directory_sim::serve(System::RingCentral, run.sim.clone())
            .await
            .expect("fake");
        let snapshot = run.snapshot().await.0.expect("snapshot");
        assert_eq!(
            snapshot.users,
            expected_users(&directory),
            "{ignore_type_filter}"
        );
        assert_eq!(snapshot.groups, expected_groups(&directory));
        let notes: Vec<&str> = if ignore_type_filter {
            vec![
                "7 directory entries that are not users were left out (Announcement: 1, Department: 2, DigitalUser: 1, FaxUser: 1, IvrMenu: 1, VirtualUser: 1).",
            ]
        } else {
            vec![]
        };
        assert_eq!(snapshot.notes, notes);
        // 30 records in pages of 10 when the filter is ignored, 23 users otherwise:
        // 3 pages either way.
        assert_eq!(
            run.data_requests(),
            requests_for(&directory, 10),
            "{ignore_type_filter}"
        );
    }
}

#[tokio::test]
async fn published_token_codes_decide_whether_to_renew() {
    let directory = Directory::generated(12, 1, 2001);
    // OAU-128 (used up, the fake's default) and OAU-213 (unknown): a new token, once.
    for code in [None, Some("OAU-213")] {
        let run = Run::new(
            directory.clone(),
            Faults {
                token_uses: Some(2),
                unauthorized_code: code,
                ..Faults::default()
            },
            10,
        )
        .await;
        let snapshot = run.snapshot().await.0.expect("snapshot");
        assert_eq!(snapshot.users, expected_users(&directory), "{code:?}");
        assert_eq!(run.token_requests(), 3, "{code:?}: 5 requests, 2 per token");
    }
    // OAU-129 (corrupted) and OAU-149 (unparsable): a new token would fare no better.
    for code in ["OAU-129", "OAU-149"] {
        let run = Run::new(
            directory.clone(),
            Faults {
                token_uses: Some(2),
                unauthorized_code: Some(code),
                ..Faults::default()
            },
            10,
        )
        .await;
        let err = run.snapshot().await.0.expect_err("refused");
        assert!(
            matches!(&err, DirectoryError::Auth { what, code: Some(c), .. }
                if what == "users page 2" && c == code),
            "{err:?}"
        );
        assert_eq!(run.token_requests(), 1, "{code}");
        assert!(err.for_people().contains(code), "{}", err.for_people());
    }
}

#[tokio::test]
async fn a_queue_deleted_while_the_run_reads_it_is_left_out_with_a_note() {
    let directory = Directory::generated(40, 3, 2001);
    let run = Run::new(
        directory.clone(),
        Faults {
            vanished_queues: vec!["900002".into()],
            ..Faults::default()
        },
        300,
    )
    .await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    let mut groups = expected_groups(&directory);
    groups.remove(1);
    assert_eq!(snapshot.groups, groups);
    assert_eq!(
        snapshot.notes,
        [
            "The call queue Queue 2 (3002) was deleted in the directory while this refresh read it: it is left out, as deleted."
        ]
    );

    // Every queue gone is the members endpoint failing, not deletions.
    let run = Run::new(
        directory,
        Faults {
            vanished_queues: vec!["900001".into(), "900002".into(), "900003".into()],
            ..Faults::default()
        },
        300,
    )
    .await;
    let err = run.snapshot().await.0.expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Refused { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn fifty_thousand_users_are_read_quickly() {
    let directory = Directory::generated(50_000, 50, 100_000);
    let run = Run::new(directory.clone(), Faults::default(), MAX_PAGE_SIZE).await;
    let started = Instant::now();
    let snapshot = run.snapshot().await.0.expect("snapshot");
    let took = started.elapsed();
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
    assert_eq!(run.data_requests(), 1 + 50 + 1 + 50);
    // Generous for unoptimised test builds on a busy machine; release is far faster.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    println!("50,000 users and 50 queues in {took:?}");
}
