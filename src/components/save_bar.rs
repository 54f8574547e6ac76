//! The count of unsaved changes with Save and Discard.

use leptos::prelude::*;

use crate::licensing::LicenseEditor;

#[component]
pub fn SaveBar(
    editor: LicenseEditor,
    on_save: Callback<()>,
    on_discard: Callback<()>,
) -> impl IntoView {
    let count = move || editor.pending().with(|p| p.len());
    let idle = move || count() == 0 || editor.saving.get();
    view! {
        <div class="alc-savebar" class:alc-savebar--dirty={move || count() > 0}>
            <p class="alc-savebar__count" role="status">
                {move || match count() {
                    0 => "No unsaved changes".to_string(),
                    1 => "1 unsaved change".to_string(),
                    n => format!("{n} unsaved changes"),
                }}
            </p>
            <button type="button" class="alc-button" disabled=idle on:click=move |_| on_discard.run(())>
                "Discard"
            </button>
            <button
                type="button"
                class="alc-button alc-button--primary"
                disabled=idle
                on:click=move |_| on_save.run(())
            >
                {move || if editor.saving.get() { "Saving…" } else { "Save" }}
            </button>
        </div>
    }
}
