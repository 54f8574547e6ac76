use leptos::prelude::*;

use crate::router::Link;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <header class="alc-page-head">
            <h1>"Page not found"</h1>
        </header>
        <p>"There is no page at this address. " <Link href="/agents">"Go to Agent Licensing"</Link> "."</p>
    }
}
