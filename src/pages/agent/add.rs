//! `/agents/new` — Add Agent: a new WebRTC agent and its licenses, created in one step.

use alc_domain::api::CreateAgent;
use alc_domain::{Agent, AgentId, AgentSource, LicenseSet, Version};
use leptos::prelude::*;

use super::{AgentPage, Loaded, Notices, PageHead, ProfileEditor};

/// The id the license boxes of a not-yet-created agent use.
const NEW_AGENT: AgentId = AgentId(0);

#[component]
pub fn AddAgentPage() -> impl IntoView {
    let page = AgentPage::new();
    let save = move |req: CreateAgent| {
        let (api, abort) = (page.api(), page.abort());
        page.save(
            Box::pin(async move { api.create_agent(&req, &abort).await }),
            |name| format!("Added {name}."),
        )
    };
    let reload = Callback::new(move |()| page.reload(None));
    reload.run(());
    view! {
        <PageHead title="Add Agent" />
        <Notices notice=page.notice reload />
        <Loaded load=page.load retry=reload form=move || {
            page.check_availability(None);
            view! {
                <ProfileEditor
                    page
                    agent=new_agent()
                    directory=None
                    label="New agent"
                    on_save=Callback::new(move |(profile, licenses)| {
                        save(CreateAgent { profile, licenses })
                    })
                />
            }
        } />
    }
}

/// The new agent as the license boxes see it.
fn new_agent() -> Agent {
    Agent {
        id: NEW_AGENT,
        name: "the new agent".into(),
        email: String::new(),
        extension: String::new(),
        source: AgentSource::Webrtc,
        licenses: LicenseSet::EMPTY,
        version: Version(1),
        gone: false,
        disabled: false,
        no_queue: false,
    }
}
