//! `/agents/new` and `/agents/{id}` — Add Agent, and an agent's profile.

use std::time::Duration;

use alc_domain::api::{AgentDetail, AvailabilityQuery, CreateAgent, UpdateAgent};
use alc_domain::{Agent, AgentId, AgentProfile, AgentSource, ExtensionRanges, LicenseSet};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::{AgentForm, focus_first_invalid};
use crate::flash::use_flash;
use crate::licensing::LicenseEditor;
use crate::profile_form::ProfileForm;
use crate::router::{Link, use_navigator};

#[derive(Clone, Debug, PartialEq)]
enum Load {
    Loading,
    Ready,
    Failed(ApiError),
}

#[derive(Clone, Debug, PartialEq)]
enum Notice {
    Invalid,
    Failed(ApiError),
    Conflict(ApiError),
}

/// The id the license boxes of a not-yet-created agent use.
const NEW_AGENT: AgentId = AgentId(0);

#[component]
pub fn AgentEditPage(id: Option<AgentId>) -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = use_navigator();
    let flash = use_flash();
    let editor = LicenseEditor::new(None);
    let form = ProfileForm::new(AgentProfile::default());
    let detail = RwSignal::new(None::<AgentDetail>);
    let ranges = RwSignal::new(ExtensionRanges::default());
    let next_extension = RwSignal::new(None::<String>);
    let load = RwSignal::new(Load::Loading);
    let notice = RwSignal::new(None::<Notice>);
    // The form element: invalid fields are looked up inside it, which also works when
    // the console lives in a host page's shadow root.
    let form_el = NodeRef::<leptos::html::Form>::new();
    let confirm_remove = RwSignal::new(false);
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });

    let reload = {
        let api = api.clone();
        move || {
            load.set(Load::Loading);
            notice.set(None);
            let api = api.clone();
            let abort = abort.get_value();
            spawn_local(async move {
                let agent = async {
                    match id {
                        Some(id) => api.agent(id, &abort).await.map(Some),
                        None => Ok(None),
                    }
                };
                let (summary, r, next, agent) = futures::join!(
                    api.licenses(&abort),
                    api.extension_ranges(&abort),
                    api.next_extension(&abort),
                    agent
                );
                match (summary, r, next, agent) {
                    (Ok(s), Ok(r), Ok(n), Ok(a)) => {
                        editor.summary.set(Some(s));
                        editor.pending.update(|p| p.clear());
                        ranges.set(r);
                        next_extension.set(n.extension);
                        form.load(a.as_ref().map(|a| a.profile.clone()).unwrap_or_default());
                        detail.set(a);
                        load.set(Load::Ready);
                    }
                    (Err(ApiError::Aborted), ..) => {}
                    (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                        load.set(Load::Failed(e))
                    }
                }
            });
        }
    };
    reload();

    // The agent as the license boxes see it.
    let agent = move || {
        detail.with(|d| match d {
            Some(d) => Agent {
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
            },
            None => Agent {
                id: NEW_AGENT,
                name: "the new agent".into(),
                email: String::new(),
                extension: String::new(),
                source: AgentSource::Webrtc,
                licenses: LicenseSet::EMPTY,
                version: alc_domain::Version(1),
                gone: false,
                disabled: false,
                no_queue: false,
            },
        })
    };
    let is_uc = move || detail.with(|d| d.as_ref().is_some_and(|d| d.source.is_uc()));

    // Email and extension are checked against the server as the user types, once the
    // typing pauses; only the latest answer counts.
    let check_generation = StoredValue::new(0u64);
    Effect::new({
        let api = api.clone();
        move |_| {
            let (email, extension) = (form.email.get(), form.extension.get());
            if load.get() != Load::Ready || is_uc() {
                return;
            }
            let generation = check_generation.get_value() + 1;
            check_generation.set_value(generation);
            let query = AvailabilityQuery {
                email: alc_domain::validate_email(&email).ok(),
                extension: alc_domain::validate_extension(&extension).ok(),
                agent_id: id,
            };
            if query.email.is_none() && query.extension.is_none() {
                form.availability.set(Default::default());
                return;
            }
            let api = api.clone();
            set_timeout(
                move || {
                    if check_generation.get_value() != generation {
                        return;
                    }
                    spawn_local(async move {
                        let abort = abort.get_value();
                        if let Ok(a) = api.availability(&query, &abort).await
                            && check_generation.get_value() == generation
                        {
                            form.availability.set(a);
                        }
                    });
                },
                Duration::from_millis(300),
            );
        }
    });

    nav.guard(Signal::derive(move || {
        form.changed() || !editor.pending.with(|p| p.is_empty())
    }));

    let save = {
        let api = api.clone();
        move || {
            form.submitted.set(true);
            if !form.is_valid() {
                notice.set(Some(Notice::Invalid));
                focus_first_invalid(form_el);
                return;
            }
            let a = agent();
            let licenses = editor
                .pending
                .with_untracked(|p| p.wanted(a.id, a.licenses));
            let profile = form.profile();
            editor.saving.set(true);
            notice.set(None);
            let api = api.clone();
            spawn_local(async move {
                let abort = abort.get_value();
                let result = match id {
                    None => {
                        api.create_agent(&CreateAgent { profile, licenses }, &abort)
                            .await
                    }
                    Some(id) => {
                        let req = UpdateAgent {
                            version: a.version,
                            profile,
                            licenses,
                        };
                        api.update_agent(id, &req, &abort).await
                    }
                };
                editor.saving.set(false);
                match result {
                    Ok(saved) => {
                        let name = saved.agent.map(|a| a.profile.name).unwrap_or_default();
                        flash.set(if id.is_some() {
                            format!("Saved {name}.")
                        } else {
                            format!("Added {name}.")
                        });
                        // Nothing is unsaved any more: leave without asking.
                        form.load(form.profile());
                        editor.pending.update(|p| p.clear());
                        nav.go("/agents", false);
                    }
                    Err(ApiError::Aborted) => {}
                    Err(e) => {
                        if let ApiError::Server { body, .. } = &e {
                            form.server_errors.set(body.fields.clone());
                        }
                        notice.set(Some(if e.status() == Some(409) {
                            Notice::Conflict(e)
                        } else {
                            Notice::Failed(e)
                        }));
                        focus_first_invalid(form_el);
                        if let Ok(s) = api.licenses(&abort).await {
                            editor.summary.set(Some(s));
                        }
                    }
                }
            });
        }
    };

    let remove = {
        let api = api.clone();
        move || {
            let a = agent();
            let api = api.clone();
            editor.saving.set(true);
            spawn_local(async move {
                let result = api.remove_agent(a.id, a.version, &abort.get_value()).await;
                editor.saving.set(false);
                confirm_remove.set(false);
                match result {
                    Ok(_) => {
                        flash.set(removal_message(&a));
                        form.load(form.profile());
                        editor.pending.update(|p| p.clear());
                        nav.go("/agents", false);
                    }
                    Err(ApiError::Aborted) => {}
                    Err(e) => notice.set(Some(if e.status() == Some(409) {
                        Notice::Conflict(e)
                    } else {
                        Notice::Failed(e)
                    })),
                }
            });
        }
    };

    let title = move || match (
        id,
        detail.with(|d| d.as_ref().map(|d| d.profile.name.clone())),
    ) {
        (None, _) => "Add Agent".to_string(),
        (Some(_), Some(name)) => name,
        (Some(_), None) => "Agent".to_string(),
    };

    let retry = reload.clone();
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">
                "User Management › " <Link href="/agents">"Agent Licensing"</Link>
            </p>
            <h1>{title}</h1>
            {move || {
                detail
                    .with(|d| {
                        d.as_ref()
                            .map(|d| {
                                view! {
                                    <p class="alc-lede">
                                        <span class="alc-source" data-source=d.source.key()>{d.source.label()}</span>
                                        " · Extension " {d.profile.extension.clone()} " · "
                                        <Link href=format!("/audit?agent_id={}", d.id)>"History"</Link>
                                    </p>
                                }
                            })
                    })
            }}
        </header>
        {move || {
            notice
                .get()
                .map(|n| {
                    let reload = reload.clone();
                    match n {
                        Notice::Invalid => view! {
                            <div class="alc-alert alc-alert--error" role="alert">
                                <p>"Not saved: some fields need attention. Each one says what to change."</p>
                            </div>
                        }
                        .into_any(),
                        Notice::Failed(e) => view! {
                            <div class="alc-alert alc-alert--error" role="alert">
                                <p>"Not saved. " {e.to_string()}</p>
                            </div>
                        }
                        .into_any(),
                        Notice::Conflict(e) => view! {
                            <div class="alc-alert alc-alert--error" role="alert">
                                <p>{e.to_string()}</p>
                                <button type="button" class="alc-button" on:click=move |_| reload()>
                                    "Reload the agent (discards your edits)"
                                </button>
                            </div>
                        }
                        .into_any(),
                    }
                })
        }}
        {move || match load.get() {
            Load::Loading => view! { <p class="alc-loading" role="status">"Loading…"</p> }.into_any(),
            Load::Failed(e) => {
                let retry = retry.clone();
                view! {
                    <div class="alc-alert alc-alert--error" role="alert">
                        <p>"The agent could not be loaded. " {e.to_string()}</p>
                        <button type="button" class="alc-button" on:click=move |_| retry()>"Try again"</button>
                        <Link href="/agents" class="alc-button">"Back to Agent Licensing"</Link>
                    </div>
                }
                .into_any()
            }
            Load::Ready => {
                let save = save.clone();
                let remove = remove.clone();
                let directory = detail.with_untracked(|d| d.as_ref().filter(|d| d.source.is_uc()).map(|d| d.source.label()));
                let removable = id.is_some() && !is_uc();
                view! {
                    <form
                        node_ref=form_el
                        class="alc-agent-form"
                        novalidate
                        aria-label=if id.is_some() { "Agent profile" } else { "New agent" }
                        on:submit=move |ev| {
                            ev.prevent_default();
                            save();
                        }
                    >
                        <AgentForm
                            form
                            editor
                            agent=agent()
                            ranges=ranges
                            next_extension=next_extension
                            directory
                        />
                        <div class="alc-form__actions">
                            <button type="submit" class="alc-button alc-button--primary" disabled=move || editor.saving.get()>
                                {move || if editor.saving.get() { "Saving…" } else if id.is_some() { "Save" } else { "Add Agent" }}
                            </button>
                            <Link href="/agents" class="alc-button">"Cancel"</Link>
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
                        </div>
                    </form>
                    <Show when=move || confirm_remove.get()>
                        <div class="alc-confirm" role="alertdialog" aria-labelledby="alc-remove-title" aria-describedby="alc-remove-desc">
                            <h2 id="alc-remove-title">{move || format!("Remove {}?", agent().name)}</h2>
                            <p id="alc-remove-desc">{move || removal_consequence(&agent())}</p>
                            <button type="button" class="alc-button alc-button--danger" on:click={
                                let remove = remove.clone();
                                move |_| remove()
                            }>
                                "Remove"
                            </button>
                            <button type="button" class="alc-button" on:click=move |_| confirm_remove.set(false)>
                                "Keep agent"
                            </button>
                        </div>
                    </Show>
                }
                .into_any()
            }
        }}
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
