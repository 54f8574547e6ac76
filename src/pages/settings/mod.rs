//! `/settings` — the account's settings, for admins: licenses purchased and the Web
//! Chat channel, the extension plan, and the UC directory connection. Each section
//! saves on its own; the server checks again and records each change in the audit log.
//!
//! One file per form: `purchases.rs`, `ranges.rs`, `directory.rs`; this one has the
//! page and what the forms share (a number field, field messages, the save outcome).

mod directory;
mod purchases;
mod ranges;

use alc_domain::{FieldError, access::Role};
use leptos::prelude::*;

use crate::api::ApiError;
use crate::session::use_session;

use directory::DirectoryForm;
use purchases::PurchasesForm;
use ranges::RangesForm;

/// A section's last save: nothing yet, saved, or refused (with field messages).
#[derive(Clone, Debug, Default, PartialEq)]
struct Outcome {
    saved: bool,
    error: Option<String>,
    fields: Vec<FieldError>,
}

impl Outcome {
    fn from(result: Result<(), ApiError>) -> Outcome {
        match result {
            Ok(()) => Outcome {
                saved: true,
                ..Outcome::default()
            },
            Err(ApiError::Server { body, .. }) => Outcome {
                error: Some(body.message),
                fields: body.fields,
                ..Outcome::default()
            },
            Err(e) => Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            },
        }
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.message.clone())
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let admin = use_session().user().is_some_and(|u| u.role == Role::Admin);
    if !admin {
        return view! {
            <header class="alc-page-head">
                <h1>"Settings"</h1>
            </header>
            <p class="alc-alert alc-alert--warn" role="alert">
                "Only admins can change the account's settings."
            </p>
        }
        .into_any();
    }
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"Account"</p>
            <h1>"Settings"</h1>
            <p class="alc-lede">"What the account bought, its extension plan, and its phone system's directory. Every change is recorded in the audit log."</p>
        </header>
        <PurchasesForm />
        <RangesForm />
        <DirectoryForm />
    }
    .into_any()
}

/// A labelled number input bound to `value`, with the server's or the rule's message.
#[component]
fn NumberField(
    id: &'static str,
    label: String,
    value: RwSignal<i64>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="alc-field" class:alc-field--invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                min="0"
                inputmode="numeric"
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get().to_string()
                on:input=move |ev| value.set(event_target_value(&ev).trim().parse().unwrap_or(-1))
            />
            <p class="alc-field__error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// A field's message: the rule's, checked as the admin types, else the server's.
fn message_for(
    problems: Memo<Vec<FieldError>>,
    outcome: RwSignal<Outcome>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        problems
            .with(|ps| {
                ps.iter()
                    .find(|f| f.field == field)
                    .map(|f| f.message.clone())
            })
            .or_else(|| outcome.with(|o| o.field(field)))
    })
}

fn status(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || {
        outcome.with(|o| {
            if o.saved {
                Some(
                    view! { <p class="alc-alert alc-alert--ok" role="status">"Saved."</p> }
                        .into_any(),
                )
            } else {
                o.error.clone().map(|e| {
                    view! { <p class="alc-alert alc-alert--error" role="alert">{e}</p> }.into_any()
                })
            }
        })
    }
}
