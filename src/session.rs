//! Who is signed in. The shell shows the sign-in page, the no-access page or the
//! console from this; any 401 from the server (an expired session) comes back here.

use alc_domain::access::SessionInfo;
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    /// Asking the server.
    Checking,
    /// Nobody: the reason, if the session just ended.
    SignedOut(Option<String>),
    SignedIn(SessionInfo),
}

/// The session, provided as context by the shell.
#[derive(Clone, Copy)]
pub struct Session(pub RwSignal<SessionState>);

impl Session {
    pub fn user(&self) -> Option<alc_domain::access::ConsoleUser> {
        self.0.with(|s| match s {
            SessionState::SignedIn(info) => Some(info.user.clone()),
            _ => None,
        })
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
