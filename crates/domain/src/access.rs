//! Who may use the console, and what it remembers of what they did: wire types of
//! sign-in, sessions and the audit log.

use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::AgentId;

/// A console user's role. Only supervisors and admins may use the console; admins also
/// manage the account's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const fn key(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        [Role::Agent, Role::Supervisor, Role::Admin]
            .into_iter()
            .find(|r| r.key() == key)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Role::Agent => "Agent",
            Role::Supervisor => "Supervisor",
            Role::Admin => "Admin",
        }
    }

    /// Supervisors and admins use the console; agents do not.
    pub const fn may_use_console(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

/// `POST /auth/sign-in` and `POST /auth/tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// The longest email any account can have (bytes; RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

impl Credentials {
    /// Sizes checked before any work (no lookup, no hash, nothing stored): an email no
    /// account can have, or a password longer than any the policy allows.
    pub fn oversized(&self) -> Vec<crate::FieldError> {
        let mut fields = Vec::new();
        if self.email.len() > MAX_EMAIL_BYTES {
            fields.push(crate::FieldError {
                field: "email".into(),
                code: ErrorCode::TooLong,
                message: format!("An email address has at most {MAX_EMAIL_BYTES} characters."),
            });
        }
        if self.password.len() > crate::password::MAX_BYTES {
            fields.push(crate::FieldError {
                field: "password".into(),
                code: ErrorCode::PasswordTooLong,
                message: "A password has at most 1,024 bytes.".into(),
            });
        }
        fields
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleUser {
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// `GET /auth/session` and the answer to a sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: ConsoleUser,
    /// The password was set by an admin (or the operator's `users add`): until the
    /// user chooses their own with `POST /me/password`, every other call but
    /// signing out is refused with 403 `password_change_required`.
    #[serde(default)]
    pub must_change_password: bool,
    /// Sent back as `X-CSRF-Token` on every state-changing call made with the session
    /// cookie. `None` for bearer tokens, which are not sent by the browser on its own.
    pub csrf_token: Option<String>,
    /// RFC 3339, UTC: when the session ends if it stays idle.
    pub expires_at: String,
}

/// `POST /auth/tokens`: a bearer token for a host page to hand to the embedded console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssued {
    pub token: String,
    pub expires_at: String,
    pub user: ConsoleUser,
}

/// `GET /auth/setup` (public): whether anyone can sign in yet, so that the sign-in
/// page of a new installation can say who creates the first admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupStatus {
    pub has_users: bool,
}

/// A console user's id.
pub type UserId = i64;

/// A console user as admins manage them: `GET /users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccount {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Disabled users cannot sign in; their sessions ended when they were disabled.
    pub active: bool,
    /// Signed in with a password an admin set, not yet replaced by their own.
    pub must_change_password: bool,
    /// RFC 3339, UTC.
    pub last_sign_in_at: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Sessions (cookie or bearer) still open.
    pub sessions: u32,
}

/// `POST /users` (admins): a new console user with an initial password, which they
/// must change when they first sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

/// `PATCH /users/{id}` (admins): a new role, disable (`active: false`) or enable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `POST /users/{id}/password` (admins): a new initial password; the user's sessions
/// end and they must choose their own at the next sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub password: String,
}

/// `POST /me/password` (anyone signed in): the current password and a new one. The
/// user's other sessions end; this one goes on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `DELETE /users/{id}/sessions` (admins): how many sessions were ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: u64,
}

/// Checks the name and email of a console user (the same rules as an agent's).
///
/// ```
/// let errors = alc_domain::access::validate_user("", "").unwrap_err();
/// assert_eq!(errors.len(), 2);
/// assert!(!errors[1].message.contains("agent"), "{}", errors[1].message);
/// ```
pub fn validate_user(name: &str, email: &str) -> Result<(String, String), Vec<crate::FieldError>> {
    // The profile's messages speak of "the agent"; a console user is not one.
    let email = crate::validate_email(email).map_err(|mut e| {
        e.message = e.message.replace("the agent's", "their");
        e
    });
    match (crate::validate_name(name), email) {
        (Ok(n), Ok(e)) => Ok((n, e)),
        (n, e) => Err([n.err(), e.err()].into_iter().flatten().collect()),
    }
}

