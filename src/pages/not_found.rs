use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <header class="alc-page-head">
            <h1>"Page not found"</h1>
        </header>
        <p>"There is no page at this address. " <A href="/agents">"Go to Agent Licensing"</A> "."</p>
    }
}
