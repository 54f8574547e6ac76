//! The Metaswitch connector against the fake Sh service.

use std::sync::Arc;
use std::time::Duration;

use alc_directory::metaswitch::{Metaswitch, NO_NAMES_NOTE, Settings};
use alc_directory::{
    Connector, DirGroup, DirUser, DirectoryError, Http, Policy, Progress, Secret, Snapshot,
};
use alc_directory_sim::basic_auth;
use alc_directory_sim::metaswitch::directory_number;
use alc_directory_sim::{Credentials, Directory, Faults, Sim, System};

const MS: &str = "CFS-East";
const BG: &str = "Acme Dental";

fn credentials(business_group: &str) -> Credentials {
    Credentials {
        username: "nwsap-user".into(),
        password: "nwsap-Pa55word".into(),
        tenant: format!("{MS}/{business_group}"),
        ..Credentials::default()
    }
}

struct Run {
    sim: Arc<Sim>,
    settings: Settings,
}

impl Run {
    async fn new(directory: Directory, faults: Faults) -> Run {
        Run::with(directory, faults, credentials(BG), BG).await
    }

    async fn with(
        directory: Directory,
        faults: Faults,
        accepted: Credentials,
        business_group: &str,
    ) -> Run {
        let settings = Settings {
            base_url: String::new(),
            username: accepted.username.clone(),
            password: Secret(accepted.password.clone()),
            metaswitch_name: MS.into(),
            business_group: business_group.into(),
        };
        let sim = Arc::new(
            Sim::new(directory)
                .with_faults(faults)
                .with_credentials(accepted),
        );
        let base_url = alc_directory_sim::serve(System::Metaswitch, sim.clone())
            .await
            .expect("fake server");
        Run {
            sim,
            settings: Settings {
                base_url,
                ..settings
            },
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
        let result = Metaswitch::new(self.settings.clone()).snapshot(&http).await;
        (result, progress)
    }

    fn data_requests(&self) -> u32 {
        self.sim
            .stats
            .data_requests
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn expected_users(directory: &Directory) -> Vec<DirUser> {
    directory
        .people
        .iter()
        .map(|p| DirUser {
            key: directory_number(&p.id),
            name: String::new(),
            email: String::new(),
            extension: p.extension.clone(),
            status: "Enabled".into(),
        })
        .collect()
}

fn expected_groups(directory: &Directory) -> Vec<DirGroup> {
    directory
        .queues
        .iter()
        .map(|q| DirGroup {
            key: q.name.clone(),
            name: q.name.clone(),
            extension: q.extension.clone(),
            members: q.members.iter().map(|id| directory_number(id)).collect(),
        })
        .collect()
}

#[tokio::test]
async fn whole_business_group_comes_back_exact_in_one_pull_per_list() {
    let directory = Directory::generated(2_350, 5, 2000);
    let run = Run::new(directory.clone(), Faults::default()).await;
    let (result, progress) = run.snapshot().await;
    let snapshot = result.expect("snapshot");

    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
    assert!(snapshot.groups.iter().all(|g| !g.members.is_empty()));
    assert_eq!(
        snapshot.notes,
        [
            NO_NAMES_NOTE.to_string(),
            "Left out 5 lines that are not individual lines (MLHG pilot: 5).".to_string()
        ]
    );
    // Lines, hunt groups, then one members pull per hunt group.
    assert_eq!(run.data_requests(), 2 + 5);
    let now = progress.now();
    assert_eq!((now.pages, now.users, now.groups), (7, 2_350, 5));
}

#[tokio::test]
async fn basic_auth_has_no_token_to_expire() {
    let directory = Directory::generated(40, 3, 2000);
    let faults = Faults {
        token_uses: Some(1),
        ..Faults::default()
    };
    let run = Run::new(directory.clone(), faults).await;
    let (result, _) = run.snapshot().await;
    assert_eq!(result.expect("snapshot").users, expected_users(&directory));
    let stats = &run.sim.stats;
    assert_eq!(
        stats
            .token_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert_eq!(
        stats.unauthorized.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert_eq!(run.data_requests(), 2 + 3);
}

#[tokio::test]
async fn wrong_password_is_refused_at_once_and_never_printed() {
    let mut run = Run::new(Directory::generated(10, 1, 2000), Faults::default()).await;
    let wrong = "Wr0ng-Pa55-7f3e9a";
    run.settings.password = Secret(wrong.into());
    let (result, _) = run.snapshot().await;
    let err = result.expect_err("must fail");
    assert!(matches!(err, DirectoryError::Auth { .. }), "{err:?}");
    assert_eq!(run.data_requests(), 1, "no retry of a Basic auth refusal");

    let printed = format!("{err} {err:?}");
    let accepted = &run.sim.credentials;
    let secrets = [
        wrong.to_string(),
        accepted.password.clone(),
        basic_auth(&run.settings.username, wrong),
        basic_auth(&accepted.username, &accepted.password),
    ];
    for secret in secrets {
        let secret = secret.trim_start_matches("Basic ");
        assert!(!printed.contains(secret), "{printed} contains {secret}");
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let directory = Directory::generated(30, 2, 2000);
    let faults = Faults {
        rate_limit_at: Some((2, 1)),
        ..Faults::default()
    };
    let run = Run::new(directory.clone(), faults).await;
    let (result, _) = run.snapshot().await;
    assert_eq!(
        result.expect("snapshot").groups,
        expected_groups(&directory)
    );
    assert_eq!(run.data_requests(), 2 + 2 + 1);
    let arrivals = run.sim.stats.arrivals.lock().unwrap().clone();
    assert!(arrivals[2] - arrivals[1] >= Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_are_retried_then_given_up() {
    let directory = Directory::generated(30, 2, 2000);
    let faults = Faults {
        server_errors_at: Some((3, 2)),
        ..Faults::default()
    };
    let run = Run::new(directory.clone(), faults).await;
    let (result, progress) = run.snapshot().await;
    assert_eq!(
        result.expect("snapshot").groups,
        expected_groups(&directory)
    );
    assert_eq!(progress.now().retries, 2);
    assert_eq!(run.data_requests(), 2 + 2 + 2);

    let faults = Faults {
        server_errors_at: Some((1, 1_000)),
        ..Faults::default()
    };
    let run = Run::new(directory, faults).await;
    let (result, _) = run.snapshot().await;
    let attempts = Policy::quick().max_retries + 1;
    match result {
        Err(DirectoryError::Unavailable { attempts: a, .. }) => assert_eq!(a, attempts),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(run.data_requests(), attempts);
}

#[tokio::test]
async fn malformed_answer_is_malformed_naming_the_step() {
    let faults = Faults {
        malformed_at: Some(2),
        ..Faults::default()
    };
    let run = Run::new(Directory::generated(30, 2, 2000), faults).await;
    let (result, _) = run.snapshot().await;
    match result {
        Err(DirectoryError::Malformed { what, .. }) => {
            assert!(what.contains("hunt groups"), "{what}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(run.data_requests(), 2);
}

#[tokio::test]
async fn unsuccessful_result_code_is_refused_with_the_code() {
    // The server knows another business group: ours is an unknown identity.
    let run = Run::with(
        Directory::generated(10, 1, 2000),
        Faults::default(),
        credentials("Other Group"),
        BG,
    )
    .await;
    let (result, _) = run.snapshot().await;
    match result {
        Err(DirectoryError::Refused { message, what, .. }) => {
            assert!(message.contains("5001"), "{message}");
            assert!(what.contains("lines"), "{what}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(run.data_requests(), 1);
}

#[tokio::test]
async fn names_with_markup_and_separators_reach_the_server_intact() {
    let business_group = "R&D <West> + Sons/Co 100%";
    let mut directory = Directory::generated(20, 2, 2000);
    directory.queues[0].name = "Sales & <Support>/EU".into();
    let run = Run::with(
        directory.clone(),
        Faults::default(),
        credentials(business_group),
        business_group,
    )
    .await;
    let (result, _) = run.snapshot().await;
    let snapshot = result.expect("snapshot");
    assert_eq!(snapshot.users, expected_users(&directory));
    assert_eq!(snapshot.groups, expected_groups(&directory));
}

#[tokio::test]
async fn unusable_settings_are_config_errors() {
    let mut run = Run::new(Directory::generated(1, 0, 2000), Faults::default()).await;
    run.settings.base_url = "metaview.example.net".into();
    let (result, _) = run.snapshot().await;
    assert!(
        matches!(result, Err(DirectoryError::Config(_))),
        "{result:?}"
    );
    assert_eq!(run.data_requests(), 0);
}

#[tokio::test]
async fn a_hunt_group_deleted_while_the_run_reads_it_is_left_out_with_a_note() {
    let directory = Directory::generated(20, 3, 2000);
    let run = Run::new(
        directory.clone(),
        Faults {
            vanished_queues: vec![directory.queues[2].id.clone()],
            ..Faults::default()
        },
    )
    .await;
    let snapshot = run.snapshot().await.0.expect("snapshot");
    let mut groups = expected_groups(&directory);
    groups.remove(2);
    assert_eq!(snapshot.groups, groups);
    assert_eq!(
        snapshot.notes.last().map(String::as_str),
        Some(
            "The hunt group Queue 3 (3003) was deleted in the directory while this refresh read it: it is left out, as deleted."
        )
    );
}

#[tokio::test]
async fn every_pull_accepts_xml_and_the_fake_refuses_one_that_does_not() {
    let directory = Directory::generated(5, 1, 2000);
    let run = Run::new(directory.clone(), Faults::default()).await;
    assert_eq!(
        run.snapshot().await.0.expect("snapshot").users,
        expected_users(&directory)
    );
    let refused = || {
        run.sim
            .stats
            .not_acceptable
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(refused(), 0);
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/mvweb/services/ShService",
            run.settings.base_url
        ))
        .header("accept", "application/json")
        .body("<x/>")
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 406);
    assert_eq!(refused(), 1);
}
