//! Routing: the route table as a type, and a small navigator that keeps the screen in
//! the browser history or, inside a host page that owns its URLs, in memory.
//!
//! Our own rather than `leptos_router`, for two reasons measured and argued in
//! docs/DECISIONS.md: it cost ~60 KB of the page's gzipped weight (a third of the
//! budget), and the console must route inside a host page under a base path it does
//! not own. Every screen is a variant of [`Route`]; `app.rs` maps each to its page.

use leptos::prelude::*;

/// Every screen, parsed from and printed to a path (relative to the base path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/agents` — User Management › Agent Licensing.
    Agents,
    /// `/agents/new` — Add Agent.
    NewAgent,
    /// `/agents/import` — Import agents from CSV.
    Import,
    /// `/agents/{id}` — an agent's profile.
    EditAgent(alc_domain::AgentId),
    /// `/phone-users` — Phone User Licensing.
    PhoneUsers,
    /// `/audit` — the audit log.
    Audit,
    /// `/settings` — account settings (admins).
    Settings,
    /// `/users` — User Management › Console Users (admins).
    Users,
    /// `/password` — change your own password.
    ChangePassword,
    /// Anything else.
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Route {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] | ["agents"] => Route::Agents,
            ["agents", "new"] => Route::NewAgent,
            ["agents", "import"] => Route::Import,
            ["agents", id] => id.parse().map(Route::EditAgent).unwrap_or(Route::NotFound),
            ["phone-users"] => Route::PhoneUsers,
            ["audit"] => Route::Audit,
            ["settings"] => Route::Settings,
            ["users"] => Route::Users,
            ["password"] => Route::ChangePassword,
            _ => Route::NotFound,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Route::Agents | Route::NotFound => "/agents".into(),
            Route::NewAgent => "/agents/new".into(),
            Route::Import => "/agents/import".into(),
            Route::EditAgent(id) => format!("/agents/{id}"),
            Route::PhoneUsers => "/phone-users".into(),
            Route::Audit => "/audit".into(),
            Route::Settings => "/settings".into(),
            Route::Users => "/users".into(),
            Route::ChangePassword => "/password".into(),
        }
    }
}

/// A location inside the console: a path and its query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Location {
    /// Splits `"/agents?q=ann&page=2"`; query values are percent-decoded.
    pub fn parse(href: &str) -> Location {
        let (path, query) = href.split_once('?').unwrap_or((href, ""));
        let path = path.split('#').next().unwrap_or_default();
        let query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        Location {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query,
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    js_sys::decode_uri_component(&s)
        .map(String::from)
        .unwrap_or(s)
}

/// Encodes one query value.
pub fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The console's place in the browser history. Provided as context by the app shell.
#[derive(Clone, Copy)]
pub struct Navigator {
    location: RwSignal<Location>,
    base: StoredValue<String>,
    /// The screen lives only in `location`: the address bar and the history belong to
    /// a host page (see [`Navigator::in_memory`]).
    memory: bool,
    /// Asked before leaving a screen: `true` when it holds unsaved work.
    dirty: StoredValue<Option<Signal<bool>>>,
}

const LEAVE_PROMPT: &str = "You have unsaved changes. Leave this page and lose them?";

impl Navigator {
    /// Reads the current address and follows the back and forward buttons. `base` is
    /// the path the console is served under (`""` standalone, e.g. `/admin/licensing`
    /// inside a portal).
    pub fn new(base: &str) -> Navigator {
        let base = base.trim_end_matches('/').to_string();
        let nav = Navigator {
            location: RwSignal::new(Location::default()),
            base: StoredValue::new(base),
            memory: false,
            dirty: StoredValue::new(None),
        };
        nav.location.set(nav.window_location());
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            nav.location.set(nav.window_location());
        });
        on_cleanup(move || handle.remove());
        nav
    }

    /// A navigator for a host page that owns the address bar: it starts on the first
    /// screen, never reads or writes the address or the history, and ignores the back
    /// and forward buttons (they are the host's). Links still carry `base` + their
    /// path as `href`, which is what "open in new tab" opens: point `base` at where
    /// the standalone console is served, if anywhere.
    pub fn in_memory(base: &str) -> Navigator {
        Navigator {
            location: RwSignal::new(Location::parse("/")),
            base: StoredValue::new(base.trim_end_matches('/').to_string()),
            memory: true,
            dirty: StoredValue::new(None),
        }
    }

    fn window_location(&self) -> Location {
        let loc = window().location();
        let path = loc.pathname().unwrap_or_default();
        let search = loc.search().unwrap_or_default();
        let base = self.base.get_value();
        let inner = path.strip_prefix(&base).unwrap_or(&path);
        Location::parse(&format!("{inner}{search}"))
    }

    pub fn location(&self) -> Location {
        self.location.get()
    }

    pub fn route(&self) -> Route {
        self.location.with(|l| Route::parse(&l.path))
    }

    /// A query parameter of the current location (tracked).
    pub fn query(&self, key: &str) -> Option<String> {
        self.location.with(|l| l.get(key))
    }

    /// The browser address for an in-console `href`.
    pub fn href(&self, href: &str) -> String {
        format!("{}{href}", self.base.get_value())
    }

    /// Registers the current screen's "has unsaved work" signal until the screen goes:
    /// leaving it through the console's links asks first, and so does leaving the page
    /// (reload, closing the tab, another address) through the browser's own prompt.
    pub fn guard(&self, dirty: Signal<bool>) {
        self.dirty.set_value(Some(dirty));
        let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if dirty.get_untracked() {
                ev.prevent_default();
                ev.set_return_value("");
            }
        });
        let nav = *self;
        on_cleanup(move || {
            unload.remove();
            nav.dirty.try_set_value(None);
        });
    }

    /// Goes to `href` (in-console, e.g. `/agents?q=x`). Changing screens asks first when
    /// the current one holds unsaved work; staying on a screen (new query) does not.
    pub fn go(&self, href: &str, replace: bool) {
        let next = Location::parse(href);
        let leaving =
            self.location.with_untracked(|l| Route::parse(&l.path)) != Route::parse(&next.path);
        let dirty = self.dirty.get_value().is_some_and(|d| d.get_untracked());
        if leaving && dirty && !window().confirm_with_message(LEAVE_PROMPT).unwrap_or(true) {
            return;
        }
        if !self.memory
            && let Ok(h) = window().history()
        {
            let url = self.href(href);
            let _ = if replace {
                h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            } else {
                h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            };
        }
        self.location.set(next);
    }
}

pub fn use_navigator() -> Navigator {
    expect_context::<Navigator>()
}

/// An in-console link: a real `<a href>` (open in a new tab works), followed without
/// reloading the page on a plain click. Marked `aria-current="page"` when it is the
/// current screen.
#[component]
pub fn Link(
    #[prop(into)] href: String,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let nav = use_navigator();
    let target = Route::parse(&href);
    let current = move || (nav.route() == target).then_some("page");
    let full = nav.href(&href);
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.ctrl_key()
            || ev.meta_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        ev.prevent_default();
        nav.go(&href, false);
    };
    view! {
        <a href=full class=class aria-current=current on:click=on_click>
            {children()}
        </a>
    }
}
