//! Agent search (`GET /agents?q=`) over real HTTP, on each backend: what it finds is
//! exactly "the name, email or extension contains the query, ASCII letters without
//! regard to case", in the list's order, whichever way the store answers (a scan for
//! 1–2 characters, the trigram index for more, a scan again for a query most agents
//! match), and the index follows every write.

mod common;

use std::sync::Arc;

use alc_directory_sim::{Directory, Sim, System};
use alc_domain::api::AgentDetail;
use alc_domain::*;
use alc_server::NewAgent;
use alc_server::store::{Backend, Database};
use common::{Lcg, World};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every agent the list answers for `q` (and `kind`), page by page, with the total
/// the first page gave.
async fn search(w: &World, q: &str, kind: Option<&str>) -> (Vec<Agent>, u64) {
    let mut all = Vec::new();
    let mut total = None;
    for page in 1.. {
        let mut params = vec![
            ("q", q.to_string()),
            ("per_page", "200".into()),
            ("page", page.to_string()),
        ];
        if let Some(kind) = kind {
            params.push(("kind", kind.into()));
        }
        let r = w
            .http
            .get(w.url("/agents"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{q:?}");
        let p: AgentPage = r.json().await.unwrap();
        let t = *total.get_or_insert(p.total);
        assert_eq!(p.total, t, "{q:?}: the total changed between pages");
        let done = p.agents.len() < 200;
        all.extend(p.agents);
        if done {
            break;
        }
    }
    (all, total.unwrap_or(0))
}

/// The names `q` finds, in order.
async fn names(w: &World, q: &str) -> Vec<String> {
    search(w, q, None)
        .await
        .0
        .into_iter()
        .map(|a| a.name)
        .collect()
}

/// Asserts that `q` finds exactly `want`, in the list's order (by lowercased name).
async fn assert_finds(w: &World, q: &str, want: Vec<&str>) {
    let mut want: Vec<String> = want.into_iter().map(String::from).collect();
    want.sort_by_key(|n| n.to_ascii_lowercase());
    assert_eq!(names(w, q).await, want, "q={q:?}");
}

/// What the search must answer, worked out in plain Rust over every agent: a field
/// that contains the query, both lowercased as the database does (the fields' ASCII
/// letters; the query entirely), sorted by lowercased name then id.
fn expected(every: &[Agent], q: &str, kind: Option<&str>) -> Vec<AgentId> {
    let q = q.trim().to_lowercase();
    let mut found: Vec<&Agent> = every
        .iter()
        .filter(|a| match kind {
            None => true,
            Some("phone") => a.source != AgentSource::Webrtc,
            Some(_) => a.source == AgentSource::Webrtc,
        })
        .filter(|a| {
            [&a.name, &a.email, &a.extension]
                .iter()
                .any(|f| f.to_ascii_lowercase().contains(&q))
        })
        .collect();
    found.sort_by(|a, b| {
        (a.name.to_ascii_lowercase(), a.id).cmp(&(b.name.to_ascii_lowercase(), b.id))
    });
    found.into_iter().map(|a| a.id).collect()
}

/// Checks the list against [`expected`] for `q`, with and without each kind.
async fn agrees(w: &World, every: &[Agent], q: &str) {
    for kind in [None, Some("phone"), Some("webrtc")] {
        let (got, total) = search(w, q, kind).await;
        let want = expected(every, q, kind);
        let got: Vec<AgentId> = got.iter().map(|a| a.id).collect();
        assert_eq!(got, want, "q={q:?} kind={kind:?}");
        assert_eq!(total, want.len() as u64, "total for q={q:?} kind={kind:?}");
    }
}

fn agent(name: &str, email: &str, extension: &str, phone: bool) -> NewAgent {
    NewAgent {
        name: name.into(),
        email: email.into(),
        extension: extension.into(),
        source: if phone {
            AgentSource::RingCentral
        } else {
            AgentSource::Webrtc
        },
        licenses: LicenseSet::EMPTY,
        directory_key: phone.then(|| format!("key-{name}-{extension}")),
    }
}

/// Names, emails and extensions built from pieces that overlap a lot (so that short
/// queries match many agents and long ones few), with accents, upper case and every
/// character LIKE or FTS5 treat specially.
fn varied_agents(n: usize) -> Vec<NewAgent> {
    let first = [
        "Ann",
        "ANNA",
        "anne",
        "Émile",
        "émile",
        "Zoë",
        "Renée",
        "O'Brien",
        "Li_Wei",
        "100%",
        "Back\\Slash",
        "\"Quoted\"",
        "Ana Maria",
        "Chloé",
        "ZOË",
    ];
    let last = [
        "Smith",
        "SMITH",
        "Dubois",
        "Møller",
        "D'Arcy",
        "50% Off",
        "Under_Score",
        "Müller",
        "Ng",
        "Quote\"d",
    ];
    let domains = [
        "north.example",
        "SOUTH.example",
        "x_y.example",
        "a%b.example",
    ];
    let mut rng = Lcg(11);
    (0..n)
        .map(|i| {
            let f = rng.pick(&first);
            let l = rng.pick(&last);
            // Some exact duplicates: ties are ordered by id.
            let name = if i % 17 == 0 {
                "Ann Smith".to_string()
            } else {
                format!("{f} {l}")
            };
            let email = format!(
                "{}.{}{i}@{}",
                f.to_lowercase().replace(['"', ' ', '\\'], ""),
                l.to_lowercase().replace(['"', ' '], ""),
                rng.pick(&domains)
            );
            let extension = if i % 5 == 0 {
                format!("4{:03}", i % 1000)
            } else {
                format!("{}", 100_000 + i * 7)
            };
            agent(&name, &email, &extension, i % 3 == 0)
        })
        .collect()
}

#[tokio::test]
async fn the_index_is_there_on_this_backend() {
    let w = World::with([10, 10, 10, 10], true, 1).await;
    use sqlx::Connection;
    match w.server.store.database() {
        Database::Sqlite(path) => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let fts5: i64 = sqlx::query_scalar("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(fts5, 1, "the bundled SQLite has FTS5");
            let rows: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM agents_search WHERE agents_search MATCH '\"agent 000\"'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(rows, 1, "the trigram table holds the agent");
        }
        Database::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let trgm: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'agents_search'
                   AND indexdef LIKE '%gin_trgm_ops%'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(trgm, 1, "pg_trgm's index is made");
        }
    }
}

#[tokio::test]
async fn prefixes_and_infixes_of_each_field_without_regard_to_case() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    w.server
        .store
        .insert_agents(&[
            agent(
                "Émilie Zoë Dubois",
                "emilie.dubois@north.example",
                "4101",
                false,
            ),
            agent("Renée O'Brien", "renee@SOUTH.example", "4102", true),
            agent("Liam Ng", "liam.ng@north.example", "73210", false),
        ])
        .await
        .unwrap();
    for (q, want) in [
        // Name: prefix, infix, any case, accents as typed.
        ("milie zo", vec!["Émilie Zoë Dubois"]),
        ("Zoë", vec!["Émilie Zoë Dubois"]),
        ("zoë dub", vec!["Émilie Zoë Dubois"]),
        ("ZOË", vec!["Émilie Zoë Dubois"]),
        ("RENÉE", vec!["Renée O'Brien"]),
        ("o'bri", vec!["Renée O'Brien"]),
        ("ng", vec!["Liam Ng"]),
        // Email: prefix, infix, across the @, any case.
        ("liam.n", vec!["Liam Ng"]),
        ("e@south", vec!["Renée O'Brien"]),
        ("NORTH.EX", vec!["Émilie Zoë Dubois", "Liam Ng"]),
        // Extension: prefix and infix.
        ("410", vec!["Émilie Zoë Dubois", "Renée O'Brien"]),
        ("4102", vec!["Renée O'Brien"]),
        ("321", vec!["Liam Ng"]),
        ("1", vec!["Émilie Zoë Dubois", "Renée O'Brien", "Liam Ng"]),
        // An accent is a letter of its own: e does not find é.
        ("renee@", vec!["Renée O'Brien"]),
        ("rene", vec!["Renée O'Brien"]),
        ("renée o", vec!["Renée O'Brien"]),
        ("emilie z", vec![]),
        // Not across fields.
        ("dubois emilie", vec![]),
        ("4101liam", vec![]),
        ("zzzq", vec![]),
    ] {
        assert_finds(&w, q, want).await;
    }
}

