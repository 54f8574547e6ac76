//! End to end: signing in as each role, what an Agent sees, and the audit log of a
//! change made in the browser.

mod common;

use common::Session;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_signs_in_and_only_supervisors_and_admins_get_the_console() {
    let s = Session::start_signed_out().await;
    s.open("/agents").await;
    // Nobody is signed in: the sign-in page, not the console.
    let h1 = s.find("h1").await;
    assert_eq!(h1.text().await.unwrap(), "Sign in");

    // A wrong password: the message is next to the password field.
    s.sign_in("supervisor@northwind.example", "wrong password")
        .await;
    s.wait_for_text("That email and password do not match an account.")
        .await;
    let password = s.labelled("Password").await;
    assert_eq!(
        password.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let described = password.attr("aria-describedby").await.unwrap().unwrap();
    let message = s.text_of(&s.find(&format!("#{described}")).await).await;
    assert!(message.contains("do not match"), "{message}");

    // An agent: a clear "no access" page, and a way out.
    s.sign_in("agent@northwind.example", "agent-demo-2026")
        .await;
    s.wait_for_text("No access").await;
    s.wait_for_text("with the Agent role").await;
    // None of the console is there: no navigation, no screens.
    let nav = s
        .browser
        .find_all(Locator::Css("nav.alc-nav"))
        .await
        .unwrap();
    assert!(nav.is_empty(), "an agent sees the console's navigation");
    let out = s.button("Sign out").await;
    s.click(&out).await;
    s.wait_for_text("Sign in").await;

    // A supervisor: the console, without admin-only screens.
    s.sign_in("supervisor@northwind.example", "supervisor-demo-2026")
        .await;
    s.wait_for_text("Sam Supervisor · Supervisor").await;
    s.wait_for_text("Showing 1–40 of 40 agents").await;
    assert!(!s.page_text().await.contains("Settings"));
    let out = s.button("Sign out").await;
    s.click(&out).await;
    s.wait_for_text("Sign in").await;
    // Signed out means signed out: a reload does not bring the console back.
    s.open("/agents").await;
    s.wait_for_text("Sign in").await;
    assert!(!s.page_text().await.contains("Showing 1–40"));

    // The supervisor had no Settings; an admin has.
    s.sign_in("admin@northwind.example", "admin-demo-2026")
        .await;
    s.wait_for_text("Alex Admin · Admin").await;
    let settings = s.link("Settings").await;
    s.click(&settings).await;
    s.wait_for_text("Licenses purchased").await;
    // Fewer Voice seats than are assigned (20): refused next to the field, before
    // anything is sent.
    let voice = s.labelled("Voice seats").await;
    voice.clear().await.unwrap();
    voice.send_keys("19").await.unwrap();
    s.wait_for_text("20 Voice licenses are assigned: unassign 1 first")
        .await;
    let save = s.button("Save purchases").await;
    s.click(&save).await;
    assert_eq!(s.api_summary().await.licenses[0].purchased, 25);
    voice.clear().await.unwrap();
    voice.send_keys("30").await.unwrap();
    s.click(&save).await;
    s.wait_for_text("Saved.").await;
    assert_eq!(s.api_summary().await.licenses[0].purchased, 30);
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_in_the_browser_is_in_the_audit_log() {
    let s = Session::start().await;
    s.open("/agents").await;
    let zoe = s.checkbox("Voice license for Zoe Lambert").await;
    s.click(&zoe).await;
    let save = s.button("Save").await;
    s.click(&save).await;
    s.wait_for_text("Saved 1 change.").await;

    let audit = s.link("Audit Log").await;
    s.click(&audit).await;
    // The harness admin's sign-in, the supervisor's, and the license change.
    s.wait_for_text("3 changes").await;
    let row = s
        .find("table.alc-audit tbody tr")
        .await
        .text()
        .await
        .unwrap();
    for expected in [
        "Sam Supervisor <supervisor@northwind.example>",
        "Licenses changed",
        "Zoe Lambert",
        "licenses: none → Voice",
    ] {
        assert!(row.contains(expected), "{expected:?} not in {row:?}");
    }
    // Filtering by kind of change: none of another kind.
    let kind = s.labelled("Kind of change").await;
    kind.select_by_value("agent_removed").await.unwrap();
    s.wait_for_text("No changes match these filters.").await;
    assert!(
        s.browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("kind=agent_removed")
    );
    // An agent's own history, from its profile.
    s.open("/agents?q=zoe").await;
    let zoe = s.link("Zoe Lambert").await;
    s.click(&zoe).await;
    let history = s.link("History").await;
    s.click(&history).await;
    s.wait_for_text("only").await;
    s.wait_for_text("1 change").await;
    assert!(s.page_text().await.contains("licenses: none → Voice"));
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_runs_under_its_csp_and_a_violation_is_caught() {
    let s = Session::start().await;
    let page = reqwest::get(format!("{}/agents", s.server.url()))
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let scripts = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_default();
    assert!(
        scripts.starts_with("script-src 'self' 'wasm-unsafe-eval'")
            && !scripts.contains("unsafe-inline"),
        "{csp}"
    );
    s.assert_no_csp_violations(&s.browser).await;
    // What the policy refuses (an image from another origin) shows in the log the
    // harness reads after every test: the check can fail.
    s.browser
        .execute(
            "document.body.insertAdjacentHTML('beforeend', '<img alt=\"\" src=\"http://192.0.2.1/x.png\">')",
            vec![],
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let found = loop {
        let v = s.csp_violations(&s.browser).await;
        if !v.is_empty() || std::time::Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(
        found.iter().any(|m| m.contains("192.0.2.1")),
        "the violation was not seen: {found:?}"
    );
    s.finish().await;
}

/// The console's wasm (some 400 KB) is downloaded once per page load, in every
/// browser: WebKit did not hand a `<link rel=preload>` to the loader's `fetch()` and
/// downloaded it twice (the loader now starts the fetch itself, see Trunk.toml).
#[tokio::test]
async fn the_page_downloads_its_wasm_once() {
    let s = Session::start_signed_out().await;
    s.open("/").await;
    s.wait_for_text("Sign in").await;
    let wasm = s
        .browser
        .execute(
            "return performance.getEntriesByType('resource')
                 .filter(e => new URL(e.name).pathname.endsWith('.wasm'))
                 .map(e => e.initiatorType)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wasm, serde_json::json!(["fetch"]), "wasm downloads: {wasm}");
    s.finish().await;
}

/// Opened on Agent Licensing, the console sends its two list calls beside the session
/// check rather than after its answer, and each only once: the list takes the answers
/// the shell asked for at start (issue 13).
#[tokio::test]
async fn the_first_list_calls_go_with_the_session_check_once() {
    let s = Session::start().await;
    s.open("/agents?q=a").await;
    s.wait_for_text("Showing 1–").await;
    let calls = s
        .browser
        .execute(
            "return performance.getEntriesByType('resource')
                 .filter(e => new URL(e.name).pathname.startsWith('/api/'))
                 .map(e => [new URL(e.name).pathname + new URL(e.name).search, e.startTime, e.responseEnd])",
            vec![],
        )
        .await
        .unwrap();
    let calls: Vec<(String, f64, f64)> = serde_json::from_value(calls).unwrap();
    let of = |path: &str| -> Vec<&(String, f64, f64)> {
        calls.iter().filter(|c| c.0.starts_with(path)).collect()
    };
    let (session, licenses, agents) = (
        of("/api/v1/auth/session"),
        of("/api/v1/licenses"),
        of("/api/v1/agents?"),
    );
    assert_eq!(
        (session.len(), licenses.len(), agents.len()),
        (1, 1, 1),
        "{calls:?}"
    );
    // The page's own search went with the early call.
    assert!(agents[0].0.contains("q=a"), "{calls:?}");
    for early in [licenses[0], agents[0]] {
        assert!(
            early.1 < session[0].2,
            "not sent before the session answered: {calls:?}"
        );
    }
    s.finish().await;
}
