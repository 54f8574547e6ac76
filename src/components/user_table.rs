//! The table of Console Users: each row's role, status and last sign-in, and what an
//! admin can do to it (change the role, disable or enable, set a new initial password,
//! end the sessions). A refused change leaves the row as it was and says why beside it.

use std::future::Future;

use alc_domain::access::{PasswordReset, Role, UserAccount, UserChange, UserId};
use alc_domain::password::check_password;
use leptos::html::{Button, Form, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::form_field::{FormField, PASSWORD_HINT, Refusals, focus_first_invalid};
use crate::components::new_user_form::ROLE_CHOICES;
use crate::router::Link;
use crate::session::{Session, SessionState};

#[derive(Clone, Debug, PartialEq)]
enum RowNotice {
    Done(String),
    Refused(String),
}

#[component]
pub fn UserTable(
    users: RwSignal<Vec<UserAccount>>,
    /// The signed-in admin's email: their own row offers no way to lock themselves out
    /// (they change their own password and sign out from the navigation).
    #[prop(into)]
    me: String,
) -> impl IntoView {
    let me = StoredValue::new(me);
    view! {
        <div class="alc-table-wrap" role="region" aria-label="Console users" tabindex="0">
            <table class="alc-table alc-users">
                <caption class="alc-sr-only">"Console users, by name"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last sign-in (UTC)"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    // Keyed by id: a change to one user re-renders nothing but what
                    // changed in that row, and keeps every other row's messages.
                    <For
                        each=move || users.get()
                        key=|u| u.id
                        children=move |u| {
                            let mine = me.with_value(|m| u.email.eq_ignore_ascii_case(m));
                            view! { <UserRow initial=u users mine /> }
                        }
                    />
                </tbody>
            </table>
        </div>
    }
}

/// "2026-11-23 14:05" from RFC 3339.
fn minute(at: &str) -> String {
    let at = at.replace('T', " ");
    at.get(..16).unwrap_or(&at).to_string()
}

fn with_article(role: Role) -> String {
    match role {
        Role::Admin | Role::Agent => format!("an {}", role.label()),
        Role::Supervisor => format!("a {}", role.label()),
    }
}

/// Runs one of a row's changes: the row is busy meanwhile, and its outcome (what
/// happened, or why not) is shown beside it.
fn run(
    busy: RwSignal<bool>,
    notice: RwSignal<Option<RowNotice>>,
    change: impl Future<Output = Result<String, ApiError>> + 'static,
) {
    busy.set(true);
    notice.set(None);
    spawn_local(async move {
        let result = change.await;
        busy.set(false);
        match result {
            Ok(done) => notice.set(Some(RowNotice::Done(done))),
            Err(ApiError::Aborted) => {}
            Err(e) => notice.set(Some(RowNotice::Refused(format!("Not changed. {e}")))),
        }
    });
}

#[component]
fn UserRow(initial: UserAccount, users: RwSignal<Vec<UserAccount>>, mine: bool) -> impl IntoView {
    let api = expect_context::<Api>();
    let session = use_context::<Session>();
    let id: UserId = initial.id;
    let name = StoredValue::new(initial.name.clone());
    let email = initial.email.clone();
    let live = Memo::new(move |_| {
        users
            .with(|us| us.iter().find(|u| u.id == id).cloned())
            .unwrap_or_else(|| initial.clone())
    });
    let role = Memo::new(move |_| live.with(|u| u.role));
    let active = Memo::new(move |_| live.with(|u| u.active));
    // The role picked in the select, until it is saved or the change refused.
    let draft = RwSignal::new(None::<Role>);
    let notice = RwSignal::new(None::<RowNotice>);
    let busy = RwSignal::new(false);
    let resetting = RwSignal::new(false);
    let reset_button = NodeRef::<Button>::new();
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });
    let replace = move |account: UserAccount| {
        users.update(|us| {
            if let Some(u) = us.iter_mut().find(|u| u.id == account.id) {
                *u = account;
            }
        })
    };
    let who = move || name.get_value();

    let save_role = {
        let api = api.clone();
        move || {
            let Some(next) = draft.get_untracked() else {
                return;
            };
            if busy.get_untracked() {
                return;
            }
            let api = api.clone();
            let abort = abort.get_value();
            run(busy, notice, async move {
                let result = api
                    .change_user(
                        id,
                        &UserChange {
                            role: Some(next),
                            active: None,
                        },
                        &abort,
                    )
                    .await;
                // Saved or refused, the select shows the role the server holds.
                draft.set(None);
                let account = result?;
                replace(account);
                if mine && let Some(s) = session {
                    // The shell and the navigation follow one's own new role.
                    s.0.update(|state| {
                        if let SessionState::SignedIn(info) = state {
                            info.user.role = next;
                        }
                    });
                }
                Ok(format!("{} is now {}.", who(), with_article(next)))
            });
        }
    };

    let toggle_active = {
        let api = api.clone();
        move |_| {
            if busy.get_untracked() {
                return;
            }
            let enable = !active.get_untracked();
            let api = api.clone();
            let abort = abort.get_value();
            run(busy, notice, async move {
                let change = UserChange {
                    role: None,
                    active: Some(enable),
                };
                replace(api.change_user(id, &change, &abort).await?);
                Ok(if enable {
                    format!("Enabled {}. They can sign in again.", who())
                } else {
                    format!(
                        "Disabled {}. Their open sessions ended, and they cannot sign in until enabled.",
                        who()
                    )
                })
            });
        }
    };

    let end_sessions = {
        let api = api.clone();
        move |_| {
            if busy.get_untracked() {
                return;
            }
            let api = api.clone();
            let abort = abort.get_value();
            run(busy, notice, async move {
                let ended = api.end_sessions(id, &abort).await?.ended;
                users.update(|us| {
                    if let Some(u) = us.iter_mut().find(|u| u.id == id) {
                        u.sessions = 0;
                    }
                });
                Ok(match ended {
                    0 => format!("{} had no open sessions.", who()),
                    1 => format!("Ended 1 session of {}.", who()),
                    n => format!("Ended {n} sessions of {}.", who()),
                })
            });
        }
    };

    let close_reset = Callback::new(move |done: Option<String>| {
        resetting.set(false);
        if let Some(done) = done {
            notice.set(Some(RowNotice::Done(done)));
        }
        // Back where the keyboard was before the form opened.
        request_animation_frame(move || {
            if let Some(b) = reset_button.get_untracked() {
                let _ = b.focus();
            }
        });
    });

    let role_id = format!("alc-user-{id}-role");
    let shown_role = move || draft.get().unwrap_or_else(|| role.get());
    let status = move || {
        let u = live.get();
        let sessions = match u.sessions {
            0 => None,
            1 => Some("1 open session".to_string()),
            n => Some(format!("{n} open sessions")),
        };
        view! {
            <span class="alc-status" data-active=u.active.to_string()>
                {if u.active { "Active" } else { "Disabled" }}
            </span>
            {u.must_change_password.then(|| view! {
                <span class="alc-flag alc-flag--warn">"Must change password"</span>
            })}
            {sessions.map(|s| view! { <span class="alc-flag">{s}</span> })}
        }
    };
    let last_sign_in = move || {
        live.with(|u| u.last_sign_in_at.as_deref().map(minute))
            .unwrap_or_else(|| "Never".into())
    };
    let aria_busy = move || busy.get().to_string();

    view! {
        <tr class="alc-user" class:alc-user--disabled=move || !active.get()>
            <th scope="row" class="alc-name">
                {who()}
                {mine.then(|| view! { <span class="alc-badge">"You"</span> })}
            </th>
            <td>{email}</td>
            <td class="alc-user__role">
                <label class="alc-sr-only" for=role_id.clone()>{format!("Role for {}", who())}</label>
                <select
                    id=role_id
                    aria-disabled=aria_busy
                    on:change=move |ev| {
                        let picked = Role::from_key(&event_target_value(&ev));
                        draft.set(picked.filter(|r| *r != role.get_untracked()));
                    }
                >
                    {ROLE_CHOICES.map(|r| view! {
                        <option value=r.key() prop:selected=move || shown_role() == r>{r.label()}</option>
                    })}
                </select>
                <Show when=move || draft.with(Option::is_some)>
                    <span class="alc-user__role-actions">
                        <button
                            type="button"
                            class="alc-button alc-button--primary alc-button--small"
                            aria-label=format!("Save role for {}", who())
                            aria-disabled=aria_busy
                            on:click={
                                let save_role = save_role.clone();
                                move |_| save_role()
                            }
                        >
                            "Save role"
                        </button>
                        <button
                            type="button"
                            class="alc-button alc-button--small"
                            aria-label=format!("Cancel role change for {}", who())
                            on:click=move |_| draft.set(None)
                        >
                            "Cancel"
                        </button>
                    </span>
                </Show>
            </td>
            <td>{status}</td>
            <td class="alc-user__when">{last_sign_in}</td>
            <td class="alc-user__actions">
                {if mine {
                    view! {
                        <Link href="/password" class="alc-button alc-button--small">"Change password"</Link>
                    }
                    .into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="alc-button alc-button--small"
                            class:alc-button--danger=move || active.get()
                            aria-label=move || format!("{} {}", if active.get() { "Disable" } else { "Enable" }, who())
                            aria-disabled=aria_busy
                            on:click=toggle_active
                        >
                            {move || if active.get() { "Disable" } else { "Enable" }}
                        </button>
                        <button
                            type="button"
                            class="alc-button alc-button--small"
                            node_ref=reset_button
                            aria-label=format!("Reset password for {}", who())
                            aria-expanded=move || resetting.get().to_string()
                            aria-controls=move || resetting.get().then(|| format!("alc-user-{id}-reset"))
                            on:click=move |_| {
                                notice.set(None);
                                resetting.update(|r| *r = !*r);
                            }
                        >
                            "Reset password"
                        </button>
                        <button
                            type="button"
                            class="alc-button alc-button--small"
                            aria-label=format!("End sessions of {}", who())
                            aria-disabled=aria_busy
                            on:click=end_sessions
                        >
                            "End sessions"
                        </button>
                    }
                    .into_any()
                }}
            </td>
        </tr>
        <Show when=move || resetting.get() || notice.with(Option::is_some)>
            <tr class="alc-user-detail">
                <td colspan="6">
                    {move || notice.get().map(|n| match n {
                        RowNotice::Done(m) => view! { <p class="alc-alert alc-alert--ok" role="status">{m}</p> }.into_any(),
                        RowNotice::Refused(m) => view! { <p class="alc-alert alc-alert--error" role="alert">{m}</p> }.into_any(),
                    })}
                    <Show when=move || resetting.get()>
                        <ResetPasswordForm
                            id
                            name=who()
                            email=live.with_untracked(|u| u.email.clone())
                            on_close=close_reset
                            replace=Callback::new(replace)
                        />
                    </Show>
                </td>
            </tr>
        </Show>
    }
}

