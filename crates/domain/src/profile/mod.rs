//! The agent profile: what the Add Agent / edit form holds, and the rules each field
//! must meet.
//!
//! The browser runs these validators as the user types and the server runs them again
//! before it writes, so both sides give the same answer and the same message. Checks
//! that need data (is the email or extension already taken, does the no-answer
//! extension exist) belong to the server; everything that can be decided from the value
//! alone is here.
//!
//! Every validator trims its input and returns the value to store, so what is saved is
//! exactly what was checked. Problems come back as [`FieldError`]s whose `code` is
//! stable for programs and whose `message` tells a person how to fix the value.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::vocab::{AgentSource, FieldError};

mod email;
mod extension;
mod marks;
mod text;

pub use email::{EMAIL_MAX_CHARS, email_key, plus_address, validate_email};
pub use extension::{
    EXTENSION_MAX_DIGITS, EXTENSION_MIN_DIGITS, ExtensionRange, ExtensionRanges,
    MAX_EXTENSION_VALUE, validate_extension, validate_no_answer,
};
pub use text::{NAME_MAX_CHARS, PREFERRED_NAME_MAX_CHARS, validate_name, validate_preferred_name};

/// Recording rule for an agent's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    /// Every call is recorded; the agent may pause and resume. The product default.
    #[default]
    Automatic,
    /// Every call is recorded and the agent cannot pause: for lines that must keep a
    /// complete record.
    AutomaticNoPause,
    /// Nothing is recorded unless the agent starts it.
    Manual,
    /// Never recorded.
    Disabled,
}

impl RecordingMode {
    /// In the order the form lists them.
    pub const ALL: [RecordingMode; 4] = [
        RecordingMode::Automatic,
        RecordingMode::AutomaticNoPause,
        RecordingMode::Manual,
        RecordingMode::Disabled,
    ];

    /// The stable key used on the wire and in the database (the serde form too).
    pub const fn key(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "automatic",
            RecordingMode::AutomaticNoPause => "automatic_no_pause",
            RecordingMode::Manual => "manual",
            RecordingMode::Disabled => "disabled",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// What a person reads.
    pub const fn label(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "Automatic",
            RecordingMode::AutomaticNoPause => "Automatic (Pausing Prohibited)",
            RecordingMode::Manual => "Manual",
            RecordingMode::Disabled => "Disabled",
        }
    }

    /// One line shown under the choice, so that a supervisor need not guess what the
    /// label means.
    pub const fn description(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "Every call is recorded; the agent has recording controls.",
            RecordingMode::AutomaticNoPause => {
                "Every call is recorded; the agent has no recording controls."
            }
            RecordingMode::Manual => {
                "Calls are not recorded automatically; the agent has recording controls."
            }
            RecordingMode::Disabled => {
                "Calls are never recorded; the agent has no recording controls."
            }
        }
    }
}

/// Where a call goes when the agent does not answer.
///
/// On the wire: `{"kind":"none"}`, `{"kind":"voicemail"}` or
/// `{"kind":"extension","extension":"2001"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoAnswer {
    /// The call keeps ringing until the caller gives up. The product default.
    #[default]
    None,
    Voicemail,
    /// Another agent, UC user or UC group. Only its shape is checked here
    /// ([`validate_no_answer`]); the server checks that it exists.
    Extension {
        extension: String,
    },
}

/// The editable profile of an agent (what the Add/Edit form holds and the API takes).
///
/// The optional fields default when missing from the JSON, so an older client or a
/// minimal API call still works.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub name: String,
    pub email: String,
    pub extension: String,
    /// How the agent's name appears to customers in web chat; `""` means none (the
    /// name is used).
    #[serde(default)]
    pub preferred_name: String,
    #[serde(default)]
    pub no_answer: NoAnswer,
    #[serde(default)]
    pub recording: RecordingMode,
    #[serde(default)]
    pub review_own_recordings: bool,
}
/// All of the above at once: the cleaned profile, or every problem (one per field at
/// most, in form order: name, email, extension, preferred_name, no_answer).
///
/// The no-answer extension is compared with the cleaned extension when that is valid,
/// and with the trimmed input otherwise, so a self-destination is still reported while
/// the extension itself is being fixed. Recording mode and the review toggle cannot be
/// invalid and are passed through.
pub fn validate_profile(p: &AgentProfile) -> Result<AgentProfile, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut keep = |result: Result<String, FieldError>| {
        result.unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let name = keep(validate_name(&p.name));
    let email = keep(validate_email(&p.email));
    let extension = validate_extension(&p.extension);
    let own_extension = extension
        .as_ref()
        .map_or_else(|_| p.extension.trim().to_string(), Clone::clone);
    let extension = keep(extension);
    let preferred_name = keep(validate_preferred_name(&p.preferred_name));
    let no_answer = validate_no_answer(&p.no_answer, &own_extension).unwrap_or_else(|e| {
        errors.push(e);
        NoAnswer::None
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AgentProfile {
        name,
        email,
        extension,
        preferred_name,
        no_answer,
        recording: p.recording,
        review_own_recordings: p.review_own_recordings,
    })
}

/// The profile to store when `requested` replaces `current` for an agent from `source`.
///
/// A WebRTC agent's whole profile is theirs to edit: [`validate_profile`]. A phone
/// user's name, email and extension belong to their directory: a request that changes
/// any of them (after trimming) gets a `read_only` error on that field, and the rest
/// (preferred name, no-answer, recording) is validated and taken from the request.
/// Errors come in form order, like [`validate_profile`]'s. Checks that need data (is the
/// email or extension taken) are the server's.
pub fn validate_update(
    source: AgentSource,
    current: &AgentProfile,
    requested: &AgentProfile,
) -> Result<AgentProfile, Vec<FieldError>> {
    if !source.is_uc() {
        return validate_profile(requested);
    }
    let mut problems = Vec::new();
    for (field, theirs, ours) in [
        ("name", &requested.name, &current.name),
        ("email", &requested.email, &current.email),
        ("extension", &requested.extension, &current.extension),
    ] {
        if theirs.trim() != ours.as_str() {
            problems.push(FieldError::new(
                field,
                ErrorCode::ReadOnly,
                format!(
                    "The {field} of a phone user comes from the {} directory and cannot be changed here.",
                    source.label()
                ),
            ));
        }
    }
    let preferred_name =
        validate_preferred_name(&requested.preferred_name).map_err(|e| problems.push(e));
    let no_answer =
        validate_no_answer(&requested.no_answer, &current.extension).map_err(|e| problems.push(e));
    match (preferred_name, no_answer) {
        (Ok(preferred_name), Ok(no_answer)) if problems.is_empty() => Ok(AgentProfile {
            preferred_name,
            no_answer,
            recording: requested.recording,
            review_own_recordings: requested.review_own_recordings,
            ..current.clone()
        }),
        _ => Err(problems),
    }
}
