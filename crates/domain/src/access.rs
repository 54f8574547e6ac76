//! Who may use the console, and what it remembers of what they did: wire types of
//! sign-in, sessions and the audit log.

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

/// What kind of change an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Licenses,
    AgentCreated,
    AgentUpdated,
    AgentRemoved,
    DirectoryRefresh,
    Settings,
}

impl AuditKind {
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Licenses,
        AuditKind::AgentCreated,
        AuditKind::AgentUpdated,
        AuditKind::AgentRemoved,
        AuditKind::DirectoryRefresh,
        AuditKind::Settings,
    ];

    pub const fn key(self) -> &'static str {
        match self {
            AuditKind::Licenses => "licenses",
            AuditKind::AgentCreated => "agent_created",
            AuditKind::AgentUpdated => "agent_updated",
            AuditKind::AgentRemoved => "agent_removed",
            AuditKind::DirectoryRefresh => "directory_refresh",
            AuditKind::Settings => "settings",
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
            AuditKind::DirectoryRefresh => "Directory refresh",
            AuditKind::Settings => "Settings changed",
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