/// A new initial password for one user, inline under their row.
#[component]
fn ResetPasswordForm(
    id: UserId,
    name: String,
    email: String,
    /// Closes the form; with what happened, when the password was set.
    on_close: Callback<Option<String>>,
    /// Puts the server's new state of the account in the table.
    replace: Callback<UserAccount>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let password = RwSignal::new(String::new());
    let left = RwSignal::new(false);
    let submitted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let refusals = Refusals::new();
    let failure = RwSignal::new(None::<String>);
    let form_el = NodeRef::<Form>::new();
    let input = NodeRef::<Input>::new();
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });
    // The keyboard goes where the admin types next.
    input.on_load(move |el| {
        request_animation_frame(move || {
            let _ = el.focus();
        })
    });
    let local = Memo::new(move |_| password.with(|p| check_password(p, &email, "password").err()));
    let message = Signal::derive(move || {
        (submitted.get() || left.get() || !password.with(String::is_empty))
            .then(|| local.get().map(|e| e.message))
            .flatten()
            .or_else(|| password.with(|p| refusals.message("password", p)))
    });
    let name = StoredValue::new(name);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        submitted.set(true);
        failure.set(None);
        if local.with_untracked(Option::is_some) {
            focus_first_invalid(form_el);
            return;
        }
        busy.set(true);
        let sent = password.get_untracked();
        let api = api.clone();
        spawn_local(async move {
            let reset = PasswordReset {
                password: sent.clone(),
            };
            let result = api.reset_password(id, &reset, &abort.get_value()).await;
            busy.set(false);
            match result {
                Ok(account) => {
                    replace.run(account);
                    on_close.run(Some(format!(
                        "New initial password set for {}. Their open sessions ended; they choose their own password at the next sign-in.",
                        name.get_value()
                    )));
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    if let ApiError::Server { body, .. } = &e {
                        refusals.set(body.fields.clone(), |_| sent.clone());
                    }
                    failure.set(Some(format!("The password was not changed. {e}")));
                    focus_first_invalid(form_el);
                }
            }
        });
    };
    view! {
        <form
            node_ref=form_el
            id=format!("alc-user-{id}-reset")
            class="alc-reset-form"
            novalidate
            aria-label=format!("New initial password for {}", name.get_value())
            on:submit=submit
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    on_close.run(None);
                }
            }
        >
            <FormField
                id=format!("alc-user-{id}-password")
                label=format!("New initial password for {}", name.get_value())
                input_type="password"
                autocomplete="new-password"
                hint=format!("Their open sessions end now, and they must change it when they next sign in. {PASSWORD_HINT}")
                value=password
                error=message
                on_leave=Callback::new(move |()| left.set(true))
                node_ref=input
            />
            {move || failure.get().map(|f| view! { <p class="alc-alert alc-alert--error" role="alert">{f}</p> })}
            <div class="alc-form__actions">
                <button type="submit" class="alc-button alc-button--primary" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Setting…" } else { "Set password" }}
                </button>
                <button type="button" class="alc-button" on:click=move |_| on_close.run(None)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
