//! `PUT /directory` with the typed body (`alc_domain::connection::DirectoryConnection`):
//! every Netsapiens sign-in method is stored and used by a refresh against the fake,
//! empty fields are refused by name, the account is shown to admins only, and a
//! connection to another directory is noted in the next refresh's report, once.

mod common;

use std::sync::Arc;

use alc_directory::{Connection, Secret, netsapiens};
use alc_directory_sim::{Credentials, Directory, Sim, System};
use alc_domain::access::Role;
use alc_domain::connection::{
    Credential, DirectoryAddress, DirectoryConnection, NetsapiensAuth, NetsapiensSettings,
    RingCentralSettings,
};
use alc_domain::directory::{DirectorySummary, RefreshReport};
use alc_domain::*;
use common::World;
use reqwest::{Method, StatusCode};

async fn save(w: &World, conn: &DirectoryConnection) -> (StatusCode, serde_json::Value) {
    w.send(
        Method::PUT,
        "/directory",
        Some(serde_json::to_value(conn).unwrap()),
    )
    .await
}

async fn serve(system: System, dir: Directory) -> (Arc<Sim>, String) {
    let sim = Arc::new(Sim::new(dir).with_credentials(Credentials::default()));
    let url = alc_directory_sim::serve(system, sim.clone()).await.unwrap();
    (sim, url)
}

fn netsapiens_with(base_url: &str, auth: NetsapiensAuth) -> DirectoryConnection {
    DirectoryConnection::Netsapiens(NetsapiensSettings {
        base_url: base_url.into(),
        domain: Credentials::default().tenant,
        auth,
    })
}

fn password_grant(c: &Credentials) -> NetsapiensAuth {
    NetsapiensAuth::Password {
        client_id: c.client_id.clone(),
        client_secret: Credential::new(&c.client_secret),
        username: c.username.clone(),
        password: Credential::new(&c.password),
    }
}

fn ring_central(base_url: &str) -> DirectoryConnection {
    let c = Credentials::default();
    DirectoryConnection::RingCentral(RingCentralSettings {
        base_url: base_url.into(),
        client_id: c.client_id,
        client_secret: Credential::new(c.client_secret),
        jwt: Credential::new(c.secret),
    })
}

/// The same people under other directory ids (another system's users).
fn renumbered(mut dir: Directory, first_id: u32) -> Directory {
    let new_id = |id: &str| (id.parse::<u32>().unwrap() - 1001 + first_id).to_string();
    for p in &mut dir.people {
        p.id = new_id(&p.id);
    }
    for q in &mut dir.queues {
        q.id = format!("{}-b", q.id);
        q.members = q.members.iter().map(|m| new_id(m)).collect();
    }
    dir
}

