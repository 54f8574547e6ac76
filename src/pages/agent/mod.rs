//! `/agents/new` and `/agents/{id}` — Add Agent and an agent's profile: two thin pages
//! (`add.rs`, `edit.rs`) over what they share here (the page's state and load, the
//! form with its as-you-type checks and Save, the notices above it), and `remove.rs`,
//! the confirmation that removes an agent.

mod add;
mod edit;
mod remove;

use std::time::Duration;

use alc_domain::api::{AgentDetail, AgentSaved, AvailabilityQuery};
use alc_domain::{Agent, AgentId, AgentProfile, ExtensionRanges, LicenseSet};
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::{AgentForm, focus_first_invalid};
use crate::flash::{Flash, use_flash};
use crate::licensing::LicenseEditor;
use crate::profile_form::ProfileForm;
use crate::router::{Link, Navigator, use_navigator};
use crate::task::{Load, Loader};

pub use add::AddAgentPage;
pub use edit::EditAgentPage;

/// What the page says above the form after a refused Save or removal.
#[derive(Clone, Debug, PartialEq)]
enum Notice {
    Invalid,
    Failed(ApiError),
    /// Someone else changed the agent: offer to reload it.
    Conflict(ApiError),
}

impl Notice {
    fn refused(e: ApiError) -> Self {
        if e.status() == Some(409) {
            Notice::Conflict(e)
        } else {
            Notice::Failed(e)
        }
    }
}

/// What both pages hold: the profile form, the license boxes' editor, the extension
/// plan, the load, and the notice above the form.
#[derive(Clone, Copy)]
struct AgentPage {
    api: StoredValue<Api>,
    /// Every call the page makes but its load; cancelled when the page goes away.
    abort: StoredValue<Abort, LocalStorage>,
    editor: LicenseEditor,
    form: ProfileForm,
    ranges: RwSignal<ExtensionRanges>,
    next_extension: RwSignal<Option<String>>,
    load: Loader,
    /// The agent as loaded (none on Add Agent).
    detail: RwSignal<Option<AgentDetail>>,
    notice: RwSignal<Option<Notice>>,
    /// The form element: invalid fields are looked up inside it, which also works when
    /// the console lives in a host page's shadow root.
    form_el: NodeRef<leptos::html::Form>,
    flash: Flash,
    nav: Navigator,
}

impl AgentPage {
    fn new() -> Self {
        let abort = StoredValue::new_local(Abort::new());
        on_cleanup(move || {
            if let Some(a) = abort.try_get_value() {
                a.abort();
            }
        });
        let page = AgentPage {
            api: StoredValue::new(expect_context::<Api>()),
            abort,
            editor: LicenseEditor::new(None),
            form: ProfileForm::new(AgentProfile::default()),
            ranges: RwSignal::new(ExtensionRanges::default()),
            next_extension: RwSignal::new(None),
            load: Loader::new(),
            detail: RwSignal::new(None),
            notice: RwSignal::new(None),
            form_el: NodeRef::new(),
            flash: use_flash(),
            nav: use_navigator(),
        };
        // Leaving with unsaved edits or ticks asks first.
        page.nav.guard(Signal::derive(move || {
            page.form.changed() || !page.editor.pending().with(|p| p.is_empty())
        }));
        page
    }

    fn api(&self) -> Api {
        self.api.get_value()
    }

    fn abort(&self) -> Abort {
        self.abort.get_value()
    }

    /// Loads the pool, the extension plan, the next free extension and, with `id`,
    /// that agent, whose profile fills the form (an empty one without).
    fn reload(self, id: Option<AgentId>) {
        self.notice.set(None);
        let api = self.api();
        self.load.run(
            move |abort| async move {
                let agent = async {
                    match id {
                        Some(id) => api.agent(id, &abort).await.map(Some),
                        None => Ok(None),
                    }
                };
                let (summary, ranges, next, agent) = futures::join!(
                    api.licenses(&abort),
                    api.extension_ranges(&abort),
                    api.next_extension(&abort),
                    agent
                );
                Ok::<_, ApiError>((summary?, ranges?, next?, agent?))
            },
            move |(summary, ranges, next, agent)| {
                self.editor.set_summary(summary);
                self.editor.update_pending(|p| p.clear());
                self.ranges.set(ranges);
                self.next_extension.set(next.extension);
                self.form.load(
                    agent
                        .as_ref()
                        .map(|a| a.profile.clone())
                        .unwrap_or_default(),
                );
                self.detail.set(agent);
            },
        );
    }

    /// The profile and licenses to send, once the form is valid; otherwise the form
    /// says what to fix and the first invalid field gets the focus.
    fn submission(&self, agent: &Agent) -> Option<(AgentProfile, LicenseSet)> {
        self.form.submitted.set(true);
        if !self.form.is_valid() {
            self.notice.set(Some(Notice::Invalid));
            focus_first_invalid(self.form_el);
            return None;
        }
        let licenses = self
            .editor
            .pending()
            .with_untracked(|p| p.wanted(agent.id, agent.licenses));
        self.editor.saving.set(true);
        self.notice.set(None);
        Some((self.form.profile(), licenses))
    }

