//! The rules of agent licensing, in plain Rust.
//!
//! Both the browser app and the server depend on this crate, so a rule is written once
//! and the two sides cannot disagree. It has no web, async or database dependency and
//! builds for `wasm32-unknown-unknown` as well as natively.

pub mod access;
pub mod api;
pub mod batch;
pub mod connection;
pub mod directory;
pub mod error_code;
pub mod import;
pub mod license;
pub mod password;
pub mod profile;
pub mod vocab;

pub use api::{
    Agent, AgentId, AgentKind, AgentPage, AgentQuery, AgentSource, ErrorBody, FieldError,
    LicenseChange, LicenseChangeBatch, LicenseChangeResult, LicenseCount, LicenseKeys,
    LicenseSummary, Purchases, SortKey, SortOrder, Version,
};
pub use batch::{
    AgentUpdate, BatchError, BulkOutcome, Current, MAX_BATCH_CHANGES, PendingAgent, PendingChanges,
    Plan, Refusal, plan,
};
pub use error_code::ErrorCode;
pub use license::{Block, Counts, Entitlements, LicenseSet, LicenseType, Pool, Standing};
pub use profile::{
    AgentProfile, ExtensionRange, ExtensionRanges, NoAnswer, RecordingMode, email_key,
    plus_address, validate_email, validate_extension, validate_name, validate_no_answer,
    validate_preferred_name, validate_profile, validate_update,
};
pub use vocab::FieldPath;
