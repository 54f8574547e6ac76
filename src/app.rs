//! The shell: the session gate, navigation and the route table. Every screen is one
//! hop from here.

use alc_domain::access::SessionInfo;
use leptos::prelude::*;

use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError, Bearer};
use crate::flash::Flash;
use crate::pages::{AgentLicensingPage, NoAccessPage, NotFoundPage, SignInPage};
use crate::router::{Link, Navigator, Route};
use crate::session::{Session, SessionState};

/// How the console is set up: standalone (the defaults) or by a host page that embeds
/// it (see `embed.rs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppConfig {
    /// The API's base URL; empty means `/api/v1` on this origin.
    pub api_base: String,
    /// A bearer token from the host page; without one, the console signs in itself
    /// and uses its session cookie.
    pub token: Option<String>,
    /// The path the console's screens live under in the address bar (`""` standalone,
    /// e.g. `/admin/licensing` in a portal).
    pub base_path: String,
    /// Keep the current screen in memory instead of the address bar (for hosts that
    /// own their URLs).
    pub memory_routing: bool,
    /// The host's handle on the bearer token (`embed.rs`): it can change the token,
    /// and renew it on a 401, without remounting. `token` is its first value.
    pub bearer: Option<Bearer>,
}

/// How many license boxes differ from their saved state on the current screen: the
/// licensing editor writes it, the shell reports it to a host page (`alc-dirty-change`).
#[derive(Clone, Copy)]
pub struct DirtyCount(pub RwSignal<usize>);

impl AppConfig {
    fn api(&self) -> Api {
        let base = if self.api_base.is_empty() {
            "/api/v1"
        } else {
            &self.api_base
        };
        Api::new(base)
            .with_bearer(self.bearer.clone().unwrap_or_default())
            .with_token(self.token.clone())
    }
}

