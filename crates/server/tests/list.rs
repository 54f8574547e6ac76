//! The licensing lists' filters and orders (`GET /agents?holds=…&sort=…`) over real
//! HTTP, on each backend: what a query admits and in which order is checked, page by
//! page, against the same rule worked out in plain Rust over every agent, for each
//! filter alone, in combination, with the search and with each kind, in every order.

mod common;

use alc_domain::*;
use alc_server::{NewAgent, NewGroup};
use common::{Lcg, World, execute};
use reqwest::StatusCode;

/// 240 agents of every source, with every mix of licenses, names that tie (ties go by
/// id), mixed case, extensions of several lengths, some phone users in a queue, some
/// gone from the directory with their licenses held.
async fn roster() -> (World, Vec<Agent>) {
    let w = World::with([500, 500, 500, 500], true, 0).await;
    let names = [
        "ann smith",
        "Ann Smith",
        "Zoë Ng",
        "bob",
        "Émile",
        "ANA",
        "carl",
    ];
    let mut rng = Lcg(7);
    let agents: Vec<NewAgent> = (0..240)
        .map(|i| {
            let source = AgentSource::ALL[rng.next(AgentSource::ALL.len())];
            let mut licenses = LicenseSet::EMPTY;
            for t in LicenseType::ALL {
                licenses.set(t, rng.next(3) == 0);
            }
            let extension = match rng.next(3) {
                0 => format!("{}", 10 + i),
                1 => format!("{}", 4000 + i),
                _ => format!("{}", 100_000 + i * 13),
            };
            NewAgent {
                name: format!("{} {}", names[rng.next(names.len())], i % 4),
                email: format!("{}{i}@{}.example", ["Mia", "li", "ZED"][i % 3], i % 5),
                extension,
                source,
                licenses,
                directory_key: source.is_uc().then(|| format!("key-{i}")),
            }
        })
        .collect();
    w.server.store.insert_agents(&agents).await.unwrap();
    // A queue with every fourth phone user in it.
    let members: Vec<String> = agents
        .iter()
        .filter_map(|a| a.directory_key.clone())
        .step_by(4)
        .collect();
    w.server
        .store
        .insert_groups(&[NewGroup {
            name: "Support".into(),
            extension: "3000".into(),
            directory_key: Some("queue-support".into()),
            members,
        }])
        .await
        .unwrap();
    // Some licensed phone users gone from the directory: held for review. (Set in the
    // database, as a refresh would leave them; directory.rs tests the refresh itself.)
    execute(
        &w,
        "UPDATE agents SET gone_since = '2026-01-01 00:00:00'
          WHERE source <> 'webrtc' AND id % 7 = 0
            AND id IN (SELECT agent_id FROM agent_licenses)",
    )
    .await;
    let every = w.all_agents().await;
    assert_eq!(every.len(), 240);
    assert!(every.iter().any(|a| a.gone) && every.iter().any(|a| a.no_queue));
    (w, every)
}