#[tokio::test]
async fn every_netsapiens_sign_in_method_is_stored_and_used_by_a_refresh() {
    let c = Credentials::default();
    for (auth, grants) in [
        (
            NetsapiensAuth::ApiKey {
                key: Credential::new(&c.secret),
            },
            vec![],
        ),
        (password_grant(&c), vec!["password".to_string()]),
    ] {
        let w = World::with([10, 10, 10, 10], true, 0).await;
        let (sim, url) = serve(System::Netsapiens, Directory::generated(7, 2, 2001)).await;
        let (status, body) = save(&w, &netsapiens_with(&url, auth.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let summary: DirectorySummary = serde_json::from_value(body).unwrap();
        assert_eq!(
            summary,
            DirectorySummary {
                system: Some(AgentSource::Netsapiens),
                base_url: url.clone(),
                account: c.tenant.clone(),
            }
        );

        // Stored as the connector's settings, sign-in method and all.
        let stored = w.server.store.directory_connection().await.unwrap();
        let expected_auth = match &auth {
            NetsapiensAuth::ApiKey { key } => netsapiens::Auth::ApiKey {
                key: Secret(key.expose().into()),
            },
            NetsapiensAuth::Password {
                client_id,
                client_secret,
                username,
                password,
            } => netsapiens::Auth::Password {
                client_id: client_id.clone(),
                client_secret: Secret(client_secret.expose().into()),
                username: username.clone(),
                password: Secret(password.expose().into()),
            },
        };
        assert_eq!(
            stored,
            Some(Connection::Netsapiens(netsapiens::Settings {
                base_url: url.clone(),
                domain: c.tenant.clone(),
                auth: expected_auth,
            }))
        );

        // ... and used: the refresh signs in that way and reads the directory.
        let r = w.refresh().await;
        assert_eq!(r.error, None, "{auth:?}");
        assert_eq!((r.added.total, r.groups_added.total), (7, 2), "{auth:?}");
        assert_eq!(
            alc_directory_sim::netsapiens::grants_seen(&sim),
            grants,
            "{auth:?}"
        );
        w.server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn empty_fields_are_refused_by_name_and_the_account_is_for_admins() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    let (_sim, url) = serve(System::Netsapiens, Directory::generated(3, 1, 2001)).await;
    let c = Credentials::default();
    let incomplete = NetsapiensAuth::Password {
        client_id: c.client_id.clone(),
        client_secret: Credential::new(""),
        username: " ".into(),
        password: Credential::new(&c.password),
    };
    let (status, body) = save(&w, &netsapiens_with(&url, incomplete)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_directory");
    let fields: Vec<(&str, &str, &str)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("client_secret", "required", "Enter the client secret."),
            ("username", "required", "Enter the username."),
        ]
    );
    assert_eq!(w.server.store.directory_connection().await.unwrap(), None);

    let (status, body) = save(&w, &netsapiens_with(&url, password_grant(&c))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin: DirectorySummary = w.get("/directory").await;
    assert_eq!(admin.account, c.tenant);
    // A supervisor reads the system and address, not the account.
    let token = common::bearer(&w.server.store, Role::Supervisor, "sup@test.example").await;
    let r = common::client_with(&token)
        .get(w.url("/directory"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let supervisor: DirectorySummary = r.json().await.unwrap();
    assert_eq!(
        supervisor,
        DirectorySummary {
            account: String::new(),
            ..admin
        }
    );
    w.server.stop().await.unwrap();
}

fn has_switch_note(r: &RefreshReport) -> bool {
    r.notes.iter().any(|n| n.contains("followed a switch"))
}

#[tokio::test]
async fn the_first_refresh_after_a_switch_says_so_and_the_next_does_not() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    let (_a, old_url) = serve(System::RingCentral, Directory::generated(4, 1, 2001)).await;
    let (_b, new_url) = serve(
        System::Netsapiens,
        renumbered(Directory::generated(3, 1, 2101), 5001),
    )
    .await;
    let old = ring_central(&old_url);
    let new = netsapiens_with(&new_url, password_grant(&Credentials::default()));

    // A first connection is no switch.
    assert_eq!(save(&w, &old).await.0, StatusCode::OK);
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);
    let first = w.refresh().await;
    assert_eq!(first.added.total, 4);
    assert!(!has_switch_note(&first), "{:?}", first.notes);

    // One of the old directory's users holds a license.
    let phone: AgentPage = w.get("/agents?kind=phone&per_page=200").await;
    let licensed = &phone.agents[0];
    let (status, body) = w
        .post_changes(&[LicenseChange {
            agent_id: licensed.id,
            license: LicenseType::Voice,
            assigned: true,
            version: licensed.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The same directory saved again (new credentials would be the same) is no switch.
    assert_eq!(save(&w, &old).await.0, StatusCode::OK);
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);
    let same = w.refresh().await;
    assert!(same.no_changes(), "{same:?}");
    assert!(!has_switch_note(&same), "{:?}", same.notes);

    // Another system: a switch from the old directory. Switching back before a refresh
    // undoes it; switching again remembers the directory the users came from.
    assert_eq!(save(&w, &new).await.0, StatusCode::OK);
    let old_address = DirectoryAddress {
        system: AgentSource::RingCentral,
        base_url: old_url.clone(),
        account: String::new(),
    };
    assert_eq!(
        w.server.store.pending_switch().await.unwrap(),
        Some(old_address.clone())
    );
    assert_eq!(save(&w, &old).await.0, StatusCode::OK);
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);
    assert_eq!(save(&w, &new).await.0, StatusCode::OK);
    assert_eq!(save(&w, &new).await.0, StatusCode::OK);
    assert_eq!(
        w.server.store.pending_switch().await.unwrap(),
        Some(old_address)
    );

    let switched = w.refresh().await;
    assert_eq!(switched.error, None);
    assert_eq!(switched.source, Some(AgentSource::Netsapiens));
    assert_eq!(
        (
            switched.added.total,
            switched.removed.total,
            switched.held.total
        ),
        (3, 3, 1)
    );
    assert_eq!(
        switched.notes[0],
        format!(
            "This refresh followed a switch from RingCentral ({old_url}) to Netsapiens ({new_url}, domain example): 3 phone users of the old directory that held no license were removed; 1 licensed one is kept and flagged as gone from the directory, its licenses held for review."
        )
    );
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);

    // Said once: the next refresh is an ordinary one (the licensed user still held).
    let next = w.refresh().await;
    assert!(
        next.added.is_empty() && next.removed.is_empty() && next.changed.is_empty(),
        "{next:?}"
    );
    assert_eq!(next.held.total, 1);
    assert!(!has_switch_note(&next), "{:?}", next.notes);
    w.server.stop().await.unwrap();
}

#[tokio::test]
async fn another_address_or_domain_of_the_same_system_is_a_switch_too() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    let (_a, url) = serve(System::Netsapiens, Directory::generated(2, 1, 2001)).await;
    let (_b, other_url) = serve(System::Netsapiens, Directory::generated(2, 1, 2001)).await;
    let c = Credentials::default();
    let conn = netsapiens_with(&url, password_grant(&c));
    assert_eq!(save(&w, &conn).await.0, StatusCode::OK);
    w.refresh().await;

    // The same address and domain, typed otherwise, with the other sign-in method: the
    // same directory.
    let retyped = DirectoryConnection::Netsapiens(NetsapiensSettings {
        base_url: format!(" {url}/ "),
        domain: c.tenant.to_uppercase(),
        auth: NetsapiensAuth::ApiKey {
            key: Credential::new(&c.secret),
        },
    });
    let (status, body) = save(&w, &retyped).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);

    assert_eq!(
        save(&w, &netsapiens_with(&other_url, password_grant(&c)))
            .await
            .0,
        StatusCode::OK
    );
    assert!(w.server.store.pending_switch().await.unwrap().is_some());
    assert_eq!(save(&w, &conn).await.0, StatusCode::OK);
    assert_eq!(w.server.store.pending_switch().await.unwrap(), None);

    let DirectoryConnection::Netsapiens(mut other_domain) = conn.clone() else {
        unreachable!()
    };
    other_domain.domain = "globex".into();
    assert_eq!(
        save(&w, &DirectoryConnection::Netsapiens(other_domain))
            .await
            .0,
        StatusCode::OK
    );
    let pending = w.server.store.pending_switch().await.unwrap();
    assert_eq!(
        pending.map(|p| p.describe()),
        Some(format!("Netsapiens ({url}, domain example)"))
    );
    w.server.stop().await.unwrap();
}
