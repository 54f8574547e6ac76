//! The state of the agent profile form: one signal per field, which fields the user has
//! left, and the errors to show — the shared validators' (as the user types) and the
//! server's (after a check or a save), each next to its field.

use alc_domain::api::Availability;
use alc_domain::{AgentProfile, FieldError, NoAnswer, RecordingMode, validate_profile};
use leptos::prelude::*;

/// The fields, by their wire names.
pub const FIELDS: [&str; 6] = [
    "name",
    "email",
    "extension",
    "preferred_name",
    "no_answer",
    "licenses",
];

/// How the no-answer destination is picked in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAnswerKind {
    None,
    Voicemail,
    Extension,
}

#[derive(Clone, Copy)]
pub struct ProfileForm {
    pub name: RwSignal<String>,
    pub email: RwSignal<String>,
    pub extension: RwSignal<String>,
    pub preferred_name: RwSignal<String>,
    pub no_answer_kind: RwSignal<NoAnswerKind>,
    pub no_answer_extension: RwSignal<String>,
    pub recording: RwSignal<RecordingMode>,
    pub review_own_recordings: RwSignal<bool>,
    /// Fields the user has left at least once: their errors show from then on.
    touched: RwSignal<Vec<&'static str>>,
    /// Save was tried: every error shows.
    pub submitted: RwSignal<bool>,
    /// Errors from the server (a save), shown until their field is edited.
    pub server_errors: RwSignal<Vec<FieldError>>,
    /// The latest as-you-type check of email and extension.
    pub availability: RwSignal<Availability>,
    /// The profile as loaded, to tell whether anything changed.
    loaded: RwSignal<AgentProfile>,
    /// Every problem the shared validators find with the current values.
    local_errors: Memo<Vec<FieldError>>,
}

impl ProfileForm {
    pub fn new(initial: AgentProfile) -> Self {
        let form = ProfileForm {
            name: RwSignal::new(String::new()),
            email: RwSignal::new(String::new()),
            extension: RwSignal::new(String::new()),
            preferred_name: RwSignal::new(String::new()),
            no_answer_kind: RwSignal::new(NoAnswerKind::None),
            no_answer_extension: RwSignal::new(String::new()),
            recording: RwSignal::new(RecordingMode::default()),
            review_own_recordings: RwSignal::new(false),
            touched: RwSignal::new(Vec::new()),
            submitted: RwSignal::new(false),
            server_errors: RwSignal::new(Vec::new()),
            availability: RwSignal::new(Availability::default()),
            loaded: RwSignal::new(AgentProfile::default()),
            local_errors: Memo::new(|_| Vec::new()),
        };
        let local_errors =
            Memo::new(move |_| validate_profile(&form.profile()).err().unwrap_or_default());
        let form = ProfileForm {
            local_errors,
            ..form
        };
        form.load(initial);
        form
    }

    /// Replaces every field (after loading or reloading the agent).
    pub fn load(&self, p: AgentProfile) {
        self.name.set(p.name.clone());
        self.email.set(p.email.clone());
        self.extension.set(p.extension.clone());
        self.preferred_name.set(p.preferred_name.clone());
        let (kind, ext) = match &p.no_answer {
            NoAnswer::None => (NoAnswerKind::None, String::new()),
            NoAnswer::Voicemail => (NoAnswerKind::Voicemail, String::new()),
            NoAnswer::Extension { extension } => (NoAnswerKind::Extension, extension.clone()),
        };
        self.no_answer_kind.set(kind);
        self.no_answer_extension.set(ext);
        self.recording.set(p.recording);
        self.review_own_recordings.set(p.review_own_recordings);
        self.touched.set(Vec::new());
        self.submitted.set(false);
        self.server_errors.set(Vec::new());
        self.availability.set(Availability::default());
        self.loaded.set(p);
    }

    /// The values as typed (validation trims them).
    pub fn profile(&self) -> AgentProfile {
        AgentProfile {
            name: self.name.get(),
            email: self.email.get(),
            extension: self.extension.get(),
            preferred_name: self.preferred_name.get(),
            no_answer: match self.no_answer_kind.get() {
                NoAnswerKind::None => NoAnswer::None,
                NoAnswerKind::Voicemail => NoAnswer::Voicemail,
                NoAnswerKind::Extension => NoAnswer::Extension {
                    extension: self.no_answer_extension.get(),
                },
            },
            recording: self.recording.get(),
            review_own_recordings: self.review_own_recordings.get(),
        }
    }

    pub fn changed(&self) -> bool {
        self.loaded.with(|l| *l != self.profile())
    }

    pub fn touch(&self, field: &'static str) {
        if !self.touched.with_untracked(|t| t.contains(&field)) {
            self.touched.update(|t| t.push(field));
        }
    }

    /// The user edited `field`: what the server said about it no longer holds.
    pub fn edited(&self, field: &'static str) {
        if self
            .server_errors
            .with_untracked(|e| e.iter().any(|f| f.field == field))
        {
            self.server_errors
                .update(|e| e.retain(|f| f.field != field));
        }
    }

    /// The message to show next to `field`, if any: the shared validators' once the
    /// field was left (or Save tried), else the server's.
    pub fn error(&self, field: &'static str) -> Option<String> {
        let shown = self.submitted.get() || self.touched.with(|t| t.contains(&field));
        let local = self.local_errors.with(|e| {
            e.iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone())
        });
        if let (true, Some(m)) = (shown, local) {
            return Some(m);
        }
        if let Some(m) = self.server_errors.with(|e| {
            e.iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone())
        }) {
            return Some(m);
        }
        // The as-you-type check, unless the field is still being typed for the first time.
        self.availability.with(|a| match field {
            "email" => a.email.as_ref().map(|f| f.message.clone()),
            "extension" => a.extension.as_ref().map(|f| f.message.clone()),
            _ => None,
        })
    }

    /// Whether Save may be sent: no local problem and no known conflict.
    pub fn is_valid(&self) -> bool {
        self.local_errors.with(Vec::is_empty)
            && self
                .availability
                .with(|a| a.email.is_none() && a.extension.is_none())
    }
}
