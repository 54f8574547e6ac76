//! The roster as CSV over real HTTP, on each backend: an export is the list's agents in
//! the list's order, safe to open in a spreadsheet; an import is previewed without a
//! write, applied only as previewed, all or nothing, and audited with its file's name.

mod common;

use alc_domain::access::{AuditKind, AuditPage};
use alc_domain::import::{ImportPreview, RowStatus};
use alc_domain::*;
use alc_server::NewAgent;
use common::{World, execute};
use reqwest::StatusCode;
use serde_json::Value;

/// Ten agents, five Voice seats of which three are held, a phone user gone from the
/// directory with its Voice held.
async fn roster() -> World {
    let w = World::with([5, 5, 5, 5], true, 0).await;
    let agent = |i: usize, name: &str, licenses: &[LicenseType], source: AgentSource| NewAgent {
        name: name.into(),
        email: format!("a{i}@test.example"),
        extension: (1000 + i).to_string(),
        source,
        licenses: licenses.iter().copied().collect(),
        directory_key: source.is_uc().then(|| format!("key-{i}")),
    };
    use LicenseType::*;
    let webrtc = AgentSource::Webrtc;
    let agents = vec![
        agent(0, "Ann Lee", &[Voice, Transcription], webrtc),
        agent(1, "=HYPERLINK(\"http://x\")", &[], webrtc),
        agent(2, "Bo Chan", &[Voice], webrtc),
        agent(3, "Cy Ng", &[], webrtc),
        agent(4, "Dee Roy", &[Sms], webrtc),
        agent(5, "Émile Zola", &[], webrtc),
        agent(6, "Fay Wu", &[], webrtc),
        agent(7, "Gus Gone", &[Voice], AgentSource::RingCentral),
        agent(8, "Hal Ito", &[], AgentSource::RingCentral),
        agent(9, "Ivy Ok", &[WebChat], webrtc),
    ];
    w.server.store.insert_agents(&agents).await.unwrap();
    execute(
        &w,
        "UPDATE agents SET gone_since = '2026-01-01 00:00:00' WHERE email = 'a7@test.example'",
    )
    .await;
    w
}

