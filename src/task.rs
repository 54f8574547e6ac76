//! What pages share around their API calls: a load they run and run again, and its
//! state. This small `Loader` stands where Leptos's `LocalResource` with `Suspense`
//! would, and saves are plain tasks rather than `Action`s: the same behaviour for
//! less wasm (docs/DECISIONS.md, "Loading and saving").

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, ApiError};

/// Where a page's load stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready,
    Failed(ApiError),
}

/// A load a page runs, and runs again (Try again, a new search): its [`Load`] as a
/// signal, and the call in flight, which a newer run and the page going away cancel.
#[derive(Clone, Copy)]
pub struct Loader {
    state: RwSignal<Load>,
    inflight: StoredValue<Option<Abort>, LocalStorage>,
}

impl Loader {
    /// A loader in the `Loading` state, cancelled with the component that creates it.
    pub fn new() -> Self {
        let loader = Loader {
            state: RwSignal::new(Load::Loading),
            inflight: StoredValue::new_local(None),
        };
        on_cleanup(move || {
            if let Some(a) = loader.inflight.try_get_value().flatten() {
                a.abort();
            }
        });
        loader
    }

    /// The state (tracked).
    pub fn get(&self) -> Load {
        self.state.get()
    }

    pub fn is_loading(&self) -> bool {
        self.state.with(|s| *s == Load::Loading)
    }

    /// Starts `call` with a fresh [`Abort`], cancelling the run before it. Its answer
    /// goes to `done`, then the state is `Ready`; an error makes it `Failed`; a
    /// cancelled run changes nothing.
    pub fn run<T, F>(&self, call: impl FnOnce(Abort) -> F, done: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        let abort = Abort::new();
        if let Some(old) = self.inflight.get_value() {
            old.abort();
        }
        self.inflight.set_value(Some(abort.clone()));
        self.state.set(Load::Loading);
        let answer = call(abort);
        let state = self.state;
        spawn_local(async move {
            match answer.await {
                Ok(value) => {
                    done(value);
                    state.set(Load::Ready);
                }
                Err(ApiError::Aborted) => {}
                Err(e) => state.set(Load::Failed(e)),
            }
        });
    }
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}
