//! `/users` — User Management › Console Users, for admins: who may sign in to the
//! console and with which role, and "Add user". The server checks every change again
//! (it refuses one that would leave no active admin) and records it in the audit log.

use alc_domain::access::{Role, UserAccount};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::{NewUserForm, UserTable};
use crate::session::use_session;
use crate::task::{Load, Loader};

#[component]
pub fn UsersPage() -> impl IntoView {
    let session = use_session();
    // Follows the session: an admin who gives up their own admin role here loses the
    // screen at once, not at the next refused call.
    let admin = Memo::new(move |_| session.user().is_some_and(|u| u.role == Role::Admin));
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"User Management"</p>
            <h1>"Console Users"</h1>
            <p class="alc-lede">"Who may sign in to this console, and what they may do. Changes take effect at once and are recorded in the audit log."</p>
        </header>
        {move || if admin.get() {
            view! { <UserManagement /> }.into_any()
        } else {
            view! {
                <p class="alc-alert alc-alert--warn" role="alert">
                    "Only admins can manage console users."
                </p>
            }
            .into_any()
        }}
    }
}

#[component]
fn UserManagement() -> impl IntoView {
    let api = expect_context::<Api>();
    let me = use_session().user().map(|u| u.email).unwrap_or_default();
    let users = RwSignal::new(Vec::<UserAccount>::new());
    let load = Loader::new();
    let reload = move || {
        let api = api.clone();
        load.run(
            move |abort| async move { api.users(&abort).await },
            move |list| users.set(list),
        );
    };
    reload();
    // The server sorts by name; a new user goes where it would have put them.
    let on_added = Callback::new(move |account: UserAccount| {
        users.update(|us| {
            let key = account.name.to_lowercase();
            let at = us.partition_point(|u| u.name.to_lowercase() <= key);
            us.insert(at, account);
        })
    });
    view! {
        {move || match load.get() {
            Load::Loading => view! { <p class="alc-loading" role="status">"Loading…"</p> }.into_any(),
            Load::Failed(e) => {
                let reload = reload.clone();
                view! {
                    <div class="alc-alert alc-alert--error" role="alert">
                        <p>"The console users could not be loaded. " {e.to_string()}</p>
                        <button type="button" class="alc-button" on:click=move |_| reload()>"Try again"</button>
                    </div>
                }
                .into_any()
            }
            Load::Ready => view! { <UserTable users me=me.clone() /> }.into_any(),
        }}
        <section class="alc-settings alc-users__add">
            <NewUserForm on_added />
        </section>
    }
}