#[tokio::test]
async fn every_special_character_is_literal() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    w.server
        .store
        .insert_agents(&[
            agent("Save 100% Now", "pct@north.example", "4101", false),
            agent("Save 1000 Now", "plain@north.example", "4102", false),
            agent("Li_Wei", "li_wei@north.example", "4103", false),
            agent("LiXWei", "lixwei@north.example", "4104", false),
            agent("Back\\Slash", "back@north.example", "4105", false),
            agent("Back Slash", "back2@north.example", "4106", false),
            agent("The \"Boss\"", "boss@north.example", "4107", false),
            agent("O'Hara", "ohara@north.example", "4108", false),
            agent("NEAR \"\"", "near@north.example", "4109", false),
        ])
        .await
        .unwrap();
    for (q, want) in [
        ("%", vec!["Save 100% Now"]),
        ("0%", vec!["Save 100% Now"]),
        ("100% n", vec!["Save 100% Now"]),
        ("_", vec!["Li_Wei"]),
        ("i_w", vec!["Li_Wei"]),
        ("\\", vec!["Back\\Slash"]),
        ("k\\s", vec!["Back\\Slash"]),
        ("\"", vec!["The \"Boss\"", "NEAR \"\""]),
        ("\"boss\"", vec!["The \"Boss\""]),
        ("e \"b", vec!["The \"Boss\""]),
        ("\"\"", vec!["NEAR \"\""]),
        ("'", vec!["O'Hara"]),
        ("o'hara", vec!["O'Hara"]),
        // FTS5's own syntax, searched for as text.
        ("NEAR", vec!["NEAR \"\""]),
        ("slash OR", vec![]),
        ("*", vec![]),
        ("a*", vec![]),
        ("^save", vec![]),
        ("back:", vec![]),
    ] {
        assert_finds(&w, q, want).await;
    }
}

