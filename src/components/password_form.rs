//! Changing one's own password: the form of Change password and of "Choose a new
//! password" (the first sign-in with a password an admin set).

use alc_domain::access::{PasswordChange, SessionInfo};
use alc_domain::password::check_password;
use alc_domain::{ErrorCode, FieldError};
use leptos::html::Form;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::form_field::{
    FormField, PASSWORD_HINT, Refusals, field_message, focus_first_invalid,
};

const CURRENT: &str = "current_password";
const NEW: &str = "new_password";
/// Not a field of the request: the server never sees the confirmation.
const CONFIRM: &str = "confirm_password";

/// What is wrong with the three fields, by the same policy the server applies.
fn problems(current: &str, new: &str, confirm: &str, email: &str) -> Vec<FieldError> {
    let refuse =
        |field: &str, code: ErrorCode, message: &str| FieldError::new(field, code, message);
    let mut out = Vec::new();
    if current.is_empty() {
        out.push(refuse(
            CURRENT,
            ErrorCode::Required,
            "Enter your current password.",
        ));
    }
    match check_password(new, email, NEW) {
        Err(e) => out.push(e),
        // Keeping the password an admin chose (or knows) would defeat the change.
        Ok(()) if new == current => out.push(refuse(
            NEW,
            ErrorCode::PasswordUnchanged,
            "Choose a password other than your current one.",
        )),
        Ok(()) => {}
    }
    if confirm != new {
        out.push(refuse(
            CONFIRM,
            ErrorCode::Mismatch,
            "This does not match the new password. Type it again.",
        ));
    }
    out
}

#[component]
pub fn PasswordChangeForm(
    /// The signed-in user's email: the policy refuses passwords made of it.
    #[prop(into)]
    email: String,
    /// Told the session's new state once the password is changed.
    on_changed: Callback<SessionInfo>,
    /// The submit button's words.
    #[prop(default = "Change password")]
    submit_label: &'static str,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let left: [RwSignal<bool>; 3] = std::array::from_fn(|_| RwSignal::new(false));
    let submitted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let refusals = Refusals::new();
    let failure = RwSignal::new(None::<String>);
    let changed = RwSignal::new(false);
    let form_el = NodeRef::<Form>::new();
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });

    let email_for_rules = email.clone();
    let local =
        Memo::new(move |_| problems(&current.get(), &new.get(), &confirm.get(), &email_for_rules));
    // When a rule's message shows: a password is composed against the policy, so its
    // verdict helps from the first keystroke; the current password is only missing once
    // the field is left; a confirmation still being typed (a start of the new one) is
    // not wrong yet.
    let shown = move |field: &'static str| -> bool {
        submitted.get()
            || match field {
                CURRENT => left[0].get(),
                NEW => left[1].get() || !new.with(String::is_empty),
                _ => {
                    left[2].get()
                        || confirm.with(|c| !c.is_empty() && !new.with(|n| n.starts_with(c)))
                }
            }
    };
    let message = move |field: &'static str, value: RwSignal<String>| {
        field_message(field, value, shown, local, refusals)
    };
    let leave = |i: usize| Callback::new(move |()| left[i].set(true));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        submitted.set(true);
        failure.set(None);
        changed.set(false);
        if !local.with_untracked(Vec::is_empty) {
            focus_first_invalid(form_el);
            return;
        }
        busy.set(true);
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        let api = api.clone();
        spawn_local(async move {
            let result = api.change_password(&change, &abort.get_value()).await;
            busy.set(false);
            match result {
                Ok(info) => {
                    for value in [current, new, confirm] {
                        value.set(String::new());
                    }
                    for l in left {
                        l.set(false);
                    }
                    submitted.set(false);
                    refusals.clear();
                    changed.set(true);
                    on_changed.run(info);
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    if let ApiError::Server { body, .. } = &e {
                        refusals.set(body.fields.clone(), |field| match field {
                            CURRENT => change.current_password.clone(),
                            NEW => change.new_password.clone(),
                            _ => String::new(),
                        });
                    }
                    failure.set(Some(format!("Your password was not changed. {e}")));
                    focus_first_invalid(form_el);
                }
            }
        });
    };

    view! {
        <form node_ref=form_el class="alc-password-form" novalidate on:submit=submit>
            // For password managers: the account the new password belongs to.
            <input type="email" name="username" autocomplete="username" value=email hidden readonly />
            <FormField
                id="alc-pw-current"
                label="Current password"
                input_type="password"
                autocomplete="current-password"
                value=current
                error=message(CURRENT, current)
                on_leave=leave(0)
            />
            <FormField
                id="alc-pw-new"
                label="New password"
                input_type="password"
                autocomplete="new-password"
                hint=PASSWORD_HINT
                value=new
                error=message(NEW, new)
                on_leave=leave(1)
            />
            <FormField
                id="alc-pw-confirm"
                label="Confirm new password"
                input_type="password"
                autocomplete="new-password"
                value=confirm
                error=message(CONFIRM, confirm)
                on_leave=leave(2)
            />
            <div class="alc-outcome">
                <p role="status">
                    {move || changed.get().then(|| view! {
                        <span class="alc-alert alc-alert--ok">
                            "Password changed. Any other sessions you had open are now signed out."
                        </span>
                    })}
                </p>
                <p role="alert">
                    {move || failure.get().map(|f| view! { <span class="alc-alert alc-alert--error">{f}</span> })}
                </p>
            </div>
            <div class="alc-form__actions">
                <button type="submit" class="alc-button alc-button--primary" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Changing…" } else { submit_label }}
                </button>
            </div>
        </form>
    }
}
