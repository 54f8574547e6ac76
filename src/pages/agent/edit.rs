//! `/agents/{id}` — an agent's profile and licenses; a WebRTC agent can be removed.

use alc_domain::api::{AgentDetail, UpdateAgent};
use alc_domain::{Agent, AgentId};
use leptos::prelude::*;

use super::remove::RemoveDialog;
use super::{AgentPage, Loaded, Notices, PageHead, ProfileEditor};
use crate::router::Link;

#[component]
pub fn EditAgentPage(id: AgentId) -> impl IntoView {
    let page = AgentPage::new();
    let detail = page.detail;
    let confirm_remove = RwSignal::new(false);
    let save = move |req: UpdateAgent| {
        let (api, abort) = (page.api(), page.abort());
        page.save(
            Box::pin(async move { api.update_agent(id, &req, &abort).await }),
            |name| format!("Saved {name}."),
        )
    };
    let reload = Callback::new(move |()| page.reload(Some(id)));
    reload.run(());

    let title = move || {
        detail
            .with(|d| d.as_ref().map(|d| d.profile.name.clone()))
            .unwrap_or_else(|| "Agent".to_string())
    };
    let lede = move || {
        detail.with(|d| {
            d.as_ref().map(|d| {
                view! {
                    <p class="alc-lede">
                        <span class="alc-source" data-source=d.source.key()>{d.source.label()}</span>
                        " · Extension " {d.profile.extension.clone()} " · "
                        <Link href=format!("/audit?agent_id={}", d.id)>"History"</Link>
                    </p>
                }
            })
        })
    };
    let form = move || {
        let Some(d) = detail.get_untracked() else {
            return ().into_any();
        };
        let agent = as_agent(&d);
        // A phone user's name, email and extension come from its directory, and it
        // leaves only when the directory drops it.
        let directory = d.source.is_uc().then(|| d.source.label());
        let removable = directory.is_none();
        if removable {
            page.check_availability(Some(id));
        }
        let version = d.version;
        view! {
            <ProfileEditor
                page
                agent=agent.clone()
                directory
                label="Agent profile"
                on_save=Callback::new(move |(profile, licenses)| {
                    save(UpdateAgent { version, profile, licenses })
                })
            >
                {removable
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="alc-button alc-button--danger"
                                on:click=move |_| confirm_remove.set(true)
                            >
                                "Remove agent"
                            </button>
                        }
                    })}
            </ProfileEditor>
            {removable.then(|| view! { <RemoveDialog page agent open=confirm_remove /> })}
        }
        .into_any()
    };
    view! {
        <PageHead title>{lede}</PageHead>
        <Notices notice=page.notice reload />
        <Loaded load=page.load retry=reload form />
    }
}

/// The agent as the license boxes see it.
fn as_agent(d: &AgentDetail) -> Agent {
    Agent {
        id: d.id,
        name: d.profile.name.clone(),
        email: d.profile.email.clone(),
        extension: d.profile.extension.clone(),
        source: d.source,
        licenses: d.licenses,
        version: d.version,
        gone: false,
        disabled: false,
        no_queue: false,
    }
}
