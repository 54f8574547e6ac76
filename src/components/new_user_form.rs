//! "Add user" on Console Users: a new console user with an initial password, which they
//! replace with their own when they first sign in.

use alc_domain::access::{NewUser, Role, UserAccount, validate_user};
use alc_domain::password::check_password;
use leptos::html::Form;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::form_field::{
    FormField, PASSWORD_HINT, Refusals, field_message, focus_first_invalid,
};

/// The roles in the order an admin most often wants them.
pub const ROLE_CHOICES: [Role; 3] = [Role::Supervisor, Role::Admin, Role::Agent];

#[component]
pub fn NewUserForm(
    /// Told the account the server created.
    on_added: Callback<UserAccount>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Supervisor);
    let password = RwSignal::new(String::new());
    let left: [RwSignal<bool>; 3] = std::array::from_fn(|_| RwSignal::new(false));
    let submitted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let refusals = Refusals::new();
    let failure = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);
    let form_el = NodeRef::<Form>::new();
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });

    // The same rules the server applies (it also checks that the email is free).
    let local = Memo::new(move |_| {
        let (n, e, p) = (name.get(), email.get(), password.get());
        let mut problems = validate_user(&n, &e).err().unwrap_or_default();
        problems.extend(check_password(&p, &e, "password").err());
        problems
    });
    // Name and email are judged once left (a half-typed address is not wrong yet); the
    // password from its first keystroke, since it is composed against the policy.
    let shown = move |field: &'static str| -> bool {
        submitted.get()
            || match field {
                "name" => left[0].get(),
                "email" => left[1].get(),
                _ => left[2].get() || !password.with(String::is_empty),
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
        added.set(None);
        if !local.with_untracked(Vec::is_empty) {
            focus_first_invalid(form_el);
            return;
        }
        busy.set(true);
        let sent = (
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
        );
        let user = NewUser {
            name: sent.0.trim().to_string(),
            email: sent.1.trim().to_string(),
            role: role.get_untracked(),
            password: sent.2.clone(),
        };
        let api = api.clone();
        spawn_local(async move {
            let result = api.add_user(&user, &abort.get_value()).await;
            busy.set(false);
            match result {
                Ok(account) => {
                    added.set(Some(format!(
                        "Added {}. They choose their own password when they first sign in.",
                        account.name
                    )));
                    for value in [name, email, password] {
                        value.set(String::new());
                    }
                    role.set(Role::Supervisor);
                    for l in left {
                        l.set(false);
                    }
                    submitted.set(false);
                    refusals.clear();
                    on_added.run(account);
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    if let ApiError::Server { body, .. } = &e {
                        refusals.set(body.fields.clone(), |field| match field {
                            "name" => sent.0.clone(),
                            "email" => sent.1.clone(),
                            "password" => sent.2.clone(),
                            _ => String::new(),
                        });
                    }
                    failure.set(Some(format!("Not added. {e}")));
                    focus_first_invalid(form_el);
                }
            }
        });
    };

    view! {
        <form node_ref=form_el class="alc-user-form" novalidate aria-labelledby="alc-add-user-title" on:submit=submit>
            <h2 id="alc-add-user-title">"Add user"</h2>
            <div class="alc-settings__grid">
                <FormField id="alc-new-user-name" label="Name" value=name error=message("name", name) on_leave=leave(0) />
                <FormField
                    id="alc-new-user-email"
                    label="Email"
                    input_type="email"
                    value=email
                    error=message("email", email)
                    on_leave=leave(1)
                />
            </div>
            <div class="alc-field">
                <label for="alc-new-user-role">"Role"</label>
                <select
                    id="alc-new-user-role"
                    aria-describedby="alc-new-user-role-hint"
                    on:change=move |ev| {
                        if let Some(r) = Role::from_key(&event_target_value(&ev)) {
                            role.set(r);
                        }
                    }
                >
                    {ROLE_CHOICES.map(|r| view! {
                        <option value=r.key() prop:selected=move || role.get() == r>{r.label()}</option>
                    })}
                </select>
                <p class="alc-field__hint" id="alc-new-user-role-hint">
                    "Supervisors manage licenses and agents; admins also manage settings and console users; agents cannot use the console."
                </p>
            </div>
            <FormField
                id="alc-new-user-password"
                label="Initial password"
                input_type="password"
                autocomplete="new-password"
                hint=format!("They must change it when they first sign in. {PASSWORD_HINT}")
                value=password
                error=message("password", password)
                on_leave=leave(2)
            />
            <div class="alc-outcome">
                <p role="status">
                    {move || added.get().map(|m| view! { <span class="alc-alert alc-alert--ok">{m}</span> })}
                </p>
                <p role="alert">
                    {move || failure.get().map(|f| view! { <span class="alc-alert alc-alert--error">{f}</span> })}
                </p>
            </div>
            <div class="alc-form__actions">
                <button type="submit" class="alc-button alc-button--primary" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Adding…" } else { "Add user" }}
                </button>
            </div>
        </form>
    }
}