#[tokio::test]
async fn short_and_long_queries_agree_with_a_plain_contains_over_every_agent() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    w.server
        .store
        .insert_agents(&varied_agents(300))
        .await
        .unwrap();
    let every = w.all_agents().await;
    assert_eq!(every.len(), 300);
    let mut queries: Vec<String> = [
        "a",
        "A",
        "é",
        "É",
        "%",
        "_",
        "\\",
        "\"",
        "'",
        "1",
        "7",
        " ",
        "an",
        "AN",
        "ë",
        "é",
        "0%",
        "i_",
        "\"q",
        "4",
        "41",
        "410",
        "ann",
        "ANN",
        "ann smith",
        "émile",
        "Émile",
        "zoë",
        "ZOË",
        "smith",
        "møller",
        "MØLLER",
        "o'b",
        "d'arcy",
        "50% off",
        "under_score",
        "back\\slash",
        "\"quoted\" ",
        "quote\"d",
        "south.example",
        "x_y",
        "a%b",
        "@north",
        ".example",
        "100000",
        "zzzq",
        "an-no",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Pieces of real fields, of every length, in the case they were stored in and
    // upper-cased.
    let mut rng = Lcg(5);
    for _ in 0..60 {
        let a = &every[rng.next(every.len())];
        let field: Vec<char> = [&a.name, &a.email, &a.extension][rng.next(3)]
            .chars()
            .collect();
        let len = 1 + rng.next(field.len().min(12));
        let start = rng.next(field.len() - len + 1);
        let piece: String = field[start..start + len].iter().collect();
        queries.push(if rng.next(3) == 0 {
            piece.to_uppercase()
        } else {
            piece
        });
    }
    for q in &queries {
        if q.trim().is_empty() {
            continue;
        }
        agrees(&w, &every, q).await;
    }
}

/// More agents match than the trigram index is asked for (store/search.rs `BROAD`):
/// SQLite scans instead, with the same answers.
#[tokio::test]
async fn a_query_most_agents_match_is_answered_the_same() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    let agents: Vec<NewAgent> = (0..2_600)
        .map(|i| {
            agent(
                &format!("Agent {:04} Example", 2_599 - i),
                &format!("agent{i}@broad.example"),
                &(10_000 + i).to_string(),
                i % 2 == 1,
            )
        })
        .collect();
    w.server.store.insert_agents(&agents).await.unwrap();
    let every = w.all_agents().await;
    for q in [
        "example", "AGENT", "agent 0", "agent 1", "agent 12", "@broad", "10",
    ] {
        agrees(&w, &every, q).await;
    }
    // A deep page in the list's order.
    let page: AgentPage = w.get("/agents?q=example&page=40&per_page=50").await;
    assert_eq!(page.total, 2_600);
    let names: Vec<&str> = page.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names[0], "Agent 1950 Example");
    assert_eq!(names.len(), 50);
}

/// A query holding the character that joins the fields in the search column finds
/// only a field that holds it, never two fields side by side.
#[tokio::test]
async fn the_fields_separator_in_a_query_does_not_join_fields() {
    let w = World::with([10, 10, 10, 10], true, 0).await;
    w.server
        .store
        .insert_agents(&[
            agent("Ann", "bob@north.example", "4101", false),
            agent("Odd\u{1f}Name", "odd@north.example", "4102", true),
        ])
        .await
        .unwrap();
    assert_eq!(names(&w, "ann\u{1f}bob").await, Vec::<String>::new());
    assert_eq!(names(&w, "d\u{1f}n").await, vec!["Odd\u{1f}Name"]);
    let every = w.all_agents().await;
    agrees(&w, &every, "\u{1f}").await;
}

