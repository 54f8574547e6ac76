//! A message that outlives the page that raised it: "Agent created", shown by the list
//! the form returns to, once.

use leptos::prelude::*;

#[derive(Clone, Copy, Default)]
pub struct Flash(RwSignal<Option<String>>);

impl Flash {
    pub fn set(&self, message: impl Into<String>) {
        self.0.set(Some(message.into()));
    }

    /// Takes the message, so that it shows once.
    pub fn take(&self) -> Option<String> {
        let m = self.0.get_untracked();
        if m.is_some() {
            self.0.set(None);
        }
        m
    }
}

pub fn use_flash() -> Flash {
    use_context::<Flash>().unwrap_or_default()
}
