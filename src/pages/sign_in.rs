//! The sign-in page (standalone use) and the no-access page (a signed-in Agent).

use alc_domain::access::{ConsoleUser, Credentials};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::session::{SessionState, use_session};

#[component]
pub fn SignInPage(
    /// Why the previous session ended, if it did.
    reason: Option<String>,
    /// Embedded with a host's token: the host signs people in, not this page.
    embedded: bool,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let session = use_session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let field_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    if embedded {
        return view! {
            <section class="alc-signin" aria-labelledby="alc-signin-title">
                <h1 id="alc-signin-title">"Session ended"</h1>
                <p role="alert">
                    {reason.unwrap_or_else(|| "The console could not confirm who you are.".into())}
                    " Reload the page to sign in again through your portal."
                </p>
            </section>
        }
        .into_any();
    }
    // A new installation has nobody to sign in as: say who creates the first admin
    // rather than let people guess at passwords. Any failure here just says nothing.
    let no_users = RwSignal::new(false);
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(setup) = api.setup(&abort.get_value()).await {
                no_users.set(!setup.has_users);
            }
        });
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        field_error.set(None);
        error.set(None);
        if email.get_untracked().trim().is_empty() || password.get_untracked().is_empty() {
            field_error.set(Some("Enter your email and password.".into()));
            return;
        }
        busy.set(true);
        let api = api.clone();
        let creds = Credentials {
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            let result = api.sign_in(&creds, &Abort::new()).await;
            busy.set(false);
            match result {
                Ok(info) => {
                    api.set_csrf(info.csrf_token.clone());
                    session.0.set(SessionState::SignedIn(info));
                }
                Err(ApiError::Server { body, .. }) if !body.fields.is_empty() => {
                    password.set(String::new());
                    field_error.set(Some(body.message));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="alc-signin" aria-labelledby="alc-signin-title">
            <p class="alc-nav__brand">"Contact Center Admin"</p>
            <h1 id="alc-signin-title">"Sign in"</h1>
            {reason.map(|r| view! { <p class="alc-alert alc-alert--warn" role="status">{r}</p> })}
            <div role="status">
                {move || no_users.get().then(|| view! {
                    <div class="alc-alert alc-alert--warn alc-setup">
                        <p>"No console users yet: your operator creates the first admin on the server with"</p>
                        <code>"alc-server users add --email you@example.com --name \"Your Name\" --role admin"</code>
                    </div>
                })}
            </div>
            <form on:submit=submit novalidate>
                <div class="alc-field">
                    <label for="alc-signin-email">"Email"</label>
                    <input
                        id="alc-signin-email"
                        type="email"
                        autocomplete="username"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </div>
                <div class="alc-field">
                    <label for="alc-signin-password">"Password"</label>
                    <input
                        id="alc-signin-password"
                        type="password"
                        autocomplete="current-password"
                        aria-invalid=move || field_error.with(Option::is_some).to_string()
                        aria-describedby="alc-signin-password-error"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <p class="alc-field__error" id="alc-signin-password-error">
                        {move || field_error.get()}
                    </p>
                </div>
                {move || error.get().map(|e| view! { <p class="alc-alert alc-alert--error" role="alert">{e}</p> })}
                <button type="submit" class="alc-button alc-button--primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
pub fn NoAccessPage(user: ConsoleUser, on_sign_out: Callback<()>) -> impl IntoView {
    view! {
        <section class="alc-signin" aria-labelledby="alc-noaccess-title">
            <h1 id="alc-noaccess-title">"No access"</h1>
            <p role="alert">
                {format!(
                    "You are signed in as {} ({}), with the {} role. The Agent Licensing Console is for supervisors and admins; ask an admin if you need access.",
                    user.name,
                    user.email,
                    user.role.label(),
                )}
            </p>
            <button type="button" class="alc-button" on:click=move |_| on_sign_out.run(())>
                "Sign out"
            </button>
        </section>
    }
}
