//! End to end, in each browser: Export CSV downloads the list as filtered, and a file
//! chosen on Import agents from CSV is previewed row by row, then applied, leaving the
//! row in error out.

mod common;

use alc_domain::LicenseType;
use common::Session;
use serde_json::json;

/// Notes every Blob the page turns into a download link, so the test can read the file
/// the browser was handed.
const HOOK: &str = "window.__alcBlobs = [];
const make = URL.createObjectURL.bind(URL);
URL.createObjectURL = (b) => { window.__alcBlobs.push(b); return make(b); };";

/// The file's first three bytes (a byte-order mark is EF BB BF; `Blob.text()` drops
/// one) and its text.
async fn downloaded(s: &Session) -> (Vec<u8>, String) {
    for _ in 0..100 {
        let text = s
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const b = window.__alcBlobs && window.__alcBlobs[0];
                 if (!b) { done(null); } else {
                   Promise.all([b.arrayBuffer(), b.text()]).then(([buf, text]) =>
                     done([Array.from(new Uint8Array(buf).slice(0, 3)), text]));
                 }",
                vec![],
            )
            .await
            .unwrap();
        if let Some([bytes, text]) = text.as_array().map(Vec::as_slice) {
            let bytes = bytes.as_array().unwrap();
            return (
                bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect(),
                text.as_str().unwrap().to_string(),
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no file was downloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_downloads_the_filtered_list() {
    let s = Session::start().await;
    s.open("/agents?holds=sms&sort=name&order=desc").await;
    let holding = s.api_agents("holds=sms&sort=name&order=desc").await;
    s.wait_for_text(&format!("of {} agents", holding.total))
        .await;
    s.browser.execute(HOOK, vec![]).await.unwrap();
    s.click(&s.button("Export CSV").await).await;
    let (head, text) = downloaded(&s).await;
    assert_eq!(head, [0xef, 0xbb, 0xbf], "a byte-order mark first");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("Name,Email,Extension,Source,Voice,Web Chat,SMS"));
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        names,
        holding
            .agents
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_previewed_then_applied_leaving_out_the_row_in_error() {
    let s = Session::start().await;
    let before = s.api_summary().await;
    let lacking = s.api_agents("lacks=voice&per_page=1").await.agents[0].clone();
    let csv = format!(
        "Email,Extension,Name,Voice\r\n{},,,yes\r\nnobody@northwind.example,,,yes\r\nnew.agent@northwind.example,2999,Nova Newman,yes\r\n",
        lacking.email
    );
    let path = tempfile::Builder::new()
        .prefix("roster")
        .suffix(".csv")
        .tempfile()
        .unwrap()
        .into_temp_path();
    std::fs::write(&path, csv).unwrap();
    let file_name = path.file_name().unwrap().to_str().unwrap().to_string();

    s.open("/agents").await;
    s.click(&s.link("Import CSV").await).await;
    s.wait_for_text("Import agents from CSV").await;
    s.labelled("CSV file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    s.wait_for_text(&format!(
        "{file_name}: 3 rows — 1 will change, 1 new agent, 0 unchanged, 1 in error."
    ))
    .await;
    s.wait_for_text("No agent has the email nobody@northwind.example")
        .await;
    s.wait_for_text("New WebRTC agent with Voice").await;
    let voice = &before.licenses[0];
    s.wait_for_text(&format!(
        "Voice: {} of {} assigned",
        voice.assigned + 2,
        voice.purchased
    ))
    .await;
    // Nothing is applied while a row errors, unless it is left out.
    let apply = s.button("Apply import").await;
    assert!(!apply.is_enabled().await.unwrap());
    let leave_out = s.find("label.alc-check input[type=checkbox]").await;
    s.click(&leave_out).await;
    assert!(apply.is_enabled().await.unwrap());
    assert_eq!(s.api_summary().await, before, "a preview writes nothing");
    s.click(&apply).await;
    s.wait_for_text(&format!(
        "Imported {file_name}: 1 agent changed, 1 added, 1 row left out."
    ))
    .await;
    s.wait_for_text("Agent Licensing").await;
    let after = s.api_summary().await;
    assert_eq!(
        after.pool().assigned[LicenseType::Voice],
        before.pool().assigned[LicenseType::Voice] + 2
    );
    assert!(
        s.api_agent(&lacking.name)
            .await
            .licenses
            .has(LicenseType::Voice)
    );
    assert!(
        s.api_agent("Nova Newman")
            .await
            .licenses
            .has(LicenseType::Voice)
    );
    let audit: serde_json::Value = s.api_get("/audit?kind=import").await;
    assert_eq!(audit["entries"][0]["subject"], json!(file_name));
    s.finish().await;
}
