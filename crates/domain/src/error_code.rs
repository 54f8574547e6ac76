//! Every machine-readable code the API answers with, in one closed enum: an error's
//! `code`, and the `code` of each problem tied to one input ([`crate::FieldError`]).
//! The server can only produce these, the app can only compare against these, and a
//! rename is a compile error on both sides instead of a silent mismatch.
//!
//! The wire strings never change (clients and stored refresh reports hold them); the
//! variant names may.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// A stable, machine-readable code (`exceeds_purchased`, `stale_agent`, ...).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire string (what serde writes).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    /// No such address, or no such thing at it.
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    /// Something broke on the server; the details are in its log.
    Internal = "internal",
    /// JSON of the wrong shape.
    InvalidBody = "invalid_body",
    MalformedJson = "malformed_json",
    UnsupportedMediaType = "unsupported_media_type",
    BodyTooLarge = "body_too_large",
    UnreadableBody = "unreadable_body",
    InvalidQuery = "invalid_query",
    /// The app's own: the server answered an error without an error body (a proxy's
    /// page, say).
    HttpError = "http_error",
    /// Too many password checks waiting (a sign-in flood); try again shortly.
    Busy = "busy",
    /// `/readyz`: the database cannot be used.
    NotReady = "not_ready",

    // Who may call.
    Unauthenticated = "unauthenticated",
    SessionExpired = "session_expired",
    CsrfFailed = "csrf_failed",
    PasswordChangeRequired = "password_change_required",
    NoAccess = "no_access",
    AdminOnly = "admin_only",
    TooManyAttempts = "too_many_attempts",
    InvalidCredentials = "invalid_credentials",
    AccountDisabled = "account_disabled",
    /// A cookie session on a request from another origin (portals use bearer tokens).
    CrossOrigin = "cross_origin",
    /// `POST /auth/tokens` when the operator allows sessions by single sign-on only.
    PasswordTokensDisabled = "password_tokens_disabled",

    // Portal single sign-on (`POST /auth/exchange`).
    /// The operator has not set single sign-on up.
    SsoNotConfigured = "sso_not_configured",
    /// Not the RFC 7523 JWT-bearer grant.
    UnsupportedGrantType = "unsupported_grant_type",
    /// A bad signature, key, or claim; the message says which.
    InvalidAssertion = "invalid_assertion",
    /// An assertion id already used.
    AssertionReplayed = "assertion_replayed",
    /// The role claim is missing, not one string, or not mapped.
    RoleNotMapped = "role_not_mapped",
    /// The assertion names an admin and the operator does not allow that.
    AdminNotAllowed = "admin_not_allowed",

    // A license batch.
    EmptyBatch = "empty_batch",
    BatchTooLarge = "batch_too_large",
    InvalidBatch = "invalid_batch",
    DuplicateChange = "duplicate_change",
    UnknownAgent = "unknown_agent",
    StaleAgent = "stale_agent",
    /// Agents changed or vanished since the page loaded them (409).
    Conflict = "conflict",
    ExceedsPurchased = "exceeds_purchased",
    // Why a box cannot change ([`crate::Block`]).
    NoneAvailable = "none_available",
    ChannelNotPurchased = "channel_not_purchased",
    TranscriptionNeedsVoice = "transcription_needs_voice",
    RequiredByTranscription = "required_by_transcription",
    GoneFromDirectory = "gone_from_directory",
    DisabledInDirectory = "disabled_in_directory",

    // A CSV import (`POST /agents/import`).
    /// Not a CSV file we can read (its header, its encoding, a broken quote).
    InvalidCsv = "invalid_csv",
    /// More rows than one import may hold.
    TooManyRows = "too_many_rows",
    /// A license cell that is neither yes nor no.
    InvalidValue = "invalid_value",
    /// The same agent on more than one row.
    DuplicateRow = "duplicate_row",
    /// A row whose email and extension name different agents.
    AmbiguousRow = "ambiguous_row",
    /// Some rows are in error and the request did not leave them out.
    ImportHasErrors = "import_has_errors",
    /// The file or the agents changed since the preview (409).
    ImportChanged = "import_changed",

    // Purchases.
    InvalidPurchases = "invalid_purchases",
    OutOfRange = "out_of_range",
    BelowAssigned = "below_assigned",
    ChannelInUse = "channel_in_use",

    // An agent's profile, and the extension ranges.
    InvalidProfile = "invalid_profile",
    AgentNotFound = "agent_not_found",
    Required = "required",
    TooLong = "too_long",
    TooShort = "too_short",
    TooLarge = "too_large",
    StartsAtZero = "starts_at_zero",
    Reversed = "reversed",
    Overlap = "overlap",
    ControlCharacters = "control_characters",
    InvalidEmail = "invalid_email",
    NotDigits = "not_digits",
    SelfDestination = "self_destination",
    UnknownDestination = "unknown_destination",
    EmailTaken = "email_taken",
    EmailIsUcUser = "email_is_uc_user",
    ExtensionTaken = "extension_taken",
    ExtensionIsGroup = "extension_is_group",
    /// A phone user's field that comes from the directory.
    ReadOnly = "read_only",
    /// Phone users are not created or removed in the console.
    PhoneUser = "phone_user",

    // Console users and passwords.
    InvalidUser = "invalid_user",
    UserNotFound = "user_not_found",
    LastAdmin = "last_admin",
    InvalidPassword = "invalid_password",
    WrongPassword = "wrong_password",
    PasswordUnchanged = "password_unchanged",
    PasswordTooShort = "password_too_short",
    PasswordTooLong = "password_too_long",
    PasswordIsEmail = "password_is_email",
    PasswordCommon = "password_common",
    /// The app's own: the confirmation differs from the new password.
    Mismatch = "mismatch",

    // The UC directory.
    InvalidDirectory = "invalid_directory",
    AddressNotAllowed = "address_not_allowed",
    DirectoryNotConnected = "directory_not_connected",
    RefreshRunning = "refresh_running",
    /// A refresh read one directory and the connection was switched before it applied.
    DirectoryChanged = "directory_changed",
    /// The directory was read but saving it failed.
    RefreshFailed = "refresh_failed",
    DirectoryAuth = "directory_auth",
    DirectoryRefused = "directory_refused",
    DirectoryUnavailable = "directory_unavailable",
    DirectoryRateLimited = "directory_rate_limited",
    DirectoryMalformed = "directory_malformed",
    DirectoryTooManyPages = "directory_too_many_pages",
    DirectoryTimedOut = "directory_timed_out",
    DirectoryConfig = "directory_config",
    DirectoryBlocked = "directory_blocked",

    // The operator's secret keys.
    NoSecretKey = "no_secret_key",
    UnknownSecretKey = "unknown_secret_key",
}

/// The wire string, written by hand rather than derived: the derive's string match
/// was 7 KB of the console's first-load wasm (issue 13); this is a lookup in
/// [`ErrorCode::ALL`].
impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Code;
        impl de::Visitor<'_> for Code {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an error code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorCode, E> {
                ErrorCode::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(Code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_string_is_what_serde_writes_and_reads() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert!(seen.insert(code.as_str()), "{code:?} twice");
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code:?}"
            );
        }
    }

    #[test]
    fn an_unknown_code_is_refused() {
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }
}
