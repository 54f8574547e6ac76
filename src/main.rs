use leptos::prelude::*;

fn main() {
    // Panic messages in the console are worth their size while developing only.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Loading the module runs this on every page that imports it; only the standalone
    // page (index.html marks its body) wants the console in its body. A host page
    // mounts it where it likes through `embed::mount` or the custom element.
    let standalone = document()
        .body()
        .is_some_and(|body| body.has_attribute("data-alc-standalone"));
    if standalone {
        leptos::mount::mount_to_body(|| view! { <agent_licensing_console::App /> });
    }
}
