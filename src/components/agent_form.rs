//! The agent profile form (Add Agent, edit). Each field's message sits next to it and is
//! tied to it for screen readers (`aria-invalid`, `aria-describedby`); the suggestions
//! (next free extension, a `+webrtc` address) fill their field with one click.

use alc_domain::{Agent, ExtensionRanges, LicenseType, RecordingMode};
use leptos::prelude::*;

use crate::components::{LicenseBox, LicenseCounters};
use crate::licensing::LicenseEditor;
use crate::profile_form::{NoAnswerKind, ProfileForm};

/// A labelled text input bound to a form field, with its message and any extra help
/// (`children`) below it.
#[component]
fn TextField(
    form: ProfileForm,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] hint: String,
    #[prop(optional)] read_only: bool,
    #[prop(optional)] input_type: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let id = format!("agent-{field}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let error = Memo::new(move |_| form.error(field));
    let has_hint = !hint.is_empty();
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="alc-field" class:alc-field--invalid=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=field
                type=if input_type.is_empty() { "text" } else { input_type }
                autocomplete=if autocomplete.is_empty() { "off" } else { autocomplete }
                readonly=read_only
                prop:value=move || value.get()
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=described
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    form.edited(field);
                }
                on:blur=move |_| form.touch(field)
            />
            {has_hint.then(|| view! { <p class="alc-field__hint" id=hint_id>{hint}</p> })}
            <p class="alc-field__error" id=error_id>
                {move || error.get()}
            </p>
            {children.map(|c| c())}
        </div>
    }
}

#[component]
pub fn AgentForm(
    form: ProfileForm,
    editor: LicenseEditor,
    /// The agent as the license boxes know it (for a new agent: id 0, no licenses).
    agent: Agent,
    #[prop(into)] ranges: Signal<ExtensionRanges>,
    /// The first free extension of the WebRTC range.
    #[prop(into)]
    next_extension: Signal<Option<String>>,
    /// For a phone user, the directory its name, email and extension come from (they
    /// are read-only here).
    directory: Option<&'static str>,
) -> impl IntoView {
    let read_only = directory.is_some();
    let wanted = editor.wanted(&agent);

    let email_suggestion = move || form.availability.with(|a| a.email_suggestion.clone());
    let use_email = move |s: String| {
        form.email.set(s);
        form.edited("email");
        form.availability.update(|a| {
            a.email = None;
            a.email_suggestion = None;
        });
    };
    let outside_range = move || {
        let ext = form.extension.get();
        let range = ranges.get().webrtc;
        (!read_only && alc_domain::validate_extension(&ext).is_ok() && !range.contains(ext.trim()))
            .then(|| range.label())
    };
    let offer_extension = move || {
        let next = next_extension.get()?;
        let ext = form.extension.get();
        let taken = form.availability.with(|a| a.extension.is_some());
        (!read_only
            && next != ext.trim()
            && (ext.trim().is_empty() || taken || outside_range().is_some()))
        .then_some(next)
    };
    let use_extension = move |e: String| {
        form.extension.set(e);
        form.edited("extension");
        form.availability.update(|a| a.extension = None);
    };

    let directory_hint = directory
        .map(|d| format!("From the {d} directory; change it there."))
        .unwrap_or_default();

    view! {
        <div class="alc-form">
            <fieldset class="alc-form__section">
                <legend>"Profile"</legend>
                <TextField form field="name" label="Name" value=form.name read_only hint=directory_hint.clone() autocomplete="name" />
                <TextField
                    form
                    field="email"
                    label="Email Address"
                    value=form.email
                    read_only
                    input_type="email"
                    hint=if read_only { directory_hint.clone() } else { "Used to sign in to the agent client and set a password.".to_string() }
                >
                    {move || {
                        email_suggestion()
                            .map(|s| {
                                let label = format!("Use {s}");
                                view! {
                                    <button type="button" class="alc-button alc-suggest" on:click=move |_| use_email(s.clone())>
                                        {label}
                                    </button>
                                }
                            })
                    }}
                </TextField>
                <TextField form field="extension" label="Extension" value=form.extension read_only hint=directory_hint>
                    {move || {
                        outside_range()
                            .map(|r| {
                                view! {
                                    <p class="alc-field__warning" role="status">
                                        {format!(
                                            "Outside the WebRTC range {r}. Allowed, but keeping WebRTC agents in their own range keeps extensions easy to manage.",
                                        )}
                                    </p>
                                }
                            })
                    }}
                    {move || {
                        offer_extension()
                            .map(|e| {
                                let label = format!("Use next free extension {e}");
                                view! {
                                    <button type="button" class="alc-button alc-suggest" on:click=move |_| use_extension(e.clone())>
                                        {label}
                                    </button>
                                }
                            })
                    }}
                </TextField>
                <TextField
                    form
                    field="preferred_name"
                    label="Preferred Name"
                    value=form.preferred_name
                    hint="Optional. How the agent's name appears to customers in web chat (at most 50 characters)."
                />
            </fieldset>

            <fieldset class="alc-form__section">
                <legend>"Calls"</legend>
                <NoAnswerField form />
                <fieldset class="alc-radios">
                    <legend>"Recording Mode"</legend>
                    {RecordingMode::ALL
                        .map(|m| {
                            let id = format!("agent-recording-{}", m.key());
                            let desc = format!("{id}-desc");
                            view! {
                                <div class="alc-radio">
                                    <input
                                        type="radio"
                                        name="recording"
                                        id=id.clone()
                                        aria-describedby=desc.clone()
                                        prop:checked=move || form.recording.get() == m
                                        on:change=move |_| form.recording.set(m)
                                    />
                                    <label for=id>{m.label()}</label>
                                    <p class="alc-field__hint" id=desc>{m.description()}</p>
                                </div>
                            }
                        })}
                </fieldset>
                <div class="alc-check">
                    <input
                        type="checkbox"
                        id="agent-review"
                        prop:checked=move || form.review_own_recordings.get()
                        on:change=move |ev| form.review_own_recordings.set(event_target_checked(&ev))
                    />
                    <label for="agent-review">"Allow agent to review their own call recordings"</label>
                </div>
            </fieldset>

            <fieldset class="alc-form__section" aria-describedby="agent-licenses-error">
                <legend>"Licenses"</legend>
                <LicenseCounters editor />
                <div class="alc-form__licenses">
                    {LicenseType::ALL
                        .map(|t| {
                            view! {
                                <div class="alc-lic alc-lic--form">
                                    <LicenseBox agent=agent.clone() t wanted editor />
                                    <span aria-hidden="true">{t.label()}</span>
                                </div>
                            }
                        })}
                </div>
                <p class="alc-field__error" id="agent-licenses-error">
                    {move || form.error("licenses")}
                </p>
            </fieldset>
        </div>
    }
}