    /// Sends a save (`call`) and does what its answer says: saved, back to the list
    /// with `message` (given the agent's name); refused, each field's reason next to
    /// it, the notice above, and the counters re-read (another supervisor may have
    /// taken seats). Boxed, so that both pages share one copy of this code.
    fn save(
        self,
        call: LocalBoxFuture<'static, Result<AgentSaved, ApiError>>,
        message: fn(&str) -> String,
    ) {
        spawn_local(async move {
            let result = call.await;
            self.editor.saving.set(false);
            match result {
                Ok(saved) => {
                    let name = saved.agent.map(|a| a.profile.name).unwrap_or_default();
                    self.back_to_list(message(&name));
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    if let ApiError::Server { body, .. } = &e {
                        self.form.server_errors.set(body.fields.clone());
                    }
                    self.notice.set(Some(Notice::refused(e)));
                    focus_first_invalid(self.form_el);
                    let (Some(api), Some(abort)) =
                        (self.api.try_get_value(), self.abort.try_get_value())
                    else {
                        return;
                    };
                    if let Ok(s) = api.licenses(&abort).await {
                        self.editor.set_summary(s);
                    }
                }
            }
        });
    }

    /// Nothing is unsaved any more: leave for the list without asking, which shows
    /// `message` once.
    fn back_to_list(&self, message: String) {
        self.flash.set(message);
        self.form.load(self.form.profile());
        self.editor.update_pending(|p| p.clear());
        self.nav.go("/agents", false);
    }

    /// Email and extension are checked against the server as the user types, once the
    /// typing pauses; only the latest answer counts. `id` is the agent being edited,
    /// whose own email and extension are not taken.
    fn check_availability(self, id: Option<AgentId>) {
        let form = self.form;
        let generation = StoredValue::new(0u64);
        Effect::new(move |_| {
            let (email, extension) = (form.email.get(), form.extension.get());
            let current = generation.get_value() + 1;
            generation.set_value(current);
            let query = AvailabilityQuery {
                email: alc_domain::validate_email(&email).ok(),
                extension: alc_domain::validate_extension(&extension).ok(),
                agent_id: id,
            };
            if query.email.is_none() && query.extension.is_none() {
                form.availability.set(Default::default());
                return;
            }
            set_timeout(
                move || {
                    // The page may have gone away meanwhile.
                    if generation.try_get_value() != Some(current) {
                        return;
                    }
                    let (Some(api), Some(abort)) =
                        (self.api.try_get_value(), self.abort.try_get_value())
                    else {
                        return;
                    };
                    spawn_local(async move {
                        if let Ok(a) = api.availability(&query, &abort).await
                            && generation.try_get_value() == Some(current)
                        {
                            form.availability.set(a);
                        }
                    });
                },
                Duration::from_millis(300),
            );
        });
    }
}

/// The crumb, the title and what the page says under it.
#[component]
fn PageHead(
    title: impl IntoView + 'static,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">
                "User Management › " <Link href="/agents">"Agent Licensing"</Link>
            </p>
            <h1>{title}</h1>
            {children.map(|c| c())}
        </header>
    }
}

/// The notice above the form; a conflict offers `reload`.
#[component]
fn Notices(notice: RwSignal<Option<Notice>>, reload: Callback<()>) -> impl IntoView {
    move || {
        notice.get().map(|n| match n {
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
                    <button type="button" class="alc-button" on:click=move |_| reload.run(())>
                        "Reload the agent (discards your edits)"
                    </button>
                </div>
            }
            .into_any(),
        })
    }
}

/// "Loading…", the load's failure with Try again, or, once loaded, `form`.
#[component]
fn Loaded(load: Loader, retry: Callback<()>, #[prop(into)] form: ViewFn) -> impl IntoView {
    move || match load.get() {
        Load::Loading => view! { <p class="alc-loading" role="status">"Loading…"</p> }.into_any(),
        Load::Failed(e) => view! {
            <div class="alc-alert alc-alert--error" role="alert">
                <p>"The agent could not be loaded. " {e.to_string()}</p>
                <button type="button" class="alc-button" on:click=move |_| retry.run(())>
                    "Try again"
                </button>
                <Link href="/agents" class="alc-button">"Back to Agent Licensing"</Link>
            </div>
        }
        .into_any(),
        Load::Ready => form.run(),
    }
}

/// The profile form with its license boxes and actions: Save (on Add Agent too, as
/// Xima's guide names it: 'Select "Save" in the Agent Profile window'), Cancel, and
/// any of the page's own (`children`).
#[component]
fn ProfileEditor(
    page: AgentPage,
    /// The agent as the license boxes see it.
    agent: Agent,
    /// For a phone user, its directory (name, email and extension are read-only).
    directory: Option<&'static str>,
    /// The form's accessible name.
    label: &'static str,
    /// Sends the form once it is valid: the profile and the licenses as ticked.
    on_save: Callback<(AgentProfile, LicenseSet)>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let editor = page.editor;
    let boxes = agent.clone();
    view! {
        <form
            node_ref=page.form_el
            class="alc-agent-form"
            novalidate
            aria-label=label
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(submission) = page.submission(&agent) {
                    on_save.run(submission);
                }
            }
        >
            <AgentForm
                form=page.form
                editor
                agent=boxes
                ranges=page.ranges
                next_extension=page.next_extension
                directory
            />
            <div class="alc-form__actions">
                <button type="submit" class="alc-button alc-button--primary" disabled=move || editor.saving.get()>
                    {move || if editor.saving.get() { "Saving…" } else { "Save" }}
                </button>
                <Link href="/agents" class="alc-button">"Cancel"</Link>
                {children.map(|c| c())}
            </div>
        </form>
    }
}