#[component]
pub fn App(#[prop(optional)] config: AppConfig) -> impl IntoView {
    let api = config.api();
    provide_context(api.clone());
    let session = Session(RwSignal::new(SessionState::Checking));
    provide_context(session);
    let embedded = config.token.is_some();
    // Events for a host page (embed.rs), dispatched from the console's root element:
    // they bubble out of the shadow root to the host's element.
    let root = NodeRef::<leptos::html::Div>::new();
    let emit = move |name: &str, detail: &[(&str, wasm_bindgen::JsValue)]| {
        if let Some(el) = root.try_get_untracked().flatten() {
            crate::embed::emit(&el, name, detail);
        }
    };
    api.on_unauthorized(move || {
        if matches!(
            session.0.try_get_untracked(),
            Some(SessionState::SignedIn(_))
        ) {
            // Expired, ended by an admin, or the user disabled: the next thing the
            // user sees says so (and, standalone, lets them sign in again).
            let reason = if embedded {
                "Your portal's access to the console has ended."
            } else {
                "Session ended. Sign in again to continue."
            };
            session.0.set(SessionState::SignedOut(Some(reason.into())));
            emit("alc-session-expired", &[]);
        }
    });
    api.on_error(move |e| {
        let code = match e {
            ApiError::Server { body, .. } => serde_json::to_value(body.code)
                .ok()
                .and_then(|c| c.as_str().map(String::from))
                .unwrap_or_default(),
            ApiError::Network(_) => "network".into(),
            ApiError::Decode(_) => "decode".into(),
            ApiError::Aborted => "aborted".into(),
        };
        emit(
            "alc-error",
            &[("code", code.into()), ("message", e.to_string().into())],
        );
    });
    let check_session = {
        let api = api.clone();
        move || {
            let api = api.clone();
            spawn_local(async move {
                let state = match api.session(&Abort::new()).await {
                    Ok(info) => {
                        api.set_csrf(info.csrf_token.clone());
                        SessionState::SignedIn(info)
                    }
                    Err(ApiError::Server { status: 401, .. }) => SessionState::SignedOut(None),
                    Err(e) => SessionState::SignedOut(Some(format!(
                        "The console could not reach its server. {e}"
                    ))),
                };
                // (The console may have been unmounted meanwhile.)
                session.0.try_set(state);
            });
        }
    };
    check_session();
    // A new token from the host after the session ended lets the console back in,
    // where it was (the screen and, on the agent screens, the unsaved ticks).
    api.bearer().on_set(move || {
        if matches!(
            session.0.try_get_untracked(),
            Some(SessionState::SignedOut(_))
        ) {
            check_session();
        }
    });
    let sign_out = Callback::new({
        let api = api.clone();
        move |()| {
            let api = api.clone();
            spawn_local(async move {
                let _ = api.sign_out(&Abort::new()).await;
                api.set_csrf(None);
                session.0.set(SessionState::SignedOut(None));
            });
        }
    });
    let nav = if config.memory_routing {
        Navigator::in_memory(&config.base_path)
    } else {
        Navigator::new(&config.base_path)
    };
    provide_context(nav);
    // A licensing screen's two list calls start now, beside the session check, not
    // once it has answered (issue 13); the list takes their answers.
    let (route, location) = untrack(|| (nav.route(), nav.location()));
    let first_list = match route {
        Route::Agents => Some(None),
        Route::PhoneUsers => Some(Some(alc_domain::AgentKind::Phone)),
        _ => None,
    };
    if let Some(kind) = first_list {
        api.warm_list(&crate::components::list_query(&location, kind));
    }
    let flash = Flash::default();
    provide_context(flash);
    let dirty = DirtyCount(RwSignal::new(0));
    provide_context(dirty);
    Effect::new(move |before: Option<usize>| {
        let count = dirty.0.get();
        if before.is_some_and(|b| b != count) {
            emit(
                "alc-dirty-change",
                &[
                    ("dirty", (count > 0).into()),
                    ("count", (count as u32).into()),
                ],
            );
        }
        count
    });
    Effect::new(move |before: Option<String>| {
        let path = nav.route().path();
        if before.as_ref().is_some_and(|b| *b != path) {
            emit("alc-navigate", &[("path", path.clone().into())]);
        }
        path
    });
    // Which face the console shows; the console itself is built once per sign-in, not
    // on every change of the session's details.
    let face = Memo::new(move |_| {
        session.0.with(|s| match s {
            SessionState::Checking => Face::Checking,
            SessionState::SignedOut(_) => Face::SignedOut,
            // Before anything else, agents included: the server refuses every other
            // call until the password an admin set is replaced.
            SessionState::SignedIn(i) if i.must_change_password => Face::ChoosePassword,
            SessionState::SignedIn(i) if !i.user.role.may_use_console() => Face::NoAccess,
            SessionState::SignedIn(_) => Face::Console,
        })
    });
    let password_chosen = Callback::new({
        let api = api.clone();
        move |info: SessionInfo| {
            api.set_csrf(info.csrf_token.clone());
            // Coming from "Change password" itself, the console opens on its first
            // screen rather than on the form just filled in.
            if nav.route() == Route::ChangePassword {
                nav.go(&Route::Agents.path(), true);
            }
            if matches!(nav.route(), Route::Agents | Route::PhoneUsers) {
                flash.set("Your new password is set.");
            }
            session.0.set(SessionState::SignedIn(info));
        }
    });
    // Ready once the session is known and the first screen's calls have settled.
    Effect::new({
        let api = api.clone();
        move |done: Option<bool>| {
            if done == Some(true) || face.get() == Face::Checking {
                return done.unwrap_or(false);
            }
            let api = api.clone();
            spawn_local(async move {
                // The first screen's loads start once it is built: after this turn.
                crate::api::sleep(0).await;
                while api.busy() {
                    crate::api::sleep(20).await;
                }
                crate::api::sleep(0).await;
                emit("alc-ready", &[]);
            });
            true
        }
    });
    view! {
        <div class="alc" node_ref=root>
            {move || match face.get() {
                Face::Checking => view! { <p class="alc-loading" role="status">"Loading…"</p> }.into_any(),
                Face::SignedOut => {
                    let reason = session.0.with_untracked(|s| match s {
                        SessionState::SignedOut(r) => r.clone(),
                        _ => None,
                    });
                    view! { <SignInPage reason embedded /> }.into_any()
                }
                Face::ChoosePassword => {
                    let user = untrack(|| session.user()).expect("signed in");
                    let on_sign_out = (!embedded).then_some(sign_out);
                    crate::chunk::choose_password(crate::chunk::ChooseArgs {
                        user,
                        on_changed: password_chosen,
                        on_sign_out,
                    })
                }
                Face::NoAccess => {
                    let user = untrack(|| session.user()).expect("signed in");
                    view! { <NoAccessPage user on_sign_out=sign_out /> }.into_any()
                }
                Face::Console => view! { <Console nav sign_out embedded /> }.into_any(),
            }}
        </div>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Face {
    Checking,
    SignedOut,
    ChoosePassword,
    NoAccess,
    Console,
}

/// The console for a supervisor or admin: navigation and the route table.
#[component]
fn Console(nav: Navigator, sign_out: Callback<()>, embedded: bool) -> impl IntoView {
    let session = crate::session::use_session();
    // Followed, not read once: an admin can change their own role on Console Users.
    let admin = Memo::new(move |_| {
        session
            .user()
            .is_some_and(|u| u.role == alc_domain::access::Role::Admin)
    });
    // The screen is built again when the route changes, not when only its query does
    // (a search, a page): the screen follows its own query.
    let route = Memo::new(move |_| nav.route());
    let who = move || {
        session
            .user()
            .map(|u| format!("{} · {}", u.name, u.role.label()))
            .unwrap_or_default()
    };
    view! {
        <a class="alc-skip" href="#alc-main">
            "Skip to content"
        </a>
        <nav class="alc-nav" aria-label="Console">
            <p class="alc-nav__brand">"Contact Center Admin"</p>
            <p class="alc-nav__group" id="alc-nav-users">
                "User Management"
            </p>
            <ul aria-labelledby="alc-nav-users">
                <li>
                    <Link href="/agents">"Agent Licensing"</Link>
                </li>
                <li>
                    <Link href="/phone-users">"Phone User Licensing"</Link>
                </li>
                {move || admin.get().then(|| view! {
                    <li>
                        <Link href="/users">"Console Users"</Link>
                    </li>
                })}
                <li>
                    <Link href="/audit">"Audit Log"</Link>
                </li>
                {move || admin.get().then(|| view! {
                    <li>
                        <Link href="/settings">"Settings"</Link>
                    </li>
                })}
            </ul>
            <div class="alc-nav__user">
                <p>{who}</p>
                // Embedded, the host signs people in and out, and its back end may hold
                // the console password: changing it from here could lock the host out.
                {(!embedded).then(|| view! {
                    <div class="alc-nav__actions">
                        <Link href="/password" class="alc-button alc-nav__button">"Change password"</Link>
                        <button type="button" class="alc-button alc-nav__button" on:click=move |_| sign_out.run(())>
                            "Sign out"
                        </button>
                    </div>
                })}
            </div>
        </nav>
        <main id="alc-main" class="alc-main" tabindex="-1">
            // The first load has Agent Licensing; every other screen is loaded the
            // first time it is shown (chunk.rs).
            {move || {
                let route = route.get();
                crate::chunk::view_of(&route).unwrap_or_else(|| match route {
                    Route::Agents => view! { <AgentLicensingPage /> }.into_any(),
                    _ => view! { <NotFoundPage /> }.into_any(),
                })
            }}
        </main>
    }
}
