//! "Refresh Users and Groups" through the API: the report, held licenses, all or
//! nothing, one run at a time, and credentials that never leave the server. The demo
//! account's directory is the RingCentral simulator the server starts (see demo.rs);
//! other tests point the account at a fake of their own.

mod common;

use alc_domain::ErrorCode;
use std::sync::Arc;

use alc_directory::{Connection, Secret};
use alc_directory_sim::{Credentials, Directory, Faults, Sim, System};
use alc_domain::directory::ConflictKind;
use alc_domain::*;
use common::World;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn phone_users(w: &World) -> Vec<Agent> {
    common::every_agent(&w.http, &w.url(""), "kind=phone").await
}

fn by_name<'a>(agents: &'a [Agent], name: &str) -> &'a Agent {
    agents
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

#[tokio::test]
async fn demo_refresh_reports_adds_changes_removals_and_held_licenses() {
    let w = World::demo().await;
    let before = phone_users(&w).await;
    assert_eq!(before.len(), 26);
    assert!(by_name(&before, "Samuel Adeyemi").no_queue);
    let olivia = by_name(&before, "Olivia Bennett").clone();
    assert!(!olivia.licenses.is_empty() && !olivia.gone);

    let r = w.refresh().await;
    assert_eq!(r.error, None);
    assert_eq!(r.source, Some(AgentSource::RingCentral));
    assert_eq!(r.users_read, 24 + 274);
    assert_eq!(r.groups_read, 12);
    assert_eq!(r.added.total, 274);
    assert_eq!(
        r.added.items.len(),
        alc_domain::directory::REPORT_LIST_LIMIT
    );

    type Change = (String, String, String);
    let changed: Vec<(String, Vec<Change>)> = r
        .changed
        .items
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.changes
                    .iter()
                    .map(|f| (f.field.clone(), f.before.clone(), f.after.clone()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            (
                "Isabel Moreau-Dupont".to_string(),
                vec![
                    (
                        "name".into(),
                        "Isabel Moreau".into(),
                        "Isabel Moreau-Dupont".into()
                    ),
                    (
                        "email".into(),
                        "isabel.moreau@northwind.example".into(),
                        "isabel.moreau-dupont@northwind.example".into()
                    ),
                ]
            ),
            (
                "Jamal Carter".to_string(),
                vec![("extension".into(), "2010".into(), "2100".into())]
            ),
        ]
    );
    // Unlicensed and gone: removed. Licensed and gone: held, licenses and all.
    assert_eq!(r.removed.items.len(), 1);
    assert_eq!(r.removed.items[0].name, "Noah Fischer");
    assert_eq!(r.held.items.len(), 1);
    assert_eq!(r.held.items[0].name, "Olivia Bennett");
    assert_eq!(r.held.items[0].licenses, olivia.licenses);

    assert_eq!(r.groups_added.total, 9);
    assert_eq!(r.groups_removed.total, 0);
    // Each seeded queue gained new users; Billing also Samuel, Support lost the two gone.
    let members: Vec<(&str, &str)> = r
        .groups_changed
        .items
        .iter()
        .map(|g| (g.name.as_str(), g.changes[0].field.as_str()))
        .collect();
    assert_eq!(
        members,
        [
            ("Billing", "members"),
            ("Sales", "members"),
            ("Support", "members")
        ]
    );
    let support = &r.groups_changed.items[2].changes[0];
    assert!(support.after.ends_with("2 left)"), "{support:?}");
    // The new user on WebRTC agent Chloe Dubois's extension is imported and reported.
    assert_eq!(r.conflicts.items.len(), 1);
    let c = &r.conflicts.items[0];
    assert_eq!(
        (c.kind, c.value.as_str()),
        (ConflictKind::Extension, "4003")
    );
    assert!(c.other.contains("Chloe Dubois"), "{c:?}");

    let after = phone_users(&w).await;
    assert_eq!(after.len(), 24 + 274 + 1);
    assert!(after.iter().all(|a| a.name != "Noah Fischer"));
    let held = by_name(&after, "Olivia Bennett");
    assert!(held.gone);
    assert_eq!(held.licenses, olivia.licenses);
    assert!(
        !by_name(&after, "Samuel Adeyemi").no_queue,
        "Billing has him now"
    );
    let jamal = by_name(&after, "Jamal Carter");
    assert_eq!(jamal.extension, "2100");
    // The counts still include the held licenses.
    assert_eq!(
        w.summary().await.licenses[0].assigned,
        20,
        "Voice seats are unchanged"
    );

    // A held user gets nothing new ...
    let new = LicenseType::Sms;
    assert!(!olivia.licenses.has(new) && w.summary().await.licenses[2].available > 0);
    let (status, body) = w
        .post_changes(&[LicenseChange {
            agent_id: held.id,
            license: new,
            assigned: true,
            version: held.version,
        }])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "gone_from_directory");
    // ... but its licenses can be released, and the next refresh removes it.
    let release: Vec<LicenseChange> = held
        .licenses
        .iter()
        .map(|t| LicenseChange {
            agent_id: held.id,
            license: t,
            assigned: false,
            version: held.version,
        })
        .collect();
    let (status, body) = w.post_changes(&release).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let again = w.refresh().await;
    assert_eq!(again.removed.items.len(), 1);
    assert_eq!(again.removed.items[0].name, "Olivia Bennett");
    assert!(again.added.is_empty() && again.changed.is_empty() && again.held.is_empty());
    assert!(again.groups_added.is_empty() && again.groups_changed.is_empty());
    let third = w.refresh().await;
    assert!(third.no_changes(), "{third:?}");
    w.server.stop().await.unwrap();
}