async fn create(w: &World, name: &str, email: &str, extension: &str) -> AgentDetail {
    let (status, body) = w
        .send(
            Method::POST,
            "/agents",
            Some(
                json!({"profile": {"name": name, "email": email, "extension": extension},
                        "licenses": []}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_value(body["agent"].clone()).unwrap()
}

#[tokio::test]
async fn the_index_follows_creation_edits_and_removal() {
    let w = World::with([10, 10, 10, 10], true, 3).await;
    let rosa = create(&w, "Rosa Quintero", "rosa.q@north.example", "4200").await;
    assert_eq!(names(&w, "quinter").await, vec!["Rosa Quintero"]);
    assert_eq!(names(&w, "qu").await, vec!["Rosa Quintero"]);

    // Renamed, a new address, a new extension: found by the new, not the old.
    let mut profile = serde_json::to_value(&rosa.profile).unwrap();
    profile["name"] = json!("Rosa Villanueva");
    profile["email"] = json!("rv@south.example");
    profile["extension"] = json!("4321");
    let (status, body) = w
        .send(
            Method::PUT,
            &format!("/agents/{}", rosa.id),
            Some(json!({"version": rosa.version, "profile": profile, "licenses": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    for gone in ["quinter", "qu", "rosa.q", "4200"] {
        assert_eq!(names(&w, gone).await, Vec::<String>::new(), "{gone}");
    }
    for found in ["villanueva", "rv@south", "432", "4321"] {
        assert_eq!(names(&w, found).await, vec!["Rosa Villanueva"], "{found}");
    }
    // A license change bumps the version but leaves the text: still found once.
    let (status, _) = w
        .post_changes(&[LicenseChange {
            agent_id: saved.id,
            license: LicenseType::Voice,
            assigned: true,
            version: saved.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (found, total) = search(&w, "villanueva", None).await;
    assert_eq!((found.len(), total), (1, 1));

    let (status, body) = w
        .send(
            Method::DELETE,
            &format!("/agents/{}?version={}", saved.id, found[0].version),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for gone in ["villanueva", "rv@south", "4321", "vi"] {
        assert_eq!(names(&w, gone).await, Vec::<String>::new(), "{gone}");
    }
    // SQLite gives the next agent the removed one's id: none of its text is left
    // under that id.
    let next = create(&w, "Other Person", "other@north.example", "4201").await;
    if w.server.store.backend() == Backend::Sqlite {
        assert_eq!(next.id, saved.id, "the id is reused (what this checks)");
    }
    for gone in ["villanueva", "rv@south", "4321"] {
        assert_eq!(names(&w, gone).await, Vec::<String>::new(), "{gone}");
    }
    assert_eq!(names(&w, "other pers").await, vec!["Other Person"]);
    // The others are untouched.
    assert_eq!(search(&w, "agent 00", None).await.1, 3);
}

#[tokio::test]
async fn the_index_follows_a_directory_refresh() {
    let w = World::with([10, 10, 10, 10], true, 3).await;
    let sim = Arc::new(Sim::new(Directory::generated(40, 1, 2001)));
    let base_url = alc_directory_sim::serve(System::RingCentral, sim.clone())
        .await
        .unwrap();
    let c = &sim.credentials;
    let (status, body) = w
        .send(
            Method::PUT,
            "/directory",
            Some(json!({"system": "ring_central", "base_url": base_url,
                        "client_id": c.client_id, "client_secret": c.client_secret,
                        "jwt": c.secret})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.refresh().await.error, None);
    let (first, renamed, removed) = {
        let d = sim.directory.lock().unwrap();
        (
            d.people[0].clone(),
            d.people[1].clone(),
            d.people[2].clone(),
        )
    };
    for p in [&first, &renamed, &removed] {
        assert_eq!(names(&w, &p.full_name()).await, vec![p.full_name()]);
        assert_eq!(search(&w, &p.email, Some("phone")).await.1, 1);
    }

    {
        let mut d = sim.directory.lock().unwrap();
        d.people[1].last_name = "Zyxwvut".into();
        d.people[1].email = "zyx@renamed.example".into();
        d.people.retain(|p| p.id != removed.id);
    }
    let report = w.refresh().await;
    assert_eq!(report.error, None);
    assert_eq!(report.removed.total, 1, "{report:?}");
    assert_eq!(names(&w, &removed.full_name()).await, Vec::<String>::new());
    assert_eq!(search(&w, &removed.email, None).await.1, 0);
    assert_eq!(search(&w, &renamed.email, None).await.1, 0);
    let new_name = format!("{} Zyxwvut", renamed.first_name);
    assert_eq!(names(&w, "zyxwv").await, vec![new_name.clone()]);
    assert_eq!(names(&w, "zyx@renamed").await, vec![new_name]);
    assert_eq!(names(&w, &first.full_name()).await, vec![first.full_name()]);
    let every = w.all_agents().await;
    for q in ["user", "zy", "example", "20"] {
        agrees(&w, &every, q).await;
    }
}
