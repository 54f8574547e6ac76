//! `/password` — Change password, for anyone signed in; and "Choose a new password",
//! which the shell shows instead of the console while the session's password is one an
//! admin set (the server refuses everything else until it is replaced).

use alc_domain::access::{ConsoleUser, SessionInfo};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::PasswordChangeForm;
use crate::session::{SessionState, use_session};

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = use_session();
    let email = session.user().map(|u| u.email).unwrap_or_default();
    // The session goes on with the server's new state of it.
    let on_changed = Callback::new(move |info: SessionInfo| {
        api.set_csrf(info.csrf_token.clone());
        session.0.set(SessionState::SignedIn(info));
    });
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"Your account"</p>
            <h1>"Change password"</h1>
            <p class="alc-lede">
                {format!("For {email}. Your other sessions are signed out when it changes; this one goes on.")}
            </p>
        </header>
        <section class="alc-settings alc-password">
            <PasswordChangeForm email on_changed />
        </section>
    }
}

#[component]
pub fn ChoosePasswordPage(
    user: ConsoleUser,
    /// Told the session's new state: the shell then shows the console.
    on_changed: Callback<SessionInfo>,
    /// Absent when embedded (the host signs people in and out).
    on_sign_out: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <section class="alc-signin" aria-labelledby="alc-choose-title">
            <p class="alc-nav__brand">"Contact Center Admin"</p>
            <h1 id="alc-choose-title">"Choose a new password"</h1>
            <p class="alc-signin__intro">
                {format!(
                    "You signed in as {} with a password an admin set for you. Choose your own to continue: type the current one once more, then the new one twice.",
                    user.email,
                )}
            </p>
            <PasswordChangeForm email=user.email on_changed submit_label="Set my password" />
            {on_sign_out.map(|f| view! {
                <button type="button" class="alc-button alc-signin__out" on:click=move |_| f.run(())>
                    "Sign out"
                </button>
            })}
        </section>
    }
}