/// Every agent the list answers for `query`, page by page (`per_page` of them to a
/// page), with the total each page gave.
async fn listed(w: &World, query: &AgentQuery, per_page: u32) -> (Vec<AgentId>, u64) {
    let mut ids = Vec::new();
    let mut total = None;
    for page in 1.. {
        let q = AgentQuery {
            page: Some(page),
            per_page: Some(per_page),
            ..query.clone()
        };
        let text = serde_urlencoded::to_string(&q).unwrap();
        let r = w
            .http
            .get(w.url(&format!("/agents?{text}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{text}");
        let p: AgentPage = r.json().await.unwrap();
        let t = *total.get_or_insert(p.total);
        assert_eq!(p.total, t, "{text}: the total changed between pages");
        let done = p.agents.len() < per_page as usize;
        ids.extend(p.agents.iter().map(|a| a.id));
        if done {
            break;
        }
    }
    (ids, total.unwrap_or(0))
}

/// What the list must answer for `query`, in plain Rust: every condition holds, in the
/// query's order (ASCII letters without regard to case, as the database's `lower()`),
/// ties by id, the whole order reversed for `desc`.
fn expected(every: &[Agent], query: &AgentQuery) -> Vec<AgentId> {
    let search = query.search().map(|q| q.to_lowercase());
    let mut found: Vec<&Agent> = every
        .iter()
        .filter(|a| match query.kind {
            None => true,
            Some(AgentKind::Phone) => a.source.is_uc(),
            Some(AgentKind::Webrtc) => !a.source.is_uc(),
        })
        .filter(|a| query.holds.0.iter().all(|t| a.licenses.has(t)))
        .filter(|a| query.lacks.0.iter().all(|t| !a.licenses.has(t)))
        .filter(|a| !query.unlicensed || a.licenses.is_empty())
        .filter(|a| query.source.is_none_or(|s| a.source == s))
        .filter(|a| !query.held || a.gone)
        .filter(|a| !query.no_queue || a.no_queue)
        .filter(|a| {
            search.as_ref().is_none_or(|q| {
                [&a.name, &a.email, &a.extension]
                    .iter()
                    .any(|f| f.to_ascii_lowercase().contains(q.as_str()))
            })
        })
        .collect();
    let key = |a: &Agent| -> (Vec<String>, AgentId) {
        let terms = match query.sort() {
            SortKey::Name => vec![a.name.to_ascii_lowercase()],
            SortKey::Extension => vec![format!("{:09}", a.extension.len()), a.extension.clone()],
            SortKey::Email => vec![a.email.to_ascii_lowercase()],
            SortKey::Source => vec![a.source.key().into(), a.name.to_ascii_lowercase()],
        };
        (terms, a.id)
    };
    found.sort_by_key(|a| key(a));
    if query.order() == SortOrder::Desc {
        found.reverse();
    }
    found.into_iter().map(|a| a.id).collect()
}

async fn agrees(w: &World, every: &[Agent], query: &AgentQuery, per_page: u32) {
    let want = expected(every, query);
    let (got, total) = listed(w, query, per_page).await;
    let text = serde_urlencoded::to_string(query).unwrap();
    assert_eq!(got, want, "{text}");
    assert_eq!(total, want.len() as u64, "total for {text}");
}

fn licenses(ts: &[LicenseType]) -> LicenseKeys {
    LicenseKeys(ts.iter().fold(LicenseSet::EMPTY, |s, t| s.with(*t, true)))
}

#[tokio::test]
async fn each_filter_alone_and_together_admits_what_it_says() {
    let (w, every) = roster().await;
    use LicenseType::*;
    let mut queries = vec![AgentQuery::default()];
    for t in LicenseType::ALL {
        queries.push(AgentQuery {
            holds: licenses(&[t]),
            ..AgentQuery::default()
        });
        queries.push(AgentQuery {
            lacks: licenses(&[t]),
            ..AgentQuery::default()
        });
    }
    for s in AgentSource::ALL {
        queries.push(AgentQuery {
            source: Some(s),
            ..AgentQuery::default()
        });
    }
    queries.extend([
        AgentQuery {
            unlicensed: true,
            ..AgentQuery::default()
        },
        AgentQuery {
            held: true,
            ..AgentQuery::default()
        },
        AgentQuery {
            no_queue: true,
            ..AgentQuery::default()
        },
        // "Everyone on RingCentral holding Voice and SMS, without Transcription."
        AgentQuery {
            holds: licenses(&[Voice, Sms]),
            lacks: licenses(&[Transcription]),
            source: Some(AgentSource::RingCentral),
            ..AgentQuery::default()
        },
        AgentQuery {
            lacks: licenses(&[Voice]),
            no_queue: true,
            ..AgentQuery::default()
        },
        AgentQuery {
            held: true,
            holds: licenses(&[WebChat]),
            ..AgentQuery::default()
        },
        // With the search.
        AgentQuery {
            q: Some("ann".into()),
            lacks: licenses(&[Voice]),
            ..AgentQuery::default()
        },
        AgentQuery {
            q: Some("smith 1".into()),
            source: Some(AgentSource::Webrtc),
            ..AgentQuery::default()
        },
        AgentQuery {
            q: Some("example".into()),
            unlicensed: true,
            ..AgentQuery::default()
        },
        // Contradictions admit no one, and say so with a total of 0.
        AgentQuery {
            holds: licenses(&[Voice]),
            lacks: licenses(&[Voice]),
            ..AgentQuery::default()
        },
        AgentQuery {
            unlicensed: true,
            holds: licenses(&[Sms]),
            ..AgentQuery::default()
        },
    ]);
    for query in &queries {
        for kind in [None, Some(AgentKind::Phone), Some(AgentKind::Webrtc)] {
            let query = AgentQuery {
                kind,
                ..query.clone()
            };
            agrees(&w, &every, &query, 200).await;
        }
    }
    // The filters narrow: at least one of them admits some but not all.
    let voice = expected(
        &every,
        &AgentQuery {
            holds: licenses(&[Voice]),
            ..AgentQuery::default()
        },
    );
    assert!(!voice.is_empty() && voice.len() < every.len());
}

#[tokio::test]
async fn every_order_both_ways_pages_without_a_repeat_or_a_gap() {
    let (w, every) = roster().await;
    for sort in SortKey::ALL {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let query = AgentQuery {
                sort: Some(sort),
                order: Some(order),
                ..AgentQuery::default()
            };
            // Pages of 7: many page boundaries fall between agents whose key ties.
            agrees(&w, &every, &query, 7).await;
            let filtered = AgentQuery {
                holds: licenses(&[LicenseType::Voice]),
                q: Some("a".into()),
                ..query
            };
            agrees(&w, &every, &filtered, 50).await;
        }
    }
    // Extensions in numeric order: 10 before 4000 before 100000.
    let query = AgentQuery {
        sort: Some(SortKey::Extension),
        per_page: Some(200),
        ..AgentQuery::default()
    };
    let first: AgentPage = w
        .get(&format!(
            "/agents?{}",
            serde_urlencoded::to_string(&query).unwrap()
        ))
        .await;
    let lengths: Vec<usize> = first.agents.iter().map(|a| a.extension.len()).collect();
    assert!(lengths.is_sorted(), "{lengths:?}");
}

#[tokio::test]
async fn a_bad_filter_or_order_is_refused_by_name() {
    let w = World::with([1, 1, 1, 1], true, 3).await;
    for (query, names) in [
        ("holds=voice,fax", "fax"),
        ("lacks=VOICE", "VOICE"),
        ("source=skype", "skype"),
        ("sort=salary", "salary"),
        ("order=up", "up"),
        ("unlicensed=maybe", "unlicensed"),
    ] {
        let (status, body) = w
            .send(reqwest::Method::GET, &format!("/agents?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "invalid_query", "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{query}: {message}");
    }
    // Empty values are no filter at all.
    let page: AgentPage = w.get("/agents?holds=&lacks=").await;
    assert_eq!(page.total, 3);
}

#[tokio::test]
async fn a_selection_is_every_agent_the_query_admits_in_its_order() {
    let (w, every) = roster().await;
    for query in [
        AgentQuery {
            lacks: licenses(&[LicenseType::Voice]),
            sort: Some(SortKey::Email),
            // Paging does not narrow a selection.
            page: Some(3),
            per_page: Some(5),
            ..AgentQuery::default()
        },
        AgentQuery {
            q: Some("ann".into()),
            kind: Some(AgentKind::Phone),
            no_queue: true,
            ..AgentQuery::default()
        },
        AgentQuery::default(),
    ] {
        let text = serde_urlencoded::to_string(&query).unwrap();
        let got: alc_domain::api::AgentSelection =
            w.get(&format!("/agents/selection?{text}")).await;
        let ids: Vec<AgentId> = got.agents.iter().map(|a| a.id).collect();
        assert_eq!(ids, expected(&every, &query), "{text}");
        // Each as the list shows it: licenses, versions and flags.
        for a in &got.agents {
            assert_eq!(Some(a), every.iter().find(|e| e.id == a.id));
        }
    }
    // More than a batch can hold: none, and the API says why.
    let store = &w.server.store;
    assert!(
        store
            .select_agents(&AgentQuery::default(), 239)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .select_agents(&AgentQuery::default(), 240)
            .await
            .unwrap()
            .map(|a| a.len()),
        Some(240)
    );
    let (status, body) = w
        .send(reqwest::Method::GET, "/agents/selection?holds=fax", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
