//! The shell: navigation and the route table. Every screen is one hop from here.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api::Api;
use crate::pages::{AgentLicensingPage, NotFoundPage};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Api::default());
    view! {
        <Router>
            <div class="alc">
                <a class="alc-skip" href="#alc-main">"Skip to content"</a>
                <nav class="alc-nav" aria-label="Console">
                    <p class="alc-nav__brand">"Contact Center Admin"</p>
                    <p class="alc-nav__group" id="alc-nav-users">"User Management"</p>
                    <ul aria-labelledby="alc-nav-users">
                        <li>
                            <A href="/agents">"Agent Licensing"</A>
                        </li>
                    </ul>
                </nav>
                <main id="alc-main" class="alc-main" tabindex="-1">
                    <Routes fallback=NotFoundPage>
                        <Route path=path!("/") view=|| view! { <Redirect path="/agents" /> } />
                        <Route path=path!("/agents") view=AgentLicensingPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
