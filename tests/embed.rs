//! Embedding in a real browser: `embed::mount` into a host element on a page with
//! hostile global styles, the shadow root's isolation, theming, the bearer token,
//! events inside the shadow root, memory routing, and unmounting. The API is a stand-in
//! behind `window.fetch`.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::embed;
use agent_licensing_console::router::{Navigator, Route};
use alc_domain::access::{ConsoleUser, Role, SessionInfo};
use alc_domain::*;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

/// What a careless portal's stylesheet does to everything it can reach.
const HOSTILE_CSS: &str = r#"
    * { font-family: "Comic Sans MS", cursive !important; letter-spacing: 2px;
        text-transform: uppercase; }
    button { background: hotpink !important; border-radius: 0; }
    table, td, th { border: 3px dashed red; }
    input { width: 300px; }
    h1 { font-size: 60px; }
"#;

fn hostile_page() {
    let doc = document();
    if doc.get_element_by_id("hostile").is_some() {
        return;
    }
    let style = doc.create_element("style").unwrap();
    style.set_id("hostile");
    style.set_text_content(Some(HOSTILE_CSS));
    doc.head().unwrap().append_child(&style).unwrap();
    let h1 = doc.create_element("h1").unwrap();
    h1.set_id("host-heading");
    h1.set_text_content(Some("The portal"));
    doc.body().unwrap().append_child(&h1).unwrap();
}

