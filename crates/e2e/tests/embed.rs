//! End to end: the example host page (public/example-portal.html) on the release build.
//! It gets a console token from the demo's stand-in for a portal's back end (single
//! sign-on, no password) and embeds the console as the `<agent-licensing-console>`
//! element and through the JavaScript `mount()`; neither side's styles change the
//! other's, routing stays out of the address bar, and both unmount cleanly. Then the
//! same page served from another origin, under a strict CSP of its own: a tick saved
//! across origins, a new token that keeps a pending tick, `fetchToken` on a 401, and the
//! console's events on the host page.

mod common;

use std::time::{Duration, Instant};

use alc_server::{Config, Running};
use common::{Browser, Driver, Session, WAIT, connect, csp_violations, site_dir};
use fantoccini::Client;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ELEMENT: &str = "agent-licensing-console";
const JS_HOST: &str = "#js-host";

/// What the helpers below need of a test's browser: the harness's [`Session`], or the
/// cross-origin test's own [`Portal`].
trait HasBrowser {
    fn client(&self) -> &Client;
}

impl HasBrowser for Session {
    fn client(&self) -> &Client {
        &self.browser
    }
}

async fn js(s: &impl HasBrowser, script: &str, args: Vec<Value>) -> Value {
    s.client()
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn page_text(s: &impl HasBrowser) -> String {
    js(s, "return document.body.innerText", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// What the console mounted on `host` (a selector) shows; empty if nothing is there.
async fn console_text(s: &impl HasBrowser, host: &str) -> String {
    let script = "const h = document.querySelector(arguments[0]);
        const c = h && h.shadowRoot && h.shadowRoot.querySelector('.alc-embed');
        return c ? c.innerText : '';";
    js(s, script, vec![json!(host)])
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn wait_for_console_text(s: &impl HasBrowser, host: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = console_text(s, host).await;
        if shown.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the console in {host} never showed {text:?}; it shows:\n{shown}\n\nthe page says:\n{}",
            page_text(s).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Computed styles of the first element matching `selector` inside `host`'s shadow
/// root (`host` may be `document`'s own selector when `shadow` is false).
async fn computed(s: &impl HasBrowser, host: &str, selector: &str, props: &[&str]) -> Vec<String> {
    let script = "const [host, sel, props] = arguments;
        const h = document.querySelector(host);
        const el = h.shadowRoot.querySelector(sel);
        if (!el) throw new Error('nothing matches ' + sel);
        const cs = getComputedStyle(el);
        return props.map(p => cs.getPropertyValue(p).trim());";
    let v = js(s, script, vec![json!(host), json!(selector), json!(props)]).await;
    values(v)
}

async fn host_computed(s: &impl HasBrowser, selector: &str, props: &[&str]) -> Vec<String> {
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
async fn click_inside(s: &impl HasBrowser, host: &str, selector: &str, text: &str) {
    let script = "const [host, sel, text] = arguments;
        const els = [...document.querySelector(host).shadowRoot.querySelectorAll(sel)];
        const el = els.find(e => !text || e.textContent.trim() === text);
        if (!el) throw new Error('nothing matches ' + sel + ' ' + text);
        el.click();";
    js(s, script, vec![json!(host), json!(selector), json!(text)]).await;
}

/// Waits until the example page says it has a token for the portal's user. (The
/// portal's text-transform capitalises what `innerText` reads: read the status's own
/// text.)
async fn wait_for_token(s: &impl HasBrowser) {
    let deadline = Instant::now() + WAIT;
    loop {
        let status = js(
            s,
            "const p = document.querySelector('#token-status');
             return [p.dataset.state || '', p.textContent];",
            vec![],
        )
        .await;
        if status[0] == "ok" {
            let text = status[1].as_str().unwrap_or_default();
            assert!(
                text.contains("Dana Park (dana.park@northwind.example)"),
                "{text}"
            );
            return;
        }
        assert!(
            status[0] != "error" && Instant::now() < deadline,
            "the page got no token: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many nodes the shadow root of `host` holds (-1 without one).
async fn shadow_nodes(s: &impl HasBrowser, host_expr: &str) -> i64 {
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
    wait_for_token(&s).await;
    s.find(ELEMENT).await;
    wait_for_console_text(&s, ELEMENT, "Showing 1–40 of 40 agents").await;
    // The portal's user, made a console user by single sign-on.
    wait_for_console_text(&s, ELEMENT, "Dana Park · Supervisor").await;
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
    click_inside(
        &s,
        ELEMENT,
        "input[type=checkbox][aria-label*=' license for ']:not(:disabled)",
        "",
    )
    .await;
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

/// A portal on an origin of its own: a tiny HTTP server for the example page, the
/// console's server (the demo, with that origin in `cors_origins`), and a browser of
/// the harness's kind. The harness's `Session` has one origin, so this test starts its
/// own (the same drivers and capabilities).
struct Portal {
    console: Running,
    portal_url: String,
    browser: Client,
    driver: Driver,
    _dir: tempfile::TempDir,
}

impl HasBrowser for Portal {
    fn client(&self) -> &Client {
        &self.browser
    }
}

/// The example page's inline `<script>` and `<style>` as CSP sources, so that the
/// portal's policy allows them and nothing else inline (no `'unsafe-inline'`).
fn inline_sources(html: &str) -> (Vec<String>, Vec<String>) {
    let scripts = alc_server::security::inline_script_hashes(html);
    // The same digest over the `<style>` blocks: read them as if they were scripts.
    let styles = alc_server::security::inline_script_hashes(
        &html
            .replace("<script", "<ignored")
            .replace("</script>", "</ignored>")
            .replace("<style>", "<script>")
            .replace("</style>", "</script>"),
    );
    (scripts, styles)
}

impl Portal {
    async fn start() -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let portal_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let console = alc_server::start(Config {
            site_dir: Some(site_dir()),
            demo: true,
            cors_origins: vec![portal_url.clone()],
            ..Config::ephemeral(dir.path().join("console.db"))
        })
        .await
        .unwrap();
        // The portal's own policy: the console's origin for its scripts and API, wasm
        // compilation, the page's own inline script and style by hash; no inline
        // styles otherwise.
        let html = std::fs::read_to_string(site_dir().join("example-portal.html")).unwrap();
        let (scripts, styles) = inline_sources(&html);
        let c = console.url();
        let csp = format!(
            "default-src 'none'; script-src {c} 'wasm-unsafe-eval' {}; style-src {}; \
             connect-src {c}; img-src 'self'; report-uri {c}/api/v1/csp-reports",
            scripts.join(" "),
            styles.join(" ")
        );
        tokio::spawn(serve_portal(listener, html, csp));

        let driver = Driver::start(Browser::current(), dir.path());
        let client = connect(&driver.url, &dir.path().join("profile")).await;
        Portal {
            console,
            portal_url,
            browser: client,
            driver,
            _dir: dir,
        }
    }

    /// The console's API with `token`.
    fn api(&self, token: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .get(format!("{}/api/v1/licenses", self.console.url()))
            .bearer_auth(token)
    }

    /// What the Content-Security-Policy refused: the browsers' reports to the console's
    /// server, and in Chromium its log.
    async fn csp_violations(&self) -> Vec<String> {
        csp_violations(&self.console, &self.driver.url, &self.browser).await
    }

    async fn finish(self) {
        let v = self.csp_violations().await;
        assert!(v.is_empty(), "the portal page broke its CSP: {v:#?}");
        let _ = self.browser.clone().close().await;
        self.driver.stop();
        self.console.stop().await.unwrap();
    }
}

/// The portal's web server: the example page (with the portal's CSP) at
/// `/example-portal.html`, 404 elsewhere. One request per connection.
async fn serve_portal(listener: tokio::net::TcpListener, html: String, csp: String) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let (html, csp) = (html.clone(), csp.clone());
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let response = if path.split('?').next() == Some("/example-portal.html") {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                     content-security-policy: {csp}\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{html}",
                    html.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()
            };
            let _ = conn.write_all(response.as_bytes()).await;
            let _ = conn.shutdown().await;
        });
    }
}

/// The host page's record of the console's events (`window.__events`) of `type`.
async fn events(p: &Portal, kind: &str) -> Vec<Value> {
    let all = js(p, "return window.__events", vec![]).await;
    all.as_array()
        .expect("window.__events")
        .iter()
        .filter(|e| e["type"] == kind && e["host"] == "element")
        .map(|e| e["detail"].clone())
        .collect()
}

async fn wait_for_event(p: &Portal, kind: &str, detail: Value) {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = events(p, kind).await;
        if seen.contains(&detail) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the host page never got {kind} {detail}; it got {:?}",
            js(p, "return window.__events", vec![]).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn tokens(p: &Portal) -> Vec<String> {
    js(p, "return window.__tokens", vec![])
        .await
        .as_array()
        .expect("window.__tokens")
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

/// Ends the bearer session of `token`, as its expiry or an admin would.
async fn end_session(p: &Portal, token: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/sign-out", p.console.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sign-out: {}", r.status());
    assert_eq!(p.api(token).send().await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_on_another_origin_embeds_the_console_by_single_sign_on() {
    let p = Portal::start().await;
    let console = p.console.url();
    assert_ne!(console, p.portal_url);
    p.browser
        .goto(&format!(
            "{}/example-portal.html?console={console}",
            p.portal_url
        ))
        .await
        .unwrap();
    wait_for_token(&p).await;
    wait_for_console_text(&p, ELEMENT, "Showing 1–40 of 40 agents").await;
    wait_for_console_text(&p, ELEMENT, "Dana Park · Supervisor").await;
    wait_for_event(&p, "alc-ready", json!({})).await;
    // No password in the page, and the session is the exchanged token's (a bearer
    // session for the portal's user, made by single sign-on).
    let html = js(&p, "return document.documentElement.outerHTML", vec![]).await;
    let html = html.as_str().unwrap();
    for (_, _, email, password) in alc_server::demo::USERS {
        assert!(
            !html.contains(password),
            "{email}'s password is in the page"
        );
    }
    assert!(
        !html.contains("/auth/tokens"),
        "the page signs in with a password"
    );
    let first = tokens(&p).await;
    assert_eq!(first.len(), 1);
    let me: Value = reqwest::Client::new()
        .get(format!("{console}/api/v1/auth/session"))
        .bearer_auth(&first[0])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "dana.park@northwind.example");

    // The console's look is its own here too, under a CSP without 'unsafe-inline'.
    let button = computed(
        &p,
        ELEMENT,
        ".alc-savebar .alc-button",
        &["border-top-left-radius"],
    )
    .await;
    assert_eq!(button, ["6px"]);
    assert_eq!(
        computed(&p, ELEMENT, ".alc", &["--alc-accent"]).await,
        ["#0a7a5a"]
    );

    // Another screen: the host hears of it; its address stays.
    let before = js(&p, "return location.href", vec![]).await;
    click_inside(&p, ELEMENT, ".alc-nav a", "Phone User Licensing").await;
    wait_for_console_text(&p, ELEMENT, "Showing 1–26 of 26 phone users").await;
    wait_for_event(&p, "alc-navigate", json!({"path": "/phone-users"})).await;
    click_inside(&p, ELEMENT, ".alc-nav a", "Agent Licensing").await;
    wait_for_console_text(&p, ELEMENT, "Showing 1–40 of 40 agents").await;
    wait_for_event(&p, "alc-navigate", json!({"path": "/agents"})).await;
    assert_eq!(js(&p, "return location.href", vec![]).await, before);

    // A tick: the host hears the page has unsaved work.
    let label = js(
        &p,
        "const box = [...document.querySelector(arguments[0]).shadowRoot
            .querySelectorAll('input[type=checkbox][aria-label*=\" license for \"]:not(:disabled):not(:checked)')][0];
         box.click();
         return box.getAttribute('aria-label');",
        vec![json!(ELEMENT)],
    )
    .await;
    let label = label.as_str().expect("a box to tick").to_string();
    wait_for_console_text(&p, ELEMENT, "1 unsaved change").await;
    wait_for_event(&p, "alc-dirty-change", json!({"dirty": true, "count": 1})).await;

    // A new token from the portal (its "New token" button calls setToken), then the
    // first one ends: the tick is still there, and Save goes out with the new token —
    // not through fetchToken, which is kept for a refused token.
    let new_token = p
        .browser
        .find(fantoccini::Locator::Css("#new-token"))
        .await
        .unwrap();
    new_token.click().await.unwrap();
    let deadline = Instant::now() + WAIT;
    while tokens(&p).await.len() < 2 {
        assert!(Instant::now() < deadline, "no second token");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    end_session(&p, &first[0]).await;
    wait_for_console_text(&p, ELEMENT, "1 unsaved change").await;
    let ticked = js(
        &p,
        "return document.querySelector(arguments[0]).shadowRoot
            .querySelector(`input[aria-label=\"${arguments[1]}\"]`).checked",
        vec![json!(ELEMENT), json!(label)],
    )
    .await;
    assert_eq!(ticked, json!(true), "{label} lost its tick");
    click_inside(&p, ELEMENT, ".alc-button", "Save").await;
    wait_for_console_text(&p, ELEMENT, "Saved 1 change.").await;
    wait_for_event(&p, "alc-dirty-change", json!({"dirty": false, "count": 0})).await;
    assert_eq!(js(&p, "return window.__renewals", vec![]).await, json!(0));
    // Saved on the server, by the portal's user.
    let second = tokens(&p).await[1].clone();
    let audit: Value = reqwest::Client::new()
        .get(format!("{console}/api/v1/audit"))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let latest = &audit["entries"][0];
    let agent = label.rsplit(" license for ").next().unwrap();
    assert!(
        latest["actor"]
            .as_str()
            .is_some_and(|a| a.contains("dana.park@northwind.example"))
            && latest["subject"] == agent,
        "the last audit entry is not Dana's save for {agent}: {latest}"
    );

    // The token ends with nothing new from the portal: the console asks fetchToken
    // once, retries with its answer, and carries on without "Session ended".
    end_session(&p, &second).await;
    click_inside(&p, ELEMENT, ".alc-nav a", "Audit Log").await;
    wait_for_event(&p, "alc-navigate", json!({"path": "/audit"})).await;
    let deadline = Instant::now() + WAIT;
    while js(&p, "return window.__renewals", vec![]).await != json!(1) {
        assert!(Instant::now() < deadline, "fetchToken was never called");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The audit log's rows name Dana by email (the nav shows her name only).
    wait_for_console_text(&p, ELEMENT, "dana.park@northwind.example").await;
    let shown = console_text(&p, ELEMENT).await;
    assert!(!shown.contains("has ended"), "{shown}");
    assert!(events(&p, "alc-session-expired").await.is_empty());
    assert_eq!(tokens(&p).await.len(), 3);
    let third = tokens(&p).await[2].clone();
    assert_eq!(p.api(&third).send().await.unwrap().status(), 200);

    // When the portal has no token to give, the console says its access ended and
    // tells the host; a token set afterwards lets it back in, on the same screen.
    js(
        &p,
        "document.querySelector(arguments[0]).fetchToken = async () => null",
        vec![json!(ELEMENT)],
    )
    .await;
    end_session(&p, &third).await;
    click_inside(&p, ELEMENT, ".alc-nav a", "Agent Licensing").await;
    wait_for_console_text(
        &p,
        ELEMENT,
        "Your portal's access to the console has ended.",
    )
    .await;
    wait_for_event(&p, "alc-session-expired", json!({})).await;
    new_token.click().await.unwrap();
    wait_for_console_text(&p, ELEMENT, "Showing 1–40 of 40 agents").await;
    wait_for_console_text(&p, ELEMENT, "Dana Park · Supervisor").await;
    assert_eq!(tokens(&p).await.len(), 4);
    p.finish().await;
}
