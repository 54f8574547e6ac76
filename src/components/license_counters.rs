//! Per license type: how many are assigned and available, live as boxes are ticked.

use alc_domain::LicenseType;
use leptos::prelude::*;

use crate::licensing::LicenseEditor;

#[component]
pub fn LicenseCounters(editor: LicenseEditor) -> impl IntoView {
    let counter = move |t: LicenseType| {
        let pool = editor.live;
        let purchased = move || pool.with(|p| p.entitlements.purchased[t]);
        let assigned = move || pool.with(|p| p.assigned[t]);
        let available = move || pool.with(|p| p.available(t));
        let unsaved = move || editor.pending().with(|p| p.delta()[t]);
        let no_channel =
            move || t == LicenseType::WebChat && !pool.with(|p| p.entitlements.web_chat_channel);
        view! {
            <div
                class="alc-counter"
                role="group"
                aria-label=t.label()
                data-license=t.key()
                class:alc-counter--full=move || available() == 0
                class:alc-counter--over={move || assigned() > purchased()}
            >
                <span class="alc-counter__name">{t.label()}</span>
                <span class="alc-counter__available">
                    <strong>{available}</strong>
                    " available"
                </span>
                <span class="alc-counter__assigned">
                    {assigned}
                    " of "
                    {purchased}
                    " assigned"
                </span>
                <span class="alc-counter__bar" aria-hidden="true">
                    <span style:width=move || {
                        let p = purchased().max(1);
                        format!("{}%", (assigned() * 100 / p).clamp(0, 100))
                    }></span>
                </span>
                <Show when=move || unsaved() != 0>
                    <span class="alc-counter__unsaved">
                        {move || format!("{:+} unsaved", unsaved())}
                    </span>
                </Show>
                <Show when=no_channel>
                    <span class="alc-counter__note">"Web Chat channel not purchased"</span>
                </Show>
            </div>
        }
    };
    view! {
        <section class="alc-counters" aria-label="License usage" aria-live="polite">
            {LicenseType::ALL.map(counter)}
        </section>
    }
}