#[component]
fn NoAnswerField(form: ProfileForm) -> impl IntoView {
    let error = Memo::new(move |_| form.error("no_answer"));
    let kind = move || match form.no_answer_kind.get() {
        NoAnswerKind::None => "none",
        NoAnswerKind::Voicemail => "voicemail",
        NoAnswerKind::Extension => "extension",
    };
    view! {
        <div class="alc-field" class:alc-field--invalid=move || error.with(Option::is_some)>
            <label for="agent-no-answer">"No Answer Destination"</label>
            <select
                id="agent-no-answer"
                prop:value=kind
                on:change=move |ev| {
                    form.no_answer_kind
                        .set(
                            match event_target_value(&ev).as_str() {
                                "voicemail" => NoAnswerKind::Voicemail,
                                "extension" => NoAnswerKind::Extension,
                                _ => NoAnswerKind::None,
                            },
                        );
                    form.edited("no_answer");
                }
            >
                <option value="none">"None"</option>
                <option value="voicemail">"Voicemail"</option>
                <option value="extension">"An extension…"</option>
            </select>
            <Show when=move || form.no_answer_kind.get() == NoAnswerKind::Extension>
                <label for="agent-no-answer-extension" class="alc-sr-only">
                    "No answer extension"
                </label>
                <input
                    id="agent-no-answer-extension"
                    placeholder="Extension of an agent, phone user or group"
                    prop:value=move || form.no_answer_extension.get()
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby="agent-no_answer-error"
                    on:input=move |ev| {
                        form.no_answer_extension.set(event_target_value(&ev));
                        form.edited("no_answer");
                    }
                    on:blur=move |_| form.touch("no_answer")
                />
            </Show>
            <p class="alc-field__error" id="agent-no_answer-error">
                {move || error.get()}
            </p>
        </div>
    }
}
