//! `/agents` — User Management › Agent Licensing: every agent, and Add Agent.

use leptos::prelude::*;

use crate::components::LicensingList;
use crate::router::Link;

#[component]
pub fn AgentLicensingPage() -> impl IntoView {
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"User Management"</p>
            <h1>"Agent Licensing"</h1>
            <p class="alc-lede">
                "Decide which agents hold which licenses. Counts change as you tick; nothing is applied until you save."
            </p>
        </header>
        <LicensingList kind=None path="/agents" noun="agents">
            <Link href="/agents/new" class="alc-button alc-button--primary">
                "Add Agent"
            </Link>
        </LicensingList>
    }
}
