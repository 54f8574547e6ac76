//! The shell: the session gate, navigation and the route table. Every screen is one
//! hop from here.

use leptos::prelude::*;

use crate::api::Api;
use crate::flash::Flash;
use crate::pages::{AgentEditPage, AgentLicensingPage, NotFoundPage, PhoneUsersPage};
use crate::router::{Link, Navigator, Route};

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
    /// CSS custom properties to set on the console (`--alc-accent` → `#0a7`, ...).
    pub theme: Vec<(String, String)>,
}

impl AppConfig {
    fn api(&self) -> Api {
        let base = if self.api_base.is_empty() {
            "/api/v1"
        } else {
            &self.api_base
        };
        Api::new(base).with_token(self.token.clone())
    }

    /// The theme as an inline style: it wins over the stylesheet's defaults.
    fn style(&self) -> String {
        self.theme
            .iter()
            .filter(|(k, _)| k.starts_with("--alc-"))
            .map(|(k, v)| format!("{k}: {};", v.replace([';', '{', '}'], "")))
            .collect()
    }
}

#[component]
pub fn App(#[prop(optional)] config: AppConfig) -> impl IntoView {
    provide_context(config.api());
    let nav = Navigator::new(&config.base_path);
    provide_context(nav);
    provide_context(Flash::default());
    view! {
        <div class="alc" style=config.style()>
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
                </ul>
            </nav>
            <main id="alc-main" class="alc-main" tabindex="-1">
                {move || match nav.route() {
                    Route::Agents => view! { <AgentLicensingPage /> }.into_any(),
                    Route::NewAgent => view! { <AgentEditPage id=None /> }.into_any(),
                    Route::EditAgent(id) => view! { <AgentEditPage id=Some(id) /> }.into_any(),
                    Route::PhoneUsers => view! { <PhoneUsersPage /> }.into_any(),
                    Route::Audit | Route::Settings | Route::NotFound => {
                        view! { <NotFoundPage /> }.into_any()
                    }
                }}
            </main>
        </div>
    }
}
