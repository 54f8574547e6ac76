//! "Remove agent": the confirmation that says what happens, and the removal.

use alc_domain::{Agent, LicenseSet};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{AgentPage, Notice};
use crate::api::ApiError;

/// Asks before removing `agent` (while `open`), then removes it and goes back to the
/// list; a refusal is the page's notice. While the removal runs, the page's Save and
/// license boxes wait (`editor.saving`), as they do for a save.
#[component]
pub(super) fn RemoveDialog(page: AgentPage, agent: Agent, open: RwSignal<bool>) -> impl IntoView {
    let remove = move |agent: Agent| {
        page.editor.saving.set(true);
        spawn_local(async move {
            let result = page
                .api()
                .remove_agent(agent.id, agent.version, &page.abort())
                .await;
            page.editor.saving.set(false);
            open.set(false);
            match result {
                Ok(_) => page.back_to_list(removal_message(&agent)),
                Err(ApiError::Aborted) => {}
                Err(e) => page.notice.set(Some(Notice::refused(e))),
            }
        });
    };
    let title = format!("Remove {}?", agent.name);
    let consequence = removal_consequence(&agent);
    view! {
        <Show when=move || open.get()>
            <div class="alc-confirm" role="alertdialog" aria-labelledby="alc-remove-title" aria-describedby="alc-remove-desc">
                <h2 id="alc-remove-title">{title.clone()}</h2>
                <p id="alc-remove-desc">{consequence.clone()}</p>
                <button type="button" class="alc-button alc-button--danger" on:click={
                    let agent = agent.clone();
                    move |_| {
                        remove(agent.clone());
                    }
                }>
                    "Remove"
                </button>
                <button type="button" class="alc-button" on:click=move |_| open.set(false)>
                    "Keep agent"
                </button>
            </div>
        </Show>
    }
}

fn licenses_phrase(licenses: LicenseSet) -> String {
    let names: Vec<&str> = licenses.iter().map(|t| t.label()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("{one} license"),
        [init @ .., last] => format!("{} and {last} licenses", init.join(", ")),
    }
}

/// What the confirmation says will happen.
fn removal_consequence(a: &Agent) -> String {
    let back = if a.licenses.is_empty() {
        "They hold no licenses.".to_string()
    } else {
        let verb = if a.licenses.len() == 1 {
            "returns"
        } else {
            "return"
        };
        format!("Their {} {verb} to the pool.", licenses_phrase(a.licenses))
    };
    format!(
        "{} can no longer sign in to the agent client, and extension {} becomes free. {back} Agents whose unanswered calls go to extension {} will send them nowhere. This cannot be undone.",
        a.name, a.extension, a.extension
    )
}

fn removal_message(a: &Agent) -> String {
    if a.licenses.is_empty() {
        format!("Removed {}.", a.name)
    } else {
        format!(
            "Removed {}. Their {} returned to the pool.",
            a.name,
            licenses_phrase(a.licenses)
        )
    }
}
