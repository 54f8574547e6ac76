//! What the components' browser tests share: a stand-in API behind `window.fetch`
//! that records each call and answers what the test told it to, and a mounted view
//! with the helpers that find things the way a person does (labels, accessible names,
//! live regions). Each test file names its own base path, so files never share answers.
#![allow(dead_code)]

use agent_licensing_console::api::Api;
use agent_licensing_console::router::Navigator;
use agent_licensing_console::session::{Session, SessionState};
use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// Replaces `window.fetch` for paths under `base`: each call is recorded, and answered from the
/// table [`answer`] fills (404 for anything not in it).
pub fn fake_api(base: &str) {
    js_sys::eval(&format!(
        r#"
        window.__calls = [];
        window.__answers = {{}};
        window.__realFetch ??= window.fetch;
        window.fetch = async (request) => {{
            const url = new URL(request.url);
            if (!url.pathname.startsWith("{base}/")) return window.__realFetch(request);
            const key = request.method + " " + url.pathname.slice("{base}".length);
            const body = request.method === "GET" ? null : await request.text();
            window.__calls.push({{key, body}});
            const a = window.__answers[key];
            return a
                ? new Response(a.body, {{status: a.status, headers: {{"content-type": "application/json"}}}})
                : new Response('{{"code":"not_found","message":"Not here."}}',
                    {{status: 404, headers: {{"content-type": "application/json"}}}});
        }};
        "#
    ))
    .unwrap();
}

/// From now on, `key` (`"PATCH /users/2"`) answers `status` with `body`.
pub fn answer(key: &str, status: u16, body: Value) {
    js_sys::eval(&format!(
        "window.__answers[{}] = {{status: {status}, body: {}}}",
        serde_json::to_string(key).unwrap(),
        serde_json::to_string(&body.to_string()).unwrap(),
    ))
    .unwrap();
}

/// The calls made so far, as `"METHOD /path"`, with their bodies.
pub fn calls() -> Vec<(String, Option<Value>)> {
    let text = js_sys::eval("JSON.stringify(window.__calls)")
        .unwrap()
        .as_string()
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    list.into_iter()
        .map(|c| {
            let body = c["body"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok());
            (c["key"].as_str().unwrap_or_default().to_string(), body)
        })
        .collect()
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

pub struct Mounted {
    pub host: Element,
    pub _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

/// Mounts `view` with the stand-in API at `base`, a session of `session` and an
/// in-memory navigator.
pub fn mount(
    base: &'static str,
    session: SessionState,
    view: impl FnOnce() -> AnyView + 'static,
) -> Mounted {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        provide_context(Api::new(base));
        provide_context(Session(RwSignal::new(session)));
        provide_context(Navigator::in_memory(""));
        view()
    });
    Mounted {
        host,
        _handle: handle,
    }
}

impl Mounted {
    pub fn text(&self) -> String {
        self.host.text_content().unwrap_or_default()
    }

    /// Waits (up to 5 s) until `test` holds.
    pub async fn until(&self, what: &str, test: impl Fn(&Mounted) -> bool) {
        for _ in 0..100 {
            if test(self) {
                return;
            }
            sleep(50).await;
        }
        panic!("never saw {what}; the page says: {}", self.text());
    }

    pub async fn until_text(&self, text: &str) {
        self.until(&format!("{text:?}"), |m| m.text().contains(text))
            .await;
    }

    /// The control a `<label>` with this text names.
    pub fn field(&self, label: &str) -> HtmlElement {
        let labels = self.host.query_selector_all("label").unwrap();
        let id = (0..labels.length())
            .filter_map(|i| labels.item(i))
            .map(|l| l.unchecked_into::<Element>())
            .find(|l| l.text_content().as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no label {label}; the page says: {}", self.text()))
            .get_attribute("for")
            .unwrap();
        document().get_element_by_id(&id).unwrap().unchecked_into()
    }

    /// The texts a screen reader reads with the field, of one kind (`error`, `hint`).
    pub fn described(&self, label: &str, kind: &str) -> String {
        let ids = self
            .field(label)
            .get_attribute("aria-describedby")
            .unwrap_or_default();
        ids.split(' ')
            .filter_map(|id| document().get_element_by_id(id))
            .filter(|e| e.class_name().contains(kind))
            .filter_map(|e| e.text_content())
            .collect()
    }

    pub fn message(&self, label: &str) -> String {
        self.described(label, "error")
    }

    pub fn invalid(&self, label: &str) -> bool {
        self.field(label).get_attribute("aria-invalid").as_deref() == Some("true")
    }

    pub async fn type_in(&self, label: &str, text: &str) {
        let input: HtmlInputElement = self.field(label).unchecked_into();
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        leptos::task::tick().await;
    }

    pub async fn leave(&self, label: &str) {
        self.field(label)
            .dispatch_event(&web_sys::Event::new("blur").unwrap())
            .unwrap();
        leptos::task::tick().await;
    }

    pub async fn choose(&self, label: &str, value: &str) {
        let select = self.field(label);
        js_sys::Reflect::set(&select, &"value".into(), &JsValue::from_str(value)).unwrap();
        select
            .dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
        leptos::task::tick().await;
    }

    pub fn value(&self, label: &str) -> String {
        js_sys::Reflect::get(&self.field(label), &"value".into())
            .unwrap()
            .as_string()
            .unwrap_or_default()
    }

    /// A button by its accessible name: its `aria-label`, else its text.
    pub fn button(&self, name: &str) -> Option<HtmlElement> {
        let buttons = self.host.query_selector_all("button").unwrap();
        (0..buttons.length())
            .filter_map(|i| buttons.item(i))
            .map(|b| b.unchecked_into::<Element>())
            .find(|b| {
                b.get_attribute("aria-label")
                    .or_else(|| b.text_content())
                    .as_deref()
                    == Some(name)
            })
            .map(|b| b.unchecked_into())
    }

    pub async fn click(&self, name: &str) {
        self.button(name)
            .unwrap_or_else(|| panic!("no button {name}; the page says: {}", self.text()))
            .click();
        leptos::task::tick().await;
    }

    pub fn live(&self, role: &str) -> String {
        let regions = self
            .host
            .query_selector_all(&format!("[role={role}]"))
            .unwrap();
        (0..regions.length())
            .filter_map(|i| regions.item(i))
            .filter_map(|e| e.text_content())
            .collect::<Vec<_>>()
            .join(" | ")
    }
}