/// Answers the console's calls under `/fake/api` as a signed-in supervisor with two
/// agents would, and records the `Authorization` header of the last call.
fn fake_api() {
    let session = SessionInfo {
        user: ConsoleUser {
            name: "Sam Super".into(),
            email: "sam@test.example".into(),
            role: Role::Supervisor,
        },
        must_change_password: false,
        csrf_token: None,
        expires_at: "2099-01-01T00:00:00Z".into(),
    };
    let summary = LicenseSummary::from_pool(&Pool {
        entitlements: Entitlements {
            purchased: Counts::from_fn(|_| 5),
            web_chat_channel: true,
        },
        assigned: Counts::from_fn(|_| 0),
    });
    let agent = |id: i64, name: &str| Agent {
        id: AgentId(id),
        name: name.into(),
        email: format!("{}@test.example", name.to_lowercase()),
        extension: (4000 + id).to_string(),
        source: AgentSource::Webrtc,
        licenses: LicenseSet::default(),
        version: Version(1),
        gone: false,
        disabled: false,
        no_queue: false,
    };
    let agents = AgentPage {
        agents: vec![agent(1, "Ann"), agent(2, "Ben")],
        total: 2,
        page: 1,
        per_page: 50,
    };
    js_sys::eval(&format!(
        r#"
        window.__alcAuth = null;
        window.__alcGood = null;
        window.__realFetch ??= window.fetch;
        window.fetch = async (request) => {{
            const url = new URL(request.url);
            if (!url.pathname.startsWith("/fake/api/")) return window.__realFetch(request);
            window.__alcAuth = request.headers.get("authorization");
            if (window.__alcGood !== null && window.__alcAuth !== "Bearer " + window.__alcGood) {{
                return new Response('{{"code":"session_expired","message":"Ended."}}',
                    {{status: 401, headers: {{"content-type": "application/json"}}}});
            }}
            const path = url.pathname.slice("/fake/api".length);
            const body = path === "/auth/session" ? {session}
                : path === "/licenses" ? {summary}
                : path === "/agents" ? {agents}
                : null;
            return body === null
                ? new Response('{{"code":"not_found","message":"Not here."}}',
                    {{status: 404, headers: {{"content-type": "application/json"}}}})
                : new Response(JSON.stringify(body),
                    {{headers: {{"content-type": "application/json"}}}});
        }};
        "#,
        session = serde_json::to_string(&session).unwrap(),
        summary = serde_json::to_string(&summary).unwrap(),
        agents = serde_json::to_string(&agents).unwrap(),
    ))
    .unwrap();
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// What the console shows (the shadow root's text would include its stylesheet's).
fn shown(root: &ShadowRoot) -> String {
    root.query_selector(".alc-embed")
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Waits (up to 5 s) until the console shows `text`.
async fn until_text(root: &ShadowRoot, text: &str) {
    for _ in 0..100 {
        if shown(root).contains(text) {
            return;
        }
        sleep(50).await;
    }
    panic!("never saw {text:?}; the console shows: {}", shown(root));
}

fn host() -> HtmlElement {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    host
}

/// Mount options as a host page writes them.
fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn shadow(host: &HtmlElement) -> ShadowRoot {
    host.shadow_root().expect("an open shadow root")
}

fn find(root: &ShadowRoot, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

fn button(root: &ShadowRoot, text: &str) -> HtmlElement {
    let buttons = root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .find(|b| b.text_content().as_deref() == Some(text))
        .unwrap_or_else(|| panic!("no button {text}"))
        .unchecked_into()
}

fn link(root: &ShadowRoot, text: &str) -> HtmlElement {
    let links = root.query_selector_all("a").unwrap();
    (0..links.length())
        .filter_map(|i| links.item(i))
        .find(|a| a.text_content().as_deref() == Some(text))
        .unwrap_or_else(|| panic!("no link {text}"))
        .unchecked_into()
}

fn computed(el: &Element, property: &str) -> String {
    window()
        .get_computed_style(el)
        .unwrap()
        .expect("computed style")
        .get_property_value(property)
        .unwrap()
        .trim()
        .to_string()
}

#[wasm_bindgen_test]
async fn the_console_renders_in_a_shadow_root_that_host_styles_do_not_reach() {
    hostile_page();
    fake_api();
    let host = host();
    // A host may theme through custom properties on the element itself...
    host.style()
        .set_property("--alc-bg", "rgb(1, 2, 3)")
        .unwrap();
    // ...or through the theme option.
    let mut mounted = embed::mount(
        host.clone().into(),
        options(
            r##"{"apiBase": "/fake/api", "token": "t0k3n", "theme": {"--alc-accent": "#00aa77"}}"##,
        ),
    )
    .unwrap();
    let root = shadow(&host);
    until_text(&root, "Showing 1–2 of 2 agents").await;
    assert_eq!(
        js_sys::eval("window.__alcAuth")
            .unwrap()
            .as_string()
            .as_deref(),
        Some("Bearer t0k3n")
    );

    let nav_link = link(&root, "Agent Licensing");
    let font = computed(&nav_link, "font-family");
    assert!(font.contains("system-ui"), "console font, not {font}");
    assert!(!font.contains("Comic"), "host font leaked in: {font}");
    assert_eq!(computed(&nav_link, "text-transform"), "none");
    assert_eq!(computed(&nav_link, "letter-spacing"), "normal");
    let console = find(&root, ".alc");
    assert_eq!(computed(&console, "--alc-accent"), "#00aa77");
    assert_eq!(computed(&console, "background-color"), "rgb(1, 2, 3)");
    // Options not given keep the stylesheet's defaults.
    assert_eq!(computed(&console, "--alc-radius"), "8px");

    // The console's stylesheet did not reach the host either.
    let heading = document().get_element_by_id("host-heading").unwrap();
    assert_eq!(computed(&heading, "font-size"), "60px");
    assert_eq!(computed(&heading, "text-transform"), "uppercase");
    assert!(document().query_selector(".alc").unwrap().is_none());

    // The console's own handlers run inside the shadow root: a box, then a button.
    let ann: HtmlInputElement = find(
        &root,
        "input[type=checkbox][aria-label='Voice license for Ann']",
    )
    .unchecked_into();
    ann.click();
    leptos::task::tick().await;
    until_text(&root, "1 unsaved change").await;
    button(&root, "Discard").click();
    leptos::task::tick().await;
    until_text(&root, "No unsaved changes").await;
    assert!(!ann.checked());

    mounted.unmount();
    assert_eq!(root.child_nodes().length(), 0, "the shadow root is empty");
    mounted.unmount();
    assert_eq!(root.child_nodes().length(), 0);

    // The same element takes a console again (its shadow root is reused); without a
    // token, the console offers its own sign-in.
    let mut again = embed::mount(host.clone().into(), JsValue::UNDEFINED).unwrap();
    assert!(root.query_selector(".alc").unwrap().is_some());
    again.unmount();
    assert_eq!(root.child_nodes().length(), 0);
    host.remove();
}

#[wasm_bindgen_test]
async fn memory_routing_leaves_the_address_bar_alone() {
    let host = host();
    let before = window().location().href().unwrap();
    let history = window().history().unwrap().length().unwrap();
    fake_api();
    let mut mounted = embed::mount(
        host.clone().into(),
        options(
            r#"{"apiBase": "/fake/api", "token": "t", "routing": "memory", "basePath": "/console"}"#,
        ),
    )
    .unwrap();
    let root = shadow(&host);
    until_text(&root, "Phone User Licensing").await;
    let phone = link(&root, "Phone User Licensing");
    // A sensible href all the same: "open in new tab" goes to the standalone console.
    assert_eq!(
        phone.get_attribute("href").as_deref(),
        Some("/console/phone-users")
    );
    assert_eq!(
        link(&root, "Agent Licensing")
            .get_attribute("aria-current")
            .as_deref(),
        Some("page")
    );

    // The click reaches the console's own handler inside the shadow root (otherwise the
    // browser would follow the href) and changes the screen, not the address.
    phone.click();
    leptos::task::tick().await;
    assert_eq!(phone.get_attribute("aria-current").as_deref(), Some("page"));
    assert_eq!(window().location().href().unwrap(), before);
    assert_eq!(window().history().unwrap().length().unwrap(), history);
    mounted.unmount();
    host.remove();
}

/// Records the console's `alc-*` events on `host` in `window.__alcEvents`.
fn record_events(host: &HtmlElement) {
    js_sys::Reflect::set(&window(), &"__alcHost".into(), host).unwrap();
    js_sys::eval(
        r#"window.__alcEvents = [];
        for (const t of ["alc-ready", "alc-error", "alc-session-expired", "alc-navigate", "alc-dirty-change"])
            window.__alcHost.addEventListener(t, e => window.__alcEvents.push(
                t + " " + JSON.stringify(e.detail) + (e.bubbles && e.composed ? "" : " (not bubbling)")));"#,
    )
    .unwrap();
}

fn recorded() -> Vec<String> {
    let events: js_sys::Array = js_sys::eval("window.__alcEvents").unwrap().unchecked_into();
    events.iter().filter_map(|e| e.as_string()).collect()
}

async fn until_event(event: &str) {
    for _ in 0..100 {
        if recorded().iter().any(|e| e == event) {
            return;
        }
        sleep(50).await;
    }
    panic!("never got {event:?}; got {:?}", recorded());
}

#[wasm_bindgen_test]
async fn a_new_token_applies_to_the_next_call_and_keeps_the_ticks() {
    fake_api();
    let host = host();
    record_events(&host);
    let mut mounted = embed::mount(
        host.clone().into(),
        options(r#"{"apiBase": "/fake/api", "token": "first", "routing": "memory"}"#),
    )
    .unwrap();
    let root = shadow(&host);
    until_text(&root, "Showing 1–2 of 2 agents").await;
    until_event("alc-ready {}").await;
    let ann: HtmlInputElement = find(
        &root,
        "input[type=checkbox][aria-label='Voice license for Ann']",
    )
    .unchecked_into();
    ann.click();
    until_text(&root, "1 unsaved change").await;
    until_event(r#"alc-dirty-change {"dirty":true,"count":1}"#).await;

    mounted.set_token(Some("second".into()));
    // The same console: the tick is still there, and the next call carries the new
    // token (the stand-in has no Save, so the host hears of that error too).
    assert!(ann.is_connected() && ann.checked());
    button(&root, "Save").click();
    until_text(&root, "Not saved.").await;
    assert_eq!(
        js_sys::eval("window.__alcAuth")
            .unwrap()
            .as_string()
            .as_deref(),
        Some("Bearer second")
    );
    until_event(r#"alc-error {"code":"not_found","message":"Not here."}"#).await;
    until_text(&root, "1 unsaved change").await;

    // (Leaving with unsaved ticks asks first; the user says yes.)
    js_sys::eval("window.__alcConfirm ??= window.confirm; window.confirm = () => true").unwrap();
    link(&root, "Phone User Licensing").click();
    until_event(r#"alc-navigate {"path":"/phone-users"}"#).await;
    js_sys::eval("window.confirm = window.__alcConfirm").unwrap();
    // Leaving the screen (and its ticks, once confirmed) clears the host's count.
    until_event(r#"alc-dirty-change {"dirty":false,"count":0}"#).await;
    mounted.unmount();
    // After unmount a token goes nowhere (and nothing breaks).
    mounted.set_token(Some("third".into()));
    host.remove();
}

#[wasm_bindgen_test]
async fn a_refused_token_is_renewed_once_through_fetch_token() {
    fake_api();
    js_sys::eval(
        r#"window.__alcGood = "renewed"; window.__alcAsked = 0;
        window.__alcFetchToken = () => { window.__alcAsked++; return Promise.resolve(window.__alcNext); };
        window.__alcNext = "renewed";"#,
    )
    .unwrap();
    let host = host();
    record_events(&host);
    let opts = options(r#"{"apiBase": "/fake/api", "token": "stale", "routing": "memory"}"#);
    js_sys::Reflect::set(
        &opts,
        &"fetchToken".into(),
        &js_sys::eval("window.__alcFetchToken").unwrap(),
    )
    .unwrap();
    let mut mounted = embed::mount(host.clone().into(), opts).unwrap();
    let root = shadow(&host);
    // The first calls are refused; one fetchToken serves them all, and each is sent
    // again with its answer.
    until_text(&root, "Showing 1–2 of 2 agents").await;
    assert_eq!(js_sys::eval("window.__alcAsked").unwrap(), 1);
    assert_eq!(
        js_sys::eval("window.__alcAuth")
            .unwrap()
            .as_string()
            .as_deref(),
        Some("Bearer renewed")
    );
    assert!(
        recorded()
            .iter()
            .all(|e| !e.starts_with("alc-session-expired"))
    );

    // The token ends again and the host has none to give: "Session ended", once asked.
    js_sys::eval(r#"window.__alcGood = "elsewhere"; window.__alcNext = null;"#).unwrap();
    link(&root, "Phone User Licensing").click();
    until_text(&root, "Your portal's access to the console has ended.").await;
    until_event("alc-session-expired {}").await;
    assert_eq!(js_sys::eval("window.__alcAsked").unwrap(), 2);

    // A token set now lets the console back in, where it was.
    js_sys::eval(r#"window.__alcGood = "back";"#).unwrap();
    mounted.set_token(Some("back".into()));
    until_text(&root, "Showing 1–2 of 2 phone users").await;
    until_text(&root, "Sam Super · Supervisor").await;
    mounted.unmount();
    host.remove();
}

#[wasm_bindgen_test]
fn the_stylesheets_are_adopted_not_inline() {
    fake_api();
    let host = host();
    let mut mounted = embed::mount(
        host.clone().into(),
        options(r##"{"apiBase": "/fake/api", "token": "t", "theme": {"--alc-accent": "#123456", "--alc-bad;x": "1"}}"##),
    )
    .unwrap();
    let root = shadow(&host);
    assert!(root.query_selector("style").unwrap().is_none());
    assert!(root.query_selector("[style]").unwrap().is_none());
    let sheets = root.adopted_style_sheets();
    assert_eq!(sheets.length(), 2);
    assert_eq!(computed(&find(&root, ".alc"), "--alc-accent"), "#123456");
    mounted.unmount();
    assert_eq!(root.adopted_style_sheets().length(), 0);
    host.remove();
}

#[wasm_bindgen_test]
fn bad_options_are_refused_with_a_reason() {
    let host = host();
    let err = embed::mount(host.clone().into(), options(r#"{"routing": "hash"}"#))
        .err()
        .expect("an unknown routing mode is an error");
    let message = js_sys::Error::from(err).message();
    assert!(String::from(message).contains("routing"));
    let err = embed::mount(host.clone().into(), options(r#"{"token": 42}"#))
        .err()
        .expect("a token that is no string is an error");
    assert!(String::from(js_sys::Error::from(err).message()).contains("token"));
    let err = embed::mount(host.clone().into(), options(r#"{"fetchToken": "soon"}"#))
        .err()
        .expect("a fetchToken that is no function is an error");
    assert!(String::from(js_sys::Error::from(err).message()).contains("fetchToken"));
    // Nothing was attached or mounted.
    assert!(host.shadow_root().is_none());
    host.remove();
}

#[wasm_bindgen_test]
fn an_in_memory_navigator_never_reads_or_writes_the_address() {
    let before = window().location().href().unwrap();
    let owner = Owner::new();
    owner.with(|| {
        let nav = Navigator::in_memory("/console/");
        // It starts on the first screen whatever the address says.
        assert_eq!(nav.route(), Route::Agents);
        assert_eq!(nav.href("/agents"), "/console/agents");
        nav.go("/phone-users?q=ann", false);
        assert_eq!(nav.route(), Route::PhoneUsers);
        assert_eq!(nav.query("q").as_deref(), Some("ann"));
        // The host's back button is not the console's.
        window()
            .dispatch_event(&web_sys::Event::new("popstate").unwrap())
            .unwrap();
        assert_eq!(nav.route(), Route::PhoneUsers);
    });
    assert_eq!(window().location().href().unwrap(), before);
}
