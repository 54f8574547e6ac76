//! End to end: the example host page (public/example-portal.html) on the release build.
//! It gets a bearer token as a portal's back end would and embeds the console as the
//! `<agent-licensing-console>` element and through the JavaScript `mount()`; neither
//! side's styles change the other's, routing stays out of the address bar, and both
//! unmount cleanly.

mod common;

use std::time::{Duration, Instant};

use common::{Session, WAIT};
use serde_json::{Value, json};

const ELEMENT: &str = "agent-licensing-console";
const JS_HOST: &str = "#js-host";

async fn js(s: &Session, script: &str, args: Vec<Value>) -> Value {
    s.browser
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// What the console mounted on `host` (a selector) shows; empty if nothing is there.
async fn console_text(s: &Session, host: &str) -> String {
    let script = "const h = document.querySelector(arguments[0]);
        const c = h && h.shadowRoot && h.shadowRoot.querySelector('.alc-embed');
        return c ? c.innerText : '';";
    js(s, script, vec![json!(host)])
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn wait_for_console_text(s: &Session, host: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = console_text(s, host).await;
        if shown.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the console in {host} never showed {text:?}; it shows:\n{shown}\n\nthe page says:\n{}",
            s.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Computed styles of the first element matching `selector` inside `host`'s shadow
/// root (`host` may be `document`'s own selector when `shadow` is false).
async fn computed(s: &Session, host: &str, selector: &str, props: &[&str]) -> Vec<String> {
    let script = "const [host, sel, props] = arguments;
        const h = document.querySelector(host);
        const el = h.shadowRoot.querySelector(sel);
        if (!el) throw new Error('nothing matches ' + sel);
        const cs = getComputedStyle(el);
        return props.map(p => cs.getPropertyValue(p).trim());";
    let v = js(s, script, vec![json!(host), json!(selector), json!(props)]).await;
    values(v)
}

async fn host_computed(s: &Session, selector: &str, props: &[&str]) -> Vec<String> {
    let script = "const [sel, props] = arguments;
        const cs = getComputedStyle(document.querySelector(sel));
        return props.map(p => cs.getPropertyValue(p).trim());";
    values(js(s, script, vec![json!(selector), json!(props)]).await)
}

fn values(v: Value) -> Vec<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Clicks, with JavaScript, the first element inside `host`'s shadow root that matches
/// `selector` and whose text is `text` (any text when empty).
async fn click_inside(s: &Session, host: &str, selector: &str, text: &str) {
    let script = "const [host, sel, text] = arguments;
        const els = [...document.querySelector(host).shadowRoot.querySelectorAll(sel)];
        const el = els.find(e => !text || e.textContent.trim() === text);
        if (!el) throw new Error('nothing matches ' + sel + ' ' + text);
        el.click();";
    js(s, script, vec![json!(host), json!(selector), json!(text)]).await;
}

/// How many nodes the shadow root of `host` holds (-1 without one).
async fn shadow_nodes(s: &Session, host_expr: &str) -> i64 {
    let script = format!(
        "const h = {host_expr}; return h && h.shadowRoot ? h.shadowRoot.childNodes.length : -1;"
    );
    js(s, &script, vec![]).await.as_i64().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_portal_embeds_the_console_with_a_token_and_unmounts_it() {
    // Signed out: the browser has no session cookie, so only the token can let the
    // embedded console in.
    let s = Session::start_signed_out().await;
    s.open("/example-portal.html").await;
    // (The portal's text-transform capitalises what `wait_for_text` reads: read the
    // status's own text.)
    let deadline = Instant::now() + WAIT;
    loop {
        let status = js(
            &s,
            "const p = document.querySelector('#token-status');
             return [p.dataset.state || '', p.textContent];",
            vec![],
        )
        .await;
        if status[0] == "ok" {
            assert!(
                status[1]
                    .as_str()
                    .unwrap_or_default()
                    .contains("supervisor@northwind.example")
            );
            break;
        }
        assert!(
            status[0] != "error" && Instant::now() < deadline,
            "the page got no token: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.find(ELEMENT).await;
    wait_for_console_text(&s, ELEMENT, "Showing 1–40 of 40 agents").await;
    wait_for_console_text(&s, ELEMENT, "Sam Supervisor · Supervisor").await;
    let counters = js(
        &s,
        "return document.querySelector(arguments[0]).shadowRoot
            .querySelectorAll('[role=group][aria-label]').length",
        vec![json!(ELEMENT)],
    )
    .await;
    assert!(counters.as_i64().unwrap_or_default() >= 4, "{counters}");
    // The page loaded the module, but main() left the page's body alone.
    assert_eq!(
        js(
            &s,
            "return document.querySelectorAll('.alc').length",
            vec![]
        )
        .await,
        json!(0)
    );

    // The portal's `* {font-family: Comic Sans !important; letter-spacing;
    // text-transform}` and friends do not reach the console...
    let nav = computed(
        &s,
        ELEMENT,
        ".alc-nav a",
        &["font-family", "text-transform", "letter-spacing"],
    )
    .await;
    assert!(nav[0].contains("system-ui"), "console font: {}", nav[0]);
    assert!(!nav[0].contains("Comic"), "host font leaked in: {}", nav[0]);
    assert_eq!(nav[1..], ["none", "normal"]);
    let button = computed(
        &s,
        ELEMENT,
        ".alc-savebar .alc-button",
        &[
            "background-color",
            "border-top-left-radius",
            "text-transform",
        ],
    )
    .await;
    assert_eq!(button, ["rgb(255, 255, 255)", "6px", "none"]);
    let cell = computed(&s, ELEMENT, ".alc-table td", &["border-left-style"]).await;
    assert_eq!(cell, ["none"]);
    let search = computed(&s, ELEMENT, "input[type=search]", &["width"]).await;
    assert_ne!(search, ["300px"]);
    // ...while the portal's theme for the element does.
    let theme = computed(&s, ELEMENT, ".alc", &["--alc-accent"]).await;
    assert_eq!(theme, ["#0a7a5a"]);

    // The console changed nothing of the portal's own look.
    assert_eq!(
        host_computed(&s, "main h1", &["font-size", "text-transform"]).await,
        ["60px", "uppercase"]
    );
    assert_eq!(
        host_computed(&s, "#element-add", &["background-color"]).await,
        ["rgb(255, 105, 180)"]
    );
    assert!(host_computed(&s, "body", &["font-family"]).await[0].contains("Comic"));
    let leaked = js(
        &s,
        "return [...document.styleSheets].flatMap(sh => [...sh.cssRules])
            .filter(r => (r.selectorText || '').includes('.alc')).length",
        vec![],
    )
    .await;
    assert_eq!(leaked, json!(0), "console rules in the page's stylesheets");

    // A console link changes the screen, not the address (memory routing).
    let before = js(&s, "return [location.href, history.length]", vec![]).await;
    click_inside(&s, ELEMENT, ".alc-nav a", "Phone User Licensing").await;
    wait_for_console_text(&s, ELEMENT, "Showing 1–26 of 26 phone users").await;
    let after = js(&s, "return [location.href, history.length]", vec![]).await;
    assert_eq!(before, after);

    // The console's own handlers run inside the shadow root: a box, then a button.
    click_inside(&s, ELEMENT, "input[type=checkbox]:not(:disabled)", "").await;
    wait_for_console_text(&s, ELEMENT, "1 unsaved change").await;
    click_inside(&s, ELEMENT, ".alc-button", "Discard").await;
    wait_for_console_text(&s, ELEMENT, "No unsaved changes").await;

    // The JavaScript API: mount with a theme option, then unmount.
    let mount = s.find("#js-mount").await;
    s.click(&mount).await;
    wait_for_console_text(&s, JS_HOST, "Showing 1–40 of 40 agents").await;
    assert_eq!(
        computed(&s, JS_HOST, ".alc", &["--alc-accent"]).await,
        ["#b1005a"]
    );
    let unmount = s.find("#js-unmount").await;
    s.click(&unmount).await;
    let deadline = Instant::now() + WAIT;
    while shadow_nodes(&s, "document.querySelector('#js-host')").await != 0 {
        assert!(Instant::now() < deadline, "#js-host kept its console");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Removing the element unmounts its console.
    js(
        &s,
        "window.__alcElement = document.querySelector(arguments[0])",
        vec![json!(ELEMENT)],
    )
    .await;
    let remove = s.find("#element-remove").await;
    s.click(&remove).await;
    assert_eq!(
        js(
            &s,
            "return document.querySelectorAll(arguments[0]).length",
            vec![json!(ELEMENT)]
        )
        .await,
        json!(0)
    );
    assert_eq!(shadow_nodes(&s, "window.__alcElement").await, 0);
    assert_eq!(console_text(&s, JS_HOST).await, "");
    assert_eq!(
        js(
            &s,
            "return document.querySelectorAll('.alc').length",
            vec![]
        )
        .await,
        json!(0)
    );
    s.finish().await;
}
