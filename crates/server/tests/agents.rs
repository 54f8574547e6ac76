//! Agent profiles over real HTTP: every rule enforced by the server even when the
//! browser is bypassed, races for the same email or extension, stale edits, removal.

mod common;

use alc_domain::ErrorCode;
use std::sync::Arc;

use alc_domain::api::{AgentDetail, AgentSaved, Availability, ExtensionSuggestion};
use alc_domain::*;
use common::World;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn profile(name: &str, email: &str, extension: &str) -> Value {
    json!({"name": name, "email": email, "extension": extension})
}

async fn create(w: &World, profile: Value, licenses: &[&str]) -> (StatusCode, Value) {
    w.send(
        Method::POST,
        "/agents",
        Some(json!({"profile": profile, "licenses": licenses})),
    )
    .await
}

fn codes(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap().to_string(),
                        f["code"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The demo account, whose UC groups hold 3001–3003.
async fn demo() -> World {
    World::demo().await
}

#[tokio::test]
async fn an_agent_is_created_with_its_licenses_in_one_step() {
    let w = demo().await;
    let before = w.summary().await.pool();
    let (status, body) = create(
        &w,
        json!({
            "name": "  Priya Raman ", "email": "priya.raman@northwind.example", "extension": "4100",
            "preferred_name": "Priya", "no_answer": {"kind": "extension", "extension": "3001"},
            "recording": "manual", "review_own_recordings": true
        }),
        &["voice", "transcription"],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let saved: AgentSaved = serde_json::from_value(body).unwrap();
    let agent = saved.agent.unwrap();
    assert_eq!(agent.profile.name, "Priya Raman", "trimmed");
    assert_eq!(agent.source, AgentSource::Webrtc);
    assert_eq!(agent.profile.recording, RecordingMode::Manual);
    assert_eq!(
        agent.licenses,
        [LicenseType::Voice, LicenseType::Transcription]
            .into_iter()
            .collect()
    );
    let after = saved.summary.pool();
    assert_eq!(
        after.assigned[LicenseType::Voice],
        before.assigned[LicenseType::Voice] + 1
    );
    assert_eq!(
        after.assigned[LicenseType::Transcription],
        before.assigned[LicenseType::Transcription] + 1
    );
    let fetched: AgentDetail = w.get(&format!("/agents/{}", agent.id)).await;
    assert_eq!(fetched, agent);
    let page: AgentPage = w.get("/agents?q=priya").await;
    assert_eq!(page.agents[0].licenses, agent.licenses);
}

async fn total(w: &World) -> u64 {
    w.get::<AgentPage>("/agents").await.total
}

#[tokio::test]
async fn every_rule_is_enforced_by_the_server() {
    let w = demo().await;
    let count = total(&w).await;
    let long = "x".repeat(101);
    let cases: Vec<(Value, Vec<&str>, (&str, &str))> = vec![
        (
            profile("   ", "a@northwind.example", "4100"),
            vec![],
            ("name", "required"),
        ),
        (
            profile(&long, "a@northwind.example", "4100"),
            vec![],
            ("name", "too_long"),
        ),
        (
            profile("Bad\u{0007}Name", "a@northwind.example", "4100"),
            vec![],
            ("name", "control_characters"),
        ),
        (
            profile("Ann", "not-an-email", "4100"),
            vec![],
            ("email", "invalid_email"),
        ),
        (
            profile("Ann", "a@northwind.example", "41a0"),
            vec![],
            ("extension", "not_digits"),
        ),
        (
            json!({"name": "Ann", "email": "a@northwind.example", "extension": "4100", "preferred_name": "p".repeat(51)}),
            vec![],
            ("preferred_name", "too_long"),
        ),
        (
            json!({"name": "Ann", "email": "a@northwind.example", "extension": "4100", "no_answer": {"kind": "extension", "extension": "4100"}}),
            vec![],
            ("no_answer", "self_destination"),
        ),
        (
            json!({"name": "Ann", "email": "a@northwind.example", "extension": "4100", "no_answer": {"kind": "extension", "extension": "5999"}}),
            vec![],
            ("no_answer", "unknown_destination"),
        ),
        (
            profile("Ann", "AARON.BLAKE@northwind.example", "4100"),
            vec![],
            ("email", "email_taken"),
        ),
        (
            profile("Ann", "rosa.jimenez@northwind.example", "4100"),
            vec![],
            ("email", "email_is_uc_user"),
        ),
        (
            profile("Ann", "a@northwind.example", "4001"),
            vec![],
            ("extension", "extension_taken"),
        ),
        (
            profile("Ann", "a@northwind.example", "2001"),
            vec![],
            ("extension", "extension_taken"),
        ),
        (
            profile("Ann", "a@northwind.example", "3001"),
            vec![],
            ("extension", "extension_is_group"),
        ),
        (
            profile("Ann", "a@northwind.example", "4100"),
            vec!["transcription"],
            ("licenses", "transcription_needs_voice"),
        ),
        (
            profile("Ann", "a@northwind.example", "4100"),
            vec!["voice", "sms"],
            ("licenses", "exceeds_purchased"),
        ),
    ];
    // Use up the last SMS seat first, so that the last case exceeds the purchase.
    let (s, b) = create(
        &w,
        profile("Seat Taker", "seat@northwind.example", "4200"),
        &["sms"],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let count = count + 1;
    for (p, licenses, (field, code)) in cases {
        let (status, body) = create(&w, p.clone(), &licenses).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}: {body}");
        assert!(
            codes(&body).contains(&(field.to_string(), code.to_string())),
            "{p}: expected {field}/{code}, got {body}"
        );
        assert!(
            body["message"].as_str().unwrap().ends_with("saved."),
            "{body}"
        );
        assert_eq!(total(&w).await, count, "nothing was created for {p}");
    }
    // A phone user's address comes with a free alternative in the message.
    let (_, body) = create(
        &w,
        profile("Ann", "rosa.jimenez@northwind.example", "4100"),
        &[],
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("rosa.jimenez+webrtc@northwind.example"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_for_one_extension_or_email_have_one_winner() {
    let w = Arc::new(demo().await);
    for (same_email, same_ext) in [(false, true), (true, false)] {
        let mut tasks = Vec::new();
        for i in 0..12 {
            let w = w.clone();
            let email = if same_email {
                "race@northwind.example".to_string()
            } else {
                format!("race{i}@northwind.example")
            };
            let ext = if same_ext {
                "4500".to_string()
            } else {
                format!("46{i:02}")
            };
            tasks.push(tokio::spawn(async move {
                create(&w, profile("Racer", &email, &ext), &[]).await
            }));
        }
        let mut won = 0;
        for t in futures::future::join_all(tasks).await {
            let (status, body) = t.unwrap();
            match status {
                StatusCode::CREATED => won += 1,
                StatusCode::UNPROCESSABLE_ENTITY => {
                    let expected = if same_ext {
                        "extension_taken"
                    } else {
                        "email_taken"
                    };
                    assert!(codes(&body).iter().any(|(_, c)| c == expected), "{body}");
                }
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!(won, 1);
    }
}

#[tokio::test]
async fn edits_are_checked_and_stale_edits_refused() {
    let w = demo().await;
    let (_, body) = create(
        &w,
        profile("Edit Me", "edit.me@northwind.example", "4300"),
        &["voice"],
    )
    .await;
    let agent: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    let path = format!("/agents/{}", agent.id);

    let mut p = serde_json::to_value(&agent.profile).unwrap();
    p["name"] = json!("Edited Name");
    p["recording"] = json!("disabled");
    let (status, body) = w
        .send(
            Method::PUT,
            &path,
            Some(json!({"version": agent.version, "profile": p, "licenses": ["voice", "sms"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let edited: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    assert_eq!(edited.profile.name, "Edited Name");
    assert_eq!(edited.profile.recording, RecordingMode::Disabled);
    assert!(edited.licenses.has(LicenseType::Sms));
    assert_eq!(edited.version, agent.version.next());

    // A second supervisor still holds the first version.
    let (status, body) = w
        .send(
            Method::PUT,
            &path,
            Some(json!({"version": agent.version, "profile": p, "licenses": []})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("changed by someone else")
    );
    let now: AgentDetail = w.get(&path).await;
    assert_eq!(now, edited, "the stale edit changed nothing");

    // Taking someone else's email is refused; keeping one's own is fine.
    p["email"] = json!("Aaron.Blake@northwind.example");
    let (status, body) = w
        .send(
            Method::PUT,
            &path,
            Some(json!({"version": edited.version, "profile": p, "licenses": ["voice"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&body),
        [("email".to_string(), "email_taken".to_string())]
    );
    assert_eq!(w.get::<AgentDetail>(&path).await, edited);
}

#[tokio::test]
async fn phone_users_keep_their_directory_fields() {
    let w = demo().await;
    let page: AgentPage = w.get("/agents?q=rosa").await;
    let rosa: AgentDetail = w.get(&format!("/agents/{}", page.agents[0].id)).await;
    let path = format!("/agents/{}", rosa.id);
    let mut p = serde_json::to_value(&rosa.profile).unwrap();
    p["name"] = json!("Rosa Renamed");
    let (status, body) = w
        .send(
            Method::PUT,
            &path,
            Some(json!({"version": rosa.version, "profile": p, "licenses": []})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&body),
        [("name".to_string(), "read_only".to_string())]
    );

    let mut p = serde_json::to_value(&rosa.profile).unwrap();
    p["recording"] = json!("automatic_no_pause");
    p["no_answer"] = json!({"kind": "voicemail"});
    let (status, body) = w
        .send(
            Method::PUT,
            &path,
            Some(json!({"version": rosa.version, "profile": p, "licenses": ["voice"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let saved: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    assert_eq!(saved.profile.recording, RecordingMode::AutomaticNoPause);
    assert_eq!(saved.profile.no_answer, NoAnswer::Voicemail);
    assert_eq!(saved.profile.name, rosa.profile.name);

    let (status, body) = w
        .send(
            Method::DELETE,
            &format!("{path}?version={}", saved.version),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "phone_user");
}

#[tokio::test]
async fn removing_an_agent_returns_its_licenses() {
    let w = demo().await;
    let (_, body) = create(
        &w,
        profile("Leaving Soon", "leaving@northwind.example", "4400"),
        &["voice", "web_chat"],
    )
    .await;
    let agent: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    let (_, body) = create(
        &w,
        json!({"name": "Forwarder", "email": "fwd@northwind.example", "extension": "4401",
               "no_answer": {"kind": "extension", "extension": "4400"}}),
        &[],
    )
    .await;
    let forwarder: AgentDetail = serde_json::from_value(body["agent"].clone()).unwrap();
    let before = w.summary().await.pool();
    let path = format!("/agents/{}", agent.id);

    let (status, _) = w
        .send(
            Method::DELETE,
            &format!("{path}?version={}", agent.version.0 + 7),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = w
        .send(
            Method::DELETE,
            &format!("{path}?version={}", agent.version),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = w.summary().await.pool();
    assert_eq!(
        after.assigned[LicenseType::Voice],
        before.assigned[LicenseType::Voice] - 1
    );
    assert_eq!(
        after.assigned[LicenseType::WebChat],
        before.assigned[LicenseType::WebChat] - 1
    );
    let (status, body) = w.send(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "agent_not_found");
    let fwd: AgentDetail = w.get(&format!("/agents/{}", forwarder.id)).await;
    assert_eq!(
        fwd.profile.no_answer,
        NoAnswer::None,
        "no longer points at a removed extension"
    );
    assert_eq!(fwd.version, forwarder.version.next());
    let (status, _) = w.send(Method::GET, "/agents/not-a-number", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn availability_and_suggestions() {
    let w = demo().await;
    let a: Availability = w
        .get("/agents/availability?email=Rosa.Jimenez%40northwind.example&extension=3001")
        .await;
    assert_eq!(a.email.unwrap().code, ErrorCode::EmailIsUcUser);
    assert_eq!(
        a.email_suggestion.as_deref(),
        Some("Rosa.Jimenez+webrtc@northwind.example")
    );
    assert_eq!(a.extension.unwrap().code, ErrorCode::ExtensionIsGroup);

    // When +webrtc is taken, the next variant is offered.
    create(
        &w,
        profile(
            "Rosa WebRTC",
            "rosa.jimenez+webrtc@northwind.example",
            "4100",
        ),
        &[],
    )
    .await;
    let a: Availability = w
        .get("/agents/availability?email=rosa.jimenez%40northwind.example")
        .await;
    assert_eq!(
        a.email_suggestion.as_deref(),
        Some("rosa.jimenez+webrtc2@northwind.example")
    );

    // One's own values are not "taken" when editing.
    let page: AgentPage = w.get("/agents?q=4003").await;
    let own = &page.agents[0];
    let q = format!(
        "/agents/availability?email={}&extension={}&agent_id={}",
        own.email, own.extension, own.id
    );
    assert_eq!(w.get::<Availability>(&q).await, Availability::default());
    let free: Availability = w
        .get("/agents/availability?email=new%40northwind.example&extension=4999")
        .await;
    assert_eq!(free, Availability::default());
    let bad: Availability = w.get("/agents/availability?extension=12x").await;
    assert_eq!(bad.extension.unwrap().code, ErrorCode::NotDigits);
}

#[tokio::test]
async fn the_next_free_extension_follows_the_ranges() {
    let w = demo().await;
    // The demo's WebRTC agents hold 4001–4014; 4000 is free.
    let s: ExtensionSuggestion = w.get("/agents/next-extension").await;
    assert_eq!(s.extension.as_deref(), Some("4000"));
    assert_eq!(s.range, ExtensionRanges::default().webrtc);
    create(
        &w,
        profile("Fills 4000", "f4000@northwind.example", "4000"),
        &[],
    )
    .await;
    let s: ExtensionSuggestion = w.get("/agents/next-extension").await;
    assert_eq!(s.extension.as_deref(), Some("4015"));

    let mut ranges: ExtensionRanges = w.get("/settings/extension-ranges").await;
    ranges.webrtc = ExtensionRange {
        first: 4013,
        last: 4015,
    };
    let (status, _) = w
        .send(
            Method::PUT,
            "/settings/extension-ranges",
            Some(serde_json::to_value(ranges).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let s: ExtensionSuggestion = w.get("/agents/next-extension").await;
    assert_eq!(s.extension.as_deref(), Some("4015"));
    create(
        &w,
        profile("Fills 4015", "f4015@northwind.example", "4015"),
        &[],
    )
    .await;
    let s: ExtensionSuggestion = w.get("/agents/next-extension").await;
    assert_eq!(s.extension, None, "the range is full");

    ranges.uc_groups = ranges.uc_users;
    let (status, body) = w
        .send(
            Method::PUT,
            "/settings/extension-ranges",
            Some(serde_json::to_value(ranges).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(!codes(&body).is_empty());
}