/// Our own RingCentral fake, and the account pointed at it.
async fn world_with_fake(dir: Directory, faults: Faults) -> (World, Arc<Sim>) {
    world_with(System::RingCentral, dir, faults).await
}

/// A fake of `system`, and the account pointed at it through the API.
async fn world_with(system: System, dir: Directory, faults: Faults) -> (World, Arc<Sim>) {
    let w = World::with([10, 10, 10, 10], true, 3).await;
    let creds = Credentials {
        tenant: "NorthMS/Northwind".into(),
        ..Credentials::default()
    };
    let sim = Arc::new(Sim::new(dir).with_faults(faults).with_credentials(creds));
    let base_url = alc_directory_sim::serve(system, sim.clone()).await.unwrap();
    let c = &sim.credentials;
    let settings = match system {
        System::RingCentral => json!({
            "system": "ring_central", "base_url": base_url, "client_id": c.client_id,
            "client_secret": c.client_secret, "jwt": c.secret,
        }),
        System::Netsapiens => json!({
            "system": "netsapiens", "base_url": base_url, "domain": c.tenant,
            "auth": {"kind": "api_key", "key": c.secret},
        }),
        System::Metaswitch => json!({
            "system": "metaswitch", "base_url": base_url, "username": c.username,
            "password": c.password, "metaswitch_name": "NorthMS", "business_group": "Northwind",
        }),
    };
    let (status, body) = w.send(Method::PUT, "/directory", Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (w, sim)
}

#[tokio::test]
async fn every_system_refreshes_through_the_api() {
    for system in [System::RingCentral, System::Netsapiens, System::Metaswitch] {
        let (w, _sim) = world_with(
            system,
            Directory::generated(1_234, 4, 2001),
            Faults::default(),
        )
        .await;
        let r = w.refresh().await;
        assert_eq!(r.error, None, "{system:?}");
        assert_eq!(
            (r.added.total, r.groups_added.total),
            (1_234, 4),
            "{system:?}"
        );
        let users = phone_users(&w).await;
        assert_eq!(users.len(), 1_234, "{system:?}");
        assert!(users.iter().any(|u| u.extension == "2001"), "{system:?}");
        w.server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn credentials_never_leave_the_server() {
    let (w, sim) = world_with_fake(Directory::generated(5, 1, 2001), Faults::default()).await;
    let secrets = [&sim.credentials.client_secret, &sim.credentials.secret];
    let (_, summary) = w.send(Method::GET, "/directory", None).await;
    assert_eq!(summary["system"], "ring_central");
    w.refresh().await;
    let (_, status) = w.send(Method::GET, "/directory/refresh", None).await;
    for body in [summary.to_string(), status.to_string()] {
        for s in secrets {
            assert!(!body.contains(s.as_str()), "{body}");
        }
    }
    // A connection without a usable address is refused, and the old one stays.
    let (status, body) = w
        .send(
            Method::PUT,
            "/directory",
            Some(
                json!({"system": "ring_central", "base_url": "ftp://x", "client_id": "a",
                        "client_secret": "b", "jwt": "c"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "base_url");
    let stored = w
        .server
        .store
        .directory_connection()
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&stored, Connection::RingCentral(s) if s.client_secret == Secret(sim.credentials.client_secret.clone()))
    );
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_malformed_page_aborts_the_refresh_and_changes_nothing() {
    for system in [System::RingCentral, System::Netsapiens, System::Metaswitch] {
        // A first refresh brings 2,500 users; for the second the directory changed,
        // and one of its pages is broken.
        let (w, sim) = world_with(
            system,
            Directory::generated(2_500, 3, 2001),
            Faults::default(),
        )
        .await;
        assert_eq!(w.refresh().await.error, None, "{system:?}");
        {
            let mut d = sim.directory.lock().unwrap();
            d.people.truncate(2_000);
            d.people[0].last_name = "Renamed".into();
        }
        let seen = sim
            .stats
            .data_requests
            .load(std::sync::atomic::Ordering::SeqCst);
        *sim.faults.lock().unwrap() = Faults {
            malformed_at: Some(seen + 3),
            ..Faults::default()
        };
        let before = phone_users(&w).await;
        let r = w.refresh().await;
        let error = r
            .error
            .unwrap_or_else(|| panic!("{system:?}: the refresh did not fail"));
        assert_eq!(error.code, ErrorCode::DirectoryMalformed, "{system:?}");
        assert!(
            error.message.starts_with("Nothing was changed"),
            "{error:?}"
        );
        assert_eq!(before, phone_users(&w).await, "{system:?}");
        w.server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_hostile_directory_fails_the_refresh_cleanly_and_the_server_keeps_answering() {
    use alc_directory_sim::Hostile;
    for (system, kind) in [
        (System::Metaswitch, Hostile::DeepNesting),
        (System::RingCentral, Hostile::DeepNesting),
        (System::Netsapiens, Hostile::Huge),
        (System::Metaswitch, Hostile::Huge),
    ] {
        let (w, sim) = world_with(
            system,
            Directory::generated(300, 3, 2001),
            Faults::default(),
        )
        .await;
        assert_eq!(w.refresh().await.error, None, "{system:?}");
        let seen = sim
            .stats
            .data_requests
            .load(std::sync::atomic::Ordering::SeqCst);
        *sim.faults.lock().unwrap() = Faults {
            hostile_at: Some((seen + 2, kind)),
            ..Faults::default()
        };
        let before = phone_users(&w).await;
        let error = w
            .refresh()
            .await
            .error
            .unwrap_or_else(|| panic!("{system:?} {kind:?}: the refresh did not fail"));
        assert_eq!(
            error.code,
            ErrorCode::DirectoryMalformed,
            "{system:?} {kind:?}"
        );
        assert_eq!(
            error.message,
            "Nothing was changed: the directory sent an invalid page."
        );
        // The server is up, and nothing changed.
        assert_eq!(w.summary().await.licenses.len(), 4);
        assert_eq!(before, phone_users(&w).await, "{system:?} {kind:?}");
        w.server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_second_refresh_while_one_runs_is_refused_clearly() {
    // The first request is rate limited for a second, so the first run is still going.
    let (w, _sim) = world_with_fake(
        Directory::generated(50, 2, 2001),
        Faults {
            rate_limit_at: Some((1, 1)),
            ..Faults::default()
        },
    )
    .await;
    let (first, _) = w.send(Method::POST, "/directory/refresh", None).await;
    assert_eq!(first, StatusCode::ACCEPTED);
    let (second, body) = w.send(Method::POST, "/directory/refresh", None).await;
    assert_eq!(second, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "refresh_running");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already running")
    );
    let (_, status) = w.send(Method::GET, "/directory/refresh", None).await;
    assert_eq!(status["running"]["phase"], "reading");

    let r = w.wait_for_report().await;
    assert_eq!(r.error, None);
    assert_eq!(r.added.total, 50);
    // Once it is over, refreshing works again.
    let r = w.refresh().await;
    assert!(r.no_changes(), "{r:?}");
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn without_a_directory_refresh_says_what_to_do() {
    let w = World::with([1, 1, 1, 1], false, 1).await;
    let (status, body) = w.send(Method::POST, "/directory/refresh", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "directory_not_connected");
    let (_, summary) = w.send(Method::GET, "/directory", None).await;
    assert_eq!(summary["system"], serde_json::Value::Null);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_user_disabled_in_the_directory_keeps_its_licenses_but_gets_no_new_one() {
    let mut dir = Directory::generated(3, 1, 2001);
    dir.people[0].status = "Disabled".into();
    let disabled_name = dir.people[0].full_name();
    let (w, _sim) = world_with_fake(dir, Faults::default()).await;
    let r = w.refresh().await;
    assert_eq!(r.error, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("1 users are disabled in the directory")),
        "{:?}",
        r.notes
    );
    let users = phone_users(&w).await;
    let off = by_name(&users, &disabled_name);
    assert!(off.disabled && !off.gone, "{off:?}");
    assert!(users.iter().filter(|u| u.disabled).count() == 1);

    // The licensing list's Save refuses a new license ...
    let (status, body) = w
        .post_changes(&[LicenseChange {
            agent_id: off.id,
            license: LicenseType::Voice,
            assigned: true,
            version: off.version,
        }])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "disabled_in_directory");
    assert_eq!(body["fields"][0]["field"], "changes[0]");
    // ... and so does the profile.
    let detail: alc_domain::api::AgentDetail = w.get(&format!("/agents/{}", off.id)).await;
    let (status, body) = w
        .send(
            Method::PUT,
            &format!("/agents/{}", off.id),
            Some(json!({
                "version": detail.version,
                "profile": detail.profile,
                "licenses": [LicenseType::Voice],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["code"], "disabled_in_directory", "{body}");
    assert_eq!(body["fields"][0]["field"], "licenses");
    // An enabled user of the same directory is licensed as usual.
    let on = users.iter().find(|u| !u.disabled).unwrap();
    let (status, body) = w
        .post_changes(&[LicenseChange {
            agent_id: on.id,
            license: LicenseType::Voice,
            assigned: true,
            version: on.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_queue_deleted_while_the_refresh_reads_it_is_skipped_with_a_note() {
    for system in [System::RingCentral, System::Netsapiens, System::Metaswitch] {
        let dir = Directory::generated(60, 3, 2001);
        let (w, sim) = world_with(system, dir.clone(), Faults::default()).await;
        let r = w.refresh().await;
        assert_eq!((r.error, r.groups_added.total), (None, 3), "{system:?}");

        // Queue 2 is listed, then gone when its members are read.
        sim.faults.lock().unwrap().vanished_queues = vec![dir.queues[1].id.clone()];
        let r = w.refresh().await;
        assert_eq!(r.error, None, "{system:?}");
        let kind = match system {
            System::Metaswitch => "hunt group",
            _ => "call queue",
        };
        let note = format!(
            "The {kind} Queue 2 (3002) was deleted in the directory while this refresh read it: it is left out, as deleted."
        );
        assert!(r.notes.contains(&note), "{system:?}: {:?}", r.notes);
        // The others are read as usual; the vanished one goes as deleted queues do.
        assert_eq!(r.groups_removed.total, 1, "{system:?}");
        assert_eq!(r.groups_removed.items[0].name, "Queue 2", "{system:?}");
        assert!(r.added.is_empty() && r.removed.is_empty(), "{system:?}");
        w.server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_switch_saved_while_a_refresh_reads_the_old_directory_applies_nothing() {
    // The first data request waits a second (429), so the run is still reading when
    // the admin points the connection at another directory.
    let (w, sim) = world_with_fake(
        Directory::generated(20, 1, 2001),
        Faults {
            rate_limit_at: Some((1, 1)),
            ..Faults::default()
        },
    )
    .await;
    let before = phone_users(&w).await;
    let (started, _) = w.send(Method::POST, "/directory/refresh", None).await;
    assert_eq!(started, StatusCode::ACCEPTED);
    let c = &sim.credentials;
    let (saved, body) = w
        .send(
            Method::PUT,
            "/directory",
            Some(json!({
                "system": "ring_central", "base_url": "http://127.0.0.1:9/another",
                "client_id": c.client_id, "client_secret": c.client_secret, "jwt": c.secret,
            })),
        )
        .await;
    assert_eq!(saved, StatusCode::OK, "{body}");

    let r = w.wait_for_report().await;
    let error = r.error.expect("the run applied nothing");
    assert_eq!(error.code, ErrorCode::DirectoryChanged, "{error:?}");
    assert!(error.message.contains("Refresh again"), "{}", error.message);
    assert_eq!(r.added.total, 0);
    assert_eq!(before, phone_users(&w).await, "nothing was imported");
    // The switch still waits for the refresh that reads the new directory.
    assert!(w.server.store.pending_switch().await.unwrap().is_some());
    w.server.stop().await.unwrap();
}
