//! Screens the first load does without: each is a split point, loaded the first time it
//! is shown. With the `split` cargo feature (the release site, built by `cargo xtask`'s
//! splitter, xtask/src/split.rs) the code behind a split point lives in its own wasm
//! chunk; without it (Trunk's plain build, the tests) the same functions are ordinary
//! ones, reached through the same [`lazy`] view, so both builds show screens one way.
//!
//! A chunk that cannot be fetched (the network, or a deployment that replaced it while
//! the page was open) shows a message and Try again, never a panic.

use std::future::Future;

use alc_domain::access::{ConsoleUser, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::bulk::{BulkActions, BulkArgs, BulkOutcomeView};
use crate::pages::{
    AddAgentPage, AuditLogPage, ChangePasswordPage, ChoosePasswordPage, EditAgentPage, ImportPage,
    PhoneUsersPage, SettingsPage, UsersPage,
};
use crate::router::Route;

/// A screen once its chunk is loaded: builds its view from its argument.
pub type Screen<A = Route> = fn(A) -> AnyView;

/// A chunk that could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missing;

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for Missing {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        Missing
    }
}

/// `screen!(name, chunk, |arg: Type| view)`: an async `name()` that loads `chunk` (with
/// the `split` feature) and gives the [`Screen`] that builds `view`. Everything only
/// the view reaches goes into the chunk; what the first load also uses stays in the
/// main module.
macro_rules! screen {
    ($name:ident, $chunk:ident, |$arg:ident: $ty:ty| $body:expr) => {
        #[cfg(feature = "split")]
        #[wasm_split_helpers::wasm_split($chunk, fallible)]
        fn $name() -> Result<Screen<$ty>, Missing> {
            fn render($arg: $ty) -> AnyView {
                $body
            }
            Ok(render)
        }

        #[cfg(not(feature = "split"))]
        async fn $name() -> Result<Screen<$ty>, Missing> {
            fn render($arg: $ty) -> AnyView {
                $body
            }
            Ok(render)
        }
    };
    ($name:ident, $chunk:ident, |$arg:ident| $body:expr) => {
        screen!($name, $chunk, |$arg: Route| $body);
    };
}

screen!(add_agent, agent_profile, |_route| {
    view! { <AddAgentPage /> }.into_any()
});
screen!(edit_agent, agent_profile, |route| match route {
    Route::EditAgent(id) => view! { <EditAgentPage id /> }.into_any(),
    _ => ().into_any(),
});
screen!(phone_users, phone_users, |_route| {
    view! { <PhoneUsersPage /> }.into_any()
});
screen!(audit, audit, |_route| view! { <AuditLogPage /> }.into_any());
screen!(import, import, |_route| view! { <ImportPage /> }.into_any());
screen!(settings, settings, |_route| view! { <SettingsPage /> }
    .into_any());
screen!(users, users, |_route| view! { <UsersPage /> }.into_any());
screen!(change_password, password, |_route| {
    view! { <ChangePasswordPage /> }.into_any()
});

/// What "Choose a new password" is built from (see [`choose_password`]).
#[derive(Clone)]
pub struct ChooseArgs {
    pub user: ConsoleUser,
    pub on_changed: Callback<SessionInfo>,
    pub on_sign_out: Option<Callback<()>>,
}

screen!(choose_password_screen, password, |args: ChooseArgs| {
    let ChooseArgs {
        user,
        on_changed,
        on_sign_out,
    } = args;
    view! { <ChoosePasswordPage user on_changed on_sign_out /> }.into_any()
});

screen!(bulk_actions_screen, bulk, |args: BulkArgs| {
    view! { <BulkActions args /> }.into_any()
});
screen!(bulk_notice_screen, bulk, |args: BulkArgs| {
    view! { <BulkOutcomeView args /> }.into_any()
});

/// Assign / Remove for the agents picked on a licensing list: loaded the first time a
/// row is picked.
pub fn bulk_actions(args: BulkArgs) -> AnyView {
    lazy(bulk_actions_screen, args)
}

/// What the last bulk change did (the same chunk as [`bulk_actions`]).
pub fn bulk_notice(args: BulkArgs) -> AnyView {
    lazy(bulk_notice_screen, args)
}

/// The page of a route that lives in a chunk, or `None` for one the first load has.
pub fn view_of(route: &Route) -> Option<AnyView> {
    let route = route.clone();
    Some(match route {
        Route::NewAgent => lazy(add_agent, route),
        Route::EditAgent(_) => lazy(edit_agent, route),
        Route::PhoneUsers => lazy(phone_users, route),
        Route::Audit => lazy(audit, route),
        Route::Import => lazy(import, route),
        Route::Settings => lazy(settings, route),
        Route::Users => lazy(users, route),
        Route::ChangePassword => lazy(change_password, route),
        Route::Agents | Route::NotFound => return None,
    })
}

/// "Choose a new password", which a user sees once, after an admin set their password.
pub fn choose_password(args: ChooseArgs) -> AnyView {
    lazy(choose_password_screen, args)
}

enum State<A: 'static> {
    Loading,
    Ready(Screen<A>),
    Failed,
}

impl<A> Clone for State<A> {
    fn clone(&self) -> Self {
        match self {
            State::Loading => State::Loading,
            State::Ready(screen) => State::Ready(*screen),
            State::Failed => State::Failed,
        }
    }
}

/// The screen `load` gives, built from `arg` once it is there; "Loading…" until then,
/// and a message with Try again if the chunk cannot be fetched.
pub fn lazy<A, F, Fut>(load: F, arg: A) -> AnyView
where
    A: Clone + Send + Sync + 'static,
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Screen<A>, Missing>> + 'static,
{
    let state = RwSignal::new(State::<A>::Loading);
    let start = move || {
        state.set(State::Loading);
        spawn_local(async move {
            let next = match load().await {
                Ok(screen) => State::Ready(screen),
                Err(Missing) => State::Failed,
            };
            // (The screen may have been left meanwhile.)
            state.try_set(next);
        });
    };
    start();
    (move || match state.get() {
        State::Loading => {
            view! { <p class="alc-loading" role="status">"Loading…"</p> }.into_any()
        }
        State::Ready(screen) => screen(arg.clone()),
        State::Failed => view! {
            <div class="alc-alert alc-alert--error" role="alert">
                <p>
                    "This screen could not be loaded. Check the connection; if the console was just updated, reload the page."
                </p>
                <button type="button" class="alc-button" on:click=move |_| start()>
                    "Try again"
                </button>
            </div>
        }
        .into_any(),
    })
    .into_any()
}