/// What kind of change an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Licenses,
    AgentCreated,
    AgentUpdated,
    AgentRemoved,
    /// A CSV import applied: its file and what it did (each agent it changed has an
    /// entry of its own, `via` the import).
    Import,
    DirectoryRefresh,
    Settings,
    UserAdded,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
    PasswordReset,
    PasswordChanged,
    SessionsEnded,
    SignInSucceeded,
    SignInFailed,
    SignedOut,
}

impl AuditKind {
    pub const ALL: [AuditKind; 17] = [
        AuditKind::Licenses,
        AuditKind::AgentCreated,
        AuditKind::AgentUpdated,
        AuditKind::AgentRemoved,
        AuditKind::Import,
        AuditKind::DirectoryRefresh,
        AuditKind::Settings,
        AuditKind::UserAdded,
        AuditKind::UserRoleChanged,
        AuditKind::UserDisabled,
        AuditKind::UserEnabled,
        AuditKind::PasswordReset,
        AuditKind::PasswordChanged,
        AuditKind::SessionsEnded,
        AuditKind::SignInSucceeded,
        AuditKind::SignInFailed,
        AuditKind::SignedOut,
    ];

    pub const fn key(self) -> &'static str {
        match self {
            AuditKind::Licenses => "licenses",
            AuditKind::AgentCreated => "agent_created",
            AuditKind::AgentUpdated => "agent_updated",
            AuditKind::AgentRemoved => "agent_removed",
            AuditKind::Import => "import",
            AuditKind::DirectoryRefresh => "directory_refresh",
            AuditKind::Settings => "settings",
            AuditKind::UserAdded => "user_added",
            AuditKind::UserRoleChanged => "user_role_changed",
            AuditKind::UserDisabled => "user_disabled",
            AuditKind::UserEnabled => "user_enabled",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::SessionsEnded => "sessions_ended",
            AuditKind::SignInSucceeded => "sign_in_succeeded",
            AuditKind::SignInFailed => "sign_in_failed",
            AuditKind::SignedOut => "signed_out",
        }
    }

    pub fn from_key(key: &str) -> Option<AuditKind> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    pub const fn label(self) -> &'static str {
        match self {
            AuditKind::Licenses => "Licenses changed",
            AuditKind::AgentCreated => "Agent added",
            AuditKind::AgentUpdated => "Agent edited",
            AuditKind::AgentRemoved => "Agent removed",
            AuditKind::Import => "CSV import",
            AuditKind::DirectoryRefresh => "Directory refresh",
            AuditKind::Settings => "Settings changed",
            AuditKind::UserAdded => "Console user added",
            AuditKind::UserRoleChanged => "Role changed",
            AuditKind::UserDisabled => "Console user disabled",
            AuditKind::UserEnabled => "Console user enabled",
            AuditKind::PasswordReset => "Password reset",
            AuditKind::PasswordChanged => "Password changed",
            AuditKind::SessionsEnded => "Sessions ended",
            AuditKind::SignInSucceeded => "Signed in",
            AuditKind::SignInFailed => "Sign-in failed",
            AuditKind::SignedOut => "Signed out",
        }
    }
}

/// One recorded change: who, when, what, before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who: the console user's name and email ("system" for the server itself).
    pub actor: String,
    pub kind: AuditKind,
    pub agent_id: Option<AgentId>,
    /// What, in a few words ("Jane Doe", "Extension ranges", "RingCentral").
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// What the change came through, when not a screen of its own: "Import of
    /// roster.csv".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// `GET /audit`: filters and paging. Out-of-range values are clamped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Part of the actor's name or email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AuditKind>,
    /// RFC 3339 or a date (`2026-11-23`), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// RFC 3339 or a date, inclusive (a date means the whole day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl AuditQuery {
    pub const PER_PAGE: u32 = 50;

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}