async fn export(w: &World, query: &str) -> String {
    let r = w
        .http
        .get(w.url(&format!("/agents/export?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("agents.csv")
    );
    r.text().await.unwrap()
}

async fn import(w: &World, query: &str, csv: &str) -> (StatusCode, Value) {
    let r = w
        .http
        .post(w.url(&format!("/agents/import?{query}")))
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn preview(w: &World, csv: &str) -> ImportPreview {
    let (status, body) = import(w, "file=roster.csv", csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

fn status_words(p: &ImportPreview) -> Vec<String> {
    p.rows
        .iter()
        .map(|r| match &r.status {
            RowStatus::Change { after, .. } => format!("{}: {after:?}", r.name),
            RowStatus::Create { licenses } => format!("{}: new {licenses:?}", r.name),
            RowStatus::Unchanged => format!("{}: unchanged", r.name),
            RowStatus::Error { code, .. } => format!("{}: {code}", r.name),
        })
        .collect()
}

#[tokio::test]
async fn an_export_is_the_filtered_list_in_its_order_safe_for_spreadsheets() {
    let w = roster().await;
    let text = export(&w, "holds=voice&sort=name&order=desc").await;
    assert!(text.starts_with('\u{feff}'), "a byte-order mark first");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Extension,Source,Voice,Web Chat,SMS,Transcription,Held for review,Disabled in directory,Receives no queue calls"
    );
    let listed = common::every_agent(&w.http, &w.url(""), "holds=voice&sort=name&order=desc").await;
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        names,
        listed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(lines[1..].len(), 3);
    assert!(lines.contains(&"Gus Gone,a7@test.example,1007,RingCentral,yes,no,no,no,yes,no,yes"));

    // Every agent; a cell that a spreadsheet would run is text.
    let all = export(&w, "").await;
    assert!(
        all.contains("\"'=HYPERLINK(\"\"http://x\"\")\",a1@test.example"),
        "{all}"
    );
    assert_eq!(all.lines().count(), 11);
    // Compressed, as browsers ask for it: the whole body arrives.
    let r = w
        .http
        .get(w.url("/agents/export"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(r.bytes().await.unwrap().len() > 100);
    let (status, body) = w
        .send(reqwest::Method::GET, "/agents/export?sort=shoe_size", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_query");
}

#[tokio::test]
async fn an_export_imported_back_changes_nothing() {
    let w = roster().await;
    let file = export(&w, "").await;
    let p = preview(&w, &file).await;
    assert_eq!(
        (p.unchanged, p.changed, p.errors),
        (10, 0, 0),
        "{:?}",
        status_words(&p)
    );
    assert_eq!(p.summary, w.summary().await);
}

#[tokio::test]
async fn a_preview_lists_every_row_and_writes_nothing_then_apply_writes_what_it_showed() {
    let w = roster().await;
    let before = w.all_agents().await;
    let summary = w.summary().await;
    let csv = "Email,Extension,Name,Voice,SMS,Transcription
a3@test.example,,,yes,,
,1004,,,no,
a0@test.example,,,no,,
,1005,,yes,maybe,
a7@test.example,,,,yes,
nobody@test.example,,,yes,,
new.one@test.example,2001,New One,yes,,yes
a6@test.example,1006,,yes,yes,
a6@test.example,,,,,
a8@test.example,,,yes,,
x@test.example,2002,,,,";
    let p = preview(&w, csv).await;
    assert_eq!(
        status_words(&p),
        [
            "Cy Ng: {Voice}",
            "Dee Roy: {}",
            "Ann Lee: required_by_transcription",
            "Émile Zola: invalid_value",
            "Gus Gone: gone_from_directory",
            "nobody@test.example: unknown_agent",
            "New One: new {Voice, Transcription}",
            "Fay Wu: duplicate_row",
            "Fay Wu: duplicate_row",
            "Hal Ito: exceeds_purchased",
            "x@test.example: unknown_agent",
        ],
    );
    // Voice: 3 held, +Cy +New One = 5 of 5, so Hal (further down) is one too many.
    let voice = &p.summary.licenses[0];
    assert_eq!((voice.assigned, voice.available), (5, 0));
    assert_eq!((p.changed, p.created, p.errors), (2, 1, 8));
    let RowStatus::Error { reason, .. } = &p.rows[9].status else {
        panic!()
    };
    assert!(reason.contains("No Voice license left"), "{reason}");
    // A dry run: nothing moved.
    assert_eq!(w.all_agents().await, before);
    assert_eq!(w.summary().await, summary);

    // Rows in error: nothing is applied unless they are left out.
    let apply = format!("file=roster.csv&apply={}", p.fingerprint);
    let (status, body) = import(&w, &apply, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "import_has_errors");
    assert_eq!(body["fields"][0]["field"], "rows[4]");
    assert_eq!(w.all_agents().await, before);

    let (status, body) = import(&w, &format!("{apply}&leave_out_errors=true"), csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done: ImportPreview = serde_json::from_value(body).unwrap();
    assert!(done.applied);
    assert_eq!(done.summary, p.summary);
    assert_eq!(w.summary().await, p.summary);
    let after = w.all_agents().await;
    let licenses = |email: &str| {
        after
            .iter()
            .find(|a| a.email == email)
            .map(|a| a.licenses)
            .unwrap()
    };
    assert!(licenses("a3@test.example").has(LicenseType::Voice));
    assert!(licenses("a4@test.example").is_empty());
    assert!(licenses("a8@test.example").is_empty());
    assert_eq!(
        licenses("new.one@test.example"),
        [LicenseType::Voice, LicenseType::Transcription]
            .into_iter()
            .collect()
    );
    let ann = before
        .iter()
        .find(|a| a.email == "a0@test.example")
        .unwrap();
    assert_eq!(licenses("a0@test.example"), ann.licenses);

    // Audited: each agent's entry names the import, and the import has its own.
    let log: AuditPage = w.get("/audit").await;
    let via: Vec<(&str, Option<&str>)> = log
        .entries
        .iter()
        .take(4)
        .map(|e| (e.subject.as_str(), e.via.as_deref()))
        .collect();
    assert_eq!(via[0], ("roster.csv", None));
    assert_eq!(log.entries[0].kind, AuditKind::Import);
    assert_eq!(log.entries[0].after.as_ref().unwrap()["changed"], 2);
    assert!(
        via[1..]
            .iter()
            .all(|(_, v)| *v == Some("Import of roster.csv")),
        "{via:?}"
    );
}

#[tokio::test]
async fn new_agents_are_created_with_their_licenses() {
    let w = roster().await;
    let csv = "Name,Email,Extension,Source,Voice,Web Chat
New One,new.one@test.example,2001,WebRTC,yes,yes
New Two,new.two@test.example,2002,,,
Bad Mail,not-an-email,2003,,,
Twin,new.one@test.example,2004,,,
Phone Person,phone@test.example,2005,RingCentral,yes,";
    let p = preview(&w, csv).await;
    assert_eq!(
        status_words(&p),
        [
            "New One: duplicate_row",
            "New Two: new {}",
            "Bad Mail: invalid_profile",
            "Twin: duplicate_row",
            "Phone Person: unknown_agent",
        ]
    );
    let csv = csv.replace("Twin,new.one", "Twin,twin");
    let p = preview(&w, &csv).await;
    assert_eq!(p.created, 3, "{:?}", status_words(&p));
    let (status, body) = import(
        &w,
        &format!("file=new.csv&apply={}&leave_out_errors=true", p.fingerprint),
        &csv,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done: ImportPreview = serde_json::from_value(body).unwrap();
    let id = done.rows[0].agent_id.expect("the new agent's id");
    let (status, detail) = w
        .send(reqwest::Method::GET, &format!("/agents/{}", id.0), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["profile"]["name"], "New One");
    assert_eq!(detail["licenses"], serde_json::json!(["voice", "web_chat"]));
    assert_eq!(w.all_agents().await.len(), 13);
}

#[tokio::test]
async fn an_import_applied_after_the_roster_moved_is_refused_whole() {
    let w = roster().await;
    let csv = "Email,Voice\na3@test.example,yes\na5@test.example,yes";
    let p = preview(&w, csv).await;
    assert_eq!(p.changed, 2);
    // Someone gives Cy Ng SMS meanwhile: Cy's version moves.
    let cy = w
        .all_agents()
        .await
        .into_iter()
        .find(|a| a.email == "a3@test.example")
        .unwrap();
    let (status, _) = w
        .post_changes(&[LicenseChange {
            agent_id: cy.id,
            license: LicenseType::Sms,
            assigned: true,
            version: cy.version,
        }])
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = w.all_agents().await;
    let (status, body) = import(&w, &format!("file=r.csv&apply={}", p.fingerprint), csv).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "import_changed");
    assert_eq!(w.all_agents().await, before);
    // Another file under the same fingerprint is refused the same way.
    let again = preview(&w, csv).await;
    let (status, _) = import(
        &w,
        &format!("file=r.csv&apply={}", again.fingerprint),
        "Email,Voice\na3@test.example,yes",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(w.all_agents().await, before);
}

#[tokio::test]
async fn unreadable_huge_and_unsigned_files_are_refused_with_a_reason() {
    let w = roster().await;
    for (csv, code) in [("", "invalid_csv"), ("Name,Voice\nAnn,yes", "invalid_csv")] {
        let (status, body) = import(&w, "file=x.csv", csv).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{csv:?}: {body}");
        assert_eq!(body["code"], code, "{csv:?}");
        assert!(body["message"].as_str().unwrap().len() > 10);
    }
    let r = w
        .http
        .post(w.url("/agents/import?file=x.csv"))
        .body(b"Email\n\xff\xfe\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Past 50,000 rows; past 32 MiB (read no further than that).
    let mut many = String::from("Extension\n");
    for i in 0..50_001 {
        many.push_str(&format!("{i}\n"));
    }
    let (status, body) = import(&w, "file=x.csv", &many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "too_many_rows");
    let huge = format!("Email\n{}", "x".repeat(33 * 1024 * 1024));
    let (status, body) = import(&w, "file=x.csv", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "body_too_large");

    // A stranger reads and writes nothing.
    let r = reqwest::Client::new()
        .post(w.url("/agents/import?file=x.csv"))
        .body("Email,Voice\na3@test.example,yes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = reqwest::Client::new()
        .get(w.url("/agents/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_template_reads_as_one_new_agent() {
    let w = roster().await;
    let r = w
        .http
        .get(w.url("/agents/import-template"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let p = preview(&w, &text).await;
    assert_eq!(status_words(&p), ["Jordan Example: new {Voice}"]);
}
