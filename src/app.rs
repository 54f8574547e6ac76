//! The shell: navigation and the route table. Every screen is one hop from here.

use leptos::prelude::*;

use crate::api::Api;
use crate::flash::Flash;
use crate::pages::{AgentEditPage, AgentLicensingPage, NotFoundPage, PhoneUsersPage};
use crate::router::{Link, Navigator, Route};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Api::default());
    let nav = Navigator::new("");
    provide_context(nav);
    provide_context(Flash::default());
    view! {
        <div class="alc">
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
                    Route::NotFound => view! { <NotFoundPage /> }.into_any(),
                }}
            </main>
        </div>
    }
}
