//! Wire types of the UC directory: its connection as admins see it (never its
//! credentials), a refresh's progress, and its report.

use serde::{Deserialize, Serialize};

use crate::connection::DirectoryAddress;
use crate::{AgentSource, ErrorBody, LicenseSet};

/// How many entries of each list a report keeps; the totals count them all.
pub const REPORT_LIST_LIMIT: usize = 200;

/// `GET /api/v1/directory`: what the account is connected to. Credentials stay on the
/// server; this says only whether they are set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySummary {
    /// `None` until an admin connects a directory.
    pub system: Option<AgentSource>,
    pub base_url: String,
    /// The account at that address ([`DirectoryAddress::account`]): for admins only,
    /// empty for everyone else, so the Settings screen can tell a switch to another
    /// directory.
    #[serde(default)]
    pub account: String,
}

impl DirectorySummary {
    /// The directory connected now, if any.
    pub fn address(&self) -> Option<DirectoryAddress> {
        self.system.map(|system| DirectoryAddress {
            system,
            base_url: self.base_url.clone(),
            account: self.account.clone(),
        })
    }
}

/// `GET /api/v1/directory/refresh` (and the answer to starting one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshStatus {
    /// Set while a refresh runs.
    pub running: Option<RefreshProgress>,
    /// The latest finished refresh, applied or failed.
    pub last: Option<RefreshReport>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshProgress {
    /// RFC 3339, UTC.
    pub started_at: String,
    /// "reading" the directory, then "applying" it.
    pub phase: String,
    pub pages: u32,
    pub users: u32,
    pub groups: u32,
    /// Requests retried after errors or rate limits so far.
    pub retries: u32,
}

/// Some of a list, and how long the whole list is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed<T> {
    pub total: u32,
    pub items: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            total: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Listed<T> {
    /// Counts `item`, keeping it if the list has room.
    pub fn push(&mut self, item: T) {
        self.total += 1;
        if self.items.len() < REPORT_LIST_LIMIT {
            self.items.push(item);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// A directory user, as a report names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    pub name: String,
    pub extension: String,
    pub email: String,
    /// Licenses held at the time of the refresh.
    #[serde(default)]
    pub licenses: LicenseSet,
}

/// One field that a refresh changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// "name", "email", "extension", "status", "members", "directory".
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A user or group that a refresh changed, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChange {
    pub name: String,
    pub extension: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub name: String,
    pub extension: String,
    pub members: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    Extension,
    Email,
}

/// A directory entry that shares an extension or email with something of ours. The
/// directory is imported as it is; the conflict is for a person to resolve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub value: String,
    /// The directory user or group.
    pub directory: String,
    /// The WebRTC agent or UC group it collides with.
    pub other: String,
}

/// What one refresh did. A failed refresh changed nothing and says why in `error`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshReport {
    pub id: i64,
    pub source: Option<AgentSource>,
    pub started_at: String,
    pub finished_at: String,
    /// Set when the refresh failed: nothing was changed.
    pub error: Option<ErrorBody>,
    pub users_read: u32,
    pub groups_read: u32,
    pub added: Listed<UserEntry>,
    pub changed: Listed<EntryChange>,
    /// Gone from the directory and unlicensed: removed.
    pub removed: Listed<UserEntry>,
    /// Gone from the directory but licensed: kept, licenses held for review.
    pub held: Listed<UserEntry>,
    pub groups_added: Listed<GroupEntry>,
    pub groups_changed: Listed<EntryChange>,
    pub groups_removed: Listed<GroupEntry>,
    pub conflicts: Listed<Conflict>,
    /// What a supervisor should know about this read (from the connector and the
    /// import: skipped entries, names missing, forwarders reset, ...).
    pub notes: Vec<String>,
}

impl RefreshReport {
    /// True when the directory matched our copy already.
    pub fn no_changes(&self) -> bool {
        self.error.is_none()
            && self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.held.is_empty()
            && self.groups_added.is_empty()
            && self.groups_changed.is_empty()
            && self.groups_removed.is_empty()
    }
}
