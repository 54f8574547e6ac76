use leptos::prelude::*;

fn main() {
    // Panic messages in the console are worth their size while developing only.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| view! { <agent_licensing_console::App /> });
}
