//! What the console's small forms share: a labelled input with its hint and message
//! (tied to it for screen readers), the server's refusals of fields, the password
//! policy as a hint, and putting the keyboard on the first field that needs attention.

use alc_domain::FieldError;
use leptos::html::{Form, Input};
use leptos::prelude::*;

/// The password policy in a sentence, shown under every new-password field so that the
/// rule is known before the first keystroke (the field's message then says what is
/// wrong with what was typed).
pub const PASSWORD_HINT: &str =
    "At least 12 characters, not the email address and not a commonly used password.";

/// A labelled input bound to `value`, with an optional hint and the field's message.
#[component]
pub fn FormField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    /// The field's message, if it needs attention.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// `text` unless told.
    #[prop(optional)]
    input_type: &'static str,
    /// `off` unless told.
    #[prop(optional)]
    autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
    /// Called when the field is left, so that its form can show its message from then.
    #[prop(optional)]
    on_leave: Option<Callback<()>>,
    #[prop(optional)] node_ref: NodeRef<Input>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() {
        error_id.clone()
    } else {
        format!("{hint_id} {error_id}")
    };
    let invalid = move || error.with(Option::is_some);
    view! {
        <div class="alc-field" class:alc-field--invalid=invalid>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                node_ref=node_ref
                type=if input_type.is_empty() { "text" } else { input_type }
                autocomplete=if autocomplete.is_empty() { "off" } else { autocomplete }
                spellcheck="false"
                aria-invalid=move || invalid().to_string()
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:blur=move |_| {
                    if let Some(f) = on_leave {
                        f.run(());
                    }
                }
            />
            {(!hint.is_empty()).then(|| view! { <p class="alc-field__hint" id=hint_id>{hint}</p> })}
            <p class="alc-field__error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// The server's refusals of a form's fields, each shown while its field still holds
/// the value that was refused: fixing the field clears its message at once, and an
/// unrelated edit elsewhere does not.
#[derive(Clone, Copy)]
pub struct Refusals(RwSignal<Vec<(FieldError, String)>>);

impl Refusals {
    pub fn new() -> Self {
        Refusals(RwSignal::new(Vec::new()))
    }

    /// Remembers `fields`, each with the value `sent` says its field held.
    pub fn set(&self, fields: Vec<FieldError>, sent: impl Fn(&str) -> String) {
        self.0.set(
            fields
                .into_iter()
                .map(|f| {
                    let value = sent(&f.field.to_string());
                    (f, value)
                })
                .collect(),
        );
    }

    pub fn clear(&self) {
        self.0.set(Vec::new());
    }

    /// The server's message for `field`, while the field still holds `current`.
    pub fn message(&self, field: &str, current: &str) -> Option<String> {
        self.0.with(|r| {
            r.iter()
                .find(|(f, sent)| f.field == field && sent == current)
                .map(|(f, _)| f.message.clone())
        })
    }
}

impl Default for Refusals {
    fn default() -> Self {
        Self::new()
    }
}

/// The message of `field` among `problems`.
fn problem(problems: &[FieldError], field: &str) -> Option<String> {
    problems
        .iter()
        .find(|f| f.field == field)
        .map(|f| f.message.clone())
}

/// A field's message: the form's own check of it (`local`) once `shown` says the field
/// is ready to be judged, else the server's refusal of the value it still holds.
pub fn field_message(
    field: &'static str,
    value: RwSignal<String>,
    shown: impl Fn(&'static str) -> bool + Send + Sync + 'static,
    local: Memo<Vec<FieldError>>,
    refusals: Refusals,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        shown(field)
            .then(|| local.with(|ps| problem(ps, field)))
            .flatten()
            .or_else(|| value.with(|v| refusals.message(field, v)))
    })
}

/// Puts the keyboard on the first field that needs attention, once the messages render.
pub fn focus_first_invalid(form: NodeRef<Form>) {
    request_animation_frame(move || {
        if let Some(el) = form
            .get_untracked()
            .and_then(|f| f.query_selector("[aria-invalid=true]").ok())
            .flatten()
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let _ = el.focus();
        }
    });
}
